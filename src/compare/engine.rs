//! Build a [`Comparison`] from two scored runs. Pure: no I/O, no clock (the caller passes the
//! timestamp), every random draw from `CompareOptions::seed`.

use super::gate::{self, Gate};
use super::model::*;
use super::stats;
use crate::score::{MetricInfo, MetricKind, ReplyScores, RunScores};
use crate::store::Manifest;
use std::collections::{BTreeMap, BTreeSet};

/// Fewest probes with a value (per side, or pairs when paired) for a test and a CI.
pub const MIN_PROBES: usize = 3;

/// The text of one reply, for the "typical reply" boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyText {
    pub prompt: String,
    pub content: String,
}

/// One run, loaded and scored (see `compare::load`).
#[derive(Debug, Clone)]
pub struct RunInput {
    pub label: String,
    pub path: String,
    pub manifest: Manifest,
    pub scores: RunScores,
    /// (probe id, sample, turn) -> text.
    pub texts: BTreeMap<(String, u32, u32), ReplyText>,
    pub conversations_used: u64,
    pub conversations_failed: u64,
    /// Warnings from loading (torn tail, ...).
    pub warnings: Vec<String>,
}

/// A noise-band override: absolute half-width or a percentage of the old mean.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseOverride {
    /// Dimension name (`warmth`) or metric id as given.
    pub name: String,
    pub spec: String,
    pub value: f64,
    pub percent: bool,
    pub source: NoiseSource,
}

impl NoiseOverride {
    /// Parse `METRIC=VALUE` (VALUE a non-negative number, optionally with `%`).
    pub fn parse(text: &str, source: NoiseSource) -> Result<NoiseOverride, String> {
        let (name, spec) = text.split_once('=').ok_or_else(|| {
            format!("--noise `{text}`: expected METRIC=VALUE, e.g. warmth=0.05 or words=5%")
        })?;
        NoiseOverride::from_parts(name.trim(), spec.trim(), source)
    }

    pub fn from_parts(name: &str, spec: &str, source: NoiseSource) -> Result<NoiseOverride, String> {
        let (num, percent) = match spec.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (spec, false),
        };
        let value: f64 = num
            .parse()
            .map_err(|_| format!("noise `{name}={spec}`: `{spec}` is not a number (e.g. 0.05 or 5%)"))?;
        if !value.is_finite() || value < 0.0 || name.is_empty() {
            return Err(format!(
                "noise `{name}={spec}`: needs a metric name and a non-negative value"
            ));
        }
        Ok(NoiseOverride {
            name: name.to_string(),
            spec: spec.to_string(),
            value,
            percent,
            source,
        })
    }
}

#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub alpha: f64,
    pub seed: u64,
    pub resamples: u32,
    pub ci_level: f64,
    pub noise: Vec<NoiseOverride>,
    pub common_probes: bool,
    pub unpaired: bool,
    /// Most-changed probes listed per dimension.
    pub top_changed: usize,
    pub gates: Vec<Gate>,
    /// Compute the category/language/turn breakdowns (on by default).
    pub breakdowns: bool,
    /// RFC 3339 timestamp stamped into the comparison (the caller reads the clock).
    pub created_at: String,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            alpha: 0.05,
            seed: DEFAULT_SEED,
            resamples: 10_000,
            ci_level: 0.95,
            noise: Vec::new(),
            common_probes: false,
            unpaired: false,
            top_changed: 3,
            gates: Vec::new(),
            breakdowns: true,
            created_at: String::new(),
        }
    }
}

/// The default seed of every random draw (printed with every comparison).
pub const DEFAULT_SEED: u64 = 20_240_917;

/// Why a comparison could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// Bad input or settings (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Too little data to measure anything (exit 3).
    #[error("{0}")]
    TooFew(String),
}

impl CompareError {
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            CompareError::Usage(m) => crate::error::usage(m),
            CompareError::TooFew(m) => crate::error::unmeasurable(m),
        }
    }
}

/// Per run and metric: probe -> sample -> values over turns.
type SampleValues = BTreeMap<String, BTreeMap<u32, Vec<f64>>>;

