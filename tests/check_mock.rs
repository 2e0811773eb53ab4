//! `persona-drift check` end to end against two in-process mock "models": collect both, compare,
//! write the reports, apply the gates; reuse a complete baseline; map collection failures to exit 3.

mod collect_support;

use collect_support::*;
use serde_json::json;
use std::path::Path;

/// A warm, long-winded companion: several affectionate sentences, a different number per request.
fn warm(i: usize, _s: &Seen) -> MockReply {
    let extra = [
        "I'm always here for you, and I'm so glad you reached out.",
        "Thank you so much for trusting me with this, my friend.",
        "You matter a lot to me, and your feelings are completely valid.",
        "Sending you a big warm hug today, dear.",
    ];
    let mut text = String::from("Oh, I'm so happy you told me! I really care about how you feel. ");
    for k in 0..(2 + i % 4) {
        text.push_str(extra[(i + k) % extra.len()]);
        text.push(' ');
    }
    text.push_str("How are you feeling right now? What would help you most?");
    reply("warm-model-1", &text)
}

/// A curt one: a few cold words.
fn curt(i: usize, _s: &Seen) -> MockReply {
    let texts = ["Noted.", "Ok. Proceed.", "Fine.", "Understood. Next."];
    reply("curt-model-2", texts[i % texts.len()])
}

fn reply(model: &str, text: &str) -> MockReply {
    MockReply::json(
        200,
        json!({
            "id": "x", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        }),
    )
}

fn spec(name: &str, mock: &Mock) -> String {
    format!("openai-compatible:{name}@{}/v1", mock.base)
}

fn check(root: &Path, old: &Mock, new: &Mock) -> assert_cmd::Command {
    let mut c = cmd();
    c.current_dir(root)
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["check", "--old", &spec("warm", old), "--new", &spec("curt", new)])
        .args(["--old-label", "before", "--new-label", "after", "--samples", "2"])
        .args(["--concurrency", "4", "--probes", "probes", "--out", "rep"]);
    c
}

#[test]
fn check_collects_both_compares_reports_and_gates_then_reuses_the_baseline() {
    let d = tempfile::tempdir().unwrap();
    battery(d.path(), 12, 1, true);
    let old = Mock::start(warm);
    let new = Mock::start(curt);
    let a = check(d.path(), &old, &new)
        .args(["--fail-on", "warmth < -10%"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("collecting openai-compatible:warm@"), "{stdout}");
    assert!(stdout.contains("FAILED `warmth < -10%`"), "{stdout}");
    assert!(stdout.contains("report: rep/index.html"), "{stdout}");
    assert_eq!(old.count(), 24, "12 probes x 2 samples x 1 turn");
    assert_eq!(new.count(), 24);
    for f in [
        "index.html",
        "card.png",
        "summary.md",
        "comparison.json",
        "replies.csv",
        "junit.xml",
    ] {
        assert!(d.path().join("rep").join(f).is_file(), "{f} missing");
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("rep/comparison.json")).unwrap())
            .unwrap();
    let w = j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "dim.warmth")
        .unwrap();
    assert_eq!(w["verdict"], "changed", "{w}");
    assert_eq!(j["pairing"], "paired");
    assert_eq!(j["new"]["models_reported"]["curt-model-2"], 24);

    // Second check: both runs are complete; the baseline model is not asked again.
    let a = check(d.path(), &old, &new).assert().code(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("reusing complete run runs/before"), "{stdout}");
    assert_eq!(old.count(), 24, "the cached baseline was queried again");
    assert_eq!(new.count(), 24);

    // --fresh collects the new model again (the earlier run is kept aside), not the baseline.
    check(d.path(), &old, &new).arg("--fresh").assert().code(0);
    assert_eq!(old.count(), 24);
    assert_eq!(new.count(), 48);
    let aside = std::fs::read_dir(d.path().join("runs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("after.replaced-")
        })
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn check_resumes_an_incomplete_baseline_and_refuses_a_different_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let d = tempfile::tempdir().unwrap();
    battery(d.path(), 6, 1, true);
    // The baseline model rejects probe p03 at first: the run finishes with 2 failed conversations.
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let old = Mock::start(move |i, s| {
        if !h.load(Ordering::SeqCst) && s.probe() == "p03" {
            MockReply::json(400, json!({"error": {"message": "bad request for p03"}}))
        } else {
            warm(i, s)
        }
    });
    let new = Mock::start(curt);
    cmd()
        .current_dir(d.path())
        .args(["run", "--model", &spec("warm", &old), "--label", "before"])
        .args(["--samples", "2", "--probes", "probes"])
        .assert()
        .code(0);
    assert_eq!(old.count(), 12);
    healthy.store(true, Ordering::SeqCst);
    check(d.path(), &old, &new)
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "10 of 12 conversations finished; resuming",
        ));
    assert_eq!(
        old.count(),
        14,
        "only the two failed conversations are sent again"
    );
    assert_eq!(new.count(), 12);
    // A run directory holding another model's run is refused (exit 2), not overwritten.
    let other = Mock::start(warm);
    let mut c = cmd();
    c.current_dir(d.path())
        .args([
            "check",
            "--old",
            &spec("other", &other),
            "--new",
            &spec("curt", &new),
        ])
        .args(["--old-label", "before", "--new-label", "after", "--samples", "2"])
        .args(["--probes", "probes", "--out", "rep2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("runs/before holds a different run"));
    assert_eq!(other.count(), 0);
}

#[test]
fn a_401_from_the_new_model_exits_3() {
    let d = tempfile::tempdir().unwrap();
    battery(d.path(), 6, 1, true);
    let old = Mock::start(warm);
    let new = Mock::start(|_, _| {
        MockReply::json(
            401,
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}),
        )
    });
    check(d.path(), &old, &new)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("401"));
    assert_eq!(old.count(), 12, "the baseline was collected first");
    assert!(!d.path().join("rep/comparison.json").exists());
}

