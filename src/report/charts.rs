//! Charts: plotters draws SVG (inlined in the HTML), resvg turns that SVG into PNG with the embedded
//! DejaVu Sans, so text is correct on a machine with no system fonts (plotters' own bitmap text ignores
//! glyph side bearings and looks mis-spaced).
//!
//! Every chart is a pure function of the [`ReportModel`]; colours are the Okabe-Ito palette
//! (colour-blind safe): old = blue, new = vermillion.

use super::model::{ReportModel, Verdict};
use anyhow::{anyhow, Context};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use std::sync::{Arc, Once, OnceLock};

/// DejaVu Sans (Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`).
pub const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Okabe-Ito colours.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const OLD_COLOUR: RGBColor = BLUE;
pub const NEW_COLOUR: RGBColor = VERMILLION;

/// Hex form of a colour, for CSS and hand-written SVG.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The colour of a verdict (changed = vermillion, unchanged = bluish green, inconclusive = grey).
pub fn verdict_colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Changed => VERMILLION,
        Verdict::Unchanged => GREEN,
        Verdict::Inconclusive => GREY,
    }
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are compiled in and valid; a failure here would be a build defect.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_REGULAR);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, FONT_BOLD);
    });
}

/// One rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `charts/`, e.g. `radar`.
    pub id: String,
    pub title: String,
    /// A sentence describing what the chart shows, for screen readers and `<title>`/`<desc>`.
    pub alt: String,
    /// The SVG document (with `<title>`, `<desc>`, `role="img"`).
    pub svg: String,
    pub width: u32,
    pub height: u32,
}

/// Every chart the model has data for, in display order.
pub fn render_all(model: &ReportModel) -> anyhow::Result<Vec<Chart>> {
    let mut out = Vec::new();
    if !model.dimensions.is_empty() {
        out.push(radar(model)?);
        out.push(forest(model)?);
    }
    if !model.distributions.is_empty() {
        out.push(distributions(model)?);
    }
    if !model.heatmap.rows.is_empty() && !model.heatmap.columns.is_empty() {
        out.push(heatmap(model)?);
    }
    if model.by_turn.points.len() >= 2 {
        out.push(by_turn(model)?);
    }
    if let Some(e) = &model.embedding {
        if !e.probes.is_empty() {
            out.push(embedding_drift(model)?);
        }
    }
    Ok(out)
}

fn finish_svg(raw: String, title: &str, alt: &str) -> String {
    // Insert an accessible name right after the opening <svg ...> tag.
    let esc = super::escape::html;
    let Some(end) = raw.find('>') else {
        return raw;
    };
    let (head, tail) = raw.split_at(end);
    format!(
        "{head} role=\"img\" aria-label=\"{}\"><title>{}</title><desc>{}</desc>{}",
        esc(alt),
        esc(title),
        esc(alt),
        &tail[1..]
    )
}

fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing chart: {e:?}")
}

fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// Radar of the dimensions, new as a percentage of old (old is the 100% ring).
pub fn radar(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let (w, h) = (640u32, 560u32);
    let mut svg = String::new();
    let dims = &model.dimensions;
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let title = format!(
            "Dimensions: {} (new) as % of {} (old)",
            model.new.label, model.old.label
        );
        root.draw(&Text::new(title, (16, 10), font(17.0)))
            .map_err(plot_err)?;
        let (cx, cy, r) = (w as f64 / 2.0, h as f64 / 2.0 + 22.0, 190.0);
        let n = dims.len().max(3);
        let pt = |i: usize, frac: f64| -> (i32, i32) {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n as f64;
            (
                (cx + r * frac * a.cos()).round() as i32,
                (cy + r * frac * a.sin()).round() as i32,
            )
        };
        // Rings at 50%, 100%, 150%, 200% of old (radius fraction = pct / 200).
        for pct in [50, 100, 150, 200].iter() {
            let f = *pct as f64 / 200.0;
            let ring: Vec<(i32, i32)> = (0..=n).map(|i| pt(i % n, f)).collect();
            let style = if *pct == 100 {
                GREY.stroke_width(2)
            } else {
                RGBColor(0xCC, 0xCC, 0xCC).stroke_width(1)
            };
            root.draw(&PathElement::new(ring, style)).map_err(plot_err)?;
            let (x, y) = pt(0, f);
            root.draw(&Text::new(
                format!("{pct}%"),
                (x + 4, y - 14),
                font(11.0).color(&GREY),
            ))
            .map_err(plot_err)?;
        }
        for i in 0..n {
            root.draw(&PathElement::new(
                vec![pt(i, 0.0), pt(i, 1.0)],
                RGBColor(0xDD, 0xDD, 0xDD),
            ))
            .map_err(plot_err)?;
        }
        let old_pts: Vec<(i32, i32)> = (0..dims.len()).map(|i| pt(i, 0.5)).collect();
        let new_pts: Vec<(i32, i32)> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| pt(i, d.radar_fraction.unwrap_or(0.5)))
            .collect();
        root.draw(&Polygon::new(old_pts.clone(), OLD_COLOUR.mix(0.12)))
            .map_err(plot_err)?;
        let mut closed = old_pts.clone();
        closed.push(old_pts[0]);
        root.draw(&PathElement::new(closed, OLD_COLOUR.stroke_width(2)))
            .map_err(plot_err)?;
        root.draw(&Polygon::new(new_pts.clone(), NEW_COLOUR.mix(0.18)))
            .map_err(plot_err)?;
        let mut closed = new_pts.clone();
        closed.push(new_pts[0]);
        root.draw(&PathElement::new(closed, NEW_COLOUR.stroke_width(3)))
            .map_err(plot_err)?;
        for (i, d) in dims.iter().enumerate() {
            let p = new_pts[i];
            let marker_style = if d.radar_fraction.is_some() {
                NEW_COLOUR.filled()
            } else {
                GREY.filled()
            };
            root.draw(&Circle::new(p, 4, marker_style)).map_err(plot_err)?;
            let (lx, ly) = pt(i, 1.13);
            let anchor = if (lx as f64 - cx).abs() < 10.0 {
                HPos::Center
            } else if (lx as f64) < cx {
                HPos::Right
            } else {
                HPos::Left
            };
            // Two lines (name, then change), kept inside the canvas: a long name such as
            // "Warmth (embedding direction)" on the left edge would otherwise be cut off.
            let width = |s: &str| (s.chars().count() as f64 * 7.6).ceil() as i32;
            let widest = width(&d.label).max(width(&d.change_short));
            let margin = 6;
            let lx = match anchor {
                HPos::Right => lx.max(margin + widest),
                HPos::Left => lx.min(w as i32 - margin - widest),
                HPos::Center => lx.clamp(margin + widest / 2, w as i32 - margin - widest / 2),
            };
            // The top label sits above the ring labels ("200%") on the same spoke.
            let ly = if matches!(anchor, HPos::Center) && (ly as f64) < cy {
                ly - 12
            } else {
                ly
            };
            let style = font(13.0).pos(Pos::new(anchor, VPos::Center));
            root.draw(&Text::new(d.label.clone(), (lx, ly - 8), style.clone()))
                .map_err(plot_err)?;
            root.draw(&Text::new(d.change_short.clone(), (lx, ly + 8), style))
                .map_err(plot_err)?;
        }
        // Legend.
        let ly = h as i32 - 22;
        root.draw(&Rectangle::new([(16, ly - 6), (30, ly + 6)], OLD_COLOUR.filled()))
            .map_err(plot_err)?;
        root.draw(&Text::new(
            format!("old: {}", model.old.label),
            (36, ly - 7),
            font(13.0),
        ))
        .map_err(plot_err)?;
        root.draw(&Rectangle::new(
            [(260, ly - 6), (274, ly + 6)],
            NEW_COLOUR.filled(),
        ))
        .map_err(plot_err)?;
        root.draw(&Text::new(
            format!("new: {}", model.new.label),
            (280, ly - 7),
            font(13.0),
        ))
        .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    let title = "Personality dimensions, old vs new".to_string();
    let alt = format!(
        "Radar chart of {} dimensions; the old model is the 100% ring, the new model is drawn as a percentage \
         of it: {}.",
        dims.len(),
        dims.iter().map(|d| format!("{} {}", d.label, d.change_short)).collect::<Vec<_>>().join(", ")
    );
    Ok(Chart {
        id: "radar".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

/// Forest plot: relative change of every dimension with its 95% CI, coloured by verdict.
pub fn forest(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let rows: Vec<_> = model.dimensions.iter().filter(|d| d.ci_pct.is_some()).collect();
    let (w, h) = (720u32, (110 + 34 * rows.len().max(1)) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut lo = -10.0f64;
        let mut hi = 10.0f64;
        for d in &rows {
            let (a, b) = d.ci_pct.unwrap_or((0.0, 0.0));
            lo = lo.min(a).min(d.change_pct.unwrap_or(0.0));
            hi = hi.max(b).max(d.change_pct.unwrap_or(0.0));
        }
        let pad = (hi - lo) * 0.08;
        let (lo, hi) = ((lo - pad).clamp(-100.0, -5.0), hi + pad);
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption("Change with 95% confidence interval (% of old)", font(17.0))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(170)
            .build_cartesian_2d(lo..hi, -0.5f64..(n - 0.5))
            .map_err(plot_err)?;
        let labels: Vec<String> = rows.iter().map(|d| d.label.clone()).collect();
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|y| {
                let i = (n - 1.0 - y.round()) as isize;
                if (y - y.round()).abs() < 1e-6 && i >= 0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&|x| format!("{x:+.0}%"))
            .x_desc("change relative to old")
            .label_style(font(13.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n - 0.5)],
                INK.stroke_width(1),
            )))
            .map_err(plot_err)?;
        for (i, d) in rows.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let (a, b) = d.ci_pct.unwrap_or((0.0, 0.0));
            let c = verdict_colour(d.verdict);
            if let Some(nb) = d.noise_pct {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(-nb, y - 0.32), (nb, y + 0.32)],
                        GREEN.mix(0.15).filled(),
                    )))
                    .map_err(plot_err)?;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(a, y), (b, y)],
                    c.stroke_width(3),
                )))
                .map_err(plot_err)?;
            let p = d.change_pct.unwrap_or(0.0);
            chart
                .draw_series(std::iter::once(Circle::new((p, y), 6, c.filled())))
                .map_err(plot_err)?;
        }
        root.draw(&Text::new(
            "shaded: noise band; orange = changed, green = unchanged, grey = inconclusive",
            (14, h as i32 - 16),
            font(11.0).color(&GREY),
        ))
        .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    let title = "Changes with 95% confidence intervals".to_string();
    let alt = format!(
        "Forest plot of the change of each dimension in percent of the old value with its 95% confidence \
         interval: {}.",
        rows.iter()
            .map(|d| format!("{} {} ({})", d.label, d.change_fmt, d.verdict_label))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(Chart {
        id: "forest".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

/// Distributions of key metrics: per-probe means, old vs new, as box plots with the points.
pub fn distributions(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let ds = &model.distributions;
    let panel_w = 240u32;
    let (w, h) = ((panel_w * ds.len() as u32).max(480), 400u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (top, body) = root.split_vertically(58);
        top.draw(&Text::new(
            "Distributions of key metrics (mean per probe)",
            (14, 8),
            font(17.0),
        ))
        .map_err(plot_err)?;
        top.draw(&Text::new(
            format!("left, blue: old ({})", model.old.label),
            (14, 32),
            font(13.0).color(&OLD_COLOUR),
        ))
        .map_err(plot_err)?;
        top.draw(&Text::new(
            format!("right, orange: new ({})", model.new.label),
            (250, 32),
            font(13.0).color(&NEW_COLOUR),
        ))
        .map_err(plot_err)?;
        let panels = body.split_evenly((1, ds.len().max(1)));
        for (panel, d) in panels.iter().zip(ds.iter()) {
            let all: Vec<f64> = d
                .old
                .iter()
                .chain(d.new.iter())
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let (mut lo, mut hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
            if !lo.is_finite() {
                lo = 0.0;
                hi = 1.0;
            }
            if (hi - lo).abs() < 1e-9 {
                lo -= 0.5;
                hi += 0.5;
            }
            let pad = (hi - lo) * 0.08;
            let mut chart = ChartBuilder::on(panel)
                .caption(&d.label, font(13.0))
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(48)
                .build_cartesian_2d(0f64..2f64, (lo - pad)..(hi + pad))
                .map_err(plot_err)?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
                .disable_x_mesh()
                .x_labels(0)
                .y_label_formatter(&|y| fmt_axis(*y))
                .label_style(font(11.0))
                .draw()
                .map_err(plot_err)?;
            for (k, (vals, colour)) in [(&d.old, OLD_COLOUR), (&d.new, NEW_COLOUR)]
                .into_iter()
                .enumerate()
            {
                let x = 0.5 + k as f64;
                let mut v: Vec<f64> = vals.iter().copied().filter(|v| v.is_finite()).collect();
                if v.is_empty() {
                    continue;
                }
                v.sort_by(|a, b| a.total_cmp(b));
                let q = |p: f64| quantile_sorted(&v, p);
                let (q1, med, q3) = (q(0.25), q(0.5), q(0.75));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.28, q1), (x + 0.28, q3)],
                        colour.mix(0.2).filled(),
                    )))
                    .map_err(plot_err)?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.28, q1), (x + 0.28, q3)],
                        colour.stroke_width(2),
                    )))
                    .map_err(plot_err)?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x - 0.28, med), (x + 0.28, med)],
                        colour.stroke_width(3),
                    )))
                    .map_err(plot_err)?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, v[0]), (x, q1)],
                        colour.stroke_width(1),
                    )))
                    .map_err(plot_err)?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, q3), (x, v[v.len() - 1])],
                        colour.stroke_width(1),
                    )))
                    .map_err(plot_err)?;
                // Points, jittered deterministically.
                chart
                    .draw_series(v.iter().enumerate().map(|(i, &y)| {
                        let jitter = ((i * 7919) % 97) as f64 / 97.0 * 0.36 - 0.18;
                        Circle::new((x + jitter, y), 2, colour.mix(0.7).filled())
                    }))
                    .map_err(plot_err)?;
            }
        }
        root.present().map_err(plot_err)?;
    }
    let title = "Distributions of key metrics".to_string();
    let alt = format!(
        "Box plots of per-probe means, old (blue) vs new (orange), for: {}.",
        ds.iter()
            .map(|d| format!(
                "{} (median {} vs {})",
                d.label, d.old_median_fmt, d.new_median_fmt
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Chart {
        id: "distributions".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

/// Category x dimension heatmap of relative change (blue = lower, orange = higher).
pub fn heatmap(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let hm = &model.heatmap;
    let cell_w = 78i32;
    let cell_h = 30i32;
    let left = 170i32;
    let top = 100i32;
    let w = (left + cell_w * hm.columns.len() as i32 + 20).max(520) as u32;
    let h = (top + cell_h * hm.rows.len() as i32 + 60) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        root.draw(&Text::new(
            "Change by category and dimension (% of old)",
            (14, 8),
            font(17.0),
        ))
        .map_err(plot_err)?;
        for (j, c) in hm.columns.iter().enumerate() {
            let x = left + cell_w * j as i32 + cell_w / 2;
            let style = font(12.0)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(truncate_label(c, 14), (x, top - 6), style))
                .map_err(plot_err)?;
        }
        for (i, row) in hm.rows.iter().enumerate() {
            let y = top + cell_h * i as i32;
            root.draw(&Text::new(
                truncate_label(&row.label, 22),
                (left - 8, y + cell_h / 2),
                font(12.0).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(plot_err)?;
            for (j, cell) in row.cells.iter().enumerate() {
                let x = left + cell_w * j as i32;
                let fill = match cell {
                    Some(p) => diverging(*p),
                    None => RGBColor(0xF2, 0xF2, 0xF2),
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w - 2, y + cell_h - 2)],
                    fill.filled(),
                ))
                .map_err(plot_err)?;
                let text = match cell {
                    Some(p) => format!("{p:+.0}%"),
                    None => "n/a".into(),
                };
                let ink = match cell {
                    Some(p) if p.abs() > 35.0 => WHITE,
                    _ => INK,
                };
                root.draw(&Text::new(
                    text,
                    (x + cell_w / 2 - 1, y + cell_h / 2 - 1),
                    font(12.0).color(&ink).pos(Pos::new(HPos::Center, VPos::Center)),
                ))
                .map_err(plot_err)?;
            }
        }
        let ly = h as i32 - 30;
        for k in 0..=20 {
            let p = -50.0 + k as f64 * 5.0;
            let x = left + k * 12;
            root.draw(&Rectangle::new(
                [(x, ly), (x + 12, ly + 12)],
                diverging(p).filled(),
            ))
            .map_err(plot_err)?;
        }
        root.draw(&Text::new("-50%", (left - 40, ly), font(11.0)))
            .map_err(plot_err)?;
        root.draw(&Text::new("+50%", (left + 21 * 12 + 4, ly), font(11.0)))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    let title = "Change by category and dimension".to_string();
    let alt = format!(
        "Heatmap of the relative change of {} dimensions in {} categories; blue cells are lower in the new model, \
         orange cells higher; n/a where a dimension does not apply.",
        hm.columns.len(),
        hm.rows.len()
    );
    Ok(Chart {
        id: "heatmap".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

/// Blue (-50% or less) .. white .. orange (+50% or more).
fn diverging(p: f64) -> RGBColor {
    let t = (p / 50.0).clamp(-1.0, 1.0);
    let (end, t) = if t < 0.0 { (BLUE, -t) } else { (ORANGE, t) };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(0xFF, end.0), mix(0xFF, end.1), mix(0xFF, end.2))
}

/// A metric (warmth by default) by turn index, old vs new.
pub fn by_turn(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let bt = &model.by_turn;
    let (w, h) = (640u32, 380u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let vals: Vec<f64> = bt.points.iter().flat_map(|p| [p.old, p.new]).flatten().collect();
        let (mut lo, mut hi) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            lo = 0.0;
            hi = 1.0;
        }
        if (hi - lo).abs() < 1e-9 {
            lo -= 0.5;
            hi += 0.5;
        }
        let pad = (hi - lo) * 0.12;
        let top_pad = (hi - lo) * 0.4;
        let max_turn = bt.points.iter().map(|p| p.turn).max().unwrap_or(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} by turn of the conversation", bt.metric_label),
                font(17.0),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.5f64..(max_turn + 0.5), (lo - pad)..(hi + top_pad))
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
            .x_labels(bt.points.len().min(12))
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 {
                    format!("{}", x.round())
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| fmt_axis(*y))
            .x_desc("user turn (1 = first message)")
            .y_desc(bt.unit.clone())
            .label_style(font(12.0))
            .axis_desc_style(font(12.0))
            .draw()
            .map_err(plot_err)?;
        for (get, colour, name) in [
            (
                Box::new(|p: &super::model::TurnPoint| p.old)
                    as Box<dyn Fn(&super::model::TurnPoint) -> Option<f64>>,
                OLD_COLOUR,
                format!("old: {}", model.old.label),
            ),
            (
                Box::new(|p: &super::model::TurnPoint| p.new),
                NEW_COLOUR,
                format!("new: {}", model.new.label),
            ),
        ] {
            let pts: Vec<(f64, f64)> = bt
                .points
                .iter()
                .filter_map(|p| get(p).map(|v| (p.turn as f64, v)))
                .collect();
            chart
                .draw_series(std::iter::once(PathElement::new(
                    pts.clone(),
                    colour.stroke_width(3),
                )))
                .map_err(plot_err)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 5, colour.filled())))
                .map_err(plot_err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .label_font(font(12.0))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    let title = format!("{} by turn", bt.metric_label);
    let alt = format!(
        "Line chart of {} at each user turn, old vs new: {}.",
        bt.metric_label,
        bt.points
            .iter()
            .map(|p| format!("turn {}: {} vs {}", p.turn, opt_fmt(p.old), opt_fmt(p.new)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(Chart {
        id: "by_turn".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

/// Embedding drift per probe (cross-version distance / within-version noise; 1 = noise floor).
pub fn embedding_drift(model: &ReportModel) -> anyhow::Result<Chart> {
    register_fonts();
    let Some(e) = &model.embedding else {
        return Err(anyhow!("no embedding section"));
    };
    let rows: Vec<_> = e.probes.iter().take(30).collect();
    let (w, h) = (720u32, (110 + 24 * rows.len().max(1)) as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let hi = rows.iter().map(|r| r.ratio).fold(2.0f64, f64::max) * 1.08;
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Semantic drift per probe (1 = the model's own run-to-run noise)",
                font(16.0),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..hi, -0.5f64..(n - 0.5))
            .map_err(plot_err)?;
        let labels: Vec<String> = rows.iter().map(|r| truncate_label(&r.probe_id, 26)).collect();
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|y| {
                let i = (n - 1.0 - y.round()) as isize;
                if (y - y.round()).abs() < 1e-6 && i >= 0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc("cross-version distance / within-version distance")
            .label_style(font(11.0))
            .axis_desc_style(font(12.0))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, -0.5), (1.0, n - 0.5)],
                GREEN.mix(0.12).filled(),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(1.0, -0.5), (1.0, n - 0.5)],
                GREEN.stroke_width(2),
            )))
            .map_err(plot_err)?;
        for (i, r) in rows.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let c = verdict_colour(r.verdict);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, y), (r.ratio, y)],
                    c.mix(0.5).stroke_width(2),
                )))
                .map_err(plot_err)?;
            chart
                .draw_series(std::iter::once(Circle::new((r.ratio, y), 5, c.filled())))
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    let title = "Semantic drift per probe".to_string();
    let alt = format!(
        "Dot plot of semantic drift for {} probes relative to the noise floor of 1; {} of them are marked changed.",
        rows.len(),
        rows.iter().filter(|r| r.verdict == Verdict::Changed).count()
    );
    Ok(Chart {
        id: "embedding_drift".into(),
        svg: finish_svg(svg, &title, &alt),
        title,
        alt,
        width: w,
        height: h,
    })
}

