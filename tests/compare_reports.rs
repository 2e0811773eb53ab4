//! `compare` writes every report format through the report stage: `--format`, `--out`,
//! `GITHUB_STEP_SUMMARY`, and reports written even when a gate fails the run.

mod compare_common;

use assert_cmd::Command;
use compare_common::*;
use std::path::Path;

fn cmd(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("persona-drift").unwrap();
    c.current_dir(cwd).env_remove("GITHUB_STEP_SUMMARY");
    c
}

/// 12 probes x 2 samples x 2 turns per run; the new replies are ~15 words shorter.
fn two_runs(root: &Path) {
    let runs = root.join("runs");
    let mut a = RunSpec::new("before", "openai:gpt-4o", 12, 2);
    a.turns = 2;
    let mut b = RunSpec::new("after", "openai:gpt-4o", 12, 2);
    b.turns = 2;
    write_run(&runs, &a, |p, s, t| {
        (40 + (p as i64 % 5) * 4 + jitter(p, s, t, 1, 3)) as usize
    });
    write_run(&runs, &b, |p, s, t| {
        (25 + (p as i64 % 5) * 4 + jitter(p, s, t, 2, 3)) as usize
    });
}

const ALL: [&str; 6] = [
    "index.html",
    "card.png",
    "summary.md",
    "comparison.json",
    "replies.csv",
    "junit.xml",
];

#[test]
fn compare_writes_every_format_by_default_with_one_csv_row_per_reply() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path());
    let a = cmd(d.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    let dir = d.path().join("reports/before-vs-after");
    for f in ALL {
        assert!(dir.join(f).is_file(), "{f} missing; stdout:\n{stdout}");
    }
    assert!(dir.join("charts").read_dir().unwrap().count() > 0);
    let png = std::fs::read(dir.join("card.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // The summary ends with the report path and the headline.
    let tail: Vec<&str> = stdout.trim_end().lines().rev().take(3).collect();
    assert!(
        tail.iter()
            .any(|l| l.starts_with("report: reports/before-vs-after/index.html")),
        "{stdout}"
    );
    assert!(
        tail[1].starts_with("before vs after:") || tail[0].starts_with("before vs after:"),
        "{stdout}"
    );
    // replies.csv: a header and one row per reply (12 probes x 2 samples x 2 turns x 2 runs).
    let mut r = csv::Reader::from_path(dir.join("replies.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 12 * 2 * 2 * 2);
    let side = headers.iter().position(|h| h == "side").expect("side column");
    assert_eq!(rows.iter().filter(|x| &x[side] == "old").count(), 48);
    assert!(headers.iter().any(|h| h == "words"), "{headers:?}");
    // The HTML shows the most-changed probes with their replies (built from the run records).
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("word word word"), "no reply text in index.html");
}

#[test]
fn format_picks_only_the_requested_files() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path());
    cmd(d.path())
        .args(["compare", "before", "after", "--format", "md,json", "--out", "r"])
        .assert()
        .code(0);
    let mut names: Vec<String> = std::fs::read_dir(d.path().join("r"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["comparison.json", "summary.md"]);
}

#[test]
fn github_step_summary_gets_the_markdown_appended() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path());
    let summary = d.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    cmd(d.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["compare", "before", "after", "--format", "json", "--out", "r"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n"), "{text}");
    assert!(text.contains("## Personality drift: gpt-4o → gpt-4o"), "{text}");
    assert!(text.contains("| Dimension |"), "{text}");
}

#[test]
fn a_fired_gate_exits_1_and_still_writes_every_report() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path());
    cmd(d.path())
        .args([
            "compare",
            "before",
            "after",
            "--fail-on",
            "verbosity < -10%",
            "--out",
            "r",
        ])
        .assert()
        .code(1);
    for f in ALL {
        assert!(d.path().join("r").join(f).is_file(), "{f} missing");
    }
    let junit = std::fs::read_to_string(d.path().join("r/junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}
