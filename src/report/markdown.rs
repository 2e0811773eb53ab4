//! `summary.md`: concise enough for a pull-request comment and GitHub's step summary (a headline,
//! the identity notice, one table of dimensions, gates, the reproducibility line). Every string from
//! run data goes through [`escape::markdown`](super::escape::markdown).

use super::escape::{markdown as md, truncate};
use super::model::{ReportModel, MD_REPLY_MAX_CHARS};
use std::fmt::Write;

/// Render `summary.md`. Pure.
pub fn render(m: &ReportModel) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## Personality drift: {} → {}\n",
        md(&m.old.model_requested),
        md(&m.new.model_requested)
    );
    let _ = writeln!(
        o,
        "Runs “{}” → “{}” · {} · battery `{}`\n",
        md(&m.old.label),
        md(&m.new.label),
        md(&m.date),
        md_code(&m.battery_short)
    );
    if m.identity.warning {
        let _ = writeln!(
            o,
            "> [!WARNING]\n> **{}.** {}\n",
            md(&m.identity.title),
            md(&m.identity.message)
        );
    } else {
        let _ = writeln!(
            o,
            "> **{}.** {}\n",
            md(&m.identity.title),
            md(&m.identity.message)
        );
    }
    let _ = writeln!(o, "**{}.** {}\n", md(&m.overall_label), md(&m.headline));
    if let Some(t) = &m.topics {
        let _ = writeln!(o, "> [!NOTE]\n> {}\n", md(&t.note));
        let _ = writeln!(
            o,
            "| Topic | Old ({} conversations) | New ({} conversations) |\n|---|---:|---:|",
            t.old_total, t.new_total
        );
        for r in &t.rows {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md(&r.topic),
                md(&r.old_fmt),
                md(&r.new_fmt)
            );
        }
        o.push('\n');
    }
    if !m.dimensions.is_empty() {
        o.push_str("| Dimension | Old | New | Change (95% CI) | Effect size | Verdict |\n");
        o.push_str("|---|---:|---:|---|---|---|\n");
        for d in &m.dimensions {
            let verdict = match d.verdict {
                super::model::Verdict::Changed => format!("**{}**", md(&d.verdict_label)),
                _ => md(&d.verdict_label),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} {} | {} | {} |",
                md(&d.label),
                md(&d.old_fmt),
                md(&d.new_fmt),
                d.arrow,
                md(&d.change_fmt),
                md(&d.effect_fmt),
                verdict
            );
        }
        o.push('\n');
    }
    if !m.gates.is_empty() {
        let _ = writeln!(o, "**Gates:** {} of {} fired\n", m.gates_fired, m.gates.len());
        for g in &m.gates {
            let _ = writeln!(
                o,
                "- {} **{}** — {}",
                if g.fired { "❌ fired" } else { "✅ passed" },
                md(&g.rule),
                md(&g.message)
            );
        }
        o.push('\n');
    }
    if let Some(e) = &m.embedding {
        let _ = writeln!(
            o,
            "**Meaning (semantic drift, {}).** {}\n",
            md(&e.model),
            md(&e.summary)
        );
        if let Some(k) = &m.keywords {
            let list = |v: &[super::model::KeyTermView]| -> String {
                let t: Vec<String> = v
                    .iter()
                    .take(6)
                    .map(|t| format!("“{}” ({})", md(&t.term), md(&t.counts)))
                    .collect();
                if t.is_empty() {
                    "none stand out".into()
                } else {
                    t.join(", ")
                }
            };
            let _ = writeln!(o, "- More in new replies: {}", list(&k.new));
            let _ = writeln!(o, "- More in old replies: {}\n", list(&k.old));
        }
    }
    if let Some(p) = m.top_probes.first() {
        let _ = writeln!(
            o,
            "<details><summary>Largest single change: {} on {} ({} → {})</summary>\n",
            md(&p.metric_label),
            md(&p.probe_id),
            md(&p.old_fmt),
            md(&p.new_fmt)
        );
        for (side, r) in [("old", &p.old_reply), ("new", &p.new_reply)] {
            if let Some(r) = r {
                let (t, _) = truncate(&r.text, MD_REPLY_MAX_CHARS);
                let _ = writeln!(o, "- **{side}:** {}", md(&t));
            }
        }
        o.push_str("\n</details>\n\n");
    }
    let _ = writeln!(
        o,
        "<sub>persona-drift {} · {} samples/probe (old) and {} (new) · seed and full settings in comparison.json · open index.html for charts, examples and the glossary</sub>",
        md(&m.tool_version),
        m.old.samples,
        m.new.samples
    );
    o
}

/// Text inside a code span: backticks cannot end it and newlines/pipes cannot break a table.
fn md_code(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\n' | '\r' | '\t' => ' ',
            c => c,
        })
        .collect()
}
