//! Reports: one view model ([`ReportModel`]), one renderer per format (each a pure function from the
//! model to bytes, like hyperfine's exporters), and [`write_reports`] to put them in a directory.

pub mod card;
pub mod charts;
pub mod cmd;
pub mod csv;
pub mod escape;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;

pub use model::{
    reply_rows, EmbeddingInput, KeyTermInput, KeywordsInput, ProbeDriftInput, ReplyRow, ReportInputs,
    ReportModel,
};

use anyhow::Context;
use std::path::{Path, PathBuf};

/// An output format (`--format html,png,md,json,csv,junit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `index.html`: self-contained page.
    Html,
    /// `card.png` and `charts/*.png` + `charts/*.svg`.
    Png,
    /// `summary.md`.
    Md,
    /// `comparison.json`.
    Json,
    /// `replies.csv`.
    Csv,
    /// `junit.xml`.
    Junit,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Html,
        Format::Png,
        Format::Md,
        Format::Json,
        Format::Csv,
        Format::Junit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Png => "png",
            Format::Md => "md",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Junit => "junit",
        }
    }

    /// Parse a comma-separated list (`html,png,md`, or `all`). Unknown items are a usage error (exit 2)
    /// naming the item. Duplicates are ignored; order is the canonical order.
    pub fn parse_list(s: &str) -> anyhow::Result<Vec<Format>> {
        let mut out = Vec::new();
        for raw in s.split(',') {
            let item = raw.trim().to_ascii_lowercase();
            let f: &[Format] = match item.as_str() {
                "html" => &[Format::Html],
                "png" | "card" => &[Format::Png],
                "md" | "markdown" => &[Format::Md],
                "json" => &[Format::Json],
                "csv" => &[Format::Csv],
                "junit" | "xml" => &[Format::Junit],
                "all" => &Format::ALL,
                "" => {
                    return Err(crate::error::usage(format!(
                        "--format {s:?}: empty item; expected a comma-separated list of html, png, md, json, csv, junit (or all)"
                    )))
                }
                _ => {
                    return Err(crate::error::usage(format!(
                        "--format {s:?}: unknown format {:?}; expected a comma-separated list of html, png, md, json, csv, junit (or all)",
                        raw.trim()
                    )))
                }
            };
            out.extend_from_slice(f);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// Write `bytes` to `path` atomically (temp file + rename), so a crash never leaves half a report.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Render the requested formats into `out` and return the paths written (in a stable order).
pub fn write_reports(model: &ReportModel, out: &Path, formats: &[Format]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create report directory {}", out.display()))
        .map_err(|e| crate::error::usage(format!("{e:#}")))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let p = out.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    let needs_charts = formats.contains(&Format::Html) || formats.contains(&Format::Png);
    let charts = if needs_charts {
        charts::render_all(model)?
    } else {
        Vec::new()
    };
    for f in formats {
        match f {
            Format::Html => put("index.html", html::render(model, &charts).as_bytes())?,
            Format::Png => {
                put("card.png", &card::render_png(model)?)?;
                for c in &charts {
                    put(&format!("charts/{}.svg", c.id), c.svg.as_bytes())?;
                    put(&format!("charts/{}.png", c.id), &charts::svg_to_png(&c.svg, 2.0)?)?;
                }
            }
            Format::Md => put("summary.md", markdown::render(model).as_bytes())?,
            Format::Json => put("comparison.json", model.comparison_json.as_bytes())?,
            Format::Csv => put("replies.csv", csv::render(model).as_bytes())?,
            Format::Junit => put("junit.xml", junit::render(model).as_bytes())?,
        }
    }
    Ok(written)
}

/// Open a file with the desktop's default application (`--open`). Never fails the run: returns a
/// message to print when it could not.
pub fn open_in_browser(path: &Path) -> Option<String> {
    let (cmd, args): (&str, Vec<&std::ffi::OsStr>) = if cfg!(target_os = "macos") {
        ("open", vec![path.as_os_str()])
    } else if cfg!(windows) {
        (
            "cmd",
            vec!["/C".as_ref(), "start".as_ref(), "".as_ref(), path.as_os_str()],
        )
    } else {
        ("xdg-open", vec![path.as_os_str()])
    };
    match std::process::Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => None,
        Err(e) => Some(format!(
            "could not open {} with {cmd}: {e}; open it yourself",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_list_accepts_known_and_names_the_bad_item() {
        assert_eq!(
            Format::parse_list("html, PNG,md,json,csv,junit").unwrap(),
            Format::ALL.to_vec()
        );
        assert_eq!(Format::parse_list("md,md").unwrap(), vec![Format::Md]);
        assert_eq!(Format::parse_list("all").unwrap().len(), 6);
        let e = Format::parse_list("html,pdf").unwrap_err();
        assert!(format!("{e}").contains("\"pdf\""), "{e}");
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        assert!(Format::parse_list("html,,md").is_err());
    }
}
