//! `persona-drift import`: turn transcripts made elsewhere into ordinary run directories.
//!
//! One module per format: [`csv`] and [`jsonl`] (rows with field mapping, through
//! [`tabular`]), [`chatgpt`] (a ChatGPT data export, streamed), [`promptfoo`] (`promptfoo eval -o
//! results.json`). Every importer writes through [`Sink`], which produces for each output run:
//!
//! ```text
//! runs/<label>/manifest.json      origin = "import:<format>", battery_hash = None
//! runs/<label>/transcripts.jsonl  one Record per conversation, Reply.prompt filled
//! runs/<label>/import.json        ImportInfo: source, split, skipped counts, topic mix
//! ```
//!
//! Runs are written into temporary directories beside the target and renamed into place only
//! when the whole input was read without error, so a failed import leaves nothing half-written.
//!
//! Privacy: nothing in this module (or anything it calls) opens a network connection. An
//! import reads one local file and writes local files; that is all.

pub mod chatgpt;
pub mod cli;
pub mod csv;
pub mod jsonl;
mod lang;
pub mod promptfoo;
pub mod tabular;
pub mod topics;

pub use lang::detect_language;
pub use topics::{classify_topic, record_topic, topic_mix, Topic, TopicMix};

use crate::error;
use crate::store::{self, Counts, Manifest, Record, RunDir, Sampling, Status};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// File name of the import sidecar in each imported run directory.
pub const IMPORT_INFO: &str = "import.json";
pub const IMPORT_INFO_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Jsonl,
    Chatgpt,
    Promptfoo,
}

impl Format {
    pub fn id(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Chatgpt => "chatgpt",
            Format::Promptfoo => "promptfoo",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "chatgpt" | "openai-export" => Some(Format::Chatgpt),
            "promptfoo" => Some(Format::Promptfoo),
            _ => None,
        }
    }
}

/// What to split one input into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    Model,
    Date,
    None,
}

/// Field (column) names for CSV and JSONL. `None` = use the default name or a known alias
/// when the file has it; `Some` = the user named it, so it must exist.
#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    pub prompt: Option<String>,
    pub response: Option<String>,
    pub model: Option<String>,
    pub conversation: Option<String>,
    pub turn: Option<String>,
    pub timestamp: Option<String>,
    pub sample: Option<String>,
    pub category: Option<String>,
    pub system: Option<String>,
}

impl FieldMap {
    pub fn is_empty(&self) -> bool {
        [
            &self.prompt,
            &self.response,
            &self.model,
            &self.conversation,
            &self.turn,
            &self.timestamp,
            &self.sample,
            &self.category,
            &self.system,
        ]
        .iter()
        .all(|f| f.is_none())
    }
}

/// Everything `import` needs, already validated from flags.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    /// `None` = infer from the file name and content ([`infer_format`]).
    pub format: Option<Format>,
    pub out: PathBuf,
    pub label: Option<String>,
    pub fields: FieldMap,
    /// Empty = the format's default (by model where the input has models).
    pub split_by: Vec<SplitBy>,
    pub before: Option<DateTime<Utc>>,
    pub after: Option<DateTime<Utc>>,
    /// Force the language of every record instead of guessing it.
    pub language: Option<String>,
    /// CSV delimiter; `None` = `\t` for `.tsv`, otherwise sniffed from the header line.
    pub delimiter: Option<u8>,
    /// Replace existing run directories with the same labels.
    pub force: bool,
}

impl ImportOptions {
    pub fn new(file: impl Into<PathBuf>) -> Self {
        ImportOptions {
            file: file.into(),
            format: None,
            out: PathBuf::from(store::DEFAULT_RUNS_DIR),
            label: None,
            fields: FieldMap::default(),
            split_by: Vec::new(),
            before: None,
            after: None,
            language: None,
            delimiter: None,
            force: false,
        }
    }

    pub(crate) fn splits(&self, what: SplitBy) -> bool {
        self.split_by.contains(&what)
    }
}