fn collect_values<'a>(
    replies: impl Iterator<Item = &'a ReplyScores>,
    metric: &str,
    probes: &BTreeSet<String>,
) -> (SampleValues, u64) {
    let mut out: SampleValues = BTreeMap::new();
    let mut missing = 0;
    for r in replies {
        if !probes.contains(&r.probe_id) {
            continue;
        }
        match r.values.get(metric) {
            Some(v) if v.is_finite() => out
                .entry(r.probe_id.clone())
                .or_default()
                .entry(r.sample)
                .or_default()
                .push(*v),
            _ => missing += 1,
        }
    }
    (out, missing)
}

/// Per-sample values (mean over turns), in sample order, per probe.
fn sample_means(v: &SampleValues) -> BTreeMap<String, Vec<f64>> {
    v.iter()
        .map(|(p, samples)| {
            let means = samples.values().filter_map(|t| stats::mean(t)).collect();
            (p.clone(), means)
        })
        .collect()
}

fn probe_means(v: &SampleValues) -> BTreeMap<String, f64> {
    sample_means(v)
        .into_iter()
        .filter_map(|(p, s)| stats::mean(&s).map(|m| (p, m)))
        .collect()
}

/// Everything but q and the verdict.
struct Raw {
    stats: Stats,
    mdc: Option<f64>,
    points: Vec<ProbePoint>,
    n_for_noise: (f64, f64, f64), // (n_pairs or n_old, n_new, paired flag 1/0)
}

fn raw_stats(
    old: &BTreeMap<String, f64>,
    new: &BTreeMap<String, f64>,
    pairing: Pairing,
    opts: &CompareOptions,
    stream: &str,
) -> Raw {
    let mut rng = stats::rng_for(opts.seed, stream);
    let mult = stats::mdc_multiplier(opts.alpha, 0.8);
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let points = keys
        .iter()
        .map(|k| ProbePoint {
            probe_id: (*k).clone(),
            old: old.get(*k).copied(),
            new: new.get(*k).copied(),
        })
        .collect();
    let mut s = Stats {
        old_mean: None,
        new_mean: None,
        old_sd: None,
        new_sd: None,
        abs_change: None,
        rel_change: None,
        ci: None,
        rel_ci: None,
        p: None,
        q: None,
        test: TestKind::None,
        p_permutation: None,
        d_z: None,
        d: None,
        cliffs_delta: None,
        n_pairs: 0,
        n_old: old.len() as u64,
        n_new: new.len() as u64,
        missing: Missing::default(),
        verdict: Verdict::Inconclusive,
        direction: Direction::Flat,
        reason: String::new(),
    };
    let mdc;
    let n_for_noise;
    match pairing {
        Pairing::Paired => {
            let common: Vec<&String> = old.keys().filter(|k| new.contains_key(*k)).collect();
            s.missing.unpaired_probes = (old.len() + new.len() - 2 * common.len()) as u64;
            let xo: Vec<f64> = common.iter().map(|k| old[*k]).collect();
            let xn: Vec<f64> = common.iter().map(|k| new[*k]).collect();
            let d: Vec<f64> = xo.iter().zip(&xn).map(|(a, b)| b - a).collect();
            s.n_pairs = d.len() as u64;
            s.old_mean = stats::mean(&xo);
            s.new_mean = stats::mean(&xn);
            s.old_sd = stats::sd(&xo);
            s.new_sd = stats::sd(&xn);
            s.abs_change = stats::mean(&d);
            if d.len() >= MIN_PROBES {
                s.ci = stats::bootstrap_mean_ci(&d, opts.resamples, opts.ci_level, &mut rng);
                match stats::wilcoxon(&d) {
                    Some((p, k)) => {
                        s.p = Some(p);
                        s.test = k;
                    }
                    None => s.p = Some(1.0), // every difference is exactly zero
                }
                s.d_z = stats::cohens_dz(&d);
                s.cliffs_delta = stats::cliffs_delta(&xo, &xn);
                s.rel_ci = stats::bootstrap_ratio_ci(&xo, &xn, true, opts.resamples, opts.ci_level, &mut rng);
            }
            mdc = stats::sd(&d).map(|sd| mult * sd / (d.len() as f64).sqrt());
            n_for_noise = (d.len() as f64, d.len() as f64, 1.0);
        }
        Pairing::Unpaired => {
            let xo: Vec<f64> = old.values().copied().collect();
            let xn: Vec<f64> = new.values().copied().collect();
            s.old_mean = stats::mean(&xo);
            s.new_mean = stats::mean(&xn);
            s.old_sd = stats::sd(&xo);
            s.new_sd = stats::sd(&xn);
            s.abs_change = match (s.old_mean, s.new_mean) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            };
            if xo.len() >= MIN_PROBES && xn.len() >= MIN_PROBES {
                s.ci = stats::bootstrap_diff_ci(&xo, &xn, opts.resamples, opts.ci_level, &mut rng);
                if let Some((p, k)) = stats::mann_whitney(&xo, &xn) {
                    s.p = Some(p);
                    s.test = k;
                }
                s.p_permutation = stats::permutation_p(&xo, &xn, opts.resamples, &mut rng);
                s.d = stats::cohens_d(&xo, &xn);
                s.cliffs_delta = stats::cliffs_delta(&xo, &xn);
                s.rel_ci =
                    stats::bootstrap_ratio_ci(&xo, &xn, false, opts.resamples, opts.ci_level, &mut rng);
            }
            mdc = match (s.old_sd, s.new_sd) {
                (Some(a), Some(b)) => Some(mult * (a * a / xo.len() as f64 + b * b / xn.len() as f64).sqrt()),
                _ => None,
            };
            n_for_noise = (xo.len() as f64, xn.len() as f64, 0.0);
        }
    }
    if let (Some(a), Some(o)) = (s.abs_change, s.old_mean) {
        if o != 0.0 {
            s.rel_change = Some(a / o.abs());
        }
    }
    s.direction = match s.abs_change {
        Some(a) if a > 0.0 => Direction::Up,
        Some(a) if a < 0.0 => Direction::Down,
        _ => Direction::Flat,
    };
    Raw {
        stats: s,
        mdc,
        points,
        n_for_noise,
    }
}

