//! `persona-drift report`: re-render from comparison.json; format errors and bad input exit 2.

mod report_fixture;

use assert_cmd::Command;
use predicates::prelude::*;

fn write_fixture(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("comparison.json");
    std::fs::write(
        &p,
        serde_json::to_string_pretty(&report_fixture::comparison(false)).unwrap(),
    )
    .unwrap();
    p
}

#[test]
fn report_rewrites_every_format_from_comparison_json() {
    let t = tempfile::tempdir().unwrap();
    let cj = write_fixture(t.path());
    let out = t.path().join("out");
    Command::cargo_bin("persona-drift")
        .unwrap()
        .args(["report", cj.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("23% less warm"))
        .stdout(predicate::str::contains("index.html"));
    for f in [
        "index.html",
        "card.png",
        "summary.md",
        "comparison.json",
        "replies.csv",
        "junit.xml",
        "charts/radar.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // comparison.json is written as is.
    let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cj).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn default_out_dir_is_reports_old_vs_new() {
    let t = tempfile::tempdir().unwrap();
    let cj = write_fixture(t.path());
    Command::cargo_bin("persona-drift")
        .unwrap()
        .current_dir(t.path())
        .args(["report", cj.to_str().unwrap(), "--format", "md"])
        .assert()
        .success();
    assert!(t.path().join("reports/before-vs-after/summary.md").exists());
    assert!(!t.path().join("reports/before-vs-after/index.html").exists());
}

#[test]
fn bad_format_names_the_item_and_exits_2() {
    let t = tempfile::tempdir().unwrap();
    let cj = write_fixture(t.path());
    Command::cargo_bin("persona-drift")
        .unwrap()
        .args(["report", cj.to_str().unwrap(), "--format", "html,pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"pdf\""));
}

#[test]
fn broken_comparison_json_exits_2_with_location() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("comparison.json");
    std::fs::write(&p, "{\n  \"schema_version\": 1,\n  oops\n}").unwrap();
    Command::cargo_bin("persona-drift")
        .unwrap()
        .args(["report", p.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("comparison.json:3:"));
    Command::cargo_bin("persona-drift")
        .unwrap()
        .args(["report", t.path().join("missing.json").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
}

#[test]
fn open_failure_never_fails_the_run() {
    let t = tempfile::tempdir().unwrap();
    let cj = write_fixture(t.path());
    // No xdg-open on PATH: the run still succeeds with a warning.
    Command::cargo_bin("persona-drift")
        .unwrap()
        .env("PATH", t.path())
        .args([
            "report",
            cj.to_str().unwrap(),
            "--format",
            "html",
            "--open",
            "--out",
            t.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("could not open"));
}
