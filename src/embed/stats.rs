//! Pure statistics on embeddings (no I/O; every random choice comes from the seed).
//!
//! Vocabulary: a *conversation* is one sample of one probe from one model; it has replies, one per
//! user turn. A *stratum* is a (probe, turn) pair: replies in the same stratum answer the same prompt.
//! Distances are only taken between replies of the same stratum, and permutations only exchange the
//! old/new labels of whole conversations of the same probe (the exchangeable unit under "nothing
//! changed").
//!
//! **Semantic drift of a probe** (see [`semantic_drift`]): with cosine distance d = 1 − cos,
//! `cross` = mean d over (old, new) reply pairs of the same turn, `within_old` / `within_new` = mean d
//! over pairs of different conversations of the same model and turn, `noise = (within_old +
//! within_new) / 2`, and `ratio = cross / noise`. Why the average of both within-model distances and
//! not old-old alone: for unit vectors d(a, b) = |a − b|² / 2, so in expectation
//! `cross = (within_old + within_new) / 2 + |μ_old − μ_new|² / 2` exactly. The ratio is therefore 1
//! when the mean reply did not move, whatever happened to the spread, and `ratio − 1` is the squared
//! shift of the mean reply in units of the average run-to-run noise. With old-old alone a new model
//! that is merely more (or less) variable would show "drift" (or "anti-drift") without any shift.
//! Its p-value is a permutation test over the conversations' labels (exact when there are few
//! labellings).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Dot product in f64.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// Cosine distance 1 − cos(a, b) (0 for identical directions, 2 for opposite; 1 if either is zero).
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (na, nb) = (dot(a, a).sqrt(), dot(b, b).sqrt());
    if na == 0.0 || nb == 0.0 {
        return 1.0;
    }
    1.0 - (dot(a, b) / (na * nb)).clamp(-1.0, 1.0)
}

/// Euclidean distance.
pub fn euclidean(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The embedded replies of two runs, arranged for the tests below.
#[derive(Debug, Clone)]
pub struct Design<'a> {
    /// One vector per reply.
    pub vectors: &'a [Vec<f32>],
    /// Per reply: its conversation index.
    pub conv: Vec<usize>,
    /// Per reply: its stratum index ((probe, turn) pair).
    pub stratum: Vec<usize>,
    /// Per conversation: true if it comes from the new run.
    pub conv_is_new: Vec<bool>,
    /// Per conversation: its probe index (permutations stay within a probe).
    pub conv_probe: Vec<usize>,
}

impl Design<'_> {
    fn reply_labels(&self, conv_is_new: &[bool]) -> Vec<bool> {
        self.conv.iter().map(|&c| conv_is_new[c]).collect()
    }
}

/// Shuffles the labels of the conversations within each probe (keeping each probe's counts).
pub fn permute_within_probe(conv_probe: &[usize], labels: &[bool], rng: &mut ChaCha8Rng) -> Vec<bool> {
    let mut out = labels.to_vec();
    let nprobes = conv_probe.iter().max().map(|m| m + 1).unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nprobes];
    for (c, &p) in conv_probe.iter().enumerate() {
        members[p].push(c);
    }
    for m in members {
        let mut ls: Vec<bool> = m.iter().map(|&c| labels[c]).collect();
        ls.shuffle(rng);
        for (&c, l) in m.iter().zip(ls) {
            out[c] = l;
        }
    }
    out
}

/// Result of a semantic-drift computation for one probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftStat {
    /// Mean cosine distance between old and new replies (same turn).
    pub cross: f64,
    /// Mean cosine distance among old replies (different samples, same turn).
    pub within_old: f64,
    /// Mean cosine distance among new replies.
    pub within_new: f64,
    /// The noise floor: (within_old + within_new) / 2.
    pub noise: f64,
    /// cross / noise; None when the noise floor is 0 (identical replies, e.g. temperature 0).
    pub ratio: Option<f64>,
    /// Permutation p-value of "ratio is this large by chance" (one-sided).
    pub p_value: f64,
    /// Number of labellings the p-value is based on.
    pub permutations: usize,
    /// True when every distinct labelling was enumerated (p is exact).
    pub exact: bool,
}

/// Per-conversation pair sums of distances over shared turns.
struct PairTable {
    n: usize,
    sum: Vec<f64>,
    cnt: Vec<u32>,
}

