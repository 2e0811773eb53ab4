//! Model output is untrusted: injection payloads and a 1 MB single line must appear as text and break
//! nothing, in HTML, Markdown and CSV (and in chart labels).

mod report_fixture;

use persona_drift::report::{charts, csv, html, markdown, ReportModel};
use report_fixture::{IMG, JSLINK, SCRIPT, TEXTAREA};

const MB: usize = 1 << 20;

fn hostile_model() -> ReportModel {
    let mut c = report_fixture::comparison(true);
    // A 1 MB single line as the new model's typical reply, and payloads in labels from run data.
    c.most_changed[1].new_reply.as_mut().unwrap().text = "A".repeat(MB);
    c.old.label = format!("old{SCRIPT}");
    c.gates[0].rule = format!("warmth < -10% {IMG}");
    ReportModel::build(&c, &report_fixture::inputs(true)).unwrap()
}

/// Parse RFC 4180 CSV (CRLF rows, quoted fields) into rows of fields.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' if field.is_empty() => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' if chars.peek() == Some(&'\n') => {
                    chars.next();
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                c => field.push(c),
            }
        }
    }
    assert!(!quoted, "unterminated quoted field");
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[test]
fn html_shows_payloads_as_text_only() {
    let m = hostile_model();
    let charts = charts::render_all(&m).unwrap();
    let page = html::render(&m, &charts);
    let lower = page.to_ascii_lowercase();
    for bad in [
        "<script",
        "<img",
        "</textarea",
        "<iframe",
        "<object",
        "<embed",
        "<link",
        "href=",
        "src=\"",
        "<b>cat",
    ] {
        assert!(!lower.contains(bad), "raw {bad:?} in the page");
    }
    // No element carries an event handler attribute.
    let re = regex::Regex::new(r"<[a-zA-Z][^>]*\son[a-z]+\s*=").unwrap();
    assert!(
        !re.is_match(&page),
        "event handler attribute: {:?}",
        re.find(&page)
    );
    // The payloads are there, as text.
    for text in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;/textarea&gt;",
        "[x](javascript:alert(1))",
        "old&lt;script&gt;",
        "&lt;b&gt;cat&lt;/b&gt;",
    ] {
        assert!(page.contains(text), "{text:?} not shown as text");
    }
    // The 1 MB line is shortened with a note, and the page stays a sane size.
    assert!(page.contains(&format!("the full reply has {MB} characters")));
    assert!(page.len() < 600_000, "page is {} bytes", page.len());
    // Structure is intact: every div and table that opens, closes.
    for tag in ["div", "table", "section", "article", "figure", "svg"] {
        let open = page.matches(&format!("<{tag}")).count();
        let close = page.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} closed {close}");
    }
    assert!(page.contains(html::CSP));
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn markdown_neutralises_live_content() {
    let m = hostile_model();
    let md = markdown::render(&m);
    let lower = md.to_ascii_lowercase();
    for bad in ["<script", "<img", "</textarea", "](javascript", "javascript:"] {
        assert!(!lower.contains(bad), "live {bad:?} in markdown:\n{md}");
    }
    // Table rows keep exactly the header's 7 pipes.
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 8, "{md}");
    for r in &rows {
        assert_eq!(r.matches('|').count(), 7, "broken row: {r}");
    }
    assert!(md.len() < 20_000, "summary.md is {} bytes", md.len());
    // Still says what it must.
    assert!(md.contains("less warm"));
}

#[test]
fn csv_keeps_every_reply_and_defuses_formulas() {
    let m = hostile_model();
    let text = csv::render(&m);
    let rows = parse_csv(&text);
    let header = &rows[0];
    assert_eq!(rows.len(), 1 + m.replies.len());
    for r in &rows {
        assert_eq!(r.len(), header.len(), "row with {} fields", r.len());
    }
    let reply_col = header.iter().position(|h| h == "reply").unwrap();
    let warmth_col = header.iter().position(|h| h == "dim.warmth").unwrap();
    let replies: Vec<&String> = rows[1..].iter().map(|r| &r[reply_col]).collect();
    for payload in [SCRIPT, IMG, TEXTAREA, JSLINK] {
        assert!(
            replies.iter().any(|r| r.as_str() == payload),
            "{payload} not kept verbatim"
        );
    }
    assert!(replies.iter().any(|r| r.len() == MB), "1 MB reply not kept whole");
    for formula in ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tTAB"] {
        assert!(
            replies.iter().any(|r| **r == format!("'{formula}")),
            "{formula:?} not neutralised"
        );
        assert!(!replies.iter().any(|r| r.as_str() == formula));
    }
    // Prompt cells are text too; numeric cells stay numeric (a negative number is not prefixed).
    assert!(rows[1..]
        .iter()
        .all(|r| r[header.iter().position(|h| h == "prompt").unwrap()] == "How are you, =today?"));
    assert_eq!(rows[1][warmth_col], "-1.5");
    assert!(rows[1..].iter().all(|r| r[warmth_col].parse::<f64>().is_ok()));
}
