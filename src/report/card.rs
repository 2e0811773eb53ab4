//! `card.png` (1200x630): the picture someone posts in a community thread. Built as SVG (every
//! string XML-escaped) and rendered with resvg and the embedded DejaVu Sans.

#![allow(clippy::write_with_newline)] // markup is written line by line

use super::charts::{hex, svg_to_png, GREEN, GREY, NEW_COLOUR, OLD_COLOUR, VERMILLION};
use super::escape::{truncate, xml};
use super::model::{Overall, ReportModel, Verdict};
use std::fmt::Write;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// Approximate advance width of DejaVu Sans text (average glyph ~0.6 em), to fit titles.
fn fit(s: &str, max_px: f64, size: f64, min_size: f64) -> (String, f64) {
    fit_em(s, max_px, size, min_size, 0.6)
}

/// Like [`fit`] with an explicit average advance in em (bold DejaVu Sans is ~0.68).
fn fit_em(s: &str, max_px: f64, size: f64, min_size: f64, em: f64) -> (String, f64) {
    let chars = s.chars().count().max(1) as f64;
    let mut size = size;
    while chars * size * em > max_px && size > min_size {
        size -= 2.0;
    }
    let max_chars = (max_px / (size * em)).floor() as usize;
    (truncate(s, max_chars.max(4)).0, size)
}