/// The verdict rule, decided here and only here.
pub fn decide(q: Option<f64>, ci: Option<Interval>, band: f64, alpha: f64) -> (Verdict, String) {
    let Some(ci) = ci else {
        return (
            Verdict::Inconclusive,
            format!("too few probes with a value (fewer than {MIN_PROBES}) to measure"),
        );
    };
    let outside = ci.low > band || ci.high < -band;
    let inside = ci.low >= -band && ci.high <= band;
    let q = q.unwrap_or(1.0);
    if q < alpha && outside {
        (
            Verdict::Changed,
            format!("q = {q:.3} < {alpha} and the CI lies outside the noise band ±{band:.4}"),
        )
    } else if inside {
        (
            Verdict::Unchanged,
            format!("the CI lies inside the noise band ±{band:.4}"),
        )
    } else if outside {
        (
            Verdict::Inconclusive,
            format!("the CI lies outside the noise band ±{band:.4} but q = {q:.3} is not below {alpha}"),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!("the CI overlaps the edge of the noise band ±{band:.4}"),
        )
    }
}

fn apply_family(results: &mut [&mut Stats], bands: &[f64], alpha: f64) {
    let idx: Vec<usize> = (0..results.len()).filter(|&i| results[i].p.is_some()).collect();
    let ps: Vec<f64> = idx.iter().map(|&i| results[i].p.unwrap()).collect();
    let qs = stats::benjamini_hochberg(&ps);
    for (k, &i) in idx.iter().enumerate() {
        results[i].q = Some(qs[k]);
    }
    for (i, s) in results.iter_mut().enumerate() {
        let (v, reason) = decide(s.q, s.ci, bands[i], alpha);
        s.verdict = v;
        s.reason = reason;
    }
}

fn side_noise(sm: &BTreeMap<String, Vec<f64>>) -> Option<SideNoise> {
    let per: Vec<Vec<f64>> = sm.values().cloned().collect();
    let (sd, n) = stats::split_half_sd(&per)?;
    let used: Vec<&Vec<f64>> = per.iter().filter(|s| !s.is_empty()).collect();
    let k = used.iter().map(|s| s.len() as f64).sum::<f64>() / used.len().max(1) as f64;
    Some(SideNoise {
        sample_sd: sd,
        n_probes: n as u64,
        samples_per_probe: k,
    })
}