impl PairTable {
    fn new(n: usize, replies: &[(usize, u32, &[f32])], dist: fn(&[f32], &[f32]) -> f64) -> Self {
        let mut t = PairTable {
            n,
            sum: vec![0.0; n * n],
            cnt: vec![0; n * n],
        };
        for (i, a) in replies.iter().enumerate() {
            for b in &replies[i + 1..] {
                if a.0 != b.0 && a.1 == b.1 {
                    let d = dist(a.2, b.2);
                    for (x, y) in [(a.0, b.0), (b.0, a.0)] {
                        t.sum[x * n + y] += d;
                        t.cnt[x * n + y] += 1;
                    }
                }
            }
        }
        t
    }

    /// (cross, within_old, within_new) mean distances under a labelling; None where no pair exists.
    fn means(&self, is_new: &[bool]) -> [Option<f64>; 3] {
        let mut s = [0.0f64; 3];
        let mut c = [0u64; 3];
        for a in 0..self.n {
            for b in a + 1..self.n {
                let k = match (is_new[a], is_new[b]) {
                    (false, false) => 1,
                    (true, true) => 2,
                    _ => 0,
                };
                s[k] += self.sum[a * self.n + b];
                c[k] += self.cnt[a * self.n + b] as u64;
            }
        }
        [0, 1, 2].map(|k| (c[k] > 0).then(|| s[k] / c[k] as f64))
    }
}

const NOISE_EPS: f64 = 1e-9;

fn drift_of(m: [Option<f64>; 3]) -> Option<(f64, f64, f64, f64)> {
    let (cross, wo, wn) = (m[0]?, m[1]?, m[2]?);
    let noise = (wo + wn) / 2.0;
    Some((cross, wo, wn, noise))
}

fn drift_t(m: [Option<f64>; 3]) -> f64 {
    match drift_of(m) {
        Some((cross, _, _, noise)) => cross / noise.max(NOISE_EPS),
        None => f64::NEG_INFINITY,
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Calls `f` for every way to choose `k` of `n` items as "new" (as a label vector).
fn for_each_labelling(n: usize, k: usize, f: &mut dyn FnMut(&[bool])) {
    fn rec(start: usize, left: usize, cur: &mut Vec<bool>, f: &mut dyn FnMut(&[bool])) {
        if left == 0 {
            f(cur);
            return;
        }
        for i in start..=cur.len() - left {
            cur[i] = true;
            rec(i + 1, left - 1, cur, f);
            cur[i] = false;
        }
    }
    let mut cur = vec![false; n];
    rec(0, k, &mut cur, f);
}

/// Semantic drift of one probe. `replies` are (conversation, turn, vector); `conv_is_new` labels the
/// conversations. Needs at least two conversations per model (otherwise there is no noise floor) and
/// returns None then. `n_perm` random relabellings are used unless all distinct labellings number at
/// most `n_perm + 1`, in which case they are enumerated and the p-value is exact.
pub fn semantic_drift(
    replies: &[(usize, u32, &[f32])],
    conv_is_new: &[bool],
    n_perm: usize,
    seed: u64,
) -> Option<DriftStat> {
    let n = conv_is_new.len();
    let k = conv_is_new.iter().filter(|x| **x).count();
    if k < 2 || n - k < 2 {
        return None;
    }
    let table = PairTable::new(n, replies, cosine_distance);
    let obs = table.means(conv_is_new);
    let (cross, within_old, within_new, noise) = drift_of(obs)?;
    let t_obs = drift_t(obs);
    let tol = 1e-12 * t_obs.abs().max(1.0);
    let (mut ge, mut total, exact);
    if binomial(n, k) <= (n_perm + 1) as f64 {
        exact = true;
        ge = 0usize;
        total = 0usize;
        for_each_labelling(n, k, &mut |l| {
            total += 1;
            if drift_t(table.means(l)) >= t_obs - tol {
                ge += 1;
            }
        });
    } else {
        exact = false;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        ge = 1;
        total = n_perm + 1;
        let mut labels = conv_is_new.to_vec();
        for _ in 0..n_perm {
            labels.shuffle(&mut rng);
            if drift_t(table.means(&labels)) >= t_obs - tol {
                ge += 1;
            }
        }
    }
    Some(DriftStat {
        cross,
        within_old,
        within_new,
        noise,
        ratio: (noise > NOISE_EPS).then(|| cross / noise),
        p_value: ge as f64 / total as f64,
        permutations: total,
        exact,
    })
}

/// ROC AUC of `scores` for labels (true = positive), ties counted half (the Mann-Whitney U / n1 n0).
/// None if one class is empty.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let n1 = labels.iter().filter(|l| **l).count();
    let n0 = labels.len() - n1;
    if n1 == 0 || n0 == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // mid-ranks
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            if labels[t] {
                rank_sum_pos += mid;
            }
        }
        i = j + 1;
    }
    let u = rank_sum_pos - (n1 * (n1 + 1)) as f64 / 2.0;
    Some(u / (n1 as f64 * n0 as f64))
}

