//! REST endpoints beside MCP: the sign-in the auth widget posts to (credentials never pass
//! through the model), a home page naming the connector URLs, health checks, product images and directly viewable widget pages.

pub mod assets;
pub mod health;
pub mod home;
pub mod session;

use axum::Json;
use axum::extract::rejection::JsonRejection;

use crate::error::AppError;

/// A JSON body whose rejection (bad JSON, wrong types, wrong content type) answers in the API's
/// error shape, 400.
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(v)| v)
        .map_err(|e| AppError::InvalidInput(format!("The request body is not valid: {}", e.body_text())))
}
