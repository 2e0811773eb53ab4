//! Scoring: metrics for every assistant reply in a run. See `docs/metrics.md`.

pub mod model;

pub use model::{MetricInfo, MetricKind, ReplyScores, RunScores};

// TEMP(compare branch): replaced by the scoring stage at merge
/// Minimal stand-in scorer so `compare` works end to end on the compare branch: `words`,
/// `chars` and `dim.verbosity` (= words) per reply of the last finished record per
/// (probe, sample).
pub fn score_run(run: &crate::store::RunDir) -> anyhow::Result<RunScores> {
    use std::collections::BTreeMap;
    use unicode_segmentation::UnicodeSegmentation;
    let t = run.read_transcripts()?;
    let (records, _) = crate::compare::load::latest_records(t.records);
    let info = |id: &str, label: &str, kind: MetricKind, unit: &str, noise: f64| MetricInfo {
        id: id.into(),
        label: label.into(),
        kind,
        group: "verbosity".into(),
        unit: unit.into(),
        description: format!("{label}: higher means longer replies"),
        languages: vec!["*".into()],
        version: 1,
        default_noise: noise,
    };
    let metrics = vec![
        info("dim.verbosity", "Verbosity", MetricKind::Dimension, "words", 5.0),
        info("chars", "Characters", MetricKind::Raw, "characters", 25.0),
        info("words", "Words", MetricKind::Raw, "words", 5.0),
    ];
    let mut replies = Vec::new();
    for r in &records {
        for rep in &r.replies {
            let words = rep.content.unicode_words().count() as f64;
            let mut values = BTreeMap::new();
            values.insert("words".to_string(), words);
            values.insert("chars".to_string(), rep.content.chars().count() as f64);
            values.insert("dim.verbosity".to_string(), words);
            replies.push(ReplyScores {
                probe_id: r.probe_id.clone(),
                sample: r.sample,
                turn: rep.turn,
                category: r.category.clone(),
                language: r.language.clone(),
                values,
            });
        }
    }
    Ok(RunScores { metrics, replies })
}
