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

/// The report stage as `compare` and `check` use it: every format from one [`ReportModel`].
pub struct Reports;

impl Reports {
    /// Append `markdown` to the file `$GITHUB_STEP_SUMMARY` names (created when missing).
    pub fn append_step_summary(path: &std::path::Path, markdown: &str) -> anyhow::Result<()> {
        use std::fs::OpenOptions;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                error::usage(format!(
                    "cannot open GITHUB_STEP_SUMMARY file {}: {e}",
                    path.display()
                ))
            })?;
        let mut text = markdown.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        f.write_all(text.as_bytes()).map_err(|e| {
            error::usage(format!(
                "cannot write GITHUB_STEP_SUMMARY file {}: {e}",
                path.display()
            ))
        })
    }
}

impl crate::compare::cmd::Renderer for Reports {
    fn render(
        &self,
        c: &Comparison,
        inputs: &ReportInputs,
        out_dir: &std::path::Path,
        formats: &[Format],
    ) -> anyhow::Result<crate::compare::cmd::Rendered> {
        let model = ReportModel::build(c, inputs)?;
        let formats: Vec<Format> = formats.iter().copied().filter(|f| *f != Format::Json).collect();
        let files = write_reports(&model, out_dir, &formats)?;
        Ok(crate::compare::cmd::Rendered {
            files,
            headline: Some(model.headline),
        })
    }

    fn step_summary(&self, c: &Comparison, inputs: &ReportInputs) -> anyhow::Result<()> {
        let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let model = ReportModel::build(c, inputs)?;
        // A CI summary that cannot be written must not hide the comparison's own outcome.
        if let Err(e) =
            Self::append_step_summary(std::path::Path::new(&path), &super::markdown::render(&model))
        {
            eprintln!("warning: {e:#}");
        }
        Ok(())
    }

    fn open(&self, out_dir: &std::path::Path) {
        let page = out_dir.join("index.html");
        if !page.is_file() {
            eprintln!("warning: --open needs the html format; nothing to open");
            return;
        }
        if let Some(msg) = open_in_browser(&page) {
            eprintln!("warning: {msg}");
        }
    }
}
