//! `persona-drift import` end to end on small fixture files written for the purpose
//! (tests/fixtures/import/).

use assert_cmd::Command;
use persona_drift::import::{read_import_info, ImportInfo};
use persona_drift::store::{Manifest, Record, RunDir, Status};
use predicates::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn pd() -> Command {
    Command::cargo_bin("persona-drift").unwrap()
}

fn import(args: &[&str], out: &Path) -> assert_cmd::assert::Assert {
    pd().arg("import").args(args).arg("--out").arg(out).assert()
}

struct Run {
    manifest: Manifest,
    records: Vec<Record>,
    info: ImportInfo,
}

fn run(out: &Path, label: &str) -> Run {
    let dir = RunDir::resolve(label, out).unwrap_or_else(|e| panic!("{label}: {e}"));
    let t = dir.read_transcripts().unwrap();
    assert!(!t.torn_tail);
    Run {
        manifest: dir.read_manifest().unwrap(),
        records: t.records,
        info: read_import_info(&dir).unwrap().expect("import.json"),
    }
}

fn labels(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn check_chatgpt_by_model(out: &Path, source: &str) {
    assert_eq!(labels(out), vec!["gpt-4o", "gpt-5"], "no temp dirs left behind");
    let old = run(out, "gpt-4o");
    let new = run(out, "gpt-5");
    for r in [&old, &new] {
        assert_eq!(r.manifest.origin, "import:chatgpt");
        assert_eq!(r.manifest.battery_hash, None);
        assert_eq!(r.manifest.provider, "chatgpt");
        assert_eq!(r.info.pairing, "conversation");
        assert_eq!(r.info.source, source);
    }
    assert_eq!(old.manifest.model_requested, "gpt-4o");
    assert_eq!(new.manifest.model_requested, "gpt-5");
    // gpt-4o: c-1 (two exchanges) and c-3; gpt-5: c-1 (the last exchange) and c-2.
    let ids = |r: &Run| r.records.iter().map(|r| r.probe_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&old), vec!["c-1", "c-3"]);
    assert_eq!(ids(&new), vec!["c-1", "c-2"]);
    let c1 = &old.records[0];
    assert_eq!(c1.replies.len(), 2);
    assert_eq!(c1.replies[0].turn, 0);
    assert_eq!(
        c1.replies[0].prompt,
        "I feel so lonely since I moved to a new city. Is that normal?"
    );
    // The followed branch: a1 (not the regenerated a1b).
    assert!(c1.replies[0].content.starts_with("That sounds really hard"));
    // The image part is dropped, its text kept; the tool call and its output are skipped.
    assert_eq!(
        c1.replies[1].prompt,
        "Here is a photo of my new flat. How can I make it feel like home?"
    );
    assert!(c1.replies[1].content.starts_with("What a lovely space!"));
    assert_eq!(c1.replies[1].model.as_deref(), Some("gpt-4o"));
    assert_eq!(c1.replies[1].timestamp.as_deref(), Some("2025-07-01T12:01:10Z"));
    assert_eq!(c1.category, "emotional_support");
    assert_eq!(c1.language, "en");
    assert_eq!(c1.status, Status::Finished);
    // gpt-5's part of c-1 follows the edited prompt u3, not u3old.
    let c1new = &new.records[0];
    assert_eq!(c1new.replies.len(), 1);
    assert_eq!(
        c1new.replies[0].prompt,
        "Thanks, that helps. I still miss my friends though."
    );
    for r in old.records.iter().chain(&new.records) {
        for reply in &r.replies {
            assert!(!reply.content.contains("REGENERATED") && !reply.content.contains("OLD"));
            assert!(!reply.prompt.contains("OLD"));
        }
    }
    // c-2's second exchange answers an image-only message: skipped.
    assert_eq!(new.records[1].replies.len(), 1);
    let sk = &old.info.skipped;
    assert_eq!(sk["regenerated replies (branches not followed)"], 1);
    assert_eq!(sk["edited prompts (branches not followed)"], 1);
    assert_eq!(sk["messages on branches not followed"], 3);
    assert_eq!(sk["system messages"], 1);
    assert_eq!(sk["tool messages"], 1);
    assert_eq!(sk["assistant tool calls"], 1);
    assert_eq!(sk["image parts"], 2);
    assert_eq!(
        sk["replies to user messages without text (e.g. an image only)"],
        1
    );
    assert_eq!(old.info.topics.total, 2);
    assert_eq!(old.info.topics.counts["creative"], 1);
    assert_eq!(new.info.topics.counts["work_code"], 1);
    assert_eq!(old.info.first_reply_at.as_deref(), Some("2025-06-01T12:00:03Z"));
    assert_eq!(old.manifest.counts.finished, 2);
    assert_eq!(old.manifest.models_reported["gpt-4o"], 3);
    assert!(persona_drift::import::is_personal_history(&RunDir::new(
        out.join("gpt-5")
    )));
}

