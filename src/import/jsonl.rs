//! JSONL: one JSON object per line. Two shapes:
//!
//! - a prompt/response pair per line, with the same field mapping as CSV; field names may be
//!   dotted paths into nested objects (`--response-field output.text`); ids and turns may be
//!   numbers or strings;
//! - a whole conversation per line as a `messages` array of `{role, content}` (the chat
//!   fine-tuning format), with optional `model` and `id` fields.

use super::tabular::{self, parse_extras, resolve, Row, ALIASES};
use super::{prompt_id, FieldMap, ImportOptions, Sink};
use crate::error;
use serde_json::Value;
use std::collections::BTreeMap;

pub fn import(opts: &ImportOptions, sink: &mut Sink) -> anyhow::Result<BTreeMap<String, String>> {
    let bytes =
        std::fs::read(&opts.file).map_err(|e| error::usage(format!("{}: {e}", opts.file.display())))?;
    let name = opts.file.display().to_string();
    let (rows, fields, skipped) = read_rows(&bytes, &name, &opts.fields)?;
    for (k, v) in skipped {
        sink.skip(&k, v);
    }
    tabular::emit(rows, opts, "import", sink)?;
    Ok(fields)
}

/// Every key of an object, with dotted paths into nested objects (`output.text`).
fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(p.clone());
            if v.is_object() && prefix.matches('.').count() < 4 {
                keys(v, &p, out);
            }
        }
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

/// A field as text: strings as they are, numbers and booleans printed, null/absent = None.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

type Skipped = BTreeMap<String, u64>;

/// Parse JSONL bytes into rows. Never panics; every error names `name:line`.
pub fn read_rows(
    bytes: &[u8],
    name: &str,
    map: &FieldMap,
) -> anyhow::Result<(Vec<Row>, BTreeMap<String, String>, Skipped)> {
    let mut rows = Vec::new();
    let mut resolved: Option<tabular::Resolved> = None;
    let mut skipped = Skipped::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let at = format!("{name}:{line}");
        let s = std::str::from_utf8(raw).map_err(|e| {
            error::usage(format!(
                "{at}: not valid UTF-8 (byte {}); save the file as UTF-8",
                e.valid_up_to() + 1
            ))
        })?;
        let s = s.trim_start_matches('\u{feff}').trim();
        if s.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(s).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or("").to_string();
            error::usage(format!("{at}: not valid JSON (column {}): {msg}", e.column()))
        })?;
        if !v.is_object() {
            return Err(error::usage(format!(
                "{at}: expected a JSON object per line, found {}",
                kind(&v)
            )));
        }
        let user_named_prompt = map.prompt.is_some();
        if !user_named_prompt && v.get("messages").is_some_and(|m| m.is_array()) && !has_prompt_field(&v) {
            rows.extend(conversation_rows(&v, &at, line, map, &mut skipped)?);
            continue;
        }
        if resolved.is_none() {
            let mut names = Vec::new();
            keys(&v, "", &mut names);
            resolved = Some(resolve(&names, map, &at)?);
        }
        let r = resolved.as_ref().expect("resolved above");
        let field = |l: &str| r.get(l).and_then(|n| lookup(&v, n));
        let need = |l: &str| -> anyhow::Result<String> {
            let name = &r[l];
            match lookup(&v, name) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Null) | None => {
                    Err(error::usage(format!("{at}: no {l} field {name:?} on this line")))
                }
                Some(other) => Err(error::usage(format!(
                    "{at}: {l} field {name:?} is {}, expected a string",
                    kind(other)
                ))),
            }
        };
        let prompt = need("prompt")?;
        let response = need("response")?;
        let (turn, timestamp, sample) = parse_extras(
            &at,
            text(field("turn")).as_deref(),
            text(field("timestamp")).as_deref(),
            text(field("sample")).as_deref(),
        )?;
        rows.push(Row {
            line,
            prompt,
            response,
            model: text(field("model")).filter(|s| !s.trim().is_empty()),
            conversation: text(field("conversation")).filter(|s| !s.trim().is_empty()),
            turn,
            timestamp,
            sample,
            category: text(field("category")).filter(|s| !s.trim().is_empty()),
            system: text(field("system")).filter(|s| !s.trim().is_empty()),
        });
    }
    let fields = resolved
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok((rows, fields, skipped))
}

