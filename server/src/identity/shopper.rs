//! Who a tool call acts for: the linked account of a verified bearer token (linked mode), or the
//! session named by `sessionId` (session mode), or nobody (anonymous tools).
//!
//! The two modes coexist on one endpoint:
//! - With a valid token the token wins: the tool acts on the account's own shopping session (its
//!   cart belongs to the account, in the store, so it survives new chats and any instance), and a
//!   `sessionId` in the arguments names no shopper (see the last point). The token must carry the
//!   tool's scopes ([`super::access`]); otherwise the tool answers `insufficient_scope`.
//! - Without a token, a `sessionId` works exactly as before OAuth (hosts without OAuth).
//! - With neither, anonymous tools work; a tool that needs a shopper answers an `isError` result
//!   whose `_meta["mcp/www_authenticate"]` makes an OAuth client offer to link the account;
//!   `add-to-cart` instead starts a chat session for the cart (`tools/checkout.rs`). A tool that
//!   needs a signed-in account, called with a session that is not signed in, answers "sign in"
//!   with the same challenge ([`Shopper::require_user`]).
//! - With a valid token and a `sessionId` naming an anonymous chat session (not signed in), a
//!   cart tool first moves that session's cart into the account's ([`linked_session`]; once: the
//!   store empties the anonymous cart in the same atomic step). So a shopper who added to a cart
//!   without a session, and linked the account at checkout, checks out what they added.
//!
//! An account's session id is derived from its email and a secret kept in the store
//! ([`AccountIds`]), so every instance finds the same session and nobody can name it from
//! outside; it never appears in tool results, and session-mode lookups refuse it.

use std::sync::Arc;

use rand::Rng;
use sha2::{Digest, Sha256};
use shared::auth::{AuthMode, Scope, User};
use shared::cart::QUANTITY_MAX;
use shared::ids::{SESSION_HEX_DIGITS, SESSION_PREFIX, SessionId};
use shared::tool::ToolName;

use super::access::access;
use super::accounts::normalize;
use super::resource::{Challenge, ProtectedResource};
use super::sessions;
use super::token::AccessClaims;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Session, SessionKind, Store, StoreError};

/// Derives each linked account's session id from its email and the store's secret.
#[derive(Clone)]
pub struct AccountIds {
    secret: Arc<[u8]>,
}

impl AccountIds {
    /// The store's secret (created by the first instance that asks).
    pub async fn load(store: &dyn Store) -> Result<Self, StoreError> {
        let candidate: [u8; 32] = rand::rng().random();
        let secret = store.account_id_secret(hex::encode(candidate)).await?;
        Ok(AccountIds { secret: secret.into_bytes().into() })
    }

    pub fn session_id(&self, email: &str) -> SessionId {
        let mut hash = Sha256::new();
        hash.update(&self.secret);
        hash.update([0]);
        hash.update(normalize(email).as_bytes());
        let digest = hash.finalize();
        let hex = hex::encode(&digest[..SESSION_HEX_DIGITS / 2]);
        SessionId::parse(format!("{SESSION_PREFIX}{hex}")).expect("a derived id has the session id format")
    }
}

/// Who a call names, before the store is asked.
#[derive(Debug, Clone)]
pub enum Who {
    Session(SessionId),
    /// A linked account; `merge_from` is the session a cart tool's arguments named, whose
    /// anonymous cart moves into the account's.
    Linked {
        claims: Arc<AccessClaims>,
        merge_from: Option<SessionId>,
    },
}

/// The shopper a tool acts for, with their session.
#[derive(Debug, Clone)]
pub enum Shopper {
    Session(Session),
    Linked { session: Session, claims: Arc<AccessClaims> },
}

impl Shopper {
    pub fn session(&self) -> &Session {
        match self {
            Shopper::Session(session) | Shopper::Linked { session, .. } => session,
        }
    }

    pub fn mode(&self) -> AuthMode {
        match self {
            Shopper::Session(_) => AuthMode::Session,
            Shopper::Linked { .. } => AuthMode::Linked,
        }
    }

    /// The signed-in account: the linked one, or the session's.
    pub fn user(&self) -> Option<&User> {
        match self {
            Shopper::Session(session) => session.user.as_ref(),
            Shopper::Linked { claims, .. } => Some(&claims.account),
        }
    }

    /// The account (session mode: only once signed in; a linked shopper always has one). A
    /// session that is not signed in gets the "sign in" answer with the challenge of `tool` in
    /// `_meta["mcp/www_authenticate"]`, so an OAuth client offers to link the account instead.
    pub fn require_user(&self, resource: &ProtectedResource, tool: ToolName) -> Result<&User, AppError> {
        self.user().ok_or_else(|| AppError::LinkRequired {
            message: AppError::NotSignedIn.to_string(),
            challenge: resource.challenge(&Challenge::LinkRequired { scopes: access(tool).scopes() }),
        })
    }