#[test]
fn chatgpt_json_splits_by_model_and_follows_the_active_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    import(&[fixture("conversations.json").to_str().unwrap()], &out)
        .success()
        .stdout(predicate::str::contains("format inferred from its content"))
        .stdout(predicate::str::contains("nothing was sent anywhere"))
        .stdout(predicate::str::contains(
            "1 regenerated replies (branches not followed)",
        ))
        .stdout(predicate::str::contains(
            "Next: persona-drift compare gpt-4o gpt-5",
        ));
    check_chatgpt_by_model(&out, "conversations.json");
}

fn build_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        z.start_file(*name, o).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn chatgpt_zip_is_read_from_inside_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("chatgpt-export.zip");
    let json = std::fs::read(fixture("conversations.json")).unwrap();
    build_zip(
        &zip_path,
        &[
            ("chat.html", b"<html></html>".as_slice()),
            ("user.json", b"{}".as_slice()),
            ("conversations.json", json.as_slice()),
        ],
    );
    let out = tmp.path().join("runs");
    import(&[zip_path.to_str().unwrap()], &out)
        .success()
        .stdout(predicate::str::contains("the .zip extension"));
    check_chatgpt_by_model(&out, "chatgpt-export.zip");
    // Nothing was extracted next to the zip.
    assert!(!tmp.path().join("conversations.json").exists());

    let bad = tmp.path().join("other.zip");
    build_zip(&bad, &[("notes.txt", b"hi".as_slice())]);
    import(&[bad.to_str().unwrap()], &tmp.path().join("r2"))
        .code(2)
        .stderr(predicate::str::contains(
            "no conversations.json inside this zip (it has: notes.txt)",
        ));
}

#[test]
fn chatgpt_split_by_date_and_by_model_and_date() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    let f = fixture("conversations.json");
    import(
        &[
            f.to_str().unwrap(),
            "--split-by",
            "date",
            "--before",
            "2025-08-07",
        ],
        &out,
    )
    .success()
    .stdout(predicate::str::contains("compare before after"));
    assert_eq!(labels(&out), vec!["after", "before"]);
    let before = run(&out, "before");
    let after = run(&out, "after");
    assert_eq!(before.records.iter().map(|r| r.replies.len()).sum::<usize>(), 3);
    assert_eq!(after.records.iter().map(|r| r.replies.len()).sum::<usize>(), 2);
    assert_eq!(before.info.split.as_deref(), Some("before"));
    assert_eq!(before.manifest.model_requested, "gpt-4o");
    assert_eq!(after.manifest.model_requested, "gpt-5");

    // A gap: replies between --before and --after are left out and counted.
    let out2 = tmp.path().join("gap");
    import(
        &[
            f.to_str().unwrap(),
            "--split-by",
            "model,date",
            "--before",
            "2025-07-01",
            "--after",
            "2025-08-11",
            "--label",
            "me",
        ],
        &out2,
    )
    .success();
    assert_eq!(labels(&out2), vec!["me-gpt-4o-before", "me-gpt-5-after"]);
    let b = run(&out2, "me-gpt-4o-before");
    assert_eq!(b.records.len(), 1);
    assert_eq!(b.records[0].probe_id, "c-3");
    assert_eq!(b.info.skipped["replies between --before and --after"], 3);

    // A filter alone keeps one side.
    let out3 = tmp.path().join("after-only");
    import(
        &[
            f.to_str().unwrap(),
            "--after",
            "2025-08-07",
            "--split-by",
            "none",
            "--label",
            "recent",
        ],
        &out3,
    )
    .success();
    assert_eq!(labels(&out3), vec!["recent"]);
    assert_eq!(run(&out3, "recent").manifest.model_requested, "gpt-5");

    import(
        &[f.to_str().unwrap(), "--split-by", "date"],
        &tmp.path().join("x"),
    )
    .code(2)
    .stderr(predicate::str::contains("--split-by date needs the date"));
    import(
        &[f.to_str().unwrap(), "--before", "2025-13-40"],
        &tmp.path().join("x"),
    )
    .code(2)
    .stderr(predicate::str::contains(
        "--before \"2025-13-40\": expected a date",
    ));
}

