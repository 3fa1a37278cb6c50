//! The Host-header check (against DNS rebinding) for every MCP and /api route, legacy SSE
//! included: rmcp checks the Host of Streamable HTTP requests itself, but a rebound browser page
//! could otherwise open a legacy SSE stream or post a sign-in to us under its own host name. The
//! allowed hosts are the same as rmcp's (`mcp::transport::allowed_hosts`: loopback, the public
//! base URL's host, `ALLOWED_HOSTS`), on any port. Anything else gets 403 in the API's JSON shape.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ApiErrorCode};

/// The host names (without port) requests may name.
#[derive(Debug, Clone)]
pub struct AllowedHosts(pub Arc<[String]>);

impl AllowedHosts {
    /// Whether `host` (a Host header or URI authority, with or without a port) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else { return false };
        let name = authority.host();
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        self.0.iter().any(|allowed| allowed.eq_ignore_ascii_case(name) || allowed.eq_ignore_ascii_case(bare))
    }
}

/// Middleware: 403 unless the request's Host (or, in HTTP/2, its authority) is allowed.
pub async fn layer(State(hosts): State<AllowedHosts>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    if host.as_deref().is_some_and(|h| hosts.allows(h)) {
        return next.run(request).await;
    }
    let shown = crate::telemetry::loggable(host.as_deref().unwrap_or("<none>"), 100).into_owned();
    tracing::warn!(host = %shown, path = %request.uri().path(), "refused host (possible DNS rebinding)");
    let body = ApiError {
        error: ApiErrorCode::ForbiddenOrigin,
        message: "This host name is not served here.".into(),
        request_id: crate::http::request_log::RequestId::current(),
    };
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_match_on_any_port_and_nothing_else_does() {
        let hosts =
            AllowedHosts(vec!["localhost".into(), "127.0.0.1".into(), "::1".into(), "shop.example.com".into()].into());
        for ok in ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000", "SHOP.example.com"] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in ["evil.example.com", "localhost.evil.example", "shop.example.com.evil", "", "a b", "127.0.0.2"] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }
}
