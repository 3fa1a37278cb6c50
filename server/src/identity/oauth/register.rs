//! `POST /oauth/register`: dynamic client registration (RFC 7591) of public clients.
//!
//! A client sends its metadata as JSON; we keep its name and redirect URIs and answer 201 with a
//! new `client_id` (`dcr_` + 128 random bits) and no secret: `token_endpoint_auth_method` is
//! `none` and PKCE protects the code. A client asking for `client_secret_basic`/`_post` is
//! registered public anyway (the answer says `none`); key-based authentication methods, grant
//! types other than `authorization_code` and `refresh_token`, and response types other than
//! `code` are refused with `invalid_client_metadata`; a redirect URI that is not https or
//! loopback http with `invalid_redirect_uri`. Registered clients are stored (both stores) until
//! unused for `OAUTH_CLIENT_IDLE_DAYS` (`clients.rs` renews them on use).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::OAuthState;
use super::clients::{Client, ClientKind, REGISTERED_PREFIX, check_redirect_uris, clean_name};
use super::error::{OAuthError, no_store};
use crate::store::oauth::RecordKind;

const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

#[derive(Debug, Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
    #[serde(default)]
    client_name: Option<String>,
}

#[derive(Debug, Serialize)]
struct RegistrationResponse {
    client_id: String,
    client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_name: Option<String>,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    response_types: Vec<&'static str>,
    token_endpoint_auth_method: &'static str,
}

pub async fn register(
    State(oauth): State<OAuthState>,
    body: Result<Json<RegistrationRequest>, JsonRejection>,
) -> Result<Response, OAuthError> {
    if !oauth.app.config.oauth_server.dynamic_registration {
        return Err(OAuthError::InvalidRequest("dynamic client registration is turned off on this server".into()));
    }
    let Json(request) = body.map_err(|e| {
        OAuthError::InvalidClientMetadata(format!("the registration is not valid JSON: {}", e.body_text()))
    })?;
    check_redirect_uris(&request.redirect_uris).map_err(OAuthError::InvalidRedirectUri)?;
    // Every registered client is public. A client asking for a shared secret is registered
    // public all the same (RFC 7591 §3.2.1 lets the server substitute a value; the answer says
    // "none" and carries no secret, which MCP SDK clients follow); key-based methods are refused.
    match request.token_endpoint_auth_method.as_deref() {
        None | Some("none" | "client_secret_basic" | "client_secret_post") => {}
        Some(other) => {
            return Err(OAuthError::InvalidClientMetadata(format!(
                "token_endpoint_auth_method {other:?} is not supported: clients are public (\"none\", with PKCE)"
            )));
        }
    }
    let grant_types = request.grant_types.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(other) = grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(OAuthError::InvalidClientMetadata(format!("grant type {other:?} is not supported")));
    }
    if let Some(other) = request.response_types.iter().flatten().find(|r| *r != "code") {
        return Err(OAuthError::InvalidClientMetadata(format!("response type {other:?} is not supported")));
    }
    let now = oauth.app.clock.now();
    let client = Client {
        client_id: format!("{REGISTERED_PREFIX}{:032x}", rand::random::<u128>()),
        kind: ClientKind::Registered,
        client_name: clean_name(request.client_name.as_deref()),
        redirect_uris: request.redirect_uris,
        secret_hash: None,
        created_at: Some(now),
    };
    let json = serde_json::to_string(&client).map_err(|e| OAuthError::Unavailable(e.to_string()))?;
    let expires_at = Some(oauth.clients.registered_expiry(now));
    oauth.app.store.oauth_put_record(RecordKind::Client, &client.client_id, &json, expires_at, now).await?;
    tracing::info!(client_id = %client.client_id, name = ?client.client_name, "oauth client registered");
    let body = RegistrationResponse {
        client_id: client.client_id,
        client_id_issued_at: now.timestamp(),
        client_name: client.client_name,
        redirect_uris: client.redirect_uris,
        grant_types,
        response_types: vec!["code"],
        token_endpoint_auth_method: "none",
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    no_store(&mut response);
    Ok(response)
}
