//! Text analysis shared by every metric: code-block removal, markdown structure, CJK-aware
//! words, abbreviation-safe sentences, paragraphs, syllables, emoji.
//!
//! Everything here is total: any `&str` (empty, huge, all emoji, broken markdown) gives a
//! finite answer and never panics.

use std::borrow::Cow;

/// A language we have lexicons for, from a BCP 47 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Sv,
    Nb,
    Zh,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Sv, Lang::Nb, Lang::Zh, Lang::Es];

    /// `en`, `en-GB`, `sv`, `nb`, `no`, `zh`, `zh-Hans`, `es-419`... Unknown -> None.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            "nb" | "no" => Some(Lang::Nb),
            "zh" => Some(Lang::Zh),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
            Lang::Nb => "nb",
            Lang::Zh => "zh",
            Lang::Es => "es",
        }
    }
}

/// CJK ideographs, kana and hangul: each one is counted as a word unit.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // hiragana, katakana
        | 0x3400..=0x4DBF   // CJK ext A
        | 0x4E00..=0x9FFF   // CJK unified
        | 0xAC00..=0xD7AF   // hangul syllables
        | 0xF900..=0xFAFF   // compatibility ideographs
        | 0x20000..=0x2FA1F // ext B..
    )
}

/// Emoji pictographs (not digits, '#', or the variation selectors and joiners that glue them).
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1F5FF
        | 0x1F600..=0x1F64F
        | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF
        | 0x1F1E6..=0x1F1FF
        | 0x2600..=0x26FF
        | 0x2700..=0x27BF
        | 0x2B50 | 0x2B55
    )
}

/// Emoji that express affection or comfort (hearts, hugs, smiles): counted as warmth.
pub fn is_warm_emoji(c: char) -> bool {
    matches!(
        c,
        '❤' | '♥'
            | '💕'
            | '💖'
            | '💗'
            | '💓'
            | '💞'
            | '💘'
            | '💝'
            | '💛'
            | '💙'
            | '💚'
            | '💜'
            | '🧡'
            | '🤍'
            | '🩷'
            | '🥰'
            | '😊'
            | '🤗'
            | '😍'
            | '☺'
            | '🫶'
            | '🙂'
            | '😘'
            | '💐'
            | '🌷'
            | '🌸'
    )
}

/// Regional indicators come in pairs (one flag = two code points): count a pair once.
fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Markdown structure counts (Chatbot Arena's style-control features), code blocks excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Structure {
    pub headers: u32,
    pub bullets: u32,
    pub numbered: u32,
    pub bold: u32,
    pub code_blocks: u32,
    pub tables: u32,
}

/// Split a reply into prose (fenced code blocks removed) and count code blocks. An unclosed
/// fence runs to the end of the text (as CommonMark renders it).
pub fn strip_code_blocks(text: &str) -> (Cow<'_, str>, u32) {
    if !text.contains("```") && !text.contains("~~~") {
        return (Cow::Borrowed(text), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut blocks = 0u32;
    let mut fence: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let marker = if t.starts_with("```") {
            Some("```")
        } else if t.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => {
                fence = Some(m);
                blocks += 1;
                // Keep the paragraph structure: the block becomes a blank line.
                out.push('\n');
            }
            (Some(f), Some(m)) if f == m => fence = None,
            (Some(_), _) => {}
            (None, None) => out.push_str(line),
        }
    }
    (Cow::Owned(out), blocks)
}

/// Count markdown structure in prose (code already removed).
pub fn structure(prose: &str, code_blocks: u32) -> Structure {
    let mut s = Structure {
        code_blocks,
        ..Default::default()
    };
    let mut prev_nonblank = false;
    for line in prose.lines() {
        let t = line.trim_start();
        let b = t.as_bytes();
        if b.is_empty() {
            prev_nonblank = false;
            continue;
        }
        // ATX headers: 1-6 '#' then a space.
        let hashes = b.iter().take_while(|&&c| c == b'#').count();
        if (1..=6).contains(&hashes) && b.get(hashes).is_some_and(|c| *c == b' ') {
            s.headers += 1;
        } else if prev_nonblank && b.len() >= 3 && b.iter().all(|&c| c == b'=') {
            // Setext header underline.
            s.headers += 1;
        } else if (b.len() >= 2 && matches!(b[0], b'-' | b'*' | b'+') && b[1] == b' ') || t.starts_with("• ")
        {
            s.bullets += 1;
        } else {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if (1..=3).contains(&digits)
                && b.get(digits).is_some_and(|c| *c == b'.' || *c == b')')
                && b.get(digits + 1).is_some_and(|c| *c == b' ')
            {
                s.numbered += 1;
            }
        }
        // Table delimiter row: |---|:--:| (one per table).
        if b[0] == b'|' || (b.contains(&b'|') && b.contains(&b'-')) {
            let is_delim = b.iter().all(|c| matches!(c, b'|' | b'-' | b':' | b' ' | b'\t'))
                && b.iter().filter(|&&c| c == b'-').count() >= 3
                && b.contains(&b'|');
            if is_delim {
                s.tables += 1;
            }
        }
        s.bold += (line.matches("**").count() / 2 + line.matches("__").count() / 2) as u32;
        prev_nonblank = true;
    }
    s
}

