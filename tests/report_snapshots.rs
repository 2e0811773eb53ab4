//! insta snapshots of the text renderers on a fixed comparison, plus the headline's rules.

mod report_fixture;

use persona_drift::report::{csv, junit, markdown, ReportInputs, ReportModel};

fn model() -> ReportModel {
    let c = report_fixture::comparison(false);
    let inputs = ReportInputs {
        replies: report_fixture::replies(false),
        ..Default::default()
    };
    ReportModel::build(&c, &inputs).unwrap()
}

#[test]
fn markdown_summary_snapshot() {
    insta::assert_snapshot!("summary_md", markdown::render(&model()));
}

#[test]
fn comparison_json_snapshot() {
    let m = model();
    // comparison.json is the Comparison serialised as is: it must round-trip.
    let back: persona_drift::compare::model::Comparison = serde_json::from_str(&m.comparison_json).unwrap();
    assert_eq!(
        back.metrics.len(),
        report_fixture::comparison(false).metrics.len()
    );
    let direct = serde_json::to_string_pretty(&report_fixture::comparison(false)).unwrap() + "\n";
    assert!(
        direct == m.comparison_json,
        "comparison.json is not the Comparison serialised as is"
    );
    insta::assert_snapshot!("comparison_json", m.comparison_json);
}

#[test]
fn replies_csv_snapshot() {
    insta::assert_snapshot!("replies_csv", csv::render(&model()));
}

#[test]
fn junit_snapshot() {
    let x = junit::render(&model());
    assert!(x.contains("tests=\"2\" failures=\"1\""));
    insta::assert_snapshot!("junit_xml", x);
}

#[test]
fn headline_reports_only_changed_as_changes() {
    let m = model();
    let first = &m.headline_sentences[0];
    assert!(first.contains("23% less warm (95% CI 15–31%)"), "{first}");
    assert!(first.contains("41% shorter"), "{first}");
    assert!(first.contains("fewer questions"), "{first}");
    // Unchanged said as unchanged; inconclusive said as such, never as a change.
    assert!(
        m.headline
            .contains("remembers what you told it about as well as before"),
        "{}",
        m.headline
    );
    assert!(
        m.headline
            .contains("cannot yet tell whether it got more formal or casual"),
        "{}",
        m.headline
    );
    assert!(!first.contains("formal"), "{first}");
    assert_eq!(m.overall_label, "Changed: 3 of 6 dimensions");
    assert!(m.identity.warning);
}

#[test]
fn headline_when_nothing_changed() {
    let mut c = report_fixture::comparison(false);
    for m in &mut c.metrics {
        m.stats.verdict = persona_drift::compare::model::Verdict::Unchanged;
    }
    c.identity.status = persona_drift::compare::model::IdentityStatus::SameNameSameModel;
    c.identity.prominent = false;
    let m = ReportModel::build(&c, &ReportInputs::default()).unwrap();
    assert_eq!(m.overall_label, "No change detected");
    assert!(m.headline.contains("no personality change"), "{}", m.headline);
    assert!(m.headline.contains("about as warm as before"), "{}", m.headline);
    assert!(!m.identity.warning);
    assert!(m.identity.title.contains("same reported model"));
}