fn measured_noise(
    old: Option<SideNoise>,
    new: Option<SideNoise>,
    n: (f64, f64, f64),
    alpha: f64,
) -> MeasuredNoise {
    // Where only one side has 2+ samples, assume the other side is as noisy.
    let (o, nw) = match (&old, &new) {
        (Some(a), Some(b)) => (Some(a.clone()), Some(b.clone())),
        (Some(a), None) => (Some(a.clone()), Some(a.clone())),
        (None, Some(b)) => (Some(b.clone()), Some(b.clone())),
        _ => (None, None),
    };
    let chance = match (o, nw) {
        (Some(a), Some(b)) if n.0 > 0.0 && n.1 > 0.0 => {
            let vo = a.sample_sd.powi(2) / a.samples_per_probe.max(1.0);
            let vn = b.sample_sd.powi(2) / b.samples_per_probe.max(1.0);
            Some((vo / n.0 + vn / n.1).sqrt())
        }
        _ => None,
    };
    MeasuredNoise {
        old,
        new,
        chance_change_sd: chance,
        mdc_sampling: chance.map(|c| c * stats::mdc_multiplier(alpha, 0.8)),
    }
}

fn identity(old: &Manifest, new: &Manifest) -> ModelIdentity {
    let fmt = |m: &BTreeMap<String, u64>| -> String {
        if m.is_empty() {
            "nothing reported".into()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k} ({v})"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let keys = |m: &BTreeMap<String, u64>| m.keys().cloned().collect::<BTreeSet<_>>();
    let (status, prominent, message) = if old.model_requested != new.model_requested {
        let mut msg = format!(
            "Different models: old asked for `{}` (reported: {}), new asked for `{}` (reported: {}).",
            old.model_requested,
            fmt(&old.models_reported),
            new.model_requested,
            fmt(&new.models_reported)
        );
        if !old.models_reported.is_empty() && keys(&old.models_reported) == keys(&new.models_reported) {
            msg.push_str(" Note: the API reported the same model id(s) for both.");
        }
        (IdentityStatus::DifferentModels, false, msg)
    } else {
        let name = &old.model_requested;
        let models_known = !old.models_reported.is_empty() && !new.models_reported.is_empty();
        let fps_known = !old.system_fingerprints.is_empty() && !new.system_fingerprints.is_empty();
        let models_differ = models_known && keys(&old.models_reported) != keys(&new.models_reported);
        let fps_differ = fps_known && keys(&old.system_fingerprints) != keys(&new.system_fingerprints);
        if models_differ || fps_differ {
            let mut parts = Vec::new();
            if models_differ {
                parts.push(format!(
                    "reported model ids differ: old {}, new {}",
                    fmt(&old.models_reported),
                    fmt(&new.models_reported)
                ));
            }
            if fps_differ {
                parts.push(format!(
                    "system fingerprints differ: old {}, new {}",
                    fmt(&old.system_fingerprints),
                    fmt(&new.system_fingerprints)
                ));
            }
            (
                IdentityStatus::SameNameDifferentModel,
                true,
                format!(
                    "Same name, different model: both runs asked for `{name}`, but the {}. The model behind \
                     this name changed between the runs (a silent update).",
                    parts.join("; and the ")
                ),
            )
        } else if models_known || fps_known {
            (
                IdentityStatus::SameNameSameModel,
                false,
                format!(
                    "Reported ids match: both runs asked for `{name}` and the API reported the same {}.",
                    match (models_known, fps_known) {
                        (true, true) => format!(
                            "model id(s) ({}) and system fingerprint(s)",
                            old.models_reported.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        (true, false) => format!(
                            "model id(s) ({}); no system fingerprints to compare",
                            old.models_reported.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        _ => "system fingerprint(s); no model ids to compare".into(),
                    }
                ),
            )
        } else {
            (
                IdentityStatus::SameNameUnverified,
                false,
                format!(
                    "Both runs asked for `{name}`; the API reported no model id or fingerprint, so a silent \
                     update cannot be ruled out."
                ),
            )
        }
    };
    ModelIdentity {
        old_requested: old.model_requested.clone(),
        new_requested: new.model_requested.clone(),
        old_reported: old.models_reported.clone(),
        new_reported: new.models_reported.clone(),
        old_fingerprints: old.system_fingerprints.clone(),
        new_fingerprints: new.system_fingerprints.clone(),
        status,
        prominent,
        message,
    }
}

fn run_info(r: &RunInput, probes: u64) -> RunInfo {
    let m = &r.manifest;
    RunInfo {
        label: r.label.clone(),
        path: r.path.clone(),
        origin: m.origin.clone(),
        provider: m.provider.clone(),
        base_url: m.base_url.clone(),
        model_requested: m.model_requested.clone(),
        models_reported: m.models_reported.clone(),
        system_fingerprints: m.system_fingerprints.clone(),
        sampling: m.sampling.clone(),
        samples: m.samples,
        battery_hash: m.battery_hash.clone(),
        probes_filter: m.probes_filter.clone(),
        system_prompt: m.system_prompt.clone(),
        persona_card: m.persona_card.clone(),
        tool_version: m.tool_version.clone(),
        started_at: m.started_at.clone(),
        finished_at: m.finished_at.clone(),
        counts: m.counts.clone(),
        conversations_used: r.conversations_used,
        conversations_failed: r.conversations_failed,
        replies_used: r.scores.replies.len() as u64,
        probes,
    }
}

fn probe_ids(s: &RunScores) -> BTreeSet<String> {
    s.replies.iter().map(|r| r.probe_id.clone()).collect()
}

/// Resolve a noise override's name against the metrics compared.
fn noise_band(info: &MetricInfo, old_mean: Option<f64>, opts: &CompareOptions, ids: &[&str]) -> NoiseBand {
    // Later overrides win (config first, then flags).
    let ov = opts
        .noise
        .iter()
        .rev()
        .find(|o| gate::resolve_name(&o.name, ids).as_deref() == Some(info.id.as_str()));
    match ov {
        Some(o) => NoiseBand {
            half_width: if o.percent {
                o.value / 100.0 * old_mean.map(f64::abs).unwrap_or(0.0)
            } else {
                o.value
            },
            source: o.source,
            spec: Some(o.spec.clone()),
        },
        None => NoiseBand {
            half_width: info.default_noise.max(0.0),
            source: NoiseSource::Default,
            spec: None,
        },
    }
}

/// Build the comparison of `old` against `new`.
pub fn build_comparison(
    old: &RunInput,
    new: &RunInput,
    opts: &CompareOptions,
) -> Result<Comparison, CompareError> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(CompareError::Usage(format!(
            "--alpha {} is out of range: it must be between 0 and 1 (e.g. 0.05)",
            opts.alpha
        )));
    }
    if opts.resamples < 100 {
        return Err(CompareError::Usage(format!(
            "--resamples {} is too few: use at least 100 (default 10000)",
            opts.resamples
        )));
    }
    let mut warnings: Vec<String> = old.warnings.iter().chain(&new.warnings).cloned().collect();
    if let (Some(a), Some(b)) = (&old.manifest.battery_hash, &new.manifest.battery_hash) {
        if a != b && !opts.common_probes {
            return Err(CompareError::Usage(format!(
                "the runs used different probe batteries: {} has battery {a}, {} has battery {b}; \
                 rerun with --common-probes to compare only the probes they share",
                old.label, new.label
            )));
        }
    }
    if old.scores.replies.is_empty() || new.scores.replies.is_empty() {
        let which = if old.scores.replies.is_empty() {
            &old.label
        } else {
            &new.label
        };
        return Err(CompareError::TooFew(format!(
            "run {which} has no finished, scored replies: nothing to compare"
        )));
    }

    // Probes and pairing.
    let old_ids = probe_ids(&old.scores);
    let new_ids = probe_ids(&new.scores);
    let common: BTreeSet<String> = old_ids.intersection(&new_ids).cloned().collect();
    let need = MIN_PROBES.max(old_ids.len().min(new_ids.len()).div_ceil(2));
    let (pairing, pairing_note) = if opts.unpaired {
        (
            Pairing::Unpaired,
            "unpaired: requested with --unpaired".to_string(),
        )
    } else if common.len() >= need {
        (
            Pairing::Paired,
            format!("paired by probe id: {} probes in both runs", common.len()),
        )
    } else {
        (
            Pairing::Unpaired,
            format!(
                "unpaired: the runs share only {} probe ids (paired needs at least {need}); probe means \
                 are compared as two independent samples",
                common.len()
            ),
        )
    };
    let (use_old, use_new) = if opts.common_probes {
        (common.clone(), common.clone())
    } else {
        (old_ids.clone(), new_ids.clone())
    };
    let coverage = Coverage {
        old_probes: old_ids.len() as u64,
        new_probes: new_ids.len() as u64,
        common_probes: common.len() as u64,
        only_old: old_ids.difference(&new_ids).cloned().collect(),
        only_new: new_ids.difference(&old_ids).cloned().collect(),
    };
    if pairing == Pairing::Paired && (!coverage.only_old.is_empty() || !coverage.only_new.is_empty()) {
        warnings.push(format!(
            "{} probe(s) only in the old run and {} only in the new run were left out of the paired analysis",
            coverage.only_old.len(),
            coverage.only_new.len()
        ));
    }

    // Metrics present in both runs; dimensions first.
    let new_infos: BTreeMap<&str, &MetricInfo> =
        new.scores.metrics.iter().map(|m| (m.id.as_str(), m)).collect();
    let mut infos: Vec<&MetricInfo> = Vec::new();
    for m in &old.scores.metrics {
        match new_infos.get(m.id.as_str()) {
            Some(n) => {
                if n.version != m.version {
                    warnings.push(format!(
                        "metric {} was computed by version {} for the old run and {} for the new run",
                        m.id, m.version, n.version
                    ));
                }
                infos.push(m)
            }
            None => warnings.push(format!(
                "metric {} is only in the old run's scores; skipped",
                m.id
            )),
        }
    }
    for m in &new.scores.metrics {
        if !old.scores.metrics.iter().any(|o| o.id == m.id) {
            warnings.push(format!(
                "metric {} is only in the new run's scores; skipped",
                m.id
            ));
        }
    }
    infos.sort_by(|a, b| {
        (a.kind != MetricKind::Dimension, &a.id).cmp(&(b.kind != MetricKind::Dimension, &b.id))
    });
    let ids: Vec<&str> = infos.iter().map(|m| m.id.as_str()).collect();
    for o in &opts.noise {
        if gate::resolve_name(&o.name, &ids).is_none() {
            return Err(CompareError::Usage(format!(
                "noise override `{}={}`: no dimension or metric named `{}`",
                o.name, o.spec, o.name
            )));
        }
    }

    // Overall statistics per metric.
    let mut results: Vec<MetricResult> = Vec::new();
    let mut bands = Vec::new();
    for info in &infos {
        let (ov, miss_o) = collect_values(old.scores.replies.iter(), &info.id, &use_old);
        let (nv, miss_n) = collect_values(new.scores.replies.iter(), &info.id, &use_new);
        let pm_o = probe_means(&ov);
        let pm_n = probe_means(&nv);
        let raw = raw_stats(&pm_o, &pm_n, pairing, opts, &info.id);
        let mut st = raw.stats;
        st.missing.old_replies = miss_o;
        st.missing.new_replies = miss_n;
        let band = noise_band(info, st.old_mean, opts, &ids);
        // Split-half noise uses the probes that entered the analysis.
        let keep = |sm: BTreeMap<String, Vec<f64>>, other: &BTreeMap<String, f64>| {
            sm.into_iter()
                .filter(|(p, _)| pairing == Pairing::Unpaired || other.contains_key(p))
                .collect::<BTreeMap<_, _>>()
        };
        let mn = measured_noise(
            side_noise(&keep(sample_means(&ov), &pm_n)),
            side_noise(&keep(sample_means(&nv), &pm_o)),
            raw.n_for_noise,
            opts.alpha,
        );
        bands.push(band.half_width);
        results.push(MetricResult {
            id: info.id.clone(),
            label: info.label.clone(),
            kind: info.kind,
            group: info.group.clone(),
            unit: info.unit.clone(),
            description: info.description.clone(),
            noise: band,
            measured_noise: mn,
            mdc: raw.mdc,
            stats: st,
            probes: raw.points,
        });
    }
    {
        let mut refs: Vec<&mut Stats> = results.iter_mut().map(|r| &mut r.stats).collect();
        apply_family(&mut refs, &bands, opts.alpha);
    }
    let measurable = results.iter().any(|r| r.stats.ci.is_some());
    if !measurable {
        return Err(CompareError::TooFew(format!(
            "too few probes to measure: {} paired probe(s) ({} old, {} new with scores); every metric needs at \
             least {MIN_PROBES} {}",
            common.len(),
            use_old.len(),
            use_new.len(),
            if pairing == Pairing::Paired { "paired probes" } else { "probes per run" }
        )));
    }

    // Breakdowns over dimensions (all metrics when the scorer provides no dimensions).
    let has_dims = infos.iter().any(|m| m.kind == MetricKind::Dimension);
    let bd_metrics: Vec<(&MetricInfo, f64)> = infos
        .iter()
        .zip(&bands)
        .filter(|(m, _)| !has_dims || m.kind == MetricKind::Dimension)
        .map(|(m, b)| (*m, *b))
        .collect();
    let breakdowns = if !opts.breakdowns {
        Breakdowns::default()
    } else {
        Breakdowns {
            by_category: breakdown(
                old,
                new,
                &bd_metrics,
                pairing,
                opts,
                &use_old,
                &use_new,
                "category",
                |r| r.category.clone(),
            ),
            by_language: breakdown(
                old,
                new,
                &bd_metrics,
                pairing,
                opts,
                &use_old,
                &use_new,
                "language",
                |r| r.language.clone(),
            ),
            by_turn: breakdown(
                old,
                new,
                &bd_metrics,
                pairing,
                opts,
                &use_old,
                &use_new,
                "turn",
                |r| r.turn.to_string(),
            ),
        }
    };

    let most_changed = if pairing == Pairing::Paired {
        bd_metrics
            .iter()
            .flat_map(|(m, _)| most_changed(old, new, &m.id, &results, opts.top_changed))
            .collect()
    } else {
        Vec::new()
    };

    let gates = gate::evaluate(&opts.gates, &results).map_err(CompareError::Usage)?;
    let gates_fired = gates.iter().filter(|g| g.fired).count() as u64;
    let count = |v: Verdict| results.iter().filter(|r| r.stats.verdict == v).count() as u64;
    let summary = Summary {
        changed: count(Verdict::Changed),
        unchanged: count(Verdict::Unchanged),
        inconclusive: count(Verdict::Inconclusive),
        dimensions_changed: results
            .iter()
            .filter(|r| r.kind == MetricKind::Dimension && r.stats.verdict == Verdict::Changed)
            .map(|r| r.id.clone())
            .collect(),
        gates_fired,
        exit_code: if gates_fired > 0 { 1 } else { 0 },
    };
    let max_samples = |r: &RunInput| r.scores.replies.iter().map(|x| x.sample).max().unwrap_or(0);
    if max_samples(old) == 0 && max_samples(new) == 0 {
        warnings.push(
            "one sample per probe in both runs: noise between samples could not be measured (use --samples 2 or more)"
                .into(),
        );
    }

    Ok(Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: opts.created_at.clone(),
        old: run_info(old, old_ids.len() as u64),
        new: run_info(new, new_ids.len() as u64),
        identity: identity(&old.manifest, &new.manifest),
        pairing,
        pairing_note,
        settings: Settings {
            alpha: opts.alpha,
            seed: opts.seed,
            resamples: opts.resamples,
            ci_level: opts.ci_level,
            ci_method: "expanded_percentile".into(),
            common_probes: opts.common_probes,
            unpaired_forced: opts.unpaired,
            noise_overrides: opts
                .noise
                .iter()
                .map(|o| (o.name.clone(), o.spec.clone()))
                .collect(),
            correction: "benjamini_hochberg".into(),
        },
        coverage,
        metrics: results,
        breakdowns,
        most_changed,
        gates,
        summary,
        embedding: None,
        embedding_skipped: None,
        warnings,
        topics: None,
    })
}

