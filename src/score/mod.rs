//! Scoring: metrics for every assistant reply in a run. See `docs/metrics.md`.

pub mod model;

pub use model::{MetricInfo, MetricKind, ReplyScores, RunScores};
