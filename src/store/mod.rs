//! The run directory: the unit users keep, share and compare.
//!
//! ```text
//! runs/<label>/manifest.json      what was run, against what, when, and how it went (never a key)
//! runs/<label>/battery.json       the normalised battery the run used (later stages read this,
//!                                 never probes/)
//! runs/<label>/transcripts.jsonl  one record per finished (or failed) conversation, appended
//!                                 and flushed as each ends; a torn last line is ignored
//! ```

mod latest;
pub use latest::latest_records;

use crate::error::Exit;
use crate::probes::Battery;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Version of the manifest/transcript schema written by this build.
pub const SCHEMA_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const BATTERY: &str = "battery.json";
pub const TRANSCRIPTS: &str = "transcripts.jsonl";
/// Default parent directory of run directories.
pub const DEFAULT_RUNS_DIR: &str = "runs";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Base seed; sample `i` of a probe is sent with `seed + i` where the API takes a seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Conversations the run should have: probes x samples.
    pub expected: u64,
    pub finished: u64,
    pub failed: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub tool_version: String,
    pub label: String,
    /// Where the run came from: `run` (collected by this tool) or `import:<format>`.
    #[serde(default = "default_origin")]
    pub origin: String,
    /// Hash of the normalised battery; `None` for imported runs that have no battery.
    pub battery_hash: Option<String>,
    /// `openai`, `anthropic`, `ollama`, `openai-compatible`, ...
    pub provider: String,
    /// The base URL requests went to (never a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub model_requested: String,
    /// Model ids the API reported, with how many replies reported each.
    #[serde(default)]
    pub models_reported: BTreeMap<String, u64>,
    /// System fingerprints the API reported, with counts.
    #[serde(default)]
    pub system_fingerprints: BTreeMap<String, u64>,
    pub sampling: Sampling,
    pub samples: u32,
    /// Extra system prompt given with `--system-prompt` (placed before a probe's persona).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Name of the `--persona` character card given to probes without a persona of their own
    /// (the card itself is in `battery.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona_card: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes_filter: Option<String>,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub counts: Counts,
}

fn default_origin() -> String {
    "run".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// True for a persona's example exchange (fixed text, not generated in this run).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub example: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
}

/// One generated assistant reply, with what the API said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// 0-based index of the user turn this reply answers.
    pub turn: u32,
    /// The user message it answers (duplicated from `messages` so imports and scoring need
    /// nothing else).
    pub prompt: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Model id the API reported for this reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// HTTP attempts it took (1 = first try).
    #[serde(default = "one")]
    pub attempts: u32,
    /// When the reply was received (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Finished,
    Failed,
}

