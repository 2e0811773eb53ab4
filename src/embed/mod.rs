//! Embedding metrics: a real sentence-embedding model (local all-MiniLM-L6-v2 through candle, or any
//! OpenAI-compatible `/v1/embeddings` endpoint), a per-run-dir embedding cache, and the pure statistics
//! built on the vectors: semantic drift against measured run-to-run noise, a two-sample classifier test,
//! an energy-distance test, a warmth direction, and "what changed, in words" (log-odds with an
//! informative Dirichlet prior; pure text, no embeddings).
//!
//! Entry points for the compare and report stages:
//! - [`embedder_from_spec`] / [`EmbedOptions`]: build the [`Embedder`] chosen by `--embedder` /
//!   `--embed-model`.
//! - [`EmbeddingAnalysis::compute`] (or [`EmbeddingAnalysis::compute_runs`], which caches the vectors
//!   in each run directory): everything in one serde-serialisable value.
//! - [`WARMTH_METRIC_ID`]: the per-reply warmth-direction value (`emb.warmth_direction`), in
//!   [`EmbeddingAnalysis::old_warmth`] / [`EmbeddingAnalysis::new_warmth`], aligned with the input.
//!
//! Everything here is deterministic given the seed. Statistics never do I/O.

pub mod analysis;
pub mod anchors;
pub mod cache;
pub mod local;
pub mod remote;
pub mod resolve;
pub mod stats;
pub mod words;

pub use analysis::{EmbeddingAnalysis, ProbeDrift, ReplyText, TwoSampleTest};
pub use anchors::WarmthDirection;
pub use cache::CachedEmbedder;
pub use local::{LocalEmbedder, LocalOptions};
pub use remote::RemoteEmbedder;
pub use resolve::{resolve_model_dir, ResolveOptions};
pub use words::{log_odds, LogOddsTerm, WordShift};

use std::path::PathBuf;

/// Metric id of the per-reply projection on the warmth direction (higher = warmer).
pub const WARMTH_METRIC_ID: &str = "emb.warmth_direction";

/// Something that turns texts into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// A stable id for the model and everything that changes its vectors (used as the cache key),
    /// e.g. `local:all-MiniLM-L6-v2:v1` or `openai:text-embedding-3-small`.
    fn model_id(&self) -> String;
    /// Embeds every text; the result has one L2-normalised vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>>;
}

impl<T: Embedder + ?Sized> Embedder for Box<T> {
    fn model_id(&self) -> String {
        (**self).model_id()
    }
    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        (**self).embed(texts)
    }
}

impl<T: Embedder + ?Sized> Embedder for &T {
    fn model_id(&self) -> String {
        (**self).model_id()
    }
    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        (**self).embed(texts)
    }
}

/// What the compare command's flags say about embeddings (`--embed-model DIR`, `--embedder SPEC`,
/// `--no-embeddings`).
#[derive(Debug, Clone, Default)]
pub struct EmbedOptions {
    /// `--embed-model DIR` (or env `PERSONA_DRIFT_EMBED_MODEL`): a directory with the local model files.
    pub model_dir: Option<PathBuf>,
    /// `--embedder SPEC`: `local` (default), `openai:MODEL`, `ollama:MODEL`,
    /// `openai-compatible:NAME@URL`.
    pub spec: Option<String>,
    /// Worker threads for the local model (default: all cores).
    pub threads: Option<usize>,
}

/// Builds the embedder a spec names. `local` (or no spec) resolves the local model (see
/// [`resolve_model_dir`]); errors carry exit codes (2 for a bad spec or a missing model).
pub fn embedder_from_spec(opts: &EmbedOptions) -> anyhow::Result<Box<dyn Embedder>> {
    let spec = opts.spec.as_deref().unwrap_or("local").trim();
    if spec == "local" || spec.starts_with("local:") {
        let explicit = spec
            .strip_prefix("local:")
            .map(PathBuf::from)
            .or_else(|| opts.model_dir.clone());
        let mut ro = ResolveOptions::from_env();
        if explicit.is_some() {
            ro.explicit = explicit;
        }
        let dir = resolve_model_dir(&ro)?;
        let local = LocalEmbedder::load(
            &dir,
            LocalOptions {
                threads: opts.threads,
                ..LocalOptions::default()
            },
        )?;
        return Ok(Box::new(local));
    }
    Ok(Box::new(RemoteEmbedder::from_spec(spec)?))
}

impl EmbedOptions {
    /// From the compare command's flags; None when `--no-embeddings` is given.
    pub fn from_args(args: &crate::cli::EmbedArgs) -> Option<Self> {
        (!args.no_embeddings).then(|| EmbedOptions {
            model_dir: args.embed_model.clone(),
            spec: args.embedder.clone(),
            threads: args.embed_threads,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        e: crate::cli::EmbedArgs,
    }

    #[test]
    fn flags_map_to_options() {
        let t = T::try_parse_from([
            "x",
            "--embedder",
            "ollama:nomic-embed-text",
            "--embed-threads",
            "1",
        ])
        .unwrap();
        let o = EmbedOptions::from_args(&t.e).unwrap();
        assert_eq!(o.spec.as_deref(), Some("ollama:nomic-embed-text"));
        assert_eq!(o.threads, Some(1));
        let t = T::try_parse_from(["x", "--no-embeddings"]).unwrap();
        assert!(EmbedOptions::from_args(&t.e).is_none());
        assert!(T::try_parse_from(["x", "--no-embeddings", "--embedder", "local"]).is_err());
    }

    #[test]
    fn bad_spec_and_missing_model_dir_are_usage_errors() {
        let e = embedder_from_spec(&EmbedOptions {
            spec: Some("bogus:x".into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        let t = tempfile::tempdir().unwrap();
        let e = embedder_from_spec(&EmbedOptions {
            model_dir: Some(t.path().into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        assert!(format!("{e:#}").contains("model.safetensors"));
    }
}
