//! Scoring: metrics for every assistant reply in a run. See `docs/metrics.md`.
//!
//! - [`score_record`]: pure, one conversation -> one [`ReplyScores`] per reply.
//! - [`score_run`]: a whole run directory, cached in `<run>/scores.json` keyed by each
//!   metric's id + version and a hash of the transcripts and battery.
//! - [`metrics`]: the registry (ids, labels, languages, versions, default noise).

pub mod cmd;
pub mod compute;
pub mod lexicon;
pub mod model;
pub mod registry;
pub mod text;

pub use model::{MetricInfo, MetricKind, ReplyScores, RunScores};
pub use registry::metrics;

use crate::probes::{Battery, Probe};
use crate::store::{Record, RunDir, Status};
use compute::Ctx;
pub use compute::ReplyInput;
use once_cell::sync::Lazy;
use regex::Regex;
use registry::{Def, Unit};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// File name of the score cache inside a run directory.
pub const SCORES: &str = "scores.json";
/// Version of the cache file layout.
pub const CACHE_VERSION: u32 = 1;

static USER_NAME: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?:(?i:my name is|my name's|call me|jag heter|mitt namn är|jeg heter|navnet mitt er|me llamo|mi nombre es)\s+(\p{Lu}[\p{L}'\-]{1,30}))|(?:(?:我叫|我的名字是|我的名字叫)(\p{Han}{1,3}))",
    )
    .expect("regex")
});

/// The name the user gave in the conversation ("my name is Lena", "jag heter Lena", "我叫小明").
pub fn user_name(record: &Record) -> Option<&str> {
    let user_texts = record
        .messages
        .iter()
        .filter(|m| m.role == crate::store::Role::User && !m.example)
        .map(|m| m.content.as_str())
        .chain(record.replies.iter().map(|r| r.prompt.as_str()));
    for t in user_texts {
        if let Some(c) = USER_NAME.captures(t) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                return Some(m.as_str());
            }
        }
    }
    None
}

/// Build the per-reply inputs of one conversation.
fn inputs<'a>(record: &'a Record, probe: Option<&'a Probe>) -> Vec<ReplyInput<'a>> {
    let name = user_name(record);
    record
        .replies
        .iter()
        .map(|r| {
            let turn = r.turn as usize;
            let pushback = probe.and_then(|p| p.turns.get(turn)).is_some_and(|t| t.pushback);
            let previous = if turn > 0 {
                record
                    .replies
                    .iter()
                    .rev()
                    .find(|x| x.turn as usize == turn - 1)
                    .map(|x| x.content.as_str())
            } else {
                None
            };
            let recall = probe
                .map(|p| {
                    p.expect_recall
                        .iter()
                        .filter(|f| turn + 1 >= f.from_turn)
                        .collect()
                })
                .unwrap_or_default();
            ReplyInput {
                content: &r.content,
                prompt: &r.prompt,
                language: &record.language,
                usage_tokens: r.usage.as_ref().and_then(|u| u.completion_tokens),
                persona: probe.and_then(|p| p.persona.as_ref()),
                pushback,
                previous,
                recall,
                user_name: name,
            }
        })
        .collect()
}

fn scores_for(record: &Record, turn: u32, values: BTreeMap<String, f64>) -> ReplyScores {
    ReplyScores {
        probe_id: record.probe_id.clone(),
        sample: record.sample,
        turn,
        category: record.category.clone(),
        language: record.language.clone(),
        values,
    }
}

/// Score one conversation: one [`ReplyScores`] per reply, every unit computed. Pure.
/// `probe` (from the run's battery) enables the pushback, persona and recall metrics.
pub fn score_record(record: &Record, probe: Option<&Probe>) -> Vec<ReplyScores> {
    let ins = inputs(record, probe);
    record
        .replies
        .iter()
        .zip(&ins)
        .map(|(r, input)| {
            let cx = Ctx::new(input);
            let mut values = BTreeMap::new();
            for u in Unit::ALL {
                compute::compute(u, &cx, &mut values);
            }
            scores_for(record, r.turn, values)
        })
        .collect()
}

/// The records that count: the LAST record per (probe_id, sample), if it finished.
pub fn latest_finished(records: Vec<Record>) -> Vec<Record> {
    crate::store::latest_records(records)
        .into_iter()
        .filter(|r| r.status == Status::Finished)
        .collect()
}