/// The vectors minus the mean of their stratum (label-free centring: it removes what the probe and
/// turn explain, so the classifier looks only at how old and new answer the same prompt).
pub fn centre_by_stratum(vectors: &[Vec<f32>], stratum: &[usize]) -> Vec<Vec<f64>> {
    let dim = vectors.first().map(|v| v.len()).unwrap_or(0);
    let ns = stratum.iter().max().map(|m| m + 1).unwrap_or(0);
    let mut mean = vec![vec![0.0f64; dim]; ns];
    let mut cnt = vec![0usize; ns];
    for (v, &s) in vectors.iter().zip(stratum) {
        cnt[s] += 1;
        for (m, x) in mean[s].iter_mut().zip(v) {
            *m += *x as f64;
        }
    }
    for (m, &c) in mean.iter_mut().zip(&cnt) {
        for x in m.iter_mut() {
            *x /= c.max(1) as f64;
        }
    }
    vectors
        .iter()
        .zip(stratum)
        .map(|(v, &s)| v.iter().zip(&mean[s]).map(|(x, m)| *x as f64 - m).collect())
        .collect()
}

/// Out-of-fold scores of a nearest-centroid classifier (score = x · (mean_new − mean_old) of the
/// training folds), folds grouped by probe so a probe is never in its own training set.
pub fn cv_centroid_scores(x: &[Vec<f64>], labels: &[bool], fold_of: &[usize], folds: usize) -> Vec<f64> {
    let dim = x.first().map(|v| v.len()).unwrap_or(0);
    let mut scores = vec![0.0; x.len()];
    for f in 0..folds {
        let mut m = [vec![0.0f64; dim], vec![0.0f64; dim]];
        let mut c = [0usize; 2];
        for ((v, &l), &fo) in x.iter().zip(labels).zip(fold_of) {
            if fo != f {
                c[l as usize] += 1;
                for (a, b) in m[l as usize].iter_mut().zip(v) {
                    *a += b;
                }
            }
        }
        let w: Vec<f64> = (0..dim)
            .map(|j| m[1][j] / c[1].max(1) as f64 - m[0][j] / c[0].max(1) as f64)
            .collect();
        for (i, v) in x.iter().enumerate() {
            if fold_of[i] == f {
                scores[i] = v.iter().zip(&w).map(|(a, b)| a * b).sum();
            }
        }
    }
    scores
}

/// A two-sample test result: the statistic, its permutation p-value and the number of permutations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermTest {
    pub statistic: f64,
    /// Mean of the statistic under the permutation null (e.g. ~0.5 for an AUC).
    pub null_mean: f64,
    pub p_value: f64,
    pub permutations: usize,
}

fn perm_test(
    d: &Design,
    n_perm: usize,
    seed: u64,
    stat: &dyn Fn(&[bool]) -> Option<f64>,
) -> Option<PermTest> {
    let obs = stat(&d.conv_is_new)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ge = 1usize;
    let mut sum = 0.0;
    let mut done = 0usize;
    for _ in 0..n_perm {
        let l = permute_within_probe(&d.conv_probe, &d.conv_is_new, &mut rng);
        if let Some(t) = stat(&l) {
            sum += t;
            done += 1;
            if t >= obs - 1e-12 {
                ge += 1;
            }
        }
    }
    Some(PermTest {
        statistic: obs,
        null_mean: if done > 0 { sum / done as f64 } else { f64::NAN },
        p_value: ge as f64 / (done + 1) as f64,
        permutations: done,
    })
}

