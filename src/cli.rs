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
    /// Collect one run: send the battery to a model and store the transcripts (resumable).
    Run(Box<RunArgs>),
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

/// `persona-drift run`: every field is optional so `persona-drift.toml` can supply it.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Model SPEC: openai:gpt-4o, anthropic:claude-sonnet-4-5, ollama:llama3.2,
    /// openai-compatible:NAME@http://127.0.0.1:8080/v1 (append ;key_env=VAR to name the key's
    /// environment variable).
    #[arg(long, value_name = "SPEC")]
    pub model: Option<String>,
    /// Name of the run directory under --out (default: a slug of the model name).
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// The probe battery directory (default: ./probes).
    #[arg(long, value_name = "DIR")]
    pub probes: Option<PathBuf>,
    /// Only probes matching this filter, e.g. `category:grief,lang:sv` or `tag:late-night`.
    #[arg(long = "probes-filter", value_name = "FILTER")]
    pub probes_filter: Option<String>,
    /// Conversations per probe (default 5).
    #[arg(long, value_name = "N")]
    pub samples: Option<u32>,
    /// Conversations in flight at once (default 8).
    #[arg(long, value_name = "C")]
    pub concurrency: Option<usize>,
    /// At most this many requests per minute (default: no limit).
    #[arg(long, value_name = "R")]
    pub rpm: Option<u32>,
    /// Sampling temperature (default: the API's).
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Nucleus sampling top_p (default: the API's).
    #[arg(long = "top-p", value_name = "P")]
    pub top_p: Option<f64>,
    /// Maximum tokens per reply (default: the API's; 1024 for Anthropic, which requires one).
    #[arg(long = "max-tokens", value_name = "M")]
    pub max_tokens: Option<u32>,
    /// Base seed: sample i is sent with seed S+i where the API takes a seed.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// A file whose text is sent as a system prompt before each probe's persona prompt.
    #[arg(long = "system-prompt", value_name = "FILE")]
    pub system_prompt: Option<PathBuf>,
    /// Seconds before one request is abandoned and retried (default 120).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Attempts per request, first included, for 429, 5xx, timeouts and dropped connections
    /// (default 6).
    #[arg(long = "max-attempts", value_name = "K")]
    pub max_attempts: Option<u32>,
    /// Parent directory of run directories (default: runs).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Environment variable holding the API key (default: OPENAI_API_KEY for openai,
    /// ANTHROPIC_API_KEY for anthropic, none for ollama and openai-compatible).
    #[arg(long = "api-key-env", value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Override the API base URL (default: the provider's; OPENAI_BASE_URL / ANTHROPIC_BASE_URL
    /// are honoured).
    #[arg(long = "base-url", value_name = "URL")]
    pub base_url: Option<String>,
    /// Fail (exit 3) when fewer than this fraction of conversations finished (default 0.8).
    #[arg(long = "min-finished", value_name = "FRACTION")]
    pub min_finished: Option<f64>,
    /// Project file with a [run] section (default: ./persona-drift.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}
