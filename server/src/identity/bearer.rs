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
    let text = first.as_bytes().trim_ascii();
    let Some(space) = text.iter().position(|&b| b == b' ') else {
        return if text.eq_ignore_ascii_case(b"bearer") { Credentials::Malformed } else { Credentials::None };
    };
    if !text[..space].eq_ignore_ascii_case(b"bearer") {
        // Another scheme (Basic, …) says nothing about OAuth: treat the request as anonymous.
        return Credentials::None;
    }
    let token = text[space + 1..].trim_ascii();
    // RFC 6750 §2.1 b64token characters, checked without an early exit so that the compiler
    // checks many bytes at once: this runs on every request that carries a token.
    let well_formed =
        !token.is_empty() && token.iter().fold(true, |ok, &b| ok & is_b64token_byte(b)) && values.next().is_none();
    match std::str::from_utf8(token) {
        Ok(token) if well_formed => Credentials::Bearer(token),
        _ => Credentials::Malformed,
    }
}

/// A letter, a digit or one of `-._~+/=`.
fn is_b64token_byte(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
        | (b == b'=')
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
            request.extensions_mut().insert(Linked(claims));
            next.run(request).await
        }
        Err(error) => refuse(&gate, &error),
    }
}

impl BearerGate {
    /// Checks `token` for this connector, or for the whole server.
    pub async fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, TokenError> {
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
        assert_eq!(credentials(&headers(&["Bearer t@k"])), Credentials::Malformed, "@ and [ border the letters");
        assert_eq!(credentials(&headers(&["Bearer tok["])), Credentials::Malformed);
        let mut not_ascii = HeaderMap::new();
        not_ascii.insert(header::AUTHORIZATION, HeaderValue::from_bytes(b"Bearer t\xc3\xa9").expect("obs-text"));
        assert_eq!(credentials(&not_ascii), Credentials::Malformed);
    }

    #[test]
    fn b64token_bytes_are_exactly_the_rfc_6750_set() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
            assert_eq!(is_b64token_byte(b), expected, "byte {b:#04x}");
        }
    }
}
