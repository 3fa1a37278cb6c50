//! Each tool's success and failure paths over the real server.

use serde_json::json;
use shared::auth::{AuthStatus, AuthStatusOutput, AuthenticateOutput, CreateSessionOutput};
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::membership::{MembershipOutput, MembershipTier};
use shared::money::Cents;
use shared::product::{DataSource, RecommendationsOutput, SearchOutput};
use shared::tool::ToolName;

use server::clock::Clock;

use crate::helpers::spawn_app;

#[tokio::test]
async fn create_session_mints_unguessable_ids_that_expire_in_ten_minutes() {
    let app = spawn_app().await;
    let a: CreateSessionOutput = app.call(ToolName::CreateTargetSession, json!({})).await.structured();
    let b: CreateSessionOutput = app.call(ToolName::CreateTargetSession, json!({})).await.structured();
    assert_ne!(a.session_id, b.session_id);
    assert!(!a.authenticated);
    assert_eq!((a.expires_at - app.clock.now()).num_seconds(), 600);
}

#[tokio::test]
async fn malformed_and_unknown_session_ids_get_readable_errors() {
    let app = spawn_app().await;
    let error = app.call_bad_arguments(ToolName::GetTargetAuthStatus, json!({"sessionId": "sess_123"})).await;
    assert!(error.contains("not a valid session id"), "{error}");
    // Without a session id (optional since account linking) the answer says how to get one.
    let missing = app.call(ToolName::GetCart, json!({})).await;
    assert!(missing.is_error() && missing.text().contains("create-target-session"), "{}", missing.text());
    let unknown =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": "sess_0123456789abcdef0123456789abcdef"})).await;
    assert!(unknown.is_error());
    assert!(unknown.text().contains("create-target-session"), "{}", unknown.text());
    let for_widget: shared::widget::ErrorMeta =
        serde_json::from_value(unknown.0["_meta"][shared::widget::ERROR_META_KEY].clone()).expect("error meta");
    assert_eq!(for_widget.message, unknown.text(), "the widget gets the message through _meta too");
}

#[tokio::test]
async fn authenticate_target_shows_pending_then_authenticated() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let pending = app.call(ToolName::AuthenticateTarget, json!({"sessionId": sid})).await;
    let out: AuthenticateOutput = pending.structured();
    assert_eq!(out.status, AuthStatus::Pending);
    assert_eq!(pending.0["_meta"]["openai/widgetSessionId"], json!(sid));
    let status: AuthStatusOutput =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": sid})).await.structured();
    assert!(!status.authenticated);
    let sid = app.sign_in(&sid).await;
    let done: AuthenticateOutput = app.call(ToolName::AuthenticateTarget, json!({"sessionId": sid})).await.structured();
    assert_eq!(done.status, AuthStatus::Authenticated);
    let status: AuthStatusOutput =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": sid})).await.structured();
    assert!(status.authenticated);
    assert_eq!(status.user.map(|u| u.email).as_deref(), Some(crate::helpers::DEMO_EMAIL));
}

#[tokio::test]
async fn the_sign_in_form_names_the_demo_account_only_with_the_embedded_accounts() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let result = app.call(ToolName::AuthenticateTarget, json!({"sessionId": sid})).await;
    let demo = result.widget().demo_account.expect("the embedded accounts: a demo account");
    assert_eq!(demo.email, crate::helpers::DEMO_EMAIL);
    assert_eq!(demo.password, crate::helpers::DEMO_PASSWORD);
    assert!(!result.text().contains(&demo.password), "the model's text never carries it");
    assert!(result.0["structuredContent"].to_string().find(&demo.password).is_none());

    let mut config = crate::helpers::test_config();
    config.accounts_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/accounts.json").into());
    let app = crate::helpers::spawn_app_with(config).await;
    let sid = app.new_session().await;
    let result = app.call(ToolName::AuthenticateTarget, json!({"sessionId": sid})).await;
    assert_eq!(result.widget().demo_account, None, "an accounts file: no demo account");
    assert!(result.0["_meta"]["target/widget"].get("demoAccount").is_none());
}

