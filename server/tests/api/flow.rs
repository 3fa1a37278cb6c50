//! Whole conversations: the shopper's full flow, many shoppers at once, and expiry.

use serde_json::json;
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::membership::MembershipOutput;
use shared::money::Cents;
use shared::product::{ProductSummary, SearchOutput};
use shared::tool::ToolName;

use server::clock::Clock;

use crate::helpers::spawn_app;

#[tokio::test]
async fn create_sign_in_search_add_update_checkout_and_join_circle() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;

    let found: SearchOutput = app
        .call(ToolName::SearchTargetProducts, json!({"query": "desk lamp", "sessionId": sid, "maxPriceCents": 4000}))
        .await
        .structured();
    let first = &found.products[0];
    let second = &found.products[1];
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": first.id})).await;
    let cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": second.id})).await.structured();
    assert_eq!(cart.cart.items.len(), 2);
    let cart: CartOutput = app
        .call(ToolName::UpdateCartItem, json!({"sessionId": sid, "productId": first.id, "quantity": 3}))
        .await
        .structured();
    let expected = first.price_cents.times(3) + second.price_cents;
    assert_eq!(cart.cart.subtotal_cents, expected);
    assert_eq!(cart.cart.circle_savings_cents, Cents::ZERO, "not a member yet");

    // Join Circle Card: the cart is repriced with each product's Circle offer, then 5% off the rest.
    let joined: MembershipOutput =
        app.call(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "circle-card"})).await.structured();
    assert!(joined.member);
    let member_cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    let offers = offer(first, 3) + offer(second, 1);
    assert!(offers > 0, "the flow needs a product with a Circle offer: {first:?} {second:?}");
    let card = percent_half_up(expected.0 - offers, 5);
    assert_eq!(member_cart.cart.circle_savings_cents, Cents(offers + card), "offers {offers} + card {card}");
    assert_eq!(member_cart.cart.subtotal_cents, expected);
    assert!(member_cart.cart.total_cents < cart.cart.total_cents);

    let order: CheckoutOutput =
        app.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "flow-order-0001"})).await.structured();
    assert_eq!(order.order.total_cents, member_cart.cart.total_cents);
    assert_eq!(order.order.circle_savings_cents, member_cart.cart.circle_savings_cents);
    let empty: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(empty.cart.items.is_empty());
    let membership: MembershipOutput =
        app.call(ToolName::CheckCircleMembership, json!({"sessionId": sid})).await.structured();
    assert_eq!(
        membership.membership.map(|m| m.lifetime_savings_cents),
        Some(order.order.circle_savings_cents),
        "the order's savings count toward the membership"
    );
}

/// `percent`% of `cents`, rounded half up (the README's rule: per line, to the nearest cent).
fn percent_half_up(cents: i64, percent: i64) -> i64 {
    (cents * percent + 50) / 100
}

/// The Circle offer on `quantity` of `product`, in cents.
fn offer(product: &ProductSummary, quantity: i64) -> i64 {
    percent_half_up(product.price_cents.0 * quantity, i64::from(product.circle_offer_percent.unwrap_or(0)))
}

#[tokio::test]
async fn circle_360_gets_the_offers_and_free_shipping_but_not_the_card_discount() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;
    let found: SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": "desk lamp", "limit": 48})).await.structured();
    // A product with an offer that, after it, is under the $35 free-shipping threshold.
    let lamp = found
        .products
        .iter()
        .find(|p| p.in_stock && p.circle_offer_percent.is_some() && p.price_cents.0 - offer(p, 1) < 3500)
        .expect("an in-stock desk lamp with a Circle offer");
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    let joined: MembershipOutput =
        app.call(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "circle-360"})).await.structured();
    assert!(joined.member);
    let cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    let offers = offer(lamp, 1);
    assert!(offers > 0);
    assert_eq!(cart.cart.circle_savings_cents, Cents(offers), "the offer only, no 5% card discount");
    assert_eq!(cart.cart.shipping_cents, Cents::ZERO, "Circle 360 ships free under $35 too");
    let merchandise = lamp.price_cents.0 - offers;
    let tax = (merchandise * 825 + 5000) / 10_000; // the test server's 8.25%
    assert_eq!(cart.cart.estimated_tax_cents, Cents(tax));
    assert_eq!(cart.cart.total_cents, Cents(merchandise + tax));
}

#[tokio::test]
async fn many_shoppers_at_once_never_see_each_others_carts() {
    // About isolation, not limits: ~200 calls from one address would use up the burst (the
    // limiter runs on the test's clock, which does not move here).
    let mut config = crate::helpers::test_config();
    config.rate_limit_per_sec = 0;
    let app = crate::helpers::spawn_app_with(config).await;
    let found: SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": "lamp", "limit": 48})).await.structured();
    let in_stock: Vec<_> = found.products.iter().filter(|p| p.in_stock).collect();
    assert!(in_stock.len() >= 8);
    let shoppers = (0..40).map(|i| {
        let app = &app;
        let product = in_stock[i % in_stock.len()].id.clone();
        async move {
            let sid = app.new_session().await;
            let quantity = (i % 5 + 1) as u32;
            for _ in 0..quantity {
                app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": product})).await;
            }
            let cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
            (product, quantity, cart)
        }
    });
    for (product, quantity, cart) in futures::future::join_all(shoppers).await {
        assert_eq!(cart.cart.items.len(), 1, "only this shopper's product");
        assert_eq!(cart.cart.items[0].product.id, product);
        assert_eq!(cart.cart.items[0].quantity, quantity);
    }
}

#[tokio::test]
async fn concurrent_adds_to_one_cart_lose_nothing() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let lamp = app.find_product("lamp", 0).await;
    let adds = (0..20).map(|_| app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})));
    futures::future::join_all(adds).await;
    let cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(cart.cart.item_count, 20);
}

#[tokio::test]
async fn idle_sessions_expire_and_use_keeps_them_alive() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    app.clock.advance(chrono::Duration::minutes(9));
    let alive = app.call(ToolName::GetCart, json!({"sessionId": sid})).await;
    assert!(!alive.is_error(), "used within 10 minutes");
    app.clock.advance(chrono::Duration::minutes(9));
    assert!(!app.call(ToolName::GetCart, json!({"sessionId": sid})).await.is_error(), "the expiry slides with use");
    app.clock.advance(chrono::Duration::minutes(10));
    let expired = app.call(ToolName::GetCart, json!({"sessionId": sid})).await;
    assert!(expired.is_error());
    assert!(expired.text().contains("expired"), "{}", expired.text());
    let rest = app
        .post_json(
            shared::api::AUTHENTICATE_PATH,
            json!({"sessionId": sid, "email": crate::helpers::DEMO_EMAIL, "password": crate::helpers::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(rest.status(), 404);
}

#[tokio::test]
async fn sweeping_removes_idle_sessions() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    app.clock.advance(chrono::Duration::minutes(11));
    let removed = app.state.store.sweep_expired(app.clock.now()).await.expect("sweep");
    assert!(removed >= 1);
    let gone = app.state.store.session(&sid, app.clock.now()).await.expect("store answers");
    assert!(gone.is_none());
}
