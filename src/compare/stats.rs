//! Pure statistics: no I/O, no clocks; every random draw comes from a ChaCha8 generator seeded
//! by the caller (and the caller prints the seed).
//!
//! Conventions match SciPy so results can be checked against it (see the tests):
//! - [`wilcoxon`]: `scipy.stats.wilcoxon(d, zero_method="pratt", correction=False,
//!   method="exact"|"approx")` — exact when n <= 50 with no zeros and no tied |d|, otherwise the
//!   normal approximation with Pratt zero handling and tie correction.
//! - [`mann_whitney`]: `scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
//!   use_continuity=True, method="auto")`.
//! - Bootstrap CIs are *expanded* percentile intervals (Hesterberg 2015, "What teachers should
//!   know about the bootstrap", section 6): the percentile interval taken at the nominal level
//!   widened by the factor sqrt(n/(n-1)) t_{n-1} / z, which fixes the plain percentile
//!   interval's narrowness for small n (it matters here: "unchanged" rests on the CI alone).

use super::model::{Interval, TestKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

/// Exact Wilcoxon below or at this many nonzero differences.
pub const WILCOXON_EXACT_MAX_N: usize = 50;
/// Exact Mann-Whitney when both samples are at most this big (and there are no ties).
pub const MANN_WHITNEY_EXACT_MAX_N: usize = 8;

pub fn mean(x: &[f64]) -> Option<f64> {
    if x.is_empty() {
        None
    } else {
        Some(x.iter().sum::<f64>() / x.len() as f64)
    }
}

/// Sample standard deviation (n - 1); `None` below 2 values.
pub fn sd(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let m = mean(x)?;
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    Some((ss / (x.len() - 1) as f64).sqrt())
}

/// Median; `None` when empty.
pub fn median(x: &[f64]) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal")
}

/// Upper-tail probability of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    1.0 - std_normal().cdf(z)
}

/// Standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

/// Average ranks (1-based) with ties sharing their mean rank, like `scipy.stats.rankdata`.
pub fn rank_average(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Sizes of tie groups (groups of size >= 2) in `x`.
fn tie_sizes(x: &[f64]) -> Vec<usize> {
    let mut v = x.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[i] {
            j += 1;
        }
        if j > i {
            out.push(j - i + 1);
        }
        i = j + 1;
    }
    out
}

/// Wilcoxon signed-rank test of paired differences `d` against 0 (two-sided).
/// Returns `None` when every difference is zero or there are none.
pub fn wilcoxon(d: &[f64]) -> Option<(f64, TestKind)> {
    let d: Vec<f64> = d.iter().copied().filter(|v| v.is_finite()).collect();
    let nonzero: Vec<f64> = d.iter().copied().filter(|&v| v != 0.0).collect();
    if nonzero.is_empty() {
        return None;
    }
    let abs_nz: Vec<f64> = nonzero.iter().map(|v| v.abs()).collect();
    let has_ties = !tie_sizes(&abs_nz).is_empty();
    let n_zero = d.len() - nonzero.len();
    if n_zero == 0 && !has_ties && nonzero.len() <= WILCOXON_EXACT_MAX_N {
        let ranks = rank_average(&abs_nz);
        let r_plus: f64 = ranks
            .iter()
            .zip(&nonzero)
            .filter(|(_, &v)| v > 0.0)
            .map(|(r, _)| r)
            .sum();
        let p = wilcoxon_exact_p(nonzero.len(), r_plus.round() as usize);
        return Some((p, TestKind::WilcoxonExact));
    }
    // Pratt: rank |d| including zeros, then drop the zeros' ranks and adjust the null moments.
    let abs_all: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    let ranks = rank_average(&abs_all);
    let r_plus: f64 = ranks
        .iter()
        .zip(&d)
        .filter(|(_, &v)| v > 0.0)
        .map(|(r, _)| r)
        .sum();
    let r_minus: f64 = ranks
        .iter()
        .zip(&d)
        .filter(|(_, &v)| v < 0.0)
        .map(|(r, _)| r)
        .sum();
    let n = d.len() as f64;
    let nz = n_zero as f64;
    let mut mn = n * (n + 1.0) * 0.25;
    let mut se = n * (n + 1.0) * (2.0 * n + 1.0);
    mn -= nz * (nz + 1.0) * 0.25;
    se -= nz * (nz + 1.0) * (2.0 * nz + 1.0);
    let nz_ranks: Vec<f64> = ranks
        .iter()
        .zip(&d)
        .filter(|(_, &v)| v != 0.0)
        .map(|(r, _)| *r)
        .collect();
    for t in tie_sizes(&nz_ranks) {
        let t = t as f64;
        se -= 0.5 * t * (t * t - 1.0);
    }
    let se = (se / 24.0).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let t = r_plus.min(r_minus);
    let z = (t - mn) / se;
    let p = (2.0 * normal_sf(z.abs())).min(1.0);
    Some((p, TestKind::WilcoxonNormal))
}

