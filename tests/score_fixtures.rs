//! Orderings on the labelled fixture set (tests/fixtures/labelled_replies.toml): each metric
//! must rank the replies the way a reader would.

use persona_drift::probes::{Persona, Recall};
use persona_drift::score::{metrics, score_reply, ReplyInput};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

#[derive(Deserialize)]
struct Fixture {
    reply: Vec<Reply>,
    order: Vec<Order>,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
    lang: String,
    topic: String,
    tone: String,
    length: String,
    prompt: String,
    text: String,
    #[serde(default)]
    persona: Option<String>,
    #[serde(default)]
    pushback: bool,
    #[serde(default)]
    previous: Option<String>,
    #[serde(default)]
    recall: Vec<String>,
}

#[derive(Deserialize)]
struct Order {
    metric: String,
    pairs: Vec<[String; 2]>,
}

fn load() -> Fixture {
    let text = include_str!("fixtures/labelled_replies.toml");
    toml::from_str(text).expect("fixture parses")
}

fn score_all(f: &Fixture) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for r in &f.reply {
        let persona = r.persona.as_ref().map(|n| Persona {
            name: n.clone(),
            system: String::new(),
            examples: vec![],
        });
        let recall: Vec<Recall> = r
            .recall
            .iter()
            .map(|s| {
                let mut parts = s.split('|').map(String::from);
                Recall {
                    fact: parts.next().unwrap(),
                    variants: parts.collect(),
                    given_in_turn: 1,
                    from_turn: 1,
                }
            })
            .collect();
        let input = ReplyInput {
            content: &r.text,
            prompt: &r.prompt,
            language: &r.lang,
            usage_tokens: None,
            persona: persona.as_ref(),
            pushback: r.pushback,
            previous: r.previous.as_deref(),
            recall: recall.iter().collect(),
            user_name: None,
        };
        out.insert(r.id.clone(), score_reply(&input));
    }
    out
}

#[test]
fn the_fixture_set_covers_what_the_issue_asks() {
    let f = load();
    assert!(f.reply.len() >= 60, "{} replies", f.reply.len());
    let ids: HashSet<&str> = f.reply.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), f.reply.len(), "duplicate ids");
    let langs: HashSet<&str> = f.reply.iter().map(|r| r.lang.as_str()).collect();
    for l in ["en", "sv", "nb", "zh", "es"] {
        assert!(langs.contains(l), "no {l} replies");
    }
    let tones: HashSet<&str> = f.reply.iter().map(|r| r.tone.as_str()).collect();
    assert_eq!(tones, HashSet::from(["warm", "neutral", "cold"]));
    let lengths: HashSet<&str> = f.reply.iter().map(|r| r.length.as_str()).collect();
    assert_eq!(lengths, HashSet::from(["terse", "verbose"]));
    let topics: HashSet<&str> = f.reply.iter().map(|r| r.topic.as_str()).collect();
    assert!(topics.len() >= 8, "{topics:?}");
    for o in &f.order {
        for [a, b] in &o.pairs {
            assert!(
                ids.contains(a.as_str()) && ids.contains(b.as_str()),
                "unknown id in {a} / {b}"
            );
        }
    }
}

#[test]
fn every_expected_ordering_holds() {
    let f = load();
    let scores = score_all(&f);
    let known: HashSet<String> = metrics().into_iter().map(|m| m.id).collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for o in &f.order {
        assert!(
            known.contains(&o.metric),
            "fixture names unknown metric {}",
            o.metric
        );
        for [hi, lo] in &o.pairs {
            let h = scores[hi].get(&o.metric);
            let l = scores[lo].get(&o.metric);
            checked += 1;
            match (h, l) {
                (Some(h), Some(l)) if h > l => {}
                _ => failures.push(format!("{}: expected {hi} ({h:?}) > {lo} ({l:?})", o.metric)),
            }
        }
    }
    assert!(checked >= 60, "only {checked} orderings");
    assert!(
        failures.is_empty(),
        "{} of {checked} orderings failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn warmth_is_a_density_so_shorter_is_not_colder() {
    // The same warm reply padded with neutral text has more words but the same warm markers:
    // raw totals stay equal, the per-100-words dimension drops.
    let base = "I'm so sorry, that sounds really hard. I'm here for you.";
    let padded =
        format!("{base} The bus leaves at nine and the station is near the park on the east side of town.");
    let s = |t: &str| {
        score_reply(&ReplyInput {
            content: t,
            prompt: "x",
            language: "en",
            ..Default::default()
        })
    };
    let (a, b) = (s(base), s(&padded));
    assert_eq!(a["warmth_markers"], b["warmth_markers"]);
    assert!(a["dim.warmth"] > b["dim.warmth"]);
    assert!(b["words"] > a["words"]);
}

#[test]
fn languages_without_a_lexicon_are_not_applicable_never_zero() {
    let s = score_reply(&ReplyInput {
        content: "Das klingt wirklich schwer. Ich bin für dich da.",
        prompt: "x",
        language: "de",
        ..Default::default()
    });
    for id in [
        "dim.warmth",
        "empathy",
        "vader_compound",
        "flesch_reading_ease",
        "dim.formality",
    ] {
        assert!(!s.contains_key(id), "{id} should be absent for German: {s:?}");
    }
    assert!(s["words"] > 0.0 && s.contains_key("dim.verbosity") && s.contains_key("dim.structure"));
    // Readability is English only.
    let zh = score_reply(&ReplyInput {
        content: "我很高兴认识你。你好吗？",
        prompt: "x",
        language: "zh",
        ..Default::default()
    });
    assert!(!zh.contains_key("flesch_reading_ease") && !zh.contains_key("fk_grade"));
    assert_eq!(zh["words"], 10.0);
    assert!(zh.contains_key("dim.warmth"));
}

#[test]
fn tokens_say_whether_they_were_reported_or_estimated() {
    let mut input = ReplyInput {
        content: "Hello there, friend.",
        prompt: "hi",
        language: "en",
        ..Default::default()
    };
    let est = score_reply(&input);
    assert_eq!(est["tokens_estimated"], 1.0);
    input.usage_tokens = Some(7);
    let rep = score_reply(&input);
    assert_eq!((rep["tokens"], rep["tokens_estimated"]), (7.0, 0.0));
}

/// Print the dimensions of every fixture reply: `cargo test --test score_fixtures print_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_table() {
    let f = load();
    let s = score_all(&f);
    for (id, v) in &s {
        let g = |k: &str| v.get(k).map(|x| format!("{x:.1}")).unwrap_or("-".into());
        println!(
            "{id:<22} warm {:>5} verb {:>5} struct {:>4} eng {:>4} play {:>5} form {:>5} syc {:>3} pers {:>3} cold {:>3}",
            g("dim.warmth"), g("dim.verbosity"), g("dim.structure"), g("dim.engagement"), g("dim.playfulness"),
            g("dim.formality"), g("dim.sycophancy"), g("dim.persona_stability"), g("coldness_markers")
        );
    }
}
