//! Property tests: the JSON importers never panic, whatever a corrupted file holds at any place.
//! Each case takes a fixture, replaces one value somewhere inside it with an arbitrary value,
//! and imports it: the result must be an import or a usage error (exit 2), never a panic.

use persona_drift::error::{exit_code, Exit};
use persona_drift::import::{run, Format, ImportOptions};
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("a3".into())),
        Just(Value::String("root".into())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every value's location in a document, as a list of keys/indices.
fn paths(v: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(k.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(i.to_string());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn replace(v: &mut Value, path: &[String], with: Value) {
    let mut cur = v;
    for p in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(p).unwrap(),
            Value::Array(a) => &mut a[p.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    *cur = with;
}

fn import_mutated(doc: &Value, pick: usize, with: Value, format: Format) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let path = &all[pick % all.len()];
    let mut doc = doc.clone();
    replace(&mut doc, path, with);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut opts = ImportOptions::new(&file);
    opts.format = Some(format);
    opts.out = dir.path().join("runs");
    if let Err(e) = run(&opts) {
        assert_eq!(exit_code(&e), Exit::Usage, "{e:#}");
        let msg = format!("{e:#}");
        assert!(msg.contains("in.json"), "errors name the file: {msg}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn chatgpt_never_panics_on_a_corrupted_export(pick in any::<usize>(), with in arb_value()) {
        import_mutated(&fixture("conversations.json"), pick, with, Format::Chatgpt);
    }

    #[test]
    fn promptfoo_never_panics_on_a_corrupted_results_file(pick in any::<usize>(), with in arb_value()) {
        import_mutated(&fixture("promptfoo-results.json"), pick, with, Format::Promptfoo);
    }

    #[test]
    fn chatgpt_never_panics_on_truncated_bytes(cut in 0usize..12000) {
        let text = serde_json::to_string(&fixture("conversations.json")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.json");
        std::fs::write(&file, &text.as_bytes()[..cut.min(text.len())]).unwrap();
        let mut opts = ImportOptions::new(&file);
        opts.format = Some(Format::Chatgpt);
        opts.out = dir.path().join("runs");
        if let Err(e) = run(&opts) {
            prop_assert_eq!(exit_code(&e), Exit::Usage);
        }
    }
}
