//! `persona-drift run` against a real model: llama.cpp's OpenAI-compatible server with
//! SmolLM2-135M-Instruct, started by `scripts/local-llm.sh start`, whose URL is passed in
//! `PERSONA_DRIFT_LLM_URL` (e.g. http://127.0.0.1:8765/v1). Without the URL the test is
//! skipped, except in CI (`CI=true`), where it fails so CI can never skip it silently.

use serde_json::Value;
use std::collections::BTreeSet;

const PROBES: &[(&str, &str)] = &[
    (
        "travel-story",
        r#"id = "travel-story"
category = "real"
title = "A short travel story"
reveals = "Whether a real model answers at all."
language = "en"

[[turns]]
user = "Tell me about a trip you would love to take, in two sentences."
"#,
    ),
    (
        "cat-name",
        r#"id = "cat-name"
category = "real"
title = "Two turns about a cat"
reveals = "Whether the second turn carries the history."
language = "en"

[[turns]]
user = "My cat is called Pepper and she hates rain."

[[turns]]
user = "What should I do with her on a rainy afternoon?"
"#,
    ),
    (
        "persona-hello",
        r#"id = "persona-hello"
category = "real"
title = "A persona with an example"
reveals = "Whether persona and examples reach the model."
language = "en"

[persona]
name = "Bo"
system = "You are Bo, a cheerful pirate who loves the sea."

[[persona.examples]]
user = "Hi Bo!"
assistant = "Ahoy, matey! The tide brought ye just in time!"

[[turns]]
user = "How was your day on the ship?"
"#,
    ),
];

#[test]
fn real_llm_run_produces_real_differing_replies() {
    let url = match std::env::var("PERSONA_DRIFT_LLM_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but PERSONA_DRIFT_LLM_URL is not set: start the server with \
                     `export PERSONA_DRIFT_LLM_URL=$(scripts/local-llm.sh start)`"
                );
            }
            eprintln!(
                "SKIPPED real_llm: set PERSONA_DRIFT_LLM_URL (export PERSONA_DRIFT_LLM_URL=$(scripts/local-llm.sh start))"
            );
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let probes = dir.path().join("probes/real");
    std::fs::create_dir_all(&probes).unwrap();
    for (id, text) in PROBES {
        std::fs::write(probes.join(format!("{id}.toml")), text).unwrap();
    }
    let out = assert_cmd::Command::cargo_bin("persona-drift")
        .unwrap()
        .env_remove("OPENAI_API_KEY")
        .args([
            "run",
            "--model",
            &format!("openai-compatible:smollm2@{}", url.trim()),
        ])
        .args([
            "--label",
            "real",
            "--samples",
            "2",
            "--max-tokens",
            "32",
            "--temperature",
            "0.9",
        ])
        .args(["--seed", "11", "--concurrency", "2", "--timeout", "120"])
        .arg("--probes")
        .arg(dir.path().join("probes"))
        .arg("--out")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let run = dir.path().join("runs/real");
    let text = std::fs::read_to_string(run.join("transcripts.jsonl")).unwrap();
    let recs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recs.len(), 6);
    let mut contents = Vec::new();
    for r in &recs {
        assert_eq!(r["status"], "finished", "{r}");
        let probe = PROBES.iter().find(|(id, _)| r["probe_id"] == *id).unwrap();
        let turns = probe.1.matches("[[turns]]").count();
        let replies = r["replies"].as_array().unwrap();
        assert_eq!(replies.len(), turns);
        for rep in replies {
            let c = rep["content"].as_str().unwrap();
            assert!(!c.trim().is_empty(), "empty reply in {r}");
            assert!(!rep["model"].as_str().unwrap().is_empty());
            let usage = &rep["usage"];
            assert!(usage["completion_tokens"].as_u64().unwrap() > 0);
            // The whole history was sent: the second turn's prompt is longer than the first's.
            assert!(usage["prompt_tokens"].as_u64().unwrap() > 5);
            assert!(["stop", "length"].contains(&rep["finish_reason"].as_str().unwrap()));
            contents.push(c.to_string());
        }
        if r["probe_id"] == "cat-name" {
            let p0 = replies[0]["usage"]["prompt_tokens"].as_u64().unwrap();
            let p1 = replies[1]["usage"]["prompt_tokens"].as_u64().unwrap();
            assert!(p1 > p0 + replies[0]["usage"]["completion_tokens"].as_u64().unwrap() / 2);
        }
    }
    let distinct: BTreeSet<&String> = contents.iter().collect();
    assert!(
        distinct.len() * 4 >= contents.len() * 3,
        "replies barely differ: {contents:#?}"
    );
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["counts"]["finished"], 6);
    assert!(!m["models_reported"].as_object().unwrap().is_empty());
    eprintln!("real replies, e.g.: {:?}", &contents[..2]);
}
