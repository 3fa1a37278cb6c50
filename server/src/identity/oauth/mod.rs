//! The built-in OAuth 2.1 authorization server (issue 11), whose users are the accounts file.
//! ChatGPT (or any MCP client) links a shopper's Target account through it; the MCP endpoints
//! then accept its access tokens through [`BuiltinTokens`] (the resource-server side lives
//! with the token checks, `identity/token.rs`).
//!
//! - [`metadata`]: RFC 8414 metadata at `/.well-known/oauth-authorization-server`.
//! - [`clients`]: the predefined client, Client ID Metadata Documents ([`cimd`]) and
//!   dynamically registered clients ([`register`], RFC 7591).
//! - [`authorize`]: `GET /oauth/authorize` shows the sign-in and consent page ([`page`], a
//!   Leptos component rendered on the server); `POST` checks the password like every sign-in
//!   form (`identity::signin`) and redirects with a code.
//! - [`token`]: `POST /oauth/token`, the `authorization_code` (PKCE S256) and `refresh_token`
//!   (rotating, reuse revokes the grant) grants.
//! - [`revoke`]: `POST /oauth/revoke` (RFC 7009).
//! - [`secrets`]: the form of codes and tokens, PKCE; [`resource`]: RFC 8707 audiences.
//! - [`verifier`]: [`BuiltinTokens`], the `TokenVerifier` for our access tokens.
//!
//! Grants, codes and tokens live in the `Store` (memory or Redis) as SHA-256 hashes only
//! (`store/oauth.rs`), so any instance sharing the store verifies any token.

pub mod authorize;
pub mod cimd;
pub mod clients;
pub mod error;
pub mod metadata;
pub mod page;
pub mod register;
pub mod resource;
pub mod revoke;
pub mod secrets;
pub mod token;
pub mod verifier;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use self::verifier::BuiltinTokens;
use crate::http::rate_limit::{self, RequestLimiter};
use crate::state::AppState;

/// What the authorization server's handlers share: the app's state and the client registry.
#[derive(Clone)]
pub struct OAuthState {
    pub app: AppState,
    pub clients: Arc<clients::Clients>,
}

impl OAuthState {
    /// Fails with a readable message when the OAuth configuration is invalid.
    pub fn new(app: AppState) -> Result<Self, String> {
        let clients = clients::Clients::from_config(&app.config.oauth_server)?;
        Ok(OAuthState { app, clients: Arc::new(clients) })
    }
}

/// The authorization server's routes; `signin` limits the sign-in POST like
/// `/api/session/authenticate` (the sign-in rate limit per client IP), and registration too
/// (each one is stored for good, so one client IP may not register faster than it may sign in).
pub fn routes(oauth: OAuthState, signin: Option<RequestLimiter>) -> Router {
    let mut sign_in = post(authorize::sign_in);
    let mut register = post(register::register);
    if let Some(limiter) = signin {
        sign_in = sign_in.route_layer(from_fn_with_state(limiter.clone(), rate_limit::layer));
        register = register.route_layer(from_fn_with_state(limiter, rate_limit::layer));
    }
    Router::new()
        .route(metadata::METADATA_PATH, get(metadata::metadata))
        .route(metadata::AUTHORIZE_PATH, get(authorize::page).merge(sign_in))
        .route(metadata::TOKEN_PATH, post(token::token))
        .route(metadata::REGISTER_PATH, register)
        .route(metadata::REVOKE_PATH, post(revoke::revoke))
        .with_state(oauth)
}