/// Cross-validated ROC AUC of a nearest-centroid classifier telling new replies from old, on
/// stratum-centred embeddings, with folds grouped by probe (`folds` folds, or one per probe when
/// there are fewer probes), against a within-probe permutation null. None with fewer than two probes
/// or an empty class.
pub fn classifier_test(d: &Design, folds: usize, n_perm: usize, seed: u64) -> Option<PermTest> {
    let nprobes = d.conv_probe.iter().max().map(|m| m + 1).unwrap_or(0);
    if nprobes < 2 {
        return None;
    }
    let folds = folds.clamp(2, nprobes);
    // Probes go to folds in a seeded random order, round-robin (balanced fold sizes).
    let mut order: Vec<usize> = (0..nprobes).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_f01d));
    let mut probe_fold = vec![0usize; nprobes];
    for (i, &p) in order.iter().enumerate() {
        probe_fold[p] = i % folds;
    }
    let fold_of: Vec<usize> = d.conv.iter().map(|&c| probe_fold[d.conv_probe[c]]).collect();
    let x = centre_by_stratum(d.vectors, &d.stratum);
    perm_test(d, n_perm, seed, &|conv_labels| {
        let labels = d.reply_labels(conv_labels);
        let s = cv_centroid_scores(&x, &labels, &fold_of, folds);
        roc_auc(&s, &labels)
    })
}

