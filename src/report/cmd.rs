//! `persona-drift report COMPARISON.json`: re-render every report from a saved comparison, offline.

use super::{open_in_browser, write_reports, Format, ReportInputs, ReportModel};
use crate::cli::ReportArgs;
use crate::compare::model::Comparison;
use crate::error::{self, Exit};
use std::io::Write;
use std::path::PathBuf;

/// Default report directory for a comparison: `reports/<old>-vs-<new>` (labels made path-safe).
pub fn default_out_dir(c: &Comparison) -> PathBuf {
    let safe = |s: &str| -> String {
        let t: String = s
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let t = t.trim_matches('.').to_string();
        if t.is_empty() {
            "run".into()
        } else {
            t
        }
    };
    PathBuf::from("reports").join(format!("{}-vs-{}", safe(&c.old.label), safe(&c.new.label)))
}

/// Read and parse a comparison.json; every failure is a usage error naming the file (and line/column).
pub fn read_comparison(path: &std::path::Path) -> anyhow::Result<Comparison> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error::usage(format!("cannot read comparison file {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        error::usage(format!(
            "{}:{}:{}: not a persona-drift comparison.json: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

pub fn run(args: &ReportArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let formats = Format::parse_list(&args.format)?;
    let c = read_comparison(&args.comparison)?;
    let model = ReportModel::build(&c, &ReportInputs::default())?;
    let dir = args.out.clone().unwrap_or_else(|| default_out_dir(&c));
    let written = write_reports(&model, &dir, &formats)?;
    if !quiet {
        writeln!(out, "{}", model.headline)?;
        for p in &written {
            if !p.components().any(|c| c.as_os_str() == "charts") {
                writeln!(out, "wrote {}", p.display())?;
            }
        }
    }
    if formats.contains(&Format::Csv) && !quiet {
        eprintln!(
            "note: replies.csv has only its header: per-reply text and scores are not part of comparison.json \
             (`compare` writes the full file)"
        );
    }
    if args.open {
        match written.iter().find(|p| p.ends_with("index.html")) {
            Some(p) => {
                if let Some(msg) = open_in_browser(p) {
                    eprintln!("warning: {msg}");
                }
            }
            None => eprintln!("warning: --open needs the html format; nothing to open"),
        }
    }
    Ok(Exit::Success)
}
