//! The checkout tool and the orders it places.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cart::CartLine;
use crate::ids::{IdempotencyKey, OrderId, SessionId};
use crate::money::{Cents, Currency};

/// `checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckoutInput {
    /// The id from create-target-session; leave it out when the Target account is linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Retrying with the same key returns the same order instead of placing another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<IdempotencyKey>,
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: OrderId,
    pub placed_at: DateTime<Utc>,
    /// The account the order belongs to.
    pub email: String,
    pub items: Vec<CartLine>,
    pub subtotal_cents: Cents,
    pub circle_savings_cents: Cents,
    pub shipping_cents: Cents,
    pub tax_cents: Cents,
    pub total_cents: Cents,
    pub currency: Currency,
    /// Target.com's cart, for the shopper who wants to finish there.
    pub continue_url: String,
}

/// The `structuredContent` of `checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckoutOutput {
    pub order: Order,
    /// True when this answer repeats an order placed earlier with the same idempotency key.
    pub replayed: bool,
}
