//! docs/metrics.md lists every metric of the registry, with its languages, version and noise.
//! Regenerate the table after changing the registry: `UPDATE_DOCS=1 cargo test --test score_docs`.

use persona_drift::score::{metrics, MetricKind};

const MARK: &str = "<!-- metrics-table -->";

fn table() -> String {
    let mut s = String::from(
        "\n| id | kind | label | unit | languages | version | default noise | description |\n|---|---|---|---|---|---|---|---|\n",
    );
    for m in metrics() {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            m.id,
            if m.kind == MetricKind::Dimension {
                "dimension"
            } else {
                "raw"
            },
            m.label.replace('|', "\\|"),
            m.unit,
            m.languages.join(" "),
            m.version,
            m.default_noise,
            m.description.replace('|', "\\|"),
        ));
    }
    s
}

#[test]
fn docs_list_every_metric() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let head = &doc[..doc.find(MARK).expect("marker in docs/metrics.md") + MARK.len()];
    let want = format!("{head}\n{}", table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        doc == want,
        "docs/metrics.md is out of date: run UPDATE_DOCS=1 cargo test --test score_docs"
    );
    for m in metrics() {
        assert!(doc.contains(&format!("`{}`", m.id)), "{} not documented", m.id);
    }
}