/// `import.json`: what an imported run came from. Compare/report read the topic mix from here
/// (or compute it with [`topic_mix`] for any run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportInfo {
    pub schema_version: u32,
    pub format: Format,
    /// The input's file name only (never its full path: it can be personal).
    pub source: String,
    pub imported_at: String,
    pub label: String,
    /// The split value this run holds, e.g. `gpt-4o`, `before`, `gpt-5 after`; `None` when the
    /// input was not split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// How records pair with another run: `prompt_id` (ids from the input, a test index or a
    /// hash of the normalised prompt: pair as battery probes do) or `conversation` (a personal
    /// history: each record is its own conversation; comparisons are unpaired unless the other
    /// run holds the same conversations).
    pub pairing: String,
    /// Which input fields were used (CSV/JSONL), e.g. `prompt -> query`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    pub records: u64,
    pub replies: u64,
    /// First and last reply timestamps (RFC 3339), when the input had them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply_at: Option<String>,
    /// What the importer skipped in the whole input (not only this run), with counts.
    pub skipped: BTreeMap<String, u64>,
    /// Conversations per topic in this run.
    pub topics: TopicMix,
}

/// Read `import.json` of a run directory; `None` for runs that were not imported.
pub fn read_import_info(run: &RunDir) -> anyhow::Result<Option<ImportInfo>> {
    let p = run.path.join(IMPORT_INFO);
    if !p.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p).map_err(|e| error::usage(format!("{}: {e}", p.display())))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| error::usage(format!("{}:{}: not an import.json: {e}", p.display(), e.line())))
}

/// True when a run is an imported personal history (`pairing = "conversation"`, e.g. a ChatGPT
/// export): its records are conversations, not shared prompts, so a comparison with it should be
/// unpaired even where conversation ids coincide (a conversation that switched models appears in
/// both model runs under one id, with different prompts).
pub fn is_personal_history(run: &RunDir) -> bool {
    matches!(read_import_info(run), Ok(Some(info)) if info.pairing == "conversation")
}

/// One run written by an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedRun {
    pub label: String,
    pub path: PathBuf,
    pub records: u64,
    pub failed: u64,
    pub replies: u64,
    pub models: BTreeMap<String, u64>,
    pub first_reply_at: Option<String>,
    pub last_reply_at: Option<String>,
    pub topics: TopicMix,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub format: Format,
    pub source: PathBuf,
    /// How the format was chosen when `--format` was not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred: Option<String>,
    pub runs: Vec<ImportedRun>,
    pub skipped: BTreeMap<String, u64>,
    pub fields: BTreeMap<String, String>,
}

impl ImportSummary {
    /// Human summary for the terminal.
    pub fn render(&self, runs_dir: &Path) -> String {
        let mut s = String::new();
        let src = self.source.display();
        s.push_str(&format!(
            "Imported {} ({}){}; read locally, nothing was sent anywhere.\n",
            src,
            self.format.id(),
            self.inferred
                .as_ref()
                .map(|h| format!(", format inferred from {h}"))
                .unwrap_or_default()
        ));
        if !self.fields.is_empty() {
            let f: Vec<String> = self.fields.iter().map(|(k, v)| format!("{k} <- {v:?}")).collect();
            s.push_str(&format!("Fields: {}\n", f.join(", ")));
        }
        for r in &self.runs {
            let range = match (&r.first_reply_at, &r.last_reply_at) {
                (Some(a), Some(b)) => format!(", {} .. {}", &a[..10.min(a.len())], &b[..10.min(b.len())]),
                _ => String::new(),
            };
            let topics: Vec<String> = r
                .topics
                .rows()
                .iter()
                .map(|(t, n, _)| format!("{} {n}", t.id()))
                .collect();
            s.push_str(&format!(
                "  {}  {} conversation(s){}, {} repl{}{}\n      topics: {}\n",
                r.path.display(),
                r.records,
                if r.failed > 0 {
                    format!(" ({} failed)", r.failed)
                } else {
                    String::new()
                },
                r.replies,
                if r.replies == 1 { "y" } else { "ies" },
                range,
                if topics.is_empty() {
                    "-".to_string()
                } else {
                    topics.join(", ")
                }
            ));
        }
        if !self.skipped.is_empty() {
            let k: Vec<String> = self.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
            s.push_str(&format!("Skipped: {}\n", k.join("; ")));
        }
        if self.runs.len() >= 2 {
            let rel = |p: &Path| {
                if p.parent() == Some(runs_dir) {
                    p.file_name().unwrap().to_string_lossy().to_string()
                } else {
                    p.display().to_string()
                }
            };
            s.push_str(&format!(
                "Next: persona-drift compare {} {}\n",
                rel(&self.runs[0].path),
                rel(&self.runs[1].path)
            ));
        }
        s
    }
}

