//! The per-run-dir embedding cache: a second call embeds nothing; the file survives reopening, a torn
//! tail and a different model.

use persona_drift::embed::cache::cache_path;
use persona_drift::embed::{CachedEmbedder, Embedder, EmbeddingAnalysis, ReplyText};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A toy embedder: letter histogram, normalised. Counts the texts it is asked to embed.
struct Toy {
    id: &'static str,
    calls: AtomicUsize,
}

impl Embedder for Toy {
    fn model_id(&self) -> String {
        self.id.into()
    }
    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        self.calls.fetch_add(texts.len(), Ordering::SeqCst);
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.01f32; 26];
                for c in t.to_lowercase().chars().filter(|c| c.is_ascii_lowercase()) {
                    v[(c as u8 - b'a') as usize] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / n).collect()
            })
            .collect())
    }
}

fn toy(id: &'static str) -> Toy {
    Toy {
        id,
        calls: AtomicUsize::new(0),
    }
}

#[test]
fn second_call_does_not_re_embed_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t = toy("toy:v1");
    let texts = ["alpha", "beta", "alpha", "gamma"];
    let c = CachedEmbedder::open(dir.path(), &t).unwrap();
    let first = c.embed(&texts).unwrap();
    assert_eq!(t.calls.load(Ordering::SeqCst), 3, "duplicates are embedded once");
    let second = c.embed(&texts).unwrap();
    assert_eq!(first, second);
    assert_eq!(t.calls.load(Ordering::SeqCst), 3, "second call must not re-embed");
    drop(c);

    // reopen: the file answers
    let c = CachedEmbedder::open(dir.path(), &t).unwrap();
    assert_eq!(c.embed(&texts).unwrap(), first);
    assert_eq!(t.calls.load(Ordering::SeqCst), 3);
    // only the new text is embedded
    c.embed(&["alpha", "delta"]).unwrap();
    assert_eq!(t.calls.load(Ordering::SeqCst), 4);
    assert_eq!(c.misses(), 1);
    assert!(cache_path(dir.path(), "toy:v1").starts_with(dir.path().join("embeddings")));
}

#[test]
fn torn_tail_is_ignored_and_other_models_have_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let t = toy("toy:v1");
    let c = CachedEmbedder::open(dir.path(), &t).unwrap();
    c.embed(&["one", "two"]).unwrap();
    let path = c.path().to_path_buf();
    drop(c);
    // simulate a crash mid-record
    let mut bytes = std::fs::read(&path).unwrap();
    let full = bytes.len();
    bytes.extend_from_slice(&[7u8; 50]);
    std::fs::write(&path, &bytes).unwrap();
    let c = CachedEmbedder::open(dir.path(), &t).unwrap();
    c.embed(&["one", "two"]).unwrap();
    assert_eq!(t.calls.load(Ordering::SeqCst), 2);
    c.embed(&["three"]).unwrap();
    drop(c);
    let rec = 32 + 4 * 26;
    assert_eq!(
        std::fs::metadata(&path).unwrap().len() as usize,
        full + rec,
        "torn tail overwritten"
    );

    let other = toy("toy:v2");
    let c2 = CachedEmbedder::open(dir.path(), &other).unwrap();
    c2.embed(&["one"]).unwrap();
    assert_eq!(
        other.calls.load(Ordering::SeqCst),
        1,
        "a different model id never reuses vectors"
    );
    assert_ne!(c2.path(), path);
}

#[test]
fn second_comparison_of_the_same_runs_embeds_nothing() {
    let old_dir = tempfile::tempdir().unwrap();
    let new_dir = tempfile::tempdir().unwrap();
    let mk = |p: &str, s: u32, text: &str| ReplyText {
        probe_id: p.into(),
        sample: s,
        turn: 0,
        text: text.into(),
    };
    let old: Vec<ReplyText> = (0..3)
        .flat_map(|s| {
            [
                mk("a", s, &format!("plain answer {s}")),
                mk("b", s, &format!("another one {s}")),
            ]
        })
        .collect();
    let new: Vec<ReplyText> = (0..3)
        .flat_map(|s| {
            [
                mk("a", s, &format!("warm lovely answer {s}")),
                mk("b", s, &format!("so glad {s}")),
            ]
        })
        .collect();
    let t = toy("toy:v1");
    let opts = Default::default();
    let a =
        EmbeddingAnalysis::compute_runs(old_dir.path(), &old, new_dir.path(), &new, &t, &opts, 7).unwrap();
    let first_calls = t.calls.load(Ordering::SeqCst);
    assert!(first_calls >= 12);
    let b =
        EmbeddingAnalysis::compute_runs(old_dir.path(), &old, new_dir.path(), &new, &t, &opts, 7).unwrap();
    assert_eq!(
        t.calls.load(Ordering::SeqCst),
        first_calls,
        "re-comparing must not call the model"
    );
    assert_eq!(a, b);
}
