//! Checking an email and password: input limits, the lockout and the argon2 check. Every sign-in
//! form goes through [`check_password`], so they share one set of rules.
//!
//! # The lockout
//!
//! Failures count over a sliding 15-minute window ([`LOCKOUT`]):
//! - 5 failures of one account from one client lock that account *for that client*;
//! - 20 failures from one client lock that client for every account (password spraying);
//! - past 50 failures of one account from all clients together, the account takes at most one
//!   attempt every 2 seconds, from anybody (a distributed guess gets ~450 tries per window).
//!
//! How the owner still gets in: a lock is never per account alone. Someone guessing at a
//! victim's account locks only their own client (an IP address, or its /64 for IPv6); the owner,
//! on their own network, signs in as usual. Under a distributed attack the owner may be asked to
//! wait a second or two ("slowed"), never 15 minutes. A success forgets that client's failures
//! for the account.
//!
//! Each attempt is reserved in the store *before* the slow hash, in one atomic step that checks
//! the limits and counts the attempt as a failure; a success then takes it back. So parallel
//! guesses cannot all pass a check made before any of them was recorded.
//!
//! Before that, a place in the bounded password-check queue is taken (`accounts.rs`); when it is
//! full the answer is 503 + `Retry-After`, and nothing is counted.

use rand::Rng;
use shared::auth::User;

use super::accounts::{MAX_PASSWORD_BYTES, normalize};
use crate::error::AppError;
use crate::http::client_ip::ClientIp;
use crate::state::AppState;
use crate::store::{LoginAttempt, LoginLimits};

/// The lockout's limits (see the module docs).
pub const LOCKOUT: LoginLimits = LoginLimits {
    window: chrono::Duration::minutes(15),
    per_account_client: 5,
    per_client: 20,
    account_slow_after: 50,
    account_slow_interval: chrono::Duration::seconds(2),
};
/// Seconds a client is asked to wait when every password check is busy.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;
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

/// The account for these credentials, or `InvalidCredentials` / `TooManyAttempts` (locked or
/// slowed) / `Busy` (every password check busy). `client` is who is signing in (its IP, from
/// [`ClientIp`]; `None` only without a socket, in-process tests); `who` names the caller in logs
/// (a shortened session id or client id), never the password.
pub async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
    who: &str,
    client: Option<ClientIp>,
) -> Result<User, AppError> {
    validate(email, password)?;
    let admission = state.accounts.admit().map_err(|_| {
        tracing::warn!(who, "sign-in refused: every password check is busy");
        AppError::Busy { retry_after_secs: BUSY_RETRY_AFTER_SECS }
    })?;
    let attempt = LoginAttempt {
        account: normalize(email),
        client: client.map_or_else(|| "unknown".to_owned(), |c| c.limit_key().to_string()),
        id: format!("{:032x}", rand::rng().random::<u128>()),
    };
    if let Err(refusal) = state.store.reserve_login_attempt(&attempt, &LOCKOUT, state.clock.now()).await? {
        tracing::info!(who, ?refusal, "sign-in refused: lockout");
        return Err(AppError::TooManyAttempts { retry_after_secs: refusal.retry_after_secs() });
    }
    let user = admission.verify(&attempt.account, password).await;
    state.store.settle_login_attempt(&attempt, user.is_some()).await?;
    user.ok_or_else(|| {
        tracing::info!(who, "sign-in refused: wrong email or password");
        AppError::InvalidCredentials
    })
}
