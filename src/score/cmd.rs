//! `persona-drift score RUN`: score a run (using the cache) and print a summary table.

use super::model::{MetricKind, RunScores};
use super::{registry, score_run_with, CacheReport};
use crate::store::RunDir;
use std::io::Write;
use std::path::Path;

/// Raw metrics shown under the dimensions by default (`--all` shows every metric).
const KEY_METRICS: &[&str] = &[
    "words",
    "chars",
    "tokens",
    "sentences",
    "length_ratio",
    "warmth_markers",
    "empathy_per_100w",
    "vader_compound",
    "coldness_per_100w",
    "ai_disclaimer",
    "referral",
    "questions",
    "hedge_per_100w",
    "mtld",
    "flesch_reading_ease",
    "caved",
];

/// Per-metric summary over replies.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub kind: MetricKind,
    pub mean: Option<f64>,
    pub n: usize,
    pub not_applicable: usize,
}

pub fn summarise(scores: &RunScores) -> Vec<Summary> {
    scores
        .metrics
        .iter()
        .map(|m| {
            let vals: Vec<f64> = scores
                .replies
                .iter()
                .filter_map(|r| r.values.get(&m.id).copied())
                .collect();
            let n = vals.len();
            Summary {
                id: m.id.clone(),
                label: m.label.clone(),
                unit: m.unit.clone(),
                kind: m.kind,
                mean: (n > 0).then(|| vals.iter().sum::<f64>() / n as f64),
                n,
                not_applicable: scores.replies.len() - n,
            }
        })
        .collect()
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

/// Render the summary table.
pub fn render(run: &RunDir, scores: &RunScores, report: &CacheReport, all: bool) -> String {
    let sums = summarise(scores);
    let mut langs: Vec<&str> = scores.replies.iter().map(|r| r.language.as_str()).collect();
    langs.sort();
    langs.dedup();
    let mut s = format!(
        "{}: {} replies in {} conversations (languages: {})\n",
        run.path.display(),
        scores.replies.len(),
        report.conversations,
        if langs.is_empty() {
            "-".to_string()
        } else {
            langs.join(", ")
        }
    );
    if report.skipped_records > 0 {
        s.push_str(&format!(
            "  {} record(s) not scored (failed, or superseded by a later record for the same probe and sample)\n",
            report.skipped_records
        ));
    }
    if report.torn_tail {
        s.push_str("  transcripts.jsonl ends with a torn line (an interrupted write); it was ignored\n");
    }
    let cache = if report.computed.is_empty() {
        "scores.json up to date: nothing recomputed".to_string()
    } else if report.reused.is_empty() {
        format!("computed all metrics ({})", report.computed.join(", "))
    } else {
        format!(
            "recomputed {}; reused {} from scores.json",
            report.computed.join(", "),
            report.reused.join(", ")
        )
    };
    s.push_str(&format!("  {cache}\n"));
    let estimated = scores
        .replies
        .iter()
        .filter(|r| r.values.get("tokens_estimated") == Some(&1.0))
        .count();
    if estimated > 0 {
        s.push_str(&format!(
            "  tokens: estimated for {estimated} of {} replies (the provider reported no usage); reported for the rest\n",
            scores.replies.len()
        ));
    }
    if let Some(e) = &report.write_error {
        s.push_str(&format!("  warning: could not write the score cache: {e}\n"));
    }
    let rows: Vec<&Summary> = sums
        .iter()
        .filter(|m| all || m.kind == MetricKind::Dimension || KEY_METRICS.contains(&m.id.as_str()))
        .collect();
    let w_id = rows.iter().map(|r| r.id.len()).max().unwrap_or(6).max(6);
    let w_label = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 44);
    let header = format!(
        "\n{:<w_id$}  {:<w_label$}  {:>10}  {:>7}  {:>7}  unit\n",
        "metric", "label", "mean", "replies", "n/a"
    );
    let section = |title: &str, kind: MetricKind, s: &mut String| {
        s.push_str(&format!("\n{title}"));
        s.push_str(&header);
        for r in rows.iter().filter(|r| r.kind == kind) {
            let label: String = r.label.chars().take(w_label).collect();
            s.push_str(&format!(
                "{:<w_id$}  {:<w_label$}  {:>10}  {:>7}  {:>7}  {}\n",
                r.id,
                label,
                fmt_num(r.mean),
                r.n,
                r.not_applicable,
                r.unit
            ));
        }
    };
    section("Dimensions (mean per reply):", MetricKind::Dimension, &mut s);
    section(
        if all {
            "All metrics:"
        } else {
            "Key metrics (--all for every metric):"
        },
        MetricKind::Raw,
        &mut s,
    );
    s.push_str("\nn/a = replies where the metric does not apply (language, no persona, no expected facts...); never counted as zero.\n");
    s
}

/// Run the `score` subcommand.
pub fn run(arg: &str, runs_dir: &Path, all: bool, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = RunDir::resolve(arg, runs_dir)?;
    let (scores, report) = score_run_with(&run, registry::defs())?;
    if scores.replies.is_empty() {
        return Err(crate::error::unmeasurable(format!(
            "nothing to score: {} has no finished conversation",
            run.transcripts_path().display()
        )));
    }
    let written = if json {
        serde_json::to_vec_pretty(&scores)
            .map_err(std::io::Error::other)
            .and_then(|mut b| {
                b.push(b'\n');
                out.write_all(&b)
            })
    } else {
        out.write_all(render(&run, &scores, &report, all).as_bytes())
    };
    match written.and_then(|_| out.flush()) {
        // `persona-drift score run | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
