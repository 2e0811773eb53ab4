//! Calibration of the verdict rule on synthetic data.
//!
//! Model: reply value = probe effect (N(0,1) per probe) + sample noise (N(0,1) per reply).
//! - A/A: old and new drawn from that one distribution. Over 200 seeds x 3 metrics, the share
//!   flagged `changed` at alpha 0.05 after Benjamini-Hochberg must be at most 5%. The noise band
//!   is 0 here, the hardest case: only the test and the CI stand between noise and "changed".
//! - A/B: new shifted by 0.5 SD of the sample noise (0.5), 30 probes x 5 samples, noise band
//!   0.1: detected (`changed`, direction up) in at least 80% of 200 seeds.
//!
//! The calibration loops use 1,000 bootstrap resamples (and permutations) instead of the default
//! 10,000 and skip the breakdowns, to stay fast.

mod compare_common;

use compare_common::*;
use persona_drift::compare::{build_comparison, CompareOptions, Direction, Pairing, Verdict};
use persona_drift::score::MetricKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

const METRICS: [&str; 3] = ["m1", "m2", "m3"];

fn synth(
    seed: u64,
    probes: usize,
    samples: u32,
    shift: f64,
    band: f64,
) -> (persona_drift::compare::RunInput, persona_drift::compare::RunInput) {
    synth_with(seed, probes, samples, shift, band, false)
}

/// `independent`: the new run's probes get their own effects (different prompts, as in an
/// imported history with no shared probes).
fn synth_with(
    seed: u64,
    probes: usize,
    samples: u32,
    shift: f64,
    band: f64,
    independent: bool,
) -> (persona_drift::compare::RunInput, persona_drift::compare::RunInput) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let infos: Vec<_> = METRICS
        .iter()
        .map(|m| metric(m, MetricKind::Dimension, band))
        .collect();
    let draw = |rng: &mut ChaCha8Rng| -> Vec<Vec<f64>> {
        (0..probes)
            .map(|_| METRICS.iter().map(|_| normal(rng)).collect())
            .collect()
    };
    let old_effects = draw(&mut rng);
    let new_effects = if independent {
        draw(&mut rng)
    } else {
        old_effects.clone()
    };
    let rows = |effects: &Vec<Vec<f64>>, delta: f64, rng: &mut ChaCha8Rng| -> Vec<Row> {
        let mut out = Vec::new();
        for (p, eff) in effects.iter().enumerate() {
            for s in 0..samples {
                let vals = METRICS
                    .iter()
                    .zip(eff)
                    .map(|(m, e)| (m.to_string(), e + delta + normal(rng)))
                    .collect();
                out.push((format!("p{p}"), s, 0, "c".to_string(), "en".to_string(), vals));
            }
        }
        out
    };
    let old = rows(&old_effects, 0.0, &mut rng);
    let new = rows(&new_effects, shift, &mut rng);
    (input("old", infos.clone(), old), input("new", infos, new))
}

fn opts(seed: u64) -> CompareOptions {
    CompareOptions {
        seed,
        resamples: 1_000,
        top_changed: 0,
        ..CompareOptions::default()
    }
}

#[test]
fn a_a_false_changed_rate_at_most_5_percent() {
    let mut flagged = 0;
    let mut total = 0;
    let mut raw_rejections = 0;
    let mut covered = 0;
    for seed in 0..200u64 {
        let (o, n) = synth(seed, 30, 5, 0.0, 0.0);
        let c = build_comparison(&o, &n, &opts(seed)).unwrap();
        assert_eq!(c.pairing, Pairing::Paired);
        for m in &c.metrics {
            total += 1;
            raw_rejections += (m.stats.p.unwrap() < 0.05) as usize;
            let ci = m.stats.ci.unwrap();
            covered += (ci.low <= 0.0 && 0.0 <= ci.high) as usize;
            if m.stats.verdict == Verdict::Changed {
                flagged += 1;
            }
        }
    }
    // The uncorrected Wilcoxon p itself is calibrated (neither broken nor over-conservative):
    // about 5% of null p-values fall below 0.05 (binomial 600 x 0.05: 2%..9% is > 99.9%).
    // The 95% CI covers the true change (0) about 95% of the time (binomial sd 0.9%).
    let coverage = covered as f64 / total as f64;
    eprintln!("A/A: 95% CI covers 0 in {covered}/{total}");
    assert!((0.92..=0.98).contains(&coverage), "coverage {coverage}");
    let raw = raw_rejections as f64 / total as f64;
    eprintln!("A/A: raw p < 0.05 for {raw_rejections}/{total}");
    assert!((0.02..=0.09).contains(&raw), "raw rejection rate {raw}");
    let rate = flagged as f64 / total as f64;
    eprintln!(
        "A/A: {flagged}/{total} metrics flagged changed ({:.2}%)",
        rate * 100.0
    );
    assert!(rate <= 0.05, "A/A false changed rate {rate}");
}

#[test]
fn a_b_half_sd_shift_detected_at_least_80_percent() {
    let mut detected = 0;
    let mut total = 0;
    for seed in 1000..1200u64 {
        let (o, n) = synth(seed, 30, 5, 0.5, 0.1);
        let c = build_comparison(&o, &n, &opts(seed)).unwrap();
        for m in &c.metrics {
            total += 1;
            if m.stats.verdict == Verdict::Changed && m.stats.direction == Direction::Up {
                detected += 1;
            }
        }
    }
    let rate = detected as f64 / total as f64;
    eprintln!("A/B 0.5 SD: {detected}/{total} detected ({:.1}%)", rate * 100.0);
    assert!(rate >= 0.80, "power {rate}");
}

#[test]
fn a_a_unpaired_false_changed_rate_at_most_5_percent() {
    let mut flagged = 0;
    let mut total = 0;
    for seed in 5000..5200u64 {
        let (o, n) = synth_with(seed, 30, 3, 0.0, 0.0, true);
        let c = build_comparison(
            &o,
            &n,
            &CompareOptions {
                unpaired: true,
                ..opts(seed)
            },
        )
        .unwrap();
        assert_eq!(c.pairing, Pairing::Unpaired);
        for m in &c.metrics {
            total += 1;
            flagged += (m.stats.verdict == Verdict::Changed) as usize;
        }
    }
    let rate = flagged as f64 / total as f64;
    eprintln!("A/A unpaired: {flagged}/{total} ({:.2}%)", rate * 100.0);
    assert!(rate <= 0.05, "{rate}");
}
