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
