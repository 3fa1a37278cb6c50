//! One session can never read or change another's cart, order or membership: a second shopper
//! (another session, another account) tries it through every tool that takes ids, and through
//! REST, with the victim's product, order and idempotency key and with near-miss spellings of
//! the victim's session id. Each attempt is refused or touches only the attacker's own data,
//! and the victim's cart, order and membership are unchanged afterwards.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use serde_json::{Value, json};
use shared::api::{AUTHENTICATE_PATH, SIGNOUT_PATH};
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::ids::SessionId;
use shared::membership::{MembershipOutput, MembershipTier};
use shared::tool::ToolName;

use crate::helpers::{DEMO_EMAIL, DEMO_PASSWORD, TestApp, spawn_app_with, test_config};

const OTHER_EMAIL: &str = "other@example.com";
const OTHER_PASSWORD: &str = "other-shopper-pass";

/// The server with the demo account (the victim) and a second account (the attacker).
async fn two_account_app() -> TestApp {
    let mut accounts: Vec<Value> =
        serde_json::from_str(include_str!("../../data/accounts.json")).expect("the demo accounts parse");
    let hash = Argon2::default()
        .hash_password(OTHER_PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("hashes")
        .to_string();
    accounts.push(json!({"email": OTHER_EMAIL, "name": "Other Shopper", "passwordHash": hash}));
    let path = std::env::temp_dir().join(format!("isolation-accounts-{}.json", rand_suffix()));
    std::fs::write(&path, serde_json::to_vec(&accounts).expect("JSON")).expect("accounts file written");
    let mut config = test_config();
    config.accounts_file = Some(path.clone());
    // Many refused sign-ins from one IP are the point here, not the sign-in rate limit.
    config.signin_rate_limit_per_min = 0;
    let app = spawn_app_with(config).await;
    // Loaded at start-up; the file is no longer needed.
    let _ = std::fs::remove_file(path);
    app
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// Signs `sid` in; returns its new id (signing in renews it).
async fn sign_in_as(app: &TestApp, sid: &SessionId, email: &str, password: &str) -> SessionId {
    let response =
        app.post_json(AUTHENTICATE_PATH, json!({"sessionId": sid, "email": email, "password": password})).await;
    assert_eq!(response.status(), 200, "{email} signs in");
    response.json::<shared::api::AuthenticateResponse>().await.expect("a typed sign-in answer").session_id
}

/// The victim: signed in as the demo account, a Circle Card member, two lamps in the cart, and
/// one order already placed. Returns (session, its cart, its order).
async fn victim(app: &TestApp) -> (SessionId, CartOutput, CheckoutOutput) {
    let sid = app.new_session().await;
    let sid = sign_in_as(app, &sid, DEMO_EMAIL, DEMO_PASSWORD).await;
    let joined: MembershipOutput =
        app.call(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "circle-card"})).await.structured();
    assert!(joined.member);
    let lamp = app.find_product("lamp", 0).await;
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    let order: CheckoutOutput = app
        .call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "victim-order-0001"}))
        .await
        .structured();
    let cart: CartOutput = app
        .call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id, "quantity": 2}))
        .await
        .structured();
    assert_eq!(cart.cart.item_count, 2);
    (sid, cart, order)
}

/// The victim's data as the victim sees it, to compare before and after an attack.
async fn snapshot(app: &TestApp, sid: &SessionId, order: &CheckoutOutput) -> (Value, Value, Option<i64>) {
    let cart = app.call(ToolName::GetCart, json!({"sessionId": sid})).await;
    let membership = app.call(ToolName::CheckCircleMembership, json!({"sessionId": sid})).await;
    let stored = app.state.store.order(&order.order.order_id).await.expect("store answers");
    (
        cart.0["structuredContent"]["cart"].clone(),
        membership.0["structuredContent"]["membership"].clone(),
        stored.map(|o| o.total_cents.0),
    )
}

