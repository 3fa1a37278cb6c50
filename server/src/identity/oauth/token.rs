//! `POST /oauth/token`: the `authorization_code` grant (PKCE S256) and the `refresh_token`
//! grant (rotation with reuse detection).
//!
//! A code is checked against everything it was bound to — client, redirect URI, PKCE verifier,
//! resource — and any mismatch burns it (the grant is deleted). A code presented a second time
//! deletes the grant with every token issued from it (OAuth 2.1 §4.1.3). Each refresh issues a
//! new access token and a new refresh token; presenting a refresh token that was already
//! rotated away revokes the whole grant (OAuth 2.1 §4.3.1, refresh token reuse detection).
//! Tokens carry the grant's scopes and resource. A `scope` parameter on refresh (RFC 6749 §6)
//! that is a subset of the grant's gets an access token with exactly that scope; the rotated
//! refresh token keeps the grant's scope, as §6 requires, so a later refresh without `scope`
//! gets all of it back. A scope outside the grant is `invalid_scope` (the refresh token is not
//! consumed).
//!
//! A grant is only as good as its account: a code or refresh token whose account is no longer in
//! the accounts file is `invalid_grant`, and the grant is revoked.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::Scope;

use super::OAuthState;
use super::clients::{Client, ClientError};
use super::error::{OAuthError, no_store};
use super::resource::same_resource;
use super::secrets::{self, Kind};
use crate::store::oauth::{GrantId, GrantRecord, NewTokens, Redeem, Rotate, SecretHash};

/// The form of a token (and revocation) request; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
    /// Revocation only.
    pub token: Option<String>,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

/// The client the request authenticates as: HTTP Basic (RFC 6749 §2.3.1) or `client_id` (and,
/// for a confidential client, `client_secret`) in the form.
pub async fn authenticate_client(
    oauth: &OAuthState,
    headers: &HeaderMap,
    form: &TokenRequest,
) -> Result<Client, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .map(|encoded| {
            let decoded = STANDARD.decode(encoded.trim()).ok().and_then(|b| String::from_utf8(b).ok());
            let (id, secret) = decoded.as_deref().and_then(|d| d.split_once(':')).ok_or_else(|| {
                OAuthError::InvalidClient("the Authorization header is not HTTP Basic client credentials".into())
            })?;
            let unescape =
                |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            Ok::<_, OAuthError>((unescape(id).unwrap_or_default(), unescape(secret)))
        })
        .transpose()?;
    let (client_id, secret) = match basic {
        Some((id, secret)) => (id, secret),
        None => (form.client_id.clone().unwrap_or_default(), form.client_secret.clone()),
    };
    if client_id.is_empty() {
        return Err(OAuthError::InvalidRequest("client_id is required".into()));
    }
    let client = match oauth.clients.find(&oauth.app.store, &client_id, oauth.app.clock.now()).await {
        Ok(client) => client,
        Err(ClientError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(OAuthError::InvalidClient(e.to_string())),
    };
    if !client.authenticates(secret.as_deref().filter(|s| !s.is_empty())) {
        return Err(OAuthError::InvalidClient("client authentication failed".into()));
    }
    Ok(client)
}

pub async fn token(
    State(oauth): State<OAuthState>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(form) =
        form.map_err(|e| OAuthError::InvalidRequest(format!("the request is not a valid form: {}", e.body_text())))?;
    let grant_type = form.grant_type.clone().unwrap_or_default();
    if !matches!(grant_type.as_str(), "authorization_code" | "refresh_token") {
        return Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type must be authorization_code or refresh_token, not {grant_type:?}"
        )));
    }
    let client = authenticate_client(&oauth, &headers, &form).await?;
    let now = oauth.app.clock.now();
    let (access, refresh, scopes) = if grant_type == "authorization_code" {
        let (access, refresh, grant) = exchange_code(&oauth, &client, &form, now).await?;
        (access, refresh, grant.scopes)
    } else {
        refresh(&oauth, &client, &form, now).await?
    };
    let body = TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: oauth.app.config.oauth_server.access_token_ttl_secs,
        refresh_token: refresh,
        scope: scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
    };
    let mut response = Json(body).into_response();
    no_store(&mut response);
    Ok(response)
}