/// Run an import end to end.
pub fn run(opts: &ImportOptions) -> anyhow::Result<ImportSummary> {
    if !opts.file.exists() {
        return Err(error::usage(format!("{}: no such file", opts.file.display())));
    }
    if opts.file.is_dir() {
        return Err(error::usage(format!(
            "{}: is a directory; give the file to import (e.g. conversations.json or the export .zip)",
            opts.file.display()
        )));
    }
    let (format, inferred) = match opts.format {
        Some(f) => (f, None),
        None => {
            let (f, how) = infer_format(&opts.file)?;
            (f, Some(how))
        }
    };
    if let (Some(b), Some(a)) = (opts.before, opts.after) {
        if !opts.splits(SplitBy::Date) && a >= b {
            return Err(error::usage(format!(
                "--after {} is not before --before {}: no reply could match both (to split into two \
                 runs at a date, add --split-by date)",
                a.to_rfc3339(),
                b.to_rfc3339()
            )));
        }
        if opts.splits(SplitBy::Date) && a < b {
            return Err(error::usage(
                "with --split-by date, --before must not be later than --after (replies between \
                 the two dates are left out)",
            ));
        }
    }
    if opts.splits(SplitBy::Date) && opts.before.is_none() && opts.after.is_none() {
        return Err(error::usage(
            "--split-by date needs the date to split at: --before DATE (and optionally --after DATE \
             to leave out a transition period)",
        ));
    }
    if opts.splits(SplitBy::None) && opts.split_by.len() > 1 {
        return Err(error::usage(
            "--split-by none cannot be combined with other splits",
        ));
    }
    if !opts.fields.is_empty() && !matches!(format, Format::Csv | Format::Jsonl) {
        return Err(error::usage(format!(
            "field mapping flags (--prompt-field etc.) apply to csv and jsonl, not to {}",
            format.id()
        )));
    }
    let mut sink = Sink::new(opts, format)?;
    let fields = match format {
        Format::Csv => csv::import(opts, &mut sink)?,
        Format::Jsonl => jsonl::import(opts, &mut sink)?,
        Format::Chatgpt => {
            chatgpt::import(opts, &mut sink)?;
            BTreeMap::new()
        }
        Format::Promptfoo => {
            promptfoo::import(opts, &mut sink)?;
            BTreeMap::new()
        }
    };
    sink.fields = fields.clone();
    let skipped = sink.skipped.clone();
    let runs = sink.finish()?;
    Ok(ImportSummary {
        format,
        source: opts.file.clone(),
        inferred,
        runs,
        skipped,
        fields,
    })
}

