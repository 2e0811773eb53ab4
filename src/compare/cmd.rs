//! The `compare` and `check` subcommands: settings -> load -> build_comparison -> write
//! `comparison.json` -> terminal summary -> exit code. Rendering of other formats belongs to
//! the report stage (see [`Renderer`]).

use super::config;
use super::engine::build_comparison;
use super::load::load_run;
use super::model::*;
use crate::cli::{CheckArgs, CompareArgs, CompareFlags};
use crate::error::Exit;
use crate::report::{reply_rows, Format, ReportInputs};
use crate::store::{write_json_atomic, RunDir};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Formats `--format` accepts.
pub const FORMATS: &[&str] = &["html", "png", "md", "json", "csv", "junit"];
pub const COMPARISON_FILE: &str = "comparison.json";

/// What the renderer wrote, and the plain-language headline of the report.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub files: Vec<PathBuf>,
    pub headline: Option<String>,
}

/// Renders the formats other than JSON (the report stage: [`crate::report::cmd::Reports`]).
/// `compare` itself always writes `comparison.json`.
pub trait Renderer {
    /// Write `formats` (never containing JSON) for `c` into `out_dir`; return the files written.
    fn render(
        &self,
        c: &Comparison,
        inputs: &ReportInputs,
        out_dir: &Path,
        formats: &[Format],
    ) -> anyhow::Result<Rendered>;
    /// Append the Markdown summary to `$GITHUB_STEP_SUMMARY` when it is set.
    fn step_summary(&self, _c: &Comparison, _inputs: &ReportInputs) -> anyhow::Result<()> {
        Ok(())
    }
    /// Open the HTML report (for `--open`); never fails the run.
    fn open(&self, _out_dir: &Path) {}
}

fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let t = out.trim_matches('-').to_string();
    if t.is_empty() {
        "run".into()
    } else {
        t
    }
}

/// The formats to render besides `comparison.json` (always written); no `--format`: all of them.
fn check_formats(flags: &CompareFlags) -> anyhow::Result<Vec<Format>> {
    if flags.format.is_empty() {
        return Ok(Format::ALL.into_iter().filter(|f| *f != Format::Json).collect());
    }
    let mut out = Vec::new();
    for f in &flags.format {
        let f = f.trim().to_ascii_lowercase();
        if f.is_empty() {
            continue;
        }
        if !FORMATS.contains(&f.as_str()) && f != "all" {
            return Err(crate::error::usage(format!(
                "--format {f}: unknown format; choose from {} (or all)",
                FORMATS.join(", ")
            )));
        }
        if f == "all" {
            out.extend(Format::ALL);
            continue;
        }
        out.extend(Format::parse_list(&f)?);
    }
    out.retain(|f| *f != Format::Json);
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a comparison produced.
pub struct Outcome {
    pub comparison: Comparison,
    pub out_dir: PathBuf,
    pub json_path: PathBuf,
    /// What the reports need besides the comparison: every reply with its scores.
    pub inputs: ReportInputs,
}

/// When the comparison was made: now, or `SOURCE_DATE_EPOCH` (seconds) when set, so that a
/// report can be rendered byte for byte again (reproducible builds convention).
pub fn creation_time() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Load, score and compare two run directories, and write `comparison.json`.
pub fn compare_dirs(old: &RunDir, new: &RunDir, flags: &CompareFlags) -> anyhow::Result<Outcome> {
    let mut opts = config::options(flags)?;
    opts.created_at = creation_time();
    // A personal history (e.g. a ChatGPT export) holds conversations, not shared prompts:
    // pairing by id would pair unrelated conversations, so the comparison is unpaired.
    let personal: Vec<&RunDir> = [old, new]
        .into_iter()
        .filter(|d| crate::import::is_personal_history(d))
        .collect();
    let forced_by_flag = opts.unpaired;
    if !personal.is_empty() {
        opts.unpaired = true;
    }
    let mut o = load_run(old)?;
    let mut n = load_run(new)?;
    let old_records = old.read_transcripts()?.records;
    let new_records = new.read_transcripts()?.records;
    let emb = attach_embeddings(
        &flags.embed,
        (old, &old_records, &mut o),
        (new, &new_records, &mut n),
        &opts,
    )?;
    let mut comparison = build_comparison(&o, &n, &opts).map_err(|e| e.into_anyhow())?;
    super::embedding::drop_relative_change(&mut comparison, &opts.gates)?;
    let (embedding_input, keywords) = match emb {
        Ok(e) => {
            let (input, kw) = super::embedding::report_inputs(&e);
            comparison.embedding = Some(e);
            (Some(input), kw)
        }
        Err(reason) => {
            comparison.embedding_skipped = Some(reason);
            (None, None)
        }
    };
    if !personal.is_empty() && !forced_by_flag {
        let which: Vec<String> = [(old, &o.label), (new, &n.label)]
            .into_iter()
            .filter(|(d, _)| personal.iter().any(|p| p.path == d.path))
            .map(|(_, l)| format!("`{l}`"))
            .collect();
        comparison.pairing_note = format!(
            "unpaired: {} {} an imported personal history (conversations, not the same prompts \
             asked of both models), so replies are compared as two independent samples; topics may \
             differ between the sides (see the topic mix)",
            which.join(" and "),
            if which.len() == 1 { "is" } else { "are" }
        );
    }
    if comparison.pairing == Pairing::Unpaired {
        let (or, _) = super::load::latest_records(old_records.clone());
        let (nr, _) = super::load::latest_records(new_records.clone());
        comparison.topics = Some(TopicMixes {
            old: crate::import::topic_mix(&or),
            new: crate::import::topic_mix(&nr),
        });
    }
    let out_dir = flags.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-vs-{}", slug(&o.label), slug(&n.label)))
    });
    let json_path = out_dir.join(COMPARISON_FILE);
    write_json_atomic(&json_path, &comparison)?;
    let mut replies = reply_rows(&o.label, "old", &old_records, &o.scores);
    replies.extend(reply_rows(&n.label, "new", &new_records, &n.scores));
    Ok(Outcome {
        comparison,
        out_dir,
        json_path,
        inputs: ReportInputs {
            replies,
            embedding: embedding_input,
            keywords,
        },
    })
}

