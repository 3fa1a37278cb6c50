//! The REST binding: `/checkout_sessions…` handlers (headers in, [`Answer`] out), the merchant
//! API key check and its rate limit for them and for `/mcp/acp`, and the headers every answer
//! carries (`Idempotency-Key` and `Request-Id` echoed, `Idempotent-Replayed`, `Retry-After`).

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Commerce;
use super::error::AcpError;
use super::key_limit::KeyLimiter;
use super::service::{self, Answer, Caller, KeyRule, Operation, RequestMeta};

/// The key accepted when no key is configured and the server listens on loopback only.
pub const DEMO_API_KEY: &str = "acp_demo_merchant_key";

/// The identity of the merchant key a request authenticated with: a hash prefix, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantIdentity(pub String);

/// The accepted merchant keys, as SHA-256 digests.
#[derive(Debug, Clone)]
pub struct MerchantKeys(Vec<[u8; 32]>);

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl MerchantKeys {
    /// The configured keys; none configured on a loopback bind: the demo key; otherwise none.
    pub fn new(configured: &[String], host: IpAddr) -> Self {
        let keys: Vec<[u8; 32]> = configured.iter().map(|k| k.trim()).filter(|k| !k.is_empty()).map(digest).collect();
        if keys.is_empty() && host.is_loopback() {
            return MerchantKeys(vec![digest(DEMO_API_KEY)]);
        }
        MerchantKeys(keys)
    }

    fn identify(&self, headers: &HeaderMap) -> Option<MerchantIdentity> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let given = digest(token.trim());
        self.0.contains(&given).then(|| MerchantIdentity(hex::encode(&given[..8])))
    }
}

/// What stands in front of the ACP routes: the merchant keys and their rate limit.
#[derive(Debug, Clone)]
pub struct Gate {
    pub keys: MerchantKeys,
    pub limiter: Option<KeyLimiter>,
}

/// Middleware: a known merchant key (else 401) within its rate limit (else 429), both answered
/// with the flat error.
pub async fn authenticate(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    match gate.keys.identify(request.headers()) {
        Some(identity) => {
            if let Some(Err(secs)) = gate.limiter.as_ref().map(|l| l.check(&identity.0)) {
                tracing::info!(key = %identity.0, path = %request.uri().path(), "ACP: rate limited (merchant key)");
                let meta = meta(request.headers());
                return reply(Answer::from_error(&AcpError::RateLimited(secs)), &meta, request.method() == "POST");
            }
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        None => {
            let mut response = reply(Answer::from_error(&AcpError::Unauthorized), &RequestMeta::default(), false);
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub(super) fn meta(headers: &HeaderMap) -> RequestMeta {
    RequestMeta {
        api_version: header_text(headers, "api-version"),
        idempotency_key: header_text(headers, "idempotency-key"),
        request_id: header_text(headers, "request-id"),
        signature: header_text(headers, "signature"),
        timestamp: header_text(headers, "timestamp"),
    }
}

/// The answer as an HTTP response with the spec's headers.
pub(super) fn reply(answer: Answer, meta: &RequestMeta, post: bool) -> Response {
    let status = answer.status;
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if post && let Some(key) = meta.idempotency_key.as_deref().and_then(|k| HeaderValue::from_str(k).ok()) {
        headers.insert("idempotency-key", key);
    }
    if let Some(id) = meta.request_id.as_deref().and_then(|k| HeaderValue::from_str(k).ok()) {
        headers.insert("request-id", id);
    }
    if answer.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if let Some(secs) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn run(
    commerce: &Commerce,
    identity: MerchantIdentity,
    headers: &HeaderMap,
    operation: Operation,
    body: &Bytes,
) -> Response {
    let meta = meta(headers);
    let post = operation.is_post();
    let body: Option<Value> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(e) => {
                let error = AcpError::invalid("$", format!("The request body is not JSON: {e}"));
                return reply(Answer::from_error(&error), &meta, post);
            }
        }
    };
    let answer =
        service::handle(commerce, &Caller(identity.0), &meta, operation, body.as_ref(), KeyRule::Required).await;
    reply(answer, &meta, post)
}

pub async fn create(
    State(commerce): State<Commerce>,
    axum::Extension(identity): axum::Extension<MerchantIdentity>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&commerce, identity, &headers, Operation::Create, &body).await
}

pub async fn retrieve(
    State(commerce): State<Commerce>,
    axum::Extension(identity): axum::Extension<MerchantIdentity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    run(&commerce, identity, &headers, Operation::Retrieve(id), &Bytes::new()).await
}

pub async fn update(
    State(commerce): State<Commerce>,
    axum::Extension(identity): axum::Extension<MerchantIdentity>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&commerce, identity, &headers, Operation::Update(id), &body).await
}

pub async fn complete(
    State(commerce): State<Commerce>,
    axum::Extension(identity): axum::Extension<MerchantIdentity>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&commerce, identity, &headers, Operation::Complete(id), &body).await
}

pub async fn cancel(
    State(commerce): State<Commerce>,
    axum::Extension(identity): axum::Extension<MerchantIdentity>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&commerce, identity, &headers, Operation::Cancel(id), &body).await
}

/// Unknown paths under the ACP prefix and wrong methods answer with the flat error too.
pub async fn not_allowed() -> Response {
    let body = serde_json::json!({
        "type": "invalid_request",
        "code": "method_not_allowed",
        "message": "This method is not allowed on this path."
    });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        h
    }

    #[test]
    fn the_demo_key_works_only_on_loopback_without_configured_keys() {
        let loopback = MerchantKeys::new(&[], "127.0.0.1".parse().unwrap());
        assert!(loopback.identify(&bearer(DEMO_API_KEY)).is_some());
        let public = MerchantKeys::new(&[], "0.0.0.0".parse().unwrap());
        assert!(public.identify(&bearer(DEMO_API_KEY)).is_none(), "no key at all off loopback");
        let configured = MerchantKeys::new(&["k1".into(), " k2 ".into()], "127.0.0.1".parse().unwrap());
        assert!(configured.identify(&bearer(DEMO_API_KEY)).is_none(), "configured keys replace the demo key");
        let (a, b) = (configured.identify(&bearer("k1")).unwrap(), configured.identify(&bearer("k2")).unwrap());
        assert_ne!(a, b, "each key is its own identity");
        assert!(!a.0.contains("k1"), "the identity does not carry the key");
        assert!(configured.identify(&HeaderMap::new()).is_none());
    }
}
