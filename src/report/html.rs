//! `index.html`: one self-contained page (inline CSS and SVG; no scripts, fonts, images or requests).
//! A Content-Security-Policy meta tag forbids everything but inline styles, as a second line of defence.
//! Every string from run data goes through [`H`] (HTML escaping); charts come from plotters' SVG
//! backend, which escapes its text too.

#![allow(clippy::write_with_newline)] // markup is written line by line

use super::charts::{hex, Chart, GREEN, GREY, NEW_COLOUR, OLD_COLOUR, VERMILLION};
use super::escape::H;
use super::model::{BreakdownView, MetricView, Overall, ReplyView, ReportModel, Verdict};
use std::fmt::Write;

/// The page's Content-Security-Policy: nothing may load or run.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

fn css() -> String {
    format!(
        r#"
:root {{ --bg:#ffffff; --fg:#1b1b1b; --muted:#5b5b5b; --line:#d9d9d9; --panel:#f5f6f8; --old:{old}; --new:{new};
  --changed:{changed}; --unchanged:{unchanged}; --inconclusive:{inconclusive}; --warn-bg:#fff4e5; --warn-line:{changed}; }}
@media (prefers-color-scheme: dark) {{
  :root {{ --bg:#121417; --fg:#e8e8e8; --muted:#a8a8a8; --line:#3a3d42; --panel:#1d2025; --old:#56B4E9;
    --new:#E69F00; --changed:#E69F00; --unchanged:#3fc9a0; --inconclusive:#a8a8a8; --warn-bg:#3a2a12; --warn-line:#E69F00; }}
}}
* {{ box-sizing: border-box; }}
html {{ -webkit-text-size-adjust: 100%; }}
body {{ margin:0; background:var(--bg); color:var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }}
main {{ max-width: 980px; margin: 0 auto; padding: 16px; }}
h1 {{ font-size: 1.6rem; line-height:1.25; margin: .4em 0 .2em; }}
h2 {{ font-size: 1.3rem; margin: 1.8em 0 .5em; padding-top:.3em; border-top: 1px solid var(--line); }}
h3 {{ font-size: 1.05rem; margin: 1.2em 0 .4em; }}
.sub {{ color: var(--muted); margin: 0 0 1em; }}
.old {{ color: var(--old); font-weight: 600; }} .new {{ color: var(--new); font-weight: 600; }}
.notice {{ border-left: 6px solid var(--line); background: var(--panel); padding: 10px 14px; margin: 12px 0; border-radius: 4px; }}
.notice.warn {{ border-left-color: var(--warn-line); background: var(--warn-bg); font-size: 1.05rem; }}
.notice strong {{ display:block; }}
.verdict {{ display:inline-block; padding: 4px 12px; border-radius: 999px; font-weight: 700; border: 2px solid currentColor; margin: 6px 0; }}
.verdict.changed {{ color: var(--changed); }} .verdict.unchanged {{ color: var(--unchanged); }} .verdict.inconclusive {{ color: var(--inconclusive); }}
.headline {{ font-size: 1.2rem; line-height: 1.5; background: var(--panel); padding: 14px 16px; border-radius: 6px; }}
.headline p {{ margin: .3em 0; }} .headline p:first-child {{ font-weight: 600; }}
.table-wrap {{ overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 8px 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: .93rem; }}
th, td {{ text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }}
th {{ background: var(--panel); font-weight: 600; }}
td.num {{ font-variant-numeric: tabular-nums; white-space: nowrap; }}
.tag {{ font-weight: 600; white-space: nowrap; }}
.tag.changed {{ color: var(--changed); }} .tag.unchanged {{ color: var(--unchanged); }} .tag.inconclusive {{ color: var(--inconclusive); }}
.tag.changed::before {{ content: "● "; }} .tag.unchanged::before {{ content: "○ "; }} .tag.inconclusive::before {{ content: "◌ "; }}
figure.chart {{ margin: 14px 0; background: #ffffff; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }}
figure.chart svg {{ display:block; width: 100%; height: auto; max-width: 100%; }}
figure.chart figcaption {{ color: #444; font-size: .85rem; padding: 4px 6px 2px; }}
.grid2 {{ display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }}
.probe {{ border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 14px 0; }}
.probe h3 {{ margin-top: 0; }}
.reply {{ background: var(--panel); border-radius: 4px; padding: 8px 10px; border-top: 4px solid var(--line); min-width: 0; }}
.reply.o {{ border-top-color: var(--old); }} .reply.n {{ border-top-color: var(--new); }}
.reply .who {{ font-size: .85rem; color: var(--muted); }}
.reply .text {{ white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; margin: 6px 0 0; font-size: .95rem; }}
.prompt {{ color: var(--muted); font-style: italic; overflow-wrap: anywhere; white-space: pre-wrap; }}
.cut {{ color: var(--muted); font-size: .85rem; }}
.repro {{ background: var(--panel); border-radius: 6px; padding: 6px 12px; }}
.repro td, .repro th {{ overflow-wrap: anywhere; }}
dl.gloss dt {{ font-weight: 700; margin-top: .6em; }} dl.gloss dd {{ margin: 0 0 0 1em; }}
.terms li {{ break-inside: avoid; overflow-wrap: anywhere; }}
.gate.fired {{ color: var(--changed); font-weight: 700; }} .gate.passed {{ color: var(--unchanged); }}
footer {{ color: var(--muted); font-size: .85rem; margin: 2em 0 1em; }}
@media (max-width: 640px) {{
  main {{ padding: 10px; }} h1 {{ font-size: 1.3rem; }} .headline {{ font-size: 1.05rem; }}
  .grid2 {{ grid-template-columns: 1fr; }}
  table {{ font-size: .85rem; }} th, td {{ padding: 5px 5px; }}
}}
@media print {{
  :root {{ --bg:#fff; --fg:#000; --muted:#333; --panel:#f3f3f3; }}
  body {{ font-size: 11pt; }} main {{ max-width: none; padding: 0; }}
  h2 {{ break-after: avoid; }} figure.chart, .probe, .notice, table, .headline {{ break-inside: avoid; }}
  .table-wrap {{ overflow: visible; }}
}}
"#,
        old = hex(OLD_COLOUR),
        new = hex(NEW_COLOUR),
        changed = hex(VERMILLION),
        unchanged = hex(GREEN),
        inconclusive = hex(GREY),
    )
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Changed => "changed",
        Verdict::Unchanged => "unchanged",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn chart_figure(out: &mut String, charts: &[Chart], id: &str) {
    if let Some(c) = charts.iter().find(|c| c.id == id) {
        let _ = write!(
            out,
            "<figure class=\"chart\" id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>\n",
            H(&c.id),
            c.svg,
            H(&c.alt)
        );
    }
}

fn metric_table(out: &mut String, rows: &[MetricView], first_col: &str) {
    let _ = write!(
        out,
        "<div class=\"table-wrap\"><table><thead><tr><th>{}</th><th>Old</th><th>New</th><th>Change (95% CI)</th>\
         <th>Effect size</th><th>q</th><th>Verdict</th></tr></thead><tbody>\n",
        H(first_col)
    );
    for m in rows {
        let unit = if m.unit.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"sub\">({})</span>", H(&m.unit))
        };
        let _ = write!(
            out,
            "<tr><td><span title=\"{}\">{}</span>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{} {}</td><td>{}</td><td class=\"num\">{}</td><td><span class=\"tag {}\" title=\"{}\">{}</span></td></tr>\n",
            H(&m.description),
            H(&m.label),
            unit,
            H(&m.old_fmt),
            H(&m.new_fmt),
            H(&m.arrow),
            H(&m.change_fmt),
            H(&m.effect_fmt),
            H(&m.q_fmt),
            verdict_class(m.verdict),
            H(&m.reason),
            H(&m.verdict_label),
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn breakdown_table(out: &mut String, b: &BreakdownView) {
    if b.rows.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h3>{}</h3><div class=\"table-wrap\"><table><thead><tr><th>{}</th>",
        H(&b.title),
        H(&b.key_label)
    );
    for c in &b.columns {
        let _ = write!(out, "<th>{}</th>", H(c));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in &b.rows {
        let _ = write!(out, "<tr><td>{}</td>", H(&r.key));
        for c in &r.cells {
            match c {
                Some(c) => {
                    let _ = write!(
                        out,
                        "<td class=\"num\"><span class=\"tag {}\" title=\"{}\">{}</span></td>",
                        verdict_class(c.verdict),
                        verdict_class(c.verdict),
                        H(&c.text)
                    );
                }
                None => out.push_str("<td class=\"num\">n/a</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn reply_box(out: &mut String, side: &str, class: &str, label: &str, r: &Option<ReplyView>) {
    let _ = write!(
        out,
        "<div class=\"reply {class}\"><div class=\"who\">{} — {}",
        H(side),
        H(label)
    );
    match r {
        None => out.push_str("</div><p class=\"text\">(no reply recorded)</p></div>"),
        Some(r) => {
            let _ = write!(
                out,
                ", turn {}, sample {}, score {}</div><div class=\"prompt\">User: {}</div><div class=\"text\">{}</div>",
                r.turn,
                r.sample,
                H(&r.value_fmt),
                H(&r.prompt),
                H(&r.text)
            );
            if r.truncated {
                let _ = write!(
                    out,
                    "<div class=\"cut\">Shortened: the full reply has {} characters (see replies.csv).</div>",
                    r.full_chars
                );
            }
            out.push_str("</div>");
        }
    }
}

/// Render the page. Pure: same model and charts, same bytes.
pub fn render(m: &ReportModel, charts: &[Chart]) -> String {
    let mut o = String::with_capacity(256 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"persona-drift {}\">\n\
         <title>Personality drift: {} vs {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        CSP,
        H(&m.tool_version),
        H(&m.old.model_requested),
        H(&m.new.model_requested),
        css()
    );
    // Header.
    let _ = write!(
        o,
        "<header><h1>How did the personality change? <span class=\"old\">{}</span> → <span class=\"new\">{}</span></h1>\
         <p class=\"sub\">Runs “{}” (old) and “{}” (new) · compared {} · battery {}</p></header>\n",
        H(&m.old.model_requested),
        H(&m.new.model_requested),
        H(&m.old.label),
        H(&m.new.label),
        H(&m.date),
        H(&m.battery_short),
    );
    // Identity notice, at the top.
    let _ = write!(
        o,
        "<section class=\"notice{}\" id=\"identity\" role=\"{}\"><strong>{}{}</strong>{}</section>\n",
        if m.identity.warning { " warn" } else { "" },
        if m.identity.warning { "alert" } else { "note" },
        if m.identity.warning { "⚠ " } else { "" },
        H(&m.identity.title),
        H(&m.identity.message),
    );
    // Unpaired: the topic mix of each side, so readers can judge.
    if let Some(t) = &m.topics {
        let _ = write!(
            o,
            "<section class=\"notice\" id=\"topics\" role=\"note\"><strong>Unpaired comparison: topics may differ.</strong> {}\
             <table><caption>Topic mix (share of conversations)</caption><thead><tr><th scope=\"col\">Topic</th>\
             <th scope=\"col\">Old ({} conversations)</th><th scope=\"col\">New ({} conversations)</th></tr></thead><tbody>",
            H(&t.note),
            t.old_total,
            t.new_total
        );
        for r in &t.rows {
            let _ = write!(
                o,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
                H(&r.topic),
                H(&r.old_fmt),
                H(&r.new_fmt)
            );
        }
        o.push_str("</tbody></table></section>\n");
    }
    // Verdict + headline.
    let vclass = match m.overall {
        Overall::Changed => "changed",
        Overall::Unchanged => "unchanged",
        Overall::Inconclusive => "inconclusive",
    };
    let _ = write!(
        o,
        "<section id=\"headline\"><div class=\"verdict {vclass}\">{}</div><div class=\"headline\">",
        H(&m.overall_label)
    );
    for s in &m.headline_sentences {
        let _ = write!(o, "<p>{}</p>", H(s));
    }
    o.push_str("</div></section>\n");
    // Gates.
    if !m.gates.is_empty() {
        let _ = write!(
            o,
            "<h2 id=\"gates\">Gates ({} of {} fired)</h2><ul>",
            m.gates_fired,
            m.gates.len()
        );
        for g in &m.gates {
            let _ = write!(
                o,
                "<li><span class=\"gate {}\">{}</span> <code>{}</code> — {}</li>",
                if g.fired { "fired" } else { "passed" },
                if g.fired { "FIRED" } else { "passed" },
                H(&g.rule),
                H(&g.message)
            );
        }
        o.push_str("</ul>\n");
    }
    // Dimensions.
    o.push_str("<h2 id=\"dimensions\">Dimensions</h2>\n<p class=\"sub\">Each dimension combines several measurements (see the glossary). Old and new are averages over probes; the change is relative to old, with a 95% confidence interval.</p>\n");
    metric_table(&mut o, &m.dimensions, "Dimension");
    chart_figure(&mut o, charts, "radar");
    chart_figure(&mut o, charts, "forest");
    // Breakdowns.
    if !m.by_category.rows.is_empty() || !m.by_language.rows.is_empty() || !m.by_turn_table.rows.is_empty() {
        o.push_str("<h2 id=\"breakdowns\">Where it changed</h2>\n<p class=\"sub\">Exploratory: each group has fewer probes, so more results are inconclusive. ● changed, ○ unchanged, ◌ inconclusive.</p>\n");
        chart_figure(&mut o, charts, "heatmap");
        breakdown_table(&mut o, &m.by_category);
        breakdown_table(&mut o, &m.by_language);
        chart_figure(&mut o, charts, "by_turn");
        breakdown_table(&mut o, &m.by_turn_table);
    }
    if charts.iter().any(|c| c.id == "distributions") {
        o.push_str("<h2 id=\"distributions\">Distributions</h2>\n");
        chart_figure(&mut o, charts, "distributions");
    }
    // Embedding and words.
    if let Some(e) = &m.embedding {
        let _ = write!(
            o,
            "<h2 id=\"semantic\">Meaning: semantic drift</h2><p>{}</p>\n",
            H(&e.summary)
        );
        chart_figure(&mut o, charts, "embedding_drift");
        o.push_str("<div class=\"table-wrap\"><table><thead><tr><th>Probe</th><th>Category</th><th>Drift (× noise)</th><th>Old↔new distance</th><th>Same-model distance</th><th>p</th><th>Verdict</th></tr></thead><tbody>\n");
        for p in e.probes.iter().take(40) {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"tag {}\">{}</span></td></tr>\n",
                H(&p.probe_id),
                H(&p.category),
                H(&p.ratio_fmt),
                H(&p.cross_fmt),
                H(&p.within_fmt),
                H(&p.p_fmt),
                verdict_class(p.verdict),
                H(&p.verdict_label)
            );
        }
        o.push_str("</tbody></table></div>\n");
    }
    if let Some(k) = &m.keywords {
        o.push_str("<h2 id=\"words\">Words that characterise each side</h2><div class=\"grid2\">");
        for (title, class, terms) in [(&m.old.label, "old", &k.old), (&m.new.label, "new", &k.new)] {
            let _ = write!(
                o,
                "<div><h3 class=\"{class}\">More typical of “{}”</h3><ol class=\"terms\">",
                H(title)
            );
            for t in terms {
                let _ = write!(
                    o,
                    "<li><strong>{}</strong> <span class=\"sub\">{}, z {}</span></li>",
                    H(&t.term),
                    H(&t.counts),
                    H(&t.z_fmt)
                );
            }
            o.push_str("</ol></div>");
        }
        o.push_str("</div>\n");
    }
    // Most-changed probes.
    if !m.top_probes.is_empty() {
        o.push_str("<h2 id=\"examples\">Examples: the probes that changed most</h2>\n<p class=\"sub\">For each probe, one typical reply from each model (the one closest to that probe's median score), shown as plain text.</p>\n");
        for p in &m.top_probes {
            let _ = write!(
                o,
                "<article class=\"probe\"><h3>{} — {}</h3><p class=\"sub\">{} · {} · {}: {} → {} ({})</p><div class=\"grid2\">",
                H(&p.probe_id),
                H(&p.metric_label),
                H(&p.category),
                H(&p.language),
                H(&p.metric_label),
                H(&p.old_fmt),
                H(&p.new_fmt),
                H(&p.change_fmt)
            );
            reply_box(&mut o, "old", "o", &m.old.label, &p.old_reply);
            reply_box(&mut o, "new", "n", &m.new.label, &p.new_reply);
            o.push_str("</div></article>\n");
        }
    }
    // All metrics.
    if !m.metrics.is_empty() {
        o.push_str("<h2 id=\"metrics\">All measurements</h2>\n");
        metric_table(&mut o, &m.metrics, "Metric");
    }
    // Reproducibility.
    o.push_str("<h2 id=\"reproduce\">Reproducibility</h2><div class=\"repro\"><div class=\"table-wrap\"><table><thead><tr><th></th><th>Old</th><th>New</th></tr></thead><tbody>\n");
    for kv in &m.repro {
        let _ = write!(
            o,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>\n",
            H(&kv.key),
            H(&kv.old),
            H(&kv.new)
        );
    }
    o.push_str("</tbody></table></div><div class=\"table-wrap\"><table><tbody>\n");
    for (k, v) in &m.settings {
        let _ = write!(o, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", H(k), H(v));
    }
    o.push_str("</tbody></table></div></div>\n");
    // Glossary and limits.
    o.push_str("<h2 id=\"glossary\">Glossary</h2><dl class=\"gloss\">\n");
    for g in &m.glossary {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>\n", H(&g.term), H(&g.text));
    }
    o.push_str("</dl>\n<h2 id=\"limits\">Limits: what this report cannot see</h2><ul>\n");
    for l in &m.limits {
        let _ = write!(o, "<li>{}</li>\n", H(l));
    }
    let _ = write!(
        o,
        "</ul>\n<footer>Made with persona-drift {}. Every number can be reproduced from the two run directories with the seed shown above. Files: summary.md, comparison.json, replies.csv, junit.xml, card.png, charts/.</footer>\n</main>\n</body>\n</html>\n",
        H(&m.tool_version)
    );
    o
}

/// The page from the model alone (renders the charts itself).
pub fn render_page(m: &ReportModel) -> anyhow::Result<String> {
    Ok(render(m, &super::charts::render_all(m)?))
}
