//! The scoring stage's output: the contract between `score` and `compare`.
//!
//! A value that is absent from [`ReplyScores::values`] is "not applicable" (e.g. Flesch
//! reading ease for a Chinese reply, recall for a probe without `expect_recall`). Later
//! stages treat absence as missing data, never as zero.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a metric is a raw measurement or one of the named dimensions people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Raw,
    Dimension,
}

/// Describes one metric or dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// Stable id, e.g. `words`, `empathy_per_100w`, `dim.warmth`.
    pub id: String,
    /// Human label, e.g. "Empathy phrases per 100 words".
    pub label: String,
    pub kind: MetricKind,
    /// Group for display: `verbosity`, `structure`, `warmth`, `style`, `sycophancy`,
    /// `persona`, `recall`, `embedding`, ...
    pub group: String,
    /// Unit for display: `words`, `per 100 words`, `share`, `score`, ...
    pub unit: String,
    /// One line for a non-technical reader: what a higher value means.
    pub description: String,
    /// Languages the metric can judge (BCP 47 primary subtags), or `["*"]` for all.
    pub languages: Vec<String>,
    /// Bumped whenever the metric's computation changes; the score cache is keyed by it.
    pub version: u32,
    /// Default noise band half-width for "unchanged" in the metric's own units (compare may
    /// override it with measured noise or configuration).
    pub default_noise: f64,
}

/// Every metric value for one generated reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyScores {
    pub probe_id: String,
    pub sample: u32,
    /// 0-based user-turn index the reply answers.
    pub turn: u32,
    pub category: String,
    pub language: String,
    /// metric id -> value; a missing key means "not applicable".
    pub values: BTreeMap<String, f64>,
}

/// All scores of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunScores {
    pub metrics: Vec<MetricInfo>,
    pub replies: Vec<ReplyScores>,
}
