//! "What changed, in words": the unigrams and bigrams most over-represented in new replies relative to
//! old ones, and vice versa, by the weighted log-odds ratio with an informative Dirichlet prior
//! (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eq. 22), with z-scores and raw counts.
//!
//! For a term w with counts y_new, y_old in corpora of n_new, n_old terms and prior α_w:
//! δ_w = log((y_new + α_w) / (n_new + α_0 − y_new − α_w)) − log((y_old + α_w) / (n_old + α_0 − y_old − α_w)),
//! var(δ_w) ≈ 1/(y_new + α_w) + 1/(y_old + α_w), z_w = δ_w / sqrt(var).
//! The prior is the pooled corpus itself, scaled to a total mass α_0 (default 500: α_w = α_0 · (y_new +
//! y_old) / (n_new + n_old)); it shrinks rare terms towards "no difference", so a word seen twice
//! cannot top the list, while frequent words need a real shift to get a large |z|.
//!
//! Tokenisation is pure text and CJK-aware: lower-cased Unicode words (UAX #29); Han and kana
//! characters are split into single characters (Chinese and Japanese have no spaces), so
//! their bigrams are character bigrams. Bigrams never cross sentence punctuation or a line break.
//! Unigrams and bigrams are counted as separate vocabularies (each with its own n).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use unicode_segmentation::UnicodeSegmentation;

/// One term of a log-odds list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogOddsTerm {
    pub term: String,
    /// 1 for words, 2 for two-word phrases.
    pub ngram: u8,
    /// Log-odds ratio δ (new vs old; positive = more typical of new).
    pub log_odds: f64,
    /// δ / sd(δ).
    pub z: f64,
    pub count_old: u64,
    pub count_new: u64,
}

/// The two word lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordShift {
    /// Terms most over-represented in the new replies (highest z first).
    pub more_in_new: Vec<LogOddsTerm>,
    /// Terms most over-represented in the old replies (most negative z first).
    pub more_in_old: Vec<LogOddsTerm>,
    /// Total unigram tokens in old and new replies.
    pub tokens_old: u64,
    pub tokens_new: u64,
    /// Prior mass α_0 used.
    pub prior_mass: f64,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF // CJK ext A
        | 0x4E00..=0x9FFF // CJK unified
        | 0xF900..=0xFAFF // compatibility
        | 0x20000..=0x2FA1F)
}

/// Splits a text into segments (sentences / lines) of lower-cased tokens.
pub fn tokenize(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    for seg in text.split(['.', '!', '?', '\n', '。', '！', '？', ';', '；', ':', '：']) {
        let mut toks = Vec::new();
        for w in seg.unicode_words() {
            let w = w.to_lowercase();
            if w.chars().any(is_cjk) {
                let mut buf = String::new();
                for c in w.chars() {
                    if is_cjk(c) {
                        if !buf.is_empty() {
                            toks.push(std::mem::take(&mut buf));
                        }
                        toks.push(c.to_string());
                    } else {
                        buf.push(c);
                    }
                }
                if !buf.is_empty() {
                    toks.push(buf);
                }
            } else {
                toks.push(w);
            }
        }
        if !toks.is_empty() {
            segments.push(toks);
        }
    }
    segments
}

#[derive(Default)]
struct Counts {
    uni: HashMap<String, u64>,
    bi: HashMap<String, u64>,
    n_uni: u64,
    n_bi: u64,
}

fn count(texts: &[&str]) -> Counts {
    let mut c = Counts::default();
    for t in texts {
        for seg in tokenize(t) {
            for w in &seg {
                *c.uni.entry(w.clone()).or_default() += 1;
                c.n_uni += 1;
            }
            for pair in seg.windows(2) {
                let joiner = if pair[0].chars().all(is_cjk) && pair[1].chars().all(is_cjk) {
                    ""
                } else {
                    " "
                };
                *c.bi.entry(format!("{}{joiner}{}", pair[0], pair[1])).or_default() += 1;
                c.n_bi += 1;
            }
        }
    }
    c
}

fn score(
    old: &HashMap<String, u64>,
    new: &HashMap<String, u64>,
    n_old: u64,
    n_new: u64,
    a0: f64,
    ngram: u8,
    min_count: u64,
) -> Vec<LogOddsTerm> {
    let total = (n_old + n_new) as f64;
    if total == 0.0 {
        return Vec::new();
    }
    let mut terms: Vec<&String> = old.keys().chain(new.keys()).collect();
    terms.sort();
    terms.dedup();
    let (no, nn) = (n_old as f64, n_new as f64);
    terms
        .into_iter()
        .filter_map(|w| {
            let yo = *old.get(w).unwrap_or(&0);
            let yn = *new.get(w).unwrap_or(&0);
            if yo + yn < min_count {
                return None;
            }
            let a = a0 * (yo + yn) as f64 / total;
            let (yof, ynf) = (yo as f64, yn as f64);
            let delta = ((ynf + a) / (nn + a0 - ynf - a)).ln() - ((yof + a) / (no + a0 - yof - a)).ln();
            let var = 1.0 / (ynf + a) + 1.0 / (yof + a);
            Some(LogOddsTerm {
                term: w.clone(),
                ngram,
                log_odds: delta,
                z: delta / var.sqrt(),
                count_old: yo,
                count_new: yn,
            })
        })
        .collect()
}

