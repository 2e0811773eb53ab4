//! CLI tests of `compare` and `check`: every exit code and the gate language.

mod compare_common;

use assert_cmd::Command;
use compare_common::*;
use predicates::prelude::*;
use std::path::Path;

fn cmd(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("persona-drift").unwrap();
    c.current_dir(cwd).env_remove("GITHUB_STEP_SUMMARY");
    c
}

/// Old: ~40 words per reply; new: `shift` words more, with jitter.
fn two_runs(root: &Path, shift: i64) {
    let runs = root.join("runs");
    write_run(
        &runs,
        &RunSpec::new("before", "openai:gpt-4o", 20, 3),
        |p, s, t| (40 + (p as i64 % 7) * 5 + jitter(p, s, t, 1, 3)) as usize,
    );
    write_run(
        &runs,
        &RunSpec::new("after", "openai:gpt-4o", 20, 3),
        |p, s, t| (40 + (p as i64 % 7) * 5 + shift + jitter(p, s, t, 2, 3)) as usize,
    );
}

#[test]
fn smoke_prints_summary_and_writes_json() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), -15);
    let out = cmd(d.path())
        .args(["compare", "before", "after"])
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    println!("{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    assert!(d.path().join("reports/before-vs-after/comparison.json").is_file());
}
