//! Scheduler benchmark (not a test): a mock server that answers every request after a fixed
//! 100 ms; N conversations of T turns at concurrency C, run through the release binary.
//! Reports wall time against the ideal N x T x 0.1 s / C, and the binary's peak RSS.
//!
//!   cargo bench --bench collect                       # 1000 conversations, 1 turn, C = 64
//!   BENCH_TURNS=3 cargo bench --bench collect         # 3 turns each
//!   BENCH_CONVERSATIONS=2000 BENCH_CONCURRENCY=128 cargo bench --bench collect

#[path = "../tests/collect_support/mod.rs"]
mod collect_support;

use collect_support::{battery, openai_ok, Mock};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident set (VmHWM) of a running process, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("collect benchmark: run with `cargo bench --bench collect`");
        return;
    }
    let conversations = env("BENCH_CONVERSATIONS", 1000);
    let turns = env("BENCH_TURNS", 1);
    let concurrency = env("BENCH_CONCURRENCY", 64);
    let latency = Duration::from_millis(env("BENCH_LATENCY_MS", 100) as u64);
    let samples = 5;
    let probes_n = conversations.div_ceil(samples);
    let conversations = probes_n * samples;

    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), probes_n, turns, false);
    let mock = Mock::start(move |_, s| openai_ok(s).delayed(latency));
    let bin = assert_cmd::cargo::cargo_bin("persona-drift");
    let t0 = Instant::now();
    let mut child = std::process::Command::new(&bin)
        .args([
            "run",
            "--model",
            &format!("openai-compatible:bench@{}/v1", mock.base),
        ])
        .args(["--label", "bench", "--samples", &samples.to_string()])
        .args(["--concurrency", &concurrency.to_string(), "--quiet"])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = vm_hwm(pid) {
            peak = peak.max(kb);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = t0.elapsed();
    assert!(status.success(), "the run failed");
    assert_eq!(mock.count(), conversations * turns);
    let ideal = latency.as_secs_f64() * (conversations * turns) as f64 / concurrency as f64;
    // Whole waves: the last partial wave still takes one latency per turn.
    let waves = (conversations as f64 / concurrency as f64).ceil() * turns as f64 * latency.as_secs_f64();
    println!(
        "collect: {conversations} conversations x {turns} turn(s), concurrency {concurrency}, {} ms per reply",
        latency.as_millis()
    );
    println!(
        "  wall {:.3} s; ideal {:.3} s (N x T x latency / C) -> {:+.1}%; whole-wave bound {:.3} s -> {:+.1}%",
        wall.as_secs_f64(),
        ideal,
        (wall.as_secs_f64() / ideal - 1.0) * 100.0,
        waves,
        (wall.as_secs_f64() / waves - 1.0) * 100.0
    );
    println!(
        "  peak RSS of persona-drift: {:.1} MiB (VmHWM)",
        peak as f64 / 1024.0
    );
}
