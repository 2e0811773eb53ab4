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
    /// Score every reply of a run (cached in the run's scores.json) and print a summary.
    Score(ScoreArgs),
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
