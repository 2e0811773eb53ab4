//! [`EmbeddingAnalysis`]: every embedding metric of an old-vs-new comparison in one serde value.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::anchors::WarmthDirection;
use super::cache::CachedEmbedder;
use super::stats::{self, Design, PermTest};
use super::words::{log_odds, WordShift};
use super::Embedder;

/// Version of the [`EmbeddingAnalysis`] JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

/// One reply to embed: which probe, sample (conversation) and 0-based user turn it answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplyText {
    pub probe_id: String,
    pub sample: u32,
    pub turn: u32,
    pub text: String,
}

impl ReplyText {
    /// Every reply of the finished conversations of a run's transcripts, in transcript order.
    pub fn from_records(records: &[crate::store::Record]) -> Vec<ReplyText> {
        records
            .iter()
            .filter(|r| r.status == crate::store::Status::Finished)
            .flat_map(|r| {
                r.replies.iter().map(move |rep| ReplyText {
                    probe_id: r.probe_id.clone(),
                    sample: r.sample,
                    turn: rep.turn,
                    text: rep.content.clone(),
                })
            })
            .collect()
    }
}

/// A two-sample test over all replies (statistic, permutation null mean, p-value, permutations).
pub type TwoSampleTest = PermTest;

/// Semantic drift of one probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeDrift {
    pub probe_id: String,
    /// Conversations (samples) of the probe in each run.
    pub old_samples: usize,
    pub new_samples: usize,
    /// Mean cosine distance old vs new (same turn).
    pub cross_distance: f64,
    /// Mean cosine distance among the old run's replies (different samples, same turn).
    pub within_old: f64,
    pub within_new: f64,
    /// The noise floor: (within_old + within_new) / 2.
    pub noise_floor: f64,
    /// cross_distance / noise_floor (1 = no more different than run-to-run noise); None if the
    /// noise floor is 0 (identical replies within each run).
    pub drift_ratio: Option<f64>,
    /// Permutation p-value over the samples' old/new labels (one-sided: "this much drift by chance").
    pub p_value: f64,
    pub permutations: usize,
    /// True when every labelling was enumerated.
    pub exact: bool,
}

/// A probe that has no drift value, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedProbe {
    pub probe_id: String,
    pub reason: String,
}

/// Mean projection on the warmth direction per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmthSummary {
    pub old_mean: f64,
    pub new_mean: f64,
    /// new_mean − old_mean (positive = the new model's replies sit closer to the warm anchors).
    pub change: f64,
    /// Half the gap between the anchors' means along the direction (the warm anchors sit at
    /// +half_gap, the cold ones at −half_gap): a scale for `change`.
    pub anchor_half_gap: f64,
}

/// Tuning of [`EmbeddingAnalysis`]; the defaults are what compare uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOptions {
    /// Permutations for the per-probe drift p-values (exact enumeration when fewer labellings).
    pub drift_permutations: usize,
    /// Permutations for the classifier AUC and energy tests.
    pub test_permutations: usize,
    /// Cross-validation folds (grouped by probe).
    pub folds: usize,
    /// Terms per log-odds list.
    pub top_words: usize,
    /// Minimum total count of a term in the log-odds lists.
    pub min_count: u64,
    /// Dirichlet prior mass α_0 of the log-odds.
    pub prior_mass: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            drift_permutations: 999,
            test_permutations: 999,
            folds: 5,
            top_words: 15,
            min_count: 3,
            prior_mass: 500.0,
        }
    }
}

/// Everything the embedding half of a comparison reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingAnalysis {
    pub schema_version: u32,
    /// The embedder's model id (also the cache key).
    pub model_id: String,
    pub dimensions: usize,
    pub seed: u64,
    /// Per-probe semantic drift, sorted by probe id.
    pub probes: Vec<ProbeDrift>,
    pub skipped_probes: Vec<SkippedProbe>,
    /// Median drift ratio over the probes that have one.
    pub median_drift_ratio: Option<f64>,
    /// Cross-validated ROC AUC of a nearest-centroid classifier telling new replies from old
    /// (0.5 = indistinguishable), with a permutation p-value. None with fewer than two shared probes.
    pub classifier_auc: Option<TwoSampleTest>,
    /// Energy distance between old and new replies (within probe and turn), with a permutation p-value.
    pub energy_distance: Option<TwoSampleTest>,
    /// Warmth-direction summary (None if the direction could not be built).
    pub warmth: Option<WarmthSummary>,
    /// Per reply, aligned with the `old` input: projection on the warmth direction
    /// (metric `emb.warmth_direction`; higher = warmer).
    pub old_warmth: Vec<f64>,
    /// Same for the `new` input.
    pub new_warmth: Vec<f64>,
    /// Words and two-word phrases over-represented in new vs old and vice versa.
    pub words: WordShift,
    pub options: AnalysisOptions,
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

