//! Checking an email and password: input limits, the per-account lockout and the argon2 check.
//! Every sign-in form goes through [`check_password`], so they share one set of rules.

use shared::auth::User;

use super::accounts::{MAX_PASSWORD_BYTES, normalize};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::memory::LOGIN_FAILURE_WINDOW;

/// Failed sign-ins per account within the window before further attempts get 429.
pub const MAX_LOGIN_FAILURES: u32 = 5;
const MAX_EMAIL_CHARS: usize = 254;

/// Refuses empty, malformed or oversized credentials before any work is done.
pub fn validate(email: &str, password: &str) -> Result<(), AppError> {
    let email = email.trim();
    if email.is_empty() || password.is_empty() {
        return Err(AppError::InvalidInput("Enter your email and password.".into()));
    }
    if email.chars().count() > MAX_EMAIL_CHARS || !email.contains('@') {
        return Err(AppError::InvalidInput("Enter a valid email address.".into()));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::InvalidInput("That password is too long.".into()));
    }
    Ok(())
}

fn locked_out() -> AppError {
    AppError::TooManyAttempts { retry_after_secs: LOGIN_FAILURE_WINDOW.num_seconds().unsigned_abs() }
}

/// The account for these credentials, or `InvalidCredentials` / `TooManyAttempts`.
/// `who` names the caller in logs (a shortened session id or client id), never the password.
pub async fn check_password(state: &AppState, email: &str, password: &str, who: &str) -> Result<User, AppError> {
    validate(email, password)?;
    let email = normalize(email);
    let now = state.clock.now();
    if state.store.login_failures(&email, now).await? >= MAX_LOGIN_FAILURES {
        return Err(locked_out());
    }
    let Some(user) = state.accounts.verify(&email, password).await else {
        let failures = state.store.record_login_failure(&email, now).await?;
        tracing::info!(who, failures, "sign-in refused");
        return Err(if failures >= MAX_LOGIN_FAILURES { locked_out() } else { AppError::InvalidCredentials });
    };
    state.store.clear_login_failures(&email).await?;
    Ok(user)
}
