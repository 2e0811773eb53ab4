//! The only places where untrusted text (model output, probe ids, labels from run data) becomes markup.
//! Every renderer goes through these functions; none formats raw text into markup.

use std::fmt;

/// Escape text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in HTML text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `Display` wrapper that HTML-escapes, for use inside `format!`.
pub struct H<'a>(pub &'a str);

impl fmt::Display for H<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&html(self.0))
    }
}

/// Make text inert inside GitHub-flavoured Markdown, including inside a table cell: HTML tags and
/// entities become literal text, link/image/emphasis/code syntax is backslash-escaped, pipes cannot
/// split a cell, newlines cannot end a row, and `scheme:` URLs cannot autolink.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    let chars: Vec<char> = s.chars().collect();
    let mut prev_ws = false;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\r' | '\n' | '\t' => {
                if !prev_ws {
                    out.push(' ');
                }
                prev_ws = true;
                continue;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            // `scheme:rest` (javascript:, https://) must not autolink; "word: text" stays readable.
            ':' if i > 0
                && chars[i - 1].is_ascii_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) =>
            {
                out.push_str("&#58;")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // Only at the start can these open a heading, list or block quote.
            '-' | '+' | '#' | '=' if out.trim().is_empty() => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
        prev_ws = false;
    }
    out
}

/// One CSV text cell (RFC 4180 quoting), with spreadsheet formula injection neutralised: a cell that
/// starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
pub fn csv_text(s: &str) -> String {
    let neutral = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) || neutral.starts_with(' ') || neutral.ends_with(' ') {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One CSV numeric cell: plain number, empty when missing or not finite.
pub fn csv_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x == x.trunc() && x.abs() < 1e15 {
                format!("{}", x as i64)
            } else {
                format!("{x}")
            }
        }
        _ => String::new(),
    }
}

/// Escape for XML text and attribute values; characters XML 1.0 forbids are replaced.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Shorten text to at most `max` characters, on a char boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s.to_string(), false);
    }
    let mut end = 0;
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n == max {
            end = i;
            break;
        }
        end = i + c.len_utf8();
    }
    if end >= s.len() {
        return (s.to_string(), false);
    }
    (format!("{}…", &s[..end]), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn html_escapes_payloads() {
        assert_eq!(
            html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            html("<img src=x onerror=\"a\">"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;"
        );
        assert_eq!(html("a'b&c"), "a&#39;b&amp;c");
    }

    #[test]
    fn markdown_neutralises_links_tags_and_tables() {
        let m = markdown("[x](javascript:alert(1)) <b>hi</b> | next\nrow");
        assert!(!m.replace("\\]", "").contains("]("), "{m}");
        assert!(!m.contains("javascript:"), "{m}");
        assert!(!m.contains('<'));
        assert!(!m.contains('|'));
        assert!(!m.contains('\n'));
        assert_eq!(markdown("-1"), "\\-1");
    }

    #[test]
    fn csv_neutralises_formulas() {
        assert_eq!(csv_text("=1+2"), "'=1+2");
        assert_eq!(csv_text("+1"), "'+1");
        assert_eq!(csv_text("-1"), "'-1");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("\tx"), "'\tx");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_num(Some(-3.0)), "-3");
        assert_eq!(csv_num(Some(0.25)), "0.25");
        assert_eq!(csv_num(None), "");
        assert_eq!(csv_num(Some(f64::NAN)), "");
    }

    #[test]
    fn truncate_on_char_boundary() {
        assert_eq!(truncate("héllo", 2), ("hé…".to_string(), true));
        assert_eq!(truncate("abc", 3), ("abc".to_string(), false));
        assert_eq!(truncate("你好世界", 4), ("你好世界".to_string(), false));
    }

    proptest! {
        #[test]
        fn html_output_has_no_markup(s in ".*") {
            let e = html(&s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
        }

        #[test]
        fn markdown_output_cannot_break_a_table(s in ".*") {
            let e = markdown(&s);
            prop_assert!(!e.contains('|') && !e.contains('\n') && !e.contains('<'));
            prop_assert!(!e.replace("\\\\", "").replace("\\]", "").contains("]("));
        }

        #[test]
        fn csv_text_round_trips_one_cell(s in ".*") {
            let e = csv_text(&s);
            let content = if e.starts_with('"') {
                prop_assert!(e.ends_with('"') && e.len() >= 2);
                let inner = &e[1..e.len() - 1];
                prop_assert!(!inner.replace("\"\"", "").contains('"'));
                inner.replace("\"\"", "\"")
            } else {
                prop_assert!(!e.contains([',', '"', '\n', '\r']));
                e.clone()
            };
            prop_assert!(!matches!(content.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')));
            let prefixed = format!("'{}", s);
            prop_assert!(content == s || content == prefixed);
        }
    }
}
