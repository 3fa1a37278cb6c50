//! Session fixation (issue 14, item 8): someone creates a session, gets its id into the
//! conversation (a prompt injection naming `sessionId`), and waits for the shopper to sign in on
//! it through the sign-in widget. Signing in renews the id, so the planted one never becomes a
//! signed-in session: these tests play the attacker holding it.

use serde_json::json;
use shared::api::{AUTHENTICATE_PATH, ApiError, ApiErrorCode, AuthenticateResponse, SIGNOUT_PATH};
use shared::auth::AuthStatusOutput;
use shared::cart::CartOutput;
use shared::ids::SessionId;
use shared::tool::ToolName;

use crate::helpers::{DEMO_EMAIL, DEMO_PASSWORD, TestApp, spawn_app, spawn_app_with, test_config};

/// What a retired id answers: it says what happened, and never names the new id.
const RENEWED: &str = "replaced by a new one when the shopper signed in";

async fn sign_in_widget_post(app: &TestApp, session: &SessionId) -> reqwest::Response {
    app.post_json(AUTHENTICATE_PATH, json!({"sessionId": session, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}))
        .await
}

#[tokio::test]
async fn signing_in_moves_the_session_to_a_new_id_and_the_planted_one_gets_nothing() {
    let app = spawn_app().await;
    // The attacker's session, planted in the conversation; the shopper fills its cart.
    let planted = app.new_session().await;
    let lamp = app.find_product("desk lamp", 0).await;
    app.call(ToolName::AddToCart, json!({"sessionId": planted, "productId": lamp.id, "quantity": 2})).await;
    // The shopper signs in on it through the widget.
    let response = sign_in_widget_post(&app, &planted).await;
    assert_eq!(response.status(), 200);
    let signed_in: AuthenticateResponse = response.json().await.expect("the answer names the new session id");
    let renewed = signed_in.session_id;
    assert_ne!(renewed, planted, "signing in gives the session a new id");

    // The new id is the signed-in session, with the cart filled before the sign-in.
    let status: AuthStatusOutput =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": renewed})).await.structured();
    assert!(status.authenticated);
    assert_eq!(status.session_id.as_ref(), Some(&renewed));
    assert_eq!(status.user.map(|u| u.email).as_deref(), Some(DEMO_EMAIL));
    let cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": renewed})).await.structured();
    assert_eq!(cart.cart.item_count, 2, "the cart moved with the session");
    assert_eq!(cart.cart.items[0].product.id, lamp.id);

    // The planted id: every tool refuses it, saying it was renewed, without naming the new id.
    for (tool, arguments) in [
        (ToolName::GetCart, json!({"sessionId": planted})),
        (ToolName::GetTargetAuthStatus, json!({"sessionId": planted})),
        (ToolName::AuthenticateTarget, json!({"sessionId": planted})),
        (ToolName::Checkout, json!({"sessionId": planted, "idempotencyKey": "attacker-order-0001"})),
        (ToolName::AddToCart, json!({"sessionId": planted, "productId": lamp.id})),
        (ToolName::UpdateCartItem, json!({"sessionId": planted, "productId": lamp.id, "quantity": 0})),
        (ToolName::CheckCircleMembership, json!({"sessionId": planted})),
        (ToolName::CircleSignup, json!({"sessionId": planted, "tier": "circle"})),
    ] {
        let result = app.call(tool, arguments).await;
        assert!(result.is_error(), "{tool} accepted the planted id: {:#}", result.0);
        assert!(result.text().contains(RENEWED), "{tool}: {}", result.text());
        assert!(!result.0.to_string().contains(renewed.as_str()), "{tool} named the new id: {:#}", result.0);
    }
    // On REST too: it cannot sign out, nor sign in again.
    for path in [SIGNOUT_PATH, AUTHENTICATE_PATH] {
        let body = json!({"sessionId": planted, "email": DEMO_EMAIL, "password": DEMO_PASSWORD});
        let response = app.post_json(path, body).await;
        assert_eq!(response.status(), 404, "{path}");
        let text = response.text().await.expect("body");
        assert!(!text.contains(renewed.as_str()), "{path} named the new id: {text}");
        let error: ApiError = serde_json::from_str(&text).expect("typed error");
        assert_eq!(error.error, ApiErrorCode::SessionRenewed, "{path}");
        assert!(error.message.contains(RENEWED), "{path}: {}", error.message);
    }

    // The shopper's session is untouched by all that: signed in, cart intact, and it checks out.
    let status: AuthStatusOutput =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": renewed})).await.structured();
    assert!(status.authenticated, "the planted id could not sign the shopper out");
    let placed = app.call(ToolName::Checkout, json!({"sessionId": renewed})).await;
    assert!(!placed.is_error(), "{}", placed.text());
    assert_eq!(placed.0["structuredContent"]["order"]["items"][0]["quantity"], 2);
}

#[tokio::test]
async fn the_renewed_notice_is_short_lived_and_sign_out_keeps_the_id() {
    let app = spawn_app().await;
    let planted = app.new_session().await;
    let renewed = app.sign_in(&planted).await;
    // Signing out keeps the id (a signed-out session is worth nothing to whoever knows its id) …
    assert_eq!(app.post_json(SIGNOUT_PATH, json!({"sessionId": renewed})).await.status(), 200);
    let status: AuthStatusOutput =
        app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": renewed})).await.structured();
    assert!(!status.authenticated);
    // … and signing in again renews it again.
    let again = app.sign_in(&renewed).await;
    assert_ne!(again, renewed);
    assert!(app.call(ToolName::GetCart, json!({"sessionId": renewed})).await.text().contains(RENEWED));
    // After the session TTL (10 min) a retired id is merely unknown: the notice is not kept forever.
    app.clock.advance(chrono::Duration::minutes(9));
    assert!(!app.call(ToolName::GetCart, json!({"sessionId": again})).await.is_error(), "used, so it lives on");
    assert!(app.call(ToolName::GetCart, json!({"sessionId": planted})).await.text().contains(RENEWED));
    app.clock.advance(chrono::Duration::minutes(1));
    let gone = app.call(ToolName::GetCart, json!({"sessionId": planted})).await;
    assert!(gone.is_error() && gone.text().contains("expired or does not exist"), "{}", gone.text());
}

#[tokio::test]
async fn a_renewed_session_keeps_the_absolute_lifetime_of_the_first() {
    let mut config = test_config();
    config.session_max_lifetime_secs = 3600;
    let app = spawn_app_with(config).await;
    let planted = app.new_session().await;
    // Used every 9 minutes, it lives on until the sign-in at 54 minutes …
    for _ in 0..6 {
        app.clock.advance(chrono::Duration::minutes(9));
        assert!(!app.call(ToolName::GetCart, json!({"sessionId": planted})).await.is_error());
    }
    let renewed = app.sign_in(&planted).await;
    assert_ne!(renewed, planted, "a new id");
    app.clock.advance(chrono::Duration::minutes(5));
    assert!(!app.call(ToolName::GetCart, json!({"sessionId": renewed})).await.is_error(), "at 59 minutes");
    // … and ends an hour after the first id was created, not an hour after the sign-in.
    app.clock.advance(chrono::Duration::minutes(1));
    let ended = app.call(ToolName::GetCart, json!({"sessionId": renewed})).await;
    assert!(ended.is_error() && ended.text().contains("expired"), "{}", ended.text());
}
