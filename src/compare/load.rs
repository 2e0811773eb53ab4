//! Load a run directory for comparison: manifest, the last record per (probe, sample) that
//! finished, reply texts, and the scores from the scoring stage. The only I/O of `compare`
//! besides writing `comparison.json`.

use super::engine::{ReplyText, RunInput};
use crate::store::{Record, RunDir, Status};
use anyhow::Context;
use std::collections::BTreeMap;

/// The last record per (probe, sample) (a resumed or retried conversation overrides an earlier
/// one), split into finished ones and a count of failed ones.
pub fn latest_records(records: Vec<Record>) -> (Vec<Record>, u64) {
    let mut failed = 0;
    let mut out = Vec::new();
    for r in crate::store::latest_records(records) {
        match r.status {
            Status::Finished => out.push(r),
            Status::Failed => failed += 1,
        }
    }
    (out, failed)
}

/// Read and score one run.
pub fn load_run(dir: &RunDir) -> anyhow::Result<RunInput> {
    let mut manifest = dir.read_manifest()?;
    let t = dir.read_transcripts()?;
    let mut warnings = Vec::new();
    let label = if manifest.label.is_empty() {
        dir.path
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    } else {
        manifest.label.clone()
    };
    if t.torn_tail {
        warnings.push(format!(
            "{}: the last line was cut off (an interrupted run); it was ignored",
            dir.transcripts_path().display()
        ));
    }
    let (records, failed) = latest_records(t.records);
    if failed > 0 {
        warnings.push(format!("run {label}: {failed} failed conversation(s) left out"));
    }
    let mut texts = BTreeMap::new();
    let mut models: BTreeMap<String, u64> = BTreeMap::new();
    let mut fps: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        for rep in &r.replies {
            texts.insert(
                (r.probe_id.clone(), r.sample, rep.turn),
                ReplyText {
                    prompt: rep.prompt.clone(),
                    content: rep.content.clone(),
                },
            );
            if let Some(m) = &rep.model {
                *models.entry(m.clone()).or_default() += 1;
            }
            if let Some(f) = &rep.system_fingerprint {
                *fps.entry(f.clone()).or_default() += 1;
            }
        }
    }
    // Older or imported manifests may lack the tallies: derive them from the replies.
    if manifest.models_reported.is_empty() {
        manifest.models_reported = models;
    }
    if manifest.system_fingerprints.is_empty() {
        manifest.system_fingerprints = fps;
    }
    let scores =
        crate::score::score_run(dir).with_context(|| format!("scoring run {}", dir.path.display()))?;
    Ok(RunInput {
        label,
        path: dir.path.display().to_string(),
        manifest,
        scores,
        texts,
        conversations_used: records.len() as u64,
        conversations_failed: failed,
        warnings,
    })
}
