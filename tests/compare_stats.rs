//! Property tests of the pure statistics and the gate parser.

mod compare_common;

use compare_common::*;
use persona_drift::compare::gate::parse_rules;
use persona_drift::compare::stats::*;
use persona_drift::compare::{build_comparison, CompareOptions, GateSource, Verdict};
use persona_drift::score::MetricKind;
use proptest::prelude::*;

fn finite() -> impl Strategy<Value = f64> {
    -1000.0..1000.0f64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn bootstrap_ci_contains_the_point_estimate(x in prop::collection::vec(finite(), 2..40), seed in any::<u64>()) {
        let ci = bootstrap_mean_ci(&x, 200, 0.95, &mut rng_for(seed, "p")).unwrap();
        let m = mean(&x).unwrap();
        prop_assert!(ci.low <= m && m <= ci.high, "{ci:?} {m}");
        prop_assert!(ci.low.is_finite() && ci.high.is_finite());
    }

    #[test]
    fn diff_ci_contains_the_point_estimate(
        x in prop::collection::vec(finite(), 2..30),
        y in prop::collection::vec(finite(), 2..30),
        seed in any::<u64>()
    ) {
        let ci = bootstrap_diff_ci(&x, &y, 200, 0.95, &mut rng_for(seed, "d")).unwrap();
        let m = mean(&y).unwrap() - mean(&x).unwrap();
        prop_assert!(ci.low <= m + 1e-9 && m - 1e-9 <= ci.high, "{ci:?} {m}");
    }

    #[test]
    fn ratio_ci_contains_the_point_estimate_and_never_falls_below_minus_100_percent(
        pairs in prop::collection::vec((0.0..50.0f64, 0.0..50.0f64), 2..40),
        paired in any::<bool>(),
        seed in any::<u64>()
    ) {
        let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let point = mean(&y).unwrap() / mean(&x).unwrap() - 1.0;
        if let Some(ci) = bootstrap_ratio_ci(&x, &y, paired, 300, 0.95, &mut rng_for(seed, "r")) {
            prop_assert!(ci.low >= -1.0, "{ci:?}");
            prop_assert!(ci.low <= point + 1e-9 && point - 1e-9 <= ci.high, "{ci:?} {point}");
        } else {
            // Only when the old side is (almost) all zeros.
            prop_assert!(x.iter().filter(|v| **v > 0.0).count() <= 2, "{x:?}");
        }
    }

    #[test]
    fn bh_q_at_least_p_at_most_1_and_monotone(p in prop::collection::vec(0.0..=1.0f64, 1..50)) {
        let q = benjamini_hochberg(&p);
        for i in 0..p.len() {
            prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0);
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(q[i] <= q[j] + 1e-15, "p {} <= {} but q {} > {}", p[i], p[j], q[i], q[j]);
                }
            }
        }
    }

    #[test]
    fn tests_give_p_in_0_1(d in prop::collection::vec(-20i32..20, 1..80), y in prop::collection::vec(-20i32..20, 1..20)) {
        let d: Vec<f64> = d.into_iter().map(f64::from).collect();
        let y: Vec<f64> = y.into_iter().map(f64::from).collect();
        if let Some((p, _)) = wilcoxon(&d) {
            prop_assert!((0.0..=1.0).contains(&p), "{p}");
        }
        let (p, _) = mann_whitney(&d, &y).unwrap();
        prop_assert!((0.0..=1.0).contains(&p), "{p}");
        let pp = permutation_p(&d, &y, 100, &mut rng_for(1, "x")).unwrap();
        prop_assert!(pp > 0.0 && pp <= 1.0);
    }

    #[test]
    fn cliffs_delta_is_bounded_and_antisymmetric(x in prop::collection::vec(finite(), 1..30), y in prop::collection::vec(finite(), 1..30)) {
        let a = cliffs_delta(&x, &y).unwrap();
        let b = cliffs_delta(&y, &x).unwrap();
        prop_assert!((-1.0..=1.0).contains(&a));
        prop_assert!((a + b).abs() < 1e-12);
    }

    #[test]
    fn constant_data_never_gives_nan(c in finite(), k in finite(), n in 3usize..20, samples in 1u32..4) {
        // Every reply of every probe has the same value c (old) and c + k (new): no spread at all.
        let rows = |v: f64| -> Vec<Row> {
            (0..n).flat_map(|p| (0..samples).map(move |s| (format!("p{p}"), s, 0, "c".into(), "en".into(), vec![("m".to_string(), v)]))).collect()
        };
        let o = input("o", vec![metric("m", MetricKind::Dimension, 0.5)], rows(c));
        let nn = input("n", vec![metric("m", MetricKind::Dimension, 0.5)], rows(c + k));
        let cmp = build_comparison(&o, &nn, &CompareOptions { resamples: 100, ..CompareOptions::default() }).unwrap();
        let json = serde_json::to_string(&cmp).unwrap();
        prop_assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
        let m = &cmp.metrics[0].stats;
        prop_assert!((m.abs_change.unwrap() - k).abs() < 1e-6);
        if k.abs() < 0.5 {
            prop_assert_eq!(m.verdict, Verdict::Unchanged);
        }
    }

    #[test]
    fn the_gate_parser_never_panics_and_the_caret_is_inside_the_text(s in "\\PC{0,40}") {
        if let Err(e) = parse_rules(&s, GateSource::Flag, "--fail-on") {
            prop_assert!(e.column <= s.chars().count(), "{e}");
            prop_assert!(e.to_string().contains('^'));
        }
    }
}

