//! The authorization endpoint: `GET /oauth/authorize` checks the request and shows the sign-in
//! and consent page; `POST /oauth/authorize` (the page's form) signs the shopper in and sends
//! the browser back to the client with a code.
//!
//! Errors found before the client and its redirect URI are trusted (unknown client, a redirect
//! URI it did not register) are shown on a page, never redirected (RFC 6749 §4.1.2.1). Later
//! errors go back to the redirect URI as `error=…` with `state` and `iss`.
//!
//! The GET stores the checked request as a pending request (a `Store` record, both backends,
//! under the hash of a random handle, for `OAUTH_SIGNIN_PAGE_TTL_SECS`) and binds it to the
//! browser: a cookie carries a random browser id whose hash the request keeps, and the form
//! carries the handle and a CSRF token whose hash it keeps too. The POST needs all three to
//! match, so a form posted from another site, or with a handle from another browser, is refused.
//! The password goes through `identity::signin::check_password`: the same lockout, argon2 and
//! (on this route) sign-in rate limit as `POST /api/session/authenticate`.

use std::collections::BTreeSet;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::Scope;

use super::OAuthState;
use super::clients::{ClientError, host_of};
use super::page::{self, SignInView};
use super::resource;
use super::secrets::{self, Kind};
use crate::error::AppError;
use crate::identity::signin;
use crate::store::oauth::{GrantId, GrantRecord, RecordKind, SecretHash};

/// The cookie that binds a pending request to the browser that asked for it.
pub const BROWSER_COOKIE: &str = "target_oauth_browser";
const MAX_STATE_BYTES: usize = 2048;

/// The query of `GET /oauth/authorize`.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    resource: Option<String>,
}

/// A checked authorization request waiting for the shopper.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pending {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    redirect_uri_given: bool,
    scopes: BTreeSet<Scope>,
    state: Option<String>,
    code_challenge: String,
    resource: String,
    csrf_hash: SecretHash,
    browser_hash: SecretHash,
}

/// The page's form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    action: String,
}

/// An HTML page with the page CSP: nothing loads or runs; the form may post to us, and the
/// redirect after it may go to `redirect_origin`.
fn html(status: StatusCode, body: String, redirect_origin: Option<&str>) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'{}; \
         frame-ancestors 'none'; base-uri 'none'",
        redirect_origin.map(|o| format!(" {o}")).unwrap_or_default()
    );
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn problem(status: StatusCode, message: &str) -> Response {
    html(status, page::problem(message), None)
}

