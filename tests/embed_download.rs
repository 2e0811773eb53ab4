//! The Hugging Face hub download path, exercised offline: a tiny file server on 127.0.0.1 serves the
//! model files of the local install under `/sentence-transformers/all-MiniLM-L6-v2/resolve/main/`,
//! and resolution downloads them into an empty cache dir (as HF_ENDPOINT would point it there).

use axum::extract::{Path as AxPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use persona_drift::embed::resolve::{resolve_model_dir, ResolveOptions, REQUIRED_FILES};
use persona_drift::embed::{Embedder, LocalEmbedder, LocalOptions};
use persona_drift::error::{exit_code, Exit};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Files {
    root: PathBuf,
    hits: AtomicUsize,
}

async fn serve(State(f): State<Arc<Files>>, AxPath(file): AxPath<String>) -> Result<Vec<u8>, StatusCode> {
    f.hits.fetch_add(1, Ordering::SeqCst);
    if file.contains("..") {
        return Err(StatusCode::BAD_REQUEST);
    }
    std::fs::read(f.root.join(&file)).map_err(|_| StatusCode::NOT_FOUND)
}

fn start(root: PathBuf) -> (String, Arc<Files>) {
    let files = Arc::new(Files {
        root,
        hits: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route(
            "/sentence-transformers/all-MiniLM-L6-v2/resolve/main/{*file}",
            get(serve),
        )
        .with_state(files.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        })
    });
    (format!("http://{}", rx.recv().unwrap()), files)
}

fn installed_model() -> Option<PathBuf> {
    let mut ro = ResolveOptions::from_env();
    ro.offline = true;
    match resolve_model_dir(&ro) {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but the embedding model is not installed: {e:#}");
            }
            eprintln!("SKIP: embedding model not installed (run scripts/install-embed-model.sh)");
            None
        }
    }
}

#[test]
fn downloads_the_model_from_the_hub_endpoint_into_the_cache_once() {
    let Some(src) = installed_model() else { return };
    let (endpoint, files) = start(src.clone());
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("persona-drift/models/all-MiniLM-L6-v2");
    let ro = ResolveOptions {
        explicit: None,
        cache_dir: Some(cache.clone()),
        endpoint: format!("{endpoint}/"),
        offline: false,
        timeout: Duration::from_secs(120),
    };
    let dir = resolve_model_dir(&ro).unwrap();
    assert_eq!(dir, cache);
    for f in REQUIRED_FILES {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(src.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!std::fs::read_dir(&dir).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".part")));
    let hits = files.hits.load(Ordering::SeqCst);
    assert!(hits >= REQUIRED_FILES.len());

    // the downloaded model works and gives the same vector as the installed one
    let a = LocalEmbedder::load(&dir, LocalOptions::default()).unwrap();
    let b = LocalEmbedder::load(&src, LocalOptions::default()).unwrap();
    let s = ["The cat sits on the mat."];
    assert_eq!(a.embed(&s).unwrap(), b.embed(&s).unwrap());

    // second resolution: the cache answers, no request
    resolve_model_dir(&ro).unwrap();
    assert_eq!(files.hits.load(Ordering::SeqCst), hits);
}

#[test]
fn offline_flag_never_contacts_the_hub_and_missing_files_fail_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("served");
    std::fs::create_dir_all(&empty).unwrap();
    let (endpoint, files) = start(empty);
    let cache = tmp.path().join("cache");
    let mut ro = ResolveOptions {
        explicit: None,
        cache_dir: Some(cache.clone()),
        endpoint,
        offline: true,
        timeout: Duration::from_secs(30),
    };
    let e = resolve_model_dir(&ro).unwrap_err();
    assert_eq!(exit_code(&e), Exit::Usage);
    assert_eq!(files.hits.load(Ordering::SeqCst), 0);

    // online, but the server has no files: a clear 404 error naming the URL, exit 2
    ro.offline = false;
    let e = resolve_model_dir(&ro).unwrap_err();
    let msg = format!("{e:#}");
    assert_eq!(exit_code(&e), Exit::Usage);
    assert!(
        msg.contains("404") && msg.contains("/resolve/main/config.json"),
        "{msg}"
    );
    assert!(msg.contains("install-embed-model.sh"), "{msg}");
    assert!(!cache.join("model.safetensors").exists());
}
