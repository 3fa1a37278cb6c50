//! Prometheus metrics (the `metrics` facade and `metrics-exporter-prometheus`), served at
//! `GET /metrics` to a client with `Authorization: Bearer <METRICS_TOKEN>`. Without
//! `METRICS_TOKEN` no recorder is installed: the recording calls below cost next to nothing and
//! `/metrics` answers 404.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `status` (every answer's status code: 4xx, 5xx, 429, 413, 408, …) |
//! | `http_request_duration_seconds` | histogram | |
//! | `mcp_tool_calls_total` | counter | `tool`, `outcome` (`ok`, `tool_error`, `rpc_error`) |
//! | `mcp_tool_call_duration_seconds` | histogram | `tool` |
//! | `mcp_sse_streams_open` | gauge | |
//! | `store_operation_duration_seconds` | histogram | `operation` (Redis store) |
//! | `store_errors_total` | counter | `operation` (Redis store) |
//! | `unwrangle_cache_total` | counter | `result` (`hit`, `miss`) |

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Buckets of every latency histogram, in seconds (0.5 ms … 10 s).
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls share it). `None` if another recorder
/// was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(&LATENCY_BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: cannot install the Prometheus recorder");
                    None
                }
            }
        })
        .clone()
}

/// `GET /metrics`: the Prometheus text format, for the bearer of `METRICS_TOKEN`.
pub async fn endpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_ref().filter(|t| !t.expose().is_empty()) else {
        return (StatusCode::NOT_FOUND, "metrics are off: set METRICS_TOKEN").into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.expose().as_bytes())) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a valid bearer token is required")
            .into_response();
    }
    match install() {
        Some(handle) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One answered HTTP request.
pub fn http_request(status: u16, latency: Duration) {
    metrics::counter!("http_requests_total", "status" => status_label(status)).increment(1);
    metrics::histogram!("http_request_duration_seconds").record(latency.as_secs_f64());
}

/// One tool call, whichever path served it.
pub fn tool_call(tool: &'static str, outcome: &'static str, latency: Duration) {
    metrics::counter!("mcp_tool_calls_total", "tool" => tool, "outcome" => outcome).increment(1);
    metrics::histogram!("mcp_tool_call_duration_seconds", "tool" => tool).record(latency.as_secs_f64());
}

/// A legacy SSE stream opened (`+1`) or closed (`-1`).
pub fn sse_streams(delta: f64) {
    metrics::gauge!("mcp_sse_streams_open").increment(delta);
}

/// One store operation against Redis.
pub fn store_operation(operation: &'static str, latency: Duration, failed: bool) {
    metrics::histogram!("store_operation_duration_seconds", "operation" => operation).record(latency.as_secs_f64());
    if failed {
        metrics::counter!("store_errors_total", "operation" => operation).increment(1);
    }
}

/// One Unwrangle search answered from the cache or not.
pub fn unwrangle_cache(hit: bool) {
    metrics::counter!("unwrangle_cache_total", "result" => if hit { "hit" } else { "miss" }).increment(1);
}

/// Status codes as static labels (no allocation per request); rare codes by class.
fn status_label(status: u16) -> &'static str {
    const CODES: [(u16, &str); 24] = [
        (200, "200"),
        (201, "201"),
        (202, "202"),
        (204, "204"),
        (301, "301"),
        (302, "302"),
        (304, "304"),
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (405, "405"),
        (406, "406"),
        (408, "408"),
        (409, "409"),
        (413, "413"),
        (415, "415"),
        (421, "421"),
        (422, "422"),
        (429, "429"),
        (500, "500"),
        (502, "502"),
        (503, "503"),
        (504, "504"),
    ];
    if let Some((_, label)) = CODES.iter().find(|(code, _)| *code == status) {
        return label;
    }
    match status {
        ..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_keep_the_codes_the_issue_names() {
        for code in [408u16, 413, 429, 500, 503] {
            assert_eq!(status_label(code), code.to_string());
        }
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(599), "5xx");
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