/// One line of `transcripts.jsonl`: one conversation (probe x sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub probe_id: String,
    pub sample: u32,
    /// Copied from the probe so a run directory is self-describing.
    pub category: String,
    pub language: String,
    pub status: Status,
    /// The whole conversation as sent and received: system prompt, example exchanges
    /// (`example: true`), then alternating user turns and replies.
    pub messages: Vec<Message>,
    /// The generated replies, in turn order.
    pub replies: Vec<Reply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl Record {
    pub fn key(&self) -> (String, u32) {
        (self.probe_id.clone(), self.sample)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a run directory (no {MANIFEST}); make one with `persona-drift run` or `persona-drift import`")]
    NotARun { path: String },
    #[error("no run named {label:?}: looked for {tried}")]
    UnknownRun { label: String, tried: String },
    #[error("{path}:{line}: {message}")]
    Corrupt {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: schema version {found} is newer than this build understands ({SCHEMA_VERSION}); upgrade persona-drift")]
    TooNew { path: String, found: u32 },
    #[error("{0}")]
    Mismatch(String),
}

impl StoreError {
    pub fn exit(&self) -> Exit {
        Exit::Usage
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What reading `transcripts.jsonl` found.
#[derive(Debug, Default)]
pub struct Transcripts {
    pub records: Vec<Record>,
    /// A last line without a newline that did not parse (a crash mid-write); ignored.
    pub torn_tail: bool,
    /// Byte length of the valid prefix (a writer truncates the file to this before appending).
    pub valid_len: u64,
}

/// A run directory on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        RunDir { path: path.into() }
    }

    /// Resolve a user's argument: a path to a run directory, or a label in `runs_dir`
    /// (the way criterion resolves saved baselines).
    pub fn resolve(arg: &str, runs_dir: &Path) -> Result<RunDir, StoreError> {
        let as_path = PathBuf::from(arg);
        if as_path.join(MANIFEST).is_file() {
            return Ok(RunDir::new(as_path));
        }
        let labelled = runs_dir.join(arg);
        if labelled.join(MANIFEST).is_file() {
            return Ok(RunDir::new(labelled));
        }
        if as_path.is_dir() {
            return Err(StoreError::NotARun {
                path: as_path.display().to_string(),
            });
        }
        Err(StoreError::UnknownRun {
            label: arg.into(),
            tried: format!("{} and {}", as_path.display(), labelled.display()),
        })
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.path.join(MANIFEST)
    }
    pub fn battery_path(&self) -> PathBuf {
        self.path.join(BATTERY)
    }
    pub fn transcripts_path(&self) -> PathBuf {
        self.path.join(TRANSCRIPTS)
    }

    pub fn exists(&self) -> bool {
        self.manifest_path().is_file()
    }

    pub fn read_manifest(&self) -> Result<Manifest, StoreError> {
        let p = self.manifest_path();
        if !p.is_file() {
            return Err(StoreError::NotARun {
                path: self.path.display().to_string(),
            });
        }
        let text = std::fs::read_to_string(&p).map_err(io_err(&p))?;
        let probe: serde_json::Value = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: p.display().to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if let Some(v) = probe.get("schema_version").and_then(|v| v.as_u64()) {
            if v > SCHEMA_VERSION as u64 {
                return Err(StoreError::TooNew {
                    path: p.display().to_string(),
                    found: v as u32,
                });
            }
        }
        serde_json::from_value(probe).map_err(|e| StoreError::Corrupt {
            path: p.display().to_string(),
            line: 1,
            message: e.to_string(),
        })
    }

    /// Write the manifest atomically (temp file + rename), so a crash never leaves half a file.
    pub fn write_manifest(&self, m: &Manifest) -> Result<(), StoreError> {
        write_json_atomic(&self.manifest_path(), m)
    }

    pub fn read_battery(&self) -> Result<Option<Battery>, StoreError> {
        let p = self.battery_path();
        if !p.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(io_err(&p))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path: p.display().to_string(),
                line: e.line(),
                message: e.to_string(),
            })
    }

    pub fn write_battery(&self, b: &Battery) -> Result<(), StoreError> {
        write_json_atomic(&self.battery_path(), b)
    }

    /// Read every record. A torn last line (no trailing newline, not valid JSON) is reported
    /// in `torn_tail` and ignored; a bad line elsewhere is an error naming file and line.
    pub fn read_transcripts(&self) -> Result<Transcripts, StoreError> {
        let p = self.transcripts_path();
        let mut out = Transcripts::default();
        let f = match File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err(&p)(e)),
        };
        let mut reader = BufReader::new(f);
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(io_err(&p))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let complete = buf.last() == Some(&b'\n');
            let text = String::from_utf8_lossy(&buf);
            let trimmed = text.trim();
            if trimmed.is_empty() {
                out.valid_len += n as u64;
                continue;
            }
            match serde_json::from_str::<Record>(trimmed) {
                Ok(r) if complete => {
                    out.records.push(r);
                    out.valid_len += n as u64;
                }
                Ok(_) | Err(_) if !complete => {
                    // The last line of the file, never finished: a crash mid-append.
                    out.torn_tail = true;
                    break;
                }
                Err(e) => {
                    return Err(StoreError::Corrupt {
                        path: p.display().to_string(),
                        line: line_no,
                        message: format!("not a transcript record: {e}"),
                    })
                }
                Ok(_) => unreachable!(),
            }
        }
        Ok(out)
    }
}

/// Appends records to `transcripts.jsonl`, one line each, flushed and synced per record.
pub struct TranscriptWriter {
    file: File,
    path: PathBuf,
}