#[tokio::test]
async fn search_finds_desk_lamps_under_40_dollars_sorted_by_price() {
    let app = spawn_app().await;
    let result = app
        .call(
            ToolName::SearchTargetProducts,
            json!({"query": "desk lamp", "maxPriceCents": 4000, "sort": "price-low", "limit": 5}),
        )
        .await;
    let out: SearchOutput = result.structured();
    assert_eq!(out.source, DataSource::Catalog);
    assert!(!out.products.is_empty());
    assert!(out.products.len() <= 5);
    assert!(out.total as usize >= out.products.len());
    assert!(out.products.iter().all(|p| p.price_cents <= Cents(4000)));
    assert!(out.products.windows(2).all(|w| w[0].price_cents <= w[1].price_cents));
    assert!(out.products.iter().all(|p| p.title.to_lowercase().contains("lamp")), "{:?}", out.products);
    // The widget gets full records of exactly those products; the model gets the summaries.
    let widget = result.widget();
    assert_eq!(widget.products.len(), out.products.len());
    assert!(widget.products.iter().all(|p| p.image_url.ends_with(".svg")));
    assert!(
        result.0["structuredContent"]["products"][0].get("imageUrl").is_none(),
        "images stay out of the model's view"
    );
    assert!(result.text().contains("desk lamp"));
}

#[tokio::test]
async fn search_refuses_bad_input_with_readable_messages() {
    let app = spawn_app().await;
    for (args, needle) in [
        (json!({"query": "  "}), "empty"),
        (json!({"query": "x".repeat(201)}), "too long"),
        (json!({"query": "lamp", "limit": 49}), "between 1 and 48"),
        (json!({"query": "lamp", "limit": 0}), "between 1 and 48"),
        (json!({"query": "lamp", "maxPriceCents": -5}), "negative"),
    ] {
        let result = app.call(ToolName::SearchTargetProducts, args.clone()).await;
        assert!(result.is_error(), "{args}");
        assert!(result.text().contains(needle), "{args}: {}", result.text());
    }
    app.call_bad_arguments(ToolName::SearchTargetProducts, json!({"query": "lamp", "sort": "cheapest"})).await;
    app.call_bad_arguments(ToolName::SearchTargetProducts, json!({"limit": 3})).await;
}

#[tokio::test]
async fn recommendations_explain_themselves() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let lamp = app.find_product("desk lamp", 0).await;
    let by_product: RecommendationsOutput =
        app.call(ToolName::GetAgentforceRecommendations, json!({"productId": lamp.id, "limit": 4})).await.structured();
    assert_eq!(by_product.products.len(), 4);
    assert!(by_product.products.iter().all(|r| r.reason.starts_with("Pairs with your")), "{:?}", by_product.products);
    assert!(by_product.products.iter().all(|r| r.product.id != lamp.id && r.product.in_stock));

    app.call(ToolName::SearchTargetProducts, json!({"query": "coffee maker", "sessionId": sid})).await;
    let by_history: RecommendationsOutput =
        app.call(ToolName::GetAgentforceRecommendations, json!({"sessionId": sid})).await.structured();
    assert!(by_history.products.iter().any(|r| r.reason.contains("coffee maker")), "{:?}", by_history.products);

    let themed: RecommendationsOutput = app
        .call(ToolName::GetAgentforceRecommendations, json!({"query": "home office", "limit": 3}))
        .await
        .structured();
    assert_eq!(themed.products.len(), 3);
    assert!(themed.products.iter().all(|r| r.reason == "Popular in Home Office"), "{:?}", themed.products);

    let cold: RecommendationsOutput = app.call(ToolName::GetAgentforceRecommendations, json!({})).await.structured();
    assert_eq!(cold.products.len(), 6, "default limit");

    let unknown = app.call(ToolName::GetAgentforceRecommendations, json!({"productId": "99999999"})).await;
    assert!(unknown.is_error());
    let too_many = app.call(ToolName::GetAgentforceRecommendations, json!({"limit": 25})).await;
    assert!(too_many.is_error());
}

#[tokio::test]
async fn cart_tools_add_update_remove_and_refuse_bad_input() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let lamp = app.find_product("desk lamp", 0).await;
    let added: CartOutput = app
        .call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id, "quantity": 2}))
        .await
        .structured();
    assert_eq!(added.cart.item_count, 2);
    assert_eq!(added.cart.subtotal_cents, lamp.price_cents.times(2));
    let again: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await.structured();
    assert_eq!(again.cart.items.len(), 1);
    assert_eq!(again.cart.items[0].quantity, 3);
    let updated: CartOutput = app
        .call(ToolName::UpdateCartItem, json!({"sessionId": sid, "productId": lamp.id, "quantity": 1}))
        .await
        .structured();
    assert_eq!(updated.cart.item_count, 1);
    let removed: CartOutput = app
        .call(ToolName::UpdateCartItem, json!({"sessionId": sid, "productId": lamp.id, "quantity": 0}))
        .await
        .structured();
    assert!(removed.cart.items.is_empty());
    assert_eq!(removed.cart.total_cents, Cents::ZERO);

    let not_in_cart =
        app.call(ToolName::UpdateCartItem, json!({"sessionId": sid, "productId": lamp.id, "quantity": 2})).await;
    assert!(not_in_cart.is_error() && not_in_cart.text().contains("not in the cart"));
    let unknown = app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": "99999999"})).await;
    assert!(unknown.is_error() && unknown.text().contains("not found"));
    let too_many =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id, "quantity": 100})).await;
    assert!(too_many.is_error());
    app.call_bad_arguments(ToolName::AddToCart, json!({"sessionId": sid, "productId": "lamp"})).await;
}