#[test]
fn chatgpt_errors_name_the_json_path() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("conversations.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[2]["mapping"]["p1"]["message"]["content"]["parts"][0] = serde_json::json!(42);
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&v).unwrap()).unwrap();
    let out = tmp.path().join("runs");
    import(&[bad.to_str().unwrap(), "--format", "chatgpt"], &out)
        .code(2)
        .stderr(predicate::str::contains(
            "bad.json: $.[2].mapping.p1.message.content.parts[0]: expected a text string in a text message, found a number",
        ));
    // A failed import leaves nothing behind (not even the runs of earlier conversations).
    assert!(!out.exists() || labels(&out).is_empty(), "{:?}", labels(&out));

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v[1]["current_node"] = serde_json::json!("nope");
    std::fs::write(&bad, serde_json::to_string(&v).unwrap()).unwrap();
    import(&[bad.to_str().unwrap(), "--format", "chatgpt"], &out)
        .code(2)
        .stderr(predicate::str::contains(
            "$.[1].current_node: node \"nope\" is not in this conversation's mapping",
        ));

    // Truncated file: a line and column, and which conversation.
    let cut = text.find("Python bug").unwrap() + 40;
    std::fs::write(&bad, &text[..cut]).unwrap();
    import(&[bad.to_str().unwrap(), "--format", "chatgpt"], &out)
        .code(2)
        .stderr(predicate::str::contains("the file ends too early"))
        .stderr(predicate::str::contains("(in conversation $.[1])"));

    // The same conversation twice: kept as samples 0 and 1, and said so.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let twice = serde_json::Value::Array(vec![v[2].clone(), v[2].clone()]);
    std::fs::write(&bad, serde_json::to_string(&twice).unwrap()).unwrap();
    let dup_out = tmp.path().join("dup");
    import(&[bad.to_str().unwrap()], &dup_out).success();
    let d = run(&dup_out, "gpt-4o");
    assert_eq!(
        d.records
            .iter()
            .map(|r| (r.probe_id.as_str(), r.sample))
            .collect::<Vec<_>>(),
        vec![("c-3", 0), ("c-3", 1)]
    );
    assert_eq!(
        d.info.skipped["repeated ids kept as further samples (not skipped)"],
        1
    );

    // Not an array at all.
    std::fs::write(&bad, "{\"a\": 1}").unwrap();
    import(&[bad.to_str().unwrap(), "--format", "chatgpt"], &out)
        .code(2)
        .stderr(predicate::str::contains("bad.json:1:1: not a ChatGPT export"))
        .stderr(predicate::str::contains(
            "expected a JSON array of ChatGPT conversations",
        ));
}