/// The embedding metrics (see [`super::embedding`]): adds `emb.warmth_direction` to both runs'
/// scores and returns the comparison's embedding section, or why there is none (after printing the
/// note when the default model is missing).
fn attach_embeddings(
    args: &crate::cli::EmbedArgs,
    old: (&RunDir, &[crate::store::Record], &mut super::RunInput),
    new: (&RunDir, &[crate::store::Record], &mut super::RunInput),
    opts: &super::CompareOptions,
) -> anyhow::Result<Result<EmbeddingComparison, String>> {
    use super::embedding as emb;
    let embedder = match emb::choose(args)? {
        emb::Choice::Embedder(e) => e,
        emb::Choice::Skipped { reason, note } => {
            if let Some(note) = note {
                eprintln!("{note}");
            }
            return Ok(Err(reason));
        }
    };
    let (or, _) = super::load::latest_records(old.1.to_vec());
    let (nr, _) = super::load::latest_records(new.1.to_vec());
    let (ot, nt) = (emb::reply_texts(&or), emb::reply_texts(&nr));
    let a = emb::compute(&old.0.path, &ot, &new.0.path, &nt, embedder.as_ref(), opts.seed)?;
    if let Some(w) = &a.warmth {
        emb::add_warmth_metric(&mut old.2.scores, &ot, &a.old_warmth, w.anchor_half_gap);
        emb::add_warmth_metric(&mut new.2.scores, &nt, &a.new_warmth, w.anchor_half_gap);
    }
    let categories = old.2.scores.replies.iter().chain(&new.2.scores.replies);
    let categories = categories
        .map(|r| (r.probe_id.clone(), r.category.clone()))
        .collect();
    // `local:all-MiniLM-L6-v2:w256o32:v1` -> `all-MiniLM-L6-v2`; `openai:MODEL@URL` -> `openai:MODEL`.
    let model = match a.model_id.strip_prefix("local:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest).to_string(),
        None => a.model_id.split('@').next().unwrap_or(&a.model_id).to_string(),
    };
    Ok(Ok(emb::comparison(
        &a,
        &categories,
        &model,
        opts.alpha,
        opts.resamples,
        opts.ci_level,
    )))
}

/// `persona-drift compare OLD NEW`.
pub fn run_compare(
    args: &CompareArgs,
    quiet: bool,
    renderer: &dyn Renderer,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let formats = check_formats(&args.flags)?;
    // Validate settings (gate syntax, noise specs) before any loading.
    config::options(&args.flags)?;
    let old = RunDir::resolve(&args.old, &args.runs_dir)?;
    let new = RunDir::resolve(&args.new, &args.runs_dir)?;
    finish(
        compare_dirs(&old, &new, &args.flags)?,
        &args.flags,
        &formats,
        quiet,
        renderer,
        out,
    )
}

