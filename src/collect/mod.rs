//! Collecting a run: send every (probe, sample) conversation to a model and store the
//! transcripts in a resumable run directory.
//!
//! Library API (used by `run`, and by `check` for its two runs):
//! - [`collect`] (async) / [`collect_blocking`]: run the battery into a [`RunDir`] and return a
//!   [`RunSummary`]; [`RunSummary::into_result`] maps it to the exit-code table.
//! - [`run_state`]: is an existing run directory complete for these settings (so `check` can
//!   reuse a cached baseline)?
//! - [`crate::store::latest_records`]: the last record per (probe, sample) key.

pub mod anthropic;
pub mod cmd;
pub mod openai;
pub mod provider;
mod retry;
pub mod spec;

use crate::config::RunSettings;
use crate::error;
use crate::probes::{Battery, Probe};
use crate::progress::{Event, EventSender};
use crate::store::{self, Counts, Manifest, Message, Record, Reply, Role, RunDir, Status, TranscriptWriter};
use provider::{ChatRequest, Provider};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};

pub use retry::{parse_retry_after, Failure};

/// After this many identical 4xx rejections with no finished conversation, the run stops.
pub const SAME_REJECTION_LIMIT: u64 = 5;

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// Ctrl-C (or the caller) asked to stop.
    Interrupted,
    /// An error that every further request would hit too (authentication, unknown model).
    Fatal(String),
}

/// A shared stop signal: no new conversations start, in-flight ones are abandoned.
#[derive(Clone)]
pub struct Cancel {
    tx: Arc<watch::Sender<Option<StopReason>>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancel {
    pub fn new() -> Self {
        Cancel {
            tx: Arc::new(watch::channel(None).0),
        }
    }

    /// Stop with `reason`; the first reason wins.
    pub fn stop(&self, reason: StopReason) {
        self.tx.send_if_modified(|v| {
            if v.is_none() {
                *v = Some(reason);
                true
            } else {
                false
            }
        });
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.tx.borrow().clone()
    }

    /// Resolves once [`stop`](Self::stop) was called.
    pub async fn stopped(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|v| v.is_some()).await;
    }
}

/// What a call to [`collect`] did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub label: String,
    /// probes x samples.
    pub expected: u64,
    /// Conversations whose latest record is finished (including earlier invocations).
    pub finished: u64,
    /// Conversations whose latest record is failed.
    pub failed: u64,
    /// Finished before this invocation (skipped).
    pub skipped: u64,
    pub newly_finished: u64,
    pub newly_failed: u64,
    /// Distinct failure messages of this invocation with counts, most frequent first.
    pub errors: Vec<(u64, String)>,
    pub stopped: Option<StopReason>,
    pub models_reported: BTreeMap<String, u64>,
    pub elapsed: Duration,
    /// True when a torn last line was cut off.
    pub torn_tail_repaired: bool,
}

impl RunSummary {
    /// `412 x 'HTTP 500 from URL'` lines, at most `max` of them.
    pub fn error_lines(&self, max: usize) -> String {
        let mut s = String::new();
        for (n, msg) in self.errors.iter().take(max) {
            s.push_str(&format!("\n  {n} x '{msg}'"));
        }
        if self.errors.len() > max {
            s.push_str(&format!(
                "\n  ... and {} other distinct errors",
                self.errors.len() - max
            ));
        }
        s
    }

    /// Map the outcome to the exit-code table: a fatal error or too few finished conversations
    /// is exit 3, an interruption exit 130; otherwise `Ok(self)`.
    pub fn into_result(self, min_finished: f64) -> anyhow::Result<RunSummary> {
        let dir = self.run_dir.display();
        match &self.stopped {
            Some(StopReason::Fatal(msg)) => {
                return Err(error::unmeasurable(format!(
                    "{msg}\nThe run stopped at once; {} of {} conversations are finished and kept in {dir}. \
                     Fix the problem and rerun the same command to resume.",
                    self.finished, self.expected
                )))
            }
            Some(StopReason::Interrupted) => {
                return Err(error::interrupted(format!(
                    "interrupted: {} of {} conversations are finished and kept in {dir}; \
                     rerun the same command to resume (finished conversations are not sent again)",
                    self.finished, self.expected
                )))
            }
            None => {}
        }
        let enough = self.expected == 0
            || (self.finished > 0 && self.finished as f64 >= min_finished * self.expected as f64);
        if !enough {
            return Err(error::unmeasurable(format!(
                "too few replies to measure: {} of {} conversations finished, {} failed (need {:.0}%). Errors:{}\n\
                 Rerun the same command to retry the failed conversations.",
                self.finished,
                self.expected,
                self.failed,
                min_finished * 100.0,
                self.error_lines(10)
            )));
        }
        Ok(self)
    }
}

