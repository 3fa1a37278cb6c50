//! Every refusal of the ACP API as one typed error, and its one mapping to the flat error object
//! (REST: status + body; MCP binding: JSON-RPC error -32000 with the object as `data`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::wire::{ErrorBody, ErrorType, SUPPORTED_VERSIONS};
use crate::http::refusal::Refusal;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AcpError {
    #[error("API-Version header is required")]
    MissingApiVersion,
    #[error("API-Version {0:?} is not supported")]
    UnsupportedApiVersion(String),
    #[error("a valid merchant API key is required (Authorization: Bearer <key>)")]
    Unauthorized,
    #[error("Idempotency-Key header is required on all POST requests")]
    IdempotencyKeyRequired,
    #[error("Idempotency-Key must be 1 to 255 characters")]
    IdempotencyKeyInvalid,
    #[error("Idempotency-Key has already been used with a different request body")]
    IdempotencyConflict,
    #[error("A request with this Idempotency-Key is currently being processed")]
    IdempotencyInFlight,
    #[error("{0}")]
    InvalidSignature(&'static str),
    #[error("Timestamp is outside the allowed window of {0} seconds")]
    StaleTimestamp(u64),
    #[error("Checkout session {0} not found")]
    SessionNotFound(String),
    #[error("Checkout session is {0} and cannot be changed")]
    NotModifiable(&'static str),
    #[error("Order {0} not found")]
    OrderNotFound(String),
    #[error("Feed {0} not found")]
    FeedNotFound(String),
    /// `UNWRANGLE_API_KEY` is set: the server sells live products, not the embedded catalog.
    #[error(
        "The product feed covers the embedded catalog only; this server sells live Unwrangle products, which have no feed"
    )]
    NoFeedInLiveMode,
    #[error("The order is {status}; it cannot {action}")]
    OrderState { action: &'static str, status: &'static str },
    #[error("Too many requests for this API key; retry after {0} seconds")]
    RateLimited(u64),
    /// The app's per-client-IP limit (`RATE_LIMIT_PER_SEC`).
    #[error("Too many requests from this client; retry after {0} seconds")]
    ClientRateLimited(u64),
    #[error("The request body is larger than the limit of {0} bytes")]
    BodyTooLarge(usize),
    #[error("The request body did not arrive within {0} seconds")]
    BodyTimedOut(u64),
    #[error("The request took too long to answer; retry the request")]
    TimedOut,
    #[error("{message}")]
    Invalid { code: &'static str, param: String, message: String },
    #[error("This checkout session requires issuer authentication. The request must include 'authentication_result'.")]
    Requires3ds,
    #[error("The payment provider is unavailable; retry the request")]
    PaymentUnavailable(String),
    #[error("The store is unavailable; retry the request")]
    Unavailable(String),
    #[error("Something went wrong on our side; retry the request")]
    Internal(String),
}

impl From<StoreError> for AcpError {
    fn from(e: StoreError) -> Self {
        AcpError::Unavailable(e.to_string())
    }
}

impl From<Refusal> for AcpError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::RateLimited { retry_after_secs } => AcpError::ClientRateLimited(retry_after_secs),
            Refusal::BodyTooLarge { limit_bytes } => AcpError::BodyTooLarge(limit_bytes),
            Refusal::BodyTimedOut { after_secs } => AcpError::BodyTimedOut(after_secs),
            Refusal::TimedOut => AcpError::TimedOut,
            Refusal::BadBody(message) => AcpError::invalid("$", message),
        }
    }
}