fn origin_of(uri: &str) -> Option<String> {
    url::Url::parse(uri).ok().map(|u| u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The redirect back to the client with `params` (plus `state` and `iss`).
fn back_to_client(oauth: &OAuthState, redirect_uri: &str, state: Option<&str>, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return problem(StatusCode::BAD_REQUEST, "The app's redirect address is not valid.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &oauth.app.config.public_base());
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn redirect_error(
    oauth: &OAuthState,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    back_to_client(oauth, redirect_uri, state, &[("error", error), ("error_description", description)])
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The scopes of a `scope` parameter; absent or empty means every scope.
fn parse_scopes(scope: Option<&str>) -> Result<BTreeSet<Scope>, String> {
    let words: Vec<&str> = scope.unwrap_or_default().split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Ok(Scope::ALL.iter().copied().collect());
    }
    words.into_iter().map(|w| w.parse::<Scope>().map_err(|_| format!("unknown scope {w:?}"))).collect()
}

/// `GET /oauth/authorize`.
pub async fn page(
    State(oauth): State<OAuthState>,
    headers: HeaderMap,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return problem(
            StatusCode::BAD_REQUEST,
            "This sign-in link is malformed (a parameter is repeated or not text).",
        );
    };
    let now = oauth.app.clock.now();
    // 1. The client and its redirect URI: until both check out, errors stay on this page.
    let Some(client_id) = q.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return problem(StatusCode::BAD_REQUEST, "The sign-in link names no app (client_id is missing).");
    };
    let client = match oauth.clients.find(&oauth.app.store, client_id, now).await {
        Ok(client) => client,
        Err(ClientError::Store(e)) => {
            tracing::warn!(error = %e, "oauth authorize: store unavailable");
            return problem(StatusCode::SERVICE_UNAVAILABLE, "Target is temporarily unavailable. Please try again.");
        }
        Err(e) => {
            tracing::info!(client_id, error = %e, "oauth authorize: unknown client");
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("The app asking to link your account is not known here: {e}."),
            );
        }
    };
    let (redirect_uri, redirect_uri_given) = match q.redirect_uri.as_deref() {
        Some(uri) if client.allows_redirect(uri) => (uri.to_owned(), true),
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "The app's redirect address is not one it registered, so it cannot be trusted.",
            );
        }
        None if client.redirect_uris.len() == 1 => (client.redirect_uris[0].clone(), false),
        None => {
            return problem(
                StatusCode::BAD_REQUEST,
                "The sign-in link has no redirect_uri, and the app registered several.",
            );
        }
    };
    // 2. Everything else goes back to the client as an error.
    let state = q.state.as_deref();
    let fail = |error: &str, description: &str| redirect_error(&oauth, &redirect_uri, state, error, description);
    if state.is_some_and(|s| s.len() > MAX_STATE_BYTES) {
        return fail("invalid_request", "state is longer than 2048 bytes");
    }
    if q.response_type.as_deref() != Some("code") {
        return fail("unsupported_response_type", "only response_type=code is supported");
    }
    let Some(challenge) = q.code_challenge.as_deref() else {
        return fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256");
    };
    if q.code_challenge_method.as_deref() != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if !secrets::is_s256_challenge(challenge) {
        return fail("invalid_request", "code_challenge is not an S256 challenge (43 base64url characters)");
    }
    let scopes = match parse_scopes(q.scope.as_deref()) {
        Ok(scopes) => scopes,
        Err(why) => return fail("invalid_scope", &why),
    };
    let resource = match q.resource.as_deref() {
        None => resource::default_resource(&oauth.app.config),
        Some(r) => match resource::accept(&oauth.app.config, r) {
            Some(r) => r,
            None => return fail("invalid_target", "resource is not an MCP endpoint of this server"),
        },
    };
    // 3. Keep the request, bound to this browser, and show the page.
    let browser = cookie_value(&headers, BROWSER_COOKIE).filter(|b| is_secret(b)).unwrap_or_else(secrets::random_hex);
    let (handle, csrf) = (secrets::random_hex(), secrets::random_hex());
    let pending = Pending {
        client_id: client.client_id.clone(),
        client_name: client.display_name(&redirect_uri),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_given,
        scopes,
        state: q.state.clone(),
        code_challenge: challenge.to_owned(),
        resource,
        csrf_hash: SecretHash::of(&csrf),
        browser_hash: SecretHash::of(&browser),
    };
    let ttl = oauth.app.config.oauth_server.signin_page_ttl_secs;
    if let Err(e) = store_pending(&oauth, &handle, &pending, now, ttl).await {
        tracing::warn!(error = %e, "oauth authorize: store unavailable");
        return problem(StatusCode::SERVICE_UNAVAILABLE, "Target is temporarily unavailable. Please try again.");
    }
    let mut response = render(&pending, handle, csrf, None, String::new(), StatusCode::OK);
    let secure = if oauth.app.config.is_https() { "; Secure" } else { "" };
    let cookie = format!("{BROWSER_COOKIE}={browser}; Path=/oauth; Max-Age={ttl}; HttpOnly; SameSite=Lax{secure}");
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn store_pending(
    oauth: &OAuthState,
    handle: &str,
    pending: &Pending,
    now: DateTime<Utc>,
    ttl_secs: u64,
) -> Result<(), String> {
    let json = serde_json::to_string(pending).map_err(|e| e.to_string())?;
    let expires = now + Duration::seconds(i64::try_from(ttl_secs).unwrap_or(600));
    let key = SecretHash::of(handle);
    oauth
        .app
        .store
        .oauth_put_record(RecordKind::Request, key.as_str(), &json, Some(expires), now)
        .await
        .map_err(|e| e.to_string())
}

fn render(
    pending: &Pending,
    request: String,
    csrf: String,
    error: Option<String>,
    email: String,
    status: StatusCode,
) -> Response {
    let view = SignInView {
        client_name: pending.client_name.clone(),
        redirect_host: host_of(&pending.redirect_uri),
        scopes: pending.scopes.iter().copied().collect(),
        error,
        email,
        request,
        csrf,
    };
    html(status, page::sign_in(view), origin_of(&pending.redirect_uri).as_deref())
}