/// Infer the format from the file name, then from its first bytes.
///
/// `.zip` -> chatgpt; `.csv`/`.tsv` -> csv; `.jsonl`/`.ndjson` -> jsonl; `.json` (or anything
/// else): a top-level array whose start mentions `"mapping"` -> chatgpt, an object that mentions
/// `"evalId"` or `"results"` -> promptfoo, an object on the first line followed by more lines
/// -> jsonl. Returns the format and how it was decided.
pub fn infer_format(path: &Path) -> anyhow::Result<(Format, String)> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "zip" => {
            return Ok((
                Format::Chatgpt,
                "the .zip extension (a ChatGPT data export)".into(),
            ))
        }
        "csv" | "tsv" => return Ok((Format::Csv, format!("the .{ext} extension"))),
        "jsonl" | "ndjson" => return Ok((Format::Jsonl, format!("the .{ext} extension"))),
        _ => {}
    }
    let mut head = Vec::new();
    File::open(path)
        .map_err(|e| error::usage(format!("{}: {e}", path.display())))?
        .take(256 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| error::usage(format!("{}: {e}", path.display())))?;
    if head.starts_with(b"PK\x03\x04") {
        return Ok((Format::Chatgpt, "its content (a zip archive)".into()));
    }
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        if trimmed.contains("\"mapping\"") || trimmed.starts_with("[]") {
            return Ok((
                Format::Chatgpt,
                "its content (an array of conversations with \"mapping\")".into(),
            ));
        }
    } else if trimmed.starts_with('{') {
        let first_line = trimmed.lines().next().unwrap_or("");
        let more_lines = trimmed.lines().filter(|l| !l.trim().is_empty()).count() > 1;
        if serde_json::from_str::<serde_json::Value>(first_line).is_ok_and(|v| v.is_object()) && more_lines {
            return Ok((Format::Jsonl, "its content (one JSON object per line)".into()));
        }
        if trimmed.contains("\"evalId\"") || trimmed.contains("\"results\"") {
            return Ok((
                Format::Promptfoo,
                "its content (a promptfoo results object)".into(),
            ));
        }
        if serde_json::from_str::<serde_json::Value>(first_line).is_ok_and(|v| v.is_object()) {
            return Ok((Format::Jsonl, "its content (one JSON object per line)".into()));
        }
    } else if let Some(first) = trimmed.lines().next() {
        if first.contains(',') || first.contains('\t') || first.contains(';') {
            return Ok((Format::Csv, "its content (a delimited header line)".into()));
        }
    }
    Err(error::usage(format!(
        "{}: cannot tell the format from the name or content; pass --format csv|jsonl|chatgpt|promptfoo",
        path.display()
    )))
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Turn a model name, provider or date part into a run label: lowercase ASCII letters, digits,
/// `.`, `_` and `-`; anything else becomes `-`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_string();
    if out.is_empty() {
        "run".into()
    } else {
        out
    }
}

/// Normalise prompt text for matching: NFC, lowercase, whitespace collapsed, trimmed.
pub fn normalise_prompt(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = s.nfc().collect();
    nfc.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `p-` + 12 hex digits of SHA-256 of the normalised prompt: the probe id of a prompt without
/// an id, equal for the same question in two files whatever its spacing or case.
pub fn prompt_id(prompt: &str) -> String {
    let h = Sha256::digest(normalise_prompt(prompt).as_bytes());
    format!("p-{}", &hex::encode(h)[..12])
}

/// Parse a user date: `YYYY-MM-DD` (midnight UTC), RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (UTC).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    parse_timestamp_str(s)
}

/// Parse a timestamp from data: RFC 3339, `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` (UTC), `YYYY-MM-DD`,
/// or Unix seconds/milliseconds.
pub fn parse_timestamp_str(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    if let Ok(n) = s.parse::<f64>() {
        return epoch(n);
    }
    None
}

/// Unix seconds (or milliseconds, when it looks like them) to a time.
pub fn epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let secs = if n > 1e11 { n / 1000.0 } else { n };
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9) as u32;
    Utc.timestamp_opt(whole, nanos).single()
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Where a reply goes by date: `Ok(Some("before"|"after"))` with `--split-by date`, `Ok(None)`
/// when kept without a date split, `Err(reason)` when left out.
pub(crate) fn date_part(
    opts: &ImportOptions,
    ts: Option<DateTime<Utc>>,
) -> Result<Option<&'static str>, &'static str> {
    let split = opts.splits(SplitBy::Date);
    if !split && opts.before.is_none() && opts.after.is_none() {
        return Ok(None);
    }
    let Some(ts) = ts else {
        return Err("replies without a timestamp (a date split or filter needs one)");
    };
    if split {
        let before_cut = opts.before.or(opts.after).expect("checked in run()");
        let after_cut = opts.after.or(opts.before).expect("checked in run()");
        if ts < before_cut {
            Ok(Some("before"))
        } else if ts >= after_cut {
            Ok(Some("after"))
        } else {
            Err("replies between --before and --after")
        }
    } else {
        if let Some(b) = opts.before {
            if ts >= b {
                return Err("replies not before --before");
            }
        }
        if let Some(a) = opts.after {
            if ts < a {
                return Err("replies before --after");
            }
        }
        Ok(None)
    }
}

