//! `junit.xml`: one test case per `--fail-on` gate; a fired gate is a failure. With no gates, one
//! test case records that no gate was configured (so CI shows the report ran).

use super::escape::xml;
use super::model::ReportModel;
use std::fmt::Write;

/// Render `junit.xml`. Pure.
pub fn render(m: &ReportModel) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests = m.gates.len().max(1);
    let failures = m.gates.iter().filter(|g| g.fired).count();
    let suite = format!("persona-drift: {} vs {}", m.old.label, m.new.label);
    let _ = writeln!(
        o,
        "<testsuites name=\"persona-drift\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        o,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" timestamp=\"{}\">",
        xml(&suite),
        xml(&m.created_at)
    );
    o.push_str("    <properties>\n");
    for (k, v) in [
        ("old_model", &m.old.model_requested),
        ("new_model", &m.new.model_requested),
        ("battery", &m.battery_short),
        ("verdict", &m.overall_label),
    ] {
        let _ = writeln!(o, "      <property name=\"{}\" value=\"{}\"/>", xml(k), xml(v));
    }
    o.push_str("    </properties>\n");
    if m.gates.is_empty() {
        o.push_str("    <testcase classname=\"persona-drift.gates\" name=\"no gates configured\"/>\n");
    }
    for g in &m.gates {
        let _ = write!(
            o,
            "    <testcase classname=\"persona-drift.gates\" name=\"{}\"",
            xml(&g.rule)
        );
        if g.fired {
            let _ = writeln!(
                o,
                ">\n      <failure message=\"{}\" type=\"drift\">{}</failure>\n    </testcase>",
                xml(&g.message),
                xml(&g.message)
            );
        } else {
            let _ = writeln!(
                o,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml(&g.message)
            );
        }
    }
    let _ = writeln!(o, "    <system-out>{}</system-out>", xml(&m.headline));
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}