/// Exact two-sided p of the signed-rank statistic R+ = `r_plus` with `n` untied nonzero ranks:
/// `min(1, 2 * min(P(T <= r), P(T >= r)))`.
pub fn wilcoxon_exact_p(n: usize, r_plus: usize) -> f64 {
    let max = n * (n + 1) / 2;
    // counts[s] = number of subsets of {1..n} with sum s.
    let mut counts = vec![0f64; max + 1];
    counts[0] = 1.0;
    for k in 1..=n {
        for s in (k..=max).rev() {
            counts[s] += counts[s - k];
        }
    }
    let total: f64 = 2f64.powi(n as i32);
    let r = r_plus.min(max);
    let le: f64 = counts[..=r].iter().sum::<f64>() / total;
    let ge: f64 = counts[r..].iter().sum::<f64>() / total;
    (2.0 * le.min(ge)).min(1.0)
}

/// Mann-Whitney U test (two-sided) of `x` vs `y`. `None` when either side is empty.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<(f64, TestKind)> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let ranks = rank_average(&all);
    let r1: f64 = ranks[..n1].iter().sum();
    let u1 = r1 - (n1 * (n1 + 1)) as f64 / 2.0;
    let u2 = (n1 * n2) as f64 - u1;
    let u = u1.max(u2);
    let ties = tie_sizes(&all);
    if ties.is_empty() && n1 <= MANN_WHITNEY_EXACT_MAX_N && n2 <= MANN_WHITNEY_EXACT_MAX_N {
        // P(U >= u) under the null, from the count of arrangements with each U.
        let dist = mann_whitney_counts(n1, n2);
        let total: f64 = dist.iter().sum();
        let k = u.round() as usize;
        let ge: f64 = dist[k.min(dist.len() - 1)..].iter().sum::<f64>() / total;
        return Some(((2.0 * ge).min(1.0), TestKind::MannWhitneyExact));
    }
    let n = (n1 + n2) as f64;
    let mu = (n1 * n2) as f64 / 2.0;
    let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum::<f64>() / (n * (n - 1.0));
    let var = (n1 * n2) as f64 / 12.0 * ((n + 1.0) - tie_term);
    if var <= 0.0 || !var.is_finite() {
        // All values identical: no evidence of a difference.
        return Some((1.0, TestKind::MannWhitneyNormal));
    }
    let z = (u - mu - 0.5) / var.sqrt();
    Some(((2.0 * normal_sf(z)).min(1.0), TestKind::MannWhitneyNormal))
}

/// Null distribution counts of U for sizes (m, n): `c[u]` arrangements give U = u.
fn mann_whitney_counts(m: usize, n: usize) -> Vec<f64> {
    // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u); built bottom-up.
    let max = m * n;
    // table[i][j] = distribution for sizes (i, j)
    let mut table: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n + 1]; m + 1];
    for (i, row) in table.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            if i == 0 || j == 0 {
                *cell = vec![1.0];
            } else {
                *cell = Vec::new();
            }
        }
    }
    for i in 1..=m {
        for j in 1..=n {
            let mut c = vec![0.0; i * j + 1];
            for (u, v) in table[i - 1][j].iter().enumerate() {
                c[u + j] += v;
            }
            for (u, v) in table[i][j - 1].iter().enumerate() {
                c[u] += v;
            }
            table[i][j] = c;
        }
    }
    let out = table[m][n].clone();
    debug_assert_eq!(out.len(), max + 1);
    out
}