/// The card as an SVG document.
pub fn render_svg(m: &ReportModel) -> String {
    let mut o = String::new();
    let (vcolour, vtext) = match m.overall {
        Overall::Changed => (hex(VERMILLION), m.overall_label.clone()),
        Overall::Unchanged => (hex(GREEN), m.overall_label.clone()),
        Overall::Inconclusive => (hex(GREY), m.overall_label.clone()),
    };
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         font-family=\"DejaVu Sans\">\n<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#FFFFFF\"/>\n\
         <rect width=\"{WIDTH}\" height=\"12\" fill=\"{}\"/><rect y=\"12\" width=\"{WIDTH}\" height=\"6\" fill=\"{}\"/>\n",
        hex(OLD_COLOUR),
        hex(NEW_COLOUR)
    );
    let _ = write!(
        o,
        "<text x=\"56\" y=\"66\" font-size=\"24\" fill=\"#555555\">persona-drift · how did the personality change?</text>\n"
    );
    // Model names: side by side when they fit at a readable size, else one per line.
    let bold_em = 0.68;
    let side_by_side = [&m.old.model_requested, &m.new.model_requested]
        .iter()
        .all(|n| n.chars().count() as f64 * 30.0 * bold_em <= 490.0);
    if side_by_side {
        let (old_name, old_size) = fit_em(&m.old.model_requested, 490.0, 44.0, 30.0, bold_em);
        let (new_name, new_size) = fit_em(&m.new.model_requested, 490.0, 44.0, 30.0, bold_em);
        let size = old_size.min(new_size);
        let _ = write!(
            o,
            "<text x=\"56\" y=\"130\" font-size=\"{size}\" font-weight=\"bold\" fill=\"{}\">{}</text>\n\
             <text x=\"600\" y=\"130\" font-size=\"{size}\" font-weight=\"bold\" fill=\"#333333\" text-anchor=\"middle\">→</text>\n\
             <text x=\"644\" y=\"130\" font-size=\"{size}\" font-weight=\"bold\" fill=\"{}\">{}</text>\n",
            hex(OLD_COLOUR),
            xml(&old_name),
            hex(NEW_COLOUR),
            xml(&new_name)
        );
    } else {
        let (old_name, old_size) = fit_em(&m.old.model_requested, 1088.0, 30.0, 18.0, bold_em);
        let (new_name, new_size) = fit_em(&m.new.model_requested, 1040.0, 30.0, 18.0, bold_em);
        let size = old_size.min(new_size);
        let _ = write!(
            o,
            "<text x=\"56\" y=\"108\" font-size=\"{size}\" font-weight=\"bold\" fill=\"{}\">{}</text>\n\
             <text x=\"56\" y=\"146\" font-size=\"{size}\" font-weight=\"bold\" fill=\"#333333\">→</text>\n\
             <text x=\"100\" y=\"146\" font-size=\"{size}\" font-weight=\"bold\" fill=\"{}\">{}</text>\n",
            hex(OLD_COLOUR),
            xml(&old_name),
            hex(NEW_COLOUR),
            xml(&new_name)
        );
    }
    if m.old.model_requested == m.new.model_requested {
        let mut line = format!("runs “{}” → “{}”", m.old.label, m.new.label);
        if m.old.models_reported != m.new.models_reported {
            line.push_str(&format!(
                " · reported: {} → {}",
                m.old.models_reported, m.new.models_reported
            ));
        }
        let (l, _) = fit(&line, 1088.0, 22.0, 22.0);
        let _ = write!(
            o,
            "<text x=\"56\" y=\"166\" font-size=\"22\" fill=\"#555555\">{}</text>\n",
            xml(&l)
        );
    }
    // Verdict pill.
    // Shrink a long verdict ("No clear change (some results inconclusive)") before cutting it.
    let (vt, vsize) = fit_em(&vtext, 860.0, 30.0, 22.0, 0.64);
    let pill_w = (vt.chars().count() as f64 * vsize * 0.64 + 48.0).min(1088.0);
    let _ = write!(
        o,
        "<rect x=\"56\" y=\"186\" rx=\"28\" width=\"{pill_w:.0}\" height=\"56\" fill=\"{vcolour}\"/>\n\
         <text x=\"80\" y=\"{:.0}\" font-size=\"{vsize:.0}\" font-weight=\"bold\" fill=\"#FFFFFF\">{}</text>\n",
        214.0 + vsize * 0.36,
        xml(&vt)
    );
    if m.identity.warning {
        let (t, fs) = fit_em(
            &format!("⚠ {}", m.identity.title),
            1088.0 - pill_w - 24.0,
            22.0,
            14.0,
            0.7,
        );
        let _ = write!(
            o,
            "<text x=\"{:.0}\" y=\"222\" font-size=\"{fs}\" font-weight=\"bold\" fill=\"{}\">{}</text>\n",
            56.0 + pill_w + 24.0,
            hex(VERMILLION),
            xml(&t)
        );
    }
    // Three largest changes.
    let top = m.top_changes(3);
    if top.is_empty() {
        let _ = write!(o, "<text x=\"56\" y=\"330\" font-size=\"30\" fill=\"#333333\">No dimensions were compared.</text>\n");
    }
    for (i, d) in top.iter().enumerate() {
        let y = 300.0 + i as f64 * 92.0;
        let colour = match d.verdict {
            Verdict::Changed => hex(VERMILLION),
            Verdict::Unchanged => hex(GREEN),
            Verdict::Inconclusive => hex(GREY),
        };
        let arrow = match d.arrow.as_str() {
            "↑" => "▲",
            "↓" => "▼",
            _ => "■",
        };
        // Bold labels are wider than the average glyph; a long one (e.g. "Warmth (embedding
        // direction)") shrinks before it is cut, and must end before the change figure at x=500.
        let (label, label_size) = fit_em(&d.label, 350.0, 34.0, 22.0, 0.68);
        let ci = match d.ci_pct {
            Some((lo, hi)) => format!("95% CI {lo:+.0}% to {hi:+.0}%"),
            None => truncate(&d.change_fmt, 40).0,
        };
        // The CI text must end before the verdict (right-aligned at x=1124).
        let (ci, ci_size) = fit(&ci, 330.0, 24.0, 16.0);
        let _ = write!(
            o,
            "<rect x=\"56\" y=\"{:.0}\" width=\"1088\" height=\"80\" rx=\"10\" fill=\"#F4F5F7\"/>\n\
             <text x=\"84\" y=\"{:.0}\" font-size=\"38\" fill=\"{colour}\">{arrow}</text>\n\
             <text x=\"140\" y=\"{:.0}\" font-size=\"{label_size:.0}\" font-weight=\"bold\" fill=\"#1B1B1B\">{}</text>\n\
             <text x=\"500\" y=\"{:.0}\" font-size=\"40\" font-weight=\"bold\" fill=\"{colour}\">{}</text>\n\
             <text x=\"680\" y=\"{:.0}\" font-size=\"{ci_size:.0}\" fill=\"#333333\">{}</text>\n\
             <text x=\"1124\" y=\"{:.0}\" font-size=\"22\" fill=\"{colour}\" text-anchor=\"end\">{}</text>\n",
            y - 52.0,
            y,
            y,
            xml(&label),
            y + 2.0,
            xml(&d.change_short),
            y - 2.0,
            xml(&ci),
            y - 2.0,
            xml(&d.verdict_label),
        );
    }
    // Footer: date, battery, size.
    let foot = format!(
        "{} · battery {} · {} samples per probe · persona-drift {}",
        m.date, m.battery_short, m.new.samples, m.tool_version
    );
    let (foot, _) = fit(&foot, 1088.0, 22.0, 16.0);
    let _ = write!(
        o,
        "<text x=\"56\" y=\"600\" font-size=\"22\" fill=\"#555555\">{}</text>\n</svg>\n",
        xml(&foot)
    );
    o
}

/// The card as PNG bytes, exactly 1200x630.
pub fn render_png(m: &ReportModel) -> anyhow::Result<Vec<u8>> {
    svg_to_png(&render_svg(m), 1.0)
}
