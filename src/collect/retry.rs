//! Sending one request with retries: exponential backoff with jitter, `Retry-After` in
//! seconds or as an HTTP date, a per-request timeout, and classification of what is worth
//! retrying, what fails one conversation, and what stops the whole run.

use super::provider::{error_code, error_detail, ChatReply, ChatRequest};
use super::Ctx;
use crate::progress::Event;
use rand::Rng;
use reqwest::StatusCode;
use std::time::{Duration, Instant, SystemTime};

/// Longest wait honoured from a `Retry-After` header or backoff.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// Why a request did not produce a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Every further request would fail the same way: stop the run.
    Fatal(String),
    /// This conversation failed (not retryable, or out of attempts).
    Failed(String),
    /// The run is stopping; nothing is recorded.
    Cancelled,
}

enum Attempt {
    Ok(ChatReply),
    Retry { reason: String, after: Option<Duration> },
    Fail(Failure),
}

/// `Retry-After`: delay-seconds (fractions accepted) or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_WAIT));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_WAIT))
}

/// Backoff before attempt `attempt + 1` (attempt is 1-based): base * 2^(attempt-1), capped,
/// with "equal jitter" (between half and all of it).
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16));
    let d = exp.min(Duration::from_secs(60));
    let half = d / 2;
    half + Duration::from_secs_f64(rand::thread_rng().gen_range(0.0..=1.0) * half.as_secs_f64())
}

fn is_unknown_model(status: StatusCode, body: &[u8]) -> bool {
    if status == StatusCode::NOT_FOUND {
        return true;
    }
    if !matches!(status.as_u16(), 400 | 422) {
        return false;
    }
    if error_code(body).is_some_and(|c| c == "model_not_found" || c == "not_found_error") {
        return true;
    }
    let d = error_detail(body).to_lowercase();
    d.contains("model")
        && (d.contains("not found")
            || d.contains("does not exist")
            || d.contains("unknown model")
            || d.contains("invalid model"))
}

/// Describe a transport error without repeating the URL.
fn transport(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "no complete response within {}s (--timeout)",
            timeout.as_secs_f64()
        );
    }
    let mut parts = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    let kind = if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading the response"
    } else {
        "request failed"
    };
    if parts.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {}", parts.join(": "))
    }
}

async fn attempt(ctx: &Ctx, body: &serde_json::Value) -> Attempt {
    let p = &ctx.provider;
    let url = p.endpoint();
    let timeout = ctx.settings.timeout;
    let req = p.headers(ctx.client.post(url)).timeout(timeout).json(body);
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            return Attempt::Retry {
                reason: format!("{} from {url}", transport(&e, timeout)),
                after: None,
            }
        }
    };
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return Attempt::Retry {
                reason: format!("{} from {url} (HTTP {})", transport(&e, timeout), status.as_u16()),
                after: retry_after,
            }
        }
    };
    if status.is_success() {
        return match p.parse(&bytes) {
            Ok(r) => Attempt::Ok(r),
            Err(why) => Attempt::Retry {
                reason: format!("bad response from {url}: {why}"),
                after: None,
            },
        };
    }
    let code = status.as_u16();
    let detail = error_detail(&bytes);
    let msg = if detail.is_empty() {
        format!("HTTP {code} from {url}")
    } else {
        format!("HTTP {code} from {url}: {detail}")
    };
    match code {
        401 | 403 => {
            let key = match &ctx.settings.key_env {
                Some(v) if ctx.settings.api_key.is_some() => format!("check the key in ${v}"),
                _ => "this endpoint wants a key: name its environment variable with --api-key-env".into(),
            };
            Attempt::Fail(Failure::Fatal(format!("authentication failed: {msg} ({key})")))
        }
        _ if is_unknown_model(status, &bytes) => Attempt::Fail(Failure::Fatal(format!(
            "unknown model or wrong endpoint: {msg} (model {:?}; check the model name and the base URL)",
            ctx.settings.model
        ))),
        408 | 409 | 425 | 429 | 500..=599 => Attempt::Retry {
            reason: msg,
            after: retry_after,
        },
        _ => Attempt::Fail(Failure::Failed(msg)),
    }
}

/// Send `req` until it succeeds, fails for good, or the run stops. Returns the reply, the
/// latency of the successful attempt, and the number of attempts.
pub(super) async fn send(
    ctx: &Ctx,
    req: &ChatRequest,
    probe_id: &str,
    sample: u32,
) -> Result<(ChatReply, Duration, u32), Failure> {
    let body = ctx.provider.body(req);
    let max = ctx.settings.max_attempts;
    let mut n = 0u32;
    loop {
        n += 1;
        if let Some(l) = &ctx.limiter {
            tokio::select! {
                biased;
                _ = ctx.cancel.stopped() => return Err(Failure::Cancelled),
                _ = l.until_ready() => {}
            }
        }
        let t0 = Instant::now();
        let out = tokio::select! {
            biased;
            _ = ctx.cancel.stopped() => return Err(Failure::Cancelled),
            a = attempt(ctx, &body) => a,
        };
        match out {
            Attempt::Ok(r) => return Ok((r, t0.elapsed(), n)),
            Attempt::Fail(f) => return Err(f),
            Attempt::Retry { reason, after } => {
                let reason = ctx.redactor.apply(&reason);
                if n >= max {
                    return Err(Failure::Failed(format!("{reason} (gave up after {n} attempts)")));
                }
                let wait = after
                    .unwrap_or_else(|| backoff(ctx.settings.retry_base, n))
                    .min(MAX_WAIT);
                ctx.emit(Event::Retrying {
                    probe_id: probe_id.to_string(),
                    sample,
                    attempt: n,
                    wait,
                    reason,
                });
                tokio::select! {
                    biased;
                    _ = ctx.cancel.stopped() => return Err(Failure::Cancelled),
                    _ = tokio::time::sleep(wait) => {}
                }
                ctx.emit(Event::RetryStarted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 ", now), Some(Duration::from_millis(500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999", now), Some(MAX_WAIT));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_millis(100);
        for attempt in 1..10 {
            let d = backoff(b, attempt);
            let full = (b * 2u32.pow(attempt - 1)).min(Duration::from_secs(60));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert!(backoff(b, 40) <= Duration::from_secs(60));
    }

    #[test]
    fn unknown_model_detection() {
        assert!(is_unknown_model(StatusCode::NOT_FOUND, b""));
        assert!(is_unknown_model(
            StatusCode::BAD_REQUEST,
            br#"{"error":{"message":"The model `gpt-9` does not exist","code":"model_not_found"}}"#
        ));
        assert!(!is_unknown_model(
            StatusCode::BAD_REQUEST,
            br#"{"error":{"message":"temperature too high"}}"#
        ));
    }

    proptest! {
        #[test]
        fn retry_after_never_panics(s in ".{0,40}") {
            let _ = parse_retry_after(&s, SystemTime::now());
        }
    }
}
