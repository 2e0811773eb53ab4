//! Progress is an event stream from the scheduler; the terminal bar is one consumer of it.
//!
//! [`Event`]s are sent on an unbounded channel; [`Progress::spawn`] starts a consumer that
//! draws an indicatif bar (stderr is a terminal), prints plain lines (stderr is not a
//! terminal: CI logs), or nothing (`--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What the scheduler reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Work is about to start: `total` conversations in the run, `done` already finished
    /// earlier (resume), `to_run` queued now.
    Started {
        label: String,
        total: u64,
        done: u64,
        to_run: u64,
    },
    /// A torn last line or other notice worth a line.
    Notice(String),
    /// A request will be retried after `wait`.
    Retrying {
        probe_id: String,
        sample: u32,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// The wait announced by `Retrying` is over; the request is being sent again.
    RetryStarted,
    ConversationFinished {
        probe_id: String,
        sample: u32,
    },
    ConversationFailed {
        probe_id: String,
        sample: u32,
        error: String,
    },
    /// No new conversations will start (Ctrl-C or a fatal error).
    Stopping(String),
    /// The scheduler is done.
    Done,
}

pub type EventSender = mpsc::UnboundedSender<Event>;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bar,
    Plain,
    Quiet,
}

impl Mode {
    /// Bar on a terminal, plain lines otherwise, nothing with `--quiet`.
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Plain
        }
    }
}

/// Counts kept by every consumer.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub total: u64,
    pub already: u64,
    pub to_run: u64,
    pub done: u64,
    pub failed: u64,
    pub retries: u64,
    /// Requests waiting to be retried right now.
    pub retrying: u64,
}

impl Tally {
    pub fn apply(&mut self, e: &Event) {
        match e {
            Event::Started {
                total, done, to_run, ..
            } => {
                self.total = *total;
                self.already = *done;
                self.to_run = *to_run;
            }
            Event::Retrying { .. } => {
                self.retries += 1;
                self.retrying += 1;
            }
            Event::RetryStarted => self.retrying = self.retrying.saturating_sub(1),
            Event::ConversationFinished { .. } => self.done += 1,
            Event::ConversationFailed { .. } => self.failed += 1,
            _ => {}
        }
    }

    /// `12/40 done, 1 failed, 2 retrying (3 retries so far)`.
    pub fn line(&self) -> String {
        format!(
            "{}/{} done, {} failed, {} retrying ({} retries so far)",
            self.done, self.to_run, self.failed, self.retrying, self.retries
        )
    }
}

pub struct Progress;

impl Progress {
    /// Start a consumer; returns the sender for the scheduler and a handle to await after
    /// the scheduler finished (it ends when every sender is dropped).
    pub fn spawn(mode: Mode) -> (EventSender, tokio::task::JoinHandle<Tally>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(consume(rx, mode));
        (tx, handle)
    }
}

async fn consume(mut rx: mpsc::UnboundedReceiver<Event>, mode: Mode) -> Tally {
    let mut tally = Tally::default();
    let mut bar: Option<ProgressBar> = None;
    let mut last_plain = Instant::now();
    let mut last_pct = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        let e = tokio::select! {
            e = rx.recv() => match e { Some(e) => e, None => break },
            _ = tick.tick() => {
                if let Some(b) = &bar { b.tick(); }
                continue;
            }
        };
        tally.apply(&e);
        match mode {
            Mode::Quiet => {}
            Mode::Bar => draw_bar(&mut bar, &tally, &e),
            Mode::Plain => plain(&tally, &e, &mut last_plain, &mut last_pct),
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    tally
}

fn draw_bar(bar: &mut Option<ProgressBar>, t: &Tally, e: &Event) {
    match e {
        Event::Started { label, .. } => {
            let b = ProgressBar::with_draw_target(Some(t.to_run), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30.cyan/blue}] {pos}/{len} {msg} · {elapsed_precise} · ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix(label.clone());
            if t.already > 0 {
                b.println(format!(
                    "resuming {label}: {} of {} conversations already finished",
                    t.already, t.total
                ));
            }
            *bar = Some(b);
        }
        Event::Notice(s) | Event::Stopping(s) => match bar {
            Some(b) => b.println(s),
            None => eprintln!("{s}"),
        },
        _ => {}
    }
    if let Some(b) = bar {
        b.set_position(t.done + t.failed);
        b.set_message(format!("· {} failed · {} retrying", t.failed, t.retrying));
    }
}

fn plain(t: &Tally, e: &Event, last: &mut Instant, last_pct: &mut u64) {
    let mut err = std::io::stderr().lock();
    match e {
        Event::Started {
            label,
            total,
            done,
            to_run,
        } => {
            let _ = writeln!(
                err,
                "collect {label}: {total} conversations, {done} already finished, {to_run} to run"
            );
        }
        Event::Notice(s) | Event::Stopping(s) => {
            let _ = writeln!(err, "{s}");
        }
        Event::ConversationFinished { .. } | Event::ConversationFailed { .. } => {
            let n = t.done + t.failed;
            let pct = (n * 100).checked_div(t.to_run).unwrap_or(100);
            // A line per 10 %, or every 10 s, never one per conversation.
            if pct / 10 > *last_pct / 10 || last.elapsed() >= Duration::from_secs(10) || n == t.to_run {
                let _ = writeln!(err, "collect: {}", t.line());
                *last = Instant::now();
                *last_pct = pct;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_events() {
        let mut t = Tally::default();
        for e in [
            Event::Started {
                label: "x".into(),
                total: 10,
                done: 4,
                to_run: 6,
            },
            Event::Retrying {
                probe_id: "p".into(),
                sample: 0,
                attempt: 1,
                wait: Duration::from_millis(5),
                reason: "HTTP 429".into(),
            },
            Event::ConversationFinished {
                probe_id: "p".into(),
                sample: 0,
            },
            Event::ConversationFailed {
                probe_id: "p".into(),
                sample: 1,
                error: "e".into(),
            },
        ] {
            t.apply(&e);
        }
        assert_eq!(
            (t.total, t.already, t.to_run, t.done, t.failed, t.retries),
            (10, 4, 6, 1, 1, 1)
        );
        assert_eq!(t.line(), "1/6 done, 1 failed, 1 retrying (1 retries so far)");
        t.apply(&Event::RetryStarted);
        assert_eq!(t.retrying, 0);
    }
}