/// Lower-case, typographic apostrophes to ASCII, whitespace runs to one space, so lexicon
/// phrases match regardless of line wrapping or curly quotes.
pub fn normalise_for_matching(prose: &str, out: &mut String) {
    out.clear();
    out.reserve(prose.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in prose.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
    if !last_space {
        out.push(' ');
    }
}

/// A word token: its byte range in the text it came from, and whether it is one CJK unit.
#[derive(Debug, Clone, Copy)]
pub struct Tok {
    pub start: u32,
    pub end: u32,
    pub cjk: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// CJK-aware word tokens: runs of letters/digits (keeping inner apostrophes and hyphens, as in
/// "don't", "well-being"), and each CJK character on its own.
pub fn tokens(text: &str, out: &mut Vec<Tok>) {
    out.clear();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_cjk(c) {
            out.push(Tok {
                start: i as u32,
                end: (i + c.len_utf8()) as u32,
                cjk: true,
            });
        } else if is_word_char(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if is_word_char(d) {
                    end = j + d.len_utf8();
                    it.next();
                } else if matches!(d, '\'' | '\u{2019}' | '-') {
                    // Joiner only if followed by a word char.
                    let mut look = it.clone();
                    look.next();
                    match look.peek() {
                        Some(&(_, e)) if is_word_char(e) => {
                            it.next();
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            out.push(Tok {
                start: i as u32,
                end: end as u32,
                cjk: false,
            });
        }
    }
}

const ABBREVIATIONS: &[&str] = &[
    // en
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "eg", "ie", "approx", "no",
    "vol", "fig", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "min", "max", "cf", "al", "a.m", "p.m", "u.s", // sv / nb
    "t.ex", "bl.a", "dvs", "osv", "m.m", "s.k", "f.eks", "bl.a", "ca", "kl", "nr", "mfl", "m.fl", "pga",
    "p.g.a", "evt", "ev", "osb", "jf", "jfr", // es
    "sra", "srta", "ud", "uds", "dra", "p.ej", "pág", "núm", "aprox", "etc",
];

/// Sentence ends in prose: `.`, `!`, `?`, `…`, `。`, `！`, `？` (a run such as `?!` or `...`
/// counts once), or a line break after text (list items and headers are sentences). A period
/// after a known abbreviation, a single capital initial, inside a number ("3.5") or followed
/// by a lower-case letter is not an end. Returns (sentences, questions, exclamations).
pub fn sentences(prose: &str) -> (u32, u32, u32) {
    let mut sentences = 0u32;
    let mut questions = 0u32;
    let mut exclaims = 0u32;
    let mut has_content = false;
    let chars: Vec<(usize, char)> = prose.char_indices().collect();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let (pos, c) = chars[i];
        match c {
            '.' | '!' | '?' | '…' | '。' | '！' | '？' | '\n' => {
                // Collect the run of terminators.
                let mut j = i;
                let mut q = false;
                let mut e = false;
                let mut only_dots = true;
                let mut newline = false;
                while j < n && matches!(chars[j].1, '.' | '!' | '?' | '…' | '。' | '！' | '？' | '\n') {
                    match chars[j].1 {
                        '?' | '？' => {
                            q = true;
                            only_dots = false
                        }
                        '!' | '！' => {
                            e = true;
                            only_dots = false
                        }
                        '\n' => newline = true,
                        '.' => {}
                        _ => only_dots = false,
                    }
                    j += 1;
                }
                let mut is_end = true;
                if only_dots && !newline && j - i == 1 && c == '.' {
                    // A single period: check abbreviation / number / initial / lower-case next.
                    let next = chars[j..].iter().map(|x| x.1).find(|c| !c.is_whitespace());
                    let immediate = chars.get(j).map(|x| x.1);
                    let word_start = prose[..pos]
                        .char_indices()
                        .rev()
                        .find(|(_, ch)| ch.is_whitespace() || *ch == '(' || *ch == '"')
                        .map(|(k, ch)| k + ch.len_utf8())
                        .unwrap_or(0);
                    let word = &prose[word_start..pos];
                    // 3.5, e.g (inner), example.com / J. Smith / Dr. / next word lower-case.
                    let inner = immediate.is_some_and(|d| d.is_ascii_digit() || d.is_alphabetic());
                    let initial = word.chars().count() == 1 && word.chars().all(|ch| ch.is_uppercase());
                    let lower_next = next.is_some_and(|d| d.is_lowercase());
                    if inner || initial || lower_next || is_abbreviation(word) {
                        is_end = false;
                    }
                }
                if is_end && has_content {
                    sentences += 1;
                    if q {
                        questions += 1;
                    }
                    if e {
                        exclaims += 1;
                    }
                    has_content = false;
                }
                i = j;
                continue;
            }
            c if c.is_alphanumeric() => has_content = true,
            _ => {}
        }
        i += 1;
    }
    if has_content {
        sentences += 1;
    }
    (sentences, questions, exclaims)
}

fn is_abbreviation(word: &str) -> bool {
    if word.is_empty() || word.len() > 8 {
        return false;
    }
    let mut buf = [0u8; 32];
    let mut k = 0;
    for c in word.chars() {
        for l in c.to_lowercase() {
            let mut tmp = [0u8; 4];
            let s = l.encode_utf8(&mut tmp);
            if k + s.len() > buf.len() {
                return false;
            }
            buf[k..k + s.len()].copy_from_slice(s.as_bytes());
            k += s.len();
        }
    }
    let lw = std::str::from_utf8(&buf[..k]).unwrap_or("");
    ABBREVIATIONS.contains(&lw)
}

/// Paragraphs: blocks of non-blank lines separated by blank lines.
pub fn paragraphs(prose: &str) -> u32 {
    let mut n = 0;
    let mut in_par = false;
    for line in prose.lines() {
        if line.trim().is_empty() {
            in_par = false;
        } else if !in_par {
            in_par = true;
            n += 1;
        }
    }
    n
}

/// English syllables by vowel groups, with a silent final "e" (but not "-le") and a minimum of
/// one. Close to textstat's pyphen counts on common words; see docs/metrics.md.
pub fn syllables_en(word: &str) -> u32 {
    let w = word.as_bytes();
    let is_v = |c: u8| matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut count = 0u32;
    let mut prev = false;
    let mut letters = 0;
    for &c in w {
        if !c.is_ascii_alphabetic() {
            prev = false;
            continue;
        }
        letters += 1;
        let v = is_v(c);
        if v && !prev {
            count += 1;
        }
        prev = v;
    }
    if letters == 0 {
        return 1;
    }
    // The last three letters, without allocating.
    let mut tail = [0u8; 3];
    let mut k = 0;
    for &c in w.iter().rev() {
        if c.is_ascii_alphabetic() {
            tail[2 - k] = c.to_ascii_lowercase();
            k += 1;
            if k == 3 {
                break;
            }
        }
    }
    if k == 3 {
        let [a, b, c] = tail;
        // Silent final "e" (not "-le" after a consonant): make, table has 2.
        let silent_e = c == b'e' && (b != b'l' || is_v(a)) && !is_v(b);
        // "-ed" not after t/d: walked, but wanted keeps it.
        let silent_ed = b == b'e' && c == b'd' && !matches!(a, b't' | b'd') && !is_v(a);
        if (silent_e || silent_ed) && count > 1 {
            count -= 1;
        }
    }
    count.max(1)
}

/// Emoji in text: (all emoji, warm emoji). A flag (two regional indicators) counts once.
pub fn emoji_counts(text: &str) -> (u32, u32) {
    let mut all = 0;
    let mut warm = 0;
    let mut ri = 0;
    for c in text.chars() {
        if is_regional_indicator(c) {
            ri += 1;
            if ri % 2 == 1 {
                all += 1;
            }
            continue;
        }
        if is_emoji(c) {
            all += 1;
            if is_warm_emoji(c) {
                warm += 1;
            }
        } else if c == '♥' {
            all += 1;
            warm += 1;
        }
    }
    (all, warm)
}

/// FNV-1a: a fast hasher for short words (no HashDoS concern: the keys are one reply's words).
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf29ce484222325 } else { self.0 };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

/// A set of words with the FNV hasher.
pub type WordSet<'a> = std::collections::HashSet<&'a str, std::hash::BuildHasherDefault<Fnv>>;

/// MTLD (McCarthy & Jarvis 2010): mean length of sequential word runs that keep the
/// type/token ratio above 0.72, averaged forwards and backwards. `None` below 10 tokens,
/// where it is unstable.
pub fn mtld<'a>(words: &[&'a str], seen: &mut WordSet<'a>) -> Option<f64> {
    if words.len() < 10 {
        return None;
    }
    let pass = |iter: &mut dyn Iterator<Item = &'a str>, seen: &mut WordSet<'a>| {
        const T: f64 = 0.72;
        seen.clear();
        let mut factors = 0.0;
        let mut tokens = 0usize;
        let mut ttr = 1.0;
        for w in iter {
            tokens += 1;
            seen.insert(w);
            ttr = seen.len() as f64 / tokens as f64;
            if ttr <= T {
                factors += 1.0;
                seen.clear();
                tokens = 0;
                ttr = 1.0;
            }
        }
        if tokens > 0 {
            factors += (1.0 - ttr) / (1.0 - T);
        }
        if factors <= 0.0 {
            // Never dropped below the threshold: every word distinct.
            words.len() as f64
        } else {
            words.len() as f64 / factors
        }
    };
    let f = pass(&mut words.iter().copied(), seen);
    let b = pass(&mut words.iter().rev().copied(), seen);
    Some((f + b) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_count(s: &str) -> usize {
        let mut v = Vec::new();
        tokens(s, &mut v);
        v.len()
    }

    #[test]
    fn words_are_cjk_aware() {
        assert_eq!(word_count("I don't know, well-being matters."), 5);
        assert_eq!(word_count("我很高兴认识你"), 7);
        assert_eq!(word_count("Hej! Hur mår du?"), 4);
        assert_eq!(word_count("🙂🙂 -- ***"), 0);
    }

    #[test]
    fn sentences_are_abbreviation_safe() {
        assert_eq!(
            sentences("Dr. Smith arrived at 3.30 p.m. today. He said hi!").0,
            2
        );
        assert_eq!(sentences("E.g. this one. And that, i.e. another?").0, 2);
        assert_eq!(sentences("Is it? Yes!! Really...").0, 3);
        assert_eq!(sentences("Hur mår du? Bra, t.ex. idag. Tack.").0, 3);
        assert_eq!(sentences("你好。你今天怎么样？很好！").0, 3);
        assert_eq!(sentences("").0, 0);
        assert_eq!(sentences("- one\n- two\n- three").0, 3);
        let (s, q, e) = sentences("How are you? Great! Fine.");
        assert_eq!((s, q, e), (3, 1, 1));
    }

    #[test]
    fn code_blocks_are_removed_and_counted() {
        let (p, n) = strip_code_blocks("Look:\n```rust\nfn main() {}\n# not a header\n```\nDone.");
        assert_eq!(n, 1);
        assert!(!p.contains("fn main"));
        let s = structure(&p, n);
        assert_eq!(s.headers, 0);
        let (_, n) = strip_code_blocks("```\nunclosed");
        assert_eq!(n, 1);
    }

    #[test]
    fn structure_counts_markdown() {
        let md = "# Title\n\nSome **bold** and __more__.\n\n- a\n- b\n* c\n\n1. one\n2) two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        let s = structure(md, 0);
        assert_eq!(s.headers, 1);
        assert_eq!(s.bullets, 3);
        assert_eq!(s.numbered, 2);
        assert_eq!(s.bold, 2);
        assert_eq!(s.tables, 1);
    }

    #[test]
    fn syllables_are_plausible() {
        for (w, n) in [
            ("the", 1),
            ("table", 2),
            ("beautiful", 3),
            ("make", 1),
            ("wanted", 2),
            ("walked", 1),
            ("I", 1),
        ] {
            assert_eq!(syllables_en(w), n, "{w}");
        }
    }

    #[test]
    fn emoji_and_flags() {
        assert_eq!(emoji_counts("hi 😊 🇸🇪 ❤️ 42 #"), (3, 2));
    }

    #[test]
    fn mtld_rises_with_diversity() {
        let mut seen = Default::default();
        let rep: Vec<&str> = "the cat the cat the cat the cat the cat the cat"
            .split(' ')
            .collect();
        let div: Vec<&str> = "every single word here is different from all of the others around it"
            .split(' ')
            .collect();
        assert!(mtld(&div, &mut seen).unwrap() > mtld(&rep, &mut seen).unwrap());
        assert!(mtld(&rep[..4], &mut seen).is_none());
    }
}

#[cfg(test)]
mod regressions {
    #[test]
    fn multibyte_whitespace_before_a_period() {
        // Found by proptest: U+2000 (3 bytes) before "xv." split a char boundary.
        assert_eq!(super::sentences("P/:%\u{2000}N xv.z/").0, 1);
        assert_eq!(super::sentences("a\u{3000}Dr. Smith. Hi.").0, 2);
    }
}
