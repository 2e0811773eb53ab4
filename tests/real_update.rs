//! End to end on the real local model (issue: the main job, measured): record a small slice of the
//! battery from llama.cpp's server under both conditions of the bundled runs — the model as served,
//! and the same model behind the simulated provider update (`scripts/provider-proxy.py`) — then
//! compare them and check the report files and the exit code.
//!
//! Needs `PERSONA_DRIFT_LLM_URL` (set by `scripts/test.sh`); skipped without it unless `CI=true`,
//! where it fails so that CI can never skip it silently.

use assert_cmd::Command;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Proxy(Child);
impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(dir: &Path, url: &str, label: &str) {
    Command::cargo_bin("persona-drift")
        .unwrap()
        .current_dir(dir)
        .args(["run", "--model"])
        .arg(format!("openai-compatible:smollm2-135m@{url}"))
        .args([
            "--label",
            label,
            "--samples",
            "2",
            "--max-tokens",
            "64",
            "--temperature",
            "0.8",
        ])
        .args(["--seed", "7", "--concurrency", "2", "-q"])
        .args([
            "--probes-filter",
            "id:dog-named-biscuit,id:jace-i-missed-you,id:cant-sleep-3am",
        ])
        .arg("--probes")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("probes"))
        // As the bundled runs: a companion's character card for probes without a persona.
        .arg("--persona")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/personas/mika.toml"))
        .assert()
        .success();
}

#[test]
fn real_model_before_and_after_a_simulated_update() {
    let Ok(url) = std::env::var("PERSONA_DRIFT_LLM_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but PERSONA_DRIFT_LLM_URL is not set: start the server with scripts/local-llm.sh"
        );
        eprintln!("skipped: PERSONA_DRIFT_LLM_URL is not set (scripts/local-llm.sh start)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let upstream = url.trim_end_matches('/').trim_end_matches("/v1").to_string();
    let proxy = Proxy(
        std::process::Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/provider-proxy.py"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--upstream", &upstream])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the proxy"),
    );
    let start = Instant::now();
    while TcpListener::bind(("127.0.0.1", port)).is_ok() {
        assert!(start.elapsed() < Duration::from_secs(20), "proxy did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    run(dir.path(), &url, "before");
    run(dir.path(), &format!("http://127.0.0.1:{port}/v1"), "after");
    drop(proxy);

    let out = dir.path().join("report");
    let assert = Command::cargo_bin("persona-drift")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args([
            "compare",
            "before",
            "after",
            "--no-embeddings",
            "--fail-on",
            "any dimension changed",
        ])
        .arg("--out")
        .arg(&out)
        .assert();
    let code = assert.get_output().status.code();
    // 0 or 1 depending on what this small slice can show; never 2 or 3.
    assert!(matches!(code, Some(0) | Some(1)), "{:?}", assert.get_output());
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
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap()).unwrap();
    // The proxy reports its own fingerprint under the same model name: a silent update.
    assert!(c.to_string().contains("fp_house_v2"));
    // The exit code agrees with the gate results written into the comparison and junit.xml.
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert_eq!(code == Some(1), junit.contains("<failure"), "{junit}");
    // Verbosity is what the house style moves most reliably: the new replies are shorter.
    let verbosity = c["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "dim.verbosity")
        .expect("dim.verbosity");
    assert!(verbosity["abs_change"].as_f64().unwrap() < 0.0, "{verbosity}");
    // Both runs sent the card to the probes without a persona, and say so.
    assert_eq!(c["old"]["persona_card"], "Mika");
    assert_eq!(c["new"]["persona_card"], "Mika");
    let battery = std::fs::read_to_string(dir.path().join("runs/before/battery.json")).unwrap();
    let battery: serde_json::Value = serde_json::from_str(&battery).unwrap();
    for p in battery["probes"].as_array().unwrap() {
        let expected = if p["id"] == "jace-i-missed-you" {
            "Jace"
        } else {
            "Mika"
        };
        assert_eq!(p["persona"]["name"], expected, "{}", p["id"]);
    }
}