/// A ChaCha8 generator for one named stream of a comparison: the same `seed` and `stream`
/// always give the same draws, whatever else is computed.
pub fn rng_for(seed: u64, stream: &str) -> ChaCha8Rng {
    // FNV-1a of the stream name, mixed into the seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stream.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(seed ^ h)
}

fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    // Linear interpolation between closest ranks (numpy's default).
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The tail probability used for the expanded percentile interval of a mean of `n` values at
/// `level`: alpha'/2 = Phi(-sqrt(n/(n-1)) * t_{1-alpha/2, n-1}).
pub fn expanded_tail(level: f64, n: usize) -> f64 {
    use statrs::distribution::StudentsT;
    let alpha = 1.0 - level;
    if n < 2 {
        return alpha / 2.0;
    }
    let nf = n as f64;
    let t = StudentsT::new(0.0, 1.0, nf - 1.0)
        .expect("df > 0")
        .inverse_cdf(1.0 - alpha / 2.0);
    std_normal().cdf(-(nf / (nf - 1.0)).sqrt() * t)
}

fn interval_from(mut stats: Vec<f64>, level: f64, point: f64, n: usize) -> Interval {
    stats.sort_by(|a, b| a.total_cmp(b));
    let a = expanded_tail(level, n);
    let low = percentile_sorted(&stats, a).min(point);
    let high = percentile_sorted(&stats, 1.0 - a).max(point);
    Interval { low, high, level }
}

/// Expanded percentile bootstrap CI of the mean of `x` (resampling its elements with replacement).
/// The interval is widened to contain the point estimate if rounding ever excluded it.
pub fn bootstrap_mean_ci(x: &[f64], resamples: u32, level: f64, rng: &mut ChaCha8Rng) -> Option<Interval> {
    let point = mean(x)?;
    if x.len() < 2 || resamples == 0 {
        return None;
    }
    let n = x.len();
    let mut stats = Vec::with_capacity(resamples as usize);
    for _ in 0..resamples {
        let mut s = 0.0;
        for _ in 0..n {
            s += x[rng.gen_range(0..n)];
        }
        stats.push(s / n as f64);
    }
    Some(interval_from(stats, level, point, n))
}

/// Expanded percentile bootstrap CI of mean(y) - mean(x), resampling each group independently
/// (expanded with n = the smaller group's size, the conservative choice).
pub fn bootstrap_diff_ci(
    x: &[f64],
    y: &[f64],
    resamples: u32,
    level: f64,
    rng: &mut ChaCha8Rng,
) -> Option<Interval> {
    let point = mean(y)? - mean(x)?;
    if x.len() < 2 || y.len() < 2 || resamples == 0 {
        return None;
    }
    let mut stats = Vec::with_capacity(resamples as usize);
    for _ in 0..resamples {
        let mx: f64 = (0..x.len()).map(|_| x[rng.gen_range(0..x.len())]).sum::<f64>() / x.len() as f64;
        let my: f64 = (0..y.len()).map(|_| y[rng.gen_range(0..y.len())]).sum::<f64>() / y.len() as f64;
        stats.push(my - mx);
    }
    Some(interval_from(stats, level, point, x.len().min(y.len())))
}