#[test]
fn promptfoo_one_run_per_provider_paired_by_test() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    import(&[fixture("promptfoo-results.json").to_str().unwrap()], &out)
        .success()
        .stdout(predicate::str::contains("(1 failed)"));
    assert_eq!(labels(&out), vec!["gpt-5", "openai-gpt-4o-mini"]);
    let a = run(&out, "openai-gpt-4o-mini");
    let b = run(&out, "gpt-5");
    let ids = |r: &Run| r.records.iter().map(|r| r.probe_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), vec!["test-0", "test-1", "test-2"]);
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.manifest.origin, "import:promptfoo");
    assert_eq!(a.manifest.provider, "openai");
    assert_eq!(a.manifest.model_requested, "gpt-4o-mini");
    assert_eq!(b.manifest.model_requested, "gpt-5");
    assert_eq!(b.manifest.counts.failed, 1);
    assert_eq!(b.records[1].status, Status::Failed);
    assert!(b.records[1].error.as_deref().unwrap().contains("500"));
    assert!(b.records[1].replies.is_empty());
    let r0 = &a.records[0].replies[0];
    assert_eq!(r0.prompt, "I feel anxious about my exam tomorrow. Any advice?");
    assert_eq!(r0.latency_ms, Some(420));
    assert_eq!(r0.usage.as_ref().unwrap().completion_tokens, Some(20));
    // Same prompts -> same topic and language on both sides.
    for (x, y) in a.records.iter().zip(&b.records) {
        assert_eq!(x.category, y.category);
        assert_eq!(x.language, y.language);
        assert_eq!(x.language, "en");
    }
    assert_eq!(a.info.pairing, "prompt_id");
    assert!(!persona_drift::import::is_personal_history(&RunDir::new(
        out.join("gpt-5")
    )));

    // A promptfoo file with the wrong shape names the JSON path.
    let bad = tmp.path().join("pf.json");
    std::fs::write(
        &bad,
        r#"{"evalId":"x","results":{"version":3,"results":[{"prompt":{"raw":"hi"}}]}}"#,
    )
    .unwrap();
    import(&[bad.to_str().unwrap()], &tmp.path().join("r2"))
        .code(2)
        .stderr(predicate::str::contains(
            "pf.json: $.results.results[0].provider: missing",
        ));
    import(
        &[
            fixture("promptfoo-results.json").to_str().unwrap(),
            "--split-by",
            "date",
            "--before",
            "2025-01-01",
        ],
        &tmp.path().join("r3"),
    )
    .code(2)
    .stderr(predicate::str::contains(
        "promptfoo results carry no per-result dates",
    ));
}

#[test]
fn promptfoo_2023_shape_without_test_index_pairs_by_vars() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("old.json");
    let result = |prov: &str, q: &str, out: &str| {
        serde_json::json!({
            "provider": {"id": prov},
            "prompt": {"raw": format!("Answer kindly: {q}"), "display": "Answer kindly: {{q}}"},
            "vars": {"q": q},
            "response": {"output": out, "tokenUsage": {"total": 3, "prompt": 1, "completion": 2}},
            "success": true, "score": 1, "latencyMs": 10
        })
    };
    let doc = serde_json::json!({
        "results": {"version": 1, "results": [
            result("openai:gpt-3.5-turbo", "How are you?", "Fine, thanks!"),
            result("openai:gpt-4", "How are you?", "I'm doing well, thank you for asking."),
            result("openai:gpt-3.5-turbo", "Tell me a joke", "Why did the chicken..."),
            result("openai:gpt-4", "Tell me a joke", "Here's one..."),
        ], "table": {"head": {"prompts": [], "vars": ["q"]}, "body": []},
        "stats": {"successes": 4, "failures": 0}},
        "config": {}, "shareableUrl": null
    });
    std::fs::write(&f, serde_json::to_string(&doc).unwrap()).unwrap();
    let out = tmp.path().join("runs");
    import(&[f.to_str().unwrap()], &out).success();
    assert_eq!(labels(&out), vec!["openai-gpt-3.5-turbo", "openai-gpt-4"]);
    let a = run(&out, "openai-gpt-3.5-turbo");
    let b = run(&out, "openai-gpt-4");
    let ids = |r: &Run| r.records.iter().map(|r| r.probe_id.clone()).collect::<Vec<_>>();
    assert!(ids(&a)[0].starts_with("vars-"));
    assert_ne!(ids(&a)[0], ids(&a)[1]);
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.records[0].replies[0].prompt, "Answer kindly: How are you?");
}

