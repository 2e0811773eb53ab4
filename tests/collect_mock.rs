//! `persona-drift run` against an in-process mock server: wire format, history, retries,
//! fault handling, fatal errors and secrets.

mod collect_support;

use collect_support::*;
use serde_json::{json, Value};
use std::time::Duration;

fn spec(mock: &Mock) -> String {
    format!("openai-compatible:test-model@{}/v1;key_env=TEST_KEY", mock.base)
}

#[test]
fn history_order_system_prompt_and_examples_openai() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 2, 3, true);
    let sys = dir.path().join("house.txt");
    std::fs::write(&sys, "House rules: be honest.\n").unwrap();
    let mock = Mock::start(|_, s| openai_ok(s));
    let out = dir.path().join("runs");
    let a = cmd()
        .env("TEST_KEY", KEY)
        .args([
            "run",
            "--model",
            &spec(&mock),
            "--label",
            "t",
            "--samples",
            "2",
            "--seed",
            "40",
        ])
        .args([
            "--temperature",
            "0.7",
            "--top-p",
            "0.9",
            "--max-tokens",
            "50",
            "--concurrency",
            "3",
        ])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(&out)
        .arg("--system-prompt")
        .arg(&sys)
        .assert()
        .success();
    let run = out.join("t");
    let seen = mock.seen();
    assert_eq!(seen.len(), 2 * 2 * 3, "probes x samples x turns requests");
    for s in &seen {
        assert_eq!(s.path, "/v1/chat/completions");
        assert_eq!(s.headers["authorization"], format!("Bearer {KEY}"));
        let b = &s.body;
        assert_eq!(b["model"], "test-model");
        assert_eq!(b["temperature"], 0.7);
        assert_eq!(b["top_p"], 0.9);
        assert_eq!(b["max_tokens"], 50);
        let m = s.messages();
        // System first (house rules, then persona), then the example exchange, then the turns.
        assert_eq!(m[0].0, "system");
        assert_eq!(
            m[0].1,
            "House rules: be honest.\n\nYou are Mira, a cheerful friend."
        );
        assert_eq!(m[1], ("user".into(), "Example question".into()));
        assert_eq!(m[2], ("assistant".into(), "Example answer!".into()));
        // The whole history so far: user, echo, user, echo, ..., ending with a user turn.
        let turns = &m[3..];
        assert_eq!(turns.len() % 2, 1);
        for (i, pair) in turns.chunks(2).enumerate() {
            assert_eq!(pair[0].0, "user");
            let expected_user = if i == 0 {
                format!("probe={} turn 1", s.probe())
            } else {
                format!("turn {} of {}", i + 1, s.probe())
            };
            assert_eq!(pair[0].1, expected_user);
            if pair.len() == 2 {
                assert_eq!(pair[1], ("assistant".into(), format!("echo: {expected_user}")));
            }
        }
        let seed = b["seed"].as_u64().unwrap();
        assert!(seed == 40 || seed == 41, "seed {seed}");
    }
    let recs = records(&run);
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_eq!(r["status"], "finished");
        assert_eq!(r["seed"], 40 + r["sample"].as_u64().unwrap());
        let msgs = r["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 1 + 2 + 6);
        assert_eq!(msgs[1]["example"], true);
        assert_eq!(msgs[2]["example"], true);
        assert!(msgs[3].get("example").is_none());
        let replies = r["replies"].as_array().unwrap();
        assert_eq!(replies.len(), 3);
        for (i, rep) in replies.iter().enumerate() {
            assert_eq!(rep["turn"], i);
            assert_eq!(
                rep["content"],
                format!("echo: {}", rep["prompt"].as_str().unwrap())
            );
            assert_eq!(rep["model"], "mock-model-2026");
            assert_eq!(rep["system_fingerprint"], "fp_mock");
            assert_eq!(rep["usage"]["completion_tokens"], 3);
            assert_eq!(rep["finish_reason"], "stop");
            assert_eq!(rep["attempts"], 1);
            assert!(rep["latency_ms"].is_u64());
        }
    }
    let m = manifest(&run);
    assert_eq!(m["counts"], json!({"expected": 4, "finished": 4, "failed": 0}));
    assert_eq!(m["models_reported"]["mock-model-2026"], 12);
    assert_eq!(m["system_fingerprints"]["fp_mock"], 12);
    assert_eq!(m["system_prompt"], "House rules: be honest.");
    assert!(run.join("battery.json").is_file());
    let o = a.get_output();
    assert_no_key(dir.path(), &[&o.stdout, &o.stderr]);
}