/// Expanded percentile bootstrap CI of the relative change mean(y) / mean(x) - 1, for metrics
/// that cannot be negative (so the change cannot fall below -100%, unlike the CI of the
/// difference divided by the old mean). `paired`: x and y are per-probe pairs, resampled
/// together; otherwise each group is resampled independently. Draws whose resampled mean(x) is 0
/// have no ratio and are skipped; `None` when x or y has a negative value, mean(x) is not
/// positive, or fewer than half of the draws have a ratio.
pub fn bootstrap_ratio_ci(
    x: &[f64],
    y: &[f64],
    paired: bool,
    resamples: u32,
    level: f64,
    rng: &mut ChaCha8Rng,
) -> Option<Interval> {
    let (mx, my) = (mean(x)?, mean(y)?);
    if x.len() < 2 || y.len() < 2 || resamples == 0 || mx <= 0.0 || (paired && x.len() != y.len()) {
        return None;
    }
    if x.iter().chain(y).any(|v| *v < 0.0 || !v.is_finite()) {
        return None;
    }
    let point = my / mx - 1.0;
    let mut stats = Vec::with_capacity(resamples as usize);
    for _ in 0..resamples {
        let (sx, sy) = if paired {
            let n = x.len();
            let (mut sx, mut sy) = (0.0, 0.0);
            for _ in 0..n {
                let i = rng.gen_range(0..n);
                sx += x[i];
                sy += y[i];
            }
            (sx / n as f64, sy / n as f64)
        } else {
            let sx = (0..x.len()).map(|_| x[rng.gen_range(0..x.len())]).sum::<f64>() / x.len() as f64;
            let sy = (0..y.len()).map(|_| y[rng.gen_range(0..y.len())]).sum::<f64>() / y.len() as f64;
            (sx, sy)
        };
        if sx > 0.0 {
            stats.push(sy / sx - 1.0);
        }
    }
    if stats.len() * 2 < resamples as usize {
        return None;
    }
    Some(interval_from(stats, level, point, x.len().min(y.len())))
}

/// Two-sided permutation test on mean(y) - mean(x) with `permutations` random relabellings:
/// p = (1 + #{|perm| >= |observed|}) / (permutations + 1).
pub fn permutation_p(x: &[f64], y: &[f64], permutations: u32, rng: &mut ChaCha8Rng) -> Option<f64> {
    let obs = (mean(y)? - mean(x)?).abs();
    if permutations == 0 {
        return None;
    }
    let mut pool: Vec<f64> = x.iter().chain(y).copied().collect();
    let nx = x.len();
    let total: f64 = pool.iter().sum();
    let mut extreme = 0u64;
    let tol = 1e-12 * (1.0 + obs);
    for _ in 0..permutations {
        // Partial Fisher-Yates: the first nx elements become the "x" group.
        for i in 0..nx {
            let j = rng.gen_range(i..pool.len());
            pool.swap(i, j);
        }
        let sx: f64 = pool[..nx].iter().sum();
        let d = ((total - sx) / y.len() as f64 - sx / nx as f64).abs();
        if d >= obs - tol {
            extreme += 1;
        }
    }
    Some((1 + extreme) as f64 / (permutations as f64 + 1.0))
}

/// Cohen's d_z of paired differences: mean(d) / sd(d). `None` when sd is 0 or n < 2.
pub fn cohens_dz(d: &[f64]) -> Option<f64> {
    let s = sd(d)?;
    if s == 0.0 {
        return None;
    }
    Some(mean(d)? / s)
}

/// Cohen's d of y vs x with the pooled SD. `None` when the pooled SD is 0.
pub fn cohens_d(x: &[f64], y: &[f64]) -> Option<f64> {
    let (sx, sy) = (sd(x)?, sd(y)?);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let pooled = (((nx - 1.0) * sx * sx + (ny - 1.0) * sy * sy) / (nx + ny - 2.0)).sqrt();
    if pooled == 0.0 {
        return None;
    }
    Some((mean(y)? - mean(x)?) / pooled)
}

/// Cliff's delta: P(y > x) - P(y < x) over all pairs, in [-1, 1].
pub fn cliffs_delta(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let mut xs = x.to_vec();
    xs.sort_by(|a, b| a.total_cmp(b));
    let mut score: i64 = 0;
    for &v in y {
        let less = xs.partition_point(|&a| a < v) as i64; // x < v
        let le = xs.partition_point(|&a| a <= v) as i64;
        let greater = xs.len() as i64 - le; // x > v
        score += less - greater;
    }
    Some(score as f64 / (x.len() * y.len()) as f64)
}

/// Benjamini-Hochberg adjusted q-values, in the order of `p`. NaN p-values are not allowed
/// (callers pass only computed p-values).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    for rank in (0..m).rev() {
        let i = idx[rank];
        let v = (p[i] * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(v);
        q[i] = running;
    }
    q
}

