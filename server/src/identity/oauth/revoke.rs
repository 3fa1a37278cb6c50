//! `POST /oauth/revoke` (RFC 7009). The client authenticates as at the token endpoint.
//! Revoking a refresh token (or a code) revokes the whole grant with its access tokens;
//! revoking an access token forgets that token. An unknown, malformed or already revoked token
//! answers 200 like a revoked one (§2.2); a token issued to another client is refused.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::OAuthState;
use super::error::{OAuthError, no_store};
use super::secrets::{self, Kind};
use super::token::{TokenRequest, authenticate_client};

pub async fn revoke(
    State(oauth): State<OAuthState>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(form) =
        form.map_err(|e| OAuthError::InvalidRequest(format!("the request is not a valid form: {}", e.body_text())))?;
    let token = form.token.clone().ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    let client = authenticate_client(&oauth, &headers, &form).await?;
    let store = &oauth.app.store;
    if let Some(parsed) = secrets::parse(&token) {
        let owner = match parsed.kind {
            Kind::Access => store.oauth_access(&parsed.grant, &parsed.hash).await?.map(|v| v.grant.client_id),
            Kind::Refresh => store.oauth_refresh(&parsed.grant, &parsed.hash).await?.map(|v| v.grant.client_id),
            Kind::Code => store.oauth_code(&parsed.grant, &parsed.hash).await?.map(|v| v.grant.client_id),
        };
        match owner {
            Some(owner) if owner != client.client_id => {
                return Err(OAuthError::UnauthorizedClient("the token was issued to another client".into()));
            }
            Some(_) if parsed.kind == Kind::Access => store.oauth_revoke_access(&parsed.grant, &parsed.hash).await?,
            Some(_) => store.oauth_revoke_grant(&parsed.grant).await?,
            None => {}
        }
        tracing::info!(grant = %parsed.grant, kind = ?parsed.kind, client_id = %client.client_id, "oauth: token revoked");
    }
    let mut response = StatusCode::OK.into_response();
    no_store(&mut response);
    Ok(response)
}
