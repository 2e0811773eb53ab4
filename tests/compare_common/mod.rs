//! Helpers shared by the `compare_*` tests: run directories written with the store API.
#![allow(dead_code)]

use persona_drift::store::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct RunSpec<'a> {
    pub label: &'a str,
    pub model: &'a str,
    pub reported: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
    pub battery: Option<&'a str>,
    /// (probe id, category, language)
    pub probes: Vec<(String, String, String)>,
    pub samples: u32,
    pub turns: u32,
}

impl<'a> RunSpec<'a> {
    pub fn new(label: &'a str, model: &'a str, n_probes: usize, samples: u32) -> Self {
        let probes = (0..n_probes)
            .map(|i| {
                let cat = if i % 2 == 0 { "grief" } else { "smalltalk" };
                let lang = if i % 3 == 0 { "sv" } else { "en" };
                (format!("p{i:02}"), cat.to_string(), lang.to_string())
            })
            .collect();
        RunSpec {
            label,
            model,
            reported: None,
            fingerprint: None,
            battery: Some("b1"),
            probes,
            samples,
            turns: 1,
        }
    }
}

/// `words(probe_index, sample, turn)` gives the number of words of that reply.
pub fn write_run(runs: &Path, spec: &RunSpec, words: impl Fn(usize, u32, u32) -> usize) -> PathBuf {
    let dir = RunDir::new(runs.join(spec.label));
    std::fs::create_dir_all(&dir.path).unwrap();
    let mut models = BTreeMap::new();
    let mut fps = BTreeMap::new();
    let mut w = TranscriptWriter::open(&dir, 0).unwrap();
    let mut n = 0u64;
    for (pi, (id, cat, lang)) in spec.probes.iter().enumerate() {
        for s in 0..spec.samples {
            let mut messages = Vec::new();
            let mut replies = Vec::new();
            for t in 0..spec.turns {
                let content = vec!["word"; words(pi, s, t)].join(" ");
                let prompt = format!("question {t} of {id}");
                messages.push(Message {
                    role: Role::User,
                    content: prompt.clone(),
                    example: false,
                });
                messages.push(Message {
                    role: Role::Assistant,
                    content: content.clone(),
                    example: false,
                });
                if let Some(m) = spec.reported {
                    *models.entry(m.to_string()).or_insert(0) += 1;
                }
                if let Some(f) = spec.fingerprint {
                    *fps.entry(f.to_string()).or_insert(0) += 1;
                }
                replies.push(Reply {
                    turn: t,
                    prompt,
                    content,
                    latency_ms: Some(10),
                    usage: None,
                    finish_reason: Some("stop".into()),
                    model: spec.reported.map(String::from),
                    system_fingerprint: spec.fingerprint.map(String::from),
                    attempts: 1,
                    timestamp: None,
                });
            }
            w.append(&Record {
                probe_id: id.clone(),
                sample: s,
                category: cat.clone(),
                language: lang.clone(),
                status: Status::Finished,
                messages,
                replies,
                error: None,
                seed: Some(s as u64),
                started_at: None,
                finished_at: None,
            })
            .unwrap();
            n += 1;
        }
    }
    let provider = spec.model.split(':').next().unwrap().to_string();
    let model = spec
        .model
        .split_once(':')
        .map(|x| x.1)
        .unwrap_or(spec.model)
        .to_string();
    dir.write_manifest(&Manifest {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        label: spec.label.into(),
        origin: "run".into(),
        battery_hash: spec.battery.map(String::from),
        provider,
        base_url: None,
        model_requested: model,
        models_reported: models,
        system_fingerprints: fps,
        sampling: Sampling {
            temperature: Some(0.7),
            top_p: None,
            max_tokens: None,
            seed: Some(1),
        },
        samples: spec.samples,
        system_prompt: None,
        persona_card: None,
        probes_filter: None,
        started_at: "2026-11-28T10:00:00Z".into(),
        finished_at: Some("2026-11-28T10:05:00Z".into()),
        counts: Counts {
            expected: n,
            finished: n,
            failed: 0,
        },
    })
    .unwrap();
    dir.path
}

/// A deterministic pseudo-random jitter in [-j, j] words.
pub fn jitter(pi: usize, s: u32, t: u32, salt: u64, j: i64) -> i64 {
    let mut h = (pi as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ ((s as u64 + 7) << 20)
        ^ ((t as u64) << 40)
        ^ salt;
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 29;
    (h % (2 * j as u64 + 1)) as i64 - j
}

use persona_drift::compare::{ReplyText, RunInput};
use persona_drift::score::{MetricInfo, MetricKind, ReplyScores, RunScores};

pub fn manifest(label: &str, model: &str) -> Manifest {
    Manifest {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        label: label.into(),
        origin: "run".into(),
        battery_hash: Some("b1".into()),
        provider: "openai".into(),
        base_url: None,
        model_requested: model.into(),
        models_reported: BTreeMap::new(),
        system_fingerprints: BTreeMap::new(),
        sampling: Sampling {
            temperature: None,
            top_p: None,
            max_tokens: None,
            seed: None,
        },
        samples: 1,
        system_prompt: None,
        persona_card: None,
        probes_filter: None,
        started_at: "2026-11-28T10:00:00Z".into(),
        finished_at: None,
        counts: Counts::default(),
    }
}

pub fn metric(id: &str, kind: MetricKind, noise: f64) -> MetricInfo {
    MetricInfo {
        id: id.into(),
        label: id.into(),
        kind,
        group: "g".into(),
        unit: "u".into(),
        description: "d".into(),
        languages: vec!["*".into()],
        version: 1,
        default_noise: noise,
    }
}

/// One reply row: (probe, sample, turn, category, language, metric values).
pub type Row = (String, u32, u32, String, String, Vec<(String, f64)>);

/// A scored run from rows; every reply gets the text "reply <probe>/<sample>/<turn>".
pub fn input(label: &str, metrics: Vec<MetricInfo>, rows: Vec<Row>) -> RunInput {
    let mut texts = BTreeMap::new();
    let replies = rows
        .into_iter()
        .map(|(p, s, t, c, l, vals)| {
            texts.insert(
                (p.clone(), s, t),
                ReplyText {
                    prompt: format!("q {p}/{t}"),
                    content: format!("reply {p}/{s}/{t}"),
                },
            );
            ReplyScores {
                probe_id: p,
                sample: s,
                turn: t,
                category: c,
                language: l,
                values: vals.into_iter().collect(),
            }
        })
        .collect();
    RunInput {
        label: label.into(),
        path: format!("runs/{label}"),
        manifest: manifest(label, "m"),
        scores: RunScores { metrics, replies },
        texts,
        conversations_used: 0,
        conversations_failed: 0,
        warnings: vec![],
    }
}
