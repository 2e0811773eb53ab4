//! Integration tests on the real all-MiniLM-L6-v2 model.
//!
//! The model is found by the normal resolution (--embed-model / PERSONA_DRIFT_EMBED_MODEL / the user
//! cache; never downloaded here). Without it, these tests print a skip message and pass, unless
//! CI=true, where they fail. Install it with scripts/install-embed-model.sh.
//!
//! Reference vectors: tests/fixtures/minilm_reference.json, computed with sentence-transformers 6.2.0
//! and torch 2.15.0 (CPU) by
//!     scripts/install-sentence-transformers.sh
//!     python3 tests/fixtures/minilm_reference.py > tests/fixtures/minilm_reference.json

use persona_drift::embed::resolve::{resolve_model_dir, ResolveOptions};
use persona_drift::embed::stats::{cosine_distance, dot};
use persona_drift::embed::{Embedder, LocalEmbedder, LocalOptions, WarmthDirection};
use std::sync::OnceLock;

fn model() -> Option<&'static LocalEmbedder> {
    static MODEL: OnceLock<Option<LocalEmbedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let mut ro = ResolveOptions::from_env();
            ro.offline = true;
            match resolve_model_dir(&ro) {
                Ok(dir) => Some(LocalEmbedder::load(&dir, LocalOptions::default()).expect("model loads")),
                Err(e) => {
                    if std::env::var("CI").as_deref() == Ok("true") {
                        panic!("CI=true but the embedding model is not installed: {e:#}");
                    }
                    eprintln!(
                        "SKIP: embedding model not installed (run scripts/install-embed-model.sh): {e:#}"
                    );
                    None
                }
            }
        })
        .as_ref()
}

#[derive(serde::Deserialize)]
struct Reference {
    cases: Vec<Case>,
}
#[derive(serde::Deserialize)]
struct Case {
    text: String,
    tokens: usize,
    vector: Vec<f32>,
}

#[test]
fn matches_sentence_transformers() {
    let Some(m) = model() else { return };
    let r: Reference = serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap();
    let texts: Vec<&str> = r.cases.iter().map(|c| c.text.as_str()).collect();
    // together in one padded batch, and one at a time: both must match
    let batch = m.embed(&texts).unwrap();
    let mut worst = 0f32;
    for (c, v) in r.cases.iter().zip(&batch) {
        assert_eq!(
            m.windows(&c.text).unwrap()[0].len(),
            c.tokens,
            "token count of {:?}",
            c.text
        );
        let single = &m.embed(&[&c.text]).unwrap()[0];
        assert_eq!(v.len(), 384);
        for ((a, b), s) in v.iter().zip(&c.vector).zip(single) {
            worst = worst.max((a - b).abs()).max((s - b).abs());
        }
    }
    eprintln!("max |candle - sentence-transformers| per component: {worst:e}");
    assert!(worst < 2e-5, "max component difference {worst}");
}

