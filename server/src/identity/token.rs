//! What a verified access token says, and the seam every token issuer plugs into.
//!
//! The resource server (the MCP endpoints) only ever sees [`AccessClaims`]; whether they came
//! from the built-in authorization server (opaque tokens looked up by hash in the store) or from
//! an external issuer's JWT is the [`TokenVerifier`]'s business.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::auth::{Scope, User};

/// The identity and rights a valid bearer token carries. Serializable so a legacy SSE POST
/// relayed to another instance carries its verified identity along (`mcp/sse_relay.rs`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    /// The linked Target account the token acts for.
    pub account: User,
    /// What the token may do.
    pub scopes: BTreeSet<Scope>,
    /// The OAuth client the token was issued to, when the issuer says.
    pub client_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl AccessClaims {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Why a bearer token was refused. Every variant answers 401 `invalid_token`; the variants
/// exist for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is unknown or revoked")]
    Unknown,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued for another resource")]
    WrongAudience,
    #[error("the token's signature or issuer does not check out: {0}")]
    Untrusted(String),
    #[error("the token names no known account")]
    UnknownAccount,
    #[error("the token could not be checked right now: {0}")]
    Unavailable(String),
}

/// Checks a bearer token for `resource` (the connector's public URL, RFC 8707 audience).
#[async_trait]
pub trait TokenVerifier: Send + Sync + 'static {
    async fn verify(&self, token: &str, resource: &str, now: DateTime<Utc>) -> Result<Arc<AccessClaims>, TokenError>;
}
