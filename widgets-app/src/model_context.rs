//! What the model is told after a widget action, as pure Rust (unit-tested natively).
//!
//! Each widget keeps one [`ModelContext`]: the facts its actions established (the cart, a placed
//! order, the Circle tier, the grid's sort, the sign-in, the session) and a sentence saying what
//! the shopper did last. A sign-in renews the session id, so the sign-in widget's context names
//! the new id: the model must use it from then on. After every action the whole context is sent again, because both dialects replace
//! what was sent before:
//!
//! - MCP Apps `ui/update-model-context`: `content` = [`ModelContext::text`] (the sentence plus
//!   the facts, for hosts that take text only), `structuredContent` = the context as JSON.
//! - `window.openai.setWidgetState`: the Apps SDK shape [`widget_state`]
//!   `{modelContent, privateContent}`: only `modelContent` reaches the model; `privateContent` is
//!   what the widget restores on a re-render ([`private_state`] reads it back).
//!
//! Money in these texts is always USD as `$12.34`, whatever the shopper's locale: the model reads it.

use serde::Serialize;
use serde_json::{Value, json};
use shared::auth::User;
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::ids::{OrderId, ProductId, SessionId};
use shared::membership::{MembershipOutput, MembershipTier};
use shared::money::{Cents, Currency};
use shared::product::SortOrder;

/// One cart line as the model hears it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineFacts {
    pub product_id: ProductId,
    pub title: String,
    pub quantity: u32,
}

/// The cart after the last change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartFacts {
    pub lines: Vec<LineFacts>,
    pub item_count: u32,
    pub total_cents: Cents,
    pub currency: Currency,
}

/// An order the shopper placed in the widget.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFacts {
    pub order_id: OrderId,
    pub item_count: u32,
    pub total_cents: Cents,
    pub currency: Currency,
}

/// The shopper's Target Circle tier after a join or switch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircleFacts {
    pub tier: MembershipTier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_tier: Option<MembershipTier>,
}

/// What a cart change was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartChange {
    Added,
    Quantity(u32),
    Removed,
}

/// Everything a widget's actions told the model; serialized as `structuredContent` /
/// `modelContent`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelContext {
    /// What the shopper did last, in one sentence.
    pub last_action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Whether the shopper is signed in, after a sign-in or sign-out in the widget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_in: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart: Option<CartFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circle: Option<CircleFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortOrder>,
}

fn items(count: u32) -> String {
    if count == 1 { "1 item".to_owned() } else { format!("{count} items") }
}

/// How a sort order reads in a sentence.
pub const fn sort_phrase(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Relevance => "relevance",
        SortOrder::PriceLow => "price, low to high",
        SortOrder::PriceHigh => "price, high to low",
        SortOrder::Rating => "rating, top rated first",
    }
}

