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
    /// Collect one run: send the battery to a model and store the transcripts (resumable).
    Run(Box<RunArgs>),
    /// Inspect and lint the probe battery.
    #[command(subcommand)]
    Probes(ProbesCommand),
    /// Compare two runs (labels in --runs-dir, or paths): paired statistics, verdicts, gates.
    Compare(CompareArgs),
    /// Run the old and the new model (reusing complete run directories), then compare.
    Check(CheckArgs),
    /// Write the reports (HTML, PNG, Markdown, JSON, CSV, JUnit) again from a saved comparison.json.
    Report(ReportArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// A comparison.json written by `compare`.
    pub comparison: PathBuf,
    /// Output directory (default: reports/<old>-vs-<new>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Formats to write: a comma-separated list of html, png, md, json, csv, junit (or all).
    #[arg(long, default_value = "html,png,md,json,csv,junit")]
    pub format: String,
    /// Open the HTML report in the default browser afterwards.
    #[arg(long)]
    pub open: bool,
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

/// Flags shared by `compare` and `check`: how to compare and when to fail.
#[derive(Debug, Args, Clone, Default)]
pub struct CompareFlags {
    /// Where to write comparison.json and reports (default: reports/<old>-vs-<new>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output formats, comma-separated: html,png,md,json,csv,junit (json is always written).
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Vec<String>,
    /// Open the HTML report when done.
    #[arg(long)]
    pub open: bool,
    /// Fail (exit 1) when a rule holds for a change whose verdict is `changed`, e.g.
    /// `warmth < -10%`, `verbosity changed`, `any dimension changed`, `recall < -0.1`. Repeatable.
    #[arg(long = "fail-on", value_name = "RULE")]
    pub fail_on: Vec<String>,
    /// Significance level for the Benjamini-Hochberg q-values [default: 0.05, or the config].
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Noise band half-width for a metric: METRIC=VALUE or METRIC=PCT% of the old mean. Repeatable.
    #[arg(long, value_name = "METRIC=VALUE")]
    pub noise: Vec<String>,
    /// Seed of every random draw (bootstrap, permutations) [default: 20240917, or the config].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Bootstrap resamples (and permutations) [default: 10000, or the config].
    #[arg(long)]
    pub resamples: Option<u32>,
    /// Compare only the probes both runs share (needed when their batteries differ).
    #[arg(long)]
    pub common_probes: bool,
    /// Compare probe means as two independent samples (no pairing by probe id).
    #[arg(long)]
    pub unpaired: bool,
    /// Most-changed probes listed per dimension.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub top: usize,
    /// Project file with a [compare] section (fail_on, alpha, noise, seed, resamples)
    /// [default: ./persona-drift.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The baseline run: a label in --runs-dir or a path to a run directory.
    pub old: String,
    /// The candidate run: a label in --runs-dir or a path to a run directory.
    pub new: String,
    /// Directory holding labelled runs.
    #[arg(long, default_value = "runs", value_name = "DIR")]
    pub runs_dir: PathBuf,
    #[command(flatten)]
    pub flags: CompareFlags,
}

/// `check`: collect both runs (or reuse complete ones), then compare.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// The baseline model, e.g. `openai:gpt-4o-2024-08-06`.
    #[arg(long, value_name = "SPEC")]
    pub old: String,
    /// The candidate model, e.g. `openai:gpt-4o`.
    #[arg(long, value_name = "SPEC")]
    pub new: String,
    /// Label of the baseline run directory [default: derived from the spec].
    #[arg(long, value_name = "NAME")]
    pub old_label: Option<String>,
    /// Label of the candidate run directory [default: derived from the spec].
    #[arg(long, value_name = "NAME")]
    pub new_label: Option<String>,
    /// Directory holding run directories (a cached baseline lives here).
    #[arg(long = "runs-dir", default_value = "runs", value_name = "DIR")]
    pub runs_dir: PathBuf,
    /// The battery directory.
    #[arg(long, default_value = "probes")]
    pub probes: PathBuf,
    /// Only probes matching this filter.
    #[arg(long = "probes-filter", value_name = "FILTER")]
    pub probes_filter: Option<String>,
    /// Samples per probe (2+ lets compare measure noise).
    #[arg(long, default_value_t = 3)]
    pub samples: u32,
    /// Conversations in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Requests per minute limit.
    #[arg(long)]
    pub rpm: Option<u32>,
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long = "max-tokens")]
    pub max_tokens: Option<u32>,
    /// Sampling seed sent to the API where supported (the statistics seed is --seed).
    #[arg(long = "run-seed")]
    pub run_seed: Option<u64>,
    /// Extra system prompt placed before each probe's persona.
    #[arg(long = "system-prompt", value_name = "FILE")]
    pub system_prompt: Option<PathBuf>,
    /// Collect the new run again even if a complete one exists.
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub flags: CompareFlags,
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