impl EmbeddingAnalysis {
    /// Embeds both sides (and the warmth anchors) with `embedder` and computes everything with the
    /// default options.
    pub fn compute(
        old: &[ReplyText],
        new: &[ReplyText],
        embedder: &dyn Embedder,
        seed: u64,
    ) -> anyhow::Result<Self> {
        Self::compute_with(old, new, embedder, embedder, &AnalysisOptions::default(), seed)
    }

    /// Like [`compute`](Self::compute), caching the vectors in each run directory
    /// (`<run>/embeddings/`), so a second comparison of the same runs embeds nothing.
    pub fn compute_runs(
        old_dir: &Path,
        old: &[ReplyText],
        new_dir: &Path,
        new: &[ReplyText],
        embedder: &dyn Embedder,
        opts: &AnalysisOptions,
        seed: u64,
    ) -> anyhow::Result<Self> {
        let old_cache = CachedEmbedder::open(old_dir, embedder)?;
        let new_cache = CachedEmbedder::open(new_dir, embedder)?;
        Self::compute_with(old, new, &old_cache, &new_cache, opts, seed)
    }

    /// Embeds `old` with `old_embedder`, `new` (and the anchors, through `old_embedder`) and computes.
    pub fn compute_with(
        old: &[ReplyText],
        new: &[ReplyText],
        old_embedder: &dyn Embedder,
        new_embedder: &dyn Embedder,
        opts: &AnalysisOptions,
        seed: u64,
    ) -> anyhow::Result<Self> {
        let ot: Vec<&str> = old.iter().map(|r| r.text.as_str()).collect();
        let nt: Vec<&str> = new.iter().map(|r| r.text.as_str()).collect();
        let ov = old_embedder.embed(&ot)?;
        let nv = new_embedder.embed(&nt)?;
        let warmth = WarmthDirection::compute(old_embedder)?;
        Ok(Self::from_vectors(
            old,
            &ov,
            new,
            &nv,
            Some(&warmth),
            &old_embedder.model_id(),
            opts,
            seed,
        ))
    }

