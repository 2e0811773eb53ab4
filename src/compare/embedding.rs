//! The embedding half of a comparison: choosing the embedder from the flags (a missing default
//! model is a note, not an error), the per-reply metric `emb.warmth_direction` added to each run's
//! scores before [`build_comparison`](super::build_comparison) (so it gets paired statistics and a
//! verdict like every other metric), the [`EmbeddingComparison`] with its overall semantic-drift
//! verdict, and the report inputs built from it. Only the embedder choice and
//! [`compute`] do I/O; the rest is pure.

use super::model::{EmbeddingComparison, Interval, ProbeSemanticDrift, Verdict};
use super::stats::{benjamini_hochberg, rng_for};
use crate::cli::EmbedArgs;
use crate::embed::analysis::{AnalysisOptions, EmbeddingAnalysis, ReplyText};
use crate::embed::{embedder_from_spec, resolve_model_dir, EmbedOptions, Embedder, ResolveOptions};
use crate::report::{EmbeddingInput, KeyTermInput, KeywordsInput, ProbeDriftInput};
use crate::score::{MetricInfo, MetricKind, RunScores};
use crate::store::Record;
use rand::Rng;
use std::collections::BTreeMap;
use std::path::Path;

pub use crate::embed::WARMTH_METRIC_ID;

/// Half-width of the noise band around a drift ratio of 1: a median ratio within 1 ± 0.1 (replies
/// at most 10% further apart across versions than within one) counts as "no semantic drift".
pub const RATIO_BAND: f64 = 0.1;

/// Bumped when `emb.warmth_direction` changes (anchors, pooling, projection).
pub const WARMTH_METRIC_VERSION: u32 = 1;

/// What the flags ask for: an embedder, or the reason there is none.
pub enum Choice {
    Embedder(Box<dyn Embedder>),
    /// Embeddings are off; the reason goes into `comparison.embedding_skipped`.
    Skipped {
        reason: String,
        /// A note for the terminal (None for `--no-embeddings`, which asked for silence).
        note: Option<String>,
    },
}

/// The embedder the flags name. `--no-embeddings` skips silently. With no flag, the local model is
/// used when it can be resolved (explicit dir, env, cache, download); when it cannot, the result is
/// a skip with a note saying how to get it. An explicit `--embed-model DIR` (or
/// `PERSONA_DRIFT_EMBED_MODEL`) or `--embedder SPEC` that fails is an error (exit 2).
pub fn choose(args: &EmbedArgs) -> anyhow::Result<Choice> {
    let Some(opts) = EmbedOptions::from_args(args) else {
        return Ok(Choice::Skipped {
            reason: "--no-embeddings was given".into(),
            note: None,
        });
    };
    if opts.model_dir.is_some() || opts.spec.is_some() {
        return Ok(Choice::Embedder(embedder_from_spec(&opts)?));
    }
    match resolve_model_dir(&ResolveOptions::from_env()) {
        Ok(dir) => Ok(Choice::Embedder(embedder_from_spec(&EmbedOptions {
            model_dir: Some(dir),
            ..opts
        })?)),
        Err(e) => {
            let full = format!("{e:#}");
            // The resolver's message is "<cause>; <how to get it>": keep the cause.
            let cause = full.split("; ").next().unwrap_or(&full).to_string();
            let reason = format!("the local embedding model was not available: {cause}");
            let note = format!(
                "note: embedding metrics skipped ({cause}). To include them, run \
                 scripts/install-embed-model.sh (installs all-MiniLM-L6-v2 into the cache), or pass \
                 --embed-model DIR; pass --no-embeddings to silence this note."
            );
            Ok(Choice::Skipped {
                reason,
                note: Some(note),
            })
        }
    }
}

/// Replies of the given (latest, finished) records in input order, the unit the analysis embeds.
pub fn reply_texts(records: &[Record]) -> Vec<ReplyText> {
    ReplyText::from_records(records)
}