/// The `top` terms each way (unigrams and bigrams together, ranked by z), counting only terms seen at
/// least `min_count` times in total. `prior_mass` is α_0 (see the module docs; 500 is a good default).
pub fn log_odds(old: &[&str], new: &[&str], top: usize, min_count: u64, prior_mass: f64) -> WordShift {
    let co = count(old);
    let cn = count(new);
    let mut all = score(&co.uni, &cn.uni, co.n_uni, cn.n_uni, prior_mass, 1, min_count);
    all.extend(score(&co.bi, &cn.bi, co.n_bi, cn.n_bi, prior_mass, 2, min_count));
    let by_z = |a: &LogOddsTerm, b: &LogOddsTerm| b.z.total_cmp(&a.z).then_with(|| a.term.cmp(&b.term));
    all.sort_by(by_z);
    let more_in_new: Vec<LogOddsTerm> = all.iter().filter(|t| t.z > 0.0).take(top).cloned().collect();
    let more_in_old: Vec<LogOddsTerm> = all
        .iter()
        .rev()
        .filter(|t| t.z < 0.0)
        .take(top)
        .cloned()
        .collect();
    WordShift {
        more_in_new,
        more_in_old,
        tokens_old: co.n_uni,
        tokens_new: cn.n_uni,
        prior_mass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_handles_cjk_and_sentences() {
        assert_eq!(
            tokenize("Hello, World! I'm fine.\nOK"),
            vec![vec!["hello", "world"], vec!["i'm", "fine"], vec!["ok"]]
        );
        assert_eq!(
            tokenize("我很好。你呢"),
            vec![vec!["我", "很", "好"], vec!["你", "呢"]]
        );
        assert_eq!(tokenize("GPT模型"), vec![vec!["gpt", "模", "型"]]);
    }

    #[test]
    fn hand_computed_log_odds() {
        // old: "a b" x1 ; new: "a a" -> unigrams old {a:1,b:1} n=2, new {a:2} n=2
        let ws = log_odds(&["a b"], &["a a"], 10, 1, 4.0);
        let a = ws.more_in_new.iter().find(|t| t.term == "a").unwrap();
        // alpha_a = 4 * 3/4 = 3; delta = ln((2+3)/(2+4-2-3)) - ln((1+3)/(2+4-1-3)) = ln 5 - ln 2
        let delta = 5f64.ln() - 2f64.ln();
        assert!((a.log_odds - delta).abs() < 1e-12);
        assert!((a.z - delta / (1.0 / 5.0 + 1.0 / 4.0f64).sqrt()).abs() < 1e-12);
        assert_eq!((a.count_old, a.count_new), (1, 2));
        let b = ws.more_in_old.iter().find(|t| t.term == "b").unwrap();
        assert!(b.z < 0.0 && b.count_old == 1 && b.count_new == 0);
        assert_eq!(ws.tokens_old, 2);
    }

    #[test]
    fn finds_the_words_that_changed() {
        let old: Vec<String> = (0..30)
            .map(|i| format!("Here is the answer number {i}. Let me know if you need anything else."))
            .collect();
        let new: Vec<String> = (0..30)
            .map(|i| format!("Oh sweetheart, here is the answer number {i}. I'm always here for you!"))
            .collect();
        let o: Vec<&str> = old.iter().map(|s| s.as_str()).collect();
        let n: Vec<&str> = new.iter().map(|s| s.as_str()).collect();
        let ws = log_odds(&o, &n, 5, 3, 500.0);
        let new_terms: Vec<&str> = ws.more_in_new.iter().map(|t| t.term.as_str()).collect();
        let old_terms: Vec<&str> = ws.more_in_old.iter().map(|t| t.term.as_str()).collect();
        assert!(
            new_terms.contains(&"sweetheart") || new_terms.contains(&"oh sweetheart"),
            "{new_terms:?}"
        );
        assert!(
            old_terms
                .iter()
                .any(|t| t.contains("anything") || t.contains("know")),
            "{old_terms:?}"
        );
        assert!(!new_terms.contains(&"answer") && !old_terms.contains(&"answer"));
        assert!(ws.more_in_new.windows(2).all(|w| w[0].z >= w[1].z));
        assert!(ws.more_in_old.windows(2).all(|w| w[0].z <= w[1].z));
    }

    #[test]
    fn identical_corpora_have_zero_log_odds() {
        let ws = log_odds(&["same words here"], &["same words here"], 5, 1, 10.0);
        assert!(ws.more_in_new.is_empty() && ws.more_in_old.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn swapping_corpora_negates_z(a in "[a-d ]{0,40}", b in "[a-d ]{0,40}") {
            let x = log_odds(&[&a], &[&b], 100, 1, 10.0);
            let y = log_odds(&[&b], &[&a], 100, 1, 10.0);
            for t in &x.more_in_new {
                let u = y.more_in_old.iter().find(|u| u.term == t.term).unwrap();
                proptest::prop_assert!((t.z + u.z).abs() < 1e-9);
            }
        }
    }
}
