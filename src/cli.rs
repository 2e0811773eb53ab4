//! Command-line types (clap derive) only: no logic here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "persona-drift",
    version,
    about = "Measure how a chat model's personality (warmth, verbosity, style) changed between two versions.",
    after_help = "Exit codes: 0 no drift beyond the gates; 1 drift beyond a --fail-on gate; 2 bad usage, \
configuration or input; 3 could not measure (provider failures, too few replies); 130 interrupted."
)]
pub struct Cli {
    /// Print nothing but errors and the final result.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect and lint the probe battery.
    #[command(subcommand)]
    Probes(ProbesCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProbesCommand {
    /// List the probes: id, category, turns, language, and the battery hash.
    List(ProbesArgs),
    /// Print one probe's conversation.
    Show {
        /// The probe id.
        id: String,
        #[command(flatten)]
        args: ProbesArgs,
    },
    /// Check every probe file; every problem is reported with file:line:column (exit 2).
    Validate {
        /// The battery directory (default: ./probes).
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Clone)]
pub struct ProbesArgs {
    /// The battery directory.
    #[arg(long, default_value = "probes")]
    pub probes: PathBuf,
    /// Only probes matching this filter, e.g. `category:grief,lang:sv` or `tag:late-night`.
    #[arg(long = "probes-filter", value_name = "FILTER")]
    pub filter: Option<String>,
}

/// Embedding flags for `compare` (and `check`): flatten into their argument structs.
#[derive(Debug, Args, Clone, Default)]
pub struct EmbedArgs {
    /// Directory with the local embedding model (config.json, tokenizer.json, model.safetensors);
    /// default: the user cache, downloaded from the Hugging Face hub on first use.
    #[arg(long = "embed-model", value_name = "DIR", env = "PERSONA_DRIFT_EMBED_MODEL")]
    pub embed_model: Option<PathBuf>,
    /// Embedding model: `local` (all-MiniLM-L6-v2, default), `openai:MODEL`, `ollama:MODEL` or
    /// `openai-compatible:NAME@http://HOST:PORT/v1`.
    #[arg(long, value_name = "SPEC")]
    pub embedder: Option<String>,
    /// Skip the embedding metrics (semantic drift, classifier test, warmth direction).
    #[arg(long = "no-embeddings", conflicts_with_all = ["embed_model", "embedder"])]
    pub no_embeddings: bool,
    /// Threads for the local embedding model (default: all cores).
    #[arg(long = "embed-threads", value_name = "N")]
    pub embed_threads: Option<usize>,
}