#[test]
fn ctrl_c_during_check_exits_130_and_keeps_the_finished_conversations() {
    use std::process::Stdio;
    let d = tempfile::tempdir().unwrap();
    battery(d.path(), 10, 1, true);
    let old = Mock::start(|i, s| warm(i, s).delayed(std::time::Duration::from_millis(200)));
    let new = Mock::start(curt);
    let mut c = std_cmd();
    c.current_dir(d.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "check",
            "--old",
            &spec("warm", &old),
            "--new",
            &spec("curt", &new),
        ])
        .args(["--old-label", "before", "--new-label", "after", "--samples", "2"])
        .args(["--concurrency", "2", "--probes", "probes", "--out", "rep"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let transcripts = d.path().join("runs/before/transcripts.jsonl");
    let start = std::time::Instant::now();
    while records(&d.path().join("runs/before")).len() < 2 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no records written"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(transcripts.is_file());
    assert_eq!(
        new.count(),
        0,
        "the new model is not queried after an interruption"
    );
    assert!(!d.path().join("rep/comparison.json").exists());
}

#[test]
fn check_gives_the_persona_card_to_both_models() {
    let d = tempfile::tempdir().unwrap();
    battery(d.path(), 4, 1, false);
    std::fs::write(
        d.path().join("card.toml"),
        "name = \"Kai\"\nsystem = \"You are Kai.\"\n[[examples]]\nuser = \"hi\"\nassistant = \"hey love\"\n",
    )
    .unwrap();
    let old = Mock::start(warm);
    let new = Mock::start(curt);
    check(d.path(), &old, &new)
        .args(["--persona", "card.toml"])
        .assert()
        .code(0);
    for mock in [&old, &new] {
        let seen = mock.seen();
        assert_eq!(seen.len(), 8);
        for s in &seen {
            let m = s.messages();
            assert_eq!(m[0], ("system".into(), "You are Kai.".into()));
            assert_eq!(m[2], ("assistant".into(), "hey love".into()));
        }
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("rep/comparison.json")).unwrap())
            .unwrap();
    assert_eq!(j["old"]["persona_card"], "Kai");
    assert_eq!(j["new"]["persona_card"], "Kai");
    let html = std::fs::read_to_string(d.path().join("rep/index.html")).unwrap();
    assert!(
        html.contains("Persona card (--persona)"),
        "the report names the card"
    );
}
