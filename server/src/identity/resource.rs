//! The MCP connectors as OAuth protected resources: their resource identifiers (RFC 8707), their
//! protected resource metadata (RFC 9728) and the `WWW-Authenticate` challenges that point at it
//! (RFC 6750 §3, RFC 9728 §5.1).
//!
//! Each connector is its own resource, `PUBLIC_BASE_URL` + its path (`https://host/mcp/all`),
//! with its metadata at `/.well-known/oauth-protected-resource/mcp/all`. The root document
//! `/.well-known/oauth-protected-resource` describes the whole server (`resource` =
//! `PUBLIC_BASE_URL`); a token issued for the whole server is accepted by every connector.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::auth::Scope;

use crate::mcp::connector::Connector;
use crate::state::AppState;

/// Where protected resource metadata lives (RFC 9728 §3).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// One protected resource: an MCP connector, or the whole server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResource {
    /// The resource identifier: the URL clients connect to, and the audience tokens must name.
    pub url: String,
    /// The URL of its protected resource metadata.
    pub metadata_url: String,
    /// The identifier of the whole server, whose tokens this resource accepts too.
    pub server_url: String,
}

impl ProtectedResource {
    /// The resource at `path` (a connector's path, or `""` for the whole server) under
    /// `public_base` (no trailing slash).
    pub fn at(public_base: &str, path: &str) -> Self {
        ProtectedResource {
            url: format!("{public_base}{path}"),
            metadata_url: format!("{public_base}{METADATA_PATH}{path}"),
            server_url: public_base.to_owned(),
        }
    }

    pub fn connector(public_base: &str, connector: Connector) -> Self {
        Self::at(public_base, connector.path())
    }

    /// The `WWW-Authenticate` value for `problem`.
    pub fn challenge(&self, problem: &Challenge) -> String {
        let mut value = format!("Bearer resource_metadata=\"{}\"", self.metadata_url);
        let (error, description, scopes) = match problem {
            Challenge::LinkRequired { scopes } => (None, "Link your Target account to use this tool.", *scopes),
            Challenge::InvalidToken => (
                Some("invalid_token"),
                "The access token is invalid, expired or revoked; link your Target account again.",
                &[][..],
            ),
            Challenge::InsufficientScope { scopes } => {
                (Some("insufficient_scope"), "The linked Target account did not grant what this tool needs.", *scopes)
            }
        };
        if let Some(error) = error {
            value.push_str(&format!(", error=\"{error}\""));
        }
        value.push_str(&format!(", error_description=\"{description}\""));
        if !scopes.is_empty() {
            let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            value.push_str(&format!(", scope=\"{}\"", scopes.join(" ")));
        }
        value
    }

    /// The metadata document, naming `authorization_server`.
    pub fn metadata(&self, authorization_server: &str, name: &str) -> ResourceMetadata {
        ResourceMetadata {
            resource: self.url.clone(),
            authorization_servers: vec![authorization_server.to_owned()],
            scopes_supported: Scope::ALL.to_vec(),
            bearer_methods_supported: vec!["header"],
            resource_name: name.to_owned(),
        }
    }
}

/// Why a call needs (other) credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// No token: the tool needs a linked account with these scopes. RFC 6750 §3.1: a request
    /// without credentials gets no error code.
    LinkRequired { scopes: &'static [Scope] },
    /// The token was refused.
    InvalidToken,
    /// The token lacks these scopes.
    InsufficientScope { scopes: &'static [Scope] },
}

/// RFC 9728 §2 metadata (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceMetadata {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<Scope>,
    pub bearer_methods_supported: Vec<&'static str>,
    pub resource_name: String,
}

/// The authorization server this server's metadata names: `OAUTH_ISSUER`, or the server itself
/// (the built-in authorization server).
pub fn authorization_server(state: &AppState) -> String {
    match state.config.oauth_issuer.as_ref() {
        Some(issuer) => issuer.as_str().trim_end_matches('/').to_owned(),
        None => state.config.public_base(),
    }
}

fn metadata_response(state: &AppState, resource: &ProtectedResource, name: &str) -> Response {
    let mut response = Json(resource.metadata(&authorization_server(state), name)).into_response();
    // Public and the same for everyone: clients and proxies may keep it a while.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

/// CORS for the metadata: public documents that browser-based MCP clients read from any origin.
pub fn cors() -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET])
        .allow_headers([header::ACCEPT, axum::http::HeaderName::from_static("mcp-protocol-version")])
}

/// `GET /.well-known/oauth-protected-resource`: the whole server.
pub async fn server_metadata(State(state): State<AppState>) -> Response {
    let resource = ProtectedResource::at(&state.config.public_base(), "");
    metadata_response(&state, &resource, "Target")
}

/// `GET /.well-known/oauth-protected-resource/{*path}`: one connector (404 for other paths).
pub async fn connector_metadata(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let path = format!("/{}", path.trim_end_matches('/'));
    let Some(connector) = Connector::ALL.into_iter().find(|c| c.path() == path) else {
        return (StatusCode::NOT_FOUND, "no protected resource at this path").into_response();
    };
    let resource = ProtectedResource::connector(&state.config.public_base(), connector);
    metadata_response(&state, &resource, &format!("Target ({})", connector.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_resources_and_their_metadata_urls() {
        let r = ProtectedResource::connector("https://shop.example", Connector::All);
        assert_eq!(r.url, "https://shop.example/mcp/all");
        assert_eq!(r.metadata_url, "https://shop.example/.well-known/oauth-protected-resource/mcp/all");
        let whole = ProtectedResource::at("https://shop.example", "");
        assert_eq!(whole.url, "https://shop.example");
        assert_eq!(whole.metadata_url, "https://shop.example/.well-known/oauth-protected-resource");
    }

    #[test]
    fn challenges_name_the_metadata_the_error_and_the_scopes() {
        let r = ProtectedResource::connector("https://shop.example", Connector::All);
        let invalid = r.challenge(&Challenge::InvalidToken);
        assert!(invalid.starts_with(
            "Bearer resource_metadata=\"https://shop.example/.well-known/oauth-protected-resource/mcp/all\""
        ));
        assert!(invalid.contains("error=\"invalid_token\""), "{invalid}");
        let scope = r.challenge(&Challenge::InsufficientScope { scopes: &[Scope::Cart, Scope::Orders] });
        assert!(scope.contains("error=\"insufficient_scope\"") && scope.contains("scope=\"cart orders\""), "{scope}");
        let link = r.challenge(&Challenge::LinkRequired { scopes: &[Scope::Orders] });
        assert!(!link.contains("error=") && link.contains("scope=\"orders\""), "{link}");
    }
}
