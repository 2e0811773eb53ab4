//! `compare` with the embedding metrics: the real local model (resolved normally: run
//! `scripts/install-embed-model.sh` first), the note when no model is available, `--no-embeddings`,
//! and an explicit model directory that is missing (an error).

mod compare_common;

use assert_cmd::Command;
use compare_common::*;
use std::path::Path;

const TOPICS: &[&str] = &[
    "my dog died yesterday",
    "I failed my driving test",
    "I can't sleep before my exam",
    "my sister is moving abroad",
    "I lost my job today",
    "my friend forgot my birthday",
    "I got rejected from the course",
    "my grandmother is in hospital",
];

/// Old replies are warm and personal, new ones curt; both vary from sample to sample.
fn text(new: bool, p: usize, s: u32) -> String {
    let topic = TOPICS[p % TOPICS.len()];
    let warm = [
        "Oh, I'm so sorry to hear that. That sounds really hard, and it makes sense that you feel this way. I'm here for you, take all the time you need.",
        "That must hurt so much, and I'm really glad you told me. Be gentle with yourself tonight; you deserve comfort and care.",
        "I'm so sorry. Sending you a big hug. It's completely okay to feel sad about this, and I'd love to hear more if you want to share.",
    ];
    let cold = [
        "Noted. Review the relevant procedures and proceed with the next required steps.",
        "This is a common occurrence. Consult the documentation and schedule a follow-up.",
        "Acknowledged. Complete the standard form and submit it before the deadline.",
    ];
    let body = if new {
        cold[s as usize % 3]
    } else {
        warm[s as usize % 3]
    };
    format!("About \"{topic}\": {body}")
}

fn write_text_run(runs: &Path, label: &str, new: bool) {
    use persona_drift::store::*;
    // Reuse the shared helper for the manifest and layout, then replace the transcripts.
    let spec = RunSpec::new(label, "openai:gpt-4o", 8, 3);
    let dir = RunDir::new(write_run(runs, &spec, |_, _, _| 5));
    std::fs::remove_file(dir.transcripts_path()).unwrap();
    let mut w = TranscriptWriter::open(&dir, 0).unwrap();
    for (pi, (id, cat, _)) in spec.probes.iter().enumerate() {
        for s in 0..3u32 {
            let content = text(new, pi, s);
            let prompt = format!("{}.", TOPICS[pi % TOPICS.len()]);
            w.append(&Record {
                probe_id: id.clone(),
                sample: s,
                category: cat.clone(),
                language: "en".into(),
                status: Status::Finished,
                messages: vec![
                    Message {
                        role: Role::User,
                        content: prompt.clone(),
                        example: false,
                    },
                    Message {
                        role: Role::Assistant,
                        content: content.clone(),
                        example: false,
                    },
                ],
                replies: vec![Reply {
                    turn: 0,
                    prompt,
                    content,
                    latency_ms: Some(10),
                    usage: None,
                    finish_reason: Some("stop".into()),
                    model: None,
                    system_fingerprint: None,
                    attempts: 1,
                    timestamp: None,
                }],
                error: None,
                seed: Some(s as u64),
                started_at: None,
                finished_at: None,
            })
            .unwrap();
        }
    }
}

fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write_text_run(&d.path().join("runs"), "before", false);
    write_text_run(&d.path().join("runs"), "after", true);
    d
}

fn cmd(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("persona-drift").unwrap();
    c.current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("PERSONA_DRIFT_EMBED_MODEL");
    c
}