#[test]
fn anthropic_headers_top_level_system_and_max_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 1, 2, true);
    let mock = Mock::start(|_, s| anthropic_ok(s));
    let out = dir.path().join("runs");
    let a = cmd()
        .env("ANTHROPIC_API_KEY", KEY)
        .args([
            "run",
            "--model",
            "anthropic:claude-test",
            "--samples",
            "1",
            "--seed",
            "5",
        ])
        .args(["--base-url", &mock.base])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.path, "/v1/messages");
        assert_eq!(s.headers["x-api-key"], KEY);
        assert_eq!(s.headers["anthropic-version"], "2023-06-01");
        assert!(s.headers.get("authorization").is_none());
        assert_eq!(s.body["system"], "You are Mira, a cheerful friend.");
        assert_eq!(s.body["max_tokens"], 1024);
        assert!(s.body.get("seed").is_none());
        let m = s.messages();
        assert!(m.iter().all(|(r, _)| r != "system"));
        assert_eq!(m[0], ("user".into(), "Example question".into()));
        assert_eq!(m[1], ("assistant".into(), "Example answer!".into()));
        assert_eq!(m[2], ("user".into(), "probe=p00 turn 1".into()));
    }
    assert_eq!(
        seen[1].messages()[3],
        ("assistant".into(), "echo: probe=p00 turn 1".into())
    );
    let run = out.join("claude-test");
    let r = &records(&run)[0];
    assert_eq!(r["status"], "finished");
    assert!(r.get("seed").is_none(), "Anthropic takes no seed: {r}");
    assert_eq!(r["replies"][1]["model"], "claude-mock-2026");
    assert_eq!(r["replies"][1]["finish_reason"], "end_turn");
    assert_eq!(
        r["replies"][0]["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 4})
    );
    assert_eq!(manifest(&run)["sampling"]["max_tokens"], 1024);
    let o = a.get_output();
    assert_no_key(dir.path(), &[&o.stdout, &o.stderr]);
}

fn one_probe_run(mock: &Mock, extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 1, 1, false);
    let out = cmd()
        .env("TEST_KEY", KEY)
        .args(["run", "--model", &spec(mock), "--label", "t", "--samples", "1"])
        .args(extra)
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    (dir, out)
}

fn gap(mock: &Mock) -> Duration {
    let s = mock.seen();
    s[1].at - s[0].at
}

#[test]
fn retry_after_seconds_is_honoured() {
    let mock = Mock::start(|n, s| {
        if n == 0 {
            MockReply::json(429, json!({"error": {"message": "slow down"}})).header("retry-after", "1")
        } else {
            openai_ok(s)
        }
    });
    let (dir, out) = one_probe_run(&mock, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.count(), 2);
    // Backoff alone is ~20 ms here; only the header explains a wait of a second.
    assert!(gap(&mock) >= Duration::from_millis(950), "{:?}", gap(&mock));
    let r = &records(&dir.path().join("runs/t"))[0];
    assert_eq!(r["replies"][0]["attempts"], 2);
}

#[test]
fn retry_after_http_date_is_honoured() {
    let mock = Mock::start(|n, s| {
        if n == 0 {
            let when = std::time::SystemTime::now() + Duration::from_secs(3);
            MockReply::json(429, json!({"error": "busy"}))
                .header("retry-after", &httpdate::fmt_http_date(when))
        } else {
            openai_ok(s)
        }
    });
    let (_dir, out) = one_probe_run(&mock, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.count(), 2);
    // The date has one-second resolution: at least 2 of the 3 seconds remain.
    assert!(gap(&mock) >= Duration::from_millis(1900), "{:?}", gap(&mock));
}

