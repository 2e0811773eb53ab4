//! The OpenAI-compatible `/v1/embeddings` client against an in-process mock server on 127.0.0.1.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use persona_drift::embed::{Embedder, RemoteEmbedder};
use persona_drift::error::{exit_code, Exit};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Seen {
    bodies: Vec<Value>,
    auth: Vec<Option<String>>,
    calls: usize,
}

type Shared = Arc<Mutex<Seen>>;

/// Answers with 2-d vectors (len, vowels) in REVERSED order with explicit indices; the first call
/// gets a 429 with Retry-After: 0. Inputs containing "FAIL" get a 401.
async fn embeddings(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut s = seen.lock().unwrap();
    s.calls += 1;
    s.auth.push(
        headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string()),
    );
    s.bodies.push(body.clone());
    if s.calls == 1 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": {"message": "slow down"}})),
        );
    }
    let inputs: Vec<String> = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    if inputs.iter().any(|t| t.contains("FAIL")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "bad key"}})),
        );
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, t)| {
            let vowels = t.chars().filter(|c| "aeiou".contains(*c)).count() as f32;
            json!({"object": "embedding", "index": i, "embedding": [t.len() as f32, vowels]})
        })
        .collect();
    (
        StatusCode::OK,
        Json(json!({"object": "list", "data": data, "model": body["model"]})),
    )
}

fn start_mock() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(seen.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}/v1"), seen)
}

#[test]
fn remote_embeddings_batch_reorder_normalise_retry_and_keep_the_key_secret() {
    let (base, seen) = start_mock();
    std::env::set_var("PERSONA_DRIFT_EMBED_API_KEY", "sk-test-SECRET-123");
    let e = RemoteEmbedder::from_spec(&format!("openai-compatible:mini@{base}")).unwrap();
    assert!(!format!("{e:?}").contains("SECRET"));
    assert_eq!(e.model_id(), format!("openai-compatible:mini@{base}"));
    let texts: Vec<String> = (0..70)
        .map(|i| format!("text number {i} {}", "a".repeat(i)))
        .collect();
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let vecs = e.embed(&refs).unwrap();
    assert_eq!(vecs.len(), 70);
    for (t, v) in texts.iter().zip(&vecs) {
        let vowels = t.chars().filter(|c| "aeiou".contains(*c)).count() as f32;
        let n = ((t.len() as f32).powi(2) + vowels.powi(2)).sqrt();
        assert!(
            (v[0] - t.len() as f32 / n).abs() < 1e-6,
            "order or normalisation wrong for {t}"
        );
        assert!((v[1] - vowels / n).abs() < 1e-6);
    }
    let s = seen.lock().unwrap();
    // 1 rejected (429) + 2 batches (64 + 6)
    assert_eq!(s.calls, 3);
    assert_eq!(s.bodies[1]["model"], "mini");
    assert_eq!(s.bodies[1]["input"].as_array().unwrap().len(), 64);
    assert_eq!(s.bodies[2]["input"].as_array().unwrap().len(), 6);
    assert!(s
        .auth
        .iter()
        .all(|a| a.as_deref() == Some("Bearer sk-test-SECRET-123")));
    drop(s);

    let err = e.embed(&["please FAIL"]).unwrap_err();
    let msg = format!("{err:#}");
    assert_eq!(exit_code(&err), Exit::Unmeasurable, "{msg}");
    assert!(
        msg.contains("401") && msg.contains(&format!("{base}/embeddings")),
        "{msg}"
    );
    assert!(
        !msg.contains("SECRET"),
        "the key must never appear in errors: {msg}"
    );
}

#[test]
fn unreachable_endpoint_is_unmeasurable_with_url() {
    // port 9 (discard) on 127.0.0.1: nothing listens
    let e = RemoteEmbedder::from_spec("openai-compatible:x@http://127.0.0.1:9/v1").unwrap();
    let err = e.embed(&["hi"]).unwrap_err();
    assert_eq!(exit_code(&err), Exit::Unmeasurable);
    assert!(format!("{err:#}").contains("http://127.0.0.1:9/v1/embeddings"));
}

#[test]
fn openai_spec_needs_a_key() {
    if std::env::var("OPENAI_API_KEY").is_ok() {
        return;
    }
    let err = RemoteEmbedder::from_spec("openai:text-embedding-3-small").unwrap_err();
    assert_eq!(exit_code(&err), Exit::Usage);
    assert!(format!("{err}").contains("OPENAI_API_KEY"));
}
