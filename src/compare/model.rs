//! The comparison: everything `compare` decided, as plain serde data.
//!
//! This is the contract between the compare stage and the report stage (and the schema of
//! `comparison.json`, documented in `docs/comparison.md`). Verdicts are decided ONCE, in
//! `crate::compare`, and only rendered elsewhere.
//!
//! Compatibility rule: fields are only ever ADDED (with `#[serde(default)]`), never renamed
//! or removed; a breaking change bumps [`COMPARISON_SCHEMA_VERSION`].

use crate::score::MetricKind;
use crate::store::{Counts, Sampling};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `comparison.json` schema written by this build.
pub const COMPARISON_SCHEMA_VERSION: u32 = 1;

/// The whole comparison of an OLD run against a NEW run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema_version: u32,
    /// persona-drift version that computed this comparison.
    pub tool_version: String,
    /// When the comparison was computed (RFC 3339 UTC).
    pub created_at: String,
    /// The baseline run.
    pub old: RunInfo,
    /// The candidate run.
    pub new: RunInfo,
    /// Which model answered on each side, and whether a silent update is suspected.
    pub identity: ModelIdentity,
    /// Paired (by probe id) or unpaired statistics.
    pub pairing: Pairing,
    /// Plain-language reason for the pairing mode.
    pub pairing_note: String,
    /// The settings every number below was computed with (seed included: rerunning with the
    /// same settings reproduces every number).
    pub settings: Settings,
    /// Which probes took part.
    pub coverage: Coverage,
    /// One result per metric and dimension compared, dimensions first, then raw metrics by id.
    pub metrics: Vec<MetricResult>,
    /// The same statistics restricted to a category, a language or a turn index.
    pub breakdowns: Breakdowns,
    /// The probes whose score changed most, per dimension, with one typical reply per side.
    pub most_changed: Vec<ProbeChange>,
    /// `--fail-on` gates and whether each fired.
    pub gates: Vec<GateResult>,
    /// Counts for a headline.
    pub summary: Summary,
    /// Embedding drift (cross-version vs within-version distance); filled by the embedding
    /// stage when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<EmbeddingComparison>,
    /// Why `embedding` is absent (`--no-embeddings`, or the local model was not available and how
    /// to get it); None when embeddings were computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_skipped: Option<String>,
    /// Human-readable warnings (missing data, torn transcripts, few samples, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The topic mix of each side, for unpaired comparisons (topics may differ between the
    /// sides, e.g. a personal history before and after an update). Absent when paired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<TopicMixes>,
}

/// The topic mix of each side of an unpaired comparison (keyword topics, one per conversation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMixes {
    pub old: crate::import::TopicMix,
    pub new: crate::import::TopicMix,
}

/// Reproducibility box: what one run was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub label: String,
    /// The run directory as given/resolved.
    pub path: String,
    /// `run` or `import:<format>`.
    pub origin: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub model_requested: String,
    /// Reported model ids with reply counts.
    #[serde(default)]
    pub models_reported: BTreeMap<String, u64>,
    /// Reported system fingerprints with reply counts.
    #[serde(default)]
    pub system_fingerprints: BTreeMap<String, u64>,
    pub sampling: Sampling,
    /// Samples per probe the run asked for.
    pub samples: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// The `--persona` character card's name, when the run used one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona_card: Option<String>,
    /// The tool version that collected the run.
    pub tool_version: String,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Counts from the manifest.
    pub counts: Counts,
    /// Finished conversations used (last record per (probe, sample)).
    pub conversations_used: u64,
    /// Failed conversations skipped.
    pub conversations_failed: u64,
    /// Scored replies used.
    pub replies_used: u64,
    /// Distinct probes with at least one scored reply.
    pub probes: u64,
}

