//! Resuming: a killed process, a torn last line, Ctrl-C, failed conversations retried,
//! and refusing to mix different runs in one directory.

mod collect_support;

use collect_support::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn spec(mock: &Mock) -> String {
    format!("openai-compatible:test-model@{}/v1;key_env=TEST_KEY", mock.base)
}

type Key = (String, u64);

/// (probe, sample) of each request, from the probe marker and the seed (base 40).
fn key_of(s: &Seen) -> Key {
    (s.probe(), s.body["seed"].as_u64().unwrap() - 40)
}

fn base_args(c: &mut std::process::Command, mock: &Mock, dir: &Path, probes: &Path) {
    c.env("TEST_KEY", KEY)
        .args(["run", "--model", &spec(mock), "--label", "r", "--seed", "40"])
        .arg("--probes")
        .arg(probes)
        .arg("--out")
        .arg(dir.join("runs"));
}

fn keys_by_count(run: &Path) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for r in records(run) {
        *m.entry((
            r["probe_id"].as_str().unwrap().to_string(),
            r["sample"].as_u64().unwrap(),
        ))
        .or_default() += 1;
    }
    m
}

fn all_keys(probes: usize, samples: u64) -> BTreeSet<Key> {
    (0..probes)
        .flat_map(|p| (0..samples).map(move |s| (format!("p{p:02}"), s)))
        .collect()
}

fn wait_for_records(run: &Path, n: usize) {
    let t = Instant::now();
    while records_lines(run) < n {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the run never wrote {n} records"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn records_lines(run: &Path) -> usize {
    std::fs::read_to_string(run.join("transcripts.jsonl"))
        .map(|t| t.matches('\n').count())
        .unwrap_or(0)
}

#[test]
fn resume_after_the_process_is_killed_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 8, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s).delayed(Duration::from_millis(150)));
    let run = dir.path().join("runs/r");
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    c.args(["--samples", "3", "--concurrency", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    wait_for_records(&run, 4);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before: BTreeSet<Key> = keys_by_count(&run).into_keys().collect();
    assert!(before.len() >= 4 && before.len() < 24, "{}", before.len());
    let sent_before = mock.count();

    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c.args(["--samples", "3", "--concurrency", "2"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resent: Vec<Key> = mock.seen()[sent_before..].iter().map(key_of).collect();
    for k in &resent {
        assert!(!before.contains(k), "finished conversation {k:?} was sent again");
    }
    let counts = keys_by_count(&run);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), all_keys(8, 3));
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert!(records(&run).iter().all(|r| r["status"] == "finished"));
    let m = manifest(&run);
    assert_eq!(m["counts"], json!({"expected": 24, "finished": 24, "failed": 0}));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} already done", before.len())));
}

#[test]
fn a_torn_last_line_is_cut_and_that_conversation_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 3, 2, false);
    let mock = Mock::start(|_, s| openai_ok(s));
    let run = dir.path().join("runs/r");
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    assert!(c.args(["--samples", "2"]).output().unwrap().status.success());
    // Simulate a crash in the middle of writing the last record.
    let text = std::fs::read_to_string(run.join("transcripts.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines[lines.len() - 1];
    let torn_key: serde_json::Value = serde_json::from_str(last).unwrap();
    let mut cut = lines[..lines.len() - 1].join("\n");
    cut.push('\n');
    cut.push_str(&last[..last.len() / 2]);
    std::fs::write(run.join("transcripts.jsonl"), cut).unwrap();
    let sent = mock.count();

    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c.args(["--samples", "2"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("torn last line"));
    let again: BTreeSet<Key> = mock.seen()[sent..].iter().map(key_of).collect();
    assert_eq!(
        again,
        BTreeSet::from([(
            torn_key["probe_id"].as_str().unwrap().to_string(),
            torn_key["sample"].as_u64().unwrap()
        )])
    );
    assert_eq!(mock.count() - sent, 2, "one conversation of two turns");
    let counts = keys_by_count(&run); // every line parses again
    assert_eq!(counts.len(), 6);
    assert!(counts.values().all(|&n| n == 1));
}

#[test]
fn ctrl_c_keeps_finished_work_exits_130_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 10, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s).delayed(Duration::from_millis(200)));
    let run = dir.path().join("runs/r");
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    c.args(["--samples", "2", "--concurrency", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    wait_for_records(&run, 2);
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("rerun the same command to resume"), "{err}");
    let recs = records(&run);
    assert!(recs.len() >= 2 && recs.len() < 20);
    assert!(
        recs.iter().all(|r| r["status"] == "finished"),
        "no partial records"
    );
    let m = manifest(&run);
    assert_eq!(m["counts"]["finished"], recs.len());

    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    assert!(c.args(["--samples", "2"]).output().unwrap().status.success());
    let counts = keys_by_count(&run);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), all_keys(10, 2));
    assert!(counts.values().all(|&n| n == 1));
}

