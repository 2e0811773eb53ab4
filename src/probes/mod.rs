//! The probe battery: types, loading from `probes/**/*.toml`, validation with
//! file:line:column, normalised hashing and filtering.
//!
//! A probe is one scripted conversation. The battery is the set of probes a run used; it is
//! stored (normalised) in every run directory as `battery.json`, so later stages never read
//! `probes/` again.

mod filter;
mod load;

pub use filter::ProbeFilter;
pub use load::{
    load_battery, load_battery_lenient, load_persona_card, parse_persona_card, parse_probe, Problem,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One probe conversation, normalised (strings trimmed, line endings `\n`, NFC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub id: String,
    pub category: String,
    pub title: String,
    /// One sentence: what this probe is designed to reveal.
    pub reveals: String,
    /// BCP 47 primary language subtag: `en`, `sv`, `nb`, `zh`, `es`, ...
    pub language: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<Persona>,
    pub turns: Vec<Turn>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_recall: Vec<Recall>,
}

/// A persona: a system prompt plus optional example exchanges placed before the
/// conversation (as companion apps' character cards have).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    /// The character's name, e.g. "Sarina"; used by persona-stability scoring.
    pub name: String,
    /// The system prompt.
    pub system: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Exchange>,
}

/// A fixed user/assistant exchange placed before the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub user: String,
    pub assistant: String,
}

/// One scripted user turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    pub user: String,
    /// This turn pushes back on the model's previous answer ("are you sure?"), so scoring
    /// can see whether the reply caves.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pushback: bool,
}

/// A fact the user gives in one turn that a warm, attentive reply would use later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recall {
    /// The fact as the user said it, e.g. "Biscuit".
    pub fact: String,
    /// Other acceptable forms (inflections, paraphrases), matched case-insensitively.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// 1-based user turn in which the fact is given.
    pub given_in_turn: usize,
    /// 1-based user turn from which replies are expected to use the fact.
    pub from_turn: usize,
}

impl Probe {
    /// Hash of the normalised content (not the file bytes): formatting, comments and key
    /// order in the TOML do not change it.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("probe serialises");
        hex::encode(Sha256::digest(&json))
    }

    /// Number of user turns.
    pub fn turn_count(&self) -> usize {
        self.turns.len()
    }
}

/// A set of probes, sorted by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Battery {
    pub probes: Vec<Probe>,
}

impl Battery {
    pub fn new(mut probes: Vec<Probe>) -> Self {
        probes.sort_by(|a, b| a.id.cmp(&b.id));
        Battery { probes }
    }

    /// The battery hash: of the sorted (id, probe hash) list.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for p in &self.probes {
            h.update(p.id.as_bytes());
            h.update(b":");
            h.update(p.hash().as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }

    /// The first 12 hex digits of the hash, for display.
    pub fn short_hash(&self) -> String {
        self.hash()[..12].to_string()
    }

    pub fn get(&self, id: &str) -> Option<&Probe> {
        self.probes
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.probes[i])
    }

    pub fn filter(&self, f: &ProbeFilter) -> Battery {
        Battery::new(self.probes.iter().filter(|p| f.matches(p)).cloned().collect())
    }

    /// The battery with `card` as the persona of every probe that has none of its own (what
    /// `run --persona` sends). Probes with their own persona keep it: it is part of what they
    /// test. The result hashes differently, so runs with and without a card are never paired
    /// as if they had seen the same conversations.
    pub fn with_default_persona(&self, card: &Persona) -> Battery {
        Battery::new(
            self.probes
                .iter()
                .cloned()
                .map(|mut p| {
                    if p.persona.is_none() {
                        p.persona = Some(card.clone());
                    }
                    p
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.probes.len()
    }
}

/// A probe loading or validation failure (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{}", render_problems(.0))]
    Invalid(Vec<Problem>),
    #[error("{}", render_problems(.0).replace("in the probe battery", "in the character card"))]
    InvalidCard(Vec<Problem>),
    #[error("cannot read probes from {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no probe files (*.toml) found under {0}")]
    Empty(String),
    #[error("no probe matches the filter {0:?}")]
    NothingMatches(String),
    #[error("bad --probes-filter {filter:?}: {reason}")]
    BadFilter { filter: String, reason: String },
    #[error("no probe with id {0:?} (see `persona-drift probes list`)")]
    UnknownId(String),
}

fn render_problems(problems: &[Problem]) -> String {
    let mut s = format!(
        "{} problem{} in the probe battery:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    s
}

/// The path of the bundled battery relative to the working directory, or the one compiled in.
pub fn default_probe_dir() -> std::path::PathBuf {
    std::path::PathBuf::from("probes")
}

/// Normalise a piece of probe text: NFC, `\r\n` to `\n`, trimmed.
pub(crate) fn normalise_text(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.replace("\r\n", "\n")
        .nfc()
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(id: &str) -> Probe {
        Probe {
            id: id.into(),
            category: "c".into(),
            title: "t".into(),
            reveals: "r.".into(),
            language: "en".into(),
            tags: vec![],
            persona: None,
            turns: vec![Turn {
                user: "hi".into(),
                pushback: false,
            }],
            expect_recall: vec![],
        }
    }

    #[test]
    fn battery_hash_ignores_input_order_but_not_content() {
        let a = Battery::new(vec![probe("a"), probe("b")]);
        let b = Battery::new(vec![probe("b"), probe("a")]);
        assert_eq!(a.hash(), b.hash());
        let mut p = probe("b");
        p.turns[0].user = "hello".into();
        let c = Battery::new(vec![probe("a"), p]);
        assert_ne!(a.hash(), c.hash());
        assert_eq!(a.short_hash().len(), 12);
    }

    #[test]
    fn get_finds_by_id() {
        let a = Battery::new(vec![probe("z"), probe("a"), probe("m")]);
        assert_eq!(a.get("m").unwrap().id, "m");
        assert!(a.get("q").is_none());
    }
}