/// New access and refresh tokens for `grant`, and their hashes for the store; `access_scopes`
/// narrows the access token (`None`: the grant's scopes).
fn new_tokens(
    oauth: &OAuthState,
    grant: &GrantId,
    access_scopes: Option<BTreeSet<Scope>>,
    now: DateTime<Utc>,
) -> (String, String, NewTokens) {
    let settings = &oauth.app.config.oauth_server;
    let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
    let (access, refresh) = (secrets::issue(Kind::Access, grant), secrets::issue(Kind::Refresh, grant));
    let hashes = NewTokens {
        access: SecretHash::of(&access),
        access_expires_at: now + secs(settings.access_token_ttl_secs),
        access_scopes,
        refresh: SecretHash::of(&refresh),
        refresh_expires_at: now + secs(settings.refresh_token_ttl_secs),
    };
    (access, refresh, hashes)
}

/// `invalid_grant`, with the grant revoked, when the grant's account is no longer in the accounts
/// file (a reloaded configuration, or another instance with another file).
async fn account_exists(oauth: &OAuthState, id: &GrantId, grant: &GrantRecord) -> Result<(), OAuthError> {
    if oauth.app.accounts.user(&grant.account.email).is_some() {
        return Ok(());
    }
    oauth.app.store.oauth_revoke_grant(id).await?;
    tracing::warn!(grant = %id, "oauth: the grant's account no longer exists; grant revoked");
    Err(invalid_grant("the account of this grant no longer exists; the grant is revoked"))
}

fn invalid_grant(why: &str) -> OAuthError {
    OAuthError::InvalidGrant(why.to_owned())
}

async fn exchange_code(
    oauth: &OAuthState,
    client: &Client,
    form: &TokenRequest,
    now: DateTime<Utc>,
) -> Result<(String, String, GrantRecord), OAuthError> {
    let code = form.code.as_deref().ok_or_else(|| OAuthError::InvalidRequest("code is required".into()))?;
    let parsed =
        secrets::parse(code).filter(|p| p.kind == Kind::Code).ok_or_else(|| invalid_grant("the code is not valid"))?;
    let store = &oauth.app.store;
    let view = store
        .oauth_code(&parsed.grant, &parsed.hash)
        .await?
        .ok_or_else(|| invalid_grant("the code is not valid or has expired"))?;
    if view.used {
        store.oauth_revoke_grant(&parsed.grant).await?;
        tracing::warn!(grant = %parsed.grant, client_id = %client.client_id, "oauth: a code was replayed; its grant is revoked");
        return Err(invalid_grant("the code was already used; every token issued with it is revoked"));
    }
    if view.expires_at <= now {
        return Err(invalid_grant("the code has expired"));
    }
    let grant = view.grant;
    let refusal = if grant.client_id != client.client_id {
        Some(invalid_grant("the code was issued to another client"))
    } else if form.redirect_uri.as_deref().map_or(grant.redirect_uri_given, |uri| uri != grant.redirect_uri) {
        Some(invalid_grant("redirect_uri does not match the authorization request"))
    } else if !form.code_verifier.as_deref().is_some_and(|v| secrets::pkce_matches(v, &grant.code_challenge)) {
        Some(invalid_grant("the PKCE code_verifier does not match the code_challenge"))
    } else if form.resource.as_deref().is_some_and(|r| !same_resource(r, &grant.resource)) {
        Some(OAuthError::InvalidTarget("resource is not the one the code was issued for".into()))
    } else {
        None
    };
    account_exists(oauth, &parsed.grant, &grant).await?;
    if let Some(refusal) = refusal {
        // A code is good for one try: whatever was wrong, it is burnt.
        store.oauth_revoke_grant(&parsed.grant).await?;
        tracing::info!(grant = %parsed.grant, error = %refusal, "oauth: code refused");
        return Err(refusal);
    }
    let (access, refresh, tokens) = new_tokens(oauth, &parsed.grant, None, now);
    match store.oauth_redeem_code(&parsed.grant, &parsed.hash, &tokens, now).await? {
        Redeem::Issued => {
            tracing::info!(grant = %parsed.grant, client_id = %client.client_id, "oauth: tokens issued");
            Ok((access, refresh, grant))
        }
        Redeem::Replayed => Err(invalid_grant("the code was already used; every token issued with it is revoked")),
        Redeem::Missing => Err(invalid_grant("the code is not valid or has expired")),
    }
}

