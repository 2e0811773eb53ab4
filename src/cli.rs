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
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing would churn every match arm
pub enum Command {
    /// The main job on bundled real runs: compare a model before and after a (simulated) provider
    /// update and write the full report to reports/demo/. Offline: no network, no key, no server.
    Demo(DemoArgs),
    /// Collect one run: send the battery to a model and store the transcripts (resumable).
    Run(Box<RunArgs>),
    /// Inspect and lint the probe battery.
    #[command(subcommand)]
    Probes(ProbesCommand),
    /// Score every reply of a run (cached in the run's scores.json) and print a summary.
    Score(ScoreArgs),
    /// Compare two runs (labels in --runs-dir, or paths): paired statistics, verdicts, gates.
    Compare(CompareArgs),
    /// Run the old and the new model (reusing complete run directories), then compare.
    Check(Box<CheckArgs>),
    /// Write the reports (HTML, PNG, Markdown, JSON, CSV, JUnit) again from a saved comparison.json.
    Report(ReportArgs),
    /// Turn transcripts made elsewhere (CSV, JSONL, a ChatGPT data export, promptfoo results)
    /// into run directories that score, compare and report like any other. Runs entirely on
    /// this machine: the importer has no network code and sends nothing anywhere.
    #[command(after_help = IMPORT_HELP)]
    Import(Box<ImportArgs>),
}

const IMPORT_HELP: &str = "\
Examples:
  # A ChatGPT data export: one run per model (runs/gpt-4o, runs/gpt-5, ...)
  persona-drift import ~/Downloads/chatgpt-export.zip
  # The same history split at a date into runs/before and runs/after
  persona-drift import conversations.json --split-by date --before 2025-08-07
  # Several models' answers to the same questions, paired by the id column
  persona-drift import answers.csv --prompt-field query --response-field answer
  # promptfoo results: one run per provider, paired by test
  persona-drift import results.json

--format is inferred when omitted: .zip -> chatgpt, .csv/.tsv -> csv, .jsonl/.ndjson -> jsonl, \
otherwise from the content (an array of conversations with \"mapping\" -> chatgpt, an object with \
\"results\" -> promptfoo, one object per line -> jsonl). An explicit --format always wins.

Privacy: everything stays on this machine. The import reads the file and writes run directories \
under --out; nothing from it is ever sent anywhere. See docs/import.md.";

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
    /// Embedding metrics (semantic drift, classifier and energy tests, warmth direction).
    #[command(flatten)]
    pub embed: EmbedArgs,
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
    /// The run flags, with the same names and defaults as `run` (--probes, --probes-filter,
    /// --samples, --concurrency, --rpm, --temperature, --top-p, --max-tokens, --system-prompt,
    /// --persona, --timeout, --max-attempts, --api-key-env, --min-finished); `run`'s `--seed` is
    /// `--run-seed` here because `--seed` seeds the statistics.
    #[command(flatten)]
    pub run: CheckRunFlags,
    /// Collect the new run again even if a complete one exists.
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub flags: CompareFlags,
}
/// The `run` flags `check` passes on to collection of both models (see [`RunArgs`]).
#[derive(Debug, Args, Clone, Default)]
pub struct CheckRunFlags {
    #[command(flatten)]
    pub collect: CollectFlags,
    /// Sampling seed sent to the API where supported (`run --seed`; the statistics seed is --seed).
    #[arg(long = "run-seed", value_name = "S")]
    pub run_seed: Option<u64>,
}

/// What and how to collect: the flags `run` and `check` share, with the same names and meaning.
/// Every field is optional so `persona-drift.toml` can supply it.
#[derive(Debug, Args, Clone, Default)]
pub struct CollectFlags {
    /// The probe battery directory (default: ./probes).
    #[arg(long, value_name = "DIR")]
    pub probes: Option<PathBuf>,
    /// Only probes matching this filter, e.g. `category:grief,lang:sv` or `tag:late-night`.
    #[arg(long = "probes-filter", value_name = "FILTER")]
    pub probes_filter: Option<String>,
    /// Conversations per probe (default 5; 2 or more let compare measure noise).
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
    /// A file whose text is sent as a system prompt before each probe's persona prompt.
    #[arg(long = "system-prompt", value_name = "FILE")]
    pub system_prompt: Option<PathBuf>,
    /// A character card (TOML: name, system, [[examples]] with user and assistant) given as the
    /// persona of every probe that has none of its own, e.g. your companion's card.
    #[arg(long, value_name = "FILE")]
    pub persona: Option<PathBuf>,
    /// Seconds before one request is abandoned and retried (default 120).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Attempts per request, first included, for 429, 5xx, timeouts and dropped connections
    /// (default 6).
    #[arg(long = "max-attempts", value_name = "K")]
    pub max_attempts: Option<u32>,
    /// Environment variable holding the API key (default: OPENAI_API_KEY for openai,
    /// ANTHROPIC_API_KEY for anthropic, none for ollama and openai-compatible; a spec's
    /// `;key_env=VAR` wins).
    #[arg(long = "api-key-env", value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Fail (exit 3) when fewer than this fraction of conversations finished (default 0.8).
    #[arg(long = "min-finished", value_name = "FRACTION")]
    pub min_finished: Option<f64>,
}