impl AcpError {
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        AcpError::Invalid { code: "invalid", param: param.into(), message: message.into() }
    }

    pub fn missing(param: impl Into<String>, message: impl Into<String>) -> Self {
        AcpError::Invalid { code: "missing", param: param.into(), message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AcpError::MissingApiVersion
            | AcpError::UnsupportedApiVersion(_)
            | AcpError::IdempotencyKeyRequired
            | AcpError::IdempotencyKeyInvalid
            | AcpError::Invalid { .. }
            | AcpError::Requires3ds => StatusCode::BAD_REQUEST,
            AcpError::Unauthorized | AcpError::InvalidSignature(_) | AcpError::StaleTimestamp(_) => {
                StatusCode::UNAUTHORIZED
            }
            AcpError::IdempotencyConflict => StatusCode::UNPROCESSABLE_ENTITY,
            AcpError::IdempotencyInFlight => StatusCode::CONFLICT,
            AcpError::SessionNotFound(_)
            | AcpError::OrderNotFound(_)
            | AcpError::FeedNotFound(_)
            | AcpError::NoFeedInLiveMode => StatusCode::NOT_FOUND,
            AcpError::OrderState { .. } => StatusCode::CONFLICT,
            AcpError::RateLimited(_) | AcpError::ClientRateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AcpError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AcpError::BodyTimedOut(_) | AcpError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            AcpError::NotModifiable(_) => StatusCode::METHOD_NOT_ALLOWED,
            AcpError::PaymentUnavailable(_) | AcpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AcpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds to wait before retrying, when the refusal is temporary.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AcpError::IdempotencyInFlight => Some(1),
            AcpError::RateLimited(secs) | AcpError::ClientRateLimited(secs) => Some(*secs),
            AcpError::PaymentUnavailable(_) | AcpError::Unavailable(_) => Some(5),
            _ => None,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (kind, code, param) = match self {
            AcpError::MissingApiVersion => (ErrorType::InvalidRequest, "missing_api_version", None),
            AcpError::UnsupportedApiVersion(_) => (ErrorType::InvalidRequest, "unsupported_api_version", None),
            AcpError::Unauthorized => (ErrorType::InvalidRequest, "unauthorized", None),
            AcpError::IdempotencyKeyRequired => (ErrorType::InvalidRequest, "idempotency_key_required", None),
            AcpError::IdempotencyKeyInvalid => (ErrorType::InvalidRequest, "invalid", None),
            AcpError::IdempotencyConflict => (ErrorType::InvalidRequest, "idempotency_conflict", None),
            AcpError::IdempotencyInFlight => (ErrorType::InvalidRequest, "idempotency_in_flight", None),
            AcpError::InvalidSignature(_) | AcpError::StaleTimestamp(_) => {
                (ErrorType::InvalidRequest, "invalid_signature", None)
            }
            AcpError::SessionNotFound(_) => (ErrorType::InvalidRequest, "session_not_found", Some("id".to_owned())),
            AcpError::NotModifiable(_) => (ErrorType::InvalidRequest, "invalid_state", None),
            AcpError::OrderNotFound(_) => (ErrorType::InvalidRequest, "order_not_found", Some("id".to_owned())),
            AcpError::FeedNotFound(_) | AcpError::NoFeedInLiveMode => (ErrorType::InvalidRequest, "not_found", None),
            AcpError::OrderState { .. } => (ErrorType::InvalidRequest, "invalid_state", None),
            AcpError::RateLimited(_) | AcpError::ClientRateLimited(_) => {
                (ErrorType::InvalidRequest, "rate_limited", None)
            }
            AcpError::BodyTooLarge(_) => (ErrorType::InvalidRequest, "request_too_large", None),
            AcpError::BodyTimedOut(_) => (ErrorType::InvalidRequest, "request_timeout", None),
            AcpError::TimedOut => (ErrorType::ProcessingError, "request_timeout", None),
            AcpError::Invalid { code, param, .. } => (ErrorType::InvalidRequest, *code, Some(param.clone())),
            AcpError::Requires3ds => {
                (ErrorType::InvalidRequest, "requires_3ds", Some("$.authentication_result".to_owned()))
            }
            AcpError::PaymentUnavailable(_) => (ErrorType::ServiceUnavailable, "payment_provider_unavailable", None),
            AcpError::Unavailable(_) => (ErrorType::ServiceUnavailable, "service_unavailable", None),
            AcpError::Internal(_) => (ErrorType::ProcessingError, "internal_error", None),
        };
        let supported_versions = matches!(self, AcpError::MissingApiVersion | AcpError::UnsupportedApiVersion(_))
            .then(|| SUPPORTED_VERSIONS.iter().map(|v| (*v).to_owned()).collect());
        ErrorBody { kind, code: code.to_owned(), message: self.to_string(), param, supported_versions }
    }

    /// Logs what only the operator should see (details of 5xx).
    pub fn log(&self) {
        match self {
            AcpError::PaymentUnavailable(d) => tracing::warn!(detail = %d, "ACP: payment provider unavailable"),
            AcpError::Unavailable(d) => tracing::warn!(detail = %d, "ACP: store unavailable"),
            AcpError::Internal(d) => tracing::error!(detail = %d, "ACP: internal error"),
            _ => {}
        }
    }
}

impl IntoResponse for AcpError {
    /// The flat error as a plain answer (status, body, `Retry-After`); the REST binding's answers
    /// add the request's headers (`rest.rs`).
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
