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
fn summary_has_the_table_identity_and_seed() {
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

fn json(root: &Path, rel: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join(rel)).unwrap()).unwrap()
}

/// The metric `id` of a comparison.json (the real scorer compares ~100 metrics; look them up
/// by id, not position).
fn metric<'a>(j: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no metric {id} in comparison.json"))
}

#[test]
fn exit_0_when_gates_hold_and_1_when_one_fires_after_writing_outputs() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), -15);
    // Chars went down, not up: this gate holds.
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "chars increased"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("passed"));
    cmd(d.path())
        .args([
            "compare",
            "before",
            "after",
            "--fail-on",
            "verbosity < -10%",
            "--out",
            "rep",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED `verbosity < -10%`: dim.verbosity changed by",
        ));
    let j = json(d.path(), "rep/comparison.json");
    assert_eq!(j["gates"][0]["fired"], true);
    assert_eq!(j["gates"][0]["fired_by"][0], "dim.verbosity");
    assert_eq!(j["summary"]["exit_code"], 1);
    assert_eq!(j["schema_version"], 1);
    // A raw metric id works too, and so does `any dimension changed`.
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "words < -5"])
        .assert()
        .code(1);
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "any dimension changed"])
        .assert()
        .code(1);
    // Threshold not reached: -27% is not below -50%.
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "verbosity < -50%"])
        .assert()
        .code(0);
}

#[test]
fn a_threshold_gate_never_fires_on_noise() {
    // A 1-word shift sits inside the 5-word noise band: the point estimate is below -1%,
    // but the verdict is not `changed`, so the gate does not fire.
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), -1);
    cmd(d.path())
        .args([
            "compare",
            "before",
            "after",
            "--fail-on",
            "verbosity < -1%",
            "--out",
            "r",
        ])
        .assert()
        .code(0);
    let j = json(d.path(), "r/comparison.json");
    let m = metric(&j, "dim.verbosity");
    assert!(m["rel_change"].as_f64().unwrap() < -0.01, "{m}");
    assert_ne!(m["verdict"], "changed");
    assert_eq!(j["gates"][0]["fired"], false);
}

#[test]
fn gate_syntax_errors_exit_2_with_a_caret() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), 0);
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "warmth =< -10%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid gate rule in --fail-on: expected a comparison: <, <=, > or >= (there is no = or !=)\n  \
             warmth =< -10%\n         ^",
        ));
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "verbosity < ten%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected a number such as `-10%` or `0.1`\n  verbosity < ten%\n              ^",
        ));
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "verbosity chnaged"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("found `chnaged`"));
    // Syntax is valid but the name is unknown: still exit 2, listing the dimensions.
    cmd(d.path())
        .args(["compare", "before", "after", "--fail-on", "sparkle < -10%"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no dimension or metric named `sparkle`; dimensions: ")
                .and(predicate::str::contains("warmth"))
                .and(predicate::str::contains("verbosity")),
        );
}

#[test]
fn config_file_gates_alpha_and_noise_apply_and_report_their_file() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), -15);
    std::fs::write(
        d.path().join("persona-drift.toml"),
        "[run]\nsamples = 3\n\n[compare]\nfail_on = [\"verbosity changed\"]\nalpha = 0.01\nnoise = { words = \"50%\" }\n",
    )
    .unwrap();
    cmd(d.path())
        .args(["compare", "before", "after", "--out", "r"])
        .assert()
        .code(1);
    let j = json(d.path(), "r/comparison.json");
    assert_eq!(j["settings"]["alpha"], 0.01);
    assert_eq!(j["gates"][0]["source"], "config");
    let words = j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "words")
        .unwrap();
    assert_eq!(words["noise"]["source"], "config");
    // 50% of ~54 words: the 27% drop is inside the band.
    assert_eq!(words["verdict"], "unchanged", "{words}");
    // A flag overrides the config's noise for the same metric.
    cmd(d.path())
        .args(["compare", "before", "after", "--out", "r2", "--noise", "words=1"])
        .assert()
        .code(1);
    let j = json(d.path(), "r2/comparison.json");
    let words = j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "words")
        .unwrap();
    assert_eq!(words["noise"]["source"], "flag");
    assert_eq!(words["verdict"], "changed");
    std::fs::write(
        d.path().join("persona-drift.toml"),
        "[compare]\nfail_on = [\"verbosity >\"]\n",
    )
    .unwrap();
    cmd(d.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid gate rule in persona-drift.toml [compare] fail_on",
        ));
    std::fs::write(d.path().join("persona-drift.toml"), "[compare]\nfail_onn = []\n").unwrap();
    cmd(d.path())
        .args(["compare", "before", "after"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("persona-drift.toml").and(predicate::str::contains("fail_onn")));
}