#[test]
fn failed_conversations_are_retried_on_resume_and_the_later_record_wins() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 4, 1, false);
    let healthy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let h = healthy.clone();
    let mock = Mock::start(move |_, s| {
        if s.probe() == "p01" && !h.load(std::sync::atomic::Ordering::SeqCst) {
            MockReply::json(400, json!({"error": {"message": "content rejected"}}))
        } else {
            openai_ok(s)
        }
    });
    let run = dir.path().join("runs/r");
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c
        .args(["--samples", "1", "--min-finished", "0.5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 x 'HTTP 400 from"), "{err}");
    assert_eq!(mock.count(), 4, "a 400 is not retried");
    assert_eq!(
        manifest(&run)["counts"],
        json!({"expected": 4, "finished": 3, "failed": 1})
    );

    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c.args(["--samples", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.count(), 5, "only the failed conversation is sent again");
    let recs = records(&run);
    let p01: Vec<_> = recs
        .iter()
        .filter(|r| r["probe_id"] == "p01")
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(p01, vec![json!("failed"), json!("finished")]);
    assert_eq!(
        manifest(&run)["counts"],
        json!({"expected": 4, "finished": 4, "failed": 0})
    );
    // Readers take the last record per key.
    let t = persona_drift::store::RunDir::new(&run)
        .read_transcripts()
        .unwrap();
    let latest = t.latest();
    assert_eq!(latest.len(), 4);
    assert!(latest
        .iter()
        .all(|r| r.status == persona_drift::store::Status::Finished));
}

#[test]
fn a_run_directory_with_other_settings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 2, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s));
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    assert!(c
        .args(["--samples", "1", "--temperature", "0.2"])
        .output()
        .unwrap()
        .status
        .success());
    let sent = mock.count();

    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c
        .args(["--samples", "1", "--temperature", "0.9"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sampling") && err.contains("0.2") && err.contains("0.9"),
        "{err}"
    );
    assert!(err.contains("--label r-2"), "{err}");

    // A changed battery is refused too.
    std::fs::write(probes.join("test/p09.toml"), probe_toml("p09", 1, false)).unwrap();
    let mut c = std_cmd();
    base_args(&mut c, &mock, dir.path(), &probes);
    let out = c
        .args(["--samples", "1", "--temperature", "0.2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("battery hash"), "{err}");
    assert_eq!(mock.count(), sent, "nothing was sent");
}

#[test]
fn library_api_collects_and_reports_run_state() {
    use persona_drift::collect::{collect_blocking, run_state, RunState};
    use persona_drift::config::{RunSection, RunSettings};
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 2, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s));
    let args = persona_drift::cli::RunArgs {
        model: Some(format!("openai-compatible:m@{}/v1", mock.base)),
        collect: persona_drift::cli::CollectFlags {
            samples: Some(2),
            probes: Some(probes.clone()),
            ..Default::default()
        },
        out: Some(dir.path().join("runs")),
        ..Default::default()
    };
    let settings = RunSettings::resolve(&args, &RunSection::default(), &|_| None).unwrap();
    let battery = persona_drift::probes::load_battery(&probes).unwrap();
    let run = persona_drift::store::RunDir::new(settings.run_dir());
    assert_eq!(run_state(&settings, &battery, &run).unwrap(), RunState::Missing);
    let summary = collect_blocking(&settings, &battery, &run, None)
        .unwrap()
        .into_result(0.8)
        .unwrap();
    assert_eq!(
        (summary.finished, summary.expected, summary.newly_finished),
        (4, 4, 4)
    );
    assert_eq!(run_state(&settings, &battery, &run).unwrap(), RunState::Complete);
    let mut more = settings.clone();
    more.sampling.temperature = Some(1.0);
    assert!(
        matches!(run_state(&more, &battery, &run).unwrap(), RunState::Incompatible(m) if m.contains("sampling"))
    );
    // Drop one record: incomplete.
    let text = std::fs::read_to_string(run.transcripts_path()).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(run.transcripts_path(), kept.join("\n") + "\n").unwrap();
    assert_eq!(
        run_state(&settings, &battery, &run).unwrap(),
        RunState::Incomplete {
            finished: 3,
            expected: 4
        }
    );
}
