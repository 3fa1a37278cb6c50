//! The request body limit of the MCP endpoints, checked first: the body is read here, up to the
//! limit, and handed on in one piece, so later layers (the rate limiter's session peek, rmcp,
//! the SSE POST handler) never see a body larger than the limit nor a read error half-way (rmcp
//! answers those with 500). A `Content-Length` above the limit is refused before reading. The
//! refusal is 413 in the API's JSON error shape, naming the limit.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;

use crate::error::AppError;

/// The largest body, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Middleware: 413 for a body above the limit; otherwise the body, read whole.
pub async fn layer(State(BodyLimit(limit)): State<BodyLimit>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return AppError::BodyTooLarge { limit_bytes: limit }.into_response();
    }
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) if is_too_large(&e) => return AppError::BodyTooLarge { limit_bytes: limit }.into_response(),
        Err(_) => return AppError::InvalidInput("The request body could not be read.".into()).into_response(),
    };
    // Later layers that read the body name this limit in their 413.
    parts.extensions.insert(BodyLimit(limit));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
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
