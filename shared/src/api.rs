//! Bodies of the REST endpoints the widgets call directly (`/api/session/*`), so credentials
//! never pass through the model.

use serde::{Deserialize, Serialize};

use crate::auth::User;
use crate::ids::SessionId;
use crate::tool::string_enum;

/// Path of the sign-in endpoint.
pub const AUTHENTICATE_PATH: &str = "/api/session/authenticate";
/// Path of the sign-out endpoint.
pub const SIGNOUT_PATH: &str = "/api/session/signout";

/// `POST /api/session/authenticate`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateRequest {
    pub session_id: SessionId,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for AuthenticateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateRequest")
            .field("session_id", &self.session_id)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `200` answer of the sign-in endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateResponse {
    pub authenticated: bool,
    pub user: User,
    /// The session's new id. Signing in moves the session (cart, searches) to a fresh id and
    /// retires the one in the request, so whoever planted that id before the sign-in does not
    /// hold a signed-in session; every later call must use this one.
    pub session_id: SessionId,
}

/// `POST /api/session/signout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignoutRequest {
    pub session_id: SessionId,
}

/// `200` answer of the sign-out endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignoutResponse {
    pub authenticated: bool,
}

string_enum!(
    /// Machine-readable reason of a failed REST call; the HTTP status says the same thing.
    ApiErrorCode {
        InvalidRequest = "invalid_request",
        InvalidCredentials = "invalid_credentials",
        SessionNotFound = "session_not_found",
        /// The session id was retired when the shopper signed in (its session lives on under the
        /// id the sign-in answered, which this error never names).
        SessionRenewed = "session_renewed",
        TooManyAttempts = "too_many_attempts",
        ForbiddenOrigin = "forbidden_origin",
        /// An MCP request's bearer token was refused (401 with a `WWW-Authenticate` challenge).
        InvalidToken = "invalid_token",
        Internal = "internal",
    }
);

/// The body of every non-2xx answer of the REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub error: ApiErrorCode,
    /// A sentence a shopper can read.
    pub message: String,
    /// The server's id of the request (also its `x-request-id` header), to find it in the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
