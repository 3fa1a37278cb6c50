//! The request body limit of the MCP endpoints, checked first: the body is read here, up to the
//! limit, and handed on in one piece, so later layers (the rate limiter's session peek, rmcp,
//! the SSE POST handler) never see a body larger than the limit nor a read error half-way (rmcp
//! answers those with 500). The refusal is 413 in the API's JSON error shape, naming the limit
//! (a [`Refusal`], which the ACP routes answer in their own shape).
//!
//! A refused body is still read (and dropped) up to [`DRAIN_MAX_BYTES`] and for at most
//! [`DRAIN_TIME`] before the answer, which closes the connection: a client that sends its whole
//! body before reading (most do) then reads the 413, where closing with its body unread would
//! reset the connection under it. A declared `Content-Length` above the drain cap is answered at
//! once.
//!
//! With a read deadline (the MCP endpoints: `MCP_BODY_TIMEOUT_SECS`), a body not complete by
//! then — a client that sends its headers and then trickles or withholds the body — is answered
//! 408 and the connection closed, so it cannot hold a connection and a task forever. The REST
//! routes need none here: their request timeout (`timeout.rs`) wraps this layer. The deadline
//! counts from when this layer starts reading, and holds however the bytes are spread out (a byte
//! every second does not reset it).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http_body_util::LengthLimitError;

use super::refusal::Refusal;

/// The largest body, in bytes; also put in the request extensions for later layers.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// What [`layer`] enforces: the largest body and, optionally, how long it may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    pub limit: BodyLimit,
    pub read_deadline: Option<Duration>,
}

impl BodyRules {
    /// At most `limit` bytes, however long they take (an outer timeout bounds the time).
    pub fn limit(limit: usize) -> Self {
        BodyRules { limit: BodyLimit(limit), read_deadline: None }
    }

    /// And the whole body within `deadline`, else 408.
    pub fn with_read_deadline(self, deadline: Duration) -> Self {
        BodyRules { read_deadline: Some(deadline), ..self }
    }
}

/// Most of a refused body read and dropped before the 413.
pub const DRAIN_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Longest time spent reading a refused body before the 413.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Middleware: 413 for a body above the limit, 408 for one not complete by the read deadline;
/// otherwise the body, read whole.
pub async fn layer(State(rules): State<BodyRules>, request: Request, next: Next) -> Response {
    let BodyLimit(limit) = rules.limit;
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let (mut parts, body) = request.into_parts();
    if declared.is_some_and(|len| len > limit as u64) {
        if declared.is_some_and(|len| len <= DRAIN_MAX_BYTES as u64) {
            drain(body.into_data_stream()).await;
        }
        return too_large(limit);
    }
    let reading = read(body, limit);
    let outcome = match rules.read_deadline {
        Some(deadline) => tokio::time::timeout(deadline, reading).await.unwrap_or(Err(Read::TooSlow(deadline))),
        None => reading.await,
    };
    let bytes = match outcome {
        Ok(bytes) => bytes,
        Err(Read::TooLarge) => return too_large(limit),
        Err(Read::TooSlow(deadline)) => return too_slow(&parts, deadline),
        Err(Read::Failed) => {
            return Refusal::BadBody("The request body could not be read.".into()).into_response();
        }
    };
    // Later layers that read the body name this limit in their 413.
    parts.extensions.insert(BodyLimit(limit));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

enum Read {
    TooLarge,
    /// Not complete within this deadline.
    TooSlow(Duration),
    Failed,
}

/// The whole body if it fits in `limit` bytes; past the limit, the rest is drained.
async fn read(body: Body, limit: usize) -> Result<Bytes, Read> {
    let mut stream = body.into_data_stream();
    let mut first: Option<Bytes> = None;
    let mut more: Vec<u8> = Vec::new();
    let mut len = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Read::Failed)?;
        len = len.saturating_add(chunk.len());
        if len > limit {
            drain(stream).await;
            return Err(Read::TooLarge);
        }
        match &first {
            None => first = Some(chunk),
            Some(head) => {
                if more.is_empty() {
                    more.extend_from_slice(head);
                }
                more.extend_from_slice(&chunk);
            }
        }
    }
    Ok(if more.is_empty() { first.unwrap_or_default() } else { Bytes::from(more) })
}

/// Reads and drops up to [`DRAIN_MAX_BYTES`] of what is left, for at most [`DRAIN_TIME`].
async fn drain(mut stream: axum::body::BodyDataStream) {
    let mut seen = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen = seen.saturating_add(chunk.len());
            if seen > DRAIN_MAX_BYTES {
                break;
            }
        }
    })
    .await;
}

/// The 413, closing the connection (what is left of the body is not read).
fn too_large(limit: usize) -> Response {
    let mut response = Refusal::BodyTooLarge { limit_bytes: limit }.into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The 408 for a body not complete in time, closing the connection (the rest is not read).
fn too_slow(parts: &axum::http::request::Parts, deadline: Duration) -> Response {
    tracing::info!(path = %parts.uri.path(), after_secs = deadline.as_secs(), "request body too slow; answered 408");
    let mut response = Refusal::BodyTimedOut { after_secs: deadline.as_secs() }.into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Whether a body-reading error is the limit being hit (as opposed to the client going away).
pub fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    fn app(rules: BodyRules) -> Router {
        Router::new()
            .route("/", post(|body: Bytes| async move { body.len().to_string() }))
            .layer(from_fn_with_state(rules, layer))
    }

    /// A body of `n` one-byte chunks, one every `every` (tokio time: paused in these tests).
    fn trickle(n: usize, every: Duration) -> Body {
        let chunks = futures::stream::iter(0..n).then(move |_| async move {
            tokio::time::sleep(every).await;
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        });
        Body::from_stream(chunks)
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_is_cut_at_the_deadline_however_often_a_byte_arrives() {
        let rules = BodyRules::limit(1024).with_read_deadline(Duration::from_secs(1));
        // A byte every 100 ms for 100 bytes: never idle for long, 10 s in all.
        let request = Request::post("/").body(trickle(100, Duration::from_millis(100))).expect("request");
        let started = tokio::time::Instant::now();
        let response = app(rules).oneshot(request).await.expect("answered");
        assert_eq!(response.status(), axum::http::StatusCode::REQUEST_TIMEOUT);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(2),
            "at the deadline, not at the body's end: {took:?}"
        );
        assert_eq!(response.headers()[header::CONNECTION], "close");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        assert!(String::from_utf8_lossy(&body).contains("did not arrive within 1 seconds"));

        // In time, the same body passes; without a deadline, any time does.
        let quick = Request::post("/").body(trickle(5, Duration::from_millis(100))).expect("request");
        assert_eq!(app(rules).oneshot(quick).await.expect("answered").status(), 200);
        let slow = Request::post("/").body(trickle(100, Duration::from_millis(100))).expect("request");
        assert_eq!(app(BodyRules::limit(1024)).oneshot(slow).await.expect("answered").status(), 200);
    }
}
