//! `persona-drift probes list | show | validate`.

use crate::cli::{ProbesArgs, ProbesCommand};
use crate::probes::{load_battery, load_battery_lenient, Battery, ProbeError, ProbeFilter};
use std::io::Write;
use std::path::Path;

/// Load the battery at `dir`, applying an optional `--probes-filter`.
pub fn load_filtered(dir: &Path, filter: Option<&str>) -> anyhow::Result<Battery> {
    let battery = load_battery(dir)?;
    match filter {
        None => Ok(battery),
        Some(f) => {
            let filtered = battery.filter(&ProbeFilter::parse(f)?);
            if filtered.is_empty() {
                return Err(ProbeError::NothingMatches(f.to_string()).into());
            }
            Ok(filtered)
        }
    }
}

/// The battery a run sends: `--probes` filtered by `--probes-filter`, with the `--persona`
/// card given to every probe without a persona of its own.
pub fn load_for_run(s: &crate::config::RunSettings) -> anyhow::Result<Battery> {
    let battery = load_filtered(&s.probes, s.probes_filter.as_deref())?;
    Ok(match &s.persona {
        Some(card) => battery.with_default_persona(card),
        None => battery,
    })
}

pub fn run(cmd: &ProbesCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        ProbesCommand::List(args) => list(args, out),
        ProbesCommand::Show { id, args } => show(id, args, out),
        ProbesCommand::Validate { dir } => validate(dir.as_deref().unwrap_or(Path::new("probes")), out),
    }
}

fn list(args: &ProbesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let b = load_filtered(&args.probes, args.filter.as_deref())?;
    let w_id = b.probes.iter().map(|p| p.id.len()).max().unwrap_or(2).max(2);
    let w_cat = b
        .probes
        .iter()
        .map(|p| p.category.len())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        out,
        "{:<w_id$}  {:<w_cat$}  {:>5}  {:<4}  persona",
        "id", "category", "turns", "lang"
    )?;
    for p in &b.probes {
        writeln!(
            out,
            "{:<w_id$}  {:<w_cat$}  {:>5}  {:<4}  {}",
            p.id,
            p.category,
            p.turns.len(),
            p.language,
            p.persona.as_ref().map(|x| x.name.as_str()).unwrap_or("-")
        )?;
    }
    let categories: std::collections::BTreeSet<&str> = b.probes.iter().map(|p| p.category.as_str()).collect();
    let languages: std::collections::BTreeSet<&str> = b.probes.iter().map(|p| p.language.as_str()).collect();
    writeln!(
        out,
        "\n{} probes, {} categories, {} languages ({}); battery hash {}",
        b.len(),
        categories.len(),
        languages.len(),
        languages.into_iter().collect::<Vec<_>>().join(", "),
        b.hash()
    )?;
    Ok(())
}

fn show(id: &str, args: &ProbesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let b = load_filtered(&args.probes, None)?;
    let p = b.get(id).ok_or_else(|| ProbeError::UnknownId(id.to_string()))?;
    writeln!(out, "{} — {}", p.id, p.title)?;
    writeln!(
        out,
        "category: {}   language: {}   tags: {}",
        p.category,
        p.language,
        p.tags.join(", ")
    )?;
    writeln!(out, "reveals: {}", p.reveals)?;
    if let Some(persona) = &p.persona {
        writeln!(out, "\n[system — persona {}]\n{}", persona.name, persona.system)?;
        for ex in &persona.examples {
            writeln!(
                out,
                "\n[example user]\n{}\n[example {}]\n{}",
                ex.user, persona.name, ex.assistant
            )?;
        }
    }
    for (i, t) in p.turns.iter().enumerate() {
        let mark = if t.pushback { " (pushback)" } else { "" };
        writeln!(out, "\n[user, turn {}{}]\n{}", i + 1, mark, t.user)?;
        writeln!(out, "[assistant replies]")?;
    }
    for r in &p.expect_recall {
        let variants = if r.variants.is_empty() {
            String::new()
        } else {
            format!(" (or {})", r.variants.join(", "))
        };
        writeln!(
            out,
            "\nexpect recall: {:?}{} given in turn {}, expected from turn {}",
            r.fact, variants, r.given_in_turn, r.from_turn
        )?;
    }
    writeln!(out, "\nprobe hash: {}", p.hash())?;
    Ok(())
}

fn validate(dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let (b, problems) = load_battery_lenient(dir)?;
    if !problems.is_empty() {
        return Err(ProbeError::Invalid(problems).into());
    }
    writeln!(
        out,
        "{}: {} probes valid; battery hash {}",
        dir.display(),
        b.len(),
        b.hash()
    )?;
    Ok(())
}