    /// The pure part: everything from already-embedded replies. Vectors must be aligned with the
    /// replies (same length).
    #[allow(clippy::too_many_arguments)]
    pub fn from_vectors(
        old: &[ReplyText],
        old_vecs: &[Vec<f32>],
        new: &[ReplyText],
        new_vecs: &[Vec<f32>],
        warmth: Option<&WarmthDirection>,
        model_id: &str,
        opts: &AnalysisOptions,
        seed: u64,
    ) -> Self {
        assert_eq!(old.len(), old_vecs.len(), "old replies and vectors must align");
        assert_eq!(new.len(), new_vecs.len(), "new replies and vectors must align");
        let dimensions = old_vecs
            .iter()
            .chain(new_vecs)
            .map(|v| v.len())
            .next()
            .unwrap_or(0);

        // Conversations, probes and strata shared by both runs.
        let probes_old: BTreeSet<&str> = old.iter().map(|r| r.probe_id.as_str()).collect();
        let probes_new: BTreeSet<&str> = new.iter().map(|r| r.probe_id.as_str()).collect();
        let shared: Vec<&str> = probes_old.intersection(&probes_new).copied().collect();
        let mut skipped: Vec<SkippedProbe> = probes_old
            .symmetric_difference(&probes_new)
            .map(|p| SkippedProbe {
                probe_id: p.to_string(),
                reason: if probes_old.contains(p) {
                    "only in the old run"
                } else {
                    "only in the new run"
                }
                .into(),
            })
            .collect();
        let probe_index: BTreeMap<&str, usize> = shared.iter().enumerate().map(|(i, p)| (*p, i)).collect();

        let mut vectors: Vec<Vec<f32>> = Vec::new();
        let mut conv_of: BTreeMap<(bool, usize, u32), usize> = BTreeMap::new();
        let mut strata: BTreeMap<(usize, u32), usize> = BTreeMap::new();
        let mut design_conv = Vec::new();
        let mut design_stratum = Vec::new();
        let mut design_turn = Vec::new();
        let mut conv_is_new = Vec::new();
        let mut conv_probe = Vec::new();
        for (is_new, replies, vecs) in [(false, old, old_vecs), (true, new, new_vecs)] {
            for (r, v) in replies.iter().zip(vecs) {
                let Some(&p) = probe_index.get(r.probe_id.as_str()) else {
                    continue;
                };
                let c = *conv_of.entry((is_new, p, r.sample)).or_insert_with(|| {
                    conv_is_new.push(is_new);
                    conv_probe.push(p);
                    conv_is_new.len() - 1
                });
                let ns = strata.len();
                let s = *strata.entry((p, r.turn)).or_insert(ns);
                vectors.push(v.clone());
                design_conv.push(c);
                design_stratum.push(s);
                design_turn.push(r.turn);
            }
        }

        // Per-probe drift.
        let mut probes = Vec::new();
        for (&pid, &p) in &probe_index {
            let convs: Vec<usize> = (0..conv_probe.len()).filter(|&c| conv_probe[c] == p).collect();
            let local: BTreeMap<usize, usize> = convs.iter().enumerate().map(|(i, &c)| (c, i)).collect();
            let labels: Vec<bool> = convs.iter().map(|&c| conv_is_new[c]).collect();
            let replies: Vec<(usize, u32, &[f32])> = design_conv
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    local
                        .get(c)
                        .map(|&lc| (lc, design_turn[i], vectors[i].as_slice()))
                })
                .collect();
            let n_new = labels.iter().filter(|x| **x).count();
            let n_old = labels.len() - n_new;
            match stats::semantic_drift(&replies, &labels, opts.drift_permutations, seed ^ fnv(pid)) {
                Some(d) => probes.push(ProbeDrift {
                    probe_id: pid.to_string(),
                    old_samples: n_old,
                    new_samples: n_new,
                    cross_distance: d.cross,
                    within_old: d.within_old,
                    within_new: d.within_new,
                    noise_floor: d.noise,
                    drift_ratio: d.ratio,
                    p_value: d.p_value,
                    permutations: d.permutations,
                    exact: d.exact,
                }),
                None => skipped.push(SkippedProbe {
                    probe_id: pid.to_string(),
                    reason: format!(
                        "needs at least 2 samples per run with replies at the same turn to measure noise \
                         (old {n_old}, new {n_new})"
                    ),
                }),
            }
        }
        skipped.sort_by(|a, b| a.probe_id.cmp(&b.probe_id));
        let mut ratios: Vec<f64> = probes.iter().filter_map(|p| p.drift_ratio).collect();
        ratios.sort_by(f64::total_cmp);
        let median_drift_ratio = (!ratios.is_empty()).then(|| {
            let m = ratios.len() / 2;
            if ratios.len() % 2 == 1 {
                ratios[m]
            } else {
                (ratios[m - 1] + ratios[m]) / 2.0
            }
        });

        let design = Design {
            vectors: &vectors,
            conv: design_conv,
            stratum: design_stratum,
            conv_is_new,
            conv_probe,
        };
        let have_both = design.conv_is_new.iter().any(|x| *x) && design.conv_is_new.iter().any(|x| !*x);
        let classifier_auc = if have_both {
            stats::classifier_test(&design, opts.folds, opts.test_permutations, seed)
        } else {
            None
        };
        let energy_distance = if have_both {
            stats::energy_test(&design, opts.test_permutations, seed.wrapping_add(1))
        } else {
            None
        };

        let old_warmth: Vec<f64> = warmth
            .map(|w| old_vecs.iter().map(|v| w.project(v)).collect())
            .unwrap_or_default();
        let new_warmth: Vec<f64> = warmth
            .map(|w| new_vecs.iter().map(|v| w.project(v)).collect())
            .unwrap_or_default();
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let warmth_summary = match (warmth, mean(&old_warmth), mean(&new_warmth)) {
            (Some(w), Some(o), Some(n)) => Some(WarmthSummary {
                old_mean: o,
                new_mean: n,
                change: n - o,
                anchor_half_gap: w.half_gap,
            }),
            _ => None,
        };

        let ot: Vec<&str> = old.iter().map(|r| r.text.as_str()).collect();
        let nt: Vec<&str> = new.iter().map(|r| r.text.as_str()).collect();
        let words = log_odds(&ot, &nt, opts.top_words, opts.min_count, opts.prior_mass);

        EmbeddingAnalysis {
            schema_version: SCHEMA_VERSION,
            model_id: model_id.to_string(),
            dimensions,
            seed,
            probes,
            skipped_probes: skipped,
            median_drift_ratio,
            classifier_auc,
            energy_distance,
            warmth: warmth_summary,
            old_warmth,
            new_warmth,
            words,
            options: opts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::local::normalise;

    fn r(p: &str, sample: u32, turn: u32, text: &str) -> ReplyText {
        ReplyText {
            probe_id: p.into(),
            sample,
            turn,
            text: text.into(),
        }
    }

    /// 4 probes x 3 samples per run, new replies shifted along axis 5 (the same direction in every
    /// probe, which is what the cross-probe classifier can learn).
    #[allow(clippy::type_complexity)]
    fn fixture(shift: f32) -> (Vec<ReplyText>, Vec<Vec<f32>>, Vec<ReplyText>, Vec<Vec<f32>>) {
        let (mut o, mut ov, mut n, mut nv) = (vec![], vec![], vec![], vec![]);
        for p in 0..4u32 {
            for s in 0..3u32 {
                let jitter = (s as f32 - 1.0) * 0.1;
                let mut base = vec![0.0f32; 6];
                base[p as usize] = 1.0;
                base[4] = jitter;
                o.push(r(&format!("p{p}"), s, 0, "hello there friend"));
                ov.push(normalise(base.clone()));
                let mut b2 = base.clone();
                b2[5] += shift;
                n.push(r(&format!("p{p}"), s, 0, "hello there dear friend"));
                nv.push(normalise(b2));
            }
        }
        o.push(r("only-old", 0, 0, "x"));
        ov.push(normalise(vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
        (o, ov, n, nv)
    }

    #[test]
    fn analysis_reports_drift_tests_and_warmth() {
        let (o, ov, n, nv) = fixture(0.5);
        let warm =
            WarmthDirection::from_embeddings(&[vec![0.0, 0.0, 0.0, 0.0, 1.0]], &[vec![0.0; 5]]).unwrap();
        let opts = AnalysisOptions {
            min_count: 1,
            ..AnalysisOptions::default()
        };
        let a = EmbeddingAnalysis::from_vectors(&o, &ov, &n, &nv, Some(&warm), "toy", &opts, 42);
        assert_eq!(a.probes.len(), 4);
        assert_eq!(a.skipped_probes.len(), 1);
        assert_eq!(a.skipped_probes[0].probe_id, "only-old");
        for p in &a.probes {
            assert_eq!((p.old_samples, p.new_samples), (3, 3));
            assert!(p.drift_ratio.unwrap() > 5.0, "{p:?}");
            // C(6,3) = 20 labellings: exact; observed and mirror are the extremes
            assert!(p.exact && p.permutations == 20);
            assert!((p.p_value - 0.1).abs() < 1e-12, "{p:?}");
        }
        let auc = a.classifier_auc.as_ref().unwrap();
        assert!(auc.statistic > 0.95 && auc.p_value < 0.01, "{auc:?}");
        let e = a.energy_distance.as_ref().unwrap();
        assert!(e.p_value < 0.01, "{e:?}");
        assert_eq!(a.old_warmth.len(), o.len());
        assert_eq!(a.new_warmth.len(), n.len());
        assert!((a.old_warmth[o.len() - 1] - 0.5).abs() < 1e-6);
        assert_eq!(a.words.more_in_new[0].term, "dear");
        let json = serde_json::to_string(&a).unwrap();
        let back: EmbeddingAnalysis = serde_json::from_str(&json).unwrap();
        assert_eq!(back.probes.len(), a.probes.len());
        for (x, y) in back.probes.iter().zip(&a.probes) {
            assert_eq!(x.probe_id, y.probe_id);
            assert!((x.drift_ratio.unwrap() - y.drift_ratio.unwrap()).abs() < 1e-12);
        }
        // deterministic given the seed
        let b = EmbeddingAnalysis::from_vectors(&o, &ov, &n, &nv, Some(&warm), "toy", &opts, 42);
        assert_eq!(a, b);
    }

    #[test]
    fn no_change_gives_ratio_near_one_and_no_evidence() {
        let (o, ov, _, _) = fixture(0.0);
        // new = old vectors but samples rotated: same distribution
        let n: Vec<ReplyText> = o
            .iter()
            .map(|x| ReplyText {
                sample: (x.sample + 1) % 3,
                ..x.clone()
            })
            .collect();
        let a =
            EmbeddingAnalysis::from_vectors(&o, &ov, &n, &ov, None, "toy", &AnalysisOptions::default(), 1);
        for p in &a.probes {
            // identical reply sets: cross pairs include 3 zero distances, so cross = 2/3 of within
            let ratio = p.drift_ratio.unwrap();
            assert!((ratio - 2.0 / 3.0).abs() < 1e-9, "{p:?}");
            assert!(p.p_value > 0.3, "{p:?}");
        }
        assert!(a.classifier_auc.unwrap().p_value > 0.05);
        assert!(a.warmth.is_none() && a.old_warmth.is_empty());
        assert!(a.words.more_in_new.is_empty());
    }
}
