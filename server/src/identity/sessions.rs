//! Session rules shared by the tools and the REST endpoints: minting unguessable ids, looking a
//! session up (which slides its expiry), and requiring a signed-in account.

use chrono::{DateTime, Utc};
use rand::Rng;
use shared::auth::User;
use shared::ids::{SESSION_HEX_DIGITS, SESSION_PREFIX, SessionId};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Session;

/// A new session id: `sess_` and 128 bits from the operating system's CSPRNG (via `rand`'s
/// thread RNG, a ChaCha CSPRNG seeded from the OS).
pub fn new_session_id() -> SessionId {
    let bits: u128 = rand::rng().random();
    let id = format!("{SESSION_PREFIX}{bits:0width$x}", width = SESSION_HEX_DIGITS);
    SessionId::parse(id).expect("the generated id has the documented format")
}

/// A fresh session, stored.
pub async fn create(state: &AppState) -> Result<Session, AppError> {
    let now = state.clock.now();
    let session = Session {
        id: new_session_id(),
        created_at: now,
        last_seen: now,
        user: None,
        cart: Vec::new(),
        searches: Vec::new(),
        version: 0,
    };
    state.store.create_session(session.clone()).await?;
    Ok(session)
}

/// The live session, or `SessionNotFound` for unknown and expired ids.
pub async fn require(state: &AppState, id: &SessionId) -> Result<Session, AppError> {
    state.store.session(id, state.clock.now()).await?.ok_or(AppError::SessionNotFound)
}

/// The live session when an id is given; `None` when not.
pub async fn require_if_given(state: &AppState, id: Option<&SessionId>) -> Result<Option<Session>, AppError> {
    match id {
        Some(id) => require(state, id).await.map(Some),
        None => Ok(None),
    }
}

/// The signed-in account of a session, or `NotSignedIn`.
pub fn require_user(session: &Session) -> Result<&User, AppError> {
    session.user.as_ref().ok_or(AppError::NotSignedIn)
}

/// When the session expires if it is not used again.
pub fn expires_at(state: &AppState, session: &Session) -> DateTime<Utc> {
    let ttl = chrono::Duration::from_std(state.config.session_ttl()).unwrap_or(chrono::Duration::MAX);
    session.last_seen.checked_add_signed(ttl).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The first characters of a session id, safe to log.
pub fn log_prefix(id: &str) -> &str {
    id.get(..13).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_well_formed_and_distinct() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| new_session_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            assert!(SessionId::parse(id.as_str()).is_ok());
        }
    }
}