/// Embeds both runs (cached in each run directory) and computes every embedding metric.
/// Failures while embedding are exit 3 (could not measure).
pub fn compute(
    old_dir: &Path,
    old: &[ReplyText],
    new_dir: &Path,
    new: &[ReplyText],
    embedder: &dyn Embedder,
    seed: u64,
) -> anyhow::Result<EmbeddingAnalysis> {
    EmbeddingAnalysis::compute_runs(
        old_dir,
        old,
        new_dir,
        new,
        embedder,
        &AnalysisOptions::default(),
        seed,
    )
    .map_err(|e| {
        crate::error::unmeasurable(format!(
            "computing the embedding metrics with {}: {e:#}",
            embedder.model_id()
        ))
    })
}

/// The metric description of `emb.warmth_direction`. Kind Dimension: the issue asks for it as a
/// dimension of its own (a black-box counterpart of "persona vectors", read next to `dim.warmth`),
/// it is one score per reply on a personality axis like the other dimensions, and so it belongs in
/// the dimensions table, the breakdowns and `any dimension changed` gates. Its noise band is 10%
/// of the anchors' half gap (the warm anchors sit at +half gap, the cold ones at −half gap).
pub fn warmth_metric_info(anchor_half_gap: f64) -> MetricInfo {
    MetricInfo {
        id: WARMTH_METRIC_ID.into(),
        label: "Warmth (embedding direction)".into(),
        kind: MetricKind::Dimension,
        group: "embedding".into(),
        // A projection in the embedding space: no unit to print.
        unit: String::new(),
        description: "Where a reply's meaning sits between cold and warm reference sentences, by a \
                      sentence-embedding model (0 = halfway, positive = warmer); a counterpart of the \
                      lexical warmth score that needs no word lists."
            .into(),
        languages: vec!["*".into()],
        version: WARMTH_METRIC_VERSION,
        default_noise: (0.1 * anchor_half_gap).max(1e-6),
    }
}

/// Adds `emb.warmth_direction` to `scores`: each reply's projection, found by (probe id, sample,
/// turn) among `replies` (aligned with `warmth`). Replies without a projection get no value
/// ("not applicable"). Returns how many replies got one.
pub fn add_warmth_metric(
    scores: &mut RunScores,
    replies: &[ReplyText],
    warmth: &[f64],
    anchor_half_gap: f64,
) -> usize {
    let by_key: BTreeMap<(&str, u32, u32), f64> = replies
        .iter()
        .zip(warmth)
        .filter(|(_, w)| w.is_finite())
        .map(|(r, w)| ((r.probe_id.as_str(), r.sample, r.turn), *w))
        .collect();
    scores.metrics.retain(|m| m.id != WARMTH_METRIC_ID);
    scores.metrics.push(warmth_metric_info(anchor_half_gap));
    let mut n = 0;
    for r in &mut scores.replies {
        if let Some(w) = by_key.get(&(r.probe_id.as_str(), r.sample, r.turn)) {
            r.values.insert(WARMTH_METRIC_ID.to_string(), *w);
            n += 1;
        }
    }
    n
}

/// `emb.warmth_direction` is on an interval scale (0 is the midpoint between the cold and warm
/// anchors, not "no warmth"), so a percentage of the old mean means nothing: drop the relative
/// change after [`build_comparison`](super::build_comparison), in the overall result and the
/// breakdowns, so every report states the change in the metric's own units.
/// Gates are evaluated again afterwards, so a `%` rule never fires on that meaningless percentage.
pub fn drop_relative_change(
    c: &mut super::model::Comparison,
    gates: &[super::gate::Gate],
) -> anyhow::Result<()> {
    if !c.metrics.iter().any(|m| m.id == WARMTH_METRIC_ID) {
        return Ok(());
    }
    let b = &mut c.breakdowns;
    for s in c
        .metrics
        .iter_mut()
        .filter(|m| m.id == WARMTH_METRIC_ID)
        .map(|m| &mut m.stats)
        .chain(
            b.by_category
                .iter_mut()
                .chain(b.by_language.iter_mut())
                .chain(b.by_turn.iter_mut())
                .filter(|g| g.metric == WARMTH_METRIC_ID)
                .map(|g| &mut g.stats),
        )
    {
        s.rel_change = None;
        s.rel_ci = None;
    }
    c.gates = super::gate::evaluate(gates, &c.metrics).map_err(crate::error::usage)?;
    c.summary.gates_fired = c.gates.iter().filter(|g| g.fired).count() as u64;
    c.summary.exit_code = if c.summary.gates_fired > 0 { 1 } else { 0 };
    Ok(())
}

