//! Time `build_comparison` on a realistic size: 200 probes x 5 samples x 3 turns, 9 dimensions +
//! 30 raw metrics, 10 categories, 4 languages, default 10,000 bootstrap resamples.
//! Run: `cargo bench --bench compare`

use persona_drift::compare::{build_comparison, CompareOptions, ReplyText, RunInput};
use persona_drift::score::{MetricInfo, MetricKind, ReplyScores, RunScores};
use persona_drift::store::{Counts, Manifest, Sampling};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Instant;

fn run(label: &str, shift: f64, seed: u64, metrics: &[MetricInfo]) -> RunInput {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut replies = Vec::new();
    let mut texts = BTreeMap::new();
    for p in 0..200u32 {
        for s in 0..5u32 {
            for t in 0..3u32 {
                let values = metrics
                    .iter()
                    .map(|m| (m.id.clone(), p as f64 * 0.01 + shift + rng.gen::<f64>()))
                    .collect();
                replies.push(ReplyScores {
                    probe_id: format!("p{p}"),
                    sample: s,
                    turn: t,
                    category: format!("c{}", p % 10),
                    language: format!("l{}", p % 4),
                    values,
                });
                texts.insert(
                    (format!("p{p}"), s, t),
                    ReplyText {
                        prompt: "q".into(),
                        content: "a reply".into(),
                    },
                );
            }
        }
    }
    RunInput {
        label: label.into(),
        path: label.into(),
        manifest: Manifest {
            schema_version: 1,
            tool_version: "0".into(),
            label: label.into(),
            origin: "run".into(),
            battery_hash: Some("b".into()),
            provider: "openai".into(),
            base_url: None,
            model_requested: "m".into(),
            models_reported: BTreeMap::new(),
            system_fingerprints: BTreeMap::new(),
            sampling: Sampling {
                temperature: None,
                top_p: None,
                max_tokens: None,
                seed: None,
            },
            samples: 5,
            system_prompt: None,
            persona_card: None,
            probes_filter: None,
            started_at: String::new(),
            finished_at: None,
            counts: Counts::default(),
        },
        scores: RunScores {
            metrics: metrics.to_vec(),
            replies,
        },
        texts,
        conversations_used: 1000,
        conversations_failed: 0,
        warnings: vec![],
    }
}

fn main() {
    let mut metrics: Vec<MetricInfo> = Vec::new();
    for i in 0..39 {
        let dim = i < 9;
        metrics.push(MetricInfo {
            id: if dim {
                format!("dim.d{i}")
            } else {
                format!("raw{i}")
            },
            label: String::new(),
            kind: if dim {
                MetricKind::Dimension
            } else {
                MetricKind::Raw
            },
            group: String::new(),
            unit: String::new(),
            description: String::new(),
            languages: vec!["*".into()],
            version: 1,
            default_noise: 0.05,
        });
    }
    let old = run("old", 0.0, 1, &metrics);
    let new = run("new", 0.1, 2, &metrics);
    for resamples in [1_000u32, 10_000] {
        let opts = CompareOptions {
            resamples,
            ..CompareOptions::default()
        };
        let t = Instant::now();
        let c = build_comparison(&old, &new, &opts).unwrap();
        println!(
            "build_comparison: 200 probes x 5 samples x 3 turns, {} metrics, {} breakdown groups, {resamples} resamples: {:.2?}",
            c.metrics.len(),
            c.breakdowns.by_category.len() + c.breakdowns.by_language.len() + c.breakdowns.by_turn.len(),
            t.elapsed()
        );
    }
}