/// The refresh grant: the new access token, the new refresh token, and the access token's scopes.
async fn refresh(
    oauth: &OAuthState,
    client: &Client,
    form: &TokenRequest,
    now: DateTime<Utc>,
) -> Result<(String, String, BTreeSet<Scope>), OAuthError> {
    let presented =
        form.refresh_token.as_deref().ok_or_else(|| OAuthError::InvalidRequest("refresh_token is required".into()))?;
    let parsed = secrets::parse(presented)
        .filter(|p| p.kind == Kind::Refresh)
        .ok_or_else(|| invalid_grant("the refresh token is not valid"))?;
    let store = &oauth.app.store;
    let reused = || invalid_grant("the refresh token was already used; the grant is revoked, link the account again");
    let view = store
        .oauth_refresh(&parsed.grant, &parsed.hash)
        .await?
        .ok_or_else(|| invalid_grant("the refresh token is not valid, expired or revoked"))?;
    if view.grant.client_id != client.client_id {
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    if view.reused {
        store.oauth_revoke_grant(&parsed.grant).await?;
        tracing::warn!(grant = %parsed.grant, client_id = %client.client_id, "oauth: refresh token reused; grant revoked");
        return Err(reused());
    }
    if view.expires_at <= now {
        return Err(invalid_grant("the refresh token has expired"));
    }
    account_exists(oauth, &parsed.grant, &view.grant).await?;
    if form.resource.as_deref().is_some_and(|r| !same_resource(r, &view.grant.resource)) {
        return Err(OAuthError::InvalidTarget("resource is not the one the grant was issued for".into()));
    }
    let narrowed = narrowed_scopes(form.scope.as_deref(), &view.grant.scopes)?;
    let scopes = narrowed.clone().unwrap_or_else(|| view.grant.scopes.clone());
    let (access, refresh, tokens) = new_tokens(oauth, &parsed.grant, narrowed, now);
    match store.oauth_rotate_refresh(&parsed.grant, &parsed.hash, &tokens, now).await? {
        Rotate::Rotated => Ok((access, refresh, scopes)),
        Rotate::Reused => {
            tracing::warn!(grant = %parsed.grant, "oauth: refresh token reused; grant revoked");
            Err(reused())
        }
        Rotate::Missing => Err(invalid_grant("the refresh token is not valid, expired or revoked")),
    }
}

/// The scopes a refresh asks for (RFC 6749 §6): `None` when it asks for none (absent or blank:
/// the grant's), the asked set when it is within `granted` (the same set counts as no
/// narrowing), `invalid_scope` otherwise.
fn narrowed_scopes(asked: Option<&str>, granted: &BTreeSet<Scope>) -> Result<Option<BTreeSet<Scope>>, OAuthError> {
    let Some(words) = asked.filter(|s| !s.trim().is_empty()) else { return Ok(None) };
    let asked: BTreeSet<Scope> = words
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::parse::<Scope>)
        .collect::<Result<_, _>>()
        .map_err(|_| OAuthError::InvalidScope(format!("{words:?} names a scope this server does not know")))?;
    if !asked.is_subset(granted) {
        return Err(OAuthError::InvalidScope("scope may not exceed what the shopper granted".into()));
    }
    Ok((asked != *granted).then_some(asked))
}