/// The state of a run directory relative to settings and a battery.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    /// No run there yet.
    Missing,
    /// A run made with a different battery, model or sampling; the message says what differs.
    Incompatible(String),
    /// Compatible, but some conversations are missing or failed.
    Incomplete { finished: u64, expected: u64 },
    /// Every (probe, sample) has a finished record: a cached baseline can be reused as is.
    Complete,
}

/// Is `run` a complete run of `battery` under `settings`?
pub fn run_state(settings: &RunSettings, battery: &Battery, run: &RunDir) -> anyhow::Result<RunState> {
    if !run.exists() {
        return Ok(RunState::Missing);
    }
    let m = run.read_manifest()?;
    let diffs = differences(&m, settings, battery);
    if !diffs.is_empty() {
        return Ok(RunState::Incompatible(diffs.join("; ")));
    }
    let t = run.read_transcripts()?;
    let finished: HashSet<(String, u32)> = t
        .latest()
        .into_iter()
        .filter(|r| r.status == Status::Finished)
        .map(|r| r.key())
        .collect();
    let expected = battery.len() as u64 * settings.samples as u64;
    let have = battery
        .probes
        .iter()
        .flat_map(|p| (0..settings.samples).map(move |s| (p.id.clone(), s)))
        .filter(|k| finished.contains(k))
        .count() as u64;
    Ok(if have == expected {
        RunState::Complete
    } else {
        RunState::Incomplete {
            finished: have,
            expected,
        }
    })
}

/// What differs between a stored manifest and the settings now (empty: compatible).
pub fn differences(m: &Manifest, s: &RunSettings, battery: &Battery) -> Vec<String> {
    let mut d = Vec::new();
    let mut cmp = |what: &str, old: String, new: String| {
        if old != new {
            d.push(format!("{what}: {old} in the run, {new} now"));
        }
    };
    cmp("origin", m.origin.clone(), "run".into());
    cmp(
        "battery hash",
        m.battery_hash.clone().unwrap_or_else(|| "none".into()),
        battery.hash(),
    );
    cmp(
        "persona card",
        m.persona_card.clone().unwrap_or_else(|| "none".into()),
        s.persona
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "none".into()),
    );
    cmp("provider", m.provider.clone(), s.provider.to_string());
    cmp("model", m.model_requested.clone(), s.model.clone());
    cmp(
        "base URL",
        m.base_url.clone().unwrap_or_default(),
        s.base_url.clone(),
    );
    cmp("samples", m.samples.to_string(), s.samples.to_string());
    cmp(
        "sampling",
        serde_json::to_string(&m.sampling).unwrap_or_default(),
        serde_json::to_string(&s.sampling).unwrap_or_default(),
    );
    cmp(
        "system prompt",
        m.system_prompt
            .clone()
            .map(|p| format!("{:?}", provider::shorten(&p, 40)))
            .unwrap_or("none".into()),
        s.system_prompt
            .clone()
            .map(|p| format!("{:?}", provider::shorten(&p, 40)))
            .unwrap_or("none".into()),
    );
    d
}

/// Build the provider for these settings.
pub fn make_provider(s: &RunSettings) -> Box<dyn Provider> {
    let key = s.api_key.as_ref().map(|k| k.expose().to_string());
    match s.provider {
        spec::ProviderKind::Anthropic => Box::new(anthropic::Anthropic::new(&s.base_url, &s.model, key)),
        kind => Box::new(openai::OpenAi::new(kind, &s.base_url, &s.model, key)),
    }
}