impl ModelContext {
    /// A cart change (add, quantity, removal) of `title`, with the cart the server answered.
    pub fn record_cart(&mut self, change: CartChange, title: &str, output: &CartOutput) {
        let cart = &output.cart;
        self.last_action = match change {
            CartChange::Added => format!("The shopper added {title} to their Target cart in the widget."),
            CartChange::Quantity(q) => {
                format!("The shopper changed the quantity of {title} to {q} in their Target cart.")
            }
            CartChange::Removed => format!("The shopper removed {title} from their Target cart."),
        };
        self.session_id = output.session_id.clone();
        self.cart = Some(CartFacts {
            lines: cart
                .items
                .iter()
                .map(|l| LineFacts {
                    product_id: l.product.id.clone(),
                    title: l.product.title.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            item_count: cart.item_count,
            total_cents: cart.total_cents,
            currency: cart.currency,
        });
    }

    /// The server started a Target session for the last action (an add from a grid whose search
    /// had none): the model must pass its id from now on, or later calls would not find the cart.
    pub fn record_session_started(&mut self, session_id: &SessionId) {
        self.last_action.push_str(&format!(
            " That started Target session {session_id}: pass sessionId {session_id} to later cart, checkout and \
             sign-in tools."
        ));
        self.session_id = Some(session_id.clone());
    }

    /// An order placed in the widget; the cart it emptied is gone.
    pub fn record_order(&mut self, output: &CheckoutOutput) {
        let order = &output.order;
        let count = order.items.iter().map(|l| l.quantity).sum();
        self.last_action = format!(
            "The shopper placed Target order {} for {} ({}).",
            order.order_id,
            order.total_cents.display_usd(),
            items(count)
        );
        self.cart = None;
        self.order = Some(OrderFacts {
            order_id: order.order_id.clone(),
            item_count: count,
            total_cents: order.total_cents,
            currency: order.currency,
        });
    }

    /// A Circle join (no `previous`) or switch, with the membership the server answered.
    pub fn record_circle(&mut self, output: &MembershipOutput, previous: Option<MembershipTier>) {
        let Some(tier) = output.membership.as_ref().map(|m| m.tier) else { return };
        self.last_action = match previous.filter(|p| *p != tier) {
            Some(from) => format!("The shopper switched from {} to {}.", from.display_name(), tier.display_name()),
            None => format!("The shopper joined {}.", tier.display_name()),
        };
        self.session_id = output.session_id.clone();
        self.circle = Some(CircleFacts { tier, previous_tier: previous.filter(|p| *p != tier) });
    }

    /// A sign-in in the widget: the server moved the session to `session_id`, and the id the
    /// model used before no longer works.
    pub fn record_sign_in(&mut self, user: &User, session_id: &SessionId) {
        self.last_action = format!(
            "The shopper signed in to Target as {} in the widget. Signing in gave the Target session a new id, \
             {session_id}: use it for every later Target call; the previous id no longer works.",
            user.name
        );
        self.session_id = Some(session_id.clone());
        self.signed_in = Some(true);
    }

    /// A sign-out in the widget (the session keeps its id).
    pub fn record_sign_out(&mut self, session_id: &SessionId) {
        self.last_action = "The shopper signed out of Target in the widget.".to_owned();
        self.session_id = Some(session_id.clone());
        self.signed_in = Some(false);
    }

    /// A new sort order of the product grid.
    pub fn record_sort(&mut self, order: SortOrder) {
        self.last_action = format!("The shopper sorted the Target products by {}.", sort_phrase(order));
        self.sort = Some(order);
    }

    /// The sentence plus every fact, for hosts that take text only.
    pub fn text(&self) -> String {
        let mut text = self.last_action.clone();
        if let Some(cart) = &self.cart {
            let lines: Vec<String> = cart.lines.iter().map(|l| format!("{} × {}", l.quantity, l.title)).collect();
            let lines = if lines.is_empty() { "empty".to_owned() } else { lines.join(", ") };
            text.push_str(&format!(
                " Cart now: {lines} ({}, total {}).",
                items(cart.item_count),
                cart.total_cents.display_usd()
            ));
        }
        if let Some(order) = &self.order {
            text.push_str(&format!(" Order {} total {}.", order.order_id, order.total_cents.display_usd()));
        }
        if let Some(circle) = &self.circle {
            text.push_str(&format!(" Target Circle tier: {}.", circle.tier.display_name()));
        }
        if let Some(sort) = self.sort {
            text.push_str(&format!(" Products sorted by {}.", sort_phrase(sort)));
        }
        if let Some(session) = &self.session_id {
            text.push_str(&format!(" Target session: {session}."));
        }
        text
    }

    /// The context as `structuredContent`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The follow-up message after an order: the shopper expects the assistant to go on.
pub fn order_follow_up(output: &CheckoutOutput) -> String {
    format!("I placed Target order {} for {}.", output.order.order_id, output.order.total_cents.display_usd())
}

/// The Apps SDK widget state: `modelContent` is shown to the model, `privateContent` only
/// restored to the widget.
pub fn widget_state(context: &ModelContext, private: Value) -> Value {
    json!({ "modelContent": context.to_json(), "privateContent": private })
}

/// What a widget restores from a saved widget state: its `privateContent`, or the whole state
/// when it is not in the `{modelContent, privateContent}` shape (saved by an older widget).
pub fn private_state(state: Value) -> Value {
    match state {
        Value::Object(mut map) if map.contains_key("privateContent") || map.contains_key("modelContent") => {
            map.remove("privateContent").unwrap_or(Value::Null)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "sess_0123456789abcdef0123456789abcdef";

    fn cart_output(lines: &[(&str, &str, u32, i64)], total: i64) -> CartOutput {
        let items: Vec<Value> = lines
            .iter()
            .map(|(id, title, q, price)| {
                json!({
                    "product": {"id": id, "title": title, "priceCents": price, "currency": "USD", "inStock": true},
                    "quantity": q, "lineTotalCents": price * i64::from(*q)
                })
            })
            .collect();
        let count: u32 = lines.iter().map(|l| l.2).sum();
        serde_json::from_value(json!({
            "sessionId": SESSION,
            "cart": {"items": items, "itemCount": count, "subtotalCents": total, "circleSavingsCents": 0,
                     "shippingCents": 0, "estimatedTaxCents": 0, "totalCents": total, "currency": "USD"}
        }))
        .unwrap()
    }

    fn order_output() -> CheckoutOutput {
        serde_json::from_value(json!({
            "order": {
                "orderId": "TGT-123456789012", "placedAt": "2026-11-25T16:00:00Z", "email": "shopper@example.com",
                "items": [{"product": {"id": "12345678", "title": "Desk Lamp", "priceCents": 1999, "currency": "USD",
                           "inStock": true}, "quantity": 2, "lineTotalCents": 3998}],
                "subtotalCents": 3998, "circleSavingsCents": 0, "shippingCents": 0, "taxCents": 330,
                "totalCents": 4328, "currency": "USD", "continueUrl": "https://www.target.com/cart"
            },
            "replayed": false
        }))
        .unwrap()
    }

    #[test]
    fn a_cart_change_names_the_product_and_the_new_cart() {
        let mut context = ModelContext::default();
        let output = cart_output(&[("12345678", "Desk Lamp", 2, 1999), ("23456789", "Mug", 1, 499)], 4497);
        context.record_cart(CartChange::Quantity(2), "Desk Lamp", &output);
        assert_eq!(context.last_action, "The shopper changed the quantity of Desk Lamp to 2 in their Target cart.");
        assert_eq!(
            context.text(),
            "The shopper changed the quantity of Desk Lamp to 2 in their Target cart. Cart now: 2 × Desk Lamp, \
             1 × Mug (3 items, total $44.97). Target session: sess_0123456789abcdef0123456789abcdef."
        );
        let json = context.to_json();
        assert_eq!(json["cart"]["lines"][0], json!({"productId": "12345678", "title": "Desk Lamp", "quantity": 2}));
        assert_eq!(json["cart"]["itemCount"], 3);
        assert_eq!(json["cart"]["totalCents"], 4497);
        assert_eq!(json["sessionId"], SESSION);
        assert!(json.get("order").is_none() && json.get("sort").is_none(), "only what is known: {json}");

        context.record_cart(CartChange::Removed, "Mug", &cart_output(&[], 0));
        assert!(
            context.text().contains("removed Mug") && context.text().contains("Cart now: empty (0 items, total $0.00)")
        );
        context.record_cart(CartChange::Added, "Lamp", &cart_output(&[("12345678", "Lamp", 1, 1999)], 1999));
        assert!(context.last_action.starts_with("The shopper added Lamp"));
    }

    #[test]
    fn an_order_replaces_the_cart() {
        let mut context = ModelContext::default();
        context.record_cart(CartChange::Added, "Desk Lamp", &cart_output(&[("12345678", "Desk Lamp", 2, 1999)], 3998));
        context.record_order(&order_output());
        assert_eq!(context.last_action, "The shopper placed Target order TGT-123456789012 for $43.28 (2 items).");
        assert_eq!(context.cart, None);
        let json = context.to_json();
        assert_eq!(
            json["order"],
            json!({"orderId": "TGT-123456789012", "itemCount": 2, "totalCents": 4328, "currency": "USD"})
        );
        assert_eq!(order_follow_up(&order_output()), "I placed Target order TGT-123456789012 for $43.28.");
    }

    #[test]
    fn circle_joins_and_switches() {
        let output = |tier: &str| -> MembershipOutput {
            serde_json::from_value(json!({
                "sessionId": SESSION, "signedIn": true, "member": true,
                "membership": {"tier": tier, "memberSince": "2026-03-05T10:00:00Z", "lifetimeSavingsCents": 0},
                "benefits": []
            }))
            .unwrap()
        };
        let mut context = ModelContext::default();
        context.record_circle(&output("circle-card"), None);
        assert_eq!(context.last_action, "The shopper joined Target Circle Card.");
        assert_eq!(context.to_json()["circle"], json!({"tier": "circle-card"}));
        context.record_circle(&output("circle-360"), Some(MembershipTier::CircleCard));
        assert_eq!(context.last_action, "The shopper switched from Target Circle Card to Target Circle 360.");
        assert_eq!(context.to_json()["circle"], json!({"tier": "circle-360", "previousTier": "circle-card"}));
        assert!(context.text().ends_with(
            "Target Circle tier: Target Circle 360. Target session: sess_0123456789abcdef0123456789abcdef."
        ));
    }

    #[test]
    fn sort_changes_keep_what_was_known() {
        let mut context = ModelContext::default();
        context.record_cart(CartChange::Added, "Desk Lamp", &cart_output(&[("12345678", "Desk Lamp", 1, 1999)], 1999));
        context.record_sort(SortOrder::PriceLow);
        assert_eq!(context.last_action, "The shopper sorted the Target products by price, low to high.");
        let json = context.to_json();
        assert_eq!(json["sort"], "price-low");
        assert_eq!(json["cart"]["itemCount"], 1, "the cart the grid added to is still known");
    }

    #[test]
    fn a_sign_in_names_the_new_session_id_and_a_sign_out_keeps_it() {
        let renewed = SessionId::parse("sess_fedcba9876543210fedcba9876543210").unwrap();
        let sam = User { email: "shopper@example.com".into(), name: "Sam Shopper".into() };
        let mut context = ModelContext::default();
        context.record_sign_in(&sam, &renewed);
        assert!(context.last_action.starts_with("The shopper signed in to Target as Sam Shopper in the widget."));
        assert!(context.last_action.contains("sess_fedcba9876543210fedcba9876543210: use it for every later"));
        assert!(context.text().ends_with(" Target session: sess_fedcba9876543210fedcba9876543210."));
        let json = context.to_json();
        assert_eq!(json["sessionId"], "sess_fedcba9876543210fedcba9876543210");
        assert_eq!(json["signedIn"], true);
        assert!(json.get("cart").is_none(), "{json}");
        context.record_sign_out(&renewed);
        assert_eq!(context.last_action, "The shopper signed out of Target in the widget.");
        assert_eq!(context.to_json()["signedIn"], false);
        assert_eq!(context.to_json()["sessionId"], "sess_fedcba9876543210fedcba9876543210");
    }

    #[test]
    fn a_started_session_is_named_after_the_add() {
        let started = SessionId::parse(SESSION).unwrap();
        let mut context = ModelContext::default();
        context.record_cart(CartChange::Added, "Desk Lamp", &cart_output(&[("12345678", "Desk Lamp", 1, 1999)], 1999));
        context.record_session_started(&started);
        assert_eq!(
            context.last_action,
            "The shopper added Desk Lamp to their Target cart in the widget. That started Target session \
             sess_0123456789abcdef0123456789abcdef: pass sessionId sess_0123456789abcdef0123456789abcdef to later \
             cart, checkout and sign-in tools."
        );
        assert_eq!(context.to_json()["sessionId"], SESSION);
        // The next action's sentence does not repeat it; the session stays in the facts.
        context.record_sort(SortOrder::Rating);
        assert!(!context.last_action.contains("started"), "{}", context.last_action);
        assert!(context.text().ends_with(" Target session: sess_0123456789abcdef0123456789abcdef."));
    }

    #[test]
    fn widget_state_splits_model_and_private_content() {
        let mut context = ModelContext::default();
        context.record_sort(SortOrder::Rating);
        let state = widget_state(&context, json!({"sort": "rating"}));
        assert_eq!(state["modelContent"]["sort"], "rating");
        assert_eq!(state["privateContent"], json!({"sort": "rating"}));
        assert_eq!(private_state(state), json!({"sort": "rating"}));
        assert_eq!(private_state(json!({"view": "cart"})), json!({"view": "cart"}), "an older flat state");
        assert_eq!(private_state(json!({"modelContent": {}})), Value::Null);
        assert_eq!(private_state(json!(7)), json!(7));
    }
}
