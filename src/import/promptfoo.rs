//! promptfoo results (`promptfoo eval -o results.json`): one run per provider, paired by test.
//!
//! Supported shapes (from promptfoo's `OutputFile` / `EvaluateSummary` types):
//! - the `-o results.json` output file: `{evalId, results: {version: 2|3, results: [...]}, config}`;
//! - a bare summary `{version, results: [...]}` (older releases and the node API's
//!   `toEvaluateSummary()`), and a bare array of results.
//!
//! Each result: `provider` (`{id, label?}` or a string), `prompt` (`{raw, label}` or a string;
//! a raw prompt that is a JSON chat array is read as messages), `response.output` (a string, or
//! JSON that is printed), `testIdx`, `promptIdx`, `vars` (or `testCase.vars`), `latencyMs`,
//! `tokenUsage`/`response.tokenUsage`, `error`/`response.error`, `success`.
//!
//! Probe id: `test-<testIdx>` (plus `-prompt-<promptIdx>` when the file has several prompts), or
//! `vars-<hash>` of the test's variables when a result has no test index. Repeats of the same
//! test (`--repeat`) become samples 0, 1, ...

use super::{
    classify_topic, prompt_id, record_language, slugify, ImportOptions, JPath, RunMeta, Sink, SplitBy,
};
use crate::error;
use crate::store::{Message, Record, Reply, Role, Status, Usage};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

pub fn import(opts: &ImportOptions, sink: &mut Sink) -> anyhow::Result<()> {
    let name = opts.file.display().to_string();
    if opts.splits(SplitBy::Date) || opts.before.is_some() || opts.after.is_some() {
        return Err(error::usage(
            "promptfoo results carry no per-result dates: --split-by date, --before and --after do not apply",
        ));
    }
    let text = std::fs::read_to_string(&opts.file).map_err(|e| error::usage(format!("{name}: {e}")))?;
    let top: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        error::usage(format!(
            "{name}:{}:{}: not valid JSON: {}",
            e.line(),
            e.column(),
            e.to_string().split(" at line ").next().unwrap_or("")
        ))
    })?;
    drop(text);
    let (results, base) = locate(&top, &name)?;
    let by_provider = !opts.splits(SplitBy::None);
    let prompt_keys: BTreeSet<String> = results.iter().map(prompt_key).collect();
    let multi_prompt = prompt_keys.len() > 1;
    let mut samples: HashMap<(Option<String>, String), u32> = HashMap::new();
    for (i, r) in results.iter().enumerate() {
        let p = base.idx(i);
        let bad = |path: &JPath, msg: String| error::usage(format!("{name}: {path}: {msg}"));
        if !r.is_object() {
            return Err(bad(&p, format!("expected a result object, found {}", kind(r))));
        }
        let (provider_id, provider_label) = match r.get("provider") {
            Some(Value::String(s)) => (s.clone(), s.clone()),
            Some(Value::Object(o)) => {
                let id = o.get("id").and_then(|v| v.as_str()).map(str::to_string);
                let label = o.get("label").and_then(|v| v.as_str()).map(str::to_string);
                match (id, label) {
                    (Some(id), label) => (id.clone(), label.filter(|l| !l.is_empty()).unwrap_or(id)),
                    (None, Some(label)) => (label.clone(), label),
                    (None, None) => {
                        return Err(bad(
                            &p.key("provider").key("id"),
                            "missing (the provider has no id or label)".into(),
                        ))
                    }
                }
            }
            Some(other) => {
                return Err(bad(
                    &p.key("provider"),
                    format!("expected an object or string, found {}", kind(other)),
                ))
            }
            None => return Err(bad(&p.key("provider"), "missing".into())),
        };
        let raw = match r.get("prompt") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => match o.get("raw") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(bad(
                        &p.key("prompt").key("raw"),
                        format!("expected a string, found {}", kind(other)),
                    ))
                }
                None => return Err(bad(&p.key("prompt").key("raw"), "missing".into())),
            },
            Some(other) => {
                return Err(bad(
                    &p.key("prompt"),
                    format!("expected an object or string, found {}", kind(other)),
                ))
            }
            None => return Err(bad(&p.key("prompt"), "missing".into())),
        };
        let (mut messages, user_prompt) = prompt_messages(&raw);
        let output = match r.pointer("/response/output") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(serde_json::to_string_pretty(other).unwrap_or_default()),
        };
        let err = r
            .get("error")
            .and_then(|e| e.as_str())
            .or_else(|| r.pointer("/response/error").and_then(|e| e.as_str()))
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let test_idx = match r.get("testIdx") {
            Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
                bad(
                    &p.key("testIdx"),
                    format!("expected a whole number >= 0, found {n}"),
                )
            })?),
            Some(Value::Null) | None => None,
            Some(other) => {
                return Err(bad(
                    &p.key("testIdx"),
                    format!("expected a number, found {}", kind(other)),
                ))
            }
        };
        let vars = r
            .get("vars")
            .or_else(|| r.pointer("/testCase/vars"))
            .cloned()
            .unwrap_or(Value::Null);
        let mut probe = match test_idx {
            Some(t) => format!("test-{t}"),
            None if vars.as_object().is_some_and(|m| !m.is_empty()) => {
                let canon = serde_json::to_string(&vars).unwrap_or_default();
                format!("vars-{}", &hex::encode(Sha256::digest(canon.as_bytes()))[..12])
            }
            None => prompt_id(&user_prompt),
        };
        if multi_prompt {
            let pk = match r.get("promptIdx").and_then(|v| v.as_u64()) {
                Some(n) => n.to_string(),
                None => prompt_key(r),
            };
            probe = format!("{probe}-prompt-{}", slugify(&pk));
        }
        let split = by_provider.then(|| provider_label.clone());
        let sample = samples.entry((split.clone(), probe.clone())).or_default();
        let this_sample = *sample;
        *sample += 1;
        let model = provider_id.rsplit(':').next().unwrap_or(&provider_id).to_string();
        let usage = r
            .get("tokenUsage")
            .or_else(|| r.pointer("/response/tokenUsage"))
            .map(|u| Usage {
                prompt_tokens: u.get("prompt").and_then(|v| v.as_u64()),
                completion_tokens: u.get("completion").and_then(|v| v.as_u64()),
            })
            .filter(|u| u.prompt_tokens.is_some() || u.completion_tokens.is_some());
        let (status, replies, error_text) = match output.filter(|o| !o.trim().is_empty()) {
            Some(out) => {
                messages.push(Message {
                    role: Role::Assistant,
                    content: out.clone(),
                    example: false,
                });
                let reply = Reply {
                    turn: 0,
                    prompt: user_prompt.clone(),
                    content: out,
                    latency_ms: r.get("latencyMs").and_then(|v| v.as_u64()),
                    usage,
                    finish_reason: r
                        .pointer("/response/finishReason")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    model: Some(model.clone()),
                    system_fingerprint: None,
                    attempts: 1,
                    timestamp: None,
                };
                (Status::Finished, vec![reply], None)
            }
            None => match err {
                Some(e) => (Status::Failed, Vec::new(), Some(e)),
                None => {
                    sink.skip("results without output or error", 1);
                    continue;
                }
            },
        };
        let mut record = Record {
            probe_id: probe,
            sample: this_sample,
            category: classify_topic(&[user_prompt.as_str()]).id().to_string(),
            language: String::new(),
            status,
            messages,
            replies,
            error: error_text,
            seed: None,
            started_at: None,
            finished_at: None,
        };
        record.language = record_language(opts, &record);
        let meta = RunMeta {
            provider: provider_id.split(':').next().unwrap_or("promptfoo").to_string(),
            model: by_provider.then(|| model.clone()),
            pairing: "prompt_id",
        };
        sink.push(split, &meta, &record)?;
    }
    Ok(())
}