fn finish(
    o: Outcome,
    flags: &CompareFlags,
    formats: &[Format],
    quiet: bool,
    renderer: &dyn Renderer,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let rendered = renderer.render(&o.comparison, &o.inputs, &o.out_dir, formats)?;
    renderer.step_summary(&o.comparison, &o.inputs)?;
    if quiet {
        writeln!(out, "{}", headline(&o.comparison))?;
    } else {
        out.write_all(terminal_summary(&o.comparison).as_bytes())?;
        writeln!(out, "wrote {}", o.json_path.display())?;
        let mut charts = 0;
        for f in &rendered.files {
            if f.parent().and_then(|p| p.file_name()) == Some("charts".as_ref()) {
                charts += 1;
            } else {
                writeln!(out, "wrote {}", f.display())?;
            }
        }
        if charts > 0 {
            writeln!(
                out,
                "wrote {charts} chart file(s) in {}",
                o.out_dir.join("charts").display()
            )?;
        }
        let main = o.out_dir.join("index.html");
        let report = if rendered.files.contains(&main) {
            main
        } else {
            o.out_dir.clone()
        };
        writeln!(out, "\nreport: {}", report.display())?;
        writeln!(out, "{}", headline(&o.comparison))?;
        if let Some(h) = &rendered.headline {
            writeln!(out, "{h}")?;
        }
    }
    if flags.open {
        renderer.open(&o.out_dir);
    }
    Ok(if o.comparison.summary.gates_fired > 0 {
        Exit::Drift
    } else {
        Exit::Success
    })
}

/// Collection, as `check` needs it. The collect stage implements this at merge.
pub trait Collector {
    /// Whether `dir` already holds a complete run of `spec` (every probe x sample finished or
    /// failed for good), so it can be reused, e.g. a cached baseline.
    fn is_complete(&self, dir: &RunDir, spec: &str, args: &CheckArgs) -> anyhow::Result<bool>;
    /// Collect (or resume) a run of `spec` into `dir` with the run flags in `args`.
    fn collect(&self, dir: &RunDir, spec: &str, label: &str, args: &CheckArgs) -> anyhow::Result<()>;
}

/// Run directory labels for `check`: `--old-label`/`--new-label`, else slugs of the specs
/// (`<slug>-old` / `<slug>-new` when both specs are the same model name).
pub fn check_labels(args: &CheckArgs) -> (String, String) {
    let (so, sn) = (slug(&args.old), slug(&args.new));
    let (d_old, d_new) = if so == sn {
        (format!("{so}-old"), format!("{sn}-new"))
    } else {
        (so, sn)
    };
    (
        args.old_label.clone().unwrap_or(d_old),
        args.new_label.clone().unwrap_or(d_new),
    )
}

/// `persona-drift check --old SPEC --new SPEC`.
pub fn run_check(
    args: &CheckArgs,
    quiet: bool,
    collector: &dyn Collector,
    renderer: &dyn Renderer,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let formats = check_formats(&args.flags)?;
    config::options(&args.flags)?;
    let (lo, ln) = check_labels(args);
    if lo == ln {
        return Err(crate::error::usage(format!(
            "check: old and new would share the run directory {lo}; give --old-label/--new-label"
        )));
    }
    let mut dirs = Vec::new();
    for (spec, label, is_new) in [(&args.old, &lo, false), (&args.new, &ln, true)] {
        let dir = RunDir::new(args.runs_dir.join(label));
        let fresh = is_new && args.fresh;
        if fresh && dir.exists() {
            // Keep the earlier run (it is data someone paid for) beside the new one.
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = args.runs_dir.join(format!("{label}.replaced-{stamp}"));
            std::fs::rename(&dir.path, &aside).map_err(|e| {
                crate::error::usage(format!(
                    "--fresh: cannot move {} aside to {}: {e}",
                    dir.path.display(),
                    aside.display()
                ))
            })?;
            if !quiet {
                writeln!(out, "--fresh: moved the earlier run to {}", aside.display())?;
            }
        }
        let reuse = !fresh && collector.is_complete(&dir, spec, args)?;
        if reuse {
            if !quiet {
                writeln!(out, "reusing complete run {} ({spec})", dir.path.display())?;
            }
        } else {
            if !quiet {
                writeln!(out, "collecting {spec} into {}", dir.path.display())?;
            }
            collector.collect(&dir, spec, label, args)?;
        }
        dirs.push(dir);
    }
    finish(
        compare_dirs(&dirs[0], &dirs[1], &args.flags)?,
        &args.flags,
        &formats,
        quiet,
        renderer,
        out,
    )
}

fn decimals(x: f64) -> usize {
    match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    }
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) => format!("{x:.*}", decimals(x)),
    }
}

fn fmt_signed(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) => format!("{x:+.*}", decimals(x)),
    }
}

fn verdict_word(s: &Stats) -> String {
    match s.verdict {
        Verdict::Changed => match s.direction {
            Direction::Up => "CHANGED (up)".into(),
            Direction::Down => "CHANGED (down)".into(),
            Direction::Flat => "CHANGED".into(),
        },
        Verdict::Unchanged => "unchanged".into(),
        Verdict::Inconclusive => "inconclusive".into(),
    }
}

