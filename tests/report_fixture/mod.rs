//! A fixed comparison for the report tests (hand-written numbers, not measurements).
#![allow(dead_code)]

use persona_drift::compare::model::*;
use persona_drift::report::{
    EmbeddingInput, KeyTermInput, KeywordsInput, ProbeDriftInput, ReplyRow, ReportInputs,
};
use persona_drift::score::MetricKind;
use persona_drift::store::{Counts, Sampling};
use std::collections::BTreeMap;

pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const IMG: &str = "<img src=x onerror=alert(1)>";
pub const TEXTAREA: &str = "</textarea>";
pub const JSLINK: &str = "[x](javascript:alert(1))";

pub fn stats(old: f64, new: f64, ci: (f64, f64), verdict: Verdict, d_z: f64, q: f64) -> Stats {
    let d = new - old;
    Stats {
        old_mean: Some(old),
        new_mean: Some(new),
        old_sd: Some(old.abs() * 0.3),
        new_sd: Some(new.abs() * 0.3),
        abs_change: Some(d),
        rel_change: if old != 0.0 { Some(d / old.abs()) } else { None },
        ci: Some(Interval {
            low: ci.0,
            high: ci.1,
            level: 0.95,
        }),
        rel_ci: None,
        p: Some(q / 2.0),
        q: Some(q),
        test: TestKind::WilcoxonNormal,
        p_permutation: None,
        d_z: Some(d_z),
        d: None,
        cliffs_delta: Some((d_z / 2.0).clamp(-1.0, 1.0)),
        n_pairs: 40,
        n_old: 40,
        n_new: 40,
        missing: Missing::default(),
        verdict,
        direction: if d > 0.0 {
            Direction::Up
        } else if d < 0.0 {
            Direction::Down
        } else {
            Direction::Flat
        },
        reason: format!("{verdict:?} by the fixture"),
    }
}

fn run(label: &str, reported: &str, fp: &str) -> RunInfo {
    RunInfo {
        label: label.into(),
        path: format!("runs/{label}"),
        origin: "run".into(),
        provider: "openai".into(),
        base_url: None,
        model_requested: "gpt-4o".into(),
        models_reported: BTreeMap::from([(reported.to_string(), 600)]),
        system_fingerprints: BTreeMap::from([(fp.to_string(), 600)]),
        sampling: Sampling {
            temperature: Some(0.8),
            top_p: None,
            max_tokens: Some(512),
            seed: Some(7),
        },
        samples: 5,
        battery_hash: Some("3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e".into()),
        probes_filter: None,
        system_prompt: None,
        persona_card: None,
        tool_version: "0.1.0".into(),
        started_at: "2026-11-01T20:00:00Z".into(),
        finished_at: Some("2026-11-01T20:40:00Z".into()),
        counts: Counts {
            expected: 200,
            finished: 200,
            failed: 0,
        },
        conversations_used: 200,
        conversations_failed: 0,
        replies_used: 600,
        probes: 40,
    }
}

fn metric(
    id: &str,
    label: &str,
    kind: MetricKind,
    unit: &str,
    s: Stats,
    probes: Vec<ProbePoint>,
) -> MetricResult {
    MetricResult {
        id: id.into(),
        label: label.into(),
        kind,
        group: id.trim_start_matches("dim.").into(),
        unit: unit.into(),
        description: format!("Higher means more {}.", label.to_lowercase()),
        noise: NoiseBand {
            half_width: s.old_mean.unwrap_or(1.0).abs() * 0.05,
            source: NoiseSource::Default,
            spec: None,
        },
        measured_noise: MeasuredNoise {
            old: None,
            new: None,
            chance_change_sd: None,
            mdc_sampling: None,
        },
        mdc: Some(0.1),
        stats: s,
        probes,
    }
}

fn points(old: f64, new: f64) -> Vec<ProbePoint> {
    (0..12)
        .map(|i| {
            let j = (i as f64 - 5.5) / 5.5;
            ProbePoint {
                probe_id: format!("p{i:02}"),
                old: Some(old * (1.0 + 0.25 * j)),
                new: Some(new * (1.0 + 0.3 * j * j - 0.1)),
            }
        })
        .collect()
}

fn typical(probe: &str, turn: u32, text: &str, value: f64) -> TypicalReply {
    TypicalReply {
        probe_id: probe.into(),
        sample: 2,
        turn,
        category: "grief".into(),
        language: "en".into(),
        prompt: "My dog died this morning. I don't know what to do.".into(),
        text: text.into(),
        value,
    }
}