#[allow(clippy::too_many_arguments)]
fn breakdown(
    old: &RunInput,
    new: &RunInput,
    metrics: &[(&MetricInfo, f64)],
    pairing: Pairing,
    opts: &CompareOptions,
    use_old: &BTreeSet<String>,
    use_new: &BTreeSet<String>,
    kind: &str,
    key: impl Fn(&ReplyScores) -> String,
) -> Vec<GroupResult> {
    let keys: BTreeSet<String> = old
        .scores
        .replies
        .iter()
        .chain(&new.scores.replies)
        .map(&key)
        .collect();
    let mut keys: Vec<String> = keys.into_iter().collect();
    if kind == "turn" {
        keys.sort_by_key(|k| k.parse::<u64>().unwrap_or(u64::MAX));
    }
    let mut out = Vec::new();
    let mut bands = Vec::new();
    for (info, band) in metrics {
        for k in &keys {
            let (ov, mo) = collect_values(
                old.scores.replies.iter().filter(|r| &key(r) == k),
                &info.id,
                use_old,
            );
            let (nv, mn) = collect_values(
                new.scores.replies.iter().filter(|r| &key(r) == k),
                &info.id,
                use_new,
            );
            if ov.is_empty() && nv.is_empty() {
                continue;
            }
            let raw = raw_stats(
                &probe_means(&ov),
                &probe_means(&nv),
                pairing,
                opts,
                &format!("{}/{kind}={k}", info.id),
            );
            let mut st = raw.stats;
            st.missing.old_replies = mo;
            st.missing.new_replies = mn;
            bands.push(*band);
            out.push(GroupResult {
                key: k.clone(),
                metric: info.id.clone(),
                stats: st,
            });
        }
    }
    let mut refs: Vec<&mut Stats> = out.iter_mut().map(|g| &mut g.stats).collect();
    apply_family(&mut refs, &bands, opts.alpha);
    out
}

