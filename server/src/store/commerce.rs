//! What the store keeps for the Agentic Commerce Protocol (`crate::commerce`): checkout
//! sessions (as the JSON `commerce::session` writes, with a version for compare-and-set), the
//! post-purchase record of each ACP order (`commerce::orders`, also versioned), the idempotency
//! records of ACP POSTs (kept at least [`IDEMPOTENCY_RETENTION`]), the outbox of order
//! webhooks, and the queue of pending refunds. The store does not read the JSON it keeps, except
//! an event's `after` (below).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a finished ACP request's response is replayed for its idempotency key (the spec asks
/// for at least 24 hours).
pub const IDEMPOTENCY_RETENTION: Duration = Duration::hours(24);

/// How long a checkout session is kept after it expires (memory) or after its last write (Redis),
/// for retrieval and support.
pub const CHECKOUT_RETENTION: Duration = Duration::days(30);

/// One checkout session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckout {
    pub id: String,
    /// Bumped by every write; a write names the version it read (compare-and-set).
    pub version: u64,
    /// When the session stops taking changes; the store drops it [`CHECKOUT_RETENTION`] later.
    pub expires_at: DateTime<Utc>,
    pub json: String,
}

/// An ACP order's post-purchase state (status, fulfillments, adjustments) as stored; the
/// store keeps it as long as orders (`ORDER_RETENTION_SECS`, counted from its last write in
/// Redis, from `placed_at` in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAcpOrder {
    pub id: String,
    /// 1 when placed; bumped by every write, which names the version it read (compare-and-set).
    pub version: u64,
    pub placed_at: DateTime<Utc>,
    pub json: String,
}

/// A finished response, replayed for a repeated idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What [`crate::store::Store::idempotency_begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new (or its record expired): the caller runs the request and then calls
    /// `idempotency_finish` or `idempotency_release`.
    Started,
    /// The same key with the same body is being processed right now.
    InFlight,
    /// The key was used with a different body.
    Conflict,
    /// The same key and body finished before: this is its response.
    Replay(StoredResponse),
}

/// One order webhook waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Stable across retries; sent as `Request-Id` so the receiver can drop duplicates.
    pub id: String,
    /// The JSON body to POST.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// Not before this instant.
    pub next_attempt_at: DateTime<Utc>,
    /// The event of the same order queued just before this one: while it is undelivered this one
    /// is not claimed (unless claimed after it in the same batch) but parked, and acknowledging
    /// that event makes this one due; so a receiver gets an order's events in the order they
    /// happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The refund of a canceled order that the payment provider has not taken yet, queued for the
/// refund worker (`commerce/refunds.rs`). One per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRefund {
    pub order_id: String,
    /// Failed tries so far.
    pub attempts: u32,
    /// Not before this instant.
    pub next_attempt_at: DateTime<Utc>,
}