/// Energy distance between old and new replies, computed within each stratum and averaged over the
/// strata (weighted by their numbers of cross pairs): per stratum 2·E|X−Y| − E|X−X'| − E|Y−Y'| with
/// Euclidean distances (Székely & Rizzo); 0 when the distributions are equal. Permutation p-value
/// with labels exchanged within probes. None if no stratum has both models with 2+ replies... or
/// at least one old and one new reply and a within pair on each side.
pub fn energy_test(d: &Design, n_perm: usize, seed: u64) -> Option<PermTest> {
    let ns = d.stratum.iter().max().map(|m| m + 1).unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); ns];
    for (i, &s) in d.stratum.iter().enumerate() {
        members[s].push(i);
    }
    // Precomputed distances within each stratum.
    let dists: Vec<Vec<f64>> = members
        .iter()
        .map(|m| {
            let mut v = vec![0.0; m.len() * m.len()];
            for a in 0..m.len() {
                for b in a + 1..m.len() {
                    let x = euclidean(&d.vectors[m[a]], &d.vectors[m[b]]);
                    v[a * m.len() + b] = x;
                    v[b * m.len() + a] = x;
                }
            }
            v
        })
        .collect();
    let stat = |conv_labels: &[bool]| -> Option<f64> {
        let mut total = 0.0;
        let mut weight = 0.0;
        for (m, dist) in members.iter().zip(&dists) {
            let k = m.len();
            let lab: Vec<bool> = m.iter().map(|&i| conv_labels[d.conv[i]]).collect();
            let (mut s, mut c) = ([0.0f64; 3], [0usize; 3]);
            for a in 0..k {
                for b in a + 1..k {
                    let t = match (lab[a], lab[b]) {
                        (false, false) => 1,
                        (true, true) => 2,
                        _ => 0,
                    };
                    s[t] += dist[a * k + b];
                    c[t] += 1;
                }
            }
            let n_new = lab.iter().filter(|x| **x).count();
            let n_old = k - n_new;
            if n_new == 0 || n_old == 0 {
                continue;
            }
            // E|X-X'| over distinct pairs; a single reply has no within pair: 0 (V-statistic style).
            let wo = if c[1] > 0 { s[1] / c[1] as f64 } else { 0.0 };
            let wn = if c[2] > 0 { s[2] / c[2] as f64 } else { 0.0 };
            let e = 2.0 * s[0] / c[0] as f64 - wo - wn;
            let w = (n_old * n_new) as f64;
            total += w * e;
            weight += w;
        }
        (weight > 0.0).then(|| total / weight)
    };
    perm_test(d, n_perm, seed, &stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        crate::embed::local::normalise(v.to_vec())
    }

    #[test]
    fn distances() {
        assert!((cosine_distance(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-12);
        assert!(cosine_distance(&[1.0, 1.0], &[2.0, 2.0]).abs() < 1e-12);
        assert!((cosine_distance(&[1.0, 0.0], &[-1.0, 0.0]) - 2.0).abs() < 1e-12);
        assert_eq!(cosine_distance(&[0.0, 0.0], &[1.0, 0.0]), 1.0);
        assert!((euclidean(&[0.0, 0.0], &[3.0, 4.0]) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn auc_known_values() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        assert_eq!(
            roc_auc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]),
            Some(0.5)
        );
        // one inversion out of 4 pairs
        assert_eq!(
            roc_auc(&[0.1, 0.6, 0.5, 0.9], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[0.1], &[true]), None);
    }

    /// Hand-computed drift on a 2-d example: 2 old, 2 new conversations with one reply each.
    #[test]
    fn drift_hand_computed() {
        let o1 = unit(&[1.0, 0.0]);
        let o2 = unit(&[1.0, 0.1]);
        let n1 = unit(&[0.0, 1.0]);
        let n2 = unit(&[0.1, 1.0]);
        let replies: Vec<(usize, u32, &[f32])> = vec![(0, 0, &o1), (1, 0, &o2), (2, 0, &n1), (3, 0, &n2)];
        let labels = [false, false, true, true];
        let s = semantic_drift(&replies, &labels, 999, 1).unwrap();
        let wo = cosine_distance(&o1, &o2);
        let wn = cosine_distance(&n1, &n2);
        let cross = (cosine_distance(&o1, &n1)
            + cosine_distance(&o1, &n2)
            + cosine_distance(&o2, &n1)
            + cosine_distance(&o2, &n2))
            / 4.0;
        assert!((s.within_old - wo).abs() < 1e-12);
        assert!((s.within_new - wn).abs() < 1e-12);
        assert!((s.cross - cross).abs() < 1e-12);
        assert!((s.noise - (wo + wn) / 2.0).abs() < 1e-12);
        assert!((s.ratio.unwrap() - cross / ((wo + wn) / 2.0)).abs() < 1e-9);
        assert!(s.ratio.unwrap() > 50.0);
        // C(4,2) = 6 labellings, enumerated; the observed one and its mirror are the most extreme.
        assert!(s.exact);
        assert_eq!(s.permutations, 6);
        assert!((s.p_value - 2.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn drift_needs_two_conversations_per_side() {
        let a = unit(&[1.0, 0.0]);
        let replies: Vec<(usize, u32, &[f32])> = vec![(0, 0, &a), (1, 0, &a), (2, 0, &a)];
        assert!(semantic_drift(&replies, &[false, false, true], 99, 1).is_none());
    }

    #[test]
    fn drift_zero_noise_has_no_ratio() {
        let a = unit(&[1.0, 0.0]);
        let b = unit(&[0.0, 1.0]);
        let replies: Vec<(usize, u32, &[f32])> = vec![(0, 0, &a), (1, 0, &a), (2, 0, &b), (3, 0, &b)];
        let s = semantic_drift(&replies, &[false, false, true, true], 99, 1).unwrap();
        assert_eq!(s.noise, 0.0);
        assert_eq!(s.ratio, None);
        assert!((s.cross - 1.0).abs() < 1e-12);
    }

    #[test]
    fn drift_only_pairs_same_turn() {
        // Turn 1 replies are far from turn 0 replies but identical across models: no drift.
        let t0a = unit(&[1.0, 0.0, 0.0]);
        let t0b = unit(&[1.0, 0.2, 0.0]);
        let t1 = unit(&[0.0, 0.0, 1.0]);
        let replies: Vec<(usize, u32, &[f32])> = vec![
            (0, 0, &t0a),
            (0, 1, &t1),
            (1, 0, &t0b),
            (1, 1, &t1),
            (2, 0, &t0a),
            (2, 1, &t1),
            (3, 0, &t0b),
            (3, 1, &t1),
        ];
        let s = semantic_drift(&replies, &[false, false, true, true], 99, 1).unwrap();
        // within: pairs (0,1): d(t0a,t0b) and 0 => mean d/2; cross: (0,2):0,0 (0,3):d,0 (1,2):d,0 (1,3):0,0
        let d = cosine_distance(&t0a, &t0b);
        assert!((s.within_old - d / 2.0).abs() < 1e-12);
        assert!((s.cross - d / 4.0).abs() < 1e-12);
        assert!(s.ratio.unwrap() < 1.0);
    }

    /// Synthetic design: `np` probes, `k` conversations per model, 8-d vectors = probe topic + noise,
    /// plus `shift` along one axis for new replies.
    #[allow(clippy::type_complexity)]
    fn synthetic(
        np: usize,
        k: usize,
        shift: f32,
        seed: u64,
    ) -> (Vec<Vec<f32>>, Vec<usize>, Vec<usize>, Vec<bool>, Vec<usize>) {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut vecs, mut conv, mut stratum, mut is_new, mut probe) =
            (vec![], vec![], vec![], vec![], vec![]);
        for p in 0..np {
            for m in 0..2 {
                for _ in 0..k {
                    let c = is_new.len();
                    is_new.push(m == 1);
                    probe.push(p);
                    let mut v: Vec<f32> = (0..8).map(|_| rng.gen_range(-0.3..0.3)).collect();
                    v[p % 7] += 2.0;
                    if m == 1 {
                        v[7] += shift;
                    }
                    vecs.push(unit(&v));
                    conv.push(c);
                    stratum.push(p);
                }
            }
        }
        (vecs, conv, stratum, is_new, probe)
    }

    #[test]
    fn classifier_and_energy_find_a_real_shift_and_not_noise() {
        for (shift, expect_change) in [(0.8f32, true), (0.0, false)] {
            let (vecs, conv, stratum, is_new, probe) = synthetic(10, 4, shift, 7);
            let d = Design {
                vectors: &vecs,
                conv,
                stratum,
                conv_is_new: is_new,
                conv_probe: probe,
            };
            let auc = classifier_test(&d, 5, 199, 3).unwrap();
            let e = energy_test(&d, 199, 3).unwrap();
            assert_eq!(auc.permutations, 199);
            if expect_change {
                assert!(auc.statistic > 0.9, "{auc:?}");
                assert!(auc.p_value <= 0.01, "{auc:?}");
                assert!(e.statistic > 0.0 && e.p_value <= 0.01, "{e:?}");
            } else {
                assert!(auc.p_value > 0.05, "{auc:?}");
                assert!(e.p_value > 0.05, "{e:?}");
            }
            assert!((auc.null_mean - 0.5).abs() < 0.1, "{auc:?}");
        }
    }

    #[test]
    fn classifier_needs_two_probes() {
        let (vecs, conv, stratum, is_new, _) = synthetic(1, 3, 1.0, 1);
        let d = Design {
            vectors: &vecs,
            conv,
            stratum,
            conv_probe: vec![0; is_new.len()],
            conv_is_new: is_new,
        };
        assert!(classifier_test(&d, 5, 9, 1).is_none());
        assert!(energy_test(&d, 9, 1).is_some());
    }

    #[test]
    fn energy_distance_hand_computed() {
        // one stratum, old at 0 and 1 on a line, new at 3 and 4 (2-d vectors, not unit)
        let vecs = vec![vec![0.0f32, 0.0], vec![1.0, 0.0], vec![3.0, 0.0], vec![4.0, 0.0]];
        let d = Design {
            vectors: &vecs,
            conv: vec![0, 1, 2, 3],
            stratum: vec![0; 4],
            conv_is_new: vec![false, false, true, true],
            conv_probe: vec![0; 4],
        };
        let e = energy_test(&d, 0, 1).unwrap();
        // cross mean = (3+4+2+3)/4 = 3; within 1 and 1 => 2*3 - 1 - 1 = 4
        assert!((e.statistic - 4.0).abs() < 1e-12);
        assert_eq!(e.p_value, 1.0);
    }

    #[test]
    fn permutation_keeps_probe_counts() {
        let probe = vec![0, 0, 0, 1, 1, 1, 1];
        let labels = vec![true, false, false, true, true, false, false];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..20 {
            let l = permute_within_probe(&probe, &labels, &mut rng);
            assert_eq!(l[..3].iter().filter(|x| **x).count(), 1);
            assert_eq!(l[3..].iter().filter(|x| **x).count(), 2);
        }
    }

    #[test]
    fn centring_removes_stratum_means() {
        let vecs = vec![vec![1.0f32, 2.0], vec![3.0, 4.0], vec![10.0, 10.0]];
        let x = centre_by_stratum(&vecs, &[0, 0, 1]);
        assert_eq!(x, vec![vec![-1.0, -1.0], vec![1.0, 1.0], vec![0.0, 0.0]]);
    }

    proptest::proptest! {
        #[test]
        fn auc_is_in_unit_interval_and_flips(scores in proptest::collection::vec(-5.0f64..5.0, 2..30), seed in 0u64..1000) {
            let labels: Vec<bool> = (0..scores.len()).map(|i| (i as u64 + seed) % 3 == 0).collect();
            if let Some(a) = roc_auc(&scores, &labels) {
                proptest::prop_assert!((0.0..=1.0).contains(&a));
                let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
                let b = roc_auc(&neg, &labels).unwrap();
                proptest::prop_assert!((a + b - 1.0).abs() < 1e-9);
            }
        }
    }
}
