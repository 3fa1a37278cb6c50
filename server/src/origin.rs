//! Browser `Origin` checks for the MCP and API routes (the MCP spec requires them against DNS
//! rebinding), and the matching CORS policy. A request without `Origin` (server-to-server, as
//! ChatGPT's MCP calls are) passes; a present Origin must be on the allow-list or gets 403.
//!
//! The default list: ChatGPT (`https://chatgpt.com`, `https://chat.openai.com`), its widget
//! sandboxes (`https://*.oaiusercontent.com`), localhost and 127.0.0.1 on any port, and the
//! public base URL. `ALLOWED_ORIGINS` adds entries: exact origins, `https://*.example.com`
//! wildcards, `null` (sandboxed iframes without same-origin), or `*` for everything.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ApiErrorCode};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;

/// One allowed origin pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Exact(String),
    /// `scheme://*.suffix`: any subdomain of suffix.
    Subdomain {
        scheme: String,
        suffix: String,
    },
    /// `scheme://host` on any port.
    AnyPort {
        scheme: String,
        host: String,
    },
}

#[derive(Debug, Clone)]
pub struct OriginPolicy {
    patterns: Arc<Vec<Pattern>>,
}

fn parse(entry: &str) -> Option<Pattern> {
    let entry = entry.trim().trim_end_matches('/');
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(Pattern::Any);
    }
    if let Some((scheme, rest)) = entry.split_once("://") {
        if let Some(suffix) = rest.strip_prefix("*.") {
            return Some(Pattern::Subdomain { scheme: scheme.to_lowercase(), suffix: suffix.to_lowercase() });
        }
        if let Some(host) = rest.strip_suffix(":*") {
            return Some(Pattern::AnyPort { scheme: scheme.to_lowercase(), host: host.to_lowercase() });
        }
    }
    Some(Pattern::Exact(entry.to_lowercase()))
}

/// The allowed origins as configured: the defaults, the public base URL's origin, and
/// `ALLOWED_ORIGINS` (also the widget pages' `frame-ancestors`, see `http/security_headers.rs`).
pub fn allowed_origin_entries(config: &Config) -> Vec<String> {
    let mut entries: Vec<String> = [
        "https://chatgpt.com",
        "https://chat.openai.com",
        "https://*.oaiusercontent.com",
        "http://localhost:*",
        "http://127.0.0.1:*",
        "http://[::1]:*",
    ]
    .map(String::from)
    .to_vec();
    entries.push(config.public_base_url().origin().ascii_serialization());
    entries.extend(config.allowed_origins.iter().map(|e| e.trim().trim_end_matches('/').to_owned()));
    entries.retain(|e| !e.is_empty());
    entries
}

impl OriginPolicy {
    pub fn from_config(config: &Config) -> Self {
        let entries = allowed_origin_entries(config);
        OriginPolicy { patterns: Arc::new(entries.iter().filter_map(|e| parse(e)).collect()) }
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.trim().to_lowercase();
        self.patterns.iter().any(|p| match p {
            Pattern::Any => true,
            Pattern::Exact(o) => *o == origin,
            Pattern::Subdomain { scheme, suffix } => {
                origin.strip_prefix(scheme.as_str()).and_then(|r| r.strip_prefix("://")).is_some_and(|host| {
                    let host = host.split(':').next().unwrap_or(host);
                    host.strip_suffix(suffix.as_str()).is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
                })
            }
            Pattern::AnyPort { scheme, host } => {
                origin.strip_prefix(scheme.as_str()).and_then(|r| r.strip_prefix("://")).is_some_and(|rest| {
                    rest == host
                        || rest
                            .strip_prefix(host.as_str())
                            .and_then(|p| p.strip_prefix(':'))
                            .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
                })
            }
        })
    }

    /// CORS for the same origins, with the MCP headers browsers must be allowed to send and read.
    pub fn cors(&self) -> CorsLayer {
        let policy = self.clone();
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
                origin.to_str().is_ok_and(|o| policy.allows(o))
            }))
            .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::ACCEPT,
                "last-event-id".parse().expect("valid header name"),
                "mcp-protocol-version".parse().expect("valid header name"),
                "mcp-session-id".parse().expect("valid header name"),
                "mcp-method".parse().expect("valid header name"),
                "mcp-name".parse().expect("valid header name"),
            ])
            .expose_headers(["mcp-session-id".parse::<header::HeaderName>().expect("valid header name")])
            .max_age(std::time::Duration::from_secs(600))
    }
}

/// Middleware: 403 for a present Origin that is not allowed.
pub async fn check(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| policy.allows(o));
        if !allowed {
            let shown = crate::telemetry::loggable(&String::from_utf8_lossy(origin.as_bytes()), 100).into_owned();
            tracing::warn!(origin = %shown, path = %request.uri().path(), "refused origin");
            let body = ApiError {
                error: ApiErrorCode::ForbiddenOrigin,
                message: "This origin is not allowed to call the Target server.".into(),
                request_id: crate::http::request_log::RequestId::current(),
            };
            return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra: &[&str]) -> OriginPolicy {
        let mut config = Config::defaults();
        config.allowed_origins = extra.iter().map(|s| s.to_string()).collect();
        OriginPolicy::from_config(&config)
    }

    #[test]
    fn chatgpt_and_localhost_are_allowed_by_default() {
        let p = policy(&[]);
        for ok in [
            "https://chatgpt.com",
            "https://abc123.web-sandbox.oaiusercontent.com",
            "http://localhost:5173",
            "http://localhost",
            "http://127.0.0.1:8089",
            "http://localhost:8000",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "https://evil.example.com",
            "https://chatgpt.com.evil.example",
            "https://oaiusercontent.com.evil.example",
            "https://evil-oaiusercontent.com",
            "http://localhost.evil.example",
            "http://localhost:80x",
            "null",
            "http://chatgpt.com",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
    }

    #[test]
    fn allowed_origins_extend_the_list() {
        let p = policy(&["https://app.example.com", "https://*.tunnel.example", "null"]);
        assert!(p.allows("https://app.example.com"));
        assert!(p.allows("https://abc.tunnel.example"));
        assert!(p.allows("null"));
        assert!(!p.allows("https://tunnel.example"));
        assert!(policy(&["*"]).allows("https://anything.example"));
    }
}
