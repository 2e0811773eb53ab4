//! `import` flags -> validated [`ImportOptions`] -> run -> summary on stdout.

use super::{parse_date, FieldMap, Format, ImportOptions, SplitBy};
use crate::cli::ImportArgs;
use crate::error;
use std::io::Write;

/// Validate the flags into options (every mistake is a usage error, exit 2).
pub fn options(a: &ImportArgs) -> anyhow::Result<ImportOptions> {
    let format = match &a.format {
        None => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            error::usage(format!(
                "--format {f:?}: expected csv, jsonl, chatgpt or promptfoo"
            ))
        })?),
    };
    let mut split_by = Vec::new();
    for s in &a.split_by {
        let v = match s.trim().to_ascii_lowercase().as_str() {
            "model" | "provider" => SplitBy::Model,
            "date" => SplitBy::Date,
            "none" => SplitBy::None,
            other => {
                return Err(error::usage(format!(
                    "--split-by {other:?}: expected model, date, model,date or none"
                )))
            }
        };
        if !split_by.contains(&v) {
            split_by.push(v);
        }
    }
    let date = |flag: &str, v: &Option<String>| -> anyhow::Result<_> {
        match v {
            None => Ok(None),
            Some(s) => parse_date(s).map(Some).ok_or_else(|| {
                error::usage(format!(
                    "--{flag} {s:?}: expected a date like 2025-08-07 or 2025-08-07T12:00:00Z"
                ))
            }),
        }
    };
    let delimiter = match a.delimiter.as_deref() {
        None => None,
        Some("\\t") | Some("tab") | Some("\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(d) => {
            return Err(error::usage(format!(
                "--delimiter {d:?}: expected one ASCII character (or \\t)"
            )))
        }
    };
    if let Some(l) = &a.language {
        if l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(error::usage(format!(
                "--language {l:?}: expected a language code like en or sv"
            )));
        }
    }
    Ok(ImportOptions {
        file: a.file.clone(),
        format,
        out: a.out.clone(),
        label: a.label.clone(),
        fields: FieldMap {
            prompt: a.prompt_field.clone(),
            response: a.response_field.clone(),
            model: a.model_field.clone(),
            conversation: a.conversation_field.clone(),
            turn: a.turn_field.clone(),
            timestamp: a.timestamp_field.clone(),
            sample: a.sample_field.clone(),
            category: a.category_field.clone(),
            system: a.system_field.clone(),
        },
        split_by,
        before: date("before", &a.before)?,
        after: date("after", &a.after)?,
        language: a.language.as_ref().map(|l| l.to_ascii_lowercase()),
        delimiter,
        force: a.force,
    })
}

pub fn run(a: &ImportArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let opts = options(a)?;
    if opts.delimiter.is_some() && opts.format.is_some_and(|f| f != Format::Csv) {
        return Err(error::usage("--delimiter applies to csv only"));
    }
    let summary = super::run(&opts)?;
    if quiet {
        for r in &summary.runs {
            writeln!(out, "{}", r.path.display())?;
        }
    } else {
        write!(out, "{}", summary.render(&opts.out))?;
    }
    Ok(())
}
