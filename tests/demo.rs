//! The embedded default (`persona-drift demo`) and the validity checks on the bundled real runs
//! (`examples/runs/`, see its README): the A/A pair must show no changed dimension, the A/B pair
//! must show the changes the simulated update was designed to make, and the committed example
//! report must match a fresh render.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Fixed time for reproducible renders (see `compare::cmd::creation_time`).
const EPOCH: &str = "1795896000";

fn bin(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("persona-drift").unwrap();
    // No embedding model: the demo must work on a fresh machine without one, and the example
    // report is rendered without it so that it is identical on every machine.
    c.env("XDG_CACHE_HOME", cache)
        .env("PERSONA_DRIFT_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("PERSONA_DRIFT_EMBED_MODEL")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("SOURCE_DATE_EPOCH", EPOCH);
    c
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compare(old: &str, new: &str, out: &Path, cache: &Path) -> Value {
    let runs = repo().join("examples/runs");
    bin(cache)
        .args(["compare"])
        .arg(runs.join(old))
        .arg(runs.join(new))
        .arg("--out")
        .arg(out)
        .args(["--format", "json", "-q"])
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap()).unwrap()
}

fn dimension_verdicts(c: &Value) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    for m in c["metrics"].as_array().expect("metrics array") {
        let id = m["id"].as_str().unwrap_or_default().to_string();
        if id.starts_with("dim.") {
            let verdict = m["verdict"].as_str().expect("verdict").to_string();
            assert!(
                ["changed", "unchanged", "inconclusive"].contains(&verdict.as_str()),
                "{verdict}"
            );
            let diff = m["abs_change"].as_f64().expect("abs_change");
            out.push((id, verdict, diff));
        }
    }
    assert!(out.len() >= 9, "expected the nine dimensions, got {out:?}");
    out
}

#[test]
fn demo_writes_the_full_report_offline_and_prints_the_headline() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let assert = bin(cache.path())
        .current_dir(dir.path())
        .arg("demo")
        .arg("--out")
        .arg(&out)
        .assert();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert.success();
    for f in [
        "index.html",
        "card.png",
        "summary.md",
        "comparison.json",
        "replies.csv",
        "junit.xml",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    assert!(out.join("runs/v1/transcripts.jsonl").is_file());
    assert!(stdout.contains("report: "), "{stdout}");
    assert!(stdout.contains("The new model's replies are"), "{stdout}");
    // Default location when no --out is given.
    bin(cache.path())
        .current_dir(dir.path())
        .args(["demo", "-q"])
        .assert()
        .success();
    assert!(dir.path().join("reports/demo/index.html").is_file());
}

#[test]
fn bundled_a_a_pair_has_no_changed_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = compare("v1", "v1-again", dir.path(), cache.path());
    let changed: Vec<_> = dimension_verdicts(&c)
        .into_iter()
        .filter(|(_, v, _)| v == "changed")
        .collect();
    assert!(changed.is_empty(), "A/A pair flagged: {changed:?}");
}

#[test]
fn bundled_a_b_pair_detects_what_the_update_changed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = compare("v1", "v2", dir.path(), cache.path());
    let dims = dimension_verdicts(&c);
    let verdict = |id: &str| dims.iter().find(|d| d.0 == id).cloned().unwrap();
    // The house style asks for neutral (no endearments, no feelings), concise replies without
    // emoji or exclamation marks: Warmth, Verbosity and Playfulness must be called changed, down.
    for id in ["dim.warmth", "dim.verbosity", "dim.playfulness"] {
        let (_, v, diff) = verdict(id);
        assert_eq!(v, "changed", "{id}: {dims:?}");
        assert!(diff < 0.0, "{id} must go down: {dims:?}");
    }
    // It also asks for no questions: Engagement falls significantly, but its CI reaches into the
    // default noise band, which is two thirds of this model's level (examples/runs/README.md), so
    // the verdict may stay inconclusive; it must never be a change *up*.
    let engagement = c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "dim.engagement")
        .unwrap();
    assert!(engagement["abs_change"].as_f64().unwrap() < 0.0, "{engagement}");
    assert!(engagement["p"].as_f64().unwrap() < 0.05, "{engagement}");
    // Nothing the condition does not touch is called changed.
    let changed: Vec<&str> = dims
        .iter()
        .filter(|d| d.1 == "changed")
        .map(|d| d.0.as_str())
        .collect();
    assert_eq!(
        changed,
        ["dim.playfulness", "dim.verbosity", "dim.warmth"],
        "{dims:?}"
    );
    // Relative intervals of non-negative dimensions stay above -100%.
    for m in c["metrics"].as_array().unwrap() {
        if let Some(low) = m["rel_ci"]["low"].as_f64() {
            assert!(low >= -1.0, "{m}");
        }
    }
    // The proxy reports its own system fingerprint under the same model name, and both runs
    // used the same companion card.
    let text = c.to_string();
    assert!(
        text.contains("fp_house_v2"),
        "the new fingerprint must be reported"
    );
    assert_eq!(c["old"]["persona_card"], "Mika");
    assert_eq!(c["new"]["persona_card"], "Mika");
}

#[test]
fn bundled_sampling_only_change_is_shorter_not_colder() {
    // v1-short: the same model with max tokens 40. Replies are cut short; their warm openings
    // survive, so Warmth (a density) must not be called a drop.
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = compare("v1", "v1-short", dir.path(), cache.path());
    let dims = dimension_verdicts(&c);
    let (_, v, diff) = dims.iter().find(|d| d.0 == "dim.verbosity").cloned().unwrap();
    assert_eq!(v, "changed", "{dims:?}");
    assert!(diff < 0.0);
    let (_, v, diff) = dims.iter().find(|d| d.0 == "dim.warmth").cloned().unwrap();
    assert!(!(v == "changed" && diff < 0.0), "shorter is not colder: {dims:?}");
}

#[test]
fn committed_example_report_matches_a_fresh_render() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = dir.path().join("example");
    bin(cache.path())
        .current_dir(dir.path())
        .args(["demo", "-q", "--no-embeddings", "--format", "html,png,md"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let example = repo().join("reports/example");
    for f in ["index.html", "summary.md", "card.png"] {
        let fresh = std::fs::read(out.join(f)).unwrap();
        let committed = std::fs::read(example.join(f)).unwrap_or_default();
        assert!(
            fresh == committed,
            "reports/example/{f} is stale: regenerate it with \
             `SOURCE_DATE_EPOCH={EPOCH} XDG_CACHE_HOME=$(mktemp -d) PERSONA_DRIFT_OFFLINE=1 \
             cargo run --release -- demo --no-embeddings --format html,png,md --out reports/example` \
             (then delete reports/example/runs and reports/example/charts)"
        );
    }
}