#[test]
fn long_texts_are_chunked_not_truncated() {
    let Some(m) = model() else { return };
    let first = "The garden needs water every morning in summer. ".repeat(30);
    let second = "Quarterly tax filings are due at the end of the month. ".repeat(30);
    let long = format!("{first}{second}");
    let windows = m.windows(&long).unwrap();
    assert!(windows.len() >= 3, "{} windows", windows.len());
    assert!(windows.iter().all(|w| w.len() <= 256));
    let v = &m.embed(&[&long]).unwrap()[0];
    assert!((dot(v, v) - 1.0).abs() < 1e-5);
    // the result is the re-normalised mean of the window vectors
    let wv = m.embed_windows(&windows).unwrap();
    let mut mean = vec![0f32; 384];
    for w in &wv {
        for (a, x) in mean.iter_mut().zip(w) {
            *a += x / wv.len() as f32;
        }
    }
    let mean = persona_drift::embed::local::normalise(mean);
    assert!(cosine_distance(v, &mean) < 1e-6);
    // truncating would have kept only the garden part: the tax part must be visible
    let tax = &m
        .embed(&["Quarterly tax filings are due at the end of the month."])
        .unwrap()[0];
    let garden_only = &wv[0];
    assert!(
        dot(v, tax) > dot(garden_only, tax) + 0.1,
        "{} vs {}",
        dot(v, tax),
        dot(garden_only, tax)
    );
}

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let Some(m) = model() else { return };
    let pairs = [
        (
            "I'm so sorry for your loss.",
            "My condolences, I'm sad to hear that someone you loved died.",
        ),
        (
            "How do I reset my password?",
            "What are the steps to change a forgotten password?",
        ),
        (
            "The weather is lovely today.",
            "It's a beautiful sunny day outside.",
        ),
        ("Please restart the computer.", "Turn your PC off and on again."),
        ("She is learning to play the violin.", "She takes violin lessons."),
        (
            "This soup is far too salty.",
            "There is way too much salt in this soup.",
        ),
    ];
    let texts: Vec<&str> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let v = m.embed(&texts).unwrap();
    for i in 0..pairs.len() {
        let para = cosine_distance(&v[2 * i], &v[2 * i + 1]);
        for j in 0..pairs.len() {
            if j != i {
                let unrelated = cosine_distance(&v[2 * i], &v[2 * j + 1]);
                assert!(
                    para < unrelated,
                    "{:?}: paraphrase {para:.3} vs unrelated {unrelated:.3}",
                    pairs[i]
                );
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Pair {
    topic: String,
    warm: String,
    cold: String,
}

/// A simple warmth count: warmth markers per 100 words (the kind of lexicon the heuristic scorer uses).
fn warmth_count(text: &str) -> f64 {
    const MARKERS: &[&str] = &[
        "sorry",
        "glad",
        "love",
        "happy",
        "congratulations",
        "wonderful",
        "lovely",
        "gentle",
        "here for",
        "i'm here",
        "together",
        "cheering",
        "proud",
        "deserve",
        "hug",
        "really",
        "aw",
        "oh",
        "don't worry",
        "understandable",
        "makes sense",
        "adore",
        "!",
    ];
    let lower = text.to_lowercase();
    let words = lower.split_whitespace().count().max(1) as f64;
    let hits: usize = MARKERS.iter().map(|m| lower.matches(m).count()).sum();
    100.0 * hits as f64 / words
}

fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn warm_replies_project_above_their_cold_rewrites() {
    let Some(m) = model() else { return };
    let dir = WarmthDirection::compute(m).unwrap();
    let pairs: Vec<Pair> = serde_json::from_str(include_str!("fixtures/warmth_pairs.json")).unwrap();
    assert!(pairs.len() >= 10);
    let texts: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.warm.as_str(), p.cold.as_str()])
        .collect();
    let v = m.embed(&texts).unwrap();
    let proj: Vec<f64> = v.iter().map(|x| dir.project(x)).collect();
    let counts: Vec<f64> = texts.iter().map(|t| warmth_count(t)).collect();
    let mut count_agrees = 0;
    for (i, p) in pairs.iter().enumerate() {
        let (w, c) = (proj[2 * i], proj[2 * i + 1]);
        eprintln!(
            "{:<22} warm {w:+.3}  cold {c:+.3}   count {:.1} vs {:.1}",
            p.topic,
            counts[2 * i],
            counts[2 * i + 1]
        );
        assert!(w > c, "{}: warm {w:.3} not above cold {c:.3}", p.topic);
        if counts[2 * i] > counts[2 * i + 1] {
            count_agrees += 1;
        }
    }
    let rho = pearson(&ranks(&proj), &ranks(&counts));
    eprintln!(
        "warmth direction vs warmth count: Spearman rho {rho:.3} over {} replies; the count orders {count_agrees}/{} pairs correctly, the direction {}/{}",
        proj.len(),
        pairs.len(),
        pairs.len(),
        pairs.len()
    );
    assert!(
        rho > 0.5,
        "the direction should agree with a warmth count: rho {rho}"
    );
    // anchors sit at +-half_gap on average
    assert!(dir.half_gap > 0.05);
}