#[test]
fn csv_with_model_column_and_multiline_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    import(&[fixture("models.csv").to_str().unwrap()], &out)
        .success()
        .stdout(predicate::str::contains("prompt <- \"query\""))
        .stdout(predicate::str::contains(
            "Next: persona-drift compare gpt-4o gpt-5",
        ));
    assert_eq!(labels(&out), vec!["gpt-4o", "gpt-5"]);
    let a = run(&out, "gpt-4o");
    let b = run(&out, "gpt-5");
    let ids = |r: &Run| r.records.iter().map(|r| r.probe_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), vec!["q1", "q2", "q3"]);
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.manifest.origin, "import:csv");
    assert_eq!(a.info.fields["response"], "answer");
    assert_eq!(
        a.records[1].replies[0].content,
        "Soft rain on the roof,\na lullaby of grey skies,\nthe garden says \"thanks\"."
    );
    assert_eq!(
        a.records[0].replies[0].prompt,
        "I feel lonely tonight, can we talk?"
    );
    assert_eq!(a.records[0].category, "emotional_support");
    assert_eq!(a.records[2].category, "work_code");

    // Without the id column: probe ids are prompt hashes, still equal across the two runs.
    let out2 = tmp.path().join("noid");
    import(
        &[
            fixture("models.csv").to_str().unwrap(),
            "--prompt-field",
            "query",
            "--response-field",
            "answer",
            "--conversation-field",
            "model",
            "--model-field",
            "model",
            "--split-by",
            "none",
            "--label",
            "all",
        ],
        &out2,
    )
    .success();
    // Grouping by the model column as conversation id: two 3-turn conversations.
    let all = run(&out2, "all");
    assert_eq!(all.records.len(), 2);
    assert_eq!(all.records[0].replies.len(), 3);
    assert_eq!(all.records[0].replies[2].turn, 2);

    let csv = tmp.path().join("noid.csv");
    std::fs::write(
        &csv,
        "model,prompt,response\nA,Hello  there,hi\nB,hello there,yo\nA,hello there,again\n",
    )
    .unwrap();
    let out3 = tmp.path().join("hash");
    import(&[csv.to_str().unwrap()], &out3).success();
    let ra = run(&out3, "a");
    let rb = run(&out3, "b");
    assert!(ra.records[0].probe_id.starts_with("p-"));
    assert_eq!(ra.records[0].probe_id, rb.records[0].probe_id);
    // The same prompt twice for one model: samples 0 and 1.
    assert_eq!(
        ra.records.iter().map(|r| r.sample).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn csv_errors_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("bad.csv");
    std::fs::write(&csv, "prompt,response\n\"multi\nline\",ok\nthree,fields,here\n").unwrap();
    import(&[csv.to_str().unwrap()], &tmp.path().join("runs"))
        .code(2)
        .stderr(predicate::str::contains(
            "bad.csv:4: this row has 3 field(s) but the header has 2",
        ));
    std::fs::write(&csv, "question,answer,turn\nhi,there,first\n").unwrap();
    import(&[csv.to_str().unwrap()], &tmp.path().join("runs"))
        .code(2)
        .stderr(predicate::str::contains(
            "bad.csv:2: turn \"first\" is not a number",
        ));
    import(
        &[csv.to_str().unwrap(), "--response-field", "reply"],
        &tmp.path().join("runs"),
    )
    .code(2)
    .stderr(predicate::str::contains(
        "no column named \"reply\" (from --response-field); the columns are: question, answer, turn",
    ));
}

