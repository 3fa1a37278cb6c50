//! The resource server's gate on every MCP endpoint: reads `Authorization: Bearer …`, has the
//! configured [`TokenVerifier`] check it for the connector's resource, and hands the claims to the
//! tools as a [`Linked`] request extension.
//!
//! - No bearer token: the request goes on anonymous (session mode and the anonymous tools keep
//!   working; the endpoint is not closed).
//! - A valid token: the request goes on with [`Linked`] in its extensions, once the account's
//!   own rate limit (`ACCOUNT_RATE_LIMIT_*`, `http/rate_limit.rs`) allows it; over it, 429 with
//!   `Retry-After` like the per-IP and per-session limits.
//! - A refused token (malformed, unknown, revoked, expired, for another resource, forged): `401`
//!   with `WWW-Authenticate: Bearer resource_metadata="…", error="invalid_token"`, so the client
//!   links the account again instead of acting anonymously by mistake.
//! - The verifier cannot tell right now (the external issuer's keys cannot be fetched): `503`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::resource::{Challenge, ProtectedResource};
use super::token::{AccessClaims, TokenError, TokenVerifier};
use crate::clock::Clock;
use crate::error::AppError;
use crate::http::rate_limit::RequestLimiter;

/// The verified claims of the request's bearer token (absent: no token was sent).
#[derive(Debug, Clone)]
pub struct Linked(pub Arc<AccessClaims>);

/// What the gate of one connector needs.
#[derive(Clone)]
pub struct BearerGate {
    pub verifier: Arc<dyn TokenVerifier>,
    pub clock: Arc<dyn Clock>,
    pub resource: Arc<ProtectedResource>,
    /// The per-account rate limit (`None`: disabled).
    pub accounts: Option<RequestLimiter>,
}

/// What the `Authorization` header holds.
#[derive(Debug, PartialEq, Eq)]
enum Credentials<'a> {
    None,
    Bearer(&'a str),
    /// A `Bearer` header we cannot read (empty, not visible ASCII, repeated).
    Malformed,
}

fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(first) = values.next() else { return Credentials::None };
    let Ok(text) = first.to_str() else { return Credentials::Malformed };
    let Some((scheme, token)) = text.trim().split_once(' ') else {
        return if text.trim().eq_ignore_ascii_case("bearer") { Credentials::Malformed } else { Credentials::None };
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (Basic, …) says nothing about OAuth: treat the request as anonymous.
        return Credentials::None;
    }
    let token = token.trim();
    // RFC 6750 §2.1 b64token characters.
    let well_formed = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
        && values.next().is_none();
    if well_formed { Credentials::Bearer(token) } else { Credentials::Malformed }
}

/// The middleware: see the module documentation.
pub async fn layer(State(gate): State<BearerGate>, mut request: Request, next: Next) -> Response {
    let token = match credentials(request.headers()) {
        Credentials::None => return next.run(request).await,
        Credentials::Malformed => return refuse(&gate, &TokenError::Malformed),
        Credentials::Bearer(token) => token.to_owned(),
    };
    match gate.verify(&token).await {
        Ok(claims) => {
            if let Some(limiter) = &gate.accounts
                && let Err(retry_after_secs) = limiter.check_account(&claims.account.email)
            {
                tracing::info!(path = %request.uri().path(), "rate limited (account)");
                return AppError::RateLimited { retry_after_secs }.into_response();
            }
            request.extensions_mut().insert(Linked(Arc::new(claims)));
            next.run(request).await
        }
        Err(error) => refuse(&gate, &error),
    }
}

impl BearerGate {
    /// Checks `token` for this connector, or for the whole server.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let now = self.clock.now();
        match self.verifier.verify(token, &self.resource.url, now).await {
            Err(TokenError::WrongAudience) if self.resource.server_url != self.resource.url => {
                self.verifier.verify(token, &self.resource.server_url, now).await
            }
            other => other,
        }
    }
}

fn refuse(gate: &BearerGate, error: &TokenError) -> Response {
    if let TokenError::Unavailable(detail) = error {
        return AppError::Unavailable(format!("token check: {detail}")).into_response();
    }
    tracing::info!(resource = %gate.resource.url, reason = %error, "bearer token refused");
    let challenge = gate.resource.challenge(&Challenge::InvalidToken);
    let mut response = AppError::InvalidToken.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(header::AUTHORIZATION, v.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn bearer_credentials_are_read_strictly() {
        assert_eq!(credentials(&headers(&[])), Credentials::None);
        assert_eq!(credentials(&headers(&["Bearer abc.DEF-_~+/="])), Credentials::Bearer("abc.DEF-_~+/="));
        assert_eq!(credentials(&headers(&["bearer  tok "])), Credentials::Bearer("tok"));
        assert_eq!(credentials(&headers(&["Basic dXNlcjpwYXNz"])), Credentials::None, "other schemes are not OAuth");
        assert_eq!(credentials(&headers(&["Bearer"])), Credentials::Malformed);
        assert_eq!(credentials(&headers(&["Bearer a b"])), Credentials::Malformed);
        assert_eq!(credentials(&headers(&["Bearer tok\"en"])), Credentials::Malformed);
        assert_eq!(credentials(&headers(&["Bearer a", "Bearer b"])), Credentials::Malformed);
    }
}