impl CheckArgs {
    /// The `run` arguments that collect `spec` into `<runs-dir>/<label>`.
    pub fn run_args(&self, spec: &str, label: &str) -> RunArgs {
        let r = &self.run;
        RunArgs {
            model: Some(spec.to_string()),
            label: Some(label.to_string()),
            collect: r.collect.clone(),
            seed: r.run_seed,
            out: Some(self.runs_dir.clone()),
            base_url: None,
            config: self.flags.config.clone(),
        }
    }
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
    #[command(flatten)]
    pub collect: CollectFlags,
    /// Base seed: sample i is sent with seed S+i where the API takes a seed.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Parent directory of run directories (default: runs).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the API base URL (default: the provider's; OPENAI_BASE_URL / ANTHROPIC_BASE_URL
    /// are honoured).
    #[arg(long = "base-url", value_name = "URL")]
    pub base_url: Option<String>,
    /// Project file with a [run] section (default: ./persona-drift.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// The file to import: a .csv/.tsv, a .jsonl, a ChatGPT export (.zip or conversations.json),
    /// or promptfoo results (.json).
    pub file: PathBuf,
    /// csv, jsonl, chatgpt or promptfoo (default: inferred from the file name and content).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Parent directory of the run directories to write.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// Run label; with a split it prefixes each part (LABEL-gpt-4o). Default: the split value
    /// (e.g. the model, slugified), or the file name when the input is not split.
    #[arg(long)]
    pub label: Option<String>,
    /// Split into runs by `model`, `date` (needs --before/--after), both (`model,date`), or
    /// `none`. Default: by model when the input names models (promptfoo: by provider).
    #[arg(long = "split-by", value_name = "WHAT", value_delimiter = ',')]
    pub split_by: Vec<String>,
    /// Keep replies before DATE (YYYY-MM-DD or RFC 3339, UTC); with --split-by date, the date
    /// that separates the `before` and `after` runs.
    #[arg(long, value_name = "DATE")]
    pub before: Option<String>,
    /// Keep replies on or after DATE; with --split-by date and --before, replies between the two
    /// dates are left out (a rollout period).
    #[arg(long, value_name = "DATE")]
    pub after: Option<String>,
    /// CSV/JSONL: the prompt (user message) field [default: prompt, or question, query, input, ...].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub prompt_field: Option<String>,
    /// The response (assistant reply) field [default: response, or answer, output, completion, ...].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub response_field: Option<String>,
    /// The model field; splits the file into one run per model [default: model].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub model_field: Option<String>,
    /// The conversation/question id: the probe id, so runs pair by it; rows sharing it form one
    /// multi-turn conversation [default: id, conversation_id, question_id, ...].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub conversation_field: Option<String>,
    /// The turn number that orders rows within a conversation [default: turn].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub turn_field: Option<String>,
    /// The reply time (RFC 3339, YYYY-MM-DD HH:MM:SS, or Unix seconds) [default: timestamp].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub timestamp_field: Option<String>,
    /// The sample index (several answers to one question by one model) [default: sample].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub sample_field: Option<String>,
    /// A category to keep instead of the keyword topic [default: category, topic].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub category_field: Option<String>,
    /// A system prompt field [default: system, system_prompt].
    #[arg(long, value_name = "NAME", help_heading = "Field mapping (csv, jsonl)")]
    pub system_field: Option<String>,
    /// CSV delimiter (one character; `\t` for tab) [default: tab for .tsv, else sniffed].
    #[arg(long, value_name = "CHAR", help_heading = "Field mapping (csv, jsonl)")]
    pub delimiter: Option<String>,
    /// Language of every record (BCP 47, e.g. en, sv) instead of guessing it per conversation.
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Replace existing run directories with the same labels.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ScoreArgs {
    /// The run: a path to a run directory, or a label under --runs-dir.
    pub run: String,
    /// Where run labels are looked up.
    #[arg(long, default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Show every metric, not only the dimensions and key metrics.
    #[arg(long)]
    pub all: bool,
    /// Print all scores as JSON (the `RunScores` schema) instead of the table.
    #[arg(long)]
    pub json: bool,
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
    // Not in conflict with `--embed-model`: that may come from PERSONA_DRIFT_EMBED_MODEL, and
    // `--no-embeddings` wins.
    #[arg(long = "no-embeddings", conflicts_with = "embedder")]
    pub no_embeddings: bool,
    /// Threads for the local embedding model (default: all cores).
    #[arg(long = "embed-threads", value_name = "N")]
    pub embed_threads: Option<usize>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DemoArgs {
    /// Where to write the report (and the bundled runs, under runs/) [default: reports/demo].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output formats, comma-separated: html,png,md,json,csv,junit [default: all].
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Vec<String>,
    /// Open the HTML report when done.
    #[arg(long)]
    pub open: bool,
    /// Seed of every random draw (bootstrap, permutations).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Skip the embedding metrics (used for the committed example report, which must render the
    /// same on every machine).
    #[arg(long = "no-embeddings")]
    pub no_embeddings: bool,
}
