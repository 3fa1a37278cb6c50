//! What the HTTP layers refuse (`rate_limit`: 429; `body_limit`: 413, 408, an unreadable body;
//! `timeout`: 408) as one typed value. It is answered in the app's JSON error shape
//! ([`AppError`]), and the answer carries the refusal in its extensions, so a router whose API
//! has an error shape of its own (the ACP routes, `commerce/http_refusals.rs`) answers the same
//! refusal in that shape instead.

use axum::response::{IntoResponse, Response};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the body is larger than {limit_bytes} bytes")]
    BodyTooLarge { limit_bytes: usize },
    #[error("the body did not arrive within {after_secs} s")]
    BodyTimedOut { after_secs: u64 },
    #[error("the request took too long")]
    TimedOut,
    /// The body could not be read, or names too many sessions; the message says which.
    #[error("{0}")]
    BadBody(String),
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            Refusal::BodyTooLarge { limit_bytes } => AppError::BodyTooLarge { limit_bytes },
            Refusal::BodyTimedOut { after_secs } => AppError::BodyTimedOut { after_secs },
            Refusal::TimedOut => AppError::TimedOut,
            Refusal::BadBody(message) => AppError::InvalidInput(message),
        }
    }
}

impl IntoResponse for Refusal {
    /// The app's answer, with the refusal in its extensions.
    fn into_response(self) -> Response {
        let mut response = AppError::from(self.clone()).into_response();
        response.extensions_mut().insert(self);
        response
    }
}
