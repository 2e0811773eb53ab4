//! Anthropic's Messages API: `x-api-key`, `anthropic-version`, a top-level `system`, and a
//! required `max_tokens`.

use super::provider::{
    describe_json_error, role_str, str_field, usage_from, ChatReply, ChatRequest, Provider,
};
use serde_json::{json, Map, Value};

pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Sent when the user set no `--max-tokens` (the API requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

pub struct Anthropic {
    endpoint: String,
    model: String,
    key: Option<String>,
}

impl Anthropic {
    pub fn new(base_url: &str, model: &str, key: Option<String>) -> Self {
        let base = base_url.trim_end_matches('/');
        let endpoint = if base.ends_with("/messages") {
            base.to_string()
        } else if base.ends_with("/v1") {
            format!("{base}/messages")
        } else {
            format!("{base}/v1/messages")
        };
        Anthropic {
            endpoint,
            model: model.to_string(),
            key,
        }
    }
}

impl Provider for Anthropic {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn takes_seed(&self) -> bool {
        false
    }

    fn headers(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let req = req.header("anthropic-version", ANTHROPIC_VERSION);
        match &self.key {
            Some(k) => req.header("x-api-key", k),
            None => req,
        }
    }

    fn body(&self, req: &ChatRequest) -> Value {
        let messages: Vec<Value> = req
            .messages
            .iter()
            .map(|(role, content)| json!({"role": role_str(*role), "content": content}))
            .collect();
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert(
            "max_tokens".into(),
            json!(req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
        );
        if let Some(s) = &req.system {
            body.insert("system".into(), json!(s));
        }
        body.insert("messages".into(), Value::Array(messages));
        if let Some(t) = req.temperature {
            body.insert("temperature".into(), json!(t));
        }
        if let Some(p) = req.top_p {
            body.insert("top_p".into(), json!(p));
        }
        Value::Object(body)
    }

    fn parse(&self, body: &[u8]) -> Result<ChatReply, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| describe_json_error(body, &e))?;
        if v.get("type").and_then(Value::as_str) == Some("error") {
            return Err(format!(
                "error in a 2xx response: {}",
                super::provider::error_detail(body)
            ));
        }
        let blocks = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or("response has no content array")?;
        let content = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("");
        Ok(ChatReply {
            content,
            usage: usage_from(v.get("usage"), "input_tokens", "output_tokens"),
            finish_reason: str_field(&v, "stop_reason"),
            model: str_field(&v, "model"),
            system_fingerprint: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    #[test]
    fn system_is_top_level_and_max_tokens_always_present() {
        let p = Anthropic::new("https://api.anthropic.com", "claude-x", None);
        assert_eq!(p.endpoint(), "https://api.anthropic.com/v1/messages");
        let b = p.body(&ChatRequest {
            system: Some("be kind".into()),
            messages: vec![
                (Role::User, "a".into()),
                (Role::Assistant, "b".into()),
                (Role::User, "c".into()),
            ],
            temperature: None,
            top_p: None,
            max_tokens: None,
            seed: Some(3),
        });
        assert_eq!(b["system"], "be kind");
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(b["messages"].as_array().unwrap().len(), 3);
        assert!(b.get("seed").is_none());
        assert!(b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] != "system"));
    }

    #[test]
    fn parse_joins_text_blocks() {
        let p = Anthropic::new("http://h/v1", "m", None);
        let r = p
            .parse(br#"{"model":"claude-x-1","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}"#)
            .unwrap();
        assert_eq!(r.content, "Hi there");
        assert_eq!(r.finish_reason.as_deref(), Some("end_turn"));
        assert_eq!(r.usage.unwrap().prompt_tokens, Some(5));
        assert!(p
            .parse(br#"{"content":[{"type":"te"#)
            .unwrap_err()
            .contains("truncated"));
    }
}
