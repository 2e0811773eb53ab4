//! A ChatGPT data export: `conversations.json`, or the export `.zip` itself (the entry is read
//! from inside the archive, never extracted to disk).
//!
//! The file is a JSON array of conversations, each with `title`, `create_time`, `mapping` (node
//! id -> `{message, parent, children}`) and `current_node`. The array is streamed: one
//! conversation at a time is deserialised (a serde `Visitor` over the top-level sequence),
//! turned into records and written, then dropped; a 500 MB export is never held in memory.
//!
//! Only the active branch is imported: from `current_node` up through `parent` links. Earlier
//! versions of edited prompts and regenerated replies live on other branches; they are counted,
//! not imported. System, tool and hidden messages, tool calls, and non-text content (images,
//! code, code-interpreter output, browsing, reasoning summaries) are skipped with counts.

use super::{classify_topic, epoch, rfc3339};
use super::{date_part, record_language, split_key, ImportOptions, JPath, RunMeta, Sink, SplitBy};
use crate::error;
use crate::store::{Message, Record, Reply, Role, Status};
use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};

pub fn import(opts: &ImportOptions, sink: &mut Sink) -> anyhow::Result<()> {
    let name = opts.file.display().to_string();
    let mut f = File::open(&opts.file).map_err(|e| error::usage(format!("{name}: {e}")))?;
    let mut magic = [0u8; 4];
    let n = f
        .read(&mut magic)
        .map_err(|e| error::usage(format!("{name}: {e}")))?;
    drop(f);
    if n == 4 && &magic == b"PK\x03\x04" {
        return import_zip(opts, sink, &name);
    }
    let f = File::open(&opts.file).map_err(|e| error::usage(format!("{name}: {e}")))?;
    stream(BufReader::with_capacity(1 << 16, f), &name, opts, sink)
}

fn import_zip(opts: &ImportOptions, sink: &mut Sink, name: &str) -> anyhow::Result<()> {
    let f = File::open(&opts.file).map_err(|e| error::usage(format!("{name}: {e}")))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| error::usage(format!("{name}: not a readable zip archive: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let mut wanted: Vec<&String> = names
        .iter()
        .filter(|n| n.rsplit('/').next() == Some("conversations.json"))
        .collect();
    wanted.sort_by_key(|n| n.matches('/').count());
    let Some(entry_name) = wanted.first() else {
        let mut shown: Vec<&str> = names.iter().map(|s| s.as_str()).take(12).collect();
        if names.len() > 12 {
            shown.push("...");
        }
        return Err(error::usage(format!(
            "{name}: no conversations.json inside this zip (it has: {}); is it a ChatGPT data export?",
            shown.join(", ")
        )));
    };
    let entry = zip
        .by_name(entry_name)
        .map_err(|e| error::usage(format!("{name}: cannot read {entry_name}: {e}")))?;
    let display = format!("{name}!{entry_name}");
    stream(BufReader::with_capacity(1 << 16, entry), &display, opts, sink)
}

/// Running counts of what was left out.
#[derive(Default)]
struct Skips(BTreeMap<String, u64>);

impl Skips {
    fn add(&mut self, what: impl Into<String>) {
        *self.0.entry(what.into()).or_default() += 1;
    }
    fn add_n(&mut self, what: &str, n: u64) {
        if n > 0 {
            *self.0.entry(what.into()).or_default() += n;
        }
    }
}

struct State<'a> {
    name: &'a str,
    opts: &'a ImportOptions,
    sink: &'a mut Sink,
    skips: Skips,
    index: usize,
    failure: Option<anyhow::Error>,
}

struct Conversations<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Conversations<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Conversations<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of ChatGPT conversations (conversations.json from the data export)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(conv) = seq.next_element::<Value>()? {
            if let Err(e) = conversation(st, st.index, conv) {
                st.failure = Some(e);
                return Err(A::Error::custom("import stopped"));
            }
            st.index += 1;
        }
        Ok(())
    }
}

