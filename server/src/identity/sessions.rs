//! Session rules shared by the tools and the REST endpoints: minting unguessable ids, looking a
//! session up (which slides its expiry), and requiring a signed-in account.

use chrono::{DateTime, Utc};
use rand::Rng;
use shared::auth::User;
use shared::ids::{SESSION_HEX_DIGITS, SESSION_PREFIX, SessionId};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::home::Home;
use crate::store::{Session, SessionKind};

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
        kind: SessionKind::Chat,
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

/// The live chat session, or `SessionNotFound` for unknown and expired ids (`SessionRenewed`
/// for an id retired at a sign-in, see [`renew`]). A linked account's session is never found by
/// id (only through its token).
pub async fn require(state: &AppState, id: &SessionId) -> Result<Session, AppError> {
    let session = state.store.session(id, state.clock.now()).await?;
    session.filter(|s| s.kind == SessionKind::Chat).ok_or(AppError::SessionNotFound)
}

/// Signs the chat session `old` in as `user` under a fresh id (the defence against session
/// fixation: whoever planted `old` before the sign-in is left with a retired id). The cart,
/// searches and creation time move with it, in one store step; `old` answers `SessionRenewed`
/// from then on, for a while.
pub async fn renew(state: &AppState, old: &SessionId, user: &User) -> Result<Session, AppError> {
    Ok(state.store.renew_session(old, &Home::renewed_session_id(old), user, state.clock.now()).await?)
}

/// When the session expires if it is not used again: idle for the TTL, or at the end of its
/// absolute lifetime, whichever comes first.
pub fn expires_at(state: &AppState, session: &Session) -> DateTime<Utc> {
    let after = |from: DateTime<Utc>, span: std::time::Duration| {
        chrono::Duration::from_std(span)
            .ok()
            .and_then(|span| from.checked_add_signed(span))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    match session.kind {
        SessionKind::Chat => after(session.last_seen, state.config.session_ttl())
            .min(after(session.created_at, state.config.session_max_lifetime())),
        // A linked account's cart has no absolute lifetime: it lives while it is used.
        SessionKind::Account => after(session.last_seen, state.config.account_cart_ttl()),
    }
}

/// The first 13 characters of a session id (`sess_` and 8 hex digits), for logs. Cut by
/// characters, so an id that is not ASCII is cut too (escape it with
/// [`crate::telemetry::loggable`] when it was not parsed).
pub fn log_prefix(id: &str) -> &str {
    let end = id.char_indices().nth(13).map_or(id.len(), |(at, _)| at);
    &id[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefixes_are_short_whatever_the_id() {
        assert_eq!(log_prefix("sess_0123456789abcdef0123456789abcdef"), "sess_01234567");
        let odd = format!("sess_é{}", "x".repeat(10_000));
        assert_eq!(log_prefix(&odd).chars().count(), 13, "not the whole id when byte 13 splits a character");
    }

    #[test]
    fn ids_are_well_formed_and_distinct() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| new_session_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            assert!(SessionId::parse(id.as_str()).is_ok());
        }
    }
}
