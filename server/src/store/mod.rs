//! Shared state of the shop: sessions (with their carts and searches), orders, memberships and
//! sign-in attempt counts, behind one trait so a Redis backend can replace the in-memory one.
//!
//! Every method that changes a session bumps its `version`, which the widgets use to order
//! results. Sessions expire when idle for the configured TTL; reading a session through
//! [`Store::session`] slides its expiry.

pub mod commerce;
#[cfg(test)]
pub(crate) mod commerce_contract;
#[cfg(test)]
pub(crate) mod contract;
pub mod home;
pub mod memory;
pub mod oauth;
#[cfg(test)]
pub(crate) mod oauth_contract;
pub mod redis;
#[cfg(test)]
pub(crate) mod redis_test_cluster;
#[cfg(test)]
pub(crate) mod redis_test_server;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::User;

use self::commerce::{IdempotencyBegin, OutboxEvent, PendingRefund, StoredAcpOrder, StoredCheckout, StoredResponse};
use shared::checkout::Order;
use shared::ids::{IdempotencyKey, OrderId, ProductId, SessionId};
use shared::membership::Membership;
use shared::money::Cents;
use shared::product::Product;

/// How many past searches a session keeps for recommendations.
pub const SEARCH_HISTORY: usize = 10;
/// Most distinct products in one cart.
pub const CART_MAX_LINES: usize = 100;

/// Longest time an id retired at sign-in ([`Store::renew_session`]) answers "renewed" rather than
/// "not found": the session TTL, capped at this.
pub const RENEWED_NOTICE_MAX: std::time::Duration = std::time::Duration::from_secs(3600);

/// How long a linked account's shopping session lives unused, unless the store is told otherwise.
pub const DEFAULT_ACCOUNT_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Whose session it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionKind {
    /// A chat's session (session mode): its id, carried by the model, is the credential. It
    /// lives for the session TTL.
    #[default]
    Chat,
    /// A linked account's own shopping session (OAuth): reached only through a verified access
    /// token for that account, never by an id in tool arguments; it lives for the account TTL,
    /// so the cart survives new chats.
    Account,
}

/// One shopper's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    #[serde(default)]
    pub kind: SessionKind,
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

impl Session {
    /// The id tool results may show: a chat session's. A linked account's session id stays
    /// inside the server.
    pub fn public_id(&self) -> Option<SessionId> {
        (self.kind == SessionKind::Chat).then(|| self.id.clone())
    }
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
    /// The id was retired by [`Store::renew_session`] a short while ago (its session lives on
    /// under another id).
    #[error("session renewed at sign-in")]
    SessionRenewed,
    #[error("the cart changed while the order was being placed")]
    CartChanged,
    #[error("the cart is full")]
    CartFull,
    #[error("an order with this id exists already")]
    OrderIdTaken,
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// How long orders and idempotency keys are kept (`ORDER_RETENTION_SECS`,
/// `IDEMPOTENCY_KEY_TTL_SECS`): the memory store's sweep drops older ones, Redis expires them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub orders: std::time::Duration,
    pub idempotency_keys: std::time::Duration,
}

impl Default for Retention {
    /// 30 days of orders, 24 hours of idempotency keys.
    fn default() -> Self {
        Retention {
            orders: std::time::Duration::from_secs(30 * 24 * 3600),
            idempotency_keys: std::time::Duration::from_secs(24 * 3600),
        }
    }
}

/// One sign-in attempt: the account (trimmed, lower-case email), the client (its rate-limit key as
/// text) and a random id naming this attempt among the recorded ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    pub account: String,
    pub client: String,
    pub id: String,
}

/// The sign-in lockout's limits, all over the same sliding `window`:
/// - `per_account_client` failures of one account from one client lock that pair;
/// - `per_client` failures from one client, whatever the accounts, lock that client;
/// - past `account_slow_after` failures of one account from all clients, that account takes at
///   most one attempt per `account_slow_interval` (a slower back-off for everybody, never a lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub window: chrono::Duration,
    pub per_account_client: u32,
    pub per_client: u32,
    pub account_slow_after: u32,
    pub account_slow_interval: chrono::Duration,
}

/// Why an attempt was refused, and when the refusing limit frees up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many failures of this account from this client.
    AccountFromClient { retry_after_secs: u64 },
    /// Too many failures from this client.
    Client { retry_after_secs: u64 },
    /// The account is under a distributed guessing attack and takes attempts slowly.
    AccountSlowed { retry_after_secs: u64 },
}

impl LoginRefusal {
    pub fn retry_after_secs(self) -> u64 {
        match self {
            LoginRefusal::AccountFromClient { retry_after_secs }
            | LoginRefusal::Client { retry_after_secs }
            | LoginRefusal::AccountSlowed { retry_after_secs } => retry_after_secs,
        }
    }
}

