//! Rows of prompt/response pairs (from CSV or JSONL) -> records.
//!
//! - A model field splits the rows into one run per model (unless `--split-by none`).
//! - Rows sharing a conversation id (within a run) become one multi-turn record, ordered by the
//!   turn field (file order when there is none). Without a turn field, rows of one id that all
//!   have the same prompt are samples of one question, not turns.
//! - A repeated (conversation, turn) pair starts another sample; a sample field says so outright.
//! - The probe id is the conversation id, or a hash of the normalised prompt when there is none
//!   ([`super::prompt_id`]), so two runs that share prompts pair as battery probes do.

use super::{classify_topic, RunMeta, Sink, SplitBy};
use super::{date_part, normalise_prompt, prompt_id, record_language, split_key, FieldMap, ImportOptions};
use crate::error;
use crate::store::{Message, Record, Reply, Role, Status};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// One prompt/response pair read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line where the row starts.
    pub line: usize,
    pub prompt: String,
    pub response: String,
    pub model: Option<String>,
    pub conversation: Option<String>,
    pub turn: Option<f64>,
    pub timestamp: Option<DateTime<Utc>>,
    pub sample: Option<u32>,
    pub category: Option<String>,
    pub system: Option<String>,
}

/// The logical fields and the names a file may use for them (first = default).
pub(crate) const ALIASES: &[(&str, &[&str])] = &[
    (
        "prompt",
        &[
            "prompt",
            "question",
            "query",
            "input",
            "user",
            "user_message",
            "instruction",
        ],
    ),
    (
        "response",
        &[
            "response",
            "answer",
            "output",
            "completion",
            "reply",
            "assistant",
            "assistant_message",
        ],
    ),
    ("model", &["model", "model_name", "model_id", "model_slug"]),
    (
        "conversation",
        &[
            "id",
            "conversation_id",
            "conversation",
            "conv_id",
            "question_id",
            "thread_id",
            "session_id",
        ],
    ),
    ("turn", &["turn", "turn_index", "turn_id", "message_index"]),
    (
        "timestamp",
        &[
            "timestamp",
            "time",
            "date",
            "created_at",
            "create_time",
            "datetime",
        ],
    ),
    ("sample", &["sample", "sample_index", "repeat"]),
    ("category", &["category", "topic"]),
    ("system", &["system", "system_prompt"]),
];

fn flag_of(map: &FieldMap, logical: &str) -> Option<String> {
    match logical {
        "prompt" => map.prompt.clone(),
        "response" => map.response.clone(),
        "model" => map.model.clone(),
        "conversation" => map.conversation.clone(),
        "turn" => map.turn.clone(),
        "timestamp" => map.timestamp.clone(),
        "sample" => map.sample.clone(),
        "category" => map.category.clone(),
        "system" => map.system.clone(),
        _ => None,
    }
}

/// Logical field -> the name the file uses.
pub(crate) type Resolved = BTreeMap<&'static str, String>;

/// Match the mapping against the names a file has (case-insensitively). Named fields must
/// exist; prompt and response must be found one way or the other.
pub(crate) fn resolve(names: &[String], map: &FieldMap, what: &str) -> anyhow::Result<Resolved> {
    let find = |n: &str| {
        names
            .iter()
            .find(|h| h.trim().eq_ignore_ascii_case(n.trim()))
            .cloned()
    };
    let mut out = Resolved::new();
    for (logical, aliases) in ALIASES {
        let flag = flag_of(map, logical);
        let found = match &flag {
            Some(name) => Some(find(name).ok_or_else(|| {
                error::usage(format!(
                    "{what}: no {} named {name:?} (from --{logical}-field); the {} are: {}",
                    kind(what),
                    kind_plural(what),
                    names.join(", ")
                ))
            })?),
            None => aliases.iter().find_map(|a| find(a)),
        };
        match found {
            Some(f) => {
                out.insert(*logical, f);
            }
            None if *logical == "prompt" || *logical == "response" => {
                return Err(error::usage(format!(
                    "{what}: no {logical} {}: looked for {}; the {} are: {}. Name it with --{logical}-field",
                    kind(what),
                    aliases.join(", "),
                    kind_plural(what),
                    names.join(", ")
                )))
            }
            None => {}
        }
    }
    if out["prompt"] == out["response"] {
        return Err(error::usage(format!(
            "{what}: prompt and response are both {:?}; name them with --prompt-field and --response-field",
            out["prompt"]
        )));
    }
    Ok(out)
}

