//! write_reports end to end: every format, PNGs decoded and checked for size and drawn content.
//! Set PERSONA_DRIFT_KEEP_REPORT=DIR to keep the output for inspection.

mod report_fixture;

use persona_drift::report::{write_reports, Format, ReportModel};
use std::path::{Path, PathBuf};

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var("PERSONA_DRIFT_KEEP_REPORT") {
        Ok(d) => (None, PathBuf::from(d)),
        Err(_) => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().join("reports").join("before-vs-after");
            (Some(t), p)
        }
    }
}

struct Decoded {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

fn decode(path: &Path) -> Decoded {
    let file = std::fs::File::open(path).unwrap();
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    // Normalise to RGBA.
    let rgba = if channels == 4 {
        buf
    } else {
        buf.chunks(channels)
            .flat_map(|p| [p[0], p[1.min(channels - 1)], p[2.min(channels - 1)], 255])
            .collect()
    };
    Decoded {
        width: info.width,
        height: info.height,
        rgba,
    }
}

/// Share of pixels in a region that are not (near) white, and the number of distinct colours there.
fn ink(d: &Decoded, x0: u32, y0: u32, x1: u32, y1: u32) -> (f64, usize) {
    let mut inked = 0usize;
    let mut colours = std::collections::BTreeSet::new();
    let mut total = 0usize;
    for y in y0..y1.min(d.height) {
        for x in x0..x1.min(d.width) {
            let i = ((y * d.width + x) * 4) as usize;
            let p = &d.rgba[i..i + 3];
            total += 1;
            if p.iter().any(|&c| c < 235) {
                inked += 1;
            }
            colours.insert((p[0] / 16, p[1] / 16, p[2] / 16));
        }
    }
    (inked as f64 / total.max(1) as f64, colours.len())
}

#[test]
fn every_format_is_written_and_pngs_are_drawn() {
    let (_keep, out) = out_dir();
    let c = report_fixture::comparison(false);
    let model = ReportModel::build(&c, &report_fixture::inputs(false)).unwrap();
    let formats = Format::parse_list("html,png,md,json,csv,junit").unwrap();
    let written = write_reports(&model, &out, &formats).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    for expected in [
        "index.html",
        "card.png",
        "charts/radar.png",
        "charts/radar.svg",
        "charts/forest.png",
        "charts/distributions.png",
        "charts/heatmap.png",
        "charts/by_turn.png",
        "charts/embedding_drift.png",
        "summary.md",
        "comparison.json",
        "replies.csv",
        "junit.xml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
        assert!(
            out.join(expected).metadata().unwrap().len() > 100,
            "{expected} is nearly empty"
        );
    }
    // No temporary files left behind.
    assert!(!std::fs::read_dir(&out).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));

    // The card: exactly 1200x630, with ink in the title band, the verdict pill and the three change rows.
    let card = decode(&out.join("card.png"));
    assert_eq!((card.width, card.height), (1200, 630));
    let (title_ink, _) = ink(&card, 56, 90, 1144, 140);
    assert!(title_ink > 0.03, "model names not drawn: {title_ink}");
    let (pill_ink, _) = ink(&card, 56, 186, 300, 242);
    assert!(pill_ink > 0.5, "verdict pill not drawn: {pill_ink}");
    for row in 0..3u32 {
        let y = 248 + row * 92;
        let (row_ink, colours) = ink(&card, 56, y + 5, 1144, y + 75);
        assert!(
            row_ink > 0.04 && colours >= 4,
            "change row {row} blank: {row_ink} {colours}"
        );
    }

    // Charts: rendered at 2x, with a real share of drawn pixels and several colours (old and new).
    for chart in [
        "radar",
        "forest",
        "distributions",
        "heatmap",
        "by_turn",
        "embedding_drift",
    ] {
        let d = decode(&out.join(format!("charts/{chart}.png")));
        assert!(
            d.width >= 800 && d.height >= 400,
            "{chart}: {}x{}",
            d.width,
            d.height
        );
        let (share, colours) = ink(&d, 0, 0, d.width, d.height);
        assert!(share > 0.02 && share < 0.9, "{chart}: ink share {share}");
        assert!(colours >= 6, "{chart}: only {colours} colours");
        let svg = std::fs::read_to_string(out.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(
            svg.contains("<title>") && svg.contains("role=\"img\""),
            "{chart}: no accessible title"
        );
    }

    // A subset of formats writes only those files.
    let (_t2, out2) = out_dir();
    let out2 = out2.with_file_name("md-only");
    let w = write_reports(&model, &out2, &Format::parse_list("md,json").unwrap()).unwrap();
    assert_eq!(w.len(), 2);
    assert!(!out2.join("index.html").exists());
}

#[test]
fn card_text_uses_the_embedded_font_and_is_escaped() {
    let mut c = report_fixture::comparison(false);
    c.new.model_requested = "<b>evil & \"model\"</b>".into();
    let model = ReportModel::build(&c, &Default::default()).unwrap();
    let svg = persona_drift::report::card::render_svg(&model);
    assert!(
        svg.contains("&lt;b&gt;evil &amp; &quot;model&quot;&lt;/b&gt;"),
        "{svg}"
    );
    assert!(!svg.contains("<b>"));
    let png = persona_drift::report::card::render_png(&model).unwrap();
    assert!(png.len() > 10_000);
}

#[test]
fn unwritable_output_directory_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let model = ReportModel::build(&report_fixture::comparison(false), &Default::default()).unwrap();
    let err = write_reports(&model, &file.join("sub"), &[Format::Md]).unwrap_err();
    assert_eq!(
        persona_drift::error::exit_code(&err),
        persona_drift::error::Exit::Usage
    );
    assert!(format!("{err:#}").contains("a-file"), "{err:#}");
}

#[test]
fn an_empty_comparison_still_renders_every_format() {
    let mut c = report_fixture::comparison(false);
    c.metrics.clear();
    c.breakdowns = Default::default();
    c.most_changed.clear();
    c.gates.clear();
    c.old.battery_hash = None;
    c.new.battery_hash = None;
    c.embedding = Some(persona_drift::compare::model::EmbeddingComparison {
        model: "all-MiniLM-L6-v2".into(),
        ratio: Some(1.4),
        ..Default::default()
    });
    let model = ReportModel::build(&c, &Default::default()).unwrap();
    assert_eq!(model.overall_label, "No dimensions compared");
    assert!(model.embedding.as_ref().unwrap().summary.contains("1.40×"));
    let t = tempfile::tempdir().unwrap();
    let written = write_reports(&model, t.path(), &Format::ALL).unwrap();
    assert!(written.iter().any(|p| p.ends_with("card.png")));
    let card = decode(&t.path().join("card.png"));
    assert_eq!((card.width, card.height), (1200, 630));
    let junit = std::fs::read_to_string(t.path().join("junit.xml")).unwrap();
    assert!(junit.contains("no gates configured") && junit.contains("failures=\"0\""));
    let html = std::fs::read_to_string(t.path().join("index.html")).unwrap();
    assert!(html.contains("Limits: what this report cannot see"));
}