fn opt_fmt(v: Option<f64>) -> String {
    v.map(super::model::fmt_num).unwrap_or_else(|| "n/a".into())
}

fn fmt_axis(y: f64) -> String {
    if y.abs() >= 100.0 {
        format!("{y:.0}")
    } else if y.abs() >= 10.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
}

fn truncate_label(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    if v.len() == 1 {
        return v[0];
    }
    let pos = p * (v.len() - 1) as f64;
    let i = pos.floor() as usize;
    let f = pos - i as f64;
    if i + 1 < v.len() {
        v[i] * (1.0 - f) + v[i + 1] * f
    } else {
        v[i]
    }
}

fn font_options() -> &'static resvg::usvg::Options<'static> {
    static OPTS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTS.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(FONT_REGULAR.to_vec());
        db.load_font_data(FONT_BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        db.set_serif_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans");
        resvg::usvg::Options {
            font_family: "DejaVu Sans".into(),
            fontdb: Arc::new(db),
            ..Default::default()
        }
    })
}

/// Render an SVG document to PNG bytes at `scale` (2.0 for crisp charts), using only the embedded fonts.
pub fn svg_to_png(svg: &str, scale: f32) -> anyhow::Result<Vec<u8>> {
    let tree = resvg::usvg::Tree::from_str(svg, font_options()).context("parsing chart SVG")?;
    let size = tree.size().to_int_size().scale_by(scale).context("chart size")?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| anyhow!("chart too large: {}x{}", size.width(), size.height()))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("encoding PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_text_renders_with_embedded_font() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50" viewBox="0 0 200 50"><text x="10" y="35" font-family="sans-serif" font-size="30">Hello</text></svg>"#;
        let png = svg_to_png(svg, 1.0).unwrap();
        let img = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        let dark = img.pixels().iter().filter(|p| p.red() < 128).count();
        assert!(dark > 100, "text drew {dark} dark pixels");
    }

    #[test]
    fn diverging_is_white_at_zero_and_saturates() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(-80.0), BLUE);
        assert_eq!(diverging(80.0), ORANGE);
    }

    #[test]
    fn quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
    }
}