#[test]
fn different_batteries_are_refused_unless_common_probes() {
    let d = tempfile::tempdir().unwrap();
    let runs = d.path().join("runs");
    write_run(&runs, &RunSpec::new("a", "openai:m1", 12, 2), |p, _, _| 20 + p);
    let mut b = RunSpec::new("b", "openai:m2", 12, 2);
    b.battery = Some("b2");
    write_run(&runs, &b, |p, _, _| 30 + p);
    cmd(d.path()).args(["compare", "a", "b"]).assert().code(2).stderr(
        predicate::str::contains("a has battery b1, b has battery b2")
            .and(predicate::str::contains("--common-probes")),
    );
    cmd(d.path())
        .args(["compare", "a", "b", "--common-probes", "--out", "r"])
        .assert()
        .code(0);
    assert_eq!(
        json(d.path(), "r/comparison.json")["settings"]["common_probes"],
        true
    );
}

#[test]
fn usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), 0);
    cmd(d.path())
        .args(["compare", "before", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no run named \"nope\""));
    cmd(d.path())
        .args(["compare", "before", "after", "--noise", "words"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected METRIC=VALUE"));
    cmd(d.path())
        .args(["compare", "before", "after", "--noise", "sparkle=0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no dimension or metric named `sparkle`"));
    cmd(d.path())
        .args(["compare", "before", "after", "--format", "pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format pdf: unknown format"));
    cmd(d.path())
        .args(["compare", "before", "after", "--alpha", "1.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--alpha 1.5 is out of range"));
}

#[test]
fn exit_3_when_too_few_probes_or_replies() {
    let d = tempfile::tempdir().unwrap();
    let runs = d.path().join("runs");
    write_run(&runs, &RunSpec::new("a", "openai:m1", 2, 3), |p, _, _| 20 + p);
    write_run(&runs, &RunSpec::new("b", "openai:m2", 2, 3), |p, _, _| 30 + p);
    cmd(d.path())
        .args(["compare", "a", "b"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("too few probes to measure"));
    // A run with no finished conversation at all.
    write_run(&runs, &RunSpec::new("empty", "openai:m3", 0, 3), |_, _, _| 1);
    write_run(&runs, &RunSpec::new("c", "openai:m2", 5, 3), |p, _, _| 30 + p);
    cmd(d.path())
        .args(["compare", "c", "empty"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "run empty has no finished, scored replies",
        ));
}

#[test]
fn same_name_different_reported_model_is_flagged_and_matching_ids_are_said() {
    let d = tempfile::tempdir().unwrap();
    let runs = d.path().join("runs");
    let mut a = RunSpec::new("a", "openai:gpt-4o", 10, 2);
    a.reported = Some("gpt-4o-2024-08-06");
    a.fingerprint = Some("fp_1");
    let mut b = RunSpec::new("b", "openai:gpt-4o", 10, 2);
    b.reported = Some("gpt-4o-2024-11-20");
    b.fingerprint = Some("fp_2");
    let mut c = RunSpec::new("c", "openai:gpt-4o", 10, 2);
    c.reported = Some("gpt-4o-2024-08-06");
    c.fingerprint = Some("fp_1");
    write_run(&runs, &a, |p, _, _| 20 + p);
    write_run(&runs, &b, |p, _, _| 20 + p);
    write_run(&runs, &c, |p, _, _| 20 + p);
    cmd(d.path())
        .args(["compare", "a", "b", "--out", "r"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "!! Same name, different model: both runs asked for `gpt-4o`",
        ));
    let j = json(d.path(), "r/comparison.json");
    assert_eq!(j["identity"]["status"], "same_name_different_model");
    assert_eq!(j["identity"]["prominent"], true);
    cmd(d.path())
        .args(["compare", "a", "c"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Reported ids match: both runs asked for `gpt-4o`",
        ));
}

#[test]
fn unpaired_when_forced_or_when_probes_do_not_overlap() {
    let d = tempfile::tempdir().unwrap();
    let runs = d.path().join("runs");
    let mut a = RunSpec::new("a", "openai:m1", 10, 2);
    a.battery = None;
    let mut b = RunSpec::new("b", "openai:m2", 10, 2);
    b.battery = None;
    for p in b.probes.iter_mut() {
        p.0 = format!("other-{}", p.0);
    }
    write_run(&runs, &a, |p, s, _| 20 + p + s as usize);
    write_run(&runs, &b, |p, s, _| 60 + p + s as usize);
    cmd(d.path())
        .args(["compare", "a", "b", "--out", "r"])
        .assert()
        .code(0);
    let j = json(d.path(), "r/comparison.json");
    assert_eq!(j["pairing"], "unpaired");
    assert!(j["pairing_note"]
        .as_str()
        .unwrap()
        .contains("share only 0 probe ids"));
    let m = metric(&j, "dim.verbosity");
    assert_eq!(m["test"], "mann_whitney_normal");
    assert_eq!(m["verdict"], "changed");
    assert!(m["p_permutation"].as_f64().unwrap() < 0.01);
    two_runs(d.path(), -15);
    cmd(d.path())
        .args(["compare", "before", "after", "--unpaired", "--out", "r2"])
        .assert()
        .code(0);
    let j = json(d.path(), "r2/comparison.json");
    assert_eq!(j["pairing"], "unpaired");
    assert_eq!(j["settings"]["unpaired_forced"], true);
}

#[test]
fn same_seed_same_numbers_and_paths_work_as_well_as_labels() {
    let d = tempfile::tempdir().unwrap();
    two_runs(d.path(), -2);
    let old = d.path().join("runs/before");
    let new = d.path().join("runs/after");
    for out in ["r1", "r2"] {
        cmd(d.path())
            .args([
                "compare",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--seed",
                "7",
                "--out",
                out,
            ])
            .assert()
            .code(0);
    }
    let a = json(d.path(), "r1/comparison.json");
    let b = json(d.path(), "r2/comparison.json");
    assert_eq!(a["metrics"], b["metrics"]);
    assert_eq!(a["settings"]["seed"], 7);
    cmd(d.path())
        .args(["compare", "before", "after", "--seed", "8", "--out", "r3"])
        .assert()
        .code(0);
    let c = json(d.path(), "r3/comparison.json");
    assert_ne!(
        metric(&a, "dim.verbosity")["ci"],
        metric(&c, "dim.verbosity")["ci"]
    );
}

/// `check` against real collection is tested with mock servers in `tests/check_mock.rs`; here the
/// checks that come before any collection.
#[test]
fn check_validates_gates_and_keys_before_collecting() {
    let d = tempfile::tempdir().unwrap();
    // Gate syntax is checked before anything runs.
    cmd(d.path())
        .args([
            "check",
            "--old",
            "openai:gpt-4o",
            "--new",
            "openai:gpt-5",
            "--fail-on",
            "any",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected `dimension` or `metric` after `any`",
        ));
    // No key for the provider: a clear exit 2 naming the variable; nothing is written.
    cmd(d.path())
        .env_remove("OPENAI_API_KEY")
        .args(["check", "--old", "openai:gpt-4o", "--new", "openai:gpt-5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("OPENAI_API_KEY"));
    assert!(!d.path().join("reports").exists());
}
