//! Any OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp's server,
//! LM Studio, OpenRouter, ...

use super::provider::{
    describe_json_error, role_str, str_field, usage_from, ChatReply, ChatRequest, Provider,
};
use super::spec::ProviderKind;
use serde_json::{json, Map, Value};

pub struct OpenAi {
    endpoint: String,
    model: String,
    key: Option<String>,
    /// OpenAI itself wants `max_completion_tokens`; compatible servers know `max_tokens`.
    max_tokens_field: &'static str,
}

impl OpenAi {
    pub fn new(kind: ProviderKind, base_url: &str, model: &str, key: Option<String>) -> Self {
        let base = base_url.trim_end_matches('/');
        let endpoint = if base.ends_with("/chat/completions") {
            base.to_string()
        } else {
            format!("{base}/chat/completions")
        };
        OpenAi {
            endpoint,
            model: model.to_string(),
            key,
            max_tokens_field: if kind == ProviderKind::OpenAi {
                "max_completion_tokens"
            } else {
                "max_tokens"
            },
        }
    }
}

impl Provider for OpenAi {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn takes_seed(&self) -> bool {
        true
    }

    fn headers(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(k) => req.bearer_auth(k),
            None => req,
        }
    }

    fn body(&self, req: &ChatRequest) -> Value {
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        if let Some(s) = &req.system {
            messages.push(json!({"role": "system", "content": s}));
        }
        for (role, content) in &req.messages {
            messages.push(json!({"role": role_str(*role), "content": content}));
        }
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert("stream".into(), json!(false));
        if let Some(t) = req.temperature {
            body.insert("temperature".into(), json!(t));
        }
        if let Some(p) = req.top_p {
            body.insert("top_p".into(), json!(p));
        }
        if let Some(m) = req.max_tokens {
            body.insert(self.max_tokens_field.into(), json!(m));
        }
        if let Some(s) = req.seed {
            body.insert("seed".into(), json!(s));
        }
        Value::Object(body)
    }

    fn parse(&self, body: &[u8]) -> Result<ChatReply, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| describe_json_error(body, &e))?;
        if let Some(err) = v.get("error") {
            return Err(format!(
                "error in a 2xx response: {}",
                super::provider::shorten(&err.to_string(), 300)
            ));
        }
        let choice = v
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .ok_or("response has no choices[0]")?;
        let message = choice.get("message").ok_or("choices[0] has no message")?;
        let content = match message.get("content") {
            Some(Value::String(s)) => s.clone(),
            // Some servers send content parts.
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
            // A refusal or a filtered reply: keep what the API said, possibly nothing.
            Some(Value::Null) | None => message
                .get("refusal")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            Some(other) => return Err(format!("choices[0].message.content is not text: {other}")),
        };
        Ok(ChatReply {
            content,
            usage: usage_from(v.get("usage"), "prompt_tokens", "completion_tokens"),
            finish_reason: str_field(choice, "finish_reason"),
            model: str_field(&v, "model"),
            system_fingerprint: str_field(&v, "system_fingerprint"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    #[test]
    fn body_has_system_first_and_the_right_max_tokens_field() {
        let req = ChatRequest {
            system: Some("sys".into()),
            messages: vec![(Role::User, "hi".into())],
            temperature: Some(0.5),
            top_p: None,
            max_tokens: Some(10),
            seed: Some(7),
        };
        let p = OpenAi::new(ProviderKind::OpenAi, "https://api.openai.com/v1/", "gpt-4o", None);
        assert_eq!(p.endpoint(), "https://api.openai.com/v1/chat/completions");
        let b = p.body(&req);
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "hi");
        assert_eq!(b["max_completion_tokens"], 10);
        assert_eq!(b["seed"], 7);
        assert!(b.get("top_p").is_none());
        let p = OpenAi::new(ProviderKind::Ollama, "http://h/v1", "m", None);
        assert_eq!(p.body(&req)["max_tokens"], 10);
    }

    #[test]
    fn parse_reads_everything_reported_and_never_panics_on_junk() {
        let p = OpenAi::new(ProviderKind::OpenAiCompatible, "http://h/v1", "m", None);
        let ok = br#"{"model":"m-2024","system_fingerprint":"fp_1","choices":[{"message":{"role":"assistant","content":"Hey"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
        let r = p.parse(ok).unwrap();
        assert_eq!(r.content, "Hey");
        assert_eq!(r.model.as_deref(), Some("m-2024"));
        assert_eq!(r.system_fingerprint.as_deref(), Some("fp_1"));
        assert_eq!(r.usage.unwrap().completion_tokens, Some(1));
        assert!(p.parse(&ok[..40]).unwrap_err().contains("truncated"));
        assert!(p.parse(b"<html>").unwrap_err().contains("malformed"));
        assert!(p.parse(b"").unwrap_err().contains("empty"));
        assert!(p.parse(br#"{"choices":[]}"#).unwrap_err().contains("choices[0]"));
    }
}
