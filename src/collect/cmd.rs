//! `persona-drift run`.

use super::{collect_blocking, RunSummary};
use crate::cli::RunArgs;
use crate::config::RunSettings;
use crate::error::Exit;
use crate::progress::{Mode, Progress};
use crate::store::RunDir;
use std::io::Write;

pub fn run(args: &RunArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let settings = RunSettings::from_args(args)?;
    let battery = crate::probes_cmd::load_filtered(&settings.probes, settings.probes_filter.as_deref())?;
    let run = RunDir::new(settings.run_dir());
    let mode = Mode::detect(quiet);
    // The progress consumer runs on its own small runtime so `collect_blocking` stays the
    // one public entry point.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, handle) = rt.block_on(async { Progress::spawn(mode) });
    let progress_thread = std::thread::spawn(move || rt.block_on(handle));
    let result = collect_blocking(&settings, &battery, &run, Some(tx));
    let _ = progress_thread.join();
    let summary: RunSummary = result?.into_result(settings.min_finished)?;
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