/// One line: the counts and the gate outcome.
pub fn headline(c: &Comparison) -> String {
    format!(
        "{} vs {}: {} changed, {} unchanged, {} inconclusive; {} gate(s) fired",
        c.old.label,
        c.new.label,
        c.summary.changed,
        c.summary.unchanged,
        c.summary.inconclusive,
        c.summary.gates_fired
    )
}

/// The terminal summary: run identities, model-identity note, dimensions table, gates, seeds.
pub fn terminal_summary(c: &Comparison) -> String {
    let mut s = String::new();
    let side = |r: &RunInfo| format!("`{}` ({}:{})", r.label, r.provider, r.model_requested);
    s.push_str(&format!(
        "persona-drift compare: old {} vs new {}\n",
        side(&c.old),
        side(&c.new)
    ));
    if c.identity.prominent {
        s.push_str(&format!("\n!! {}\n\n", c.identity.message));
    } else {
        s.push_str(&format!("model identity: {}\n", c.identity.message));
    }
    s.push_str(&format!("pairing: {}\n", c.pairing_note));
    if let Some(t) = &c.topics {
        s.push_str("unpaired comparison: topics may differ; topic mix (share of conversations):\n");
        for (label, mix) in [(&c.old.label, &t.old), (&c.new.label, &t.new)] {
            let parts: Vec<String> = mix
                .rows()
                .into_iter()
                .map(|(topic, _, share)| format!("{} {:.0}%", topic.label(), share * 100.0))
                .collect();
            s.push_str(&format!(
                "  {label} ({} conversations): {}\n",
                mix.total,
                parts.join(", ")
            ));
        }
    }
    s.push('\n');
    let header = ["metric", "old", "new", "change", "95% CI", "q", "n", "verdict"];
    let mut rows: Vec<[String; 8]> = Vec::new();
    let shown: Vec<&MetricResult> = c
        .metrics
        .iter()
        .filter(|m| m.kind == crate::score::MetricKind::Dimension || m.stats.verdict == Verdict::Changed)
        .collect();
    for m in &shown {
        let st = &m.stats;
        let rel = st
            .rel_change
            .map(|r| format!(" ({:+.1}%)", r * 100.0))
            .unwrap_or_default();
        rows.push([
            m.id.clone(),
            fmt_num(st.old_mean),
            fmt_num(st.new_mean),
            format!("{}{rel}", fmt_signed(st.abs_change)),
            st.ci
                .map(|ci| format!("[{}, {}]", fmt_signed(Some(ci.low)), fmt_signed(Some(ci.high))))
                .unwrap_or_else(|| "-".into()),
            st.q.map(|q| {
                if q < 0.001 {
                    "<0.001".to_string()
                } else {
                    format!("{q:.3}")
                }
            })
            .unwrap_or_else(|| "-".into()),
            if c.pairing == Pairing::Paired {
                st.n_pairs.to_string()
            } else {
                format!("{}/{}", st.n_old, st.n_new)
            },
            verdict_word(st),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 || i == 7 {
                l.push_str(cell);
                l.push_str(&" ".repeat(pad));
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(cell);
            }
            l.push_str("  ");
        }
        l.trim_end().to_string() + "\n"
    };
    s.push_str(&line(header.iter().map(|h| h.to_string()).collect()));
    for r in rows {
        s.push_str(&line(r.to_vec()));
    }
    let hidden = c.metrics.len() - shown.len();
    if hidden > 0 {
        s.push_str(&format!(
            "({hidden} raw metric(s) not changed; all are in comparison.json)\n"
        ));
    }
    s.push('\n');
    for m in shown
        .iter()
        .filter(|m| m.kind == crate::score::MetricKind::Dimension)
    {
        if let Some(mdc) = m.mdc {
            let noise = match (&m.measured_noise.old, m.measured_noise.mdc_sampling) {
                (Some(o), Some(f)) => format!(
                    "; sample-to-sample SD {} (split-half), sampling-only floor {}",
                    fmt_num(Some(o.sample_sd)),
                    fmt_num(Some(f))
                ),
                _ => "; noise between samples not measured (1 sample per probe)".into(),
            };
            s.push_str(&format!(
                "{}: noise band ±{}, smallest detectable change {}{noise}\n",
                m.id,
                fmt_num(Some(m.noise.half_width)),
                fmt_num(Some(mdc))
            ));
        }
    }
    if !c.gates.is_empty() {
        s.push_str("\ngates:\n");
        for g in &c.gates {
            s.push_str(&format!("  {}\n", g.message));
        }
    }
    for w in &c.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s.push_str(&format!(
        "\nseed {} · {} bootstrap resamples ({} CI, {:.0}%) · alpha {} · Benjamini-Hochberg across {} metrics\n",
        c.settings.seed,
        c.settings.resamples,
        c.settings.ci_method.replace('_', " "),
        c.settings.ci_level * 100.0,
        c.settings.alpha,
        c.metrics.len()
    ));
    s
}
