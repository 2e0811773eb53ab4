//! Marker lexicons: phrase lists per language and category, compiled once into one
//! Aho-Corasick automaton per language.
//!
//! File format (`src/score/lexicons/<lang>.txt`): `# comment` lines, `[category]` headers, one
//! lower-case phrase per line. `{a|b|}` expands to alternatives (an empty alternative makes
//! the group optional); a trailing `*` matches any word ending ("congratulat*"). Phrases of
//! letters must match whole words; CJK phrases match anywhere.

use super::text::{is_cjk, Lang};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use once_cell::sync::Lazy;

/// Marker categories. The order is the index into [`Counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Cat {
    Empathy,
    Affection,
    Encouragement,
    Gratitude,
    Apology,
    WarmOpen,
    WarmClose,
    AiDisclaimer,
    Refusal,
    Referral,
    Clinical,
    Hedge,
    Certainty,
    Feeling,
    Humour,
    Slang,
    Formal,
    Invite,
    Flattery,
    Agreement,
    Disagreement,
    Concession,
    HoldFirm,
    PersonaBreak,
    You,
}

pub const N_CATS: usize = 25;

impl Cat {
    pub const ALL: [Cat; N_CATS] = [
        Cat::Empathy,
        Cat::Affection,
        Cat::Encouragement,
        Cat::Gratitude,
        Cat::Apology,
        Cat::WarmOpen,
        Cat::WarmClose,
        Cat::AiDisclaimer,
        Cat::Refusal,
        Cat::Referral,
        Cat::Clinical,
        Cat::Hedge,
        Cat::Certainty,
        Cat::Feeling,
        Cat::Humour,
        Cat::Slang,
        Cat::Formal,
        Cat::Invite,
        Cat::Flattery,
        Cat::Agreement,
        Cat::Disagreement,
        Cat::Concession,
        Cat::HoldFirm,
        Cat::PersonaBreak,
        Cat::You,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cat::Empathy => "empathy",
            Cat::Affection => "affection",
            Cat::Encouragement => "encouragement",
            Cat::Gratitude => "gratitude",
            Cat::Apology => "apology",
            Cat::WarmOpen => "warm_opening",
            Cat::WarmClose => "warm_closing",
            Cat::AiDisclaimer => "ai_disclaimer",
            Cat::Refusal => "refusal",
            Cat::Referral => "referral",
            Cat::Clinical => "clinical",
            Cat::Hedge => "hedge",
            Cat::Certainty => "certainty",
            Cat::Feeling => "feeling",
            Cat::Humour => "humour",
            Cat::Slang => "slang",
            Cat::Formal => "formal",
            Cat::Invite => "invite",
            Cat::Flattery => "flattery",
            Cat::Agreement => "agreement",
            Cat::Disagreement => "disagreement",
            Cat::Concession => "concession",
            Cat::HoldFirm => "hold_firm",
            Cat::PersonaBreak => "persona_break",
            Cat::You => "you",
        }
    }

    fn from_name(s: &str) -> Option<Cat> {
        Cat::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Marker counts per category for one text.
pub type Counts = [u32; N_CATS];

struct Pattern {
    cat: Cat,
    left_boundary: bool,
    right_boundary: bool,
}

/// Categories are matched in four independent passes (warmth and coldness; sycophancy and persona; address; style) so that a phrase of one group never
/// hides a phrase of another (e.g. "you" inside "you're absolutely right").
fn pass_of(cat: Cat) -> usize {
    match cat {
        Cat::You => 2,
        Cat::Flattery
        | Cat::Agreement
        | Cat::Disagreement
        | Cat::Concession
        | Cat::HoldFirm
        | Cat::PersonaBreak => 1,
        Cat::Hedge | Cat::Certainty | Cat::Feeling | Cat::Humour | Cat::Slang | Cat::Formal | Cat::Invite => {
            3
        }
        _ => 0,
    }
}

const PASSES: usize = 4;

/// One language's compiled lexicon.
pub struct Lexicon {
    ac: Vec<AhoCorasick>,
    patterns: Vec<Vec<Pattern>>,
    /// Which categories have at least one phrase in this language.
    pub has: [bool; N_CATS],
}

pub const EN: &str = include_str!("lexicons/en.txt");
pub const SV: &str = include_str!("lexicons/sv.txt");
pub const NB: &str = include_str!("lexicons/nb.txt");
pub const ZH: &str = include_str!("lexicons/zh.txt");
pub const ES: &str = include_str!("lexicons/es.txt");

static LEXICONS: Lazy<[Lexicon; 5]> = Lazy::new(|| {
    [
        Lexicon::parse(EN).expect("en lexicon"),
        Lexicon::parse(SV).expect("sv lexicon"),
        Lexicon::parse(NB).expect("nb lexicon"),
        Lexicon::parse(ZH).expect("zh lexicon"),
        Lexicon::parse(ES).expect("es lexicon"),
    ]
});

pub fn lexicon(lang: Lang) -> &'static Lexicon {
    let i = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    &LEXICONS[i]
}

