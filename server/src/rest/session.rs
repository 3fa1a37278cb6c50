//! `POST /api/session/authenticate` and `POST /api/session/signout`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use shared::api::{AuthenticateRequest, AuthenticateResponse, SignoutRequest, SignoutResponse};

use super::json_body;
use crate::accounts::{MAX_PASSWORD_BYTES, normalize};
use crate::error::AppError;
use crate::sessions::{self, log_prefix};
use crate::state::AppState;
use crate::store::memory::LOGIN_FAILURE_WINDOW;

/// Failed sign-ins per account within the window before further attempts get 429.
pub const MAX_LOGIN_FAILURES: u32 = 5;
const MAX_EMAIL_CHARS: usize = 254;

fn validate(request: &AuthenticateRequest) -> Result<(), AppError> {
    let email = request.email.trim();
    if email.is_empty() || request.password.is_empty() {
        return Err(AppError::InvalidInput("Enter your email and password.".into()));
    }
    if email.chars().count() > MAX_EMAIL_CHARS || !email.contains('@') {
        return Err(AppError::InvalidInput("Enter a valid email address.".into()));
    }
    if request.password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::InvalidInput("That password is too long.".into()));
    }
    Ok(())
}

fn locked_out() -> AppError {
    AppError::TooManyAttempts { retry_after_secs: LOGIN_FAILURE_WINDOW.num_seconds().unsigned_abs() }
}

pub async fn authenticate(
    State(state): State<AppState>,
    body: Result<Json<AuthenticateRequest>, JsonRejection>,
) -> Result<Json<AuthenticateResponse>, AppError> {
    let request = json_body(body)?;
    validate(&request)?;
    sessions::require(&state, &request.session_id).await?;
    let email = normalize(&request.email);
    let now = state.clock.now();
    if state.store.login_failures(&email, now).await? >= MAX_LOGIN_FAILURES {
        return Err(locked_out());
    }
    let Some(user) = state.accounts.verify(&email, &request.password).await else {
        let failures = state.store.record_login_failure(&email, now).await?;
        tracing::info!(session = log_prefix(request.session_id.as_str()), failures, "sign-in refused");
        return Err(if failures >= MAX_LOGIN_FAILURES { locked_out() } else { AppError::InvalidCredentials });
    };
    state.store.clear_login_failures(&email).await?;
    state.store.set_user(&request.session_id, Some(user.clone())).await?;
    tracing::info!(session = log_prefix(request.session_id.as_str()), "signed in");
    Ok(Json(AuthenticateResponse { authenticated: true, user }))
}

pub async fn signout(
    State(state): State<AppState>,
    body: Result<Json<SignoutRequest>, JsonRejection>,
) -> Result<Json<SignoutResponse>, AppError> {
    let request = json_body(body)?;
    sessions::require(&state, &request.session_id).await?;
    state.store.set_user(&request.session_id, None).await?;
    tracing::info!(session = log_prefix(request.session_id.as_str()), "signed out");
    Ok(Json(SignoutResponse { authenticated: false }))
}