/// The run a reply goes to: its split value(s), or `None` for a single unsplit run.
pub(crate) fn split_key(model: Option<&str>, date: Option<&str>, by_model: bool) -> Option<String> {
    let m = if by_model {
        Some(model.unwrap_or("unknown-model"))
    } else {
        None
    };
    match (m, date) {
        (Some(m), Some(d)) => Some(format!("{m} {d}")),
        (Some(m), None) => Some(m.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
}

/// Language of a record: `--language` if given, else a guess from its messages.
pub(crate) fn record_language(opts: &ImportOptions, r: &Record) -> String {
    if let Some(l) = &opts.language {
        return l.clone();
    }
    // The user side first, so the same prompts get the same language in every run they pair
    // with; the replies help only when the prompts alone are too short to tell.
    let user: Vec<&str> = r
        .messages
        .iter()
        .filter(|m| m.role == crate::store::Role::User)
        .map(|m| m.content.as_str())
        .collect();
    let lang = detect_language(&user);
    if lang != "und" {
        return lang;
    }
    let texts: Vec<&str> = r.messages.iter().map(|m| m.content.as_str()).collect();
    detect_language(&texts)
}

// ---------------------------------------------------------------------------------------------
// The sink: output runs written as records arrive.

/// What the manifest says about where a run's replies came from.
#[derive(Debug, Clone)]
pub(crate) struct RunMeta {
    pub provider: String,
    /// The model when the run holds one model, else `None` (derived from replies).
    pub model: Option<String>,
    pub pairing: &'static str,
}

struct RunBuild {
    split: Option<String>,
    meta: RunMeta,
    tmp: PathBuf,
    writer: BufWriter<File>,
    records: u64,
    failed: u64,
    replies: u64,
    samples: u32,
    models: BTreeMap<String, u64>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    topics: TopicMix,
    /// (probe id, sample) already written: later stages key records by it, so it must be unique.
    keys: std::collections::HashSet<(String, u32)>,
}

/// Collects records into output runs keyed by split value, writing each record as it arrives.
pub struct Sink {
    out: PathBuf,
    format: Format,
    label: Option<String>,
    default_label: String,
    source: String,
    force: bool,
    imported_at: String,
    runs: Vec<RunBuild>,
    index: BTreeMap<Option<String>, usize>,
    pub(crate) skipped: BTreeMap<String, u64>,
    pub(crate) fields: BTreeMap<String, String>,
    finished: bool,
}

impl Sink {
    pub(crate) fn new(opts: &ImportOptions, format: Format) -> anyhow::Result<Sink> {
        if let Some(l) = &opts.label {
            if l.is_empty() || l.contains('/') || l.contains('\\') || l == "." || l == ".." {
                return Err(error::usage(format!(
                    "--label {l:?}: a label is a directory name (no slashes, not . or ..)"
                )));
            }
        }
        let stem = opts
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "import".into());
        Ok(Sink {
            out: opts.out.clone(),
            format,
            label: opts.label.clone(),
            default_label: slugify(&stem),
            source: opts
                .file
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
            force: opts.force,
            imported_at: rfc3339(Utc::now()),
            runs: Vec::new(),
            index: BTreeMap::new(),
            skipped: BTreeMap::new(),
            fields: BTreeMap::new(),
            finished: false,
        })
    }

    /// Count something the importer left out.
    pub(crate) fn skip(&mut self, what: &str, n: u64) {
        if n > 0 {
            *self.skipped.entry(what.to_string()).or_default() += n;
        }
    }

    /// Write one record to the run of `split` (created on first use).
    pub(crate) fn push(
        &mut self,
        split: Option<String>,
        meta: &RunMeta,
        record: &Record,
    ) -> anyhow::Result<()> {
        let i = match self.index.get(&split) {
            Some(&i) => i,
            None => {
                std::fs::create_dir_all(&self.out)
                    .map_err(|e| error::usage(format!("{}: cannot create: {e}", self.out.display())))?;
                let tmp = self
                    .out
                    .join(format!(".import-{}-{}.tmp", std::process::id(), self.runs.len()));
                if tmp.exists() {
                    let _ = std::fs::remove_dir_all(&tmp);
                }
                std::fs::create_dir_all(&tmp)
                    .map_err(|e| error::usage(format!("{}: cannot create: {e}", tmp.display())))?;
                let f = File::create(tmp.join(store::TRANSCRIPTS))
                    .map_err(|e| error::usage(format!("{}: {e}", tmp.display())))?;
                self.runs.push(RunBuild {
                    split: split.clone(),
                    meta: meta.clone(),
                    tmp,
                    writer: BufWriter::with_capacity(1 << 16, f),
                    records: 0,
                    failed: 0,
                    replies: 0,
                    samples: 0,
                    models: BTreeMap::new(),
                    first: None,
                    last: None,
                    topics: TopicMix::default(),
                    keys: std::collections::HashSet::new(),
                });
                self.index.insert(split, self.runs.len() - 1);
                self.runs.len() - 1
            }
        };
        let run = &mut self.runs[i];
        let mut sample = record.sample;
        while run.keys.contains(&(record.probe_id.clone(), sample)) {
            sample += 1;
        }
        let renumbered;
        let record = if sample != record.sample {
            *self
                .skipped
                .entry("repeated ids kept as further samples (not skipped)".into())
                .or_default() += 1;
            let mut r = record.clone();
            r.sample = sample;
            renumbered = r;
            &renumbered
        } else {
            record
        };
        run.keys.insert((record.probe_id.clone(), sample));
        let mut line = serde_json::to_vec(record).expect("record serialises");
        line.push(b'\n');
        run.writer
            .write_all(&line)
            .map_err(|e| error::usage(format!("{}: write failed: {e}", run.tmp.display())))?;
        run.records += 1;
        if record.status == Status::Failed {
            run.failed += 1;
        }
        run.samples = run.samples.max(record.sample + 1);
        run.replies += record.replies.len() as u64;
        for r in &record.replies {
            if let Some(m) = &r.model {
                *run.models.entry(m.clone()).or_default() += 1;
            }
            if let Some(t) = r.timestamp.as_deref().and_then(parse_timestamp_str) {
                run.first = Some(run.first.map_or(t, |f| f.min(t)));
                run.last = Some(run.last.map_or(t, |l| l.max(t)));
            }
        }
        run.topics.add(record_topic(record));
        Ok(())
    }

    fn labels(&self) -> Vec<String> {
        let mut used: BTreeMap<String, u32> = BTreeMap::new();
        let mut out = Vec::new();
        for r in &self.runs {
            let base = match (&r.split, &self.label) {
                (None, Some(l)) => l.clone(),
                (None, None) => self.default_label.clone(),
                (Some(s), Some(l)) => format!("{l}-{}", slugify(s)),
                (Some(s), None) => slugify(s),
            };
            let n = used.entry(base.clone()).or_default();
            *n += 1;
            out.push(if *n == 1 { base } else { format!("{base}-{n}") });
        }
        out
    }

    /// Finish every run: flush, write manifest and import.json, move into place.
    pub(crate) fn finish(mut self) -> anyhow::Result<Vec<ImportedRun>> {
        if self.runs.is_empty() {
            let skipped: Vec<String> = self.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
            return Err(error::usage(format!(
                "{}: nothing to import: no conversation had a reply that could be imported{}",
                self.source,
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (skipped: {})", skipped.join("; "))
                }
            )));
        }
        let labels = self.labels();
        // Refuse to clobber before touching anything.
        for l in &labels {
            let dest = self.out.join(l);
            if dest.exists() && !self.force {
                return Err(error::usage(format!(
                    "{}: already exists; choose another --label or --out, or pass --force to replace it",
                    dest.display()
                )));
            }
        }
        let mut done = Vec::new();
        for (run, label) in self.runs.iter_mut().zip(&labels) {
            run.writer
                .flush()
                .map_err(|e| error::usage(format!("{}: write failed: {e}", run.tmp.display())))?;
            run.writer
                .get_ref()
                .sync_all()
                .map_err(|e| error::usage(format!("{}: sync failed: {e}", run.tmp.display())))?;
            let model = run.meta.model.clone().unwrap_or_else(|| match run.models.len() {
                0 => "unknown".into(),
                1 => run.models.keys().next().unwrap().clone(),
                _ => "mixed".into(),
            });
            let first = run.first.map(rfc3339);
            let last = run.last.map(rfc3339);
            let manifest = Manifest {
                schema_version: store::SCHEMA_VERSION,
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                label: label.clone(),
                origin: format!("import:{}", self.format.id()),
                battery_hash: None,
                provider: run.meta.provider.clone(),
                base_url: None,
                model_requested: model,
                models_reported: run.models.clone(),
                system_fingerprints: BTreeMap::new(),
                sampling: Sampling {
                    temperature: None,
                    top_p: None,
                    max_tokens: None,
                    seed: None,
                },
                samples: run.samples.max(1),
                system_prompt: None,
                persona_card: None,
                probes_filter: None,
                started_at: first.clone().unwrap_or_else(|| self.imported_at.clone()),
                finished_at: Some(last.clone().unwrap_or_else(|| self.imported_at.clone())),
                counts: Counts {
                    expected: run.records,
                    finished: run.records - run.failed,
                    failed: run.failed,
                },
            };
            let tmp_run = RunDir::new(&run.tmp);
            tmp_run.write_manifest(&manifest)?;
            let info = ImportInfo {
                schema_version: IMPORT_INFO_VERSION,
                format: self.format,
                source: self.source.clone(),
                imported_at: self.imported_at.clone(),
                label: label.clone(),
                split: run.split.clone(),
                pairing: run.meta.pairing.to_string(),
                fields: self.fields.clone(),
                records: run.records,
                replies: run.replies,
                first_reply_at: first.clone(),
                last_reply_at: last.clone(),
                skipped: self.skipped.clone(),
                topics: run.topics.clone(),
            };
            store::write_json_atomic(&run.tmp.join(IMPORT_INFO), &info)?;
            done.push(ImportedRun {
                label: label.clone(),
                path: self.out.join(label),
                records: run.records,
                failed: run.failed,
                replies: run.replies,
                models: run.models.clone(),
                first_reply_at: first,
                last_reply_at: last,
                topics: run.topics.clone(),
            });
        }
        for (run, label) in self.runs.iter().zip(&labels) {
            let dest = self.out.join(label);
            if dest.exists() {
                std::fs::remove_dir_all(&dest)
                    .map_err(|e| error::usage(format!("{}: cannot replace: {e}", dest.display())))?;
            }
            std::fs::rename(&run.tmp, &dest)
                .map_err(|e| error::usage(format!("{}: cannot move into place: {e}", dest.display())))?;
        }
        self.finished = true;
        Ok(done)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if !self.finished {
            for r in &self.runs {
                let _ = std::fs::remove_dir_all(&r.tmp);
            }
        }
    }
}

