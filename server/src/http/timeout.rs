//! The request timeout of the REST endpoints: a request that takes longer than
//! `REQUEST_TIMEOUT_SECS` from the first byte of its body to the answer (a client that never
//! finishes sending counts) is answered 408 in the API's JSON error shape, as the MCP transport
//! answers its own timeouts (`mcp/transport.rs`); the ACP routes answer it in theirs (a [`Refusal`]).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::refusal::Refusal;

/// How long a request may take.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// Middleware: the inner answer, or 408 once the time is up.
pub async fn layer(State(RequestTimeout(after)): State<RequestTimeout>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(after, next.run(request)).await {
        Ok(response) => response,
        Err(_elapsed) => {
            tracing::warn!(path, after_secs = after.as_secs(), "request timed out");
            Refusal::TimedOut.into_response()
        }
    }
}