/// `POST /oauth/authorize`: the page's form.
pub async fn sign_in(
    State(oauth): State<OAuthState>,
    client: Option<axum::Extension<crate::http::client_ip::ClientIp>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(StatusCode::BAD_REQUEST, "The sign-in form was not sent correctly. Start linking again.");
    };
    let now = oauth.app.clock.now();
    let expired = "This sign-in page has expired or was already used. Go back to the app and start linking again.";
    if !is_secret(&form.request) {
        return problem(StatusCode::BAD_REQUEST, expired);
    }
    let key = SecretHash::of(&form.request);
    let pending = match oauth.app.store.oauth_record(RecordKind::Request, key.as_str(), now).await {
        Ok(Some(json)) => match serde_json::from_str::<Pending>(&json) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "oauth authorize: a stored request does not parse");
                return problem(StatusCode::BAD_REQUEST, expired);
            }
        },
        Ok(None) => return problem(StatusCode::BAD_REQUEST, expired),
        Err(e) => {
            tracing::warn!(error = %e, "oauth authorize: store unavailable");
            return problem(StatusCode::SERVICE_UNAVAILABLE, "Target is temporarily unavailable. Please try again.");
        }
    };
    let browser_ok = cookie_value(&headers, BROWSER_COOKIE).is_some_and(|b| SecretHash::of(&b) == pending.browser_hash);
    if !is_secret(&form.csrf) || SecretHash::of(&form.csrf) != pending.csrf_hash || !browser_ok {
        tracing::info!(client_id = %pending.client_id, browser_ok, "oauth authorize: CSRF check failed");
        return problem(
            StatusCode::FORBIDDEN,
            "This sign-in form could not be verified (it was not sent from the page this browser opened). Start linking again.",
        );
    }
    let state = pending.state.as_deref();
    if form.action == "deny" {
        let _ = oauth.app.store.oauth_delete_record(RecordKind::Request, key.as_str()).await;
        tracing::info!(client_id = %pending.client_id, "oauth authorize: the shopper cancelled");
        return redirect_error(&oauth, &pending.redirect_uri, state, "access_denied", "the shopper cancelled linking");
    }
    let who: String = pending.client_id.chars().take(24).collect();
    let user = match signin::check_password(&oauth.app, &form.email, &form.password, &who, client.map(|c| c.0)).await {
        Ok(user) => user,
        Err(e) => return refused(&pending, form, e),
    };
    let grant_id = GrantId::random();
    let code = secrets::issue(Kind::Code, &grant_id);
    let grant = GrantRecord {
        client_id: pending.client_id.clone(),
        account: user,
        scopes: pending.scopes.clone(),
        resource: pending.resource.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        redirect_uri_given: pending.redirect_uri_given,
        code_challenge: pending.code_challenge.clone(),
        created_at: now,
    };
    let code_ttl = Duration::seconds(i64::try_from(oauth.app.config.oauth_server.code_ttl_secs).unwrap_or(60));
    let stored =
        oauth.app.store.oauth_create_grant(&grant_id, &grant, &SecretHash::of(&code), now + code_ttl, now).await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "oauth authorize: store unavailable");
        return problem(StatusCode::SERVICE_UNAVAILABLE, "Target is temporarily unavailable. Please try again.");
    }
    let _ = oauth.app.store.oauth_delete_record(RecordKind::Request, key.as_str()).await;
    tracing::info!(client_id = %pending.client_id, grant = %grant_id, "oauth authorize: code issued");
    back_to_client(&oauth, &pending.redirect_uri, state, &[("code", &code)])
}

/// The page again, with why the sign-in was refused (the request stays usable).
fn refused(pending: &Pending, form: SignInForm, error: AppError) -> Response {
    let (status, retry_after) = match &error {
        AppError::InvalidCredentials => (StatusCode::UNAUTHORIZED, None),
        AppError::TooManyAttempts { retry_after_secs } => (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after_secs)),
        AppError::Busy { retry_after_secs } => (StatusCode::SERVICE_UNAVAILABLE, Some(*retry_after_secs)),
        AppError::InvalidInput(_) => (StatusCode::BAD_REQUEST, None),
        _ => (StatusCode::SERVICE_UNAVAILABLE, None),
    };
    if let AppError::Unavailable(detail) | AppError::Internal(detail) = &error {
        tracing::warn!(%detail, "oauth sign-in failed");
    }
    let email: String = form.email.chars().take(254).collect();
    let mut response = render(pending, form.request, form.csrf, Some(error.to_string()), email, status);
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_to_all_and_unknown_ones_are_refused() {
        assert_eq!(parse_scopes(None), Ok(Scope::ALL.iter().copied().collect()));
        assert_eq!(parse_scopes(Some("  ")), Ok(Scope::ALL.iter().copied().collect()));
        assert_eq!(parse_scopes(Some("cart  orders")), Ok(BTreeSet::from([Scope::Cart, Scope::Orders])));
        assert!(parse_scopes(Some("cart admin")).is_err());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; target_oauth_browser=abc; b=2"));
        assert_eq!(cookie_value(&headers, BROWSER_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie_value(&headers, "c"), None);
    }
}