impl TranscriptWriter {
    /// Open for appending. `valid_len` (from [`RunDir::read_transcripts`]) cuts off a torn tail
    /// first so the next record starts on a fresh line.
    pub fn open(run: &RunDir, valid_len: u64) -> Result<Self, StoreError> {
        let path = run.transcripts_path();
        std::fs::create_dir_all(&run.path).map_err(io_err(&run.path))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len > valid_len {
            file.set_len(valid_len).map_err(io_err(&path))?;
        }
        Ok(TranscriptWriter { file, path })
    }

    /// Append several records with one flush and sync (group commit): as durable as
    /// [`append`](Self::append) per record, without one fsync per record.
    pub fn append_batch(&mut self, records: &[Record]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for r in records {
            serde_json::to_writer(&mut buf, r).expect("record serialises");
            buf.push(b'\n');
        }
        self.file.write_all(&buf).map_err(io_err(&self.path))?;
        self.file.flush().map_err(io_err(&self.path))?;
        self.file.sync_data().map_err(io_err(&self.path))?;
        Ok(())
    }

    pub fn append(&mut self, r: &Record) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(r).expect("record serialises");
        line.push(b'\n');
        self.file.write_all(&line).map_err(io_err(&self.path))?;
        self.file.flush().map_err(io_err(&self.path))?;
        self.file.sync_data().map_err(io_err(&self.path))?;
        Ok(())
    }
}

/// Write JSON to `path` atomically: a temp file in the same directory, then rename.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = path.with_extension("json.tmp");
    let mut bytes = serde_json::to_vec_pretty(value).expect("serialises");
    bytes.push(b'\n');
    std::fs::write(&tmp, &bytes).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, sample: u32) -> Record {
        Record {
            probe_id: id.into(),
            sample,
            category: "c".into(),
            language: "en".into(),
            status: Status::Finished,
            messages: vec![
                Message {
                    role: Role::User,
                    content: "hi".into(),
                    example: false,
                },
                Message {
                    role: Role::Assistant,
                    content: "hello!".into(),
                    example: false,
                },
            ],
            replies: vec![Reply {
                turn: 0,
                prompt: "hi".into(),
                content: "hello!".into(),
                latency_ms: Some(12),
                usage: None,
                finish_reason: Some("stop".into()),
                model: Some("m".into()),
                system_fingerprint: None,
                attempts: 1,
                timestamp: None,
            }],
            error: None,
            seed: Some(1),
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn append_then_read_back_and_torn_tail_is_ignored_then_cut() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        let mut w = TranscriptWriter::open(&run, 0).unwrap();
        w.append(&record("a", 0)).unwrap();
        w.append(&record("a", 1)).unwrap();
        drop(w);
        // Simulate a crash mid-write.
        let mut f = OpenOptions::new()
            .append(true)
            .open(run.transcripts_path())
            .unwrap();
        f.write_all(br#"{"probe_id":"b","sam"#).unwrap();
        drop(f);
        let t = run.read_transcripts().unwrap();
        assert_eq!(t.records.len(), 2);
        assert!(t.torn_tail);
        let mut w = TranscriptWriter::open(&run, t.valid_len).unwrap();
        w.append(&record("b", 0)).unwrap();
        drop(w);
        let t = run.read_transcripts().unwrap();
        assert_eq!(
            t.records.iter().map(|r| r.key()).collect::<Vec<_>>(),
            vec![("a".to_string(), 0), ("a".to_string(), 1), ("b".to_string(), 0)]
        );
        assert!(!t.torn_tail);
    }

    #[test]
    fn a_bad_line_in_the_middle_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path());
        std::fs::write(run.transcripts_path(), "{\"x\":1}\n").unwrap();
        let e = run.read_transcripts().unwrap_err().to_string();
        assert!(e.contains("transcripts.jsonl:1:"), "{e}");
    }

    #[test]
    fn resolve_by_label_or_path() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let before = runs.join("before");
        std::fs::create_dir_all(&before).unwrap();
        std::fs::write(before.join(MANIFEST), "{}").unwrap();
        assert_eq!(RunDir::resolve("before", &runs).unwrap().path, before);
        assert_eq!(
            RunDir::resolve(before.to_str().unwrap(), &runs).unwrap().path,
            before
        );
        let e = RunDir::resolve("after", &runs).unwrap_err().to_string();
        assert!(e.contains("no run named \"after\""), "{e}");
    }
}