fn kind(what: &str) -> &'static str {
    if what.contains("line") {
        "field"
    } else {
        "column"
    }
}
fn kind_plural(what: &str) -> &'static str {
    if what.contains("line") {
        "fields on that line"
    } else {
        "columns"
    }
}

/// Turn, timestamp and sample of a row.
pub(crate) type Extras = (Option<f64>, Option<DateTime<Utc>>, Option<u32>);

/// Parse the optional fields of a row from their raw text. `at` names file and line.
pub(crate) fn parse_extras(
    at: &str,
    turn: Option<&str>,
    timestamp: Option<&str>,
    sample: Option<&str>,
) -> anyhow::Result<Extras> {
    let turn = match turn.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| error::usage(format!("{at}: turn {t:?} is not a number")))?,
        ),
    };
    let ts = match timestamp.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(super::parse_timestamp_str(t).ok_or_else(|| {
            error::usage(format!(
                "{at}: timestamp {t:?} is not a date (use RFC 3339, YYYY-MM-DD HH:MM:SS, YYYY-MM-DD \
                 or Unix seconds)"
            ))
        })?),
    };
    let sample = match sample.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<u32>()
                .map_err(|_| error::usage(format!("{at}: sample {s:?} is not a whole number >= 0")))?,
        ),
    };
    Ok((turn, ts, sample))
}

/// Group rows into records and write them to the sink.
pub(crate) fn emit(
    rows: Vec<Row>,
    opts: &ImportOptions,
    format_provider: &str,
    sink: &mut Sink,
) -> anyhow::Result<()> {
    let has_model = rows.iter().any(|r| r.model.is_some());
    let by_model =
        has_model && !opts.splits(SplitBy::None) && (opts.split_by.is_empty() || opts.splits(SplitBy::Model));
    if opts.splits(SplitBy::Model) && !has_model {
        return Err(error::usage(
            "--split-by model: the input has no model field (name it with --model-field)",
        ));
    }
    // (split, conversation) -> rows, in order of first appearance.
    let mut order: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut groups: HashMap<(Option<String>, Option<String>), Vec<Row>> = HashMap::new();
    let mut empty = 0u64;
    for row in rows {
        if row.prompt.trim().is_empty() || row.response.trim().is_empty() {
            empty += 1;
            continue;
        }
        let part = match date_part(opts, row.timestamp) {
            Ok(p) => p,
            Err(reason) => {
                sink.skip(reason, 1);
                continue;
            }
        };
        let split = split_key(row.model.as_deref(), part, by_model);
        let conv = row.conversation.clone().filter(|c| !c.trim().is_empty());
        let key = match conv {
            Some(c) => (split, Some(c)),
            // No id: each row stands alone; its id is the prompt hash (equal prompts = samples).
            None => (split, None),
        };
        if key.1.is_none() {
            let k = (key.0.clone(), Some(format!("\u{0}{}", prompt_id(&row.prompt))));
            if !groups.contains_key(&k) {
                order.push(k.clone());
            }
            groups.entry(k).or_default().push(row);
        } else {
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(row);
        }
    }
    sink.skip("rows with an empty prompt or response", empty);
    let has_turn = groups.values().flatten().any(|r| r.turn.is_some());
    for key in order {
        let rows = groups.remove(&key).expect("grouped");
        let (split, conv) = key;
        let conv = conv.expect("set above");
        let (probe_id, hashed) = match conv.strip_prefix('\u{0}') {
            Some(h) => (h.to_string(), true),
            None => (conv.clone(), false),
        };
        for (sample, mut turns) in samples_of(rows, hashed, has_turn) {
            turns.sort_by(|a, b| {
                a.turn
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.turn.unwrap_or(f64::MAX))
                    .then(a.line.cmp(&b.line))
            });
            let record = build_record(&probe_id, sample, &turns, opts);
            let meta = RunMeta {
                provider: format_provider.to_string(),
                model: if by_model { turns[0].model.clone() } else { None },
                pairing: "prompt_id",
            };
            sink.push(split.clone(), &meta, &record)?;
        }
    }
    Ok(())
}