/// What the cache did, for the `score` command and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheReport {
    /// Units taken from `scores.json` unchanged.
    pub reused: Vec<String>,
    /// Units computed now (new, upgraded, or the transcripts changed).
    pub computed: Vec<String>,
    /// Whether `scores.json` was (re)written.
    pub written: bool,
    /// Why the cache could not be written (e.g. a read-only run directory), if so.
    pub write_error: Option<String>,
    /// Records that counted (last per key, finished) and how many were skipped.
    pub conversations: usize,
    pub skipped_records: usize,
    pub torn_tail: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    cache_version: u32,
    tool_version: String,
    /// sha256 of transcripts.jsonl and battery.json as read.
    input_sha256: String,
    scores: RunScores,
}

fn input_hash(run: &RunDir) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    h.update(b"transcripts\0");
    match std::fs::read(run.transcripts_path()) {
        Ok(b) => h.update(&b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => anyhow::bail!("{}: {e}", run.transcripts_path().display()),
    }
    h.update(b"\0battery\0");
    match std::fs::read(run.battery_path()) {
        Ok(b) => h.update(&b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => h.update(b"none"),
        Err(e) => anyhow::bail!("{}: {e}", run.battery_path().display()),
    }
    Ok(hex::encode(h.finalize()))
}

fn read_cache(run: &RunDir) -> Option<CacheFile> {
    let text = std::fs::read_to_string(run.path.join(SCORES)).ok()?;
    let c: CacheFile = serde_json::from_str(&text).ok()?;
    (c.cache_version == CACHE_VERSION).then_some(c)
}

/// Score a run directory with the built-in registry, using and updating `scores.json`.
pub fn score_run(run: &RunDir) -> anyhow::Result<RunScores> {
    Ok(score_run_with(run, registry::defs())?.0)
}

/// Score a run with an explicit registry (tests use this to simulate an upgraded metric).
pub fn score_run_with(run: &RunDir, defs: &[Def]) -> anyhow::Result<(RunScores, CacheReport)> {
    if !run.exists() {
        return Err(crate::store::StoreError::NotARun {
            path: run.path.display().to_string(),
        }
        .into());
    }
    let hash = input_hash(run)?;
    let battery: Option<Battery> = run.read_battery()?;
    let transcripts = run.read_transcripts()?;
    let total = transcripts.records.len();
    let records = latest_finished(transcripts.records);
    let mut report = CacheReport {
        conversations: records.len(),
        skipped_records: total - records.len(),
        torn_tail: transcripts.torn_tail,
        ..Default::default()
    };
    let infos: Vec<MetricInfo> = defs.iter().map(|d| d.info.clone()).collect();

    // Which units can be reused from the cache?
    let cache = read_cache(run).filter(|c| c.input_sha256 == hash);
    let cached_versions: HashMap<&str, u32> = cache
        .as_ref()
        .map(|c| {
            c.scores
                .metrics
                .iter()
                .map(|m| (m.id.as_str(), m.version))
                .collect()
        })
        .unwrap_or_default();
    let cached_values: HashMap<(&str, u32, u32), &BTreeMap<String, f64>> = cache
        .as_ref()
        .map(|c| {
            c.scores
                .replies
                .iter()
                .map(|r| ((r.probe_id.as_str(), r.sample, r.turn), &r.values))
                .collect()
        })
        .unwrap_or_default();
    let all_keys_cached = records.iter().all(|rec| {
        rec.replies
            .iter()
            .all(|r| cached_values.contains_key(&(rec.probe_id.as_str(), rec.sample, r.turn)))
    });
    let mut reuse: HashSet<Unit> = HashSet::new();
    if cache.is_some() && all_keys_cached {
        for u in Unit::ALL {
            let ok = defs
                .iter()
                .filter(|d| d.unit == u)
                .all(|d| cached_versions.get(d.info.id.as_str()) == Some(&d.info.version));
            if ok {
                reuse.insert(u);
            }
        }
    }
    if reuse.len() < Unit::ALL.len() {
        // Dimensions are functions of the raw metrics: recompute them when anything changed.
        reuse.remove(&Unit::Dimensions);
    }
    let compute_units: Vec<Unit> = Unit::ALL.into_iter().filter(|u| !reuse.contains(u)).collect();
    report.reused = Unit::ALL
        .iter()
        .filter(|u| reuse.contains(u))
        .map(|u| u.name().to_string())
        .collect();
    report.computed = compute_units.iter().map(|u| u.name().to_string()).collect();

    let known: HashSet<&str> = defs.iter().map(|d| d.info.id.as_str()).collect();
    let ids_of = |u: Unit| {
        defs.iter()
            .filter(move |d| d.unit == u)
            .map(|d| d.info.id.as_str())
    };
    let mut replies = Vec::new();
    for rec in &records {
        let probe = battery.as_ref().and_then(|b| b.get(&rec.probe_id));
        let ins = inputs(rec, probe);
        for (r, input) in rec.replies.iter().zip(&ins) {
            let mut values = BTreeMap::new();
            if let Some(cached) = cached_values.get(&(rec.probe_id.as_str(), rec.sample, r.turn)) {
                for u in reuse.iter() {
                    for id in ids_of(*u) {
                        if let Some(v) = cached.get(id) {
                            values.insert(id.to_string(), *v);
                        }
                    }
                }
            }
            if !compute_units.is_empty() {
                let cx = Ctx::new(input);
                for u in &compute_units {
                    compute::compute(*u, &cx, &mut values);
                }
            }
            // Keep only the metrics the registry defines (a custom registry may drop some).
            values.retain(|k, _| known.contains(k.as_str()));
            replies.push(scores_for(rec, r.turn, values));
        }
    }
    replies.sort_by(|a, b| (&a.probe_id, a.sample, a.turn).cmp(&(&b.probe_id, b.sample, b.turn)));
    let scores = RunScores {
        metrics: infos,
        replies,
    };
    if !compute_units.is_empty() {
        let file = CacheFile {
            cache_version: CACHE_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            input_sha256: hash,
            scores,
        };
        match crate::store::write_json_atomic(&run.path.join(SCORES), &file) {
            Ok(()) => report.written = true,
            Err(e) => report.write_error = Some(e.to_string()),
        }
        return Ok((file.scores, report));
    }
    Ok((scores, report))
}

/// Score one reply from its inputs (every unit). The building block of [`score_record`];
/// exposed for tests, benchmarks and tools that score text outside a run.
pub fn score_reply(input: &ReplyInput) -> BTreeMap<String, f64> {
    let cx = Ctx::new(input);
    let mut values = BTreeMap::new();
    for u in Unit::ALL {
        compute::compute(u, &cx, &mut values);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Message, Reply, Role};

    fn rec(lang: &str, user: &str, reply: &str) -> Record {
        Record {
            probe_id: "p".into(),
            sample: 0,
            category: "c".into(),
            language: lang.into(),
            status: Status::Finished,
            messages: vec![Message {
                role: Role::User,
                content: user.into(),
                example: false,
            }],
            replies: vec![Reply {
                turn: 0,
                prompt: user.into(),
                content: reply.into(),
                latency_ms: None,
                usage: None,
                finish_reason: None,
                model: None,
                system_fingerprint: None,
                attempts: 1,
                timestamp: None,
            }],
            error: None,
            seed: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn the_users_name_is_found_and_counts_as_warmth() {
        for (lang, user, reply, name) in [
            (
                "en",
                "Hi, my name is Lena and I'm tired.",
                "Oh Lena, rest now.",
                "Lena",
            ),
            ("sv", "Hej, jag heter Åsa.", "Hej Åsa!", "Åsa"),
            ("es", "Hola, me llamo Marta.", "¡Hola, Marta!", "Marta"),
            ("zh", "你好，我叫小明。", "小明，你好！", "小明"),
        ] {
            let r = rec(lang, user, reply);
            assert_eq!(user_name(&r), Some(name), "{user}");
            let s = score_record(&r, None);
            assert_eq!(s[0].values["user_name"], 1.0, "{reply}");
            assert!(s[0].values["warmth_markers"] >= 1.0);
        }
        let r = rec("en", "I'm tired.", "Rest now.");
        assert_eq!(user_name(&r), None);
        assert!(!score_record(&r, None)[0].values.contains_key("user_name"));
    }

    #[test]
    fn only_the_last_record_per_key_counts_and_only_if_finished() {
        let a = rec("en", "x", "first");
        let mut b = rec("en", "x", "second");
        b.status = Status::Failed;
        let mut c = rec("en", "x", "third");
        c.sample = 1;
        let kept = latest_finished(vec![a.clone(), c.clone(), b]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].replies[0].content, "third");
        let kept = latest_finished(vec![a, c]);
        assert_eq!(kept.len(), 2);
    }
}
