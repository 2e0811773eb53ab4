//! Model SPEC parsing: `openai:gpt-4o`, `anthropic:claude-sonnet-4-5`, `ollama:llama3.2`,
//! `openai-compatible:NAME@http://127.0.0.1:8080/v1`, each optionally followed by
//! `;key_env=VAR` and/or `;base_url=URL`.

use crate::error;
use std::fmt;

/// Which wire protocol and defaults a spec selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
    Ollama,
    OpenAiCompatible,
}

impl ProviderKind {
    /// The name stored in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAiCompatible => "openai-compatible",
        }
    }

    /// True when requests use the OpenAI chat-completions wire format.
    pub fn is_openai_wire(self) -> bool {
        !matches!(self, ProviderKind::Anthropic)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const OPENAI_BASE: &str = "https://api.openai.com/v1";
pub const ANTHROPIC_BASE: &str = "https://api.anthropic.com";
pub const OLLAMA_BASE: &str = "http://127.0.0.1:11434/v1";

/// A parsed model SPEC (before environment lookups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub provider: ProviderKind,
    pub model: String,
    /// Base URL given in the spec (`@URL` or `;base_url=`), if any.
    pub base_url: Option<String>,
    /// Environment variable holding the key, given in the spec (`;key_env=`), if any.
    pub key_env: Option<String>,
}

const FORMS: &str = "expected one of: openai:MODEL, anthropic:MODEL, ollama:MODEL, \
openai-compatible:MODEL@http://HOST:PORT/v1 (optionally followed by ;key_env=VAR and/or ;base_url=URL)";

impl ModelSpec {
    pub fn parse(text: &str) -> anyhow::Result<ModelSpec> {
        let bad = |why: &str| error::usage(format!("bad model spec {text:?}: {why}; {FORMS}"));
        let text_trim = text.trim();
        let (provider, rest) = text_trim
            .split_once(':')
            .ok_or_else(|| bad("no provider prefix"))?;
        let provider = match provider.to_ascii_lowercase().as_str() {
            "openai" => ProviderKind::OpenAi,
            "anthropic" => ProviderKind::Anthropic,
            "ollama" => ProviderKind::Ollama,
            "openai-compatible" | "openai_compatible" | "compatible" => ProviderKind::OpenAiCompatible,
            other => return Err(bad(&format!("unknown provider {other:?}"))),
        };
        let mut parts = rest.split(';');
        let head = parts.next().unwrap_or("").trim();
        let mut key_env = None;
        let mut base_url = None;
        for opt in parts {
            let opt = opt.trim();
            if opt.is_empty() {
                continue;
            }
            let (k, v) = opt
                .split_once('=')
                .ok_or_else(|| bad(&format!("option {opt:?} is not key=value")))?;
            let v = v.trim();
            match k.trim() {
                "key_env" => {
                    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(bad(&format!("key_env {v:?} is not an environment variable name")));
                    }
                    key_env = Some(v.to_string())
                }
                "base_url" => base_url = Some(check_url(v).map_err(|e| bad(&e))?),
                other => {
                    return Err(bad(&format!(
                        "unknown option {other:?} (known: key_env, base_url)"
                    )))
                }
            }
        }
        let model = if provider == ProviderKind::OpenAiCompatible {
            // The URL starts at the last `@http://` or `@https://`; model names may contain `@`.
            let at = head
                .rfind("@http://")
                .or_else(|| head.rfind("@https://"))
                .filter(|_| base_url.is_none());
            match at {
                Some(i) => {
                    base_url = Some(check_url(&head[i + 1..]).map_err(|e| bad(&e))?);
                    head[..i].trim().to_string()
                }
                None if base_url.is_some() => head.to_string(),
                None => {
                    return Err(bad(
                        "openai-compatible needs a base URL: NAME@http://HOST:PORT/v1",
                    ))
                }
            }
        } else {
            head.to_string()
        };
        if model.is_empty() {
            return Err(bad("the model name is empty"));
        }
        Ok(ModelSpec {
            provider,
            model,
            base_url,
            key_env,
        })
    }
}

/// Check that a base URL is http(s) and strip a trailing slash.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("base URL {url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("base URL {url:?} must start with http:// or https://"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "base URL {url:?} contains credentials; put the key in an environment variable instead"
        ));
    }
    Ok(url.to_string())
}

/// A file-name-safe label from a model name: `gpt-4o` -> `gpt-4o`,
/// `meta-llama/Llama-3.1-8B` -> `meta-llama-llama-3.1-8b`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(|c| c.to_lowercase()) {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_string();
    if out.is_empty() {
        "run".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_documented_form() {
        let s = ModelSpec::parse("openai:gpt-4o").unwrap();
        assert_eq!(
            (s.provider, s.model.as_str(), s.base_url),
            (ProviderKind::OpenAi, "gpt-4o", None)
        );
        let s = ModelSpec::parse("anthropic:claude-sonnet-4-5").unwrap();
        assert_eq!(s.provider, ProviderKind::Anthropic);
        let s = ModelSpec::parse("ollama:llama3.2").unwrap();
        assert_eq!((s.provider, s.model.as_str()), (ProviderKind::Ollama, "llama3.2"));
        let s = ModelSpec::parse("openai-compatible:smollm2@http://127.0.0.1:8080/v1/").unwrap();
        assert_eq!(s.model, "smollm2");
        assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:8080/v1"));
        let s = ModelSpec::parse(
            "openai-compatible:anthropic/claude-3.5-sonnet@https://openrouter.ai/api/v1;key_env=OPENROUTER_API_KEY",
        )
        .unwrap();
        assert_eq!(s.model, "anthropic/claude-3.5-sonnet");
        assert_eq!(s.key_env.as_deref(), Some("OPENROUTER_API_KEY"));
        let s = ModelSpec::parse("openai:gpt-4o;base_url=http://127.0.0.1:9/v1").unwrap();
        assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
    }

    #[test]
    fn rejects_bad_specs_with_the_forms() {
        for bad in [
            "gpt-4o",
            "foo:bar",
            "openai:",
            "openai-compatible:x",
            "openai:x;colour=red",
            "openai-compatible:x@ftp://h",
            "openai:x;key_env=A-B",
            "openai-compatible:x@http://user:pw@h/v1",
        ] {
            let e = ModelSpec::parse(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
            assert!(e.to_string().contains("bad model spec"), "{bad}: {e}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("gpt-4o"), "gpt-4o");
        assert_eq!(slug("meta-llama/Llama-3.1-8B"), "meta-llama-llama-3.1-8b");
        assert_eq!(slug("///"), "run");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,60}") {
            let _ = ModelSpec::parse(&s);
        }

        #[test]
        fn slug_is_safe(s in ".{0,40}") {
            let l = slug(&s);
            prop_assert!(!l.is_empty());
            prop_assert!(l.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
            prop_assert!(l != "." && l != "..");
        }
    }
}