#[test]
fn server_error_then_success() {
    let mock = Mock::start(|n, s| {
        if n < 2 {
            MockReply::json(
                if n == 0 { 500 } else { 503 },
                json!({"error": {"message": "oops"}}),
            )
        } else {
            openai_ok(s)
        }
    });
    let (dir, out) = one_probe_run(&mock, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.count(), 3);
    let r = &records(&dir.path().join("runs/t"))[0];
    assert_eq!(r["replies"][0]["attempts"], 3);
    assert_eq!(r["status"], "finished");
}

#[test]
fn timeout_then_success() {
    let mock = Mock::start(|n, s| {
        let ok = openai_ok(s);
        if n == 0 {
            ok.delayed(Duration::from_secs(5))
        } else {
            ok
        }
    });
    let (dir, out) = one_probe_run(&mock, &["--timeout", "0.5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mock.count(), 2);
    let r = &records(&dir.path().join("runs/t"))[0];
    assert_eq!(r["replies"][0]["attempts"], 2);
}

#[test]
fn malformed_json_is_an_error_naming_the_endpoint() {
    let mock = Mock::start(|_, _| MockReply::Raw {
        status: 200,
        body: b"{\"choices\": [oops".to_vec(),
        delay: Duration::ZERO,
    });
    let (dir, out) = one_probe_run(&mock, &["--max-attempts", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let endpoint = format!("{}/v1/chat/completions", mock.base);
    assert!(
        err.contains(&format!("1 x 'bad response from {endpoint}: malformed JSON")),
        "{err}"
    );
    assert_eq!(mock.count(), 2);
    let r = &records(&dir.path().join("runs/t"))[0];
    assert_eq!(r["status"], "failed");
    assert!(r["error"].as_str().unwrap().contains(&endpoint));
}

#[test]
fn truncated_body_and_dropped_connection_name_the_endpoint() {
    // A body cut short (valid HTTP, half the JSON).
    let mock = Mock::start(|_, _| MockReply::Raw {
        status: 200,
        body: br#"{"choices":[{"message":{"role":"assistant","content":"hel"#.to_vec(),
        delay: Duration::ZERO,
    });
    let (_dir, out) = one_probe_run(&mock, &["--max-attempts", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "{}/v1/chat/completions: truncated response body",
            mock.base
        )),
        "{err}"
    );
    // A connection dropped in the middle of the body.
    let mock = Mock::start(|_, _| MockReply::Dropped {
        prefix: br#"{"choices":[{"mess"#.to_vec(),
    });
    let (_dir, out) = one_probe_run(&mock, &["--max-attempts", "2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!("from {}/v1/chat/completions", mock.base)),
        "{err}"
    );
    assert_eq!(mock.count(), 2, "a dropped connection is retried");
}

#[test]
fn unauthorized_stops_the_whole_run_at_once_and_never_leaks_the_echoed_key() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 10, 2, false);
    let mock = Mock::start(|_, s| {
        let auth = s.headers["authorization"].to_str().unwrap().to_string();
        MockReply::json(
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {auth}"), "code": "invalid_api_key"}}),
        )
    });
    let out = cmd()
        .env("TEST_KEY", KEY)
        .args([
            "run",
            "--model",
            &spec(&mock),
            "--label",
            "t",
            "--samples",
            "5",
            "--concurrency",
            "2",
        ])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    // 50 conversations, but at most the two in flight reached the server.
    assert!(mock.count() <= 2, "{} requests after a 401", mock.count());
    assert_eq!(err.matches("authentication failed").count(), 1, "{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains("$TEST_KEY"), "{err}");
    assert!(
        err.contains("[REDACTED]"),
        "the echoed key is shown redacted: {err}"
    );
    assert_no_key(dir.path(), &[&out.stdout, &out.stderr]);
    // Nothing partial was written for the abandoned conversations.
    assert!(records(&dir.path().join("runs/t")).is_empty());
}

#[test]
fn unknown_model_stops_the_run() {
    let mock = Mock::start(|_, _| {
        MockReply::json(
            404,
            json!({"error": {"message": "model 'test-model' not found", "code": "model_not_found"}}),
        )
    });
    let (_dir, out) = one_probe_run(&mock, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("unknown model or wrong endpoint"), "{err}");
    assert_eq!(mock.count(), 1);
}

#[test]
fn every_failure_is_summarised_once_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 6, 1, false);
    let mock = Mock::start(|_, _| MockReply::json(500, json!({"error": {"message": "boom"}})));
    let out = cmd()
        .env("TEST_KEY", KEY)
        .args([
            "run",
            "--model",
            &spec(&mock),
            "--label",
            "t",
            "--samples",
            "2",
            "--max-attempts",
            "2",
        ])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let line = format!(
        "12 x 'HTTP 500 from {}/v1/chat/completions: boom (gave up after 2 attempts)'",
        mock.base
    );
    assert_eq!(err.matches(&line).count(), 1, "{err}");
    assert_eq!(err.matches(" x '").count(), 1, "{err}");
    let m = manifest(&dir.path().join("runs/t"));
    assert_eq!(m["counts"], json!({"expected": 12, "finished": 0, "failed": 12}));
}

#[test]
fn missing_key_is_exit_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 1, 1, false);
    cmd()
        .args(["run", "--model", "openai:gpt-4o"])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("OPENAI_API_KEY"));
    assert!(
        !dir.path().join("runs").exists(),
        "nothing is written before the key check"
    );
}

