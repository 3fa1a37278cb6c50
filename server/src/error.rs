//! The one error type of tool calls and REST handlers, and its single mapping to MCP results
//! and HTTP responses. Messages are written for shoppers; internal details go to the log only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use shared::InputError;
use shared::api::{ApiError, ApiErrorCode};
use shared::widget::{ERROR_META_KEY, ErrorMeta};

use crate::catalog::CatalogError;
use crate::http::request_log::RequestId;

/// The tool-result `_meta` key carrying `WWW-Authenticate` challenges (ChatGPT's Apps SDK).
pub const WWW_AUTHENTICATE_META_KEY: &str = "mcp/www_authenticate";
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("This Target session has expired or does not exist. Start a new one with create-target-session.")]
    SessionNotFound,
    /// The id was retired when the shopper signed in (session fixation defence); the message
    /// must never name the new id: whoever planted the old one may be the one asking.
    #[error(
        "This Target session id was replaced by a new one when the shopper signed in, so it no longer works. \
         Use the session id the Target sign-in form reported after the sign-in. If you do not have it, start a \
         new session with create-target-session and ask the shopper to sign in again."
    )]
    SessionRenewed,
    #[error("Please sign in to Target first (authenticate-target), then try again.")]
    NotSignedIn,
    #[error("That email and password don't match a Target account.")]
    InvalidCredentials,
    #[error("The access token is invalid, expired or revoked. Link your Target account again.")]
    InvalidToken,
    /// A tool that needs a linked account was called without one; `challenge` is the
    /// `WWW-Authenticate` value that makes the client offer to link it.
    #[error("{message}")]
    LinkRequired { message: String, challenge: String },
    /// The linked account's token lacks a scope the tool needs.
    #[error("The linked Target account has not allowed this yet ({scopes}). Link it again and allow it.")]
    InsufficientScope { scopes: String, challenge: String },
    #[error("Too many sign-in attempts. Please wait {retry_after_secs} seconds and try again.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("Too many requests. Please wait {retry_after_secs} seconds and try again.")]
    RateLimited { retry_after_secs: u64 },
    #[error("Sign-in is busy right now. Please try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: u64 },
    #[error("The request body is larger than the limit of {limit_bytes} bytes.")]
    BodyTooLarge { limit_bytes: usize },
    #[error("The request took too long to answer. Please try again.")]
    TimedOut,
    #[error("The request body did not arrive within {after_secs} seconds.")]
    BodyTimedOut { after_secs: u64 },
    #[error("Product {0} was not found. Search for it again and use an id from the results.")]
    ProductNotFound(String),
    #[error("{0} is out of stock right now.")]
    OutOfStock(String),
    #[error("Product {0} is not in the cart.")]
    NotInCart(String),
    #[error("The cart is empty. Add something with add-to-cart before checking out.")]
    EmptyCart,
    #[error("The cart can hold at most {0} different products.")]
    CartFull(usize),
    #[error("The cart changed while the order was being placed; check the cart and try again.")]
    CartChanged,
    #[error(
        "This idempotency key already placed order {order_id} for a different cart. Use a new key for a new checkout."
    )]
    IdempotencyConflict { order_id: String },
    #[error("{0}")]
    Catalog(#[from] CatalogError),
    #[error("Target is temporarily unavailable. Please try again in a moment.")]
    Unavailable(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(String),
}

impl From<InputError> for AppError {
    fn from(e: InputError) -> Self {
        AppError::InvalidInput(e.0)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SessionNotFound => AppError::SessionNotFound,
            StoreError::SessionRenewed => AppError::SessionRenewed,
            StoreError::CartChanged => AppError::CartChanged,
            StoreError::CartFull => AppError::CartFull(crate::store::CART_MAX_LINES),
            StoreError::OrderIdTaken => AppError::Internal("no free order id after several draws".into()),
            StoreError::Backend(detail) => AppError::Unavailable(detail),
        }
    }
}

impl AppError {
    /// The tool-call form: the shopper-facing errors become `isError` results the model can read
    /// and recover from (the message repeated in `_meta` for the widget, see
    /// [`ERROR_META_KEY`]); only a broken server becomes a JSON-RPC error, without details.
    pub fn into_tool_result(self) -> Result<CallToolResult, ErrorData> {
        match &self {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "tool failed");
                return Err(ErrorData::internal_error("internal error", None));
            }
            AppError::Catalog(e) => tracing::warn!(error = ?e, "product source failed"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "store unavailable"),
            _ => {}
        }
        let message = self.to_string();
        let mut result = CallToolResult::error(vec![ContentBlock::text(message.clone())]);
        let mut meta = serde_json::Map::new();
        if let AppError::LinkRequired { challenge, .. } | AppError::InsufficientScope { challenge, .. } = &self {
            // ChatGPT reads this to offer linking the account (Apps SDK: triggering the auth UI).
            meta.insert(WWW_AUTHENTICATE_META_KEY.to_owned(), serde_json::json!([challenge]));
        }
        meta.insert(ERROR_META_KEY.to_owned(), serde_json::json!(ErrorMeta { message }));
        result.meta = Some(MetaObject(meta));
        Ok(result)
    }

    fn status_and_code(&self) -> (StatusCode, ApiErrorCode) {
        match self {
            AppError::InvalidInput(_) => (StatusCode::BAD_REQUEST, ApiErrorCode::InvalidRequest),
            AppError::SessionNotFound => (StatusCode::NOT_FOUND, ApiErrorCode::SessionNotFound),
            AppError::SessionRenewed => (StatusCode::NOT_FOUND, ApiErrorCode::SessionRenewed),
            AppError::InvalidCredentials | AppError::NotSignedIn => {
                (StatusCode::UNAUTHORIZED, ApiErrorCode::InvalidCredentials)
            }
            AppError::InvalidToken | AppError::LinkRequired { .. } => {
                (StatusCode::UNAUTHORIZED, ApiErrorCode::InvalidToken)
            }
            AppError::InsufficientScope { .. } => (StatusCode::FORBIDDEN, ApiErrorCode::InvalidToken),
            AppError::TooManyAttempts { .. } | AppError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ApiErrorCode::TooManyAttempts)
            }
            AppError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, ApiErrorCode::InvalidRequest),
            AppError::TimedOut => (StatusCode::REQUEST_TIMEOUT, ApiErrorCode::Internal),
            AppError::BodyTimedOut { .. } => (StatusCode::REQUEST_TIMEOUT, ApiErrorCode::InvalidRequest),
            AppError::ProductNotFound(_)
            | AppError::OutOfStock(_)
            | AppError::NotInCart(_)
            | AppError::EmptyCart
            | AppError::CartFull(_)
            | AppError::CartChanged
            | AppError::IdempotencyConflict { .. } => (StatusCode::CONFLICT, ApiErrorCode::InvalidRequest),
            AppError::Catalog(_) | AppError::Unavailable(_) | AppError::Busy { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, ApiErrorCode::Internal)
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ApiErrorCode::Internal),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_code();
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "request failed"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "store unavailable"),
            _ => {}
        }
        let retry_after = match &self {
            AppError::TooManyAttempts { retry_after_secs }
            | AppError::RateLimited { retry_after_secs }
            | AppError::Busy { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        let body = ApiError { error, message: self.to_string(), request_id: RequestId::current() };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
