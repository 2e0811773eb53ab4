//! Compare two scored runs: paired statistics, honest verdicts, gates. See `docs/comparison.md`.
//!
//! - [`model`]: the serde types of `comparison.json` (the contract with the report stage).
//! - [`stats`]: pure statistics (no I/O; seeded ChaCha8 draws).
//! - [`engine`]: [`build_comparison`], where every verdict is decided, once.
//! - [`gate`]: the `--fail-on` language.
//! - [`load`]: reading and scoring run directories.

pub mod cmd;
pub mod config;
pub mod embedding;
pub mod engine;
pub mod gate;
pub mod load;
pub mod model;
pub mod stats;

pub use engine::{build_comparison, CompareError, CompareOptions, NoiseOverride, ReplyText, RunInput};
pub use model::*;
