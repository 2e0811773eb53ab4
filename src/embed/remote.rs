//! A remote OpenAI-compatible embedding endpoint: `POST {base}/embeddings` with
//! `{"model": NAME, "input": [texts]}` (OpenAI, Ollama, llama.cpp's server in embedding mode, vLLM, ...).
//!
//! Specs:
//! - `openai:MODEL` — `https://api.openai.com/v1`, key from `OPENAI_API_KEY` (required);
//! - `ollama:MODEL` — `http://127.0.0.1:11434/v1` (or `$OLLAMA_HOST/v1`), no key;
//! - `openai-compatible:NAME@URL` — e.g. `openai-compatible:minilm@http://127.0.0.1:8080/v1`; a key is
//!   sent only if `PERSONA_DRIFT_EMBED_API_KEY` is set.
//!
//! Keys are read from the environment at start and never written anywhere (not in errors, not in the
//! cache, not in reports). Vectors are L2-normalised on arrival (endpoints differ on this). Texts longer
//! than the remote model's limit are the endpoint's business: most truncate or return 400, which is
//! reported as an error naming the URL.

use serde::Deserialize;
use std::time::Duration;

use super::Embedder;
use crate::embed::local::normalise;

/// Texts per request.
const REQUEST_BATCH: usize = 64;
const MAX_ATTEMPTS: u32 = 4;

/// An OpenAI-compatible `/v1/embeddings` client.
pub struct RemoteEmbedder {
    kind: String,
    model: String,
    base: String,
    key: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for RemoteEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the key
        f.debug_struct("RemoteEmbedder")
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("base", &self.base)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

#[derive(Deserialize)]
struct Resp {
    data: Vec<Item>,
}
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

fn env_key(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|k| !k.trim().is_empty())
}

impl RemoteEmbedder {
    /// Parses an embedder spec (see the module docs). A bad spec or a missing required key is exit 2.
    pub fn from_spec(spec: &str) -> anyhow::Result<Self> {
        let bad = |why: &str| {
            crate::error::usage(format!(
                "bad --embedder {spec:?}: {why} (expected local, openai:MODEL, ollama:MODEL or \
                 openai-compatible:NAME@http://HOST:PORT/v1)"
            ))
        };
        let (kind, rest) = spec.split_once(':').ok_or_else(|| bad("no provider prefix"))?;
        let (model, base, key) = match kind {
            "openai" => {
                let key = env_key("OPENAI_API_KEY").ok_or_else(|| {
                    crate::error::usage("--embedder openai:... needs the environment variable OPENAI_API_KEY")
                })?;
                (
                    rest.to_string(),
                    "https://api.openai.com/v1".to_string(),
                    Some(key),
                )
            }
            "ollama" => {
                let host = std::env::var("OLLAMA_HOST")
                    .ok()
                    .filter(|h| !h.trim().is_empty())
                    .map(|h| {
                        if h.contains("://") {
                            h
                        } else {
                            format!("http://{h}")
                        }
                    })
                    .unwrap_or_else(|| "http://127.0.0.1:11434".into());
                (
                    rest.to_string(),
                    format!("{}/v1", host.trim_end_matches('/')),
                    None,
                )
            }
            "openai-compatible" => {
                let (name, url) = rest.split_once('@').ok_or_else(|| bad("missing @URL"))?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(bad("the URL must start with http:// or https://"));
                }
                (
                    name.to_string(),
                    url.to_string(),
                    env_key("PERSONA_DRIFT_EMBED_API_KEY"),
                )
            }
            _ => return Err(bad(&format!("unknown provider {kind:?}"))),
        };
        if model.trim().is_empty() {
            return Err(bad("empty model name"));
        }
        Ok(RemoteEmbedder {
            kind: kind.to_string(),
            model,
            base: base.trim_end_matches('/').to_string(),
            key,
            timeout: Duration::from_secs(120),
        })
    }

    /// The endpoint URL requests go to.
    pub fn url(&self) -> String {
        format!("{}/embeddings", self.base)
    }

    async fn request(&self, client: &reqwest::Client, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        let url = self.url();
        let body = serde_json::json!({ "model": self.model, "input": texts, "encoding_format": "float" });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = client.post(&url).json(&body);
            if let Some(k) = &self.key {
                req = req.bearer_auth(k);
            }
            let retry_after;
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        let text = resp.text().await.map_err(|e| {
                            crate::error::unmeasurable(format!("POST {url}: reading the response: {e}"))
                        })?;
                        let parsed: Resp = serde_json::from_str(&text).map_err(|e| {
                            crate::error::unmeasurable(format!("POST {url}: not an embeddings response: {e}"))
                        })?;
                        return order(parsed, texts.len(), &url);
                    }
                    let transient = status.as_u16() == 429 || status.is_server_error();
                    retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = resp.text().await.unwrap_or_default();
                    let snippet: String = body.chars().take(300).collect();
                    let msg = format!("POST {url} (model {}): HTTP {status}: {snippet}", self.model);
                    if !transient || attempt >= MAX_ATTEMPTS {
                        return Err(if status.as_u16() == 400 || status.as_u16() == 404 {
                            crate::error::usage(msg)
                        } else {
                            crate::error::unmeasurable(msg)
                        });
                    }
                }
                Err(e) => {
                    if attempt >= MAX_ATTEMPTS {
                        return Err(crate::error::unmeasurable(format!("POST {url}: {e}")));
                    }
                    retry_after = None;
                }
            }
            let wait = retry_after.unwrap_or(Duration::from_millis(250 * 2u64.pow(attempt)));
            tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
        }
    }
}