/// Split one conversation's rows into samples: an explicit sample field wins; rows without an
/// id that share a prompt are samples; otherwise the k-th occurrence of a turn is sample k.
fn samples_of(rows: Vec<Row>, hashed: bool, has_turn: bool) -> Vec<(u32, Vec<Row>)> {
    let mut by_sample: BTreeMap<u32, Vec<Row>> = BTreeMap::new();
    if rows.iter().any(|r| r.sample.is_some()) {
        for r in rows {
            by_sample.entry(r.sample.unwrap_or(0)).or_default().push(r);
        }
    } else if hashed {
        for (i, r) in rows.into_iter().enumerate() {
            by_sample.entry(i as u32).or_default().push(r);
        }
    } else if has_turn {
        let mut seen: HashMap<u64, u32> = HashMap::new();
        for r in rows {
            let n = seen.entry(r.turn.unwrap_or(-1.0).to_bits()).or_default();
            by_sample.entry(*n).or_default().push(r);
            *n += 1;
        }
    } else {
        let first = normalise_prompt(&rows[0].prompt);
        let all_same = rows.len() > 1 && rows.iter().all(|r| normalise_prompt(&r.prompt) == first);
        if all_same {
            for (i, r) in rows.into_iter().enumerate() {
                by_sample.entry(i as u32).or_default().push(r);
            }
        } else {
            by_sample.insert(0, rows);
        }
    }
    by_sample.into_iter().collect()
}

fn build_record(probe_id: &str, sample: u32, turns: &[Row], opts: &ImportOptions) -> Record {
    let mut messages = Vec::new();
    if let Some(sys) = turns
        .iter()
        .find_map(|r| r.system.clone())
        .filter(|s| !s.trim().is_empty())
    {
        messages.push(Message {
            role: Role::System,
            content: sys,
            example: false,
        });
    }
    let mut replies = Vec::new();
    for (i, r) in turns.iter().enumerate() {
        messages.push(Message {
            role: Role::User,
            content: r.prompt.clone(),
            example: false,
        });
        messages.push(Message {
            role: Role::Assistant,
            content: r.response.clone(),
            example: false,
        });
        replies.push(Reply {
            turn: i as u32,
            prompt: r.prompt.clone(),
            content: r.response.clone(),
            latency_ms: None,
            usage: None,
            finish_reason: None,
            model: r.model.clone(),
            system_fingerprint: None,
            attempts: 1,
            timestamp: r.timestamp.map(super::rfc3339),
        });
    }
    let prompts: Vec<&str> = turns.iter().map(|r| r.prompt.as_str()).collect();
    let category = turns
        .iter()
        .find_map(|r| r.category.clone())
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| classify_topic(&prompts).id().to_string());
    let mut record = Record {
        probe_id: probe_id.to_string(),
        sample,
        category,
        language: String::new(),
        status: Status::Finished,
        messages,
        replies,
        error: None,
        seed: None,
        started_at: turns.first().and_then(|r| r.timestamp).map(super::rfc3339),
        finished_at: turns.last().and_then(|r| r.timestamp).map(super::rfc3339),
    };
    record.language = record_language(opts, &record);
    record
}