/// Replaces secrets in any text that may be stored or shown.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(s: &RunSettings) -> Self {
        Redactor {
            secrets: s
                .api_key
                .iter()
                .map(|k| k.expose().to_string())
                .filter(|k| k.len() >= 4)
                .collect(),
        }
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[REDACTED]");
            }
        }
        out
    }
}

struct Ctx {
    settings: RunSettings,
    provider: Box<dyn Provider>,
    client: reqwest::Client,
    limiter: Option<governor::DefaultDirectRateLimiter>,
    events: Option<EventSender>,
    cancel: Cancel,
    redactor: Redactor,
}

impl Ctx {
    fn emit(&self, e: Event) {
        if let Some(tx) = &self.events {
            let _ = tx.send(e);
        }
    }
}

enum Outcome {
    Record(Record),
    Fatal(String),
    Abandoned,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn new_manifest(s: &RunSettings, battery: &Battery) -> Manifest {
    Manifest {
        schema_version: store::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        label: s.label.clone(),
        origin: "run".into(),
        battery_hash: Some(battery.hash()),
        provider: s.provider.to_string(),
        base_url: Some(s.base_url.clone()),
        model_requested: s.model.clone(),
        models_reported: BTreeMap::new(),
        system_fingerprints: BTreeMap::new(),
        sampling: s.sampling.clone(),
        samples: s.samples,
        system_prompt: s.system_prompt.clone(),
        persona_card: s.persona.as_ref().map(|p| p.name.clone()),
        probes_filter: s.probes_filter.clone(),
        started_at: now(),
        finished_at: None,
        counts: Counts::default(),
    }
}

/// Latest status per key plus the manifest tallies derived from it.
struct Ledger {
    status: HashMap<(String, u32), Status>,
    models: BTreeMap<String, u64>,
    fingerprints: BTreeMap<String, u64>,
}

impl Ledger {
    fn new() -> Self {
        Ledger {
            status: HashMap::new(),
            models: BTreeMap::new(),
            fingerprints: BTreeMap::new(),
        }
    }

    fn add(&mut self, r: &Record) {
        if r.status == Status::Finished {
            for reply in &r.replies {
                if let Some(m) = &reply.model {
                    *self.models.entry(m.clone()).or_default() += 1;
                }
                if let Some(f) = &reply.system_fingerprint {
                    *self.fingerprints.entry(f.clone()).or_default() += 1;
                }
            }
        }
        self.status.insert(r.key(), r.status);
    }

    fn counts(&self, battery: &Battery, samples: u32) -> Counts {
        let mut c = Counts {
            expected: battery.len() as u64 * samples as u64,
            ..Default::default()
        };
        for p in &battery.probes {
            for s in 0..samples {
                match self.status.get(&(p.id.clone(), s)) {
                    Some(Status::Finished) => c.finished += 1,
                    Some(Status::Failed) => c.failed += 1,
                    None => {}
                }
            }
        }
        c
    }
}

/// Synchronous wrapper around [`collect`]: builds a tokio runtime and installs a Ctrl-C
/// handler that stops the run (a second Ctrl-C exits at once with 130).
pub fn collect_blocking(
    settings: &RunSettings,
    battery: &Battery,
    run: &RunDir,
    events: Option<EventSender>,
) -> anyhow::Result<RunSummary> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let cancel = Cancel::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c.stop(StopReason::Interrupted);
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("second Ctrl-C: exiting now");
                    std::process::exit(130);
                }
            }
        });
        collect(settings, battery, run, events, cancel).await
    })
}

