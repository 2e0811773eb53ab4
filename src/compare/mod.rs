//! Compare two scored runs: paired statistics, honest verdicts, gates. See `docs/comparison.md`.

pub mod model;
pub mod stats;

pub use model::*;