#[tokio::test]
async fn out_of_stock_products_cannot_be_added() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sold_out = app
        .state
        .catalog
        .products()
        .iter()
        .find(|p| !p.in_stock)
        .cloned()
        .expect("the catalog has an out-of-stock product");
    let result = app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": sold_out.id})).await;
    assert!(result.is_error());
    assert!(result.text().contains("out of stock"), "{}", result.text());
}

#[tokio::test]
async fn checkout_needs_sign_in_and_a_cart_and_places_one_order_per_key() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let signed_out = app.call(ToolName::Checkout, json!({"sessionId": sid})).await;
    assert!(signed_out.is_error() && signed_out.text().contains("sign in"), "{}", signed_out.text());
    let sid = app.sign_in(&sid).await;
    let empty = app.call(ToolName::Checkout, json!({"sessionId": sid})).await;
    assert!(empty.is_error() && empty.text().contains("empty"), "{}", empty.text());

    let lamp = app.find_product("desk lamp", 0).await;
    let cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await.structured();
    let key = "order-attempt-0001";
    let placed: CheckoutOutput =
        app.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": key})).await.structured();
    assert!(!placed.replayed);
    assert_eq!(placed.order.total_cents, cart.cart.total_cents);
    assert_eq!(placed.order.email, crate::helpers::DEMO_EMAIL);
    assert!(placed.order.continue_url.starts_with("https://www.target.com/"));
    let stored = app.state.store.order(&placed.order.order_id).await.expect("store answers");
    assert_eq!(stored.as_ref(), Some(&placed.order), "the order is stored");

    let replay: CheckoutOutput =
        app.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": key})).await.structured();
    assert!(replay.replayed);
    assert_eq!(replay.order.order_id, placed.order.order_id);
    let after: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(after.cart.items.is_empty(), "the cart is emptied after the order");
    app.call_bad_arguments(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "a b"})).await;
}

#[tokio::test]
async fn a_double_click_on_checkout_places_one_order() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;
    let lamp = app.find_product("desk lamp", 0).await;
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    let (a, b) = tokio::join!(
        app.call(ToolName::Checkout, json!({"sessionId": sid})),
        app.call(ToolName::Checkout, json!({"sessionId": sid}))
    );
    let successes = [&a, &b].iter().filter(|r| !r.is_error()).count();
    assert_eq!(successes, 1, "{} / {}", a.text(), b.text());
    let loser = if a.is_error() { &a } else { &b };
    assert!(loser.text().contains("empty"), "{}", loser.text());
}

#[tokio::test]
async fn membership_needs_an_account_and_outlives_the_session() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let signed_out: MembershipOutput =
        app.call(ToolName::CheckCircleMembership, json!({"sessionId": sid})).await.structured();
    assert!(!signed_out.signed_in && !signed_out.member);
    assert_eq!(signed_out.benefits.iter().map(|b| b.tier).collect::<std::collections::BTreeSet<_>>().len(), 3);
    let refused = app.call(ToolName::CircleSignup, json!({"sessionId": sid})).await;
    assert!(refused.is_error() && refused.text().contains("sign in"));

    let sid = app.sign_in(&sid).await;
    let joined: MembershipOutput =
        app.call(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "circle-360"})).await.structured();
    assert!(joined.member);
    assert_eq!(joined.membership.as_ref().map(|m| m.tier), Some(MembershipTier::Circle360));
    app.call_bad_arguments(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "gold"})).await;

    let later = app.new_session().await;
    let later = app.sign_in(&later).await;
    let checked: MembershipOutput =
        app.call(ToolName::CheckCircleMembership, json!({"sessionId": later})).await.structured();
    assert!(checked.member, "membership belongs to the account");
    assert_eq!(checked.membership.map(|m| m.tier), Some(MembershipTier::Circle360));
}
