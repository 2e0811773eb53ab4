//! The provider trait: how one chat request is encoded for an API and how its response is
//! decoded. Providers do no I/O themselves; the scheduler sends, times, retries and
//! classifies, so every provider gets the same fault handling.

use crate::store::{Role, Usage};
use serde_json::Value;

/// One request: the whole conversation so far.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// Combined system prompt, if any.
    pub system: Option<String>,
    /// Example exchanges and turns so far, alternating user/assistant, ending with a user turn.
    pub messages: Vec<(Role, String)>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
}

/// One decoded reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatReply {
    pub content: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    pub model: Option<String>,
    pub system_fingerprint: Option<String>,
}

/// An OpenAI-compatible or Anthropic endpoint.
pub trait Provider: Send + Sync {
    /// The full URL requests are POSTed to (never contains a key).
    fn endpoint(&self) -> &str;
    /// Whether the API takes a sampling seed.
    fn takes_seed(&self) -> bool;
    /// Add authentication and version headers.
    fn headers(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder;
    /// The JSON body for a request.
    fn body(&self, req: &ChatRequest) -> Value;
    /// Decode a 2xx body; `Err` says what is wrong with it (without the endpoint).
    fn parse(&self, body: &[u8]) -> Result<ChatReply, String>;
}

/// Pull a human message out of an error body: `{"error":{"message":..}}`,
/// `{"error":"..."}`, `{"message":..}`, or the text itself (shortened).
pub fn error_detail(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let pick = v
            .pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"));
        if let Some(s) = pick.and_then(|s| s.as_str()) {
            return shorten(s, 300);
        }
    }
    shorten(text.trim(), 300)
}

/// Machine-readable error code or type from an error body, if any.
pub fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.pointer("/error/code")
        .or_else(|| v.pointer("/error/type"))
        .and_then(|c| c.as_str().map(str::to_string))
}

pub fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}...")
    }
}

pub(crate) fn usage_from(v: Option<&Value>, prompt_key: &str, completion_key: &str) -> Option<Usage> {
    let v = v?;
    let u = Usage {
        prompt_tokens: v.get(prompt_key).and_then(Value::as_u64),
        completion_tokens: v.get(completion_key).and_then(Value::as_u64),
    };
    (u.prompt_tokens.is_some() || u.completion_tokens.is_some()).then_some(u)
}

pub(crate) fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn describe_json_error(body: &[u8], e: &serde_json::Error) -> String {
    if body.is_empty() {
        "empty response body".into()
    } else if e.is_eof() {
        format!("truncated response body ({} bytes): {e}", body.len())
    } else {
        format!("malformed JSON in response body: {e}")
    }
}

pub(crate) fn role_str(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}
