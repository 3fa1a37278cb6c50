//! The cart widget's pure logic: which output a result holds, the saved view, the idempotency key
//! of a checkout, and the totals rows.

use serde_json::{Value, json};
use shared::cart::{Cart, CartOutput};
use shared::checkout::{CheckoutOutput, Order};
use shared::ids::{IdempotencyKey, OrderId, SessionId};
use shared::money::Cents;

use crate::bridge::ToolResult;
use crate::host::parse_structured;
use crate::locale::usd;

/// Where shoppers finish when an order names no link of its own.
pub const TARGET_CART_URL: &str = "https://www.target.com/cart";

/// What a cart-widget result holds: a cart (`add-to-cart`, `get-cart`, `update-cart-item`) or a
/// placed order (`checkout`).
#[derive(Debug, Clone, PartialEq)]
pub enum CartData {
    Cart(CartOutput),
    Order(Box<CheckoutOutput>),
}

pub fn cart_data(result: &ToolResult) -> Option<CartData> {
    if let Some(order) = parse_structured::<CheckoutOutput>(result) {
        return Some(CartData::Order(Box::new(order)));
    }
    parse_structured::<CartOutput>(result).map(CartData::Cart)
}

/// The view saved in widget state: after an order this widget placed, a re-render that brings
/// back the old cart shows the order instead of a cart that no longer exists.
#[derive(Debug, Clone, PartialEq)]
pub enum SavedView {
    Cart,
    Confirmation { order_id: OrderId, continue_url: String },
}

impl SavedView {
    /// The widget-state form: `{"view": "cart"}` or `{"view": "confirmation", "orderId", "continueUrl"}`.
    pub fn to_state(&self) -> Value {
        match self {
            SavedView::Cart => json!({ "view": "cart" }),
            SavedView::Confirmation { order_id, continue_url } => {
                json!({ "view": "confirmation", "orderId": order_id, "continueUrl": continue_url })
            }
        }
    }

    /// The saved view in `state`; anything unreadable is the cart.
    pub fn from_state(state: Option<&Value>) -> SavedView {
        let Some(state) = state.filter(|s| s.get("view").and_then(Value::as_str) == Some("confirmation")) else {
            return SavedView::Cart;
        };
        let order_id = state.get("orderId").and_then(Value::as_str).and_then(|id| OrderId::parse(id).ok());
        let continue_url = state.get("continueUrl").and_then(Value::as_str).unwrap_or(TARGET_CART_URL);
        match order_id {
            Some(order_id) => SavedView::Confirmation { order_id, continue_url: continue_url.to_owned() },
            None => SavedView::Cart,
        }
    }
}

/// The checkout key for one cart view: the session (`linked` for a linked account's cart), the
/// cart's state version and a random suffix drawn once per widget. Clicking twice on the same
/// cart sends the same key, so the server places one order; a changed cart (new version) gets a
/// new key.
pub fn idempotency_key(session: Option<&SessionId>, version: u64, suffix: u32) -> Option<IdempotencyKey> {
    let short: String = match session {
        Some(session) => {
            let hex = session.as_str().strip_prefix(shared::ids::SESSION_PREFIX).unwrap_or(session.as_str());
            hex.chars().take(12).collect()
        }
        None => "linked".to_owned(),
    };
    IdempotencyKey::parse(format!("cart-{short}-v{version}-{suffix:08x}")).ok()
}

/// One row of the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalRow {
    pub label: &'static str,
    pub value: String,
    pub testid: &'static str,
    /// The total: drawn bigger.
    pub grand: bool,
}

fn row(label: &'static str, value: String, testid: &'static str) -> TotalRow {
    TotalRow { label, value, testid, grand: false }
}

