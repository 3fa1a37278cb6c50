//! Around every request, outermost: its id and its access log line.
//!
//! - **Request id**: the client's `x-request-id` if it is a sane token (1–128 characters of
//!   letters, digits, `-`, `_`, `.`, `:`), else 16 random hex digits. Every log line written while
//!   the request is handled carries it (a `request{id=…}` span), every answer has it in the
//!   `x-request-id` header, and the JSON error answers in their `requestId` field
//!   ([`RequestId::current`]).
//! - **Access log**: one line per request at `info`: method, path, status, latency, client IP
//!   and, for a tool call, the tool, its outcome and the session prefix (which the tool call
//!   leaves in the request's [`ToolNote`]). It also feeds the HTTP metrics.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::client_ip::{self, TrustForwardedFor};
use crate::telemetry::loggable;

/// The header a request id comes in and goes out with.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of one request; in the request's extensions, and current while it is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request this task is handling, if any (for error answers).
    pub fn current() -> Option<String> {
        CURRENT.try_with(|id| id.0.to_string()).ok()
    }

    /// The client's id if it is a sane token, else a fresh one.
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let given = value.and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| {
            (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
        match given {
            Some(id) => RequestId(Arc::from(id)),
            None => RequestId(Arc::from(format!("{:016x}", rand::random::<u64>()))),
        }
    }
}

/// Characters of a request's path in its log line.
const MAX_LOGGED_PATH: usize = 200;
/// Characters of a tool call's session prefix in its log line.
const MAX_LOGGED_SESSION: usize = 16;

/// The client's address in a log line (nothing when unknown), written without a `String`.
struct Client(Option<IpAddr>);

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => Ok(()),
        }
    }
}

/// What a tool call tells its request's access log line.
#[derive(Debug, Clone, Default)]
pub struct ToolNote(Arc<OnceLock<ToolCall>>);

#[derive(Debug, Clone)]
pub struct ToolCall {
    pub tool: &'static str,
    pub outcome: &'static str,
    pub session: String,
}

impl ToolNote {
    /// Records the call (the first one, if a request somehow made two).
    pub fn set(&self, call: ToolCall) {
        let _ = self.0.set(call);
    }
}

/// Middleware: the request id, its span, the access log line and the HTTP metrics.
pub async fn layer(State(trust): State<TrustForwardedFor>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::from_header(request.headers().get(REQUEST_ID_HEADER));
    let note = ToolNote::default();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let client = client_ip::resolve(request.headers(), peer, trust.0);
    request.extensions_mut().insert(id.clone());
    request.extensions_mut().insert(note.clone());
    // The id is a sane token (see `RequestId::from_header`): written as it is.
    let span = tracing::info_span!("request", id = %id.as_str());
    let mut response = CURRENT.scope(id.clone(), next.run(request)).instrument(span.clone()).await;
    let latency = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    crate::metrics::http_request(status, latency);
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let client = Client(client);
    // Fields as text, not `Debug` (which quotes and escapes every character): the path and
    // session are the client's text made safe by `loggable`, the rest is ours.
    let path = loggable(&path, MAX_LOGGED_PATH);
    let _in_request = span.enter();
    match note.0.get() {
        Some(call) => tracing::info!(
            method = %method,
            path = %path,
            status,
            latency_ms,
            client = %client,
            tool = call.tool,
            outcome = call.outcome,
            session = %loggable(&call.session, MAX_LOGGED_SESSION),
            "request"
        ),
        None => tracing::info!(method = %method, path = %path, status, latency_ms, client = %client, "request"),
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        let kept = RequestId::from_header(Some(&HeaderValue::from_static("req-42.a_b:c")));
        assert_eq!(kept.as_str(), "req-42.a_b:c");
        for bad in ["", "has space", "<script>", &"x".repeat(129)] {
            let id = RequestId::from_header(Some(&HeaderValue::from_str(bad).expect("header")));
            assert_ne!(id.as_str(), bad);
            assert_eq!(id.as_str().len(), 16, "a generated id: {}", id.as_str());
        }
        let a = RequestId::from_header(None);
        let b = RequestId::from_header(None);
        assert_ne!(a, b, "generated ids differ");
    }
}
