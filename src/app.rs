//! Dispatch: turn parsed arguments into work. `main.rs` only maps the result to an exit code.

use crate::cli::{Cli, Command};
use crate::error::Exit;

/// Run a parsed command line. `Ok(exit)` carries non-error outcomes (e.g. drift beyond gates
/// when reports were still written); `Err` is mapped by [`crate::error::exit_code`].
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &cli.command {
        Command::Probes(cmd) => crate::probes_cmd::run(cmd, &mut out)?,
        Command::Demo(args) => {
            return crate::demo::run(args, cli.quiet, &crate::report::cmd::Reports, &mut out)
        }
        Command::Compare(args) => {
            return crate::compare::cmd::run_compare(args, cli.quiet, &crate::report::cmd::Reports, &mut out)
        }
        Command::Check(args) => {
            return crate::compare::cmd::run_check(
                args,
                cli.quiet,
                &crate::collect::cmd::Collect { quiet: cli.quiet },
                &crate::report::cmd::Reports,
                &mut out,
            )
        }
        Command::Report(args) => return crate::report::cmd::run(args, cli.quiet, &mut out),
        Command::Run(args) => return crate::collect::cmd::run(args, cli.quiet, &mut out),
        Command::Import(args) => crate::import::cli::run(args, cli.quiet, &mut out)?,
        Command::Score(a) => crate::score::cmd::run(&a.run, &a.runs_dir, a.all, a.json, &mut out)?,
    }
    Ok(Exit::Success)
}
