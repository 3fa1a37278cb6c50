//! Rate limits per client IP and per session, answered 429 with `Retry-After`.
//!
//! One GCRA limiter (the `governor` crate: a token bucket without a timer task, lock-free per
//! key) counts every request of a client IP ([`ClientIp`]) and, separately, every request that
//! names a session: the `sessionId` tool argument of a JSON-RPC `tools/call` (also inside a
//! batch) or the `sessionId` of a REST body. To find it the layer reads the body — after the body
//! limit, and only up to it — and hands the same bytes on. Only well-formed session ids count,
//! so made-up ids cannot mint fresh buckets; the per-IP limit covers those requests.
//!
//! Two limiters exist: the general one on every MCP and /api request (`RATE_LIMIT_PER_SEC`,
//! `RATE_LIMIT_BURST`; 0 per second disables it) and a stricter one on the sign-in endpoint
//! (`SIGNIN_RATE_LIMIT_PER_MIN`, `SIGNIN_RATE_LIMIT_BURST`), because every attempt there costs
//! an argon2 hash. Per-account lockout after failed sign-ins is separate (`rest/session.rs`).
//!
//! Why `governor` under a small axum middleware rather than `tower_governor`: the per-session key
//! lives in the body, which a tower_governor key extractor cannot read, and the refusal should
//! be our JSON error shape (`AppError::RateLimited`) like every other 4xx.

use std::borrow::Cow;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;
use serde_json::value::RawValue;
use shared::ids::SessionId;

use super::body_limit::{BodyLimit, is_too_large};
use super::client_ip::ClientIp;
use crate::config::Config;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    Session(String),
}

/// One keyed limiter and the most body it reads to find session ids (when no body limit layer
/// ran before it). Cheap to clone.
#[derive(Clone)]
pub struct RequestLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<Key>>,
    max_body: usize,
}

impl std::fmt::Debug for RequestLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimiter").field("keys", &self.limiter.len()).field("max_body", &self.max_body).finish()
    }
}

impl RequestLimiter {
    pub fn new(quota: Quota, max_body: usize) -> Self {
        RequestLimiter { limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)), max_body }
    }

    /// `Err(seconds to wait)` when `key` is over its quota; a refused request uses no quota.
    fn check(&self, key: &Key) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets keys whose bucket is full again (memory stays bounded by recent clients).
    pub fn retain_recent(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Number of keys with state (for tests and logs).
    pub fn tracked_keys(&self) -> usize {
        self.limiter.len()
    }
}

/// The configured limiters; `None` where disabled.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub general: Option<RequestLimiter>,
    pub signin: Option<RequestLimiter>,
}

impl RateLimits {
    pub fn from_config(config: &Config, api_max_body: usize) -> Self {
        let general = NonZeroU32::new(config.rate_limit_per_sec).map(|rate| {
            let burst = NonZeroU32::new(config.rate_limit_burst).unwrap_or(rate);
            RequestLimiter::new(Quota::per_second(rate).allow_burst(burst), config.mcp_max_body().max(api_max_body))
        });
        let signin = NonZeroU32::new(config.signin_rate_limit_per_min).map(|rate| {
            let burst = NonZeroU32::new(config.signin_rate_limit_burst).unwrap_or(rate);
            RequestLimiter::new(Quota::per_minute(rate).allow_burst(burst), api_max_body)
        });
        RateLimits { general, signin }
    }

    pub fn retain_recent(&self) {
        for limiter in [&self.general, &self.signin].into_iter().flatten() {
            limiter.retain_recent();
        }
    }
}

