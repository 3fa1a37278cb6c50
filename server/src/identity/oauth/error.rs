//! The error answers of the JSON endpoints (token, registration, revocation): RFC 6749 §5.2's
//! `{"error", "error_description"}` with `Cache-Control: no-store`. Errors of the authorization
//! endpoint are a page or a redirect instead (`authorize.rs`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    UnsupportedTokenType(String),
    #[error("{0}")]
    InvalidScope(String),
    /// RFC 8707: the resource is not one this server issues tokens for.
    #[error("{0}")]
    InvalidTarget(String),
    /// RFC 7591.
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// RFC 7591.
    #[error("{0}")]
    InvalidClientMetadata(String),
    #[error("the service is temporarily unavailable; try again")]
    Unavailable(String),
}

impl OAuthError {
    pub const fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::UnsupportedTokenType(_) => "unsupported_token_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            OAuthError::InvalidClientMetadata(_) => "invalid_client_metadata",
            OAuthError::Unavailable(_) => "temporarily_unavailable",
        }
    }

    const fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            OAuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::Unavailable(e.to_string())
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: String,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let OAuthError::Unavailable(detail) = &self {
            tracing::warn!(%detail, "oauth endpoint: store unavailable");
        }
        let body = Body { error: self.code(), error_description: self.to_string() };
        let mut response = (self.status(), Json(body)).into_response();
        no_store(&mut response);
        if matches!(self, OAuthError::InvalidClient(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth\""));
        }
        response
    }
}

/// `Cache-Control: no-store` (RFC 6749 §5.1: responses carrying tokens must not be cached).
pub fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