/// Spellings of `sid` that must not reach its session.
/// The id with its first hex digit in its full-width Unicode form ("ａ" for "a", "０" for "0"):
/// it looks the same and is a different id (every id has a first digit; not every id an "a").
fn lookalike(s: &str) -> String {
    let at = shared::ids::SESSION_PREFIX.len();
    let first = s[at..].chars().next().expect("hex digits");
    let wide = char::from_u32(first as u32 - '!' as u32 + '\u{FF01}' as u32).expect("a full-width form");
    format!("{}{wide}{}", &s[..at], &s[at + 1..])
}

fn near_misses(sid: &SessionId) -> Vec<String> {
    let s = sid.as_str();
    vec![
        s.to_uppercase(),
        format!(" {s}"),
        format!("{s} "),
        format!("{s}0"),
        s[..s.len() - 1].to_owned(),
        s.replacen("sess_", "", 1),
        format!("{s}\u{0}"),
        format!("{s}%00"),
        lookalike(s),
        format!("{s},{s}"),
    ]
}

#[tokio::test]
async fn another_session_cannot_read_or_change_a_cart() {
    let app = two_account_app().await;
    let (victim_sid, victim_cart, order) = victim(&app).await;
    let before = snapshot(&app, &victim_sid, &order).await;
    let lamp_id = victim_cart.cart.items[0].product.id.clone();

    let attacker = app.new_session().await;
    let seen: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": attacker})).await.structured();
    assert!(seen.cart.items.is_empty(), "a new session sees only its own, empty cart");
    assert_eq!(seen.session_id, Some(attacker.clone()));
    let update =
        app.call(ToolName::UpdateCartItem, json!({"sessionId": attacker, "productId": lamp_id, "quantity": 0})).await;
    assert!(update.is_error() && update.text().contains("not in the cart"), "{}", update.text());
    // Adding the same product changes only the attacker's cart.
    let own: CartOutput = app
        .call(ToolName::AddToCart, json!({"sessionId": attacker, "productId": lamp_id, "quantity": 5}))
        .await
        .structured();
    assert_eq!(own.cart.item_count, 5);

    for spelling in near_misses(&victim_sid) {
        for (tool, arguments) in [
            (ToolName::GetCart, json!({"sessionId": spelling})),
            (ToolName::UpdateCartItem, json!({"sessionId": spelling, "productId": lamp_id, "quantity": 0})),
            (ToolName::AddToCart, json!({"sessionId": spelling, "productId": lamp_id})),
            (ToolName::Checkout, json!({"sessionId": spelling, "idempotencyKey": "victim-order-0001"})),
            (ToolName::CheckCircleMembership, json!({"sessionId": spelling})),
            (ToolName::CircleSignup, json!({"sessionId": spelling, "tier": "circle"})),
        ] {
            let result = app.call(tool, arguments).await;
            assert!(result.is_error(), "{tool} with {spelling:?} was accepted: {:#}", result.0);
        }
        for path in [SIGNOUT_PATH, AUTHENTICATE_PATH] {
            let body = json!({"sessionId": spelling, "email": DEMO_EMAIL, "password": DEMO_PASSWORD});
            let status = app.post_json(path, body).await.status();
            assert!(status == 400 || status == 404, "{path} with {spelling:?}: {status}");
        }
    }
    assert_eq!(snapshot(&app, &victim_sid, &order).await, before, "the victim's data is unchanged");
    let status = app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": victim_sid})).await;
    assert_eq!(status.0["structuredContent"]["authenticated"], true, "the victim is still signed in");
}