/// Middleware: 429 + `Retry-After` when the client IP, or a session the request names, is over
/// its quota.
pub async fn layer(State(limiter): State<RequestLimiter>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ClientIp>().copied();
    if let Some(ClientIp(ip)) = client
        && let Err(retry_after_secs) = limiter.check(&Key::Client(ip))
    {
        tracing::info!(client = %ip, path = %request.uri().path(), "rate limited (client)");
        return AppError::RateLimited { retry_after_secs }.into_response();
    }
    let request = if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let max_body = parts.extensions.get::<BodyLimit>().map_or(limiter.max_body, |limit| limit.0);
        let bytes = match axum::body::to_bytes(body, max_body).await {
            Ok(bytes) => bytes,
            Err(e) if is_too_large(&e) => {
                return AppError::BodyTooLarge { limit_bytes: max_body }.into_response();
            }
            Err(_) => return AppError::InvalidInput("The request body could not be read.".into()).into_response(),
        };
        for session in session_ids(&bytes) {
            if let Err(retry_after_secs) = limiter.check(&Key::Session(session.as_str().to_owned())) {
                tracing::info!(
                    session = crate::identity::sessions::log_prefix(session.as_str()),
                    "rate limited (session)"
                );
                return AppError::RateLimited { retry_after_secs }.into_response();
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    next.run(request).await
}

/// The well-formed session ids a body names: `sessionId` at the top (REST) or in
/// `params.arguments` (a JSON-RPC tool call), for one message or a batch. Anything else — not
/// JSON, other shapes, malformed ids — names none.
///
/// Read without building a `serde_json::Value` (this runs on every POST): each message's
/// `sessionId`, `params` and `arguments` are borrowed from the body and everything else is
/// skipped. A body that does not fit that reading (duplicate keys, say) is read again as a
/// `Value`, so no shape hides an id.
fn session_ids(body: &[u8]) -> Vec<SessionId> {
    let mut ids = narrow_session_ids(body).unwrap_or_else(|| value_session_ids(body));
    ids.sort();
    ids.dedup();
    ids
}

fn narrow_session_ids(body: &[u8]) -> Option<Vec<SessionId>> {
    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(rename = "sessionId", borrow, default)]
        session_id: Option<&'a RawValue>,
        #[serde(borrow, default)]
        params: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow, default)]
        arguments: Option<&'a RawValue>,
    }
    fn id(raw: Option<&RawValue>) -> Option<SessionId> {
        let text: Cow<'_, str> = serde_json::from_str(raw?.get()).ok()?;
        SessionId::parse(text.as_ref()).ok()
    }
    /// `Ok(None)`: absent or not an object (names nothing, as in the `Value` reading); `Err`: an
    /// object this reading cannot take.
    fn object<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>, serde_json::Error> {
        match raw {
            Some(raw) if raw.get().starts_with('{') => serde_json::from_str(raw.get()).map(Some),
            _ => Ok(None),
        }
    }
    let text = std::str::from_utf8(body).ok()?;
    let messages: Vec<&RawValue> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).ok()?
    } else {
        vec![serde_json::from_str(text).ok()?]
    };
    let mut ids = Vec::new();
    for message in messages {
        let Some(message) = object::<Message<'_>>(Some(message)).ok()? else { continue };
        ids.extend(id(message.session_id));
        let Some(params) = object::<Params<'_>>(message.params).ok()? else { continue };
        let Some(arguments) = object::<Message<'_>>(params.arguments).ok()? else { continue };
        ids.extend(id(arguments.session_id));
    }
    Some(ids)
}

/// The same reading through a `serde_json::Value`: any JSON, the last of duplicate keys.
fn value_session_ids(body: &[u8]) -> Vec<SessionId> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let messages = match &value {
        serde_json::Value::Array(batch) => batch.iter().collect(),
        one => vec![one],
    };
    messages
        .into_iter()
        .flat_map(|m| [m.get("sessionId"), m.get("params").and_then(|p| p.get("arguments")?.get("sessionId"))])
        .flatten()
        .filter_map(|v| SessionId::parse(v.as_str()?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "sess_0123456789abcdef0123456789abcdef";

    #[test]
    fn session_ids_are_found_in_tool_calls_rest_bodies_and_batches() {
        let call = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"get-cart","arguments":{{"sessionId":"{SID}"}}}}}}"#
        );
        assert_eq!(session_ids(call.as_bytes()).len(), 1);
        let rest = format!(r#"{{"sessionId":"{SID}","email":"a@b.co","password":"x"}}"#);
        assert_eq!(session_ids(rest.as_bytes())[0].as_str(), SID);
        assert!(narrow_session_ids(call.as_bytes()).is_some_and(|ids| ids.len() == 1), "read without a Value");
        let batch = format!("[{call},{call}]");
        assert_eq!(session_ids(batch.as_bytes()).len(), 1, "the same session counts once per request");
        for none in ["", "{", "[]", r#"{"sessionId":42}"#, r#"{"sessionId":"sess_short"}"#, r#"{"params":[1]}"#] {
            assert!(session_ids(none.as_bytes()).is_empty(), "{none}");
        }
    }

    #[test]
    fn odd_shapes_hide_no_session_id() {
        let other = SID.replace('0', "1");
        let cases = [
            // one odd message in a batch does not hide the others'
            format!(r#"[42, "x", null, {{"params":{{"arguments":{{"sessionId":"{SID}"}}}}}}]"#),
            // duplicate keys: the last one counts, as rmcp reads it
            format!(r#"{{"params":{{"arguments":{{"sessionId":"{other}","sessionId":"{SID}"}}}}}}"#),
            // escapes in the id
            format!(r#"{{"sessionId":"{}"}}"#, SID.replace('_', "\\u005f")),
            // arguments that are not an object next to a REST-style id
            format!(r#"{{"sessionId":"{SID}","params":{{"arguments":[1,2]}}}}"#),
        ];
        assert!(narrow_session_ids(cases[1].as_bytes()).is_none(), "duplicate keys are read as a Value");
        for body in cases {
            assert_eq!(session_ids(body.as_bytes()).iter().map(|s| s.as_str()).collect::<Vec<_>>(), [SID], "{body}");
        }
        let both = format!(r#"[{{"sessionId":"{SID}"}},{{"params":{{"arguments":{{"sessionId":"{other}"}}}}}}]"#);
        assert_eq!(session_ids(both.as_bytes()).len(), 2);
    }

    #[test]
    fn a_key_over_its_burst_waits_at_least_a_second() {
        let limiter = RequestLimiter::new(Quota::per_minute(NonZeroU32::MIN).allow_burst(NonZeroU32::MIN), 1024);
        let key = Key::Client("127.0.0.1".parse().unwrap());
        assert!(limiter.check(&key).is_ok());
        let wait = limiter.check(&key).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(&Key::Client("127.0.0.2".parse().unwrap())).is_ok(), "other clients are not affected");
    }
}
