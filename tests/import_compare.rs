//! End to end: `import` -> `compare` -> reports, for prompts shared by id (paired) and for a
//! personal ChatGPT history (unpaired, with each side's topic mix).

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::Path;

fn cmd(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("persona-drift").unwrap();
    c.current_dir(cwd).env_remove("GITHUB_STEP_SUMMARY");
    c
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn csv_of_several_models_compares_paired_by_question_id() {
    let d = tempfile::tempdir().unwrap();
    cmd(d.path())
        .arg("import")
        .arg(fixture("models.csv"))
        .assert()
        .code(0);
    let a = cmd(d.path())
        .args(["compare", "gpt-4o", "gpt-5", "--out", "r"])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(!stdout.contains("unpaired comparison"), "{stdout}");
    for f in [
        "index.html",
        "card.png",
        "summary.md",
        "comparison.json",
        "replies.csv",
        "junit.xml",
    ] {
        assert!(d.path().join("r").join(f).is_file(), "{f} missing");
    }
    let j = read_json(&d.path().join("r/comparison.json"));
    assert_eq!(j["pairing"], "paired", "{}", j["pairing_note"]);
    assert_eq!(j["coverage"]["common_probes"], 3);
    assert!(j.get("topics").is_none());
    // One CSV row per reply: 3 questions x 2 models.
    let csv = std::fs::read_to_string(d.path().join("r/replies.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(r.records().count(), 6);
    assert!(csv.contains("Sure. What's going on?"), "{csv}");
    let md = std::fs::read_to_string(d.path().join("r/summary.md")).unwrap();
    assert!(!md.contains("Unpaired comparison"), "{md}");
}

/// One single-exchange conversation in the ChatGPT export format.
fn conversation(id: &str, t: f64, model: &str, prompt: &str, reply: &str) -> Value {
    let msg = |nid: &str, role: &str, text: &str, slug: Option<&str>| {
        json!({
            "id": nid, "author": {"role": role, "name": null, "metadata": {}}, "create_time": t,
            "content": {"content_type": "text", "parts": [text]}, "status": "finished_successfully",
            "metadata": slug.map(|s| json!({"model_slug": s})).unwrap_or(json!({})), "recipient": "all"
        })
    };
    json!({
        "title": id, "create_time": t, "update_time": t, "conversation_id": id, "id": id,
        "current_node": format!("{id}-a"),
        "mapping": {
            format!("{id}-root"): {"id": format!("{id}-root"), "message": null, "parent": null, "children": [format!("{id}-u")]},
            format!("{id}-u"): {"id": format!("{id}-u"), "message": msg(&format!("{id}-u"), "user", prompt, None),
                "parent": format!("{id}-root"), "children": [format!("{id}-a")]},
            format!("{id}-a"): {"id": format!("{id}-a"), "message": msg(&format!("{id}-a"), "assistant", reply, Some(model)),
                "parent": format!("{id}-u"), "children": []}
        }
    })
}

#[test]
fn chatgpt_history_compares_unpaired_and_shows_each_sides_topic_mix() {
    let d = tempfile::tempdir().unwrap();
    // The fixture (branches, regenerations, tool messages, images) plus more conversations, so
    // each side has enough to measure. Before the update: warm chats about feelings; after:
    // curt answers, mostly about code.
    let mut export = read_json(&fixture("conversations.json"));
    let list = export.as_array_mut().unwrap();
    let feelings = [
        "I feel so lonely tonight, my friend moved away",
        "I'm anxious about my exam tomorrow and can't sleep",
        "My cat died last week and I keep crying",
        "I feel sad and stressed about everything lately",
        "Can we talk? I had a really hard day and feel down",
    ];
    for (i, p) in feelings.iter().enumerate() {
        list.push(conversation(
            &format!("old-{i}"),
            1_748_000_000.0 + i as f64 * 3600.0,
            "gpt-4o",
            p,
            "Oh, I'm so sorry you're going through this, and I'm really glad you told me. You matter, \
             and your feelings are completely valid. I'm here for you. What would help most right now?",
        ));
    }
    let code = [
        "My Python function throws a KeyError when I call the API",
        "How do I fix this Rust borrow checker error in my code?",
        "Write a SQL query to count users per day",
        "Why does my JavaScript fetch return undefined?",
        "I feel tired today",
    ];
    for (i, p) in code.iter().enumerate() {
        list.push(conversation(
            &format!("new-{i}"),
            1_755_000_000.0 + i as f64 * 3600.0,
            "gpt-5",
            p,
            "Check the key. Done.",
        ));
    }
    std::fs::write(
        d.path().join("conversations.json"),
        serde_json::to_vec(&export).unwrap(),
    )
    .unwrap();
    cmd(d.path())
        .args(["import", "conversations.json"])
        .assert()
        .code(0);
    let a = cmd(d.path())
        .args(["compare", "gpt-4o", "gpt-5", "--out", "r"])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(
        stdout.contains("pairing: unpaired: `gpt-4o` and `gpt-5` are an imported personal history"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unpaired comparison: topics may differ"),
        "{stdout}"
    );
    let j = read_json(&d.path().join("r/comparison.json"));
    assert_eq!(j["pairing"], "unpaired");
    let topics = &j["topics"];
    assert_eq!(topics["old"]["total"], 7, "{topics}");
    assert_eq!(topics["new"]["total"], 7, "{topics}");
    assert!(
        topics["old"]["counts"]["emotional_support"].as_u64().unwrap() >= 5,
        "{topics}"
    );
    assert!(
        topics["new"]["counts"]["work_code"].as_u64().unwrap() >= 4,
        "{topics}"
    );
    let md = std::fs::read_to_string(d.path().join("r/summary.md")).unwrap();
    assert!(md.contains("Unpaired comparison: topics may differ"), "{md}");
    assert!(md.contains("| Emotional support |"), "{md}");
    let html = std::fs::read_to_string(d.path().join("r/index.html")).unwrap();
    assert!(html.contains("Unpaired comparison: topics may differ"));
    assert!(
        html.contains("<th scope=\"row\">Work and code</th>"),
        "no topic rows in index.html"
    );
    assert!(d.path().join("r/card.png").is_file());
}