fn order(resp: Resp, n: usize, url: &str) -> anyhow::Result<Vec<Vec<f32>>> {
    if resp.data.len() != n {
        return Err(crate::error::unmeasurable(format!(
            "POST {url}: {} embeddings returned for {n} inputs",
            resp.data.len()
        )));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; n];
    for (pos, item) in resp.data.into_iter().enumerate() {
        let i = item.index.unwrap_or(pos);
        if i >= n || out[i].is_some() || item.embedding.is_empty() {
            return Err(crate::error::unmeasurable(format!(
                "POST {url}: bad or duplicate embedding index {i}"
            )));
        }
        out[i] = Some(normalise(item.embedding));
    }
    let out: Vec<Vec<f32>> = out.into_iter().map(|v| v.unwrap()).collect();
    if out.iter().any(|v| v.len() != out[0].len()) {
        return Err(crate::error::unmeasurable(format!(
            "POST {url}: embeddings of different lengths"
        )));
    }
    Ok(out)
}

impl Embedder for RemoteEmbedder {
    fn model_id(&self) -> String {
        format!("{}:{}@{}", self.kind, self.model, self.base)
    }

    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let owned: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
        // Our own runtime on a scoped thread: works whether or not the caller is inside tokio.
        std::thread::scope(|s| {
            s.spawn(|| -> anyhow::Result<Vec<Vec<f32>>> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let client = reqwest::Client::builder()
                        .connect_timeout(Duration::from_secs(20))
                        .timeout(self.timeout)
                        .user_agent(concat!("persona-drift/", env!("CARGO_PKG_VERSION")))
                        .build()?;
                    let mut out = Vec::with_capacity(owned.len());
                    for chunk in owned.chunks(REQUEST_BATCH) {
                        let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
                        out.extend(self.request(&client, &refs).await?);
                    }
                    Ok(out)
                })
            })
            .join()
            .map_err(|_| anyhow::anyhow!("embedding request thread panicked"))?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let e = RemoteEmbedder::from_spec("openai-compatible:minilm@http://127.0.0.1:8080/v1/").unwrap();
        assert_eq!(e.url(), "http://127.0.0.1:8080/v1/embeddings");
        assert_eq!(e.model_id(), "openai-compatible:minilm@http://127.0.0.1:8080/v1");
        for bad in [
            "nonsense",
            "foo:bar",
            "openai-compatible:x",
            "openai-compatible:x@ftp://a",
            "ollama:",
        ] {
            let err = RemoteEmbedder::from_spec(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), crate::error::Exit::Usage, "{bad}");
        }
    }
}
