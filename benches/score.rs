//! Scoring throughput: replies scored per second, single thread, on 10,000 generated replies
//! of 50-300 words (mixed warm / neutral / cold phrasing, some markdown, some emoji).
//!
//! Run: `cargo bench --bench score` (writes the corpus to target/score-bench-corpus.jsonl),
//! then the Python baseline on the same corpus:
//! `scripts/score-setup.sh && python3 benches/score_python.py target/score-bench-corpus.jsonl`.

use persona_drift::score::{score_reply, ReplyInput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::time::Instant;

const WORDS: &[&str] = &[
    "the",
    "a",
    "you",
    "your",
    "day",
    "work",
    "time",
    "feel",
    "really",
    "think",
    "maybe",
    "plan",
    "walk",
    "dog",
    "evening",
    "little",
    "help",
    "tomorrow",
    "sleep",
    "water",
    "friend",
    "call",
    "try",
    "start",
    "small",
    "step",
    "because",
    "when",
    "and",
    "but",
    "so",
    "with",
    "about",
    "this",
    "that",
    "it",
    "is",
    "can",
    "could",
    "would",
    "important",
    "consider",
    "individuals",
    "approach",
    "garden",
    "music",
    "kitchen",
    "morning",
    "coffee",
];
const PHRASES: &[&str] = &[
    "That sounds really hard.",
    "I'm so sorry to hear that.",
    "You've got this!",
    "Thank you for sharing.",
    "As an AI, I don't have feelings.",
    "It is important to note that",
    "Take care of yourself.",
    "Great question!",
    "What do you think?",
    "haha",
    "Dr. Smith said 3.5 mg.",
    "😊",
    "❤️",
    "I think",
];

fn corpus(n: usize) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    (0..n)
        .map(|_| {
            let target = rng.gen_range(50..=300);
            let mut s = String::new();
            let mut words = 0;
            let markdown = rng.gen_bool(0.2);
            if markdown {
                s.push_str("## Plan\n\n");
            }
            while words < target {
                if rng.gen_bool(0.08) {
                    let p = PHRASES[rng.gen_range(0..PHRASES.len())];
                    s.push_str(p);
                    s.push(' ');
                    words += p.split_whitespace().count();
                    continue;
                }
                let len = rng.gen_range(5..15).min(target - words);
                if markdown && rng.gen_bool(0.3) {
                    s.push_str("\n- ");
                }
                for i in 0..len {
                    let w = WORDS[rng.gen_range(0..WORDS.len())];
                    if i == 0 {
                        let mut c = w.chars();
                        let first = c.next().unwrap().to_uppercase().collect::<String>();
                        s.push_str(&first);
                        s.push_str(c.as_str());
                    } else {
                        s.push_str(w);
                    }
                    s.push(if i + 1 == len { '.' } else { ' ' });
                }
                words += len;
                s.push(if rng.gen_bool(0.15) { '\n' } else { ' ' });
                if rng.gen_bool(0.1) {
                    s.push('\n');
                }
            }
            s.trim().to_string()
        })
        .collect()
}

fn main() {
    let replies = corpus(10_000);
    // The same corpus for the Python baseline.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/score-bench-corpus.jsonl");
    if let Ok(mut f) = std::fs::File::create(&path) {
        for r in &replies {
            let _ = writeln!(f, "{}", serde_json::to_string(r).unwrap());
        }
    }
    let words: usize = replies.iter().map(|r| r.split_whitespace().count()).sum();
    let input = |r: &'static str| ReplyInput {
        content: r,
        prompt: "How was your day? I had a long one at work.",
        language: "en",
        ..Default::default()
    };
    let replies: Vec<&'static str> = replies
        .into_iter()
        .map(|s| &*Box::leak(s.into_boxed_str()))
        .collect();
    // Warm-up (lexicons, VADER tables, regexes).
    let mut sink = 0.0;
    for r in replies.iter().take(200) {
        sink += score_reply(&input(r)).len() as f64;
    }
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for r in &replies {
            let s = score_reply(&input(r));
            sink += s.get("dim.warmth").copied().unwrap_or(0.0);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    // Without VADER, to show where the time goes.
    println!(
        "score: {} replies ({} words, mean {:.0}) in {:.3} s (best of 3, 1 thread) = {:.0} replies/s  [checksum {:.1}]",
        replies.len(),
        words,
        words as f64 / replies.len() as f64,
        best,
        replies.len() as f64 / best,
        sink
    );
    let t = Instant::now();
    for r in &replies {
        sink += persona_drift::score::compute::vader_compound(r);
    }
    let v = t.elapsed().as_secs_f64();
    println!(
        "  of which VADER alone: {:.3} s = {:.0} replies/s  [checksum {:.1}]",
        v,
        replies.len() as f64 / v,
        sink
    );
    // Where the time goes: shared analysis (Ctx) and each computation unit.
    use persona_drift::score::compute::{compute, Ctx};
    use persona_drift::score::registry::Unit;
    let inputs: Vec<ReplyInput> = replies.iter().map(|r| input(r)).collect();
    let t = Instant::now();
    let ctxs: Vec<Ctx> = inputs.iter().map(Ctx::new).collect();
    println!(
        "  shared analysis (code removal, tokens, lexicons, sentences): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    for u in Unit::ALL {
        let t = Instant::now();
        let mut n = 0;
        for cx in &ctxs {
            let mut m = std::collections::BTreeMap::new();
            compute(u, cx, &mut m);
            n += m.len();
        }
        println!(
            "  unit {:<12} {:.3} s  [{} values]",
            u.name(),
            t.elapsed().as_secs_f64(),
            n
        );
    }
    println!("  corpus written to {}", path.display());
}
