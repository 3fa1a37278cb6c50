//! Storage of the built-in OAuth authorization server (issue 11): grants with their
//! authorization code, access tokens and refresh tokens, registered clients, and pending
//! authorization requests.
//!
//! Secrets are never stored: codes, tokens and request handles are kept as their SHA-256
//! ([`SecretHash`]). Every secret the server hands out names its grant in clear
//! (`<kind>_<grant id>_<random>`, see `identity::oauth::secrets`), so each operation touches one
//! grant, which the Redis backend keeps in ONE hash: every change of a grant is a single-key
//! script, atomic without cross-key coordination.
//!
//! The lifecycle of a grant:
//! 1. [`OAuthStore::oauth_create_grant`]: the shopper consented; the grant holds its code only.
//! 2. [`OAuthStore::oauth_redeem_code`]: the code is used once; the grant gets its first access
//!    token and refresh token. A second use of the code deletes the grant (replay).
//! 3. [`OAuthStore::oauth_rotate_refresh`]: a refresh token is exchanged for a new pair; the old
//!    one is remembered as used, and presenting a used one deletes the grant (reuse detection).
//! 4. [`OAuthStore::oauth_revoke_grant`] / [`OAuthStore::oauth_revoke_access`]: revocation.
//!
//! Expiry is decided against the `now` the caller passes (the app's clock), so tests move a
//! manual clock; backends also drop a grant by themselves once nothing in it can be used.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::auth::{Scope, User};

use super::StoreError;

/// Used refresh tokens a grant remembers for reuse detection (older ones are merely unknown).
pub const USED_REFRESH_KEPT: usize = 64;

/// A grant's id: 128 random bits as 32 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GrantId(String);

impl GrantId {
    pub fn random() -> Self {
        GrantId(format!("{:032x}", rand::random::<u128>()))
    }

    /// `None` unless `s` is exactly 32 lower-case hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then(|| GrantId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for GrantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of a secret, as 64 hex digits: what the store keeps instead of the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        SecretHash(hex::encode(Sha256::digest(secret.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a hash read back from storage; `None` unless it has the form of one.
    pub fn from_stored(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| SecretHash(s.to_owned()))
    }
}

/// What the shopper granted, fixed when they consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    pub client_id: String,
    pub account: User,
    pub scopes: BTreeSet<Scope>,
    /// The RFC 8707 resource (a connector's public URL): the audience of every token.
    pub resource: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI (then the token request must).
    pub redirect_uri_given: bool,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub created_at: DateTime<Utc>,
}

/// A new access token and refresh token, as hashes with their expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTokens {
    pub access: SecretHash,
    pub access_expires_at: DateTime<Utc>,
    /// The access token's scopes when a refresh narrowed them (RFC 6749 §6); `None`: the
    /// grant's. The refresh token always keeps the grant's scopes.
    pub access_scopes: Option<BTreeSet<Scope>>,
    pub refresh: SecretHash,
    pub refresh_expires_at: DateTime<Utc>,
}

/// A grant found by its authorization code (not consumed by looking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    pub grant: GrantRecord,
    pub expires_at: DateTime<Utc>,
    /// The code was redeemed already: presenting it again is a replay.
    pub used: bool,
}

/// A grant found by a refresh token (not rotated by looking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshView {
    pub grant: GrantRecord,
    pub expires_at: DateTime<Utc>,
    /// The token was rotated away already: presenting it is reuse.
    pub reused: bool,
}

/// A grant found by one of its access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessView {
    pub grant: GrantRecord,
    pub expires_at: DateTime<Utc>,
    /// What this token may do: the grant's scopes, or fewer when a refresh narrowed them.
    pub scopes: BTreeSet<Scope>,
}

/// What [`OAuthStore::oauth_redeem_code`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeem {
    /// The code was live and unused: it is now used and the tokens are stored.
    Issued,
    /// The code had been used: the grant and all its tokens are deleted.
    Replayed,
    /// No such grant or code, or the code expired.
    Missing,
}

/// What [`OAuthStore::oauth_rotate_refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotate {
    Rotated,
    /// The refresh token had been rotated away: the grant and all its tokens are deleted.
    Reused,
    /// No such grant or token, or the token expired.
    Missing,
}

/// Small JSON records of the authorization server, each under its kind and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A dynamically registered client, by client id; expires when unused (`OAUTH_CLIENT_IDLE_DAYS`).
    Client,
    /// A pending authorization request (the sign-in page's), by the hash of its handle.
    Request,
}

impl RecordKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Client => "client",
            RecordKind::Request => "request",
        }
    }
}

/// The authorization server's storage; every [`Store`](super::Store) backend has it.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Stores a new grant holding only its code, usable until `code_expires_at`.
    async fn oauth_create_grant(
        &self,
        id: &GrantId,
        grant: &GrantRecord,
        code: &SecretHash,
        code_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The grant whose code is `code`, used or not; `None` if unknown or gone.
    async fn oauth_code(&self, id: &GrantId, code: &SecretHash) -> Result<Option<CodeView>, StoreError>;

    /// In one atomic step: a live unused code becomes used and `tokens` are stored (the grant
    /// then lives until the refresh token expires); a used code deletes the grant.
    async fn oauth_redeem_code(
        &self,
        id: &GrantId,
        code: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Redeem, StoreError>;

    /// The grant whose current or a remembered used refresh token is `refresh`.
    async fn oauth_refresh(&self, id: &GrantId, refresh: &SecretHash) -> Result<Option<RefreshView>, StoreError>;

    /// In one atomic step: the current, live refresh token `refresh` is replaced by `tokens`
    /// (and remembered as used); a used one deletes the grant.
    async fn oauth_rotate_refresh(
        &self,
        id: &GrantId,
        refresh: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Rotate, StoreError>;

    /// The grant of the access token `access`, with the token's expiry (which the caller checks).
    async fn oauth_access(&self, id: &GrantId, access: &SecretHash) -> Result<Option<AccessView>, StoreError>;

    /// Forgets one access token.
    async fn oauth_revoke_access(&self, id: &GrantId, access: &SecretHash) -> Result<(), StoreError>;

    /// Deletes a grant with its code and every token.
    async fn oauth_revoke_grant(&self, id: &GrantId) -> Result<(), StoreError>;

    /// Stores a record, replacing one of the same kind and key; `expires_at` `None` keeps it.
    async fn oauth_put_record(
        &self,
        kind: RecordKind,
        key: &str,
        json: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A record unless absent or expired at `now`.
    async fn oauth_record(&self, kind: RecordKind, key: &str, now: DateTime<Utc>)
    -> Result<Option<String>, StoreError>;

    async fn oauth_delete_record(&self, kind: RecordKind, key: &str) -> Result<(), StoreError>;
}