#[test]
fn bootstrap_matches_normal_theory_on_a_large_sample() {
    // For n = 400 draws the percentile bootstrap 95% CI of the mean is close to
    // mean +- 1.96 sd / sqrt(n) (hand-worked: sd of 0..399 = 115.61, half-width 11.33).
    let x: Vec<f64> = (0..400).map(f64::from).collect();
    let ci = bootstrap_mean_ci(&x, 10_000, 0.95, &mut rng_for(1, "n")).unwrap();
    let half = (ci.high - ci.low) / 2.0;
    assert!((half - 11.33).abs() < 0.6, "{ci:?}");
    assert!(((ci.high + ci.low) / 2.0 - 199.5).abs() < 0.6, "{ci:?}");
}

#[test]
fn ratio_ci_is_refused_for_negative_data_and_is_narrow_for_a_uniform_halving() {
    assert!(bootstrap_ratio_ci(
        &[1.0, -2.0, 3.0],
        &[1.0, 1.0, 1.0],
        true,
        100,
        0.95,
        &mut rng_for(1, "r")
    )
    .is_none());
    assert!(bootstrap_ratio_ci(
        &[0.0, 0.0, 0.0],
        &[1.0, 1.0, 1.0],
        true,
        100,
        0.95,
        &mut rng_for(1, "r")
    )
    .is_none());
    // Every probe halves: the paired ratio is exactly -50% in every resample.
    let x: Vec<f64> = (1..=30).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| v / 2.0).collect();
    let ci = bootstrap_ratio_ci(&x, &y, true, 1000, 0.95, &mut rng_for(1, "r")).unwrap();
    assert!(
        (ci.low + 0.5).abs() < 1e-12 && (ci.high + 0.5).abs() < 1e-12,
        "{ci:?}"
    );
    // Unpaired, the same data give a wide interval around -50%.
    let ci = bootstrap_ratio_ci(&x, &y, false, 1000, 0.95, &mut rng_for(1, "r")).unwrap();
    assert!(ci.low < -0.6 && ci.high > -0.4 && ci.low >= -1.0, "{ci:?}");
}

#[test]
fn a_drop_to_almost_nothing_has_a_relative_ci_above_minus_100_percent() {
    // The case the CI-of-the-difference-over-the-old-mean got wrong (shown as -143 %): a few
    // probes with large old values, most near zero, all dropping to about zero.
    let mut x = vec![0.1; 30];
    x.extend([3.0, 4.0, 6.0]);
    let y: Vec<f64> = x.iter().map(|v| v * 0.05).collect();
    let ci = bootstrap_ratio_ci(&x, &y, true, 2000, 0.95, &mut rng_for(3, "r")).unwrap();
    assert!(ci.low >= -1.0 && ci.high < 0.0, "{ci:?}");
    let d: Vec<f64> = x.iter().zip(&y).map(|(a, b)| b - a).collect();
    let naive = bootstrap_mean_ci(&d, 2000, 0.95, &mut rng_for(3, "r")).unwrap();
    assert!(
        naive.low / mean(&x).unwrap() < -1.0,
        "the naive interval does cross -100%: {naive:?}"
    );
}

#[test]
fn wilcoxon_exact_small_n_hand_worked() {
    // d = [1, 2, 3]: all positive, R+ = 6 = max; P(R+ >= 6) = 1/8, two-sided p = 0.25.
    // python3 -c "from scipy.stats import wilcoxon; print(wilcoxon([1,2,3], method='exact').pvalue)" -> 0.25
    assert_eq!(wilcoxon(&[1.0, 2.0, 3.0]).unwrap().0, 0.25);
    assert!(wilcoxon(&[0.0, 0.0]).is_none());
}

#[test]
fn permutation_p_detects_separation_and_is_seeded() {
    let x: Vec<f64> = (0..10).map(f64::from).collect();
    let y: Vec<f64> = (20..30).map(f64::from).collect();
    let p1 = permutation_p(&x, &y, 2000, &mut rng_for(3, "s")).unwrap();
    let p2 = permutation_p(&x, &y, 2000, &mut rng_for(3, "s")).unwrap();
    assert_eq!(p1, p2);
    assert_eq!(p1, 1.0 / 2001.0);
}