/// Expand `{a|b|}` groups.
fn expand(phrase: &str) -> Vec<String> {
    let Some(open) = phrase.find('{') else {
        return vec![phrase.to_string()];
    };
    let Some(close_rel) = phrase[open..].find('}') else {
        return vec![phrase.to_string()];
    };
    let close = open + close_rel;
    let mut out = Vec::new();
    for alt in phrase[open + 1..close].split('|') {
        let joined = format!("{}{}{}", &phrase[..open], alt, &phrase[close + 1..]);
        for e in expand(&joined) {
            out.push(e.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out
}

impl Lexicon {
    /// Parse a lexicon file; an unknown category or a phrase outside a section is an error
    /// naming the line.
    pub fn parse(src: &str) -> Result<Lexicon, String> {
        let mut cat: Option<Cat> = None;
        let mut strings: Vec<Vec<String>> = vec![Vec::new(); PASSES];
        let mut patterns: Vec<Vec<Pattern>> = (0..PASSES).map(|_| Vec::new()).collect();
        let mut has = [false; N_CATS];
        for (i, raw) in src.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                cat = Some(
                    Cat::from_name(name)
                        .ok_or_else(|| format!("line {}: unknown category [{name}]", i + 1))?,
                );
                continue;
            }
            let c = cat.ok_or_else(|| format!("line {}: phrase before any [category]", i + 1))?;
            for p in expand(&line.to_lowercase()) {
                let (p, prefix) = match p.strip_suffix('*') {
                    Some(s) => (s.to_string(), true),
                    None => (p, false),
                };
                if p.is_empty() {
                    continue;
                }
                let first = p.chars().next().unwrap_or(' ');
                let last = p.chars().last().unwrap_or(' ');
                let pass = pass_of(c);
                patterns[pass].push(Pattern {
                    cat: c,
                    left_boundary: first.is_alphanumeric() && !is_cjk(first),
                    right_boundary: !prefix && last.is_alphanumeric() && !is_cjk(last),
                });
                has[c as usize] = true;
                strings[pass].push(p);
            }
        }
        let mut ac = Vec::with_capacity(PASSES);
        for s in &strings {
            ac.push(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(s)
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(Lexicon { ac, patterns, has })
    }

    /// Count markers in normalised text (see [`super::text::normalise_for_matching`]).
    /// Warm openings count only in the first 100 bytes, warm closings only in the last 120.
    pub fn count(&self, norm: &str) -> Counts {
        let mut counts = [0u32; N_CATS];
        let bytes = norm.as_bytes();
        let len = norm.len();
        for (ac, patterns) in self.ac.iter().zip(&self.patterns) {
            for m in ac.find_iter(norm) {
                let p = &patterns[m.pattern().as_usize()];
                if p.left_boundary && m.start() > 0 {
                    let prev = norm[..m.start()].chars().next_back().unwrap_or(' ');
                    if prev.is_alphanumeric() && !is_cjk(prev) {
                        continue;
                    }
                }
                if p.right_boundary && m.end() < bytes.len() {
                    let next = norm[m.end()..].chars().next().unwrap_or(' ');
                    if next.is_alphanumeric() && !is_cjk(next) {
                        continue;
                    }
                }
                match p.cat {
                    Cat::WarmOpen if m.start() > 100 => continue,
                    Cat::WarmClose if m.end() + 120 < len => continue,
                    _ => {}
                }
                counts[p.cat as usize] += 1;
            }
        }
        counts
    }

    /// Phrases for one category (for documentation and tests).
    pub fn phrase_count(&self, cat: Cat) -> usize {
        self.patterns.iter().flatten().filter(|p| p.cat == cat).count()
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::normalise_for_matching;
    use super::*;

    fn count(lang: Lang, text: &str, cat: Cat) -> u32 {
        let mut n = String::new();
        normalise_for_matching(text, &mut n);
        lexicon(lang).count(&n)[cat as usize]
    }

    #[test]
    fn every_lexicon_parses_and_has_the_core_categories() {
        for lang in Lang::ALL {
            let lx = lexicon(lang);
            for cat in [
                Cat::Empathy,
                Cat::Affection,
                Cat::Encouragement,
                Cat::Gratitude,
                Cat::Apology,
                Cat::WarmOpen,
                Cat::WarmClose,
                Cat::AiDisclaimer,
                Cat::Refusal,
                Cat::Referral,
                Cat::Clinical,
                Cat::PersonaBreak,
                Cat::You,
                Cat::Flattery,
                Cat::Hedge,
                Cat::Humour,
                Cat::Formal,
                Cat::Slang,
            ] {
                assert!(lx.has[cat as usize], "{lang:?} has no [{}]", cat.name());
            }
        }
    }

    #[test]
    fn expansion_and_boundaries() {
        assert_eq!(
            expand("that sounds {really |so |}hard"),
            vec![
                "that sounds really hard",
                "that sounds so hard",
                "that sounds hard"
            ]
        );
        assert_eq!(count(Lang::En, "That sounds really hard.", Cat::Empathy), 1);
        // "you" must not match inside "young" or "bayou".
        assert_eq!(count(Lang::En, "young bayou", Cat::You), 0);
        assert_eq!(count(Lang::En, "You and your dog", Cat::You), 2);
        assert_eq!(count(Lang::Zh, "我知道你很难过", Cat::You), 1);
        assert_eq!(count(Lang::En, "I’m just a language model", Cat::PersonaBreak), 1);
    }

    #[test]
    fn a_bad_lexicon_names_the_line() {
        let e = Lexicon::parse("[empathy]\nok\n[nonsense]\nx").err().unwrap();
        assert!(e.contains("line 3"), "{e}");
        let e = Lexicon::parse("orphan").err().unwrap();
        assert!(e.contains("line 1"), "{e}");
    }
}