/// Whole seconds from `now` until `until` (at least 1), for `Retry-After`.
pub fn retry_after(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let micros = u64::try_from((until - now).num_microseconds().unwrap_or(i64::MAX)).unwrap_or(0);
    micros.div_ceil(1_000_000).max(1)
}

/// Every backend also keeps the OAuth authorization server's grants ([`oauth::OAuthStore`]).
#[async_trait]
pub trait Store: oauth::OAuthStore + Send + Sync {
    async fn create_session(&self, session: Session) -> Result<(), StoreError>;

    /// The session if it exists and has not expired at `now`; marks it used at `now`. An id
    /// retired by [`Store::renew_session`] a short while ago is `Err(SessionRenewed)`.
    async fn session(&self, id: &SessionId, now: DateTime<Utc>) -> Result<Option<Session>, StoreError>;

    /// Signs the session in (`Some`) or out (`None`).
    async fn set_user(&self, id: &SessionId, user: Option<User>) -> Result<Session, StoreError>;

    /// Sign-in with a new id (the defence against session fixation, docs/security.md), in one
    /// atomic step: the chat session `old`, if live at `now`, moves to the unused id `new`,
    /// signed in as `user`, marked used at `now`, its version bumped; its cart, searches and
    /// creation time (so its absolute lifetime) come along. `old` is deleted, and for
    /// [`RENEWED_NOTICE_MAX`] at most (never longer than the session TTL) looking it up answers
    /// [`StoreError::SessionRenewed`] instead of nothing. `SessionNotFound` if `old` is not a
    /// live chat session; a `new` already in use, or not in `old`'s home
    /// ([`home::Home::renewed_session_id`] draws one that is), is refused as a backend error and
    /// changes nothing.
    async fn renew_session(
        &self,
        old: &SessionId,
        new: &SessionId,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<Session, StoreError>;

    /// Remembers a search for recommendations.
    async fn record_search(&self, id: &SessionId, query: &str) -> Result<(), StoreError>;

    /// Adds `quantity` of `product` (capped at `max_quantity` per line) atomically, to a session
    /// that is live at `now`, which it marks used at `now` as [`Store::session`] does (so the
    /// tool needs one call, and one Redis round trip, not two). A renewed id is `SessionRenewed`.
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

    /// The order placed earlier for this account and key from `session`'s home (see
    /// [`home`]): a session and every id renewed from it), if any.
    async fn order_for_key(
        &self,
        session: &SessionId,
        email: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Order>, StoreError>;

    /// In one atomic step: if `key` already placed an order for this account, return it
    /// (`replayed`); otherwise, if the session's cart still equals `expected_cart`, store `order`,
    /// remember the key, empty the cart and add `savings` to the account's Circle savings.
    /// A cart that changed meanwhile (a second click already placed it) is `CartChanged`; an
    /// order id already stored is `OrderIdTaken` (nothing changes; the caller draws a new id).
    /// Orders and keys are kept for the store's [`Retention`].
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

    // ---- Abuse resistance (issue 14): session existence for the rate limiter, and the sign-in
    // lockout's atomic attempt reservations (identity/signin.rs). ----

    /// Whether the session exists and is live at `now`, without marking it used.
    async fn session_exists(&self, id: &SessionId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// In one atomic step: refuses the attempt if `limits` say so (see [`LoginLimits`]);
    /// otherwise records it as a failure until [`Store::settle_login_attempt`] says it succeeded.
    /// Recording before the password is hashed is what makes parallel guesses count.
    async fn reserve_login_attempt(
        &self,
        attempt: &LoginAttempt,
        limits: &LoginLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LoginRefusal>, StoreError>;

    /// After the hash: a success forgets the failures of this account from this client and takes
    /// this attempt back from the client's and the account's counts; a failure keeps it counted.
    async fn settle_login_attempt(&self, attempt: &LoginAttempt, succeeded: bool) -> Result<(), StoreError>;

    /// Removes sessions idle past their TTL at `now` (and sign-in attempts, orders and
    /// idempotency keys past their retention); returns how many sessions.
    async fn sweep_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Whether the backend answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    // ---- Agentic Commerce Protocol (crate::commerce; types in store/commerce.rs) ----

    /// A checkout session, whatever its expiry (the caller decides what an expired one means).
    async fn checkout_session(&self, id: &str) -> Result<Option<StoredCheckout>, StoreError>;

    /// Writes `session` if the stored version is `expected` (`None`: no session with this id
    /// exists yet). `Ok(false)` when another writer got there first.
    async fn save_checkout_session(&self, session: &StoredCheckout, expected: Option<u64>) -> Result<bool, StoreError>;

    /// In one atomic step, if the stored version is `expected`: writes `session` (now completed),
    /// stores `order` (the same orders as the `checkout` tool) and `acp_order` (its post-purchase
    /// record), adds `savings` to the account's Circle savings, and queues `event` (the
    /// `order_create` webhook) in the outbox.
    async fn complete_checkout_session(
        &self,
        session: &StoredCheckout,
        expected: u64,
        order: &Order,
        acp_order: &StoredAcpOrder,
        savings: Cents,
        event: &OutboxEvent,
    ) -> Result<bool, StoreError>;

    /// An ACP order's post-purchase record.
    async fn acp_order(&self, id: &str) -> Result<Option<StoredAcpOrder>, StoreError>;

    /// In one atomic step, if the stored version is `expected`: writes `order` and queues `event`
    /// (its `order_update` webhook). `Ok(false)` when another writer got there first.
    async fn update_acp_order(
        &self,
        order: &StoredAcpOrder,
        expected: u64,
        event: &OutboxEvent,
    ) -> Result<bool, StoreError>;

    /// Starts an idempotent request under `scope` (identity + path + key) with the body's
    /// `fingerprint`. An in-flight record older than `lease` (a crashed instance) is taken over.
    async fn idempotency_begin(
        &self,
        scope: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<IdempotencyBegin, StoreError>;

    /// Records the response of a request begun under `scope`, replayed until `now` +
    /// [`commerce::IDEMPOTENCY_RETENTION`].
    async fn idempotency_finish(
        &self,
        scope: &str,
        fingerprint: &str,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Forgets a begun request (it failed with a 5xx: a retry runs afresh).
    async fn idempotency_release(&self, scope: &str) -> Result<(), StoreError>;

    /// Queues a webhook event.
    async fn outbox_push(&self, event: &OutboxEvent) -> Result<(), StoreError>;

    /// Up to `limit` events due at `now`, each claimed until `now + lease` (so another instance
    /// does not send it meanwhile). An event whose `after` is still in the outbox and not claimed
    /// earlier in this batch is not claimed: it is parked until that event is acknowledged.
    async fn outbox_claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEvent>, StoreError>;

    /// The event was delivered: remove it; the event parked behind it (if any) is due at `now`.
    async fn outbox_ack(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// The delivery failed: store the event's new attempt count and next attempt time.
    async fn outbox_retry(&self, event: &OutboxEvent) -> Result<(), StoreError>;

    /// Events waiting (delivered ones are gone).
    async fn outbox_pending(&self) -> Result<usize, StoreError>;

    /// Queues the pending refund of `refund.order_id`, replacing one queued for that order.
    async fn refund_schedule(&self, refund: &PendingRefund) -> Result<(), StoreError>;

    /// Up to `limit` refunds due at `now`, the earliest due first, each claimed until
    /// `now + lease` (so another instance does not try it meanwhile). They come back as queued.
    async fn refund_claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<PendingRefund>, StoreError>;

    /// A try failed: store the refund's new attempt count and next attempt time, unless it left
    /// the queue meanwhile.
    async fn refund_retry(&self, refund: &PendingRefund) -> Result<(), StoreError>;

    /// The refund of `order_id` is settled (or there is none to make): it leaves the queue.
    async fn refund_done(&self, order_id: &str) -> Result<(), StoreError>;

    /// Refunds queued.
    async fn refunds_pending(&self) -> Result<usize, StoreError>;
    // ---- Linked accounts (OAuth resource server): each account's own shopping session ----

    /// The account session `fresh.id` (of kind [`SessionKind::Account`]) if it is live at `now`,
    /// marked used and its expiry slid as [`Store::session`] does; otherwise `fresh`, stored in
    /// its place. One atomic step, so two instances serving one account at once share one cart.
    /// Account sessions expire after the store's account TTL, not the session TTL.
    async fn account_session(&self, fresh: Session, now: DateTime<Utc>) -> Result<Session, StoreError>;

    /// Moves the cart of the anonymous chat session `from` (live at `now`, not signed in) into
    /// the session `into` (a linked account's), in one atomic step: quantities of a product in
    /// both add up, capped at `max_quantity`; new lines are appended while `into` has fewer than
    /// [`CART_MAX_LINES`] (lines that do not fit stay in `from`); the moved lines leave `from`,
    /// and both versions are bumped. `Ok(None)` when nothing moved (`from` is unknown, expired,
    /// signed in, an account's, or its cart is empty), so a retry or a concurrent second call
    /// finds the lines gone and adds nothing. `into` must exist (else `SessionNotFound`).
    async fn merge_cart(
        &self,
        from: &SessionId,
        into: &SessionId,
        max_quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;

    /// The secret account session ids are derived from (so nobody can name another account's
    /// session): `candidate` when none is stored yet, else the stored one. Every instance
    /// sharing the store gets the same secret.
    async fn account_id_secret(&self, candidate: String) -> Result<String, StoreError>;
}