#[test]
fn jsonl_orders_turns_and_reads_messages_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    import(&[fixture("chats.jsonl").to_str().unwrap()], &out).success();
    assert_eq!(labels(&out), vec!["llama3.2"]);
    let r = run(&out, "llama3.2");
    assert_eq!(r.manifest.origin, "import:jsonl");
    let ids: Vec<&str> = r.records.iter().map(|r| r.probe_id.as_str()).collect();
    assert_eq!(ids, vec!["trip", "sad", "ft-1"]);
    let trip = &r.records[0];
    // Lines were out of order; the turn field orders them.
    assert_eq!(trip.replies[0].prompt, "Help me plan a weekend trip to Lisbon.");
    assert_eq!(trip.replies[1].prompt, "And what should I pack?");
    assert_eq!(trip.replies[1].turn, 1);
    assert_eq!(trip.category, "planning");
    assert_eq!(trip.replies[0].timestamp.as_deref(), Some("2025-05-02T10:00:00Z"));
    let ft = &r.records[2];
    assert_eq!(ft.messages[0].content, "You are a friendly companion.");
    assert_eq!(ft.replies.len(), 2);
    assert_eq!(ft.replies[1].prompt, "Badly, I had a headache.");

    // Two messages-lines with the same id: both kept, the second as sample 1.
    let dup = tmp.path().join("dup.jsonl");
    let line =
        r#"{"id":"x","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    std::fs::write(&dup, format!("{line}\n{line}\n")).unwrap();
    import(&[dup.to_str().unwrap()], &tmp.path().join("dup")).success();
    let d = run(&tmp.path().join("dup"), "dup");
    assert_eq!(
        d.records
            .iter()
            .map(|r| (r.probe_id.as_str(), r.sample))
            .collect::<Vec<_>>(),
        vec![("x", 0), ("x", 1)]
    );

    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"prompt\":\"a\",\"response\":\"b\"}\n\n{\"prompt\": \"a\", \"response\": \n",
    )
    .unwrap();
    import(&[bad.to_str().unwrap()], &tmp.path().join("r2"))
        .code(2)
        .stderr(predicate::str::contains("bad.jsonl:3: not valid JSON"));
}

#[test]
fn existing_runs_are_not_clobbered_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    let f = fixture("models.csv");
    import(&[f.to_str().unwrap()], &out).success();
    import(&[f.to_str().unwrap()], &out)
        .code(2)
        .stderr(predicate::str::contains("gpt-4o: already exists"))
        .stderr(predicate::str::contains("--force"));
    import(&[f.to_str().unwrap(), "--force"], &out).success();
    assert_eq!(labels(&out), vec!["gpt-4o", "gpt-5"]);
}

#[test]
fn explicit_format_wins_and_unknown_content_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    // A CSV named .txt: inferred from content; --format jsonl makes it fail as JSONL.
    let txt = tmp.path().join("data.txt");
    std::fs::copy(fixture("models.csv"), &txt).unwrap();
    import(&[txt.to_str().unwrap()], &tmp.path().join("a"))
        .success()
        .stdout(predicate::str::contains(
            "(csv), format inferred from its content",
        ));
    import(
        &[txt.to_str().unwrap(), "--format", "jsonl"],
        &tmp.path().join("b"),
    )
    .code(2)
    .stderr(predicate::str::contains("data.txt:1: not valid JSON"));
    let junk = tmp.path().join("junk.bin");
    std::fs::write(&junk, "hello").unwrap();
    import(&[junk.to_str().unwrap()], &tmp.path().join("c"))
        .code(2)
        .stderr(predicate::str::contains("cannot tell the format"));
    import(&["/nonexistent/file.csv"], &tmp.path().join("c"))
        .code(2)
        .stderr(predicate::str::contains("no such file"));
    import(
        &[
            fixture("conversations.json").to_str().unwrap(),
            "--prompt-field",
            "x",
        ],
        &tmp.path().join("d"),
    )
    .code(2)
    .stderr(predicate::str::contains("apply to csv and jsonl, not to chatgpt"));
}

#[test]
fn help_states_privacy() {
    pd().args(["import", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing from it is ever sent anywhere"));
}