/// Whether the same model answered on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelIdentity {
    pub old_requested: String,
    pub new_requested: String,
    #[serde(default)]
    pub old_reported: BTreeMap<String, u64>,
    #[serde(default)]
    pub new_reported: BTreeMap<String, u64>,
    #[serde(default)]
    pub old_fingerprints: BTreeMap<String, u64>,
    #[serde(default)]
    pub new_fingerprints: BTreeMap<String, u64>,
    pub status: IdentityStatus,
    /// True when a renderer should show `message` prominently (a silent update).
    pub prominent: bool,
    /// One sentence for the reader.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// Same requested name, but the reported model ids or system fingerprints differ:
    /// a silent update behind one alias.
    SameNameDifferentModel,
    /// Same requested name and the reported ids (and fingerprints, where given) match.
    SameNameSameModel,
    /// Same requested name; the API reported nothing to check against.
    SameNameUnverified,
    /// Different requested models (the usual before/after comparison).
    DifferentModels,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Per-probe differences (the runs share probe ids).
    Paired,
    /// Two independent samples of probe means (too few shared probes, or `--unpaired`).
    Unpaired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Significance level for q-values.
    pub alpha: f64,
    /// Seed of every random draw (bootstrap, permutation); printed in the summary.
    pub seed: u64,
    /// Bootstrap resamples (and permutations for unpaired tests).
    pub resamples: u32,
    /// Confidence level of the intervals (0.95).
    pub ci_level: f64,
    /// `expanded_percentile` (Hesterberg's small-sample expansion of the percentile interval),
    /// `percentile` or `bca`.
    pub ci_method: String,
    /// `--common-probes` was given.
    pub common_probes: bool,
    /// `--unpaired` was given.
    pub unpaired_forced: bool,
    /// Noise-band overrides as given (`metric -> spec`, e.g. `dim.warmth -> 0.05` or `5%`).
    #[serde(default)]
    pub noise_overrides: BTreeMap<String, String>,
    /// Multiple-comparison correction: `benjamini_hochberg`.
    pub correction: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub old_probes: u64,
    pub new_probes: u64,
    /// Probe ids present (with scored replies) in both runs.
    pub common_probes: u64,
    /// Probe ids only in the old run (excluded when paired).
    #[serde(default)]
    pub only_old: Vec<String>,
    /// Probe ids only in the new run (excluded when paired).
    #[serde(default)]
    pub only_new: Vec<String>,
}

/// A closed interval `[low, high]` at `level` confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub level: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// q < alpha AND the CI lies entirely outside the noise band.
    Changed,
    /// The CI lies entirely inside the noise band.
    Unchanged,
    /// Neither (including too little data).
    Inconclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    /// Point estimate exactly zero or not computable.
    Flat,
}

/// Which test produced `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Wilcoxon signed-rank, exact null distribution (n <= 50, no ties, no zeros).
    WilcoxonExact,
    /// Wilcoxon signed-rank, normal approximation with Pratt zero handling and tie correction.
    WilcoxonNormal,
    /// Mann-Whitney U, exact (both n <= 8, no ties).
    MannWhitneyExact,
    /// Mann-Whitney U, normal approximation with tie and continuity correction.
    MannWhitneyNormal,
    /// Not computed (too few observations).
    None,
}

/// Where a noise band came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseSource {
    /// `MetricInfo::default_noise` from the scorer.
    Default,
    /// `persona-drift.toml` `[compare] noise`.
    Config,
    /// `--noise METRIC=VALUE`.
    Flag,
}

/// The band of changes too small to matter: `[-half_width, +half_width]` in the metric's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseBand {
    pub half_width: f64,
    pub source: NoiseSource,
    /// The spec as given when overridden (e.g. `5%` of the old mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// Split-half noise of one run: how much the metric moves between samples of the same model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideNoise {
    /// Estimated SD of one sample's value around its probe's mean (within-probe SD).
    pub sample_sd: f64,
    /// Probes with 2+ samples that entered the estimate.
    pub n_probes: u64,
    /// Mean samples per probe in this run.
    pub samples_per_probe: f64,
}

