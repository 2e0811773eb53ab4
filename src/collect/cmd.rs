//! `persona-drift run`.

use super::RunState;
use super::{collect_blocking, RunSummary};
use crate::cli::{CheckArgs, RunArgs};
use crate::config::RunSettings;
use crate::error::Exit;
use crate::progress::{Mode, Progress};
use crate::store::RunDir;
use std::io::Write;

/// Collect (or resume) `run` with the live progress display; map the outcome to the exit-code
/// table ([`RunSummary::into_result`]: fatal errors and too few replies exit 3, Ctrl-C 130).
pub fn collect_with_progress(
    settings: &RunSettings,
    battery: &crate::probes::Battery,
    run: &RunDir,
    quiet: bool,
) -> anyhow::Result<RunSummary> {
    let mode = Mode::detect(quiet);
    // The progress consumer runs on its own small runtime so `collect_blocking` stays the
    // one public entry point.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, handle) = rt.block_on(async { Progress::spawn(mode) });
    let progress_thread = std::thread::spawn(move || rt.block_on(handle));
    let result = collect_blocking(settings, battery, run, Some(tx));
    let _ = progress_thread.join();
    result?.into_result(settings.min_finished)
}

/// Collection as `check` uses it: the settings of `run`, [`run_state`](super::run_state) to reuse
/// a complete run directory, [`collect_with_progress`] otherwise.
pub struct Collect {
    pub quiet: bool,
}

impl Collect {
    fn label(dir: &RunDir) -> String {
        dir.path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

impl crate::compare::cmd::Collector for Collect {
    fn is_complete(&self, dir: &RunDir, spec: &str, args: &CheckArgs) -> anyhow::Result<bool> {
        if !dir.exists() {
            return Ok(false);
        }
        let run_args = args.run_args(spec, &Self::label(dir));
        let file = match &run_args.config {
            Some(p) => crate::config::read_run_section(p)?,
            None if std::path::Path::new(crate::config::CONFIG_FILE).is_file() => {
                crate::config::read_run_section(std::path::Path::new(crate::config::CONFIG_FILE))?
            }
            None => crate::config::RunSection::default(),
        };
        // Deciding whether a stored run is complete sends nothing, so it needs no API key: a
        // cached baseline is reusable on a machine without the old model's key.
        let env = |k: &str| {
            std::env::var(k).ok().or_else(|| {
                let is_key =
                    k != "OPENAI_BASE_URL" && k != "ANTHROPIC_BASE_URL" && !k.starts_with("PERSONA_DRIFT_");
                is_key.then(|| "not-needed-to-read-a-run".to_string())
            })
        };
        let settings = RunSettings::resolve(&run_args, &file, &env)?;
        let battery = crate::probes_cmd::load_for_run(&settings)?;
        Ok(match super::run_state(&settings, &battery, dir)? {
            RunState::Complete => true,
            RunState::Missing => false,
            RunState::Incomplete { finished, expected } => {
                if !self.quiet {
                    eprintln!(
                        "{}: {finished} of {expected} conversations finished; resuming",
                        dir.path.display()
                    );
                }
                false
            }
            RunState::Incompatible(why) => {
                return Err(crate::error::usage(format!(
                    "{} holds a different run than check asks for ({why}); give --old-label/--new-label \
                     for another directory, or remove it",
                    dir.path.display()
                )))
            }
        })
    }

    fn collect(&self, dir: &RunDir, spec: &str, label: &str, args: &CheckArgs) -> anyhow::Result<()> {
        let settings = RunSettings::from_args(&args.run_args(spec, label))?;
        let battery = crate::probes_cmd::load_for_run(&settings)?;
        let summary = collect_with_progress(&settings, &battery, dir, self.quiet)?;
        if !self.quiet {
            eprintln!(
                "{}: {} of {} conversations finished ({} this time), {} failed",
                summary.run_dir.display(),
                summary.finished,
                summary.expected,
                summary.newly_finished,
                summary.failed
            );
        }
        Ok(())
    }
}

pub fn run(args: &RunArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let settings = RunSettings::from_args(args)?;
    let battery = crate::probes_cmd::load_for_run(&settings)?;
    let run = RunDir::new(settings.run_dir());
    let summary = collect_with_progress(&settings, &battery, &run, quiet)?;
    if !quiet && !summary.errors.is_empty() {
        eprintln!(
            "{} conversation(s) failed this time:{}",
            summary.newly_failed,
            summary.error_lines(10)
        );
    }
    let models = if summary.models_reported.is_empty() {
        "none reported".to_string()
    } else {
        summary
            .models_reported
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "{}: {} of {} conversations finished ({} this time, {} already done), {} failed; model reported: {}; battery {}",
        summary.run_dir.display(),
        summary.finished,
        summary.expected,
        summary.newly_finished,
        summary.skipped,
        summary.failed,
        models,
        battery.short_hash()
    )?;
    if summary.failed > 0 {
        writeln!(
            out,
            "rerun the same command to retry the {} failed conversation(s)",
            summary.failed
        )?;
    }
    Ok(Exit::Success)
}