/// A JSON path like `$.[12].mapping.abc.message.content.parts[0]`, built as values are read.
#[derive(Debug, Clone)]
pub(crate) struct JPath(pub String);

impl JPath {
    pub fn root() -> JPath {
        JPath("$".into())
    }
    pub fn key(&self, k: &str) -> JPath {
        let simple = !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if simple {
            JPath(format!("{}.{k}", self.0))
        } else {
            JPath(format!(
                "{}[{}]",
                self.0,
                serde_json::to_string(k).unwrap_or_default()
            ))
        }
    }
    pub fn idx(&self, i: usize) -> JPath {
        if self.0 == "$" {
            JPath(format!("$.[{i}]"))
        } else {
            JPath(format!("{}[{i}]", self.0))
        }
    }
}

impl std::fmt::Display for JPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("gpt-4o"), "gpt-4o");
        assert_eq!(slugify("GPT 4o (Aug)"), "gpt-4o-aug");
        assert_eq!(slugify("openai:gpt-4o-mini"), "openai-gpt-4o-mini");
        assert_eq!(slugify("gpt-5 before"), "gpt-5-before");
        assert_eq!(slugify("///"), "run");
    }

    #[test]
    fn prompt_ids_ignore_case_and_spacing() {
        assert_eq!(prompt_id("Hello   world\n"), prompt_id("hello world"));
        assert_ne!(prompt_id("hello world"), prompt_id("hello there"));
        assert!(prompt_id("x").starts_with("p-"));
        assert_eq!(prompt_id("x").len(), 14);
    }

    #[test]
    fn dates_and_timestamps() {
        let d = parse_date("2025-08-07").unwrap();
        assert_eq!(rfc3339(d), "2025-08-07T00:00:00Z");
        assert_eq!(
            rfc3339(parse_timestamp_str("2025-08-07 10:11:12").unwrap()),
            "2025-08-07T10:11:12Z"
        );
        assert_eq!(
            rfc3339(parse_timestamp_str("2025-08-07T10:11:12+02:00").unwrap()),
            "2025-08-07T08:11:12Z"
        );
        assert_eq!(
            rfc3339(parse_timestamp_str("1754524800").unwrap()),
            "2025-08-07T00:00:00Z"
        );
        assert_eq!(
            rfc3339(parse_timestamp_str("1754524800000").unwrap()),
            "2025-08-07T00:00:00Z"
        );
        assert!(parse_timestamp_str("yesterday").is_none());
        assert!(parse_date("2025-13-01").is_none());
    }

    #[test]
    fn date_parts() {
        let mut o = ImportOptions::new("x");
        o.split_by = vec![SplitBy::Date];
        o.before = parse_date("2025-08-07");
        assert_eq!(date_part(&o, parse_date("2025-08-06")), Ok(Some("before")));
        assert_eq!(date_part(&o, parse_date("2025-08-07")), Ok(Some("after")));
        assert!(date_part(&o, None).is_err());
        o.after = parse_date("2025-08-14");
        assert!(date_part(&o, parse_date("2025-08-10")).is_err());
        assert_eq!(date_part(&o, parse_date("2025-08-14")), Ok(Some("after")));
        let mut f = ImportOptions::new("x");
        f.after = parse_date("2025-01-01");
        assert_eq!(date_part(&f, parse_date("2025-02-01")), Ok(None));
        assert!(date_part(&f, parse_date("2024-02-01")).is_err());
    }

    #[test]
    fn json_paths() {
        let p = JPath::root()
            .idx(12)
            .key("mapping")
            .key("abc")
            .key("parts")
            .idx(0);
        assert_eq!(p.to_string(), "$.[12].mapping.abc.parts[0]");
        assert_eq!(JPath::root().key("a b").to_string(), "$[\"a b\"]");
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    #[test]
    fn summary_renders_runs_topics_skips_and_next_step() {
        let mut topics = TopicMix::default();
        topics.add(Topic::EmotionalSupport);
        topics.add(Topic::EmotionalSupport);
        topics.add(Topic::WorkCode);
        let run = |label: &str, failed: u64| ImportedRun {
            label: label.into(),
            path: PathBuf::from("runs").join(label),
            records: 3,
            failed,
            replies: 7,
            models: BTreeMap::from([(label.to_string(), 7)]),
            first_reply_at: Some("2025-06-01T12:00:00Z".into()),
            last_reply_at: Some("2025-08-06T09:30:00Z".into()),
            topics: topics.clone(),
        };
        let s = ImportSummary {
            format: Format::Chatgpt,
            source: PathBuf::from("chatgpt-export.zip"),
            inferred: Some("the .zip extension (a ChatGPT data export)".into()),
            runs: vec![run("gpt-4o", 0), run("gpt-5", 1)],
            skipped: BTreeMap::from([
                ("image parts".to_string(), 2),
                ("regenerated replies (branches not followed)".to_string(), 5),
            ]),
            fields: BTreeMap::new(),
        };
        insta::assert_snapshot!(s.render(Path::new("runs")));
    }
}