/// Measured noise and the smallest change this comparison could detect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredNoise {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<SideNoise>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<SideNoise>,
    /// Expected SD of the overall mean change between two runs of the SAME model from sampling
    /// alone: sqrt((sd_old^2/k_old + sd_new^2/k_new) / n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chance_change_sd: Option<f64>,
    /// (z_{1-alpha/2} + z_{0.8}) * chance_change_sd: the smallest mean change detectable with
    /// 80% power if sampling were the only noise (a floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdc_sampling: Option<f64>,
}

/// Missing data ("not applicable" values are excluded, never zero).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    /// Replies in the old run without a value for this metric.
    pub old_replies: u64,
    pub new_replies: u64,
    /// Probes with a value on one side only (excluded from the paired analysis).
    pub unpaired_probes: u64,
}

/// One probe's means (for distribution charts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbePoint {
    pub probe_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<f64>,
}

/// The statistics of one metric or dimension (overall, or within a breakdown group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Mean over probes of the per-probe mean (over samples) in the old run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_mean: Option<f64>,
    /// SD over probes of the per-probe means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_sd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_sd: Option<f64>,
    /// new - old (paired: mean of per-probe differences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_change: Option<f64>,
    /// abs_change / |old_mean|; absent when old_mean is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_change: Option<f64>,
    /// Bootstrap CI of abs_change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    /// Bootstrap CI of rel_change (of mean(new) / mean(old) - 1), for metrics that cannot be
    /// negative; it never reaches below -100 %. Absent for other metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_ci: Option<Interval>,
    /// Two-sided p-value of `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Benjamini-Hochberg q-value within this result's family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<f64>,
    pub test: TestKind,
    /// Permutation-test p on the difference in means (unpaired only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_permutation: Option<f64>,
    /// Cohen's d_z = mean(diff) / sd(diff) (paired only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d_z: Option<f64>,
    /// Cohen's d with pooled SD (unpaired only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<f64>,
    /// Cliff's delta of new probe means vs old probe means, in [-1, 1] (positive: new higher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cliffs_delta: Option<f64>,
    /// Probes entering a paired analysis (0 when unpaired).
    pub n_pairs: u64,
    /// Probes with a value, per side.
    pub n_old: u64,
    pub n_new: u64,
    pub missing: Missing,
    pub verdict: Verdict,
    pub direction: Direction,
    /// Why this verdict, in one line.
    pub reason: String,
}

/// Result for one metric or dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    pub id: String,
    pub label: String,
    pub kind: MetricKind,
    pub group: String,
    pub unit: String,
    pub description: String,
    pub noise: NoiseBand,
    pub measured_noise: MeasuredNoise,
    /// (z_{1-alpha/2} + z_{0.8}) * sd(diff) / sqrt(n): the smallest change this comparison
    /// would detect with 80% power given the observed spread of per-probe differences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdc: Option<f64>,
    #[serde(flatten)]
    pub stats: Stats,
    /// Per-probe means (for charts).
    #[serde(default)]
    pub probes: Vec<ProbePoint>,
}

/// One group of a breakdown (a category, a language, or a turn index) for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    /// Category name, language tag, or turn index (0-based) as a string.
    pub key: String,
    pub metric: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// Breakdowns of the dimensions. q-values in each breakdown form their own BH family
/// (exploratory: the overall verdicts and gates use the overall family only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdowns {
    pub by_category: Vec<GroupResult>,
    pub by_language: Vec<GroupResult>,
    /// Per 0-based turn index: did the model cool down over a conversation?
    pub by_turn: Vec<GroupResult>,
}

/// A reply chosen as typical of its probe on one side (closest to the probe's median).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypicalReply {
    pub probe_id: String,
    pub sample: u32,
    /// 0-based user turn.
    pub turn: u32,
    pub category: String,
    pub language: String,
    /// The user message it answers.
    pub prompt: String,
    /// The reply text.
    pub text: String,
    /// The metric's value for this reply.
    pub value: f64,
}