/// The reply closest to the median of its probe's values on `metric` (ties: lowest sample, turn).
fn typical_reply(run: &RunInput, probe: &str, metric: &str) -> Option<TypicalReply> {
    let rs: Vec<(&ReplyScores, f64)> = run
        .scores
        .replies
        .iter()
        .filter(|r| r.probe_id == probe)
        .filter_map(|r| r.values.get(metric).filter(|v| v.is_finite()).map(|v| (r, *v)))
        .filter(|(r, _)| run.texts.contains_key(&(r.probe_id.clone(), r.sample, r.turn)))
        .collect();
    let vals: Vec<f64> = rs.iter().map(|(_, v)| *v).collect();
    let med = stats::median(&vals)?;
    let (r, v) = rs.iter().min_by(|a, b| {
        (a.1 - med)
            .abs()
            .total_cmp(&(b.1 - med).abs())
            .then((a.0.sample, a.0.turn).cmp(&(b.0.sample, b.0.turn)))
    })?;
    let t = run.texts.get(&(r.probe_id.clone(), r.sample, r.turn))?;
    Some(TypicalReply {
        probe_id: r.probe_id.clone(),
        sample: r.sample,
        turn: r.turn,
        category: r.category.clone(),
        language: r.language.clone(),
        prompt: t.prompt.clone(),
        text: t.content.clone(),
        value: *v,
    })
}

