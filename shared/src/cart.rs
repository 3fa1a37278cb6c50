//! The cart and the cart tools.

use serde::{Deserialize, Serialize};

use crate::ids::{ProductId, SessionId};
use crate::money::{Cents, Currency};
use crate::product::ProductSummary;
use crate::{InputError, check_range};

pub const QUANTITY_MAX: u32 = 99;

/// One product in the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub product: ProductSummary,
    pub quantity: u32,
    /// Price times quantity, before Circle savings.
    pub line_total_cents: Cents,
}

/// A priced cart. Every amount is computed by the server's pricing rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    pub items: Vec<CartLine>,
    /// Number of units (sum of quantities).
    pub item_count: u32,
    pub subtotal_cents: Cents,
    /// Circle member savings, as a positive amount taken off the subtotal.
    pub circle_savings_cents: Cents,
    pub shipping_cents: Cents,
    pub estimated_tax_cents: Cents,
    pub total_cents: Cents,
    pub currency: Currency,
}

/// `add-to-cart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AddToCartInput {
    /// The id from create-target-session or an earlier add-to-cart; leave it out when the Target
    /// account is linked. Without it (and no linked account) the add starts a new session and
    /// answers its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    pub product_id: ProductId,
    /// How many to add, 1 to 99 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 99)))]
    pub quantity: Option<u32>,
}

impl AddToCartInput {
    pub fn validate(&self) -> Result<(), InputError> {
        check_range("quantity", self.quantity, 1, QUANTITY_MAX)
    }
}

/// `update-cart-item`: sets a line's quantity; 0 removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateCartItemInput {
    /// The id from create-target-session; leave it out when the Target account is linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    pub product_id: ProductId,
    /// The new quantity, 0 to 99; 0 removes the product.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 99)))]
    pub quantity: u32,
}

impl UpdateCartItemInput {
    pub fn validate(&self) -> Result<(), InputError> {
        check_range("quantity", Some(self.quantity), 0, QUANTITY_MAX)
    }
}

/// The `structuredContent` of every cart tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartOutput {
    /// The session (session mode only; a linked account's cart has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    pub cart: Cart,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_checked() {
        let id = |q| AddToCartInput {
            session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").ok(),
            product_id: ProductId::parse("12345678").unwrap(),
            quantity: q,
        };
        assert!(id(None).validate().is_ok());
        assert!(id(Some(99)).validate().is_ok());
        assert!(id(Some(0)).validate().is_err());
        assert!(id(Some(100)).validate().is_err());
        let upd = UpdateCartItemInput {
            session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").ok(),
            product_id: ProductId::parse("12345678").unwrap(),
            quantity: 0,
        };
        assert!(upd.validate().is_ok());
        assert!(UpdateCartItemInput { quantity: 100, ..upd }.validate().is_err());
    }
}
