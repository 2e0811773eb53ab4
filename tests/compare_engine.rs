//! The comparison engine on hand-built scored runs: missing data, breakdowns, typical replies,
//! measured noise, noise bands, q-values.

mod compare_common;

use compare_common::*;
use persona_drift::compare::{
    build_comparison, CompareOptions, NoiseOverride, NoiseSource, Pairing, Verdict,
};
use persona_drift::score::MetricKind;

fn row(p: usize, s: u32, t: u32, cat: &str, vals: &[(&str, f64)]) -> Row {
    (
        format!("p{p:02}"),
        s,
        t,
        cat.to_string(),
        if p % 2 == 0 { "en" } else { "sv" }.to_string(),
        vals.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    )
}

fn opts() -> CompareOptions {
    CompareOptions {
        resamples: 2_000,
        ..CompareOptions::default()
    }
}

#[test]
fn not_applicable_values_are_missing_not_zero() {
    let m = vec![metric("dim.recall", MetricKind::Dimension, 0.05)];
    // Old: 10 probes, value 0.8 (+ tiny spread). New: same, but probes 0..4 have no value
    // (recall not applicable) on sample 1.
    let old: Vec<Row> = (0..10)
        .flat_map(|p| (0..2).map(move |s| row(p, s, 0, "c", &[("dim.recall", 0.8 + p as f64 * 0.001)])))
        .collect();
    let new: Vec<Row> = (0..10)
        .flat_map(|p| {
            (0..2).map(move |s| {
                if p < 5 && s == 1 {
                    row(p, s, 0, "c", &[])
                } else {
                    row(p, s, 0, "c", &[("dim.recall", 0.8 + p as f64 * 0.001)])
                }
            })
        })
        .collect();
    let c = build_comparison(&input("o", m.clone(), old), &input("n", m, new), &opts()).unwrap();
    let s = &c.metrics[0].stats;
    assert_eq!(s.missing.new_replies, 5);
    assert_eq!(s.missing.old_replies, 0);
    assert_eq!(s.n_pairs, 10);
    // Had the missing values been zeros, the new mean would be 0.6.
    assert!((s.new_mean.unwrap() - s.old_mean.unwrap()).abs() < 1e-12, "{s:?}");
    assert_eq!(s.verdict, Verdict::Unchanged);
}

#[test]
fn by_turn_breakdown_finds_a_model_that_cools_down_late() {
    let m = vec![metric("dim.warmth", MetricKind::Dimension, 0.05)];
    let mk = |late: f64| -> Vec<Row> {
        (0..20)
            .flat_map(|p| {
                (0..3).flat_map(move |s| {
                    (0..3).map(move |t| {
                        let base = 0.5 + (p as f64 * 0.37 + s as f64 * 0.11).sin() * 0.05;
                        let v = if t == 2 { base + late } else { base };
                        row(p, s, t, "c", &[("dim.warmth", v)])
                    })
                })
            })
            .collect()
    };
    let c = build_comparison(&input("o", m.clone(), mk(0.0)), &input("n", m, mk(-0.3)), &opts()).unwrap();
    let turns: Vec<(&str, Verdict)> = c
        .breakdowns
        .by_turn
        .iter()
        .map(|g| (g.key.as_str(), g.stats.verdict))
        .collect();
    assert_eq!(
        turns,
        vec![
            ("0", Verdict::Unchanged),
            ("1", Verdict::Unchanged),
            ("2", Verdict::Changed)
        ]
    );
    let t2 = &c.breakdowns.by_turn[2].stats;
    assert!((t2.abs_change.unwrap() + 0.3).abs() < 1e-9);
    assert!(t2.q.unwrap() >= t2.p.unwrap());
    // Language and category breakdowns exist too.
    assert_eq!(
        c.breakdowns
            .by_language
            .iter()
            .map(|g| g.key.as_str())
            .collect::<Vec<_>>(),
        vec!["en", "sv"]
    );
    assert_eq!(c.breakdowns.by_category.len(), 1);
}