fn most_changed(
    old: &RunInput,
    new: &RunInput,
    metric: &str,
    results: &[MetricResult],
    top: usize,
) -> Vec<ProbeChange> {
    let Some(res) = results.iter().find(|r| r.id == metric) else {
        return Vec::new();
    };
    let mut pts: Vec<(&ProbePoint, f64, f64)> = res
        .probes
        .iter()
        .filter_map(|p| Some((p, p.old?, p.new?)))
        .collect();
    pts.sort_by(|a, b| {
        (b.2 - b.1)
            .abs()
            .total_cmp(&(a.2 - a.1).abs())
            .then(a.0.probe_id.cmp(&b.0.probe_id))
    });
    pts.iter()
        .take(top)
        .enumerate()
        .map(|(i, (p, o, n))| {
            let first = old.scores.replies.iter().find(|r| r.probe_id == p.probe_id);
            ProbeChange {
                metric: metric.to_string(),
                probe_id: p.probe_id.clone(),
                category: first.map(|r| r.category.clone()).unwrap_or_default(),
                language: first.map(|r| r.language.clone()).unwrap_or_default(),
                old_mean: *o,
                new_mean: *n,
                change: n - o,
                rank: i as u32 + 1,
                old_reply: typical_reply(old, &p.probe_id, metric),
                new_reply: typical_reply(new, &p.probe_id, metric),
            }
        })
        .collect()
}
