//! Shared state of the shop: sessions (with their carts and searches), orders, memberships and
//! sign-in failure counts, behind one trait so a Redis backend can replace the in-memory one.
//!
//! Every method that changes a session bumps its `version`, which the widgets use to order
//! results. Sessions expire when idle for the configured TTL; reading a session through
//! [`Store::session`] slides its expiry.

#[cfg(test)]
pub(crate) mod contract;
pub mod memory;
pub mod oauth;
#[cfg(test)]
pub(crate) mod oauth_contract;
pub mod redis;
pub mod redis_sse_relay;
#[cfg(test)]
pub(crate) mod redis_test_server;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::User;
use shared::checkout::Order;
use shared::ids::{IdempotencyKey, OrderId, ProductId, SessionId};
use shared::membership::Membership;
use shared::money::Cents;
use shared::product::Product;

/// How many past searches a session keeps for recommendations.
pub const SEARCH_HISTORY: usize = 10;
/// Most distinct products in one cart.
pub const CART_MAX_LINES: usize = 100;

/// One shopper's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The signed-in account, if any.
    pub user: Option<User>,
    pub cart: Vec<CartEntry>,
    /// Most recent first, at most [`SEARCH_HISTORY`].
    pub searches: Vec<String>,
    /// Bumped by every change.
    pub version: u64,
}

/// A cart line as stored: the product as it was when added (shared with the catalog's record in
/// memory), and how many. Its JSON form (`{"product":…,"quantity":…}`) is what the Redis backend
/// compares at checkout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartEntry {
    pub product: Arc<Product>,
    pub quantity: u32,
}

/// What `place_order` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub order: Order,
    /// The order already existed for this idempotency key; nothing new was placed.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session not found or expired")]
    SessionNotFound,
    #[error("the cart changed while the order was being placed")]
    CartChanged,
    #[error("the cart is full")]
    CartFull,
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// Every backend also keeps the OAuth authorization server's grants ([`oauth::OAuthStore`]).
#[async_trait]
pub trait Store: oauth::OAuthStore + Send + Sync {
    async fn create_session(&self, session: Session) -> Result<(), StoreError>;

    /// The session if it exists and has not expired at `now`; marks it used at `now`.
    async fn session(&self, id: &SessionId, now: DateTime<Utc>) -> Result<Option<Session>, StoreError>;

    /// Signs the session in (`Some`) or out (`None`).
    async fn set_user(&self, id: &SessionId, user: Option<User>) -> Result<Session, StoreError>;

    /// Remembers a search for recommendations.
    async fn record_search(&self, id: &SessionId, query: &str) -> Result<(), StoreError>;

    /// Adds `quantity` of `product` (capped at `max_quantity` per line) atomically, to a session
    /// that is live at `now`, which it marks used at `now` as [`Store::session`] does (so the
    /// tool needs one call, and one Redis round trip, not two).
    async fn add_to_cart(
        &self,
        id: &SessionId,
        product: Arc<Product>,
        quantity: u32,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError>;

    /// Sets a line's quantity; 0 removes it. `Ok(None)` if the product is not in the cart.
    async fn set_quantity(
        &self,
        id: &SessionId,
        product: &ProductId,
        quantity: u32,
    ) -> Result<Option<Session>, StoreError>;

    /// The order placed earlier for this account and key, if any.
    async fn order_for_key(&self, email: &str, key: &IdempotencyKey) -> Result<Option<Order>, StoreError>;

    /// In one atomic step: if `key` already placed an order for this account, return it
    /// (`replayed`); otherwise, if the session's cart still equals `expected_cart`, store `order`,
    /// remember the key, empty the cart and add `savings` to the account's Circle savings.
    /// A cart that changed meanwhile (a second click already placed it) is `CartChanged`.
    async fn place_order(
        &self,
        id: &SessionId,
        key: Option<&IdempotencyKey>,
        expected_cart: &[CartEntry],
        order: Order,
        savings: Cents,
    ) -> Result<Placed, StoreError>;

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError>;

    /// Membership of an account (by email, lower-cased); it outlives sessions.
    async fn membership(&self, email: &str) -> Result<Option<Membership>, StoreError>;

    /// Makes the account a member (or changes its tier), keeping `member_since` and savings of
    /// an existing membership. Returns the membership as stored.
    async fn join_membership(&self, email: &str, membership: Membership) -> Result<Membership, StoreError>;

    /// Bumps a session's version after a change stored elsewhere (e.g. its account's membership).
    async fn bump_version(&self, id: &SessionId) -> Result<u64, StoreError>;

    /// Counts a failed sign-in for an account; returns the failures within the window.
    async fn record_login_failure(&self, email: &str, now: DateTime<Utc>) -> Result<u32, StoreError>;

    /// Failures within the window ending at `now`.
    async fn login_failures(&self, email: &str, now: DateTime<Utc>) -> Result<u32, StoreError>;

    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError>;

    /// Removes sessions idle past their TTL at `now`; returns how many.
    async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Whether the backend answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
}