#[tokio::test]
async fn orders_and_idempotency_keys_belong_to_one_account() {
    let app = two_account_app().await;
    let (victim_sid, _, order) = victim(&app).await;
    let before = snapshot(&app, &victim_sid, &order).await;

    let attacker = app.new_session().await;
    // Not signed in: checkout is refused, even with the victim's key.
    let anonymous =
        app.call(ToolName::Checkout, json!({"sessionId": attacker, "idempotencyKey": "victim-order-0001"})).await;
    assert!(anonymous.is_error() && anonymous.text().contains("sign in"), "{}", anonymous.text());
    // Signed in as another account, the victim's idempotency key places the attacker's own order,
    // never replays the victim's.
    let attacker = sign_in_as(&app, &attacker, OTHER_EMAIL, OTHER_PASSWORD).await;
    let lamp = app.find_product("lamp", 0).await;
    app.call(ToolName::AddToCart, json!({"sessionId": attacker, "productId": lamp.id, "quantity": 3})).await;
    let own: CheckoutOutput = app
        .call(
            ToolName::Checkout,
            json!({"sessionId": attacker, "idempotencyKey": "victim-order-0001", "orderId": order.order.order_id}),
        )
        .await
        .structured();
    assert!(!own.replayed, "the victim's order is not replayed to another account");
    assert_ne!(own.order.order_id, order.order.order_id);
    assert_eq!(own.order.items.len(), 1);
    assert_eq!(own.order.items[0].quantity, 3, "the attacker's own cart, not the victim's one lamp");
    assert_eq!(own.order.email, OTHER_EMAIL);
    // The victim's order is still theirs, and their key still finds it: their cart now holds
    // other lines, so reusing the key is a conflict naming that order (issue 14), not a replay.
    let again =
        app.call(ToolName::Checkout, json!({"sessionId": victim_sid, "idempotencyKey": "victim-order-0001"})).await;
    assert!(again.is_error() && again.text().contains(order.order.order_id.as_str()), "{}", again.text());
    assert_eq!(snapshot(&app, &victim_sid, &order).await, before);
}

#[tokio::test]
async fn memberships_belong_to_the_signed_in_account() {
    let app = two_account_app().await;
    let (victim_sid, _, order) = victim(&app).await;
    let before = snapshot(&app, &victim_sid, &order).await;

    let attacker = app.new_session().await;
    // Signed out: no membership is shown, and naming the victim's email changes nothing.
    let anonymous: MembershipOutput = app
        .call(ToolName::CheckCircleMembership, json!({"sessionId": attacker, "email": DEMO_EMAIL}))
        .await
        .structured();
    assert!(!anonymous.signed_in && !anonymous.member && anonymous.membership.is_none());
    let join =
        app.call(ToolName::CircleSignup, json!({"sessionId": attacker, "tier": "circle", "email": DEMO_EMAIL})).await;
    assert!(join.is_error(), "joining needs a sign-in: {}", join.text());

    // Failing to sign in as the victim leaves the attacker signed out and the victim signed in.
    let wrong = app
        .post_json(AUTHENTICATE_PATH, json!({"sessionId": attacker, "email": DEMO_EMAIL, "password": "guess"}))
        .await;
    assert_eq!(wrong.status(), 401);
    let still_out: MembershipOutput =
        app.call(ToolName::CheckCircleMembership, json!({"sessionId": attacker})).await.structured();
    assert!(!still_out.signed_in);

    // Signed in as another account: its own membership only.
    let attacker = sign_in_as(&app, &attacker, OTHER_EMAIL, OTHER_PASSWORD).await;
    let theirs: MembershipOutput =
        app.call(ToolName::CheckCircleMembership, json!({"sessionId": attacker})).await.structured();
    assert!(theirs.signed_in && !theirs.member, "the victim's membership does not show for another account");
    let joined: MembershipOutput =
        app.call(ToolName::CircleSignup, json!({"sessionId": attacker, "tier": "circle-360"})).await.structured();
    assert_eq!(joined.membership.map(|m| m.tier), Some(MembershipTier::Circle360));
    // Signing the attacker out does not sign the victim out.
    assert_eq!(app.post_json(SIGNOUT_PATH, json!({"sessionId": attacker})).await.status(), 200);

    let after = snapshot(&app, &victim_sid, &order).await;
    assert_eq!(after, before, "the victim's tier, cart and order are unchanged");
    assert_eq!(after.1["tier"], "circle-card");
}
