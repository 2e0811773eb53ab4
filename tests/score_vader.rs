//! Golden tests: our VADER compound equals Python vaderSentiment 3.3.2 exactly.
//!
//! Values produced on 2026-11-28 with:
//!
//! ```text
//! pip install vaderSentiment==3.3.2        # (scripts/score-setup.sh installs it)
//! python3 - <<'PY'
//! from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
//! import json
//! a = SentimentIntensityAnalyzer()
//! for t in TEXTS:            # the texts of GOLDEN below, in order
//!     print(json.dumps(t, ensure_ascii=False), a.polarity_scores(t)["compound"])
//! PY
//! ```

use persona_drift::score::compute::vader_compound;
use persona_drift::score::{score_reply, ReplyInput};

const GOLDEN: &[(&str, f64)] = &[
    ("Oh no, I'm so sorry. That sounds really hard, and it makes sense that you can't focus right now. Be gentle with yourself this week. I'm here for you. Do you want to tell me a little about her? 💛", 0.7154),
    ("As an AI, I do not have personal experiences of loss. It is important to note that difficulty concentrating is a common symptom of grief.", -0.7269),
    ("You've got this!!! I'm SO proud of you 😊🎉", 0.938),
    ("The meeting is at 3pm.", 0.0),
    ("I don't hate it, but it isn't great either.", -0.5334),
    ("Aw, that's so frustrating, I'm sorry! You were brave to try again, and you're doing better than you think.", 0.3154),
    ("Honestly? It's the worst idea I've heard, lol 😂", 0.5574),
    ("he is at least smart", 0.4019),
    ("Sending hugs ❤️ take care of yourself, sweetie.", 0.8625),
    ("", 0.0),
];

#[test]
fn vader_compound_matches_python_vadersentiment_exactly() {
    for (text, want) in GOLDEN {
        assert_eq!(vader_compound(text), *want, "{text:?}");
    }
}

#[test]
fn the_vader_metric_is_the_compound_of_the_reply_prose() {
    for (text, want) in GOLDEN.iter().filter(|(t, _)| !t.is_empty()) {
        let s = score_reply(&ReplyInput {
            content: text,
            prompt: "hi",
            language: "en",
            ..Default::default()
        });
        assert_eq!(s["vader_compound"], *want, "{text:?}");
    }
    // English only: a Spanish reply has no VADER value (the lexicon is English).
    let es = score_reply(&ReplyInput {
        content: "¡Qué alegría!",
        prompt: "x",
        language: "es",
        ..Default::default()
    });
    assert!(!es.contains_key("vader_compound"));
}