/// Split-half noise: for each probe with 2+ sample values, split samples by index parity
/// (even-indexed vs odd-indexed), h = mean(even) - mean(odd); under "same model" E[h] = 0 and
/// Var(h) = s^2 (1/k_even + 1/k_odd). Returns the pooled within-probe sample SD
/// `s = sqrt(mean_i(h_i^2 / (1/k_even_i + 1/k_odd_i)))` and the number of probes used.
pub fn split_half_sd(per_probe_samples: &[Vec<f64>]) -> Option<(f64, usize)> {
    let mut acc = 0.0;
    let mut n = 0usize;
    for samples in per_probe_samples {
        if samples.len() < 2 {
            continue;
        }
        let even: Vec<f64> = samples.iter().step_by(2).copied().collect();
        let odd: Vec<f64> = samples.iter().skip(1).step_by(2).copied().collect();
        let h = mean(&even)? - mean(&odd)?;
        acc += h * h / (1.0 / even.len() as f64 + 1.0 / odd.len() as f64);
        n += 1;
    }
    if n == 0 {
        None
    } else {
        Some(((acc / n as f64).sqrt(), n))
    }
}

/// z_{1-alpha/2} + z_{power}: the multiplier of a standard error giving the minimum detectable
/// change at two-sided level `alpha` and the given power.
pub fn mdc_multiplier(alpha: f64, power: f64) -> f64 {
    normal_quantile(1.0 - alpha / 2.0) + normal_quantile(power)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn ranks_average_ties_like_scipy() {
        // python3 -c "from scipy.stats import rankdata; print(rankdata([3,1,4,1,5]))"
        // -> [3.  1.5 4.  1.5 5. ]
        assert_eq!(
            rank_average(&[3.0, 1.0, 4.0, 1.0, 5.0]),
            vec![3.0, 1.5, 4.0, 1.5, 5.0]
        );
    }

    #[test]
    fn bh_hand_worked() {
        // p = [0.01, 0.04, 0.03, 0.20], m = 4: sorted 0.01,0.03,0.04,0.20 ->
        // raw 0.04, 0.06, 0.0533, 0.20 -> monotone from the top: 0.04, 0.0533, 0.0533, 0.20
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.20];
        for (a, b) in q.iter().zip(want) {
            assert!(close(*a, b, 1e-12), "{q:?}");
        }
    }

    #[test]
    fn cliffs_delta_hand_worked() {
        // x = [1,2,3], y = [2,4]: pairs y>x: (2>1),(4>1),(4>2),(4>3) = 4; y<x: (2<3) = 1; 6 pairs
        assert!(close(
            cliffs_delta(&[1.0, 2.0, 3.0], &[2.0, 4.0]).unwrap(),
            3.0 / 6.0,
            1e-12
        ));
    }

    #[test]
    fn split_half_recovers_within_probe_sd() {
        // Many probes with different means, samples with SD 2: the estimate is near 2.
        let mut rng = rng_for(7, "t");
        let normal = rand_distr_normal;
        let probes: Vec<Vec<f64>> = (0..2000)
            .map(|i| (0..4).map(|_| i as f64 + 2.0 * normal(&mut rng)).collect())
            .collect();
        let (s, n) = split_half_sd(&probes).unwrap();
        assert_eq!(n, 2000);
        assert!((s - 2.0).abs() < 0.1, "{s}");
    }

    /// Box-Muller standard normal.
    pub(crate) fn rand_distr_normal(rng: &mut ChaCha8Rng) -> f64 {
        let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
        let u2: f64 = rng.gen::<f64>();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    #[test]
    fn expanded_tail_hand_worked() {
        // n = 5: t_{0.975,4} = 2.776445, sqrt(5/4) = 1.118034 -> z' = 3.104155,
        // Phi(-3.104155) = 0.000954.
        // python3 -c "from scipy.stats import t, norm; print(norm.cdf(-(5/4)**0.5*t.ppf(0.975,4)))"
        assert!(close(expanded_tail(0.95, 5), 0.000954, 2e-3));
        // Large n: back to 0.025.
        assert!(close(expanded_tail(0.95, 100_000), 0.025, 1e-3));
    }

    #[test]
    fn mdc_multiplier_is_2_80_at_05_80() {
        assert!(close(mdc_multiplier(0.05, 0.8), 1.959964 + 0.841621, 1e-5));
    }
}