/// Simes' combination of p-values (valid under positive dependence): min over i of p_(i)·k/i.
pub fn simes(p: &[f64]) -> Option<f64> {
    if p.is_empty() {
        return None;
    }
    let mut s: Vec<f64> = p.to_vec();
    s.sort_by(f64::total_cmp);
    let k = s.len() as f64;
    s.iter()
        .enumerate()
        .map(|(i, p)| p * k / (i + 1) as f64)
        .reduce(f64::min)
        .map(|v| v.min(1.0))
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Percentile bootstrap interval of the median of `ratios` (resampling probes). None with fewer
/// than 2 values.
pub fn median_ci(ratios: &[f64], resamples: u32, level: f64, seed: u64) -> Option<Interval> {
    if ratios.len() < 2 || resamples == 0 {
        return None;
    }
    let mut rng = rng_for(seed, "embedding.median_ratio");
    let mut meds: Vec<f64> = (0..resamples)
        .map(|_| {
            let mut s: Vec<f64> = (0..ratios.len())
                .map(|_| ratios[rng.gen_range(0..ratios.len())])
                .collect();
            median(&mut s).unwrap_or(f64::NAN)
        })
        .collect();
    meds.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let at = |q: f64| meds[((q * (meds.len() - 1) as f64).round() as usize).min(meds.len() - 1)];
    Some(Interval {
        low: at(tail),
        high: at(1.0 - tail),
        level,
    })
}

/// The overall semantic-drift verdict, decided once:
/// - **changed** when the combined (Simes) p of the classifier and energy tests is below `alpha`
///   and the median drift ratio is above 1 + [`RATIO_BAND`];
/// - **unchanged** when the bootstrap interval of the median drift ratio lies inside
///   1 ± [`RATIO_BAND`];
/// - **inconclusive** otherwise (including when there are too few probes for either).
pub fn overall_verdict(
    combined_p: Option<f64>,
    median_ratio: Option<f64>,
    ci: Option<&Interval>,
    alpha: f64,
) -> (Verdict, String) {
    let band = format!("1 ± {RATIO_BAND}");
    let p_txt = combined_p
        .map(|p| format!("combined p = {p:.3}"))
        .unwrap_or_else(|| "no overall test (fewer than 2 shared probes)".into());
    let r_txt = median_ratio
        .map(|r| format!("median drift ratio {r:.2}"))
        .unwrap_or_else(|| "no drift ratio".into());
    let ci_txt = ci
        .map(|c| format!(" ({:.0}% interval {:.2}-{:.2})", c.level * 100.0, c.low, c.high))
        .unwrap_or_default();
    if let (Some(p), Some(r)) = (combined_p, median_ratio) {
        if p < alpha && r > 1.0 + RATIO_BAND {
            return (
                Verdict::Changed,
                format!("changed: {p_txt} < alpha {alpha} and {r_txt} is above {band}"),
            );
        }
    }
    if let Some(c) = ci {
        if c.low >= 1.0 - RATIO_BAND && c.high <= 1.0 + RATIO_BAND {
            return (
                Verdict::Unchanged,
                format!("unchanged: {r_txt}{ci_txt} lies within {band}; {p_txt}"),
            );
        }
    }
    (
        Verdict::Inconclusive,
        format!(
            "inconclusive: {r_txt}{ci_txt}, {p_txt}; changed needs p < {alpha} and a ratio above \
             {band}, unchanged an interval inside it"
        ),
    )
}

/// The comparison's embedding section from an analysis. `categories` maps probe id -> category.
pub fn comparison(
    a: &EmbeddingAnalysis,
    categories: &BTreeMap<String, String>,
    model: &str,
    alpha: f64,
    resamples: u32,
    ci_level: f64,
) -> EmbeddingComparison {
    let q = benjamini_hochberg(&a.probes.iter().map(|p| p.p_value).collect::<Vec<_>>());
    let probes: Vec<ProbeSemanticDrift> = a
        .probes
        .iter()
        .zip(&q)
        .map(|(p, &q)| ProbeSemanticDrift {
            probe_id: p.probe_id.clone(),
            category: categories.get(&p.probe_id).cloned().unwrap_or_default(),
            old_samples: p.old_samples,
            new_samples: p.new_samples,
            cross_distance: p.cross_distance,
            within_old: p.within_old,
            within_new: p.within_new,
            noise_floor: p.noise_floor,
            drift_ratio: p.drift_ratio,
            p_value: p.p_value,
            q_value: q,
            permutations: p.permutations,
            exact: p.exact,
            // Per probe there is no interval on the ratio (a handful of samples), so a probe is
            // either clearly drifted or left open.
            verdict: match p.drift_ratio {
                Some(r) if q < alpha && r > 1.0 + RATIO_BAND => Verdict::Changed,
                _ => Verdict::Inconclusive,
            },
        })
        .collect();
    let ratios: Vec<f64> = probes.iter().filter_map(|p| p.drift_ratio).collect();
    let ci = median_ci(&ratios, resamples.min(5000), ci_level, a.seed);
    let tests: Vec<f64> = [&a.classifier_auc, &a.energy_distance]
        .into_iter()
        .flatten()
        .map(|t| t.p_value)
        .collect();
    let combined_p = simes(&tests);
    let (verdict, verdict_reason) = overall_verdict(combined_p, a.median_drift_ratio, ci.as_ref(), alpha);
    let mean = |f: &dyn Fn(&ProbeSemanticDrift) -> f64| -> Option<f64> {
        (!probes.is_empty()).then(|| probes.iter().map(f).sum::<f64>() / probes.len() as f64)
    };
    EmbeddingComparison {
        model: model.to_string(),
        cross_version_distance: mean(&|p| p.cross_distance),
        within_old_distance: mean(&|p| p.within_old),
        within_new_distance: mean(&|p| p.within_new),
        ratio: a.median_drift_ratio,
        ci,
        verdict: Some(verdict),
        extra: BTreeMap::new(),
        model_id: a.model_id.clone(),
        dimensions: a.dimensions,
        probes,
        skipped_probes: a.skipped_probes.clone(),
        median_drift_ratio: a.median_drift_ratio,
        ratio_band: RATIO_BAND,
        classifier_auc: a.classifier_auc.clone(),
        energy_distance: a.energy_distance.clone(),
        combined_p,
        verdict_reason,
        warmth: a.warmth.clone(),
        words: Some(a.words.clone()),
        seed: a.seed,
    }
}

/// The report stage's inputs: per-probe drift against its noise floor, and the words of each side.
pub fn report_inputs(e: &EmbeddingComparison) -> (EmbeddingInput, Option<KeywordsInput>) {
    let input = EmbeddingInput {
        model: e.model.clone(),
        probes: e
            .probes
            .iter()
            .map(|p| ProbeDriftInput {
                probe_id: p.probe_id.clone(),
                category: p.category.clone(),
                cross_distance: p.cross_distance,
                within_distance: p.noise_floor,
                p: Some(p.p_value),
                verdict: p.verdict,
            })
            .collect(),
        auc: e.classifier_auc.as_ref().map(|t| t.statistic),
        auc_p: e.classifier_auc.as_ref().map(|t| t.p_value),
    };
    let keywords = e.words.as_ref().map(|w| {
        let conv = |v: &[crate::embed::LogOddsTerm]| -> Vec<KeyTermInput> {
            v.iter()
                .map(|t| KeyTermInput {
                    term: t.term.clone(),
                    count_old: t.count_old,
                    count_new: t.count_new,
                    z: t.z.abs(),
                })
                .collect()
        };
        KeywordsInput {
            old: conv(&w.more_in_old),
            new: conv(&w.more_in_new),
        }
    });
    (input, keywords)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::analysis::ProbeDrift;
    use crate::embed::{LogOddsTerm, TwoSampleTest, WordShift};
    use crate::score::ReplyScores;

    fn rt(p: &str, s: u32, t: u32) -> ReplyText {
        ReplyText {
            probe_id: p.into(),
            sample: s,
            turn: t,
            text: format!("{p} {s} {t}"),
        }
    }

    fn rs(p: &str, s: u32, t: u32) -> ReplyScores {
        ReplyScores {
            probe_id: p.into(),
            sample: s,
            turn: t,
            category: "grief".into(),
            language: "en".into(),
            values: BTreeMap::from([("words".to_string(), 10.0)]),
        }
    }

    #[test]
    fn warmth_is_mapped_by_probe_sample_and_turn() {
        let mut scores = RunScores {
            metrics: vec![],
            replies: vec![rs("b", 1, 0), rs("a", 0, 1), rs("a", 0, 0), rs("c", 0, 0)],
        };
        // Input order differs from the scores' order; "c" has no projection.
        let replies = vec![rt("a", 0, 0), rt("a", 0, 1), rt("b", 1, 0)];
        let n = add_warmth_metric(&mut scores, &replies, &[0.1, 0.2, -0.3], 0.5);
        assert_eq!(n, 3);
        let v = |i: usize| scores.replies[i].values.get(WARMTH_METRIC_ID).copied();
        assert_eq!(v(0), Some(-0.3));
        assert_eq!(v(1), Some(0.2));
        assert_eq!(v(2), Some(0.1));
        assert_eq!(
            v(3),
            None,
            "a reply without a projection is not applicable, never 0"
        );
        assert_eq!(scores.metrics.len(), 1);
        let m = &scores.metrics[0];
        assert_eq!(m.kind, MetricKind::Dimension);
        assert_eq!(m.group, "embedding");
        assert_eq!(m.languages, vec!["*"]);
        assert!((m.default_noise - 0.05).abs() < 1e-12);
        // Adding twice does not duplicate the metric.
        add_warmth_metric(&mut scores, &replies, &[0.1, 0.2, -0.3], 0.5);
        assert_eq!(scores.metrics.len(), 1);
    }

    #[test]
    fn simes_combines() {
        assert_eq!(simes(&[]), None);
        assert!((simes(&[0.04]).unwrap() - 0.04).abs() < 1e-12);
        // min(2·0.03, 0.2) = 0.06; min(2·0.2, 0.03·2/2)...
        assert!((simes(&[0.2, 0.03]).unwrap() - 0.06).abs() < 1e-12);
        assert!((simes(&[0.04, 0.045]).unwrap() - 0.045).abs() < 1e-12);
        assert_eq!(simes(&[0.9, 0.8]).unwrap(), 0.9);
    }

    #[test]
    fn overall_verdict_rule() {
        let inside = Interval {
            low: 0.95,
            high: 1.05,
            level: 0.95,
        };
        let wide = Interval {
            low: 0.9,
            high: 1.6,
            level: 0.95,
        };
        assert_eq!(
            overall_verdict(Some(0.001), Some(1.4), Some(&wide), 0.05).0,
            Verdict::Changed
        );
        // Significant but within the band: a real yet negligible difference.
        assert_eq!(
            overall_verdict(Some(0.001), Some(1.02), Some(&inside), 0.05).0,
            Verdict::Unchanged
        );
        assert_eq!(
            overall_verdict(Some(0.4), Some(1.4), Some(&wide), 0.05).0,
            Verdict::Inconclusive
        );
        assert_eq!(
            overall_verdict(None, Some(1.4), None, 0.05).0,
            Verdict::Inconclusive
        );
        let (v, why) = overall_verdict(Some(0.3), Some(1.0), Some(&inside), 0.05);
        assert_eq!(v, Verdict::Unchanged);
        assert!(why.contains("1 ± 0.1"), "{why}");
    }

    #[test]
    fn median_ci_brackets_the_median_and_is_seeded() {
        let r = [0.9, 1.0, 1.1, 1.0, 0.95, 1.05, 1.02];
        let a = median_ci(&r, 2000, 0.95, 7).unwrap();
        let b = median_ci(&r, 2000, 0.95, 7).unwrap();
        assert_eq!(a, b);
        assert!(
            a.low <= 1.02 && a.high >= 1.0 && a.low >= 0.9 && a.high <= 1.1,
            "{a:?}"
        );
        assert!(median_ci(&[1.0], 100, 0.95, 1).is_none());
    }

    fn analysis(ratios: &[f64], p: &[f64], test_p: f64) -> EmbeddingAnalysis {
        let probes: Vec<ProbeDrift> = ratios
            .iter()
            .zip(p)
            .enumerate()
            .map(|(i, (r, p))| ProbeDrift {
                probe_id: format!("p{i}"),
                old_samples: 3,
                new_samples: 3,
                cross_distance: 0.2 * r,
                within_old: 0.2,
                within_new: 0.2,
                noise_floor: 0.2,
                drift_ratio: Some(*r),
                p_value: *p,
                permutations: 20,
                exact: true,
            })
            .collect();
        let mut m: Vec<f64> = ratios.to_vec();
        let term = |t: &str, o: u64, n: u64, z: f64| LogOddsTerm {
            term: t.into(),
            ngram: 1,
            log_odds: z / 2.0,
            z,
            count_old: o,
            count_new: n,
        };
        EmbeddingAnalysis {
            schema_version: 1,
            model_id: "m-1".into(),
            dimensions: 4,
            seed: 3,
            probes,
            skipped_probes: vec![],
            median_drift_ratio: median(&mut m),
            classifier_auc: Some(TwoSampleTest {
                statistic: 0.8,
                null_mean: 0.5,
                p_value: test_p,
                permutations: 999,
            }),
            energy_distance: Some(TwoSampleTest {
                statistic: 0.1,
                null_mean: 0.01,
                p_value: test_p,
                permutations: 999,
            }),
            warmth: None,
            old_warmth: vec![],
            new_warmth: vec![],
            words: WordShift {
                more_in_new: vec![term("delve", 1, 9, 3.0)],
                more_in_old: vec![term("sorry", 8, 1, -2.5)],
                tokens_old: 100,
                tokens_new: 100,
                prior_mass: 500.0,
            },
            options: AnalysisOptions::default(),
        }
    }

    #[test]
    fn comparison_and_report_inputs() {
        let cats = BTreeMap::from([("p0".to_string(), "grief".to_string())]);
        let a = analysis(&[2.0, 1.8, 1.9, 1.0], &[0.001, 0.001, 0.001, 0.6], 0.001);
        let e = comparison(&a, &cats, "all-MiniLM-L6-v2", 0.05, 1000, 0.95);
        assert_eq!(e.verdict, Some(Verdict::Changed), "{}", e.verdict_reason);
        assert_eq!(e.probes[0].category, "grief");
        assert_eq!(e.probes[0].verdict, Verdict::Changed);
        assert_eq!(e.probes[3].verdict, Verdict::Inconclusive);
        assert!((e.probes[0].q_value - 0.001 * 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(e.combined_p, Some(0.001));
        let (inp, kw) = report_inputs(&e);
        assert_eq!(inp.probes.len(), 4);
        assert!((inp.probes[0].within_distance - 0.2).abs() < 1e-12);
        assert_eq!(inp.auc, Some(0.8));
        let kw = kw.unwrap();
        assert_eq!(kw.new[0].term, "delve");
        assert_eq!(kw.old[0].term, "sorry");
        assert!(kw.old[0].z > 0.0, "listed under its side with a positive z");
        // Nothing significant and ratios near 1: unchanged.
        let a = analysis(&[1.0, 1.01, 0.99, 1.0, 1.02, 0.98], &[0.5; 6], 0.5);
        let e = comparison(&a, &cats, "m", 0.05, 1000, 0.95);
        assert_eq!(e.verdict, Some(Verdict::Unchanged), "{}", e.verdict_reason);
    }
}