#[test]
fn config_file_supplies_settings_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    battery(dir.path(), 1, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s));
    let cfg = dir.path().join("persona-drift.toml");
    std::fs::write(
        &cfg,
        format!(
            "[run]\nmodel = \"{}\"\nsamples = 3\ntemperature = 0.3\nprobes = \"probes\"\nout = \"runs\"\n",
            spec(&mock)
        ),
    )
    .unwrap();
    cmd()
        .env("TEST_KEY", KEY)
        .args(["run", "--label", "cfg", "--samples", "2", "--config"])
        .arg(&cfg)
        .assert()
        .success();
    let m = manifest(&dir.path().join("runs/cfg"));
    assert_eq!(m["samples"], 2);
    assert_eq!(m["sampling"]["temperature"], 0.3);
    std::fs::write(&cfg, "[run]\nmodle = \"x\"\n").unwrap();
    cmd()
        .args(["run", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("persona-drift.toml:2:1").and(predicates::str::contains("modle")));
    let _: Value = m;
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn the_same_rejection_everywhere_stops_the_run_early() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 20, 1, false);
    let mock = Mock::start(|_, _| {
        MockReply::json(
            400,
            json!({"error": {"message": "temperature must be at most 1 for this model"}}),
        )
    });
    let out = cmd()
        .env("TEST_KEY", KEY)
        .args([
            "run",
            "--model",
            &spec(&mock),
            "--label",
            "t",
            "--samples",
            "5",
            "--concurrency",
            "1",
        ])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("rejected the first 5 conversations"), "{err}");
    assert!(err.contains("temperature must be at most 1"), "{err}");
    // The stop is decided when the writer has seen 5 rejections; under load the scheduler may have
    // started a few more conversations by then. What matters: nowhere near all 100 are sent.
    assert!(
        mock.count() <= 10,
        "{} of 100 conversations were sent",
        mock.count()
    );
}