/// The fixed comparison. With `payloads`, model text carries the injection payloads.
pub fn comparison(payloads: bool) -> Comparison {
    use MetricKind::*;
    use Verdict::*;
    let dims = vec![
        metric(
            "dim.warmth",
            "Warmth",
            Dimension,
            "score",
            stats(8.0, 6.16, (-2.48, -1.2), Changed, -0.84, 0.001),
            points(8.0, 6.16),
        ),
        metric(
            "dim.verbosity",
            "Verbosity",
            Dimension,
            "score",
            stats(150.0, 88.5, (-75.0, -48.0), Changed, -1.3, 0.0001),
            points(150.0, 88.5),
        ),
        metric(
            "dim.engagement",
            "Engagement",
            Dimension,
            "score",
            stats(0.6, 0.39, (-0.3, -0.12), Changed, -0.7, 0.004),
            points(0.6, 0.39),
        ),
        metric(
            "dim.structure",
            "Structure",
            Dimension,
            "score",
            stats(1.0, 1.01, (-0.03, 0.04), Unchanged, 0.02, 0.9),
            points(1.0, 1.01),
        ),
        metric(
            "dim.formality",
            "Formality",
            Dimension,
            "score",
            stats(0.4, 0.45, (-0.01, 0.11), Inconclusive, 0.3, 0.12),
            points(0.4, 0.45),
        ),
        metric(
            "dim.recall",
            "Recall",
            Dimension,
            "share",
            stats(0.8, 0.79, (-0.03, 0.02), Unchanged, -0.05, 0.8),
            points(0.8, 0.79),
        ),
    ];
    let raw = vec![
        metric(
            "words",
            "Words",
            Raw,
            "words",
            stats(152.0, 90.0, (-70.0, -52.0), Changed, -1.2, 0.0001),
            points(152.0, 90.0),
        ),
        metric(
            "empathy_per_100w",
            "Empathy phrases per 100 words",
            Raw,
            "per 100 words",
            stats(1.2, 1.1, (-0.3, 0.1), Inconclusive, -0.2, 0.3),
            points(1.2, 1.1),
        ),
    ];
    let mut metrics = dims.clone();
    metrics.extend(raw);
    let mut by_category = Vec::new();
    let mut by_language = Vec::new();
    let mut by_turn = Vec::new();
    for (k, f) in [
        ("grief", 1.3),
        ("smalltalk", 0.6),
        (if payloads { "<b>cat</b>" } else { "advice" }, 1.0),
    ] {
        for d in &dims {
            let s = &d.stats;
            let (o, n) = (s.old_mean.unwrap(), s.new_mean.unwrap());
            let nn = o + (n - o) * f;
            let v = if f > 1.0 { s.verdict } else { Inconclusive };
            by_category.push(GroupResult {
                key: k.into(),
                metric: d.id.clone(),
                stats: stats(o, nn, ((nn - o) * 1.5, (nn - o) * 0.5), v, -0.5, 0.05),
            });
        }
    }
    for (k, f) in [("en", 1.0), ("sv", 0.8)] {
        for d in &dims[..3] {
            let s = &d.stats;
            let (o, n) = (s.old_mean.unwrap(), s.new_mean.unwrap());
            let nn = o + (n - o) * f;
            by_language.push(GroupResult {
                key: k.into(),
                metric: d.id.clone(),
                stats: stats(o, nn, ((nn - o) * 1.4, (nn - o) * 0.6), Inconclusive, -0.4, 0.08),
            });
        }
    }
    for t in 0..4u32 {
        for d in &dims[..2] {
            let s = &d.stats;
            let (o, n) = (s.old_mean.unwrap(), s.new_mean.unwrap());
            let drift = 1.0 - 0.06 * t as f64;
            by_turn.push(GroupResult {
                key: t.to_string(),
                metric: d.id.clone(),
                stats: stats(o, n * drift, (-1.0, -0.2), Changed, -0.6, 0.02),
            });
        }
    }
    let warm_old = if payloads {
        format!("I'm so sorry. {SCRIPT} {IMG} {TEXTAREA} {JSLINK} | a | b |\n=cmd")
    } else {
        "I'm so sorry about your dog. That sounds really hard, and it's okay to feel lost.\nWould you like to tell me about him?".to_string()
    };
    let most_changed = vec![
        ProbeChange {
            metric: "dim.warmth".into(),
            probe_id: if payloads { "grief-<i>01</i>".into() } else { "grief-pet-loss".into() },
            category: "grief".into(),
            language: "en".into(),
            old_mean: 9.5,
            new_mean: 4.0,
            change: -5.5,
            rank: 1,
            old_reply: Some(typical("grief-pet-loss", 0, &warm_old, 9.4)),
            new_reply: Some(typical("grief-pet-loss", 0, "I'm sorry to hear that. Consider contacting a grief counselor.", 4.1)),
        },
        ProbeChange {
            metric: "dim.verbosity".into(),
            probe_id: "advice-sleep".into(),
            category: "advice".into(),
            language: "en".into(),
            old_mean: 220.0,
            new_mean: 95.0,
            change: -125.0,
            rank: 1,
            old_reply: Some(typical("advice-sleep", 1, "Here are some ideas that often help: keep a regular bedtime, dim the lights an hour before, and put the phone in another room.", 210.0)),
            new_reply: Some(typical("advice-sleep", 1, "Keep a regular bedtime.", 90.0)),
        },
    ];
    Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        created_at: "2026-11-28T12:00:00Z".into(),
        old: run("before", "gpt-4o-2024-08-06", "fp_aaa111"),
        new: run("after", "gpt-4o-2024-11-20", "fp_bbb222"),
        identity: ModelIdentity {
            old_requested: "gpt-4o".into(),
            new_requested: "gpt-4o".into(),
            old_reported: BTreeMap::from([("gpt-4o-2024-08-06".to_string(), 600)]),
            new_reported: BTreeMap::from([("gpt-4o-2024-11-20".to_string(), 600)]),
            old_fingerprints: BTreeMap::from([("fp_aaa111".to_string(), 600)]),
            new_fingerprints: BTreeMap::from([("fp_bbb222".to_string(), 600)]),
            status: IdentityStatus::SameNameDifferentModel,
            prominent: true,
            message: "Both runs asked for gpt-4o, but the API reported gpt-4o-2024-08-06 before and gpt-4o-2024-11-20 after: the model behind the name changed.".into(),
        },
        pairing: Pairing::Paired,
        pairing_note: "both runs share all 40 probes".into(),
        settings: Settings {
            alpha: 0.05,
            seed: 42,
            resamples: 10_000,
            ci_level: 0.95,
            ci_method: "percentile".into(),
            common_probes: false,
            unpaired_forced: false,
            noise_overrides: BTreeMap::new(),
            correction: "benjamini_hochberg".into(),
        },
        coverage: Coverage { old_probes: 40, new_probes: 40, common_probes: 40, only_old: vec![], only_new: vec![] },
        metrics,
        breakdowns: Breakdowns { by_category, by_language, by_turn },
        most_changed,
        gates: vec![
            GateResult {
                rule: "warmth < -10%".into(),
                source: GateSource::Flag,
                metrics: vec!["dim.warmth".into()],
                fired: true,
                fired_by: vec!["dim.warmth".into()],
                message: "Warmth changed by -23% (limit -10%)".into(),
            },
            GateResult {
                rule: "recall < -0.1".into(),
                source: GateSource::Flag,
                metrics: vec!["dim.recall".into()],
                fired: false,
                fired_by: vec![],
                message: "Recall changed by -0.01 (limit -0.1)".into(),
            },
        ],
        summary: Summary {
            changed: 4,
            unchanged: 2,
            inconclusive: 2,
            dimensions_changed: vec!["dim.warmth".into(), "dim.verbosity".into(), "dim.engagement".into()],
            gates_fired: 1,
            exit_code: 1,
        },
        embedding: None,
        embedding_skipped: None,
        warnings: vec![],
        topics: None,
    }
}