/// Collect `battery` x `settings.samples` conversations into `run`, resuming what is there.
///
/// Errors (exit 2) for a run directory made with different settings or an unreadable one.
/// Provider failures do not error here: they are in the returned [`RunSummary`]; call
/// [`RunSummary::into_result`] to map them to exit codes.
pub async fn collect(
    settings: &RunSettings,
    battery: &Battery,
    run: &RunDir,
    events: Option<EventSender>,
    cancel: Cancel,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    // 1. The manifest: new, or an existing compatible one.
    let mut manifest = if run.exists() {
        let m = run.read_manifest()?;
        let diffs = differences(&m, settings, battery);
        if !diffs.is_empty() {
            return Err(error::usage(format!(
                "{} already holds a different run:\n  {}\nNothing was sent. To keep both runs, choose a new label \
                 (e.g. --label {}-2); to start over, delete {}.",
                run.path.display(),
                diffs.join("\n  "),
                settings.label,
                run.path.display()
            )));
        }
        m
    } else {
        new_manifest(settings, battery)
    };
    std::fs::create_dir_all(&run.path)
        .map_err(|e| error::usage(format!("cannot create run directory {}: {e}", run.path.display())))?;
    if run.read_battery()?.is_none() {
        run.write_battery(battery)?;
    }

    // 2. What is already there.
    let transcripts = run.read_transcripts()?;
    let mut ledger = Ledger::new();
    for r in transcripts.latest() {
        ledger.add(&r);
    }
    let mut writer = TranscriptWriter::open(run, transcripts.valid_len)?;
    let redactor = Redactor::new(settings);
    let emit = |e: Event| {
        if let Some(tx) = &events {
            let _ = tx.send(e);
        }
    };
    if transcripts.torn_tail {
        emit(Event::Notice(format!(
            "{}: cut off a torn last line left by an interrupted write; that conversation will be re-run",
            run.transcripts_path().display()
        )));
    }
    let mut jobs: Vec<(Arc<Probe>, u32)> = Vec::new();
    let mut skipped = 0u64;
    for p in &battery.probes {
        let p = Arc::new(p.clone());
        for s in 0..settings.samples {
            if ledger.status.get(&(p.id.clone(), s)) == Some(&Status::Finished) {
                skipped += 1;
            } else {
                jobs.push((p.clone(), s));
            }
        }
    }
    manifest.counts = ledger.counts(battery, settings.samples);
    manifest.models_reported = ledger.models.clone();
    manifest.system_fingerprints = ledger.fingerprints.clone();
    manifest.finished_at = None;
    run.write_manifest(&manifest)?;
    emit(Event::Started {
        label: settings.label.clone(),
        total: manifest.counts.expected,
        done: skipped,
        to_run: jobs.len() as u64,
    });

    // 3. Run.
    let client = reqwest::Client::builder()
        .user_agent(concat!("persona-drift/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(settings.timeout.min(Duration::from_secs(30)))
        .pool_max_idle_per_host(settings.concurrency)
        .build()?;
    let limiter = settings.rpm.map(|rpm| {
        let rpm = std::num::NonZeroU32::new(rpm).unwrap_or(std::num::NonZeroU32::MIN);
        governor::RateLimiter::direct(governor::Quota::per_minute(rpm).allow_burst(std::num::NonZeroU32::MIN))
    });
    let ctx = Arc::new(Ctx {
        settings: settings.clone(),
        provider: make_provider(settings),
        client,
        limiter,
        events: events.clone(),
        cancel: cancel.clone(),
        redactor: redactor.clone(),
    });
    let (res_tx, mut res_rx) = mpsc::channel::<Outcome>(settings.concurrency * 2 + 1);
    let sem = Arc::new(Semaphore::new(settings.concurrency));
    let producer = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            for (probe, sample) in jobs {
                let permit = tokio::select! {
                    biased;
                    _ = ctx.cancel.stopped() => break,
                    p = sem.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                };
                if ctx.cancel.reason().is_some() {
                    break;
                }
                let tx = res_tx.clone();
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let out = conversation(&ctx, &probe, sample).await;
                    drop(permit);
                    let _ = tx.send(out).await;
                });
            }
        })
    };

    let mut errors: HashMap<String, u64> = HashMap::new();
    let (mut newly_finished, mut newly_failed) = (0u64, 0u64);
    let mut last_manifest = Instant::now();
    let mut announced_stop = false;
    while let Some(first) = res_rx.recv().await {
        // Group commit: write every record that is ready with one fsync.
        let mut batch = vec![first];
        while let Ok(more) = res_rx.try_recv() {
            batch.push(more);
        }
        let ready: Vec<Record> = batch
            .iter()
            .filter_map(|o| match o {
                Outcome::Record(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        writer.append_batch(&ready)?;
        for out in batch {
            match out {
                Outcome::Record(r) => {
                    ledger.add(&r);
                    match r.status {
                        Status::Finished => {
                            newly_finished += 1;
                            emit(Event::ConversationFinished {
                                probe_id: r.probe_id.clone(),
                                sample: r.sample,
                            });
                        }
                        Status::Failed => {
                            newly_failed += 1;
                            let e = r.error.clone().unwrap_or_default();
                            let seen = errors.entry(e.clone()).or_default();
                            *seen += 1;
                            // The same client error on every request and no success yet (e.g. a
                            // parameter the API rejects): stop instead of failing every conversation.
                            if *seen >= SAME_REJECTION_LIMIT && newly_finished == 0 && e.starts_with("HTTP 4")
                            {
                                cancel.stop(StopReason::Fatal(format!(
                                    "the API rejected the first {seen} conversations with the same error and none \
                                     succeeded: {e}"
                                )));
                            }
                            emit(Event::ConversationFailed {
                                probe_id: r.probe_id.clone(),
                                sample: r.sample,
                                error: e,
                            });
                        }
                    }
                    if last_manifest.elapsed() >= Duration::from_millis(500) {
                        manifest.counts = ledger.counts(battery, settings.samples);
                        manifest.models_reported = ledger.models.clone();
                        manifest.system_fingerprints = ledger.fingerprints.clone();
                        run.write_manifest(&manifest)?;
                        last_manifest = Instant::now();
                    }
                }
                Outcome::Fatal(msg) => {
                    *errors.entry(msg.clone()).or_default() += 1;
                    cancel.stop(StopReason::Fatal(msg));
                }
                Outcome::Abandoned => {}
            }
        }
        if !announced_stop {
            if let Some(reason) = cancel.reason() {
                announced_stop = true;
                emit(Event::Stopping(match reason {
                    StopReason::Interrupted => {
                        "stopping: no new conversations; in-flight ones are abandoned, finished ones are kept"
                            .to_string()
                    }
                    StopReason::Fatal(_) => {
                        "stopping the run: an error every further request would hit (below)".to_string()
                    }
                }));
            }
        }
    }
    let _ = producer.await;
    drop(ctx);

    manifest.counts = ledger.counts(battery, settings.samples);
    manifest.models_reported = ledger.models.clone();
    manifest.system_fingerprints = ledger.fingerprints.clone();
    manifest.finished_at = Some(now());
    run.write_manifest(&manifest)?;
    emit(Event::Done);

    let mut errors: Vec<(u64, String)> = errors.into_iter().map(|(m, n)| (n, m)).collect();
    errors.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(RunSummary {
        run_dir: run.path.clone(),
        label: settings.label.clone(),
        expected: manifest.counts.expected,
        finished: manifest.counts.finished,
        failed: manifest.counts.failed,
        skipped,
        newly_finished,
        newly_failed,
        errors,
        stopped: cancel.reason(),
        models_reported: ledger.models,
        elapsed: started.elapsed(),
        torn_tail_repaired: transcripts.torn_tail,
    })
}

/// The combined system prompt: `--system-prompt` text, then the persona's.
pub fn system_prompt(extra: Option<&str>, probe: &Probe) -> Option<String> {
    let persona = probe
        .persona
        .as_ref()
        .map(|p| p.system.as_str())
        .filter(|s| !s.is_empty());
    match (extra, persona) {
        (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
        (Some(a), None) => Some(a.to_string()),
        (None, Some(b)) => Some(b.to_string()),
        (None, None) => None,
    }
}

/// The messages sent before the first user turn: system prompt, then example exchanges.
pub fn opening_messages(extra: Option<&str>, probe: &Probe) -> Vec<Message> {
    let mut m = Vec::new();
    if let Some(s) = system_prompt(extra, probe) {
        m.push(Message {
            role: Role::System,
            content: s,
            example: false,
        });
    }
    if let Some(p) = &probe.persona {
        for ex in &p.examples {
            m.push(Message {
                role: Role::User,
                content: ex.user.clone(),
                example: true,
            });
            m.push(Message {
                role: Role::Assistant,
                content: ex.assistant.clone(),
                example: true,
            });
        }
    }
    m
}

async fn conversation(ctx: &Ctx, probe: &Probe, sample: u32) -> Outcome {
    if ctx.cancel.reason().is_some() {
        return Outcome::Abandoned;
    }
    let s = &ctx.settings;
    let seed = if ctx.provider.takes_seed() {
        s.sampling.seed.map(|b| b.wrapping_add(sample as u64))
    } else {
        None
    };
    let started_at = now();
    let mut messages = opening_messages(s.system_prompt.as_deref(), probe);
    let system = messages
        .first()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.clone());
    let mut replies = Vec::new();
    let mut error = None;
    for (i, turn) in probe.turns.iter().enumerate() {
        messages.push(Message {
            role: Role::User,
            content: turn.user.clone(),
            example: false,
        });
        let req = ChatRequest {
            system: system.clone(),
            messages: messages
                .iter()
                .filter(|m| m.role != Role::System)
                .map(|m| (m.role, m.content.clone()))
                .collect(),
            temperature: s.sampling.temperature,
            top_p: s.sampling.top_p,
            max_tokens: s.sampling.max_tokens,
            seed,
        };
        match retry::send(ctx, &req, &probe.id, sample).await {
            Ok((reply, latency, attempts)) => {
                let content = ctx.redactor.apply(&reply.content);
                messages.push(Message {
                    role: Role::Assistant,
                    content: content.clone(),
                    example: false,
                });
                replies.push(Reply {
                    turn: i as u32,
                    prompt: turn.user.clone(),
                    content,
                    latency_ms: Some(latency.as_millis() as u64),
                    usage: reply.usage,
                    finish_reason: reply.finish_reason,
                    model: reply.model,
                    system_fingerprint: reply.system_fingerprint,
                    attempts,
                    timestamp: Some(now()),
                });
            }
            Err(Failure::Cancelled) => return Outcome::Abandoned,
            Err(Failure::Fatal(m)) => {
                let m = ctx.redactor.apply(&m);
                ctx.cancel.stop(StopReason::Fatal(m.clone()));
                return Outcome::Fatal(m);
            }
            Err(Failure::Failed(m)) => {
                error = Some(ctx.redactor.apply(&m));
                break;
            }
        }
    }
    Outcome::Record(Record {
        probe_id: probe.id.clone(),
        sample,
        category: probe.category.clone(),
        language: probe.language.clone(),
        status: if error.is_some() {
            Status::Failed
        } else {
            Status::Finished
        },
        messages,
        replies,
        error,
        seed,
        started_at: Some(started_at),
        finished_at: Some(now()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_removes_the_key() {
        let r = Redactor {
            secrets: vec!["sk-secret-123".into()],
        };
        assert_eq!(r.apply("bad key sk-secret-123!"), "bad key [REDACTED]!");
    }

    #[tokio::test]
    async fn cancel_first_reason_wins_and_wakes_waiters() {
        let c = Cancel::new();
        let c2 = c.clone();
        let waiter = tokio::spawn(async move { c2.stopped().await });
        c.stop(StopReason::Fatal("x".into()));
        c.stop(StopReason::Interrupted);
        waiter.await.unwrap();
        assert_eq!(c.reason(), Some(StopReason::Fatal("x".into())));
    }

    #[test]
    fn error_lines_are_deduplicated_and_capped() {
        let s = RunSummary {
            run_dir: "r".into(),
            label: "l".into(),
            expected: 10,
            finished: 0,
            failed: 10,
            skipped: 0,
            newly_finished: 0,
            newly_failed: 10,
            errors: vec![(9, "HTTP 500 from u".into()), (1, "timeout".into())],
            stopped: None,
            models_reported: BTreeMap::new(),
            elapsed: Duration::ZERO,
            torn_tail_repaired: false,
        };
        let e = s.into_result(0.8).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Unmeasurable);
        let text = e.to_string();
        assert!(text.contains("9 x 'HTTP 500 from u'"), "{text}");
        assert_eq!(text.matches(" x '").count(), 2);
    }
}