fn model_available() -> bool {
    persona_drift::embed::resolve_model_dir(&persona_drift::embed::ResolveOptions {
        offline: true,
        ..persona_drift::embed::ResolveOptions::from_env()
    })
    .is_ok()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn compare_with_the_real_local_model_reports_semantic_drift() {
    if !model_available() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the embedding model is not installed: run scripts/install-embed-model.sh");
        }
        eprintln!("skipped: the embedding model is not installed (scripts/install-embed-model.sh)");
        return;
    }
    let d = setup();
    let out = cmd(d.path())
        .args([
            "compare", "before", "after", "--out", "rep", "--format", "html,md",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("embedding metrics skipped"), "{stderr}");
    let j = json(&d.path().join("rep/comparison.json"));
    assert!(j.get("embedding_skipped").is_none());
    let e = &j["embedding"];
    assert_eq!(e["model"], "all-MiniLM-L6-v2");
    let probes = e["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 8, "{e}");
    for p in probes {
        let ratio = p["drift_ratio"].as_f64().unwrap();
        let floor = p["noise_floor"].as_f64().unwrap();
        assert!(floor > 0.0 && p["p_value"].as_f64().unwrap() <= 1.0);
        // Warm vs curt replies are far further apart than the samples of one side.
        assert!(ratio > 1.5, "probe {} ratio {ratio}", p["probe_id"]);
        assert!(p["verdict"].is_string());
    }
    assert!(e["median_drift_ratio"].as_f64().unwrap() > 1.5);
    assert!(e["classifier_auc"]["statistic"].as_f64().unwrap() > 0.9, "{e}");
    assert!(e["energy_distance"]["p_value"].as_f64().unwrap() < 0.05);
    assert_eq!(e["verdict"], "changed", "{}", e["verdict_reason"]);
    let new_words: Vec<&str> = e["words"]["more_in_new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    let old_words: Vec<&str> = e["words"]["more_in_old"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(old_words.contains(&"sorry"), "{old_words:?}");
    assert!(!new_words.is_empty());
    // The warmth direction is a metric with paired statistics and a verdict; the new replies are colder.
    let m = j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "emb.warmth_direction")
        .expect("emb.warmth_direction in metrics");
    assert_eq!(m["kind"], "dimension");
    assert_eq!(m["verdict"], "changed", "{m}");
    assert!(m["abs_change"].as_f64().unwrap() < 0.0, "{m}");
    // Reports: the drift section with its chart, the AUC/energy results and both word lists.
    let html = std::fs::read_to_string(d.path().join("rep/index.html")).unwrap();
    assert!(html.contains("id=\"semantic\""));
    assert!(html.contains("Semantic drift per probe"), "drift chart missing");
    assert!(html.contains("ROC AUC") && html.contains("Energy distance"));
    assert!(html.contains("id=\"words\"") && html.contains(">sorry<"));
    assert!(html.contains(new_words[0]));
    assert!(
        html.contains("drifted beyond the old model"),
        "headline names semantic drift"
    );
    let md = std::fs::read_to_string(d.path().join("rep/summary.md")).unwrap();
    assert!(md.contains("Meaning (semantic drift"), "{md}");
    assert!(md.contains("More in old replies") && md.contains("sorry"));
    assert!(d.path().join("runs/before/embeddings").is_dir());
    // The projection is on an interval scale: no percentage change in the reports, and a `%` gate
    // never fires on one; a gate on its direction does (the comparison reuses the cached vectors).
    assert!(m.get("rel_change").is_none(), "{m}");
    assert!(
        !html.contains("Warmth (embedding direction) is 1"),
        "no percentage in the headline"
    );
    for (rule, code) in [
        ("emb.warmth_direction < -10%", 0),
        ("emb.warmth_direction decreased", 1),
    ] {
        let out = cmd(d.path())
            .args([
                "compare",
                "before",
                "after",
                "--out",
                "rep2",
                "--format",
                "md",
                "--fail-on",
                rule,
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{rule}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn compare_without_an_available_model_succeeds_with_a_note() {
    let d = setup();
    let empty = tempfile::tempdir().unwrap();
    let out = cmd(d.path())
        .env("HOME", empty.path())
        .env("XDG_CACHE_HOME", empty.path())
        .env("PERSONA_DRIFT_OFFLINE", "1")
        .args([
            "compare", "before", "after", "--out", "rep", "--format", "html,md",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("embedding metrics skipped").count(), 1, "{stderr}");
    assert!(stderr.contains("scripts/install-embed-model.sh") && stderr.contains("--embed-model DIR"));
    assert!(stderr.contains("--no-embeddings"));
    let j = json(&d.path().join("rep/comparison.json"));
    assert!(j.get("embedding").is_none());
    assert!(j["embedding_skipped"].as_str().unwrap().contains("not available"));
    assert!(!j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "emb.warmth_direction"));
    let html = std::fs::read_to_string(d.path().join("rep/index.html")).unwrap();
    assert!(!html.contains("id=\"semantic\""));
    assert!(html.contains("embedding metrics (semantic drift, warmth direction) were not computed"));
}

#[test]
fn no_embeddings_skips_them_silently() {
    let d = setup();
    // A model directory in the environment does not clash with --no-embeddings, which wins.
    let out = cmd(d.path())
        .env("PERSONA_DRIFT_EMBED_MODEL", "/nonexistent/model")
        .args([
            "compare",
            "before",
            "after",
            "--out",
            "rep",
            "--format",
            "md",
            "--no-embeddings",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("embedding"), "{stderr}");
    let j = json(&d.path().join("rep/comparison.json"));
    assert!(j.get("embedding").is_none());
    assert_eq!(j["embedding_skipped"], "--no-embeddings was given");
    assert!(!d.path().join("runs/before/embeddings").exists());
    let md = std::fs::read_to_string(d.path().join("rep/summary.md")).unwrap();
    assert!(!md.contains("semantic drift"));
}

#[test]
fn an_explicit_model_dir_that_is_missing_is_an_error() {
    let d = setup();
    let empty = tempfile::tempdir().unwrap();
    let out = cmd(d.path())
        .args(["compare", "before", "after", "--out", "rep", "--embed-model"])
        .arg(empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("model.safetensors"), "{stderr}");
    let out = cmd(d.path())
        .args([
            "compare",
            "before",
            "after",
            "--out",
            "rep",
            "--embedder",
            "bogus:x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