#[test]
fn most_changed_probes_come_with_their_most_typical_replies() {
    let m = vec![metric("dim.verbosity", MetricKind::Dimension, 1.0)];
    // Probe p03 changes most: old samples 10, 12, 30 (median 12), new 50, 51, 80 (median 51).
    let vals_old = |p: usize, s: u32| {
        if p == 3 {
            [10.0, 12.0, 30.0][s as usize]
        } else {
            20.0 + s as f64
        }
    };
    let vals_new = |p: usize, s: u32| {
        if p == 3 {
            [50.0, 51.0, 80.0][s as usize]
        } else {
            21.0 + s as f64
        }
    };
    let rows = |f: &dyn Fn(usize, u32) -> f64| -> Vec<Row> {
        (0..8)
            .flat_map(|p| (0..3).map(move |s| (p, s)))
            .map(|(p, s)| row(p, s, 0, "grief", &[("dim.verbosity", f(p, s))]))
            .collect()
    };
    let c = build_comparison(
        &input("o", m.clone(), rows(&vals_old)),
        &input("n", m, rows(&vals_new)),
        &CompareOptions {
            top_changed: 2,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(c.most_changed.len(), 2);
    let top = &c.most_changed[0];
    assert_eq!((top.probe_id.as_str(), top.rank), ("p03", 1));
    let o = top.old_reply.as_ref().unwrap();
    let n = top.new_reply.as_ref().unwrap();
    assert_eq!((o.sample, o.value, o.text.as_str()), (1, 12.0, "reply p03/1/0"));
    assert_eq!((n.sample, n.value), (1, 51.0));
    assert_eq!(o.category, "grief");
    assert_eq!(o.prompt, "q p03/0");
}

#[test]
fn measured_noise_needs_two_samples_and_bounds_the_detectable_change() {
    let m = vec![metric("x", MetricKind::Raw, 0.0)];
    // Samples alternate +-1 around each probe's level: split-half h = +2 or -2 per probe with
    // 2 samples, Var(h) = s^2 (1 + 1) -> s = sqrt(4 / 2) = 1.414.
    let rows = |samples: u32| -> Vec<Row> {
        (0..10)
            .flat_map(|p| {
                (0..samples).map(move |s| {
                    row(
                        p,
                        s,
                        0,
                        "c",
                        &[("x", p as f64 + if s % 2 == 0 { 1.0 } else { -1.0 })],
                    )
                })
            })
            .collect()
    };
    let c = build_comparison(
        &input("o", m.clone(), rows(2)),
        &input("n", m.clone(), rows(2)),
        &opts(),
    )
    .unwrap();
    let mn = &c.metrics[0].measured_noise;
    let side = mn.old.as_ref().unwrap();
    assert!((side.sample_sd - 2f64.sqrt()).abs() < 1e-12, "{side:?}");
    assert_eq!(side.n_probes, 10);
    // chance SD = sqrt((2/2 + 2/2) / 10); mdc = 2.8016 * that.
    let chance = (0.2f64).sqrt();
    assert!((mn.chance_change_sd.unwrap() - chance).abs() < 1e-12);
    assert!((mn.mdc_sampling.unwrap() - chance * 2.801585).abs() < 1e-5);
    let c1 = build_comparison(&input("o", m.clone(), rows(1)), &input("n", m, rows(1)), &opts()).unwrap();
    assert!(c1.metrics[0].measured_noise.old.is_none());
    assert!(c1.warnings.iter().any(|w| w.contains("one sample per probe")));
}

#[test]
fn noise_bands_resolve_names_and_percentages() {
    let m = vec![
        metric("dim.warmth", MetricKind::Dimension, 0.01),
        metric("words", MetricKind::Raw, 3.0),
    ];
    let rows = |d: f64| -> Vec<Row> {
        (0..10)
            .map(|p| {
                row(
                    p,
                    0,
                    0,
                    "c",
                    &[
                        ("dim.warmth", 0.5 + d + p as f64 * 0.01),
                        ("words", 100.0 + p as f64),
                    ],
                )
            })
            .collect()
    };
    let opts = CompareOptions {
        noise: vec![
            NoiseOverride::parse("warmth=0.2", NoiseSource::Flag).unwrap(),
            NoiseOverride::parse("words=10%", NoiseSource::Config).unwrap(),
        ],
        ..opts()
    };
    let c = build_comparison(
        &input("o", m.clone(), rows(0.0)),
        &input("n", m, rows(0.1)),
        &opts,
    )
    .unwrap();
    assert_eq!(c.metrics[0].id, "dim.warmth");
    assert_eq!(c.metrics[0].noise.half_width, 0.2);
    // 10% of the old mean 104.5
    assert!((c.metrics[1].noise.half_width - 10.45).abs() < 1e-9);
    assert_eq!(c.metrics[1].noise.source, NoiseSource::Config);
    // +0.1 warmth is inside a 0.2 band: unchanged, not changed.
    assert_eq!(c.metrics[0].stats.verdict, Verdict::Unchanged);
    assert_eq!(c.pairing, Pairing::Paired);
    assert!(NoiseOverride::parse("words=-1", NoiseSource::Flag).is_err());
    assert!(NoiseOverride::parse("words=abc", NoiseSource::Flag).is_err());
}

#[test]
fn q_values_are_benjamini_hochberg_across_all_metrics() {
    let ids = ["a", "b", "c", "d"];
    let m: Vec<_> = ids.iter().map(|i| metric(i, MetricKind::Raw, 0.0)).collect();
    let rows = |shift: bool| -> Vec<Row> {
        (0..12)
            .map(|p| {
                let v: Vec<(&str, f64)> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| {
                        (
                            *id,
                            (p * (k + 3)) as f64 % 7.0 + if shift { k as f64 * 0.8 } else { 0.0 },
                        )
                    })
                    .collect();
                row(p, 0, 0, "c", &v)
            })
            .collect()
    };
    let c = build_comparison(
        &input("o", m.clone(), rows(false)),
        &input("n", m, rows(true)),
        &opts(),
    )
    .unwrap();
    let p: Vec<f64> = c.metrics.iter().map(|r| r.stats.p.unwrap()).collect();
    let q: Vec<f64> = c.metrics.iter().map(|r| r.stats.q.unwrap()).collect();
    assert_eq!(q, persona_drift::compare::stats::benjamini_hochberg(&p));
}

#[test]
fn the_example_ci_config_parses() {
    let flags = persona_drift::cli::CompareFlags {
        config: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci/persona-drift.toml").into()),
        ..Default::default()
    };
    let o = persona_drift::compare::config::options(&flags).unwrap();
    assert_eq!(o.gates.len(), 4);
    assert_eq!(o.alpha, 0.05);
}
