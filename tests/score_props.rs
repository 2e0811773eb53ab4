//! Property tests: scoring never panics and every value is finite, on any input.

use persona_drift::probes::{Persona, Recall};
use persona_drift::score::{score_reply, ReplyInput};
use proptest::prelude::*;
use std::collections::BTreeMap;

const LANGS: &[&str] = &[
    "en", "sv", "nb", "no", "zh", "es", "de", "", "und", "zh-Hant", "EN-gb",
];

fn score_all_ways(text: &str, prompt: &str) -> Vec<BTreeMap<String, f64>> {
    let persona = Persona {
        name: "Sarina".into(),
        system: String::new(),
        examples: vec![],
    };
    let recall = Recall {
        fact: "Biscuit".into(),
        variants: vec!["饼干".into(), "".into()],
        given_in_turn: 1,
        from_turn: 1,
    };
    LANGS
        .iter()
        .map(|lang| {
            score_reply(&ReplyInput {
                content: text,
                prompt,
                language: lang,
                usage_tokens: None,
                persona: Some(&persona),
                pushback: true,
                previous: Some(prompt),
                recall: vec![&recall],
                user_name: Some("Lena"),
            })
        })
        .collect()
}

fn assert_finite(all: &[BTreeMap<String, f64>]) {
    for m in all {
        assert!(m.contains_key("words") && m.contains_key("chars"));
        for (k, v) in m {
            assert!(v.is_finite(), "{k} = {v}");
            if !k.starts_with("vader") && !k.starts_with("flesch") && !k.starts_with("fk_") {
                assert!(*v >= 0.0, "{k} = {v} is negative");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_unicode_string(text in "\\PC*", prompt in "\\PC{0,40}") {
        assert_finite(&score_all_ways(&text, &prompt));
    }

    #[test]
    fn any_markdown_and_emoji_soup(parts in proptest::collection::vec(prop_oneof![
        Just("# "), Just("## h\n"), Just("- "), Just("* "), Just("1. "), Just("**"), Just("__"), Just("```"),
        Just("~~~"), Just("|---|---|\n"), Just("| a | b |\n"), Just("\n"), Just("\n\n"), Just("😊"), Just("❤️"),
        Just("🇸🇪"), Just("!"), Just("?"), Just("。"), Just("..."), Just("Dr."), Just("3.5"), Just("I'm sorry"),
        Just("你好"), Just("'"), Just("\u{200d}"), Just("\u{fe0f}"), Just(" "), Just("\t"), Just("as an AI"),
    ], 0..200)) {
        let text: String = parts.concat();
        assert_finite(&score_all_ways(&text, &text));
    }
}

#[test]
fn empty_string() {
    let all = score_all_ways("", "");
    assert_finite(&all);
    for m in &all {
        assert_eq!(m["words"], 0.0);
        // Rates per 100 words are not applicable with no words, never zero or infinite.
        assert!(!m.contains_key("dim.warmth") && !m.contains_key("emoji_per_100w"));
    }
}

#[test]
fn one_megabyte_of_text() {
    let unit =
        "Oh no, that sounds really hard! I'm here for you. **Dr. Smith** said 3.5 mg. 你好吗？😊\n- item\n\n";
    let text = unit.repeat(1_000_000 / unit.len() + 1);
    assert!(text.len() >= 1_000_000);
    let all = score_all_ways(&text, "hi");
    assert_finite(&all);
    assert!(all[0]["words"] > 100_000.0);
}

#[test]
fn all_emoji_and_all_markdown() {
    assert_finite(&score_all_ways(&"😊🎉❤️🇸🇪👩‍👩‍👧".repeat(5000), "x"));
    assert_finite(&score_all_ways(
        &"# h\n- a\n1. b\n**c**\n```\ncode\n```\n|a|\n|---|\n".repeat(5000),
        "x",
    ));
    assert_finite(&score_all_ways(&"```".repeat(3), "x"));
}