/// Find the array of results and its JSON path.
fn locate<'v>(top: &'v Value, name: &str) -> anyhow::Result<(&'v Vec<Value>, JPath)> {
    let root = JPath::root();
    match top {
        Value::Array(a) => Ok((a, root)),
        Value::Object(o) => match o.get("results") {
            Some(Value::Object(inner)) => match inner.get("results") {
                Some(Value::Array(a)) => Ok((a, root.key("results").key("results"))),
                Some(other) => Err(error::usage(format!(
                    "{name}: $.results.results: expected an array of results, found {}",
                    kind(other)
                ))),
                None => Err(error::usage(format!(
                    "{name}: $.results.results: missing; is this a promptfoo results file (`promptfoo eval -o results.json`)?"
                ))),
            },
            Some(Value::Array(a)) => Ok((a, root.key("results"))),
            Some(other) => Err(error::usage(format!(
                "{name}: $.results: expected an object or array, found {}",
                kind(other)
            ))),
            None => Err(error::usage(format!(
                "{name}: $.results: missing; is this a promptfoo results file (`promptfoo eval -o results.json`)?"
            ))),
        },
        other => Err(error::usage(format!(
            "{name}: $: expected a promptfoo results object, found {}",
            kind(other)
        ))),
    }
}

fn prompt_key(r: &Value) -> String {
    if let Some(n) = r.get("promptIdx").and_then(|v| v.as_u64()) {
        return n.to_string();
    }
    r.pointer("/prompt/label")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_default()
}

/// A raw prompt as messages (a JSON chat array is expanded) and the last user text.
fn prompt_messages(raw: &str) -> (Vec<Message>, String) {
    let t = raw.trim();
    if t.starts_with('[') {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t) {
            let mut msgs = Vec::new();
            let mut ok = !items.is_empty();
            for it in &items {
                let role = it.get("role").and_then(|r| r.as_str());
                let content = match it.get("content") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Array(parts)) => Some(
                        parts
                            .iter()
                            .filter_map(|p| p.get("text").and_then(|x| x.as_str()).or(p.as_str()))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                    _ => None,
                };
                let role = match role {
                    Some("system") | Some("developer") => Role::System,
                    Some("user") => Role::User,
                    Some("assistant") => Role::Assistant,
                    _ => {
                        ok = false;
                        break;
                    }
                };
                match content {
                    Some(c) => msgs.push(Message {
                        role,
                        content: c,
                        example: false,
                    }),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                if let Some(last_user) = msgs.iter().rev().find(|m| m.role == Role::User) {
                    let u = last_user.content.clone();
                    return (msgs, u);
                }
            }
        }
    }
    (
        vec![Message {
            role: Role::User,
            content: raw.to_string(),
            example: false,
        }],
        raw.to_string(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_array_prompts_become_messages() {
        let (m, u) =
            prompt_messages(r#"[{"role":"system","content":"be kind"},{"role":"user","content":"hi"}]"#);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].role, Role::System);
        assert_eq!(u, "hi");
        let (m, u) = prompt_messages("[not json");
        assert_eq!(m.len(), 1);
        assert_eq!(u, "[not json");
    }
}