#[cfg(test)]
mod scipy_reference {
    use super::*;
    use crate::compare::model::TestKind;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + b.abs())
    }

    #[test]
    fn wilcoxon_exact_matches_scipy() {
        // python3 -c "from scipy.stats import wilcoxon; print(wilcoxon([1.5,-0.3,2.1,0.8,-1.2,3.3,0.4,2.7,-0.6,1.9], zero_method='pratt', correction=False, method='exact').pvalue)"
        // -> 0.064453125
        let (p, k) = wilcoxon(&[1.5, -0.3, 2.1, 0.8, -1.2, 3.3, 0.4, 2.7, -0.6, 1.9]).unwrap();
        assert_eq!(k, TestKind::WilcoxonExact);
        assert!(close(p, 0.064453125), "{p}");
    }

    #[test]
    fn wilcoxon_normal_with_ties_and_zeros_matches_scipy() {
        // python3 -c "from scipy.stats import wilcoxon; print(wilcoxon([1,2,2,-1,0,3,4,-2,1,0,5,2,-3,1], zero_method='pratt', correction=False, method='approx').pvalue)"
        // -> 0.09365471729498678
        let d = [1., 2., 2., -1., 0., 3., 4., -2., 1., 0., 5., 2., -3., 1.];
        let (p, k) = wilcoxon(&d).unwrap();
        assert_eq!(k, TestKind::WilcoxonNormal);
        assert!(close(p, 0.09365471729498678), "{p}");
    }

    #[test]
    fn wilcoxon_normal_large_n_matches_scipy() {
        // python3 -c "from scipy.stats import wilcoxon; print(wilcoxon(D, zero_method='pratt', correction=False, method='approx').pvalue)"
        // with D the 60 values below -> 0.015126799117971637
        let d = [
            0.646, 1.122, 0.63, -1.003, 1.205, 0.746, -0.237, 0.881, 0.665, 0.594, 0.328, 0.847, -0.436,
            0.137, -0.182, 0.899, 0.34, 0.008, -0.482, 0.043, 0.308, 0.024, 1.594, 1.307, -2.411, -1.589,
            0.125, -0.122, 0.514, 0.517, 2.418, -0.812, -0.078, 2.343, 0.947, 0.963, -0.214, -1.348, 0.467,
            0.409, -0.927, -0.383, 0.228, -0.645, 0.202, 0.395, 0.336, -0.206, 0.894, 1.191, 0.621, -0.518,
            1.032, -0.201, 1.179, -0.772, 1.214, 0.28, -0.949, -0.014,
        ];
        let (p, k) = wilcoxon(&d).unwrap();
        assert_eq!(k, TestKind::WilcoxonNormal);
        assert!(close(p, 0.015126799117971637), "{p}");
    }

    #[test]
    fn mann_whitney_exact_matches_scipy() {
        // python3 -c "from scipy.stats import mannwhitneyu; print(mannwhitneyu([1.1,2.3,0.7,3.1,2.2],[2.9,3.5,4.0,2.4,3.8,5.1], alternative='two-sided', use_continuity=True, method='auto').pvalue)"
        // -> 0.017316017316017316
        let (p, k) = mann_whitney(&[1.1, 2.3, 0.7, 3.1, 2.2], &[2.9, 3.5, 4.0, 2.4, 3.8, 5.1]).unwrap();
        assert_eq!(k, TestKind::MannWhitneyExact);
        assert!(close(p, 0.017316017316017316), "{p}");
    }

    #[test]
    fn mann_whitney_ties_matches_scipy() {
        // python3 -c "from scipy.stats import mannwhitneyu; print(mannwhitneyu([1,2,2,3,3,3,4,5,6,7],[2,3,4,4,5,6,6,7,8,9,9], alternative='two-sided', use_continuity=True, method='auto').pvalue)"
        // -> 0.04682250687805345
        let x = [1., 2., 2., 3., 3., 3., 4., 5., 6., 7.];
        let y = [2., 3., 4., 4., 5., 6., 6., 7., 8., 9., 9.];
        let (p, k) = mann_whitney(&x, &y).unwrap();
        assert_eq!(k, TestKind::MannWhitneyNormal);
        assert!(close(p, 0.04682250687805345), "{p}");
    }
}