#[test]
fn rpm_spaces_requests_and_quiet_prints_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 4, 1, false);
    let mock = Mock::start(|_, s| openai_ok(s));
    let out = cmd()
        .env("TEST_KEY", KEY)
        .args([
            "--quiet",
            "run",
            "--model",
            &spec(&mock),
            "--label",
            "t",
            "--samples",
            "1",
        ])
        .args(["--concurrency", "4", "--rpm", "240"])
        .arg("--probes")
        .arg(&probes)
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen = mock.seen();
    assert_eq!(seen.len(), 4);
    // 240 per minute: one every 250 ms, although all four could go at once.
    for w in seen.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(200), "{gap:?}");
    }
}

const CARD: &str = "name = \"Kai\"\nsystem = \"You are Kai, a warm companion.\"\n\n[[examples]]\nuser = \"I'm back!\"\nassistant = \"There you are, I missed you!\"\n";

#[test]
fn persona_card_is_given_to_probes_without_a_persona_and_pins_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 2, 2, false);
    // A third probe with a persona of its own keeps it.
    std::fs::write(probes.join("test").join("own.toml"), probe_toml("own", 1, true)).unwrap();
    let card = dir.path().join("kai.toml");
    std::fs::write(&card, CARD).unwrap();
    let mock = Mock::start(|_, s| openai_ok(s));
    let out = dir.path().join("runs");
    let run_with = |card: &std::path::Path| {
        cmd()
            .env("TEST_KEY", KEY)
            .args([
                "run",
                "--model",
                &spec(&mock),
                "--label",
                "t",
                "--samples",
                "1",
                "-q",
            ])
            .arg("--probes")
            .arg(&probes)
            .arg("--out")
            .arg(&out)
            .arg("--persona")
            .arg(card)
            .assert()
    };
    run_with(&card).success();
    let seen = mock.seen();
    assert_eq!(seen.len(), 2 * 2 + 1);
    for s in &seen {
        let m = s.messages();
        if s.probe() == "own" {
            assert_eq!(m[0], ("system".into(), "You are Mira, a cheerful friend.".into()));
            assert_eq!(m[2], ("assistant".into(), "Example answer!".into()));
        } else {
            assert_eq!(m[0], ("system".into(), "You are Kai, a warm companion.".into()));
            assert_eq!(m[1], ("user".into(), "I'm back!".into()));
            assert_eq!(m[2], ("assistant".into(), "There you are, I missed you!".into()));
            assert_eq!(m[3].0, "user");
        }
    }
    let run = out.join("t");
    assert_eq!(manifest(&run)["persona_card"], "Kai");
    let battery: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("battery.json")).unwrap()).unwrap();
    let names: Vec<String> = battery["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p["id"].as_str().unwrap(),
                p["persona"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["own=Mira", "p00=Kai", "p01=Kai"]);

    // Resuming with another card would mix two different conversations in one run: refused.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, CARD.replace("Kai", "Noa")).unwrap();
    let o = run_with(&other).code(2).get_output().clone();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("persona card: Kai in the run, Noa now"), "{err}");
    assert_eq!(records(&run).len(), 3, "the finished transcripts are untouched");
}

#[test]
fn a_bad_persona_card_is_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let probes = battery(dir.path(), 1, 1, false);
    let stderr_of = |card: &std::path::Path| {
        let o = cmd()
            .args([
                "run",
                "--model",
                "openai-compatible:m@http://127.0.0.1:9/v1",
                "--out",
            ])
            .arg(dir.path().join("runs"))
            .arg("--probes")
            .arg(&probes)
            .arg("--persona")
            .arg(card)
            .assert()
            .code(2)
            .get_output()
            .clone();
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let card = dir.path().join("card.toml");
    std::fs::write(&card, "name = \"Kai\"\nsystem = \"hi\"\nmood = \"warm\"\n").unwrap();
    let err = stderr_of(&card);
    assert!(
        err.contains(&format!("{}:3:1: unknown field `mood`", card.display())),
        "{err}"
    );
    assert!(err.contains("in the character card"), "{err}");
    let o_err = stderr_of(&dir.path().join("nope.toml"));
    assert!(o_err.contains("nope.toml"), "{o_err}");
}
