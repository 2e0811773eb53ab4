//! CSV (and TSV) rows with a header line. Quoted fields may hold commas, quotes (`""`) and
//! line breaks. The delimiter is `--delimiter`, else tab for `.tsv`, else sniffed from the header
//! line (comma, semicolon or tab, whichever occurs most outside quotes).

use super::tabular::{self, parse_extras, resolve, Row};
use super::{ImportOptions, Sink};
use crate::error;
use std::collections::BTreeMap;

/// Import a CSV file; returns the fields used (logical -> column).
pub fn import(opts: &ImportOptions, sink: &mut Sink) -> anyhow::Result<BTreeMap<String, String>> {
    let bytes =
        std::fs::read(&opts.file).map_err(|e| error::usage(format!("{}: {e}", opts.file.display())))?;
    let name = opts.file.display().to_string();
    let delimiter = opts.delimiter.unwrap_or_else(|| {
        let is_tsv = opts
            .file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        if is_tsv {
            b'\t'
        } else {
            sniff_delimiter(&bytes)
        }
    });
    let (rows, fields) = read_rows(&bytes, &name, &opts.fields, delimiter)?;
    tabular::emit(rows, opts, "import", sink)?;
    Ok(fields)
}

/// Comma, semicolon or tab: whichever occurs most in the header line outside quotes.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes.iter().take(64 * 1024) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let cands = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        cands[best]
    }
}

/// Parse CSV bytes into rows. Never panics; every error names `name:line`.
pub fn read_rows(
    bytes: &[u8],
    name: &str,
    map: &super::FieldMap,
    delimiter: u8,
) -> anyhow::Result<(Vec<Row>, BTreeMap<String, String>)> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(name, bytes, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(error::usage(format!(
            "{name}:1: no header line; the first line must name the columns (e.g. prompt,response,model)"
        )));
    }
    let resolved = resolve(&headers, map, name)?;
    let col = |logical: &str| -> Option<usize> {
        resolved
            .get(logical)
            .and_then(|n| headers.iter().position(|h| h == n))
    };
    let cols: BTreeMap<&str, usize> = [
        "prompt",
        "response",
        "model",
        "conversation",
        "turn",
        "timestamp",
        "sample",
        "category",
        "system",
    ]
    .into_iter()
    .filter_map(|l| col(l).map(|i| (l, i)))
    .collect();
    let mut rows = Vec::new();
    // Lines counted from byte offsets (the csv crate's own line count is off after a CRLF header).
    let (mut last_byte, mut last_line) = (0usize, 1usize);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(name, bytes, &e))?;
        let mut byte = rec
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(last_byte)
            .min(bytes.len());
        // After CRLF the reported start can sit on the line break itself.
        while byte < bytes.len() && (bytes[byte] == b'\r' || bytes[byte] == b'\n') {
            byte += 1;
        }
        if byte >= last_byte {
            last_line += bytes[last_byte..byte].iter().filter(|&&b| b == b'\n').count();
            last_byte = byte;
        }
        let line = last_line;
        let get = |l: &str| cols.get(l).and_then(|&i| rec.get(i)).map(|s| s.to_string());
        let opt = |l: &str| get(l).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let at = format!("{name}:{line}");
        let (turn, timestamp, sample) = parse_extras(
            &at,
            get("turn").as_deref(),
            get("timestamp").as_deref(),
            get("sample").as_deref(),
        )?;
        rows.push(Row {
            line,
            prompt: normalise_newlines(&get("prompt").unwrap_or_default()),
            response: normalise_newlines(&get("response").unwrap_or_default()),
            model: opt("model"),
            conversation: opt("conversation"),
            turn,
            timestamp,
            sample,
            category: opt("category"),
            system: opt("system").map(|s| normalise_newlines(&s)),
        });
    }
    let fields = resolved.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Ok((rows, fields))
}

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n")
}

fn csv_error(name: &str, bytes: &[u8], e: &::csv::Error) -> anyhow::Error {
    let line = e
        .position()
        .map(|p| {
            let mut b = (p.byte() as usize).min(bytes.len());
            while b < bytes.len() && (bytes[b] == b'\r' || bytes[b] == b'\n') {
                b += 1;
            }
            1 + bytes[..b].iter().filter(|&&c| c == b'\n').count()
        })
        .unwrap_or(0);
    let msg = match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} field(s) but the header has {expected_len}; a field with a comma, quote or \
             line break must be in double quotes (\"...\", with \"\" for a quote inside)"
        ),
        ::csv::ErrorKind::Utf8 { err, .. } => {
            format!(
                "not valid UTF-8 (field {}); save the file as UTF-8",
                err.field() + 1
            )
        }
        ::csv::ErrorKind::Io(err) => format!("cannot read: {err}"),
        _ => e.to_string(),
    };
    if line > 0 {
        error::usage(format!("{name}:{line}: {msg}"))
    } else {
        error::usage(format!("{name}: {msg}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::FieldMap;
    use proptest::prelude::*;

    #[test]
    fn quoted_multiline_fields_and_aliases() {
        let data = "model,id,query,answer\r\ngpt-4o,q1,\"Hi,\nthere\",\"Hello \"\"friend\"\"\nsecond line\"\r\ngpt-5,q1,hi,yo\n";
        let (rows, fields) = read_rows(data.as_bytes(), "t.csv", &FieldMap::default(), b',').unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].prompt, "Hi,\nthere");
        assert_eq!(rows[0].response, "Hello \"friend\"\nsecond line");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 5);
        assert_eq!(rows[1].model.as_deref(), Some("gpt-5"));
        assert_eq!(fields["prompt"], "query");
        assert_eq!(fields["conversation"], "id");
    }

    #[test]
    fn bom_and_semicolons() {
        let data = "\u{feff}Prompt;Response\n\"a;b\";c\n";
        assert_eq!(sniff_delimiter(data.as_bytes()), b';');
        let (rows, _) = read_rows(data.as_bytes(), "t.csv", &FieldMap::default(), b';').unwrap();
        assert_eq!(rows[0].prompt, "a;b");
    }

    #[test]
    fn errors_name_file_and_line() {
        let data = "prompt,response\na,b\nc,d,e\n";
        let e = read_rows(data.as_bytes(), "t.csv", &FieldMap::default(), b',')
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv:3: this row has 3 field(s) but the header has 2"),
            "{e}"
        );
        let e = read_rows(b"a,b\n1,2\n", "t.csv", &FieldMap::default(), b',')
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no prompt column") && e.contains("the columns are: a, b"),
            "{e}"
        );
        let map = FieldMap {
            prompt: Some("nope".into()),
            ..Default::default()
        };
        let e = read_rows(b"prompt,response\n1,2\n", "t.csv", &map, b',')
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column named \"nope\""), "{e}");
        let e = read_rows(
            b"prompt,response,turn\n1,2,x\n",
            "t.csv",
            &FieldMap::default(),
            b',',
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "t.csv:2: turn \"x\" is not a number");
        let e = read_rows(b"prompt,response\n\xff,2\n", "t.csv", &FieldMap::default(), b',')
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv:2: not valid UTF-8"), "{e}");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_rows(&bytes, "fuzz.csv", &FieldMap::default(), sniff_delimiter(&bytes));
        }

        #[test]
        fn never_panics_on_csvish_text(s in "[a-z,\"\n\r;\t0-9 ]{0,300}") {
            let with_header = format!("prompt,response,turn,timestamp,id,model\n{s}");
            let _ = read_rows(with_header.as_bytes(), "fuzz.csv", &FieldMap::default(), b',');
        }
    }
}