/// One of the probes that changed most on one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeChange {
    pub metric: String,
    pub probe_id: String,
    pub category: String,
    pub language: String,
    pub old_mean: f64,
    pub new_mean: f64,
    pub change: f64,
    /// Rank within this metric (1 = largest |change|).
    pub rank: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_reply: Option<TypicalReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_reply: Option<TypicalReply>,
}

/// Where a gate rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateSource {
    Flag,
    Config,
}

/// One `--fail-on` rule and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The rule as written.
    pub rule: String,
    pub source: GateSource,
    /// Metric ids the rule applies to.
    pub metrics: Vec<String>,
    pub fired: bool,
    /// Metric ids that made it fire.
    #[serde(default)]
    pub fired_by: Vec<String>,
    /// One line for the reader.
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub changed: u64,
    pub unchanged: u64,
    pub inconclusive: u64,
    /// Dimensions (kind = dimension) with verdict changed.
    pub dimensions_changed: Vec<String>,
    pub gates_fired: u64,
    /// The exit code `compare` returns for this comparison (0, or 1 when a gate fired).
    pub exit_code: i32,
}

/// Embedding drift: placeholder shape for the embedding stage (fields may be added).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingComparison {
    /// Embedding model used.
    #[serde(default)]
    pub model: String,
    /// Mean distance between old and new replies to the same probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_version_distance: Option<f64>,
    /// Mean distance between samples of the same probe within the old / new run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_old_distance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_new_distance: Option<f64>,
    /// cross / mean(within): 1 = no more different than chance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Anything else the embedding stage reports.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// The embedder's full model id (model, window settings, pipeline version) and vector size.
    #[serde(default)]
    pub model_id: String,
    #[serde(default)]
    pub dimensions: usize,
    /// Semantic drift per probe (sorted by probe id), with BH q-values across probes and a verdict.
    #[serde(default)]
    pub probes: Vec<ProbeSemanticDrift>,
    /// Probes without a drift value, and why (e.g. fewer than 2 samples on a side).
    #[serde(default)]
    pub skipped_probes: Vec<crate::embed::analysis::SkippedProbe>,
    /// Median drift ratio over the probes that have one (also in `ratio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_drift_ratio: Option<f64>,
    /// Half-width of the noise band around a drift ratio of 1 used by the verdicts.
    #[serde(default)]
    pub ratio_band: f64,
    /// Cross-validated ROC AUC of a nearest-centroid classifier telling new replies from old, with
    /// its permutation p-value (0.5 = indistinguishable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier_auc: Option<crate::embed::TwoSampleTest>,
    /// Energy distance between old and new replies (within probe and turn) with its permutation p.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_distance: Option<crate::embed::TwoSampleTest>,
    /// Simes combination of the classifier and energy p-values: the overall evidence of a difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_p: Option<f64>,
    /// The rule that decided `verdict`, with the numbers, in one sentence.
    #[serde(default)]
    pub verdict_reason: String,
    /// Mean projection on the warmth direction per side (the per-reply metric is
    /// `emb.warmth_direction` in `metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmth: Option<crate::embed::analysis::WarmthSummary>,
    /// Words and two-word phrases over-represented in new vs old replies and vice versa.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<crate::embed::WordShift>,
    /// Seed of the permutations and folds.
    #[serde(default)]
    pub seed: u64,
}

/// Semantic drift of one probe in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSemanticDrift {
    pub probe_id: String,
    #[serde(default)]
    pub category: String,
    pub old_samples: usize,
    pub new_samples: usize,
    /// Mean cosine distance old vs new replies (same turn).
    pub cross_distance: f64,
    pub within_old: f64,
    pub within_new: f64,
    /// (within_old + within_new) / 2: the model's own run-to-run distance.
    pub noise_floor: f64,
    /// cross_distance / noise_floor; None when the floor is 0.
    pub drift_ratio: Option<f64>,
    /// One-sided permutation p-value and its Benjamini-Hochberg q-value across probes.
    pub p_value: f64,
    pub q_value: f64,
    pub permutations: usize,
    pub exact: bool,
    pub verdict: Verdict,
}