fn stream<R: Read>(r: R, name: &str, opts: &ImportOptions, sink: &mut Sink) -> anyhow::Result<()> {
    let mut st = State {
        name,
        opts,
        sink,
        skips: Skips::default(),
        index: 0,
        failure: None,
    };
    let mut de = serde_json::Deserializer::from_reader(r);
    let res = Conversations(&mut st).deserialize(&mut de).and_then(|_| de.end());
    if let Some(e) = st.failure.take() {
        return Err(e);
    }
    if let Err(e) = res {
        let whereabouts = if e.line() > 0 {
            format!("{name}:{}:{}", e.line(), e.column())
        } else {
            name.to_string()
        };
        let context = if st.index > 0 || e.is_syntax() || e.is_eof() {
            format!(" (in conversation $.[{}])", st.index)
        } else {
            String::new()
        };
        let what = if e.is_eof() {
            "the file ends too early (a truncated download?)".to_string()
        } else {
            let s = e.to_string();
            s.split(" at line ").next().unwrap_or(&s).to_string()
        };
        return Err(error::usage(format!(
            "{whereabouts}: not a ChatGPT export: {what}{context}"
        )));
    }
    for (k, v) in std::mem::take(&mut st.skips.0) {
        st.sink.skip(&k, v);
    }
    Ok(())
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

/// One exchange on the active branch: a user message and the assistant reply to it.
struct Exchange {
    prompt: String,
    reply: String,
    model: String,
    at: Option<DateTime<Utc>>,
}

fn conversation(st: &mut State, idx: usize, conv: Value) -> anyhow::Result<()> {
    let name = st.name;
    let p = JPath::root().idx(idx);
    let bad = |path: &JPath, msg: String| error::usage(format!("{name}: {path}: {msg}"));
    let obj = conv.as_object().ok_or_else(|| {
        bad(
            &p,
            format!("expected a conversation object, found {}", kind(&conv)),
        )
    })?;
    let conv_id = obj
        .get("conversation_id")
        .or_else(|| obj.get("id"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("conversation-{idx}"));
    let title = obj
        .get("title")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let conv_time = obj.get("create_time").and_then(|v| v.as_f64()).and_then(epoch);
    let mapping = match obj.get("mapping") {
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(bad(
                &p.key("mapping"),
                format!("expected an object, found {}", kind(other)),
            ))
        }
        None => {
            return Err(bad(
                &p,
                "no \"mapping\": this does not look like a conversation from a ChatGPT export".into(),
            ))
        }
    };
    if mapping.is_empty() {
        st.skips.add("empty conversations");
        return Ok(());
    }
    // The active branch, leaf first.
    let current = match obj.get("current_node") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            st.skips
                .add("conversations without current_node (latest branch used)");
            latest_leaf(mapping)
        }
        Some(other) => {
            return Err(bad(
                &p.key("current_node"),
                format!("expected a node id string, found {}", kind(other)),
            ))
        }
    };
    if !mapping.contains_key(&current) {
        return Err(bad(
            &p.key("current_node"),
            format!("node {current:?} is not in this conversation's mapping"),
        ));
    }
    let mut path_ids: Vec<String> = Vec::new();
    let mut on_path: HashSet<String> = HashSet::new();
    let mut node_id = current;
    loop {
        if !on_path.insert(node_id.clone()) {
            return Err(bad(
                &p.key("mapping").key(&node_id).key("parent"),
                "parent links form a cycle".into(),
            ));
        }
        path_ids.push(node_id.clone());
        let np = p.key("mapping").key(&node_id);
        let node = &mapping[&node_id];
        if !node.is_object() {
            return Err(bad(&np, format!("expected a node object, found {}", kind(node))));
        }
        match node.get("parent") {
            Some(Value::String(parent)) => {
                if !mapping.contains_key(parent) {
                    return Err(bad(
                        &np.key("parent"),
                        format!("parent {parent:?} is not in this conversation's mapping"),
                    ));
                }
                node_id = parent.clone();
            }
            Some(Value::Null) | None => break,
            Some(other) => {
                return Err(bad(
                    &np.key("parent"),
                    format!("expected a node id or null, found {}", kind(other)),
                ))
            }
        }
    }
    path_ids.reverse();

    // Branches not followed: children of path nodes that are not on the path.
    for id in &path_ids {
        if let Some(Value::Array(children)) = mapping[id].get("children") {
            for c in children.iter().filter_map(|c| c.as_str()) {
                if on_path.contains(c) {
                    continue;
                }
                let role = mapping
                    .get(c)
                    .and_then(|n| n.pointer("/message/author/role"))
                    .and_then(|r| r.as_str());
                match role {
                    Some("assistant") => st.skips.add("regenerated replies (branches not followed)"),
                    Some("user") => st.skips.add("edited prompts (branches not followed)"),
                    _ => st.skips.add("other branches not followed"),
                }
            }
        }
    }
    let off_path = mapping
        .iter()
        .filter(|(k, n)| !on_path.contains(*k) && n.get("message").is_some_and(|m| !m.is_null()))
        .count();
    st.skips
        .add_n("messages on branches not followed", off_path as u64);

    // Walk the active branch.
    let mut exchanges: Vec<Exchange> = Vec::new();
    let mut user_texts: Vec<String> = vec![title.clone()];
    let mut pending: Option<String> = None;
    let mut pending_textless = false;
    let mut open = false;
    for id in &path_ids {
        let mp = p.key("mapping").key(id).key("message");
        let msg = match mapping[id].get("message") {
            None | Some(Value::Null) => continue,
            Some(m @ Value::Object(_)) => m,
            Some(other) => {
                return Err(bad(
                    &mp,
                    format!("expected a message object or null, found {}", kind(other)),
                ))
            }
        };
        let role = match msg.pointer("/author/role") {
            Some(Value::String(r)) => r.as_str(),
            Some(other) => {
                return Err(bad(
                    &mp.key("author").key("role"),
                    format!("expected a string, found {}", kind(other)),
                ))
            }
            None => return Err(bad(&mp.key("author").key("role"), "missing".into())),
        };
        let hidden = msg
            .pointer("/metadata/is_visually_hidden_from_conversation")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        match role {
            "system" => {
                st.skips.add("system messages");
                continue;
            }
            "tool" => {
                st.skips.add("tool messages");
                continue;
            }
            "user" | "assistant" => {}
            other => {
                st.skips.add(format!("{other} messages"));
                continue;
            }
        }
        if hidden {
            st.skips.add("hidden context messages");
            continue;
        }
        if role == "assistant" {
            if let Some(r) = msg.get("recipient").and_then(|r| r.as_str()) {
                if r != "all" {
                    st.skips.add("assistant tool calls");
                    continue;
                }
            }
        }
        let cp = mp.key("content");
        let content = match msg.get("content") {
            Some(c @ Value::Object(_)) => c,
            Some(other) => return Err(bad(&cp, format!("expected an object, found {}", kind(other)))),
            None => return Err(bad(&cp, "missing".into())),
        };
        let ctype = match content.get("content_type") {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(bad(
                    &cp.key("content_type"),
                    format!("expected a string, found {}", kind(other)),
                ))
            }
            None => return Err(bad(&cp.key("content_type"), "missing".into())),
        };
        let text = match ctype {
            "text" | "multimodal_text" => {
                let parts = match content.get("parts") {
                    Some(Value::Array(a)) => a,
                    Some(other) => {
                        return Err(bad(
                            &cp.key("parts"),
                            format!("expected an array, found {}", kind(other)),
                        ))
                    }
                    None => return Err(bad(&cp.key("parts"), "missing".into())),
                };
                let mut texts = Vec::new();
                for (k, part) in parts.iter().enumerate() {
                    match part {
                        Value::String(s) => texts.push(s.as_str()),
                        Value::Object(o) if ctype == "multimodal_text" => {
                            let t = o
                                .get("content_type")
                                .and_then(|t| t.as_str())
                                .unwrap_or("unknown");
                            if t.contains("image") {
                                st.skips.add("image parts");
                            } else if t.contains("audio") {
                                st.skips.add("audio parts");
                            } else {
                                st.skips.add(format!("non-text parts ({t})"));
                            }
                        }
                        Value::Null => {}
                        other => {
                            return Err(bad(
                                &cp.key("parts").idx(k),
                                format!(
                                    "expected a text string in a {ctype} message, found {}",
                                    kind(other)
                                ),
                            ))
                        }
                    }
                }
                texts.join("\n").trim().to_string()
            }
            other => {
                st.skips.add(format!("non-text messages ({other})"));
                continue;
            }
        };
        let at = msg.get("create_time").and_then(|v| v.as_f64()).and_then(epoch);
        if role == "user" {
            open = false;
            if text.is_empty() {
                pending_textless = pending.is_none();
                continue;
            }
            pending_textless = false;
            user_texts.push(text.clone());
            pending = Some(match pending.take() {
                Some(prev) => format!("{prev}\n\n{text}"),
                None => text,
            });
        } else {
            if text.is_empty() {
                st.skips.add("empty assistant messages");
                continue;
            }
            let model = msg
                .pointer("/metadata/model_slug")
                .or_else(|| msg.pointer("/metadata/default_model_slug"))
                .and_then(|v| v.as_str())
                .unwrap_or("unknown-model")
                .to_string();
            if let Some(prompt) = pending.take() {
                exchanges.push(Exchange {
                    prompt,
                    reply: text,
                    model,
                    at: at.or(conv_time),
                });
                open = true;
            } else if open {
                let last = exchanges.last_mut().expect("open implies one");
                last.reply.push_str("\n\n");
                last.reply.push_str(&text);
            } else if pending_textless {
                st.skips
                    .add("replies to user messages without text (e.g. an image only)");
            } else {
                st.skips.add("assistant messages before any user message");
            }
        }
    }
    if exchanges.is_empty() {
        st.skips.add("conversations without a text exchange");
        return Ok(());
    }
    let topic = classify_topic(&user_texts);
    let by_model = st.opts.split_by.is_empty() || st.opts.splits(SplitBy::Model);
    // Split the exchanges into runs, keeping order.
    let mut order: Vec<Option<String>> = Vec::new();
    let mut groups: BTreeMap<Option<String>, Vec<&Exchange>> = BTreeMap::new();
    for ex in &exchanges {
        let part = match date_part(st.opts, ex.at) {
            Ok(p) => p,
            Err(reason) => {
                st.skips.add(reason);
                continue;
            }
        };
        let key = split_key(Some(&ex.model), part, by_model);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(ex);
    }
    for key in order {
        let exs = &groups[&key];
        let mut messages = Vec::new();
        let mut replies = Vec::new();
        for (t, ex) in exs.iter().enumerate() {
            messages.push(Message {
                role: Role::User,
                content: ex.prompt.clone(),
                example: false,
            });
            messages.push(Message {
                role: Role::Assistant,
                content: ex.reply.clone(),
                example: false,
            });
            replies.push(Reply {
                turn: t as u32,
                prompt: ex.prompt.clone(),
                content: ex.reply.clone(),
                latency_ms: None,
                usage: None,
                finish_reason: None,
                model: Some(ex.model.clone()),
                system_fingerprint: None,
                attempts: 1,
                timestamp: ex.at.map(rfc3339),
            });
        }
        let mut record = Record {
            probe_id: conv_id.clone(),
            sample: 0,
            category: topic.id().to_string(),
            language: String::new(),
            status: Status::Finished,
            messages,
            replies,
            error: None,
            seed: None,
            started_at: exs.first().and_then(|e| e.at).map(rfc3339),
            finished_at: exs.last().and_then(|e| e.at).map(rfc3339),
        };
        record.language = record_language(st.opts, &record);
        let meta = RunMeta {
            provider: "chatgpt".into(),
            model: if by_model {
                Some(exs[0].model.clone())
            } else {
                None
            },
            pairing: "conversation",
        };
        st.sink.push(key, &meta, &record)?;
    }
    Ok(())
}

/// When a conversation has no `current_node`: follow the last child from the root.
fn latest_leaf(mapping: &serde_json::Map<String, Value>) -> String {
    let root = mapping
        .iter()
        .find(|(_, n)| n.get("parent").is_none_or(|p| p.is_null()))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| mapping.keys().next().cloned().unwrap_or_default());
    let mut cur = root;
    let mut seen = HashSet::new();
    while seen.insert(cur.clone()) {
        let next = mapping
            .get(&cur)
            .and_then(|n| n.get("children"))
            .and_then(|c| c.as_array())
            .and_then(|c| c.iter().rev().find_map(|x| x.as_str()))
            .filter(|c| mapping.contains_key(*c));
        match next {
            Some(n) => cur = n.to_string(),
            None => break,
        }
    }
    cur
}