pub fn replies(payloads: bool) -> Vec<ReplyRow> {
    let mut v = Vec::new();
    let texts: Vec<String> = if payloads {
        vec![
            SCRIPT.into(),
            IMG.into(),
            TEXTAREA.into(),
            JSLINK.into(),
            "=HYPERLINK(\"http://x\")".into(),
            "+1".into(),
            "-2".into(),
            "@SUM(A1)".into(),
            "\tTAB".into(),
            "x".repeat(1 << 20),
        ]
    } else {
        vec![
            "I'm so sorry, that sounds hard.".into(),
            "Keep a regular bedtime, \"really\".".into(),
        ]
    };
    for (i, t) in texts.into_iter().enumerate() {
        for (side, run) in [("old", "before"), ("new", "after")] {
            v.push(ReplyRow {
                run: run.into(),
                side: side.into(),
                probe_id: format!("probe-{i}"),
                category: "grief".into(),
                language: "en".into(),
                sample: i as u32 % 3,
                turn: i as u32 % 2,
                prompt: "How are you, =today?".into(),
                reply: t.clone(),
                values: BTreeMap::from([
                    ("words".to_string(), 10.0 + i as f64),
                    ("dim.warmth".to_string(), -1.5 + i as f64 * 0.25),
                ]),
            });
        }
    }
    v
}

pub fn embedding(payloads: bool) -> EmbeddingInput {
    EmbeddingInput {
        model: "all-MiniLM-L6-v2".into(),
        probes: (0..8)
            .map(|i| ProbeDriftInput {
                probe_id: if payloads && i == 0 {
                    SCRIPT.into()
                } else {
                    format!("probe-{i}")
                },
                category: "grief".into(),
                cross_distance: 0.2 + 0.05 * i as f64,
                within_distance: 0.2,
                p: Some(0.5 / (i + 1) as f64),
                verdict: if i >= 5 {
                    Verdict::Changed
                } else {
                    Verdict::Inconclusive
                },
            })
            .collect(),
        auc: Some(0.74),
        auc_p: Some(0.001),
    }
}

pub fn keywords(payloads: bool) -> KeywordsInput {
    KeywordsInput {
        old: vec![
            KeyTermInput {
                term: "so sorry".into(),
                count_old: 40,
                count_new: 9,
                z: 5.2,
            },
            KeyTermInput {
                term: if payloads { IMG.into() } else { "sweetheart".into() },
                count_old: 12,
                count_new: 0,
                z: 3.9,
            },
        ],
        new: vec![KeyTermInput {
            term: "counselor".into(),
            count_old: 1,
            count_new: 30,
            z: 6.1,
        }],
    }
}

pub fn inputs(payloads: bool) -> ReportInputs {
    ReportInputs {
        replies: replies(payloads),
        embedding: Some(embedding(payloads)),
        keywords: Some(keywords(payloads)),
    }
}
