//! A small language guess for imported conversations (they carry no language), so scoring
//! applies the right lexicons. Script first (CJK, Hangul, Cyrillic, Arabic), then stopword
//! counts for common Latin-script languages. `und` (undetermined) when unsure; `--language`
//! overrides it.

const STOPWORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "is", "are", "you", "i", "to", "of", "it", "that", "was", "with", "for", "this",
            "what", "my", "have", "be", "not", "do", "can", "a", "in", "about", "please", "how", "why",
            "your", "just", "would", "should", "could", "there", "they", "from", "will", "when", "don't",
            "i'm", "it's", "we", "our", "at", "on", "so", "if", "an", "or", "but", "all", "give", "tell",
            "write", "help", "make", "know", "think", "me",
        ],
    ),
    (
        "sv",
        &[
            "och", "är", "jag", "det", "att", "inte", "en", "ett", "du", "som", "på", "med", "för", "har",
            "vad", "min", "mig", "kan", "hur", "jag", "om", "den",
        ],
    ),
    (
        "nb",
        &[
            "og", "er", "jeg", "det", "å", "ikke", "en", "et", "du", "som", "på", "med", "for", "har", "hva",
            "min", "meg", "kan", "hvordan", "om", "den", "av",
        ],
    ),
    (
        "da",
        &[
            "og", "er", "jeg", "det", "at", "ikke", "en", "et", "du", "som", "på", "med", "for", "har",
            "hvad", "min", "mig", "kan", "hvordan", "af",
        ],
    ),
    (
        "de",
        &[
            "und", "ist", "ich", "das", "die", "der", "nicht", "ein", "eine", "du", "mit", "für", "wie",
            "was", "mein", "mich", "kann", "zu", "auf",
        ],
    ),
    (
        "fr",
        &[
            "et", "est", "je", "le", "la", "les", "pas", "un", "une", "vous", "tu", "avec", "pour", "que",
            "mon", "moi", "des", "du", "ce",
        ],
    ),
    (
        "es",
        &[
            "y", "es", "yo", "el", "la", "los", "no", "un", "una", "que", "con", "para", "por", "mi", "me",
            "de", "del", "como", "pero",
        ],
    ),
    (
        "it",
        &[
            "e", "è", "io", "il", "la", "non", "un", "una", "che", "con", "per", "mi", "di", "del", "come",
            "ma", "sono",
        ],
    ),
    (
        "pt",
        &[
            "e", "é", "eu", "o", "a", "os", "não", "um", "uma", "que", "com", "para", "meu", "me", "de",
            "do", "como", "mas", "você",
        ],
    ),
    (
        "nl",
        &[
            "en", "is", "ik", "het", "de", "niet", "een", "je", "met", "voor", "wat", "mijn", "mij", "kan",
            "hoe", "van", "dat",
        ],
    ),
];

/// Guess the BCP 47 primary language subtag of some texts.
pub fn detect_language<S: AsRef<str>>(texts: &[S]) -> String {
    let (mut han, mut kana, mut hangul, mut cyr, mut arabic, mut letters) = (0, 0, 0, 0, 0, 0usize);
    let mut counts = vec![0usize; STOPWORDS.len()];
    for t in texts {
        let t = t.as_ref();
        for c in t.chars() {
            match c as u32 {
                0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
                0x3040..=0x30FF => kana += 1,
                0xAC00..=0xD7AF | 0x1100..=0x11FF => hangul += 1,
                0x0400..=0x04FF => cyr += 1,
                0x0600..=0x06FF => arabic += 1,
                _ => {}
            }
            if c.is_alphabetic() {
                letters += 1;
            }
        }
        for w in t
            .split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’'))
            .filter(|w| !w.is_empty())
        {
            let w = w.to_lowercase().replace('’', "'");
            for (i, (_, words)) in STOPWORDS.iter().enumerate() {
                if words.contains(&w.as_str()) {
                    counts[i] += 1;
                }
            }
        }
    }
    if letters == 0 {
        return "und".into();
    }
    let share = |n: usize| n as f64 / letters as f64;
    if share(kana) > 0.05 {
        return "ja".into();
    }
    if share(hangul) > 0.2 {
        return "ko".into();
    }
    if share(han) > 0.2 {
        return "zh".into();
    }
    if share(cyr) > 0.3 {
        return "ru".into();
    }
    if share(arabic) > 0.3 {
        return "ar".into();
    }
    let mut ranked: Vec<(usize, usize)> = counts.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (best, n) = ranked[0];
    let runner_up = ranked.get(1).map(|r| r.1).unwrap_or(0);
    // At least two hits and a clear lead (Scandinavian languages share many words).
    if n >= 2 && n as f64 >= runner_up as f64 * 1.2 && n > runner_up {
        STOPWORDS[best].0.into()
    } else {
        "und".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        assert_eq!(
            detect_language(&["I think that this is what you want to do with it"]),
            "en"
        );
        assert_eq!(
            detect_language(&["Jag är så ledsen och jag vet inte vad jag ska göra"]),
            "sv"
        );
        assert_eq!(
            detect_language(&["Yo no sé qué hacer con mi vida, pero es tarde"]),
            "es"
        );
        assert_eq!(detect_language(&["我今天很难过，不知道该怎么办"]), "zh");
        assert_eq!(detect_language(&["今日はとても悲しいです"]), "ja");
        assert_eq!(detect_language(&["12345 !!!"]), "und");
        assert_eq!(detect_language(&["ok"]), "und");
    }
}
