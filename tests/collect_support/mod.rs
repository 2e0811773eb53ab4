//! Shared by the `collect_*` tests: an in-process mock chat server (axum on 127.0.0.1:0,
//! its own thread and runtime so tests can spawn the real binary) and tiny probe batteries.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const KEY: &str = "sk-test-VERY-SECRET-4242";

/// One request the mock saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Seen {
    /// The non-example user messages (OpenAI or Anthropic shape).
    pub fn messages(&self) -> Vec<(String, String)> {
        self.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap().to_string(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub fn last_user(&self) -> String {
        self.messages()
            .iter()
            .rev()
            .find(|(r, _)| r == "user")
            .unwrap()
            .1
            .clone()
    }

    /// "probe=<id>" marker the test probes put in their first turn.
    pub fn probe(&self) -> String {
        let m = self.messages();
        let first = m
            .iter()
            .find(|(r, c)| r == "user" && c.contains("probe="))
            .unwrap();
        first
            .1
            .split("probe=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }
}

/// What the mock answers.
pub enum MockReply {
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
        delay: Duration,
    },
    Raw {
        status: u16,
        body: Vec<u8>,
        delay: Duration,
    },
    /// 200 with a chunked body that sends `prefix` and then drops the connection.
    Dropped { prefix: Vec<u8> },
}

impl MockReply {
    pub fn json(status: u16, body: Value) -> Self {
        MockReply::Json {
            status,
            headers: vec![],
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn delayed(self, d: Duration) -> Self {
        match self {
            MockReply::Json {
                status,
                headers,
                body,
                ..
            } => MockReply::Json {
                status,
                headers,
                body,
                delay: d,
            },
            MockReply::Raw { status, body, .. } => MockReply::Raw {
                status,
                body,
                delay: d,
            },
            other => other,
        }
    }
    pub fn header(self, k: &str, v: &str) -> Self {
        match self {
            MockReply::Json {
                status,
                mut headers,
                body,
                delay,
            } => {
                headers.push((k.into(), v.into()));
                MockReply::Json {
                    status,
                    headers,
                    body,
                    delay,
                }
            }
            other => other,
        }
    }
}

/// An OpenAI-style success answering "echo: <last user message>".
pub fn openai_ok(seen: &Seen) -> MockReply {
    let text = format!("echo: {}", seen.last_user());
    MockReply::json(
        200,
        json!({
            "id": "x", "object": "chat.completion", "model": "mock-model-2026", "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        }),
    )
}

pub fn anthropic_ok(seen: &Seen) -> MockReply {
    let text = format!("echo: {}", seen.last_user());
    MockReply::json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-mock-2026",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 9, "output_tokens": 4}
        }),
    )
}

type Plan = dyn Fn(usize, &Seen) -> MockReply + Send + Sync;

pub struct Mock {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    /// Start a mock; `plan(n, request)` decides the answer to the n-th (0-based) request.
    pub fn start(plan: impl Fn(usize, &Seen) -> MockReply + Send + Sync + 'static) -> Mock {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let plan: Arc<Plan> = Arc::new(plan);
        let (tx, rx) = std::sync::mpsc::channel();
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(
                    move |uri: axum::http::Uri, headers: HeaderMap, body: axum::body::Bytes| {
                        let seen = seen2.clone();
                        let plan = plan.clone();
                        async move {
                            let s = Seen {
                                at: Instant::now(),
                                path: uri.path().to_string(),
                                headers,
                                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                            };
                            let n = {
                                let mut v = seen.lock().unwrap();
                                v.push(s.clone());
                                v.len() - 1
                            };
                            respond(plan(n, &s)).await
                        }
                    },
                );
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Mock {
            base: format!("http://{addr}"),
            seen,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn respond(r: MockReply) -> Response {
    match r {
        MockReply::Json {
            status,
            headers,
            body,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            let mut b = Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json");
            for (k, v) in headers {
                b = b.header(k, v);
            }
            b.body(Body::from(body.to_string())).unwrap()
        }
        MockReply::Raw { status, body, delay } => {
            tokio::time::sleep(delay).await;
            Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        }
        MockReply::Dropped { prefix } => {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(prefix),
                Err(std::io::Error::other("connection dropped by the mock")),
            ];
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .unwrap()
        }
    }
}

/// A probe file for the tests: `turns` user turns, the first carrying `probe=<id>`.
pub fn probe_toml(id: &str, turns: usize, persona: bool) -> String {
    let mut s = format!(
        "id = \"{id}\"\ncategory = \"test\"\ntitle = \"Test {id}\"\nreveals = \"Nothing; a test.\"\nlanguage = \"en\"\n"
    );
    if persona {
        s.push_str(
            "\n[persona]\nname = \"Mira\"\nsystem = \"You are Mira, a cheerful friend.\"\n\n[[persona.examples]]\nuser = \"Example question\"\nassistant = \"Example answer!\"\n",
        );
    }
    for t in 0..turns {
        if t == 0 {
            s.push_str(&format!("\n[[turns]]\nuser = \"probe={id} turn 1\"\n"));
        } else {
            s.push_str(&format!("\n[[turns]]\nuser = \"turn {} of {id}\"\n", t + 1));
        }
    }
    s
}

/// A battery directory with `n` probes named p00, p01, ...
pub fn battery(dir: &Path, n: usize, turns: usize, persona: bool) -> PathBuf {
    let probes = dir.join("probes").join("test");
    std::fs::create_dir_all(&probes).unwrap();
    for i in 0..n {
        let id = format!("p{i:02}");
        std::fs::write(probes.join(format!("{id}.toml")), probe_toml(&id, turns, persona)).unwrap();
    }
    dir.join("probes")
}

/// `persona-drift` with a clean environment (no real keys leak in) and fast retries.
pub fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("persona-drift").unwrap();
    c.env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("PERSONA_DRIFT_RETRY_BASE_MS", "20");
    c
}

pub fn std_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("persona-drift"));
    c.env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("PERSONA_DRIFT_RETRY_BASE_MS", "20");
    c
}

pub fn records(run: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(run.join("transcripts.jsonl")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn manifest(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn assert_no_key(dir: &Path, streams: &[&[u8]]) {
    for f in all_files(dir) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "the API key leaked into {}",
            f.display()
        );
    }
    for s in streams {
        assert!(
            !String::from_utf8_lossy(s).contains(KEY),
            "the API key leaked into output"
        );
    }
}
