//! The request body limit of the MCP endpoints, checked first: the body is read here, up to the
//! limit, and handed on in one piece, so later layers (the rate limiter's session peek, rmcp,
//! the SSE POST handler) never see a body larger than the limit nor a read error half-way (rmcp
//! answers those with 500). The refusal is 413 in the API's JSON error shape, naming the limit.
//!
//! A refused body is still read (and dropped) up to [`DRAIN_MAX_BYTES`] and for at most
//! [`DRAIN_TIME`] before the answer, which closes the connection: a client that sends its whole
//! body before reading (most do) then reads the 413, where closing with its body unread would
//! reset the connection under it. A declared `Content-Length` above the drain cap is answered at
//! once.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http_body_util::LengthLimitError;

use crate::error::AppError;

/// The largest body, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Most of a refused body read and dropped before the 413.
pub const DRAIN_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Longest time spent reading a refused body before the 413.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Middleware: 413 for a body above the limit; otherwise the body, read whole.
pub async fn layer(State(BodyLimit(limit)): State<BodyLimit>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let (mut parts, body) = request.into_parts();
    if declared.is_some_and(|len| len > limit as u64) {
        if declared.is_some_and(|len| len <= DRAIN_MAX_BYTES as u64) {
            drain(body.into_data_stream()).await;
        }
        return too_large(limit);
    }
    let bytes = match read(body, limit).await {
        Ok(bytes) => bytes,
        Err(Read::TooLarge) => return too_large(limit),
        Err(Read::Failed) => {
            return AppError::InvalidInput("The request body could not be read.".into()).into_response();
        }
    };
    // Later layers that read the body name this limit in their 413.
    parts.extensions.insert(BodyLimit(limit));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

enum Read {
    TooLarge,
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
    let mut response = AppError::BodyTooLarge { limit_bytes: limit }.into_response();
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