fn rows(subtotal: Cents, savings: Cents, shipping: Cents, tax: (&'static str, Cents), total: Cents) -> Vec<TotalRow> {
    let mut out = vec![row("Subtotal", usd(subtotal), "cart-subtotal")];
    if savings > Cents::ZERO {
        out.push(row("Circle savings", format!("−{}", usd(savings)), "cart-savings"));
    }
    let shipping = if shipping == Cents::ZERO { "Free".to_owned() } else { usd(shipping) };
    out.push(row("Shipping", shipping, "cart-shipping"));
    out.push(row(tax.0, usd(tax.1), "cart-tax"));
    out.push(TotalRow { label: "Total", value: usd(total), testid: "cart-total", grand: true });
    out
}

/// Subtotal, Circle savings (when any), shipping ("Free" at 0), estimated tax and total.
pub fn cart_rows(cart: &Cart) -> Vec<TotalRow> {
    rows(
        cart.subtotal_cents,
        cart.circle_savings_cents,
        cart.shipping_cents,
        ("Estimated tax", cart.estimated_tax_cents),
        cart.total_cents,
    )
}

/// The same rows for a placed order.
pub fn order_rows(order: &Order) -> Vec<TotalRow> {
    rows(
        order.subtotal_cents,
        order.circle_savings_cents,
        order.shipping_cents,
        ("Tax", order.tax_cents),
        order.total_cents,
    )
}

/// "1 item", "3 items".
pub fn items_text(count: u32) -> String {
    if count == 1 { "1 item".to_owned() } else { format!("{count} items") }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "sess_0123456789abcdef0123456789abcdef";

    fn cart_json(savings: i64, shipping: i64) -> Value {
        json!({
            "items": [{
                "product": {"id": "12345678", "title": "Desk Lamp", "priceCents": 1999, "currency": "USD", "inStock": true},
                "quantity": 2,
                "lineTotalCents": 3998
            }],
            "itemCount": 2, "subtotalCents": 3998, "circleSavingsCents": savings, "shippingCents": shipping,
            "estimatedTaxCents": 330, "totalCents": 3998 - savings + shipping + 330, "currency": "USD"
        })
    }

    fn result(structured: Value) -> ToolResult {
        ToolResult { structured: Some(structured), ..Default::default() }
    }

    fn order_json() -> Value {
        json!({
            "order": {
                "orderId": "TGT-123456789012", "placedAt": "2026-11-25T16:00:00Z", "email": "shopper@example.com",
                "items": cart_json(0, 0)["items"], "subtotalCents": 3998, "circleSavingsCents": 0, "shippingCents": 0,
                "taxCents": 330, "totalCents": 4328, "currency": "USD", "continueUrl": "https://www.target.com/cart"
            },
            "replayed": false
        })
    }

    #[test]
    fn results_are_carts_or_orders() {
        let cart = cart_data(&result(json!({"sessionId": SESSION, "cart": cart_json(0, 599)})));
        assert!(matches!(cart, Some(CartData::Cart(c)) if c.cart.item_count == 2));
        let order = cart_data(&result(order_json()));
        assert!(matches!(order, Some(CartData::Order(o)) if o.order.order_id.as_str() == "TGT-123456789012"));
        assert_eq!(cart_data(&result(json!({"products": []}))), None);
    }

    #[test]
    fn saved_view_round_trips() {
        let confirmation = SavedView::Confirmation {
            order_id: OrderId::parse("TGT-123456789012").unwrap(),
            continue_url: "https://www.target.com/cart".into(),
        };
        assert_eq!(SavedView::from_state(Some(&confirmation.to_state())), confirmation);
        assert_eq!(SavedView::from_state(Some(&SavedView::Cart.to_state())), SavedView::Cart);
        assert_eq!(SavedView::from_state(None), SavedView::Cart);
        assert_eq!(SavedView::from_state(Some(&json!({"view": "confirmation", "orderId": "nope"}))), SavedView::Cart);
        let no_url = json!({"view": "confirmation", "orderId": "TGT-123456789012"});
        assert!(
            matches!(SavedView::from_state(Some(&no_url)), SavedView::Confirmation { continue_url, .. } if continue_url == TARGET_CART_URL)
        );
    }

    #[test]
    fn idempotency_keys_are_valid_and_stable_per_cart_view() {
        let session = SessionId::parse(SESSION).unwrap();
        let key = idempotency_key(Some(&session), 7, 0xdead_beef).unwrap();
        assert_eq!(key.as_str(), "cart-0123456789ab-v7-deadbeef");
        assert_eq!(idempotency_key(Some(&session), 7, 0xdead_beef), Some(key.clone()), "a double click reuses the key");
        assert_ne!(idempotency_key(Some(&session), 8, 0xdead_beef), Some(key.clone()), "a changed cart gets a new key");
        assert_ne!(idempotency_key(Some(&session), 7, 1), Some(key), "another widget gets a new key");
        assert!(idempotency_key(Some(&session), u64::MAX, u32::MAX).is_some());
        assert_eq!(idempotency_key(Some(&session), 0, 0).unwrap().as_str(), "cart-0123456789ab-v0-00000000");
        assert_eq!(idempotency_key(None, 3, 1).unwrap().as_str(), "cart-linked-v3-00000001", "a linked account's cart");
    }

    #[test]
    fn totals_rows() {
        let cart: Cart = serde_json::from_value(cart_json(200, 0)).unwrap();
        let rows = cart_rows(&cart);
        let labels: Vec<_> = rows.iter().map(|r| r.label).collect();
        assert_eq!(labels, ["Subtotal", "Circle savings", "Shipping", "Estimated tax", "Total"]);
        assert_eq!(rows[1].value, "−$2.00");
        assert_eq!(rows[2].value, "Free");
        assert!(rows[4].grand && rows[4].testid == "cart-total");
        let cart: Cart = serde_json::from_value(cart_json(0, 599)).unwrap();
        let rows = cart_rows(&cart);
        assert_eq!(rows.len(), 4, "no savings row without savings");
        assert_eq!(rows[1].value, "$5.99");
        let order: CheckoutOutput = serde_json::from_value(order_json()).unwrap();
        let rows = order_rows(&order.order);
        assert_eq!(rows[2].label, "Tax");
        assert_eq!(rows[3].value, "$43.28");
        assert_eq!(items_text(1), "1 item");
        assert_eq!(items_text(0), "0 items");
    }
}