    /// The id shown in results: the session's in session mode, none for a linked account.
    pub fn public_session_id(&self) -> Option<SessionId> {
        self.session().public_id()
    }

    pub fn into_session(self) -> Session {
        match self {
            Shopper::Session(session) | Shopper::Linked { session, .. } => session,
        }
    }

    /// The same shopper with a newer copy of the session.
    pub fn with_session(self, session: Session) -> Self {
        match self {
            Shopper::Session(_) => Shopper::Session(session),
            Shopper::Linked { claims, .. } => Shopper::Linked { session, claims },
        }
    }
}

/// Who `tool` acts for: the linked account (after checking the token is still live and carries
/// the tool's scopes), else the session named in the arguments, else nobody.
pub fn who(
    state: &AppState,
    linked: Option<&Arc<AccessClaims>>,
    resource: &ProtectedResource,
    session_id: Option<&SessionId>,
    tool: ToolName,
) -> Result<Option<Who>, AppError> {
    let access = access(tool);
    let Some(claims) = linked.filter(|_| access.oauth2.is_some()) else {
        return Ok(session_id.cloned().map(Who::Session));
    };
    if claims.expires_at <= state.clock.now() {
        // A token that expired during a long legacy SSE stream.
        return Err(AppError::LinkRequired {
            message: "The Target account link has expired. Link the account again.".into(),
            challenge: resource.challenge(&Challenge::InvalidToken),
        });
    }
    let missing: Vec<&str> = access.scopes().iter().filter(|s| !claims.allows(**s)).map(|s| s.as_str()).collect();
    if !missing.is_empty() {
        return Err(AppError::InsufficientScope {
            scopes: missing.join(", "),
            challenge: resource.challenge(&Challenge::InsufficientScope { scopes: access.scopes() }),
        });
    }
    // Only a tool that works on the cart (and so holds the `cart` scope) takes an anonymous cart over.
    let merge_from = session_id.filter(|_| access.scopes().contains(&Scope::Cart)).cloned();
    Ok(Some(Who::Linked { claims: claims.clone(), merge_from }))
}

/// `who`, required: nobody is `LinkRequired`, whose challenge makes an OAuth client offer to
/// link the account (session-mode hosts always name a session).
pub fn required(who: Option<Who>, resource: &ProtectedResource, tool: ToolName) -> Result<Who, AppError> {
    who.ok_or_else(|| AppError::LinkRequired {
        message: "Link your Target account to continue (or, in a host without account linking, start a \
                  session with create-target-session and pass its sessionId)."
            .into(),
        challenge: resource.challenge(&Challenge::LinkRequired { scopes: access(tool).scopes() }),
    })
}

/// The shopper `who` names, with their live session.
pub async fn shopper(state: &AppState, who: Who) -> Result<Shopper, AppError> {
    match who {
        Who::Session(id) => sessions::require(state, &id).await.map(Shopper::Session),
        Who::Linked { claims, merge_from } => {
            let session = linked_session(state, &claims, merge_from.as_ref()).await?;
            Ok(Shopper::Linked { session, claims })
        }
    }
}

/// The linked account's session, after moving into it the cart of the anonymous session
/// `merge_from` (if the call named one and it has lines; a second call finds it empty).
pub async fn linked_session(
    state: &AppState,
    claims: &AccessClaims,
    merge_from: Option<&SessionId>,
) -> Result<Session, AppError> {
    let session = account_session(state, &claims.account).await?;
    let Some(from) = merge_from else { return Ok(session) };
    match state.store.merge_cart(from, &session.id, QUANTITY_MAX, state.clock.now()).await? {
        Some(merged) => {
            tracing::info!(session = sessions::log_prefix(from.as_str()), "anonymous cart moved into a linked account");
            Ok(merged)
        }
        None => Ok(session),
    }
}

/// The account's own shopping session, created on first use.
pub async fn account_session(state: &AppState, account: &User) -> Result<Session, AppError> {
    let now = state.clock.now();
    let fresh = Session {
        id: state.account_ids.session_id(&account.email),
        kind: SessionKind::Account,
        created_at: now,
        last_seen: now,
        user: Some(account.clone()),
        cart: Vec::new(),
        searches: Vec::new(),
        version: 0,
    };
    Ok(state.store.account_session(fresh, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_session_ids_depend_on_the_secret_and_the_normalized_email() {
        let a = AccountIds { secret: b"one".to_vec().into() };
        let b = AccountIds { secret: b"two".to_vec().into() };
        assert_eq!(a.session_id("Sam@Example.com "), a.session_id("sam@example.com"));
        assert_ne!(a.session_id("sam@example.com"), b.session_id("sam@example.com"), "unguessable without the secret");
        assert_ne!(a.session_id("sam@example.com"), a.session_id("pat@example.com"));
        assert!(SessionId::parse(a.session_id("x@y.z").as_str()).is_ok());
    }
}