fn has_prompt_field(v: &Value) -> bool {
    ALIASES[0].1.iter().any(|a| v.get(*a).is_some())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `{"messages": [...]}` line -> one row per user message that has an assistant reply.
fn conversation_rows(
    v: &Value,
    at: &str,
    line: usize,
    map: &FieldMap,
    skipped: &mut Skipped,
) -> anyhow::Result<Vec<Row>> {
    let msgs = v["messages"].as_array().expect("checked by caller");
    let pick = |flag: &Option<String>, default: &str| text(lookup(v, flag.as_deref().unwrap_or(default)));
    let model = pick(&map.model, "model").filter(|s| !s.trim().is_empty());
    let (_, timestamp, _) = parse_extras(at, None, pick(&map.timestamp, "timestamp").as_deref(), None)?;
    let mut system: Option<String> = None;
    let mut pending: Option<String> = None;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (j, m) in msgs.iter().enumerate() {
        let role = m
            .get("role")
            .and_then(|r| r.as_str())
            .ok_or_else(|| error::usage(format!("{at}: messages[{j}] has no \"role\" string")))?;
        let content = match m.get("content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string).or_else(|| text(p.get("text"))))
                .collect::<Vec<_>>()
                .join("\n"),
            Some(Value::Null) | None => String::new(),
            Some(other) => {
                return Err(error::usage(format!(
                    "{at}: messages[{j}].content is {}, expected a string",
                    kind(other)
                )))
            }
        };
        match role {
            "system" | "developer" => {
                system = Some(match system.take() {
                    Some(s) => format!("{s}\n\n{content}"),
                    None => content,
                })
            }
            "user" => {
                pending = Some(match pending.take() {
                    Some(p) => format!("{p}\n\n{content}"),
                    None => content,
                })
            }
            "assistant" => match pending.take() {
                Some(p) if !content.trim().is_empty() => pairs.push((p, content)),
                Some(_) => {
                    *skipped
                        .entry("assistant messages without text".into())
                        .or_default() += 1
                }
                None => {
                    *skipped
                        .entry("assistant messages with no user message before them".into())
                        .or_default() += 1
                }
            },
            _ => *skipped.entry(format!("{role} messages")).or_default() += 1,
        }
    }
    let conv = pick(&map.conversation, "id")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            let users: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
            prompt_id(&users.join("\n"))
        });
    Ok(pairs
        .into_iter()
        .enumerate()
        .map(|(t, (prompt, response))| Row {
            line,
            prompt,
            response,
            model: model.clone(),
            conversation: Some(conv.clone()),
            turn: Some(t as f64),
            timestamp,
            sample: None,
            category: None,
            system: system.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pairs_with_numbers_and_nested_fields() {
        let data = br#"{"id": 7, "turn": 0, "model": "m1", "prompt": "hi", "output": {"text": "hello"}}

{"id": 7, "turn": 1, "model": "m1", "prompt": "and?", "output": {"text": "more"}}
"#;
        let map = FieldMap {
            response: Some("output.text".into()),
            ..Default::default()
        };
        let (rows, fields, _) = read_rows(data, "t.jsonl", &map).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].conversation.as_deref(), Some("7"));
        assert_eq!(rows[1].turn, Some(1.0));
        assert_eq!(rows[0].response, "hello");
        assert_eq!(fields["response"], "output.text");
    }

    #[test]
    fn messages_lines() {
        let data = br#"{"id":"c1","model":"m","messages":[{"role":"system","content":"be kind"},{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"tool","content":"x"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]}"#;
        let (rows, _, skipped) = read_rows(data, "t.jsonl", &FieldMap::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].prompt, "c");
        assert_eq!(rows[1].turn, Some(1.0));
        assert_eq!(rows[0].system.as_deref(), Some("be kind"));
        assert_eq!(skipped["tool messages"], 1);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = read_rows(
            b"{\"prompt\":\"a\",\"response\":\"b\"}\n{oops\n",
            "t.jsonl",
            &FieldMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("t.jsonl:2: not valid JSON"), "{e}");
        let e = read_rows(b"[1,2]\n", "t.jsonl", &FieldMap::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.jsonl:1: expected a JSON object per line, found an array");
        let e = read_rows(
            b"{\"prompt\":\"a\",\"response\":\"b\"}\n{\"prompt\":\"a\",\"response\":3}\n",
            "t.jsonl",
            &FieldMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "t.jsonl:2: response field \"response\" is a number, expected a string"
        );
        let e = read_rows(
            b"{\"prompt\":\"a\",\"response\":\"b\"}\n{\"prompt\":\"a\"}\n",
            "t.jsonl",
            &FieldMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "t.jsonl:2: no response field \"response\" on this line");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_rows(&bytes, "fuzz.jsonl", &FieldMap::default());
        }

        #[test]
        fn never_panics_on_jsonish_text(s in "[{}\\[\\]\":,a-z0-9 \n.]{0,300}") {
            let _ = read_rows(s.as_bytes(), "fuzz.jsonl", &FieldMap::default());
        }
    }
}
