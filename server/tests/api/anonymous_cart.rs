//! Issue 12 item 2, "no dead end without a session": `add-to-cart` with neither a bearer token
//! nor a `sessionId` starts a session for that cart and answers its id; the next `get-cart` with
//! that id shows the line. A session is minted only by an add that succeeds, one per request, so
//! the per-client rate limit bounds them as it bounds `create-target-session`.

use chrono::Duration;
use serde_json::json;
use server::clock::Clock;
use shared::cart::CartOutput;
use shared::ids::SessionId;
use shared::tool::ToolName;

use crate::helpers::{TestApp, assert_limited, limited, mcp_post, spawn_app, spawn_app_with};

/// How many sessions the store holds: the ones a sweep far in the future removes.
async fn sessions_in_store(app: &TestApp) -> usize {
    let far = app.clock.now() + Duration::days(400);
    app.state.store.sweep_expired(far).await.expect("memory store sweeps")
}

/// An in-stock product of the embedded catalog, without a request.
fn in_stock(app: &TestApp, n: usize) -> shared::ids::ProductId {
    app.state.catalog.products().iter().filter(|p| p.in_stock).nth(n).expect("in-stock products").id.clone()
}

fn add_without_session(product: &shared::ids::ProductId) -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "add-to-cart", "arguments": {"productId": product}}})
}

#[tokio::test]
async fn an_add_without_a_session_starts_one_and_get_cart_with_its_id_shows_the_line() {
    let app = spawn_app().await;
    let lamp = app.find_product("desk lamp", 0).await;

    let added = app.call(ToolName::AddToCart, json!({"productId": lamp.id, "quantity": 2})).await;
    let cart: CartOutput = added.structured();
    let sid = cart.session_id.clone().expect("the answer names the new session");
    assert_eq!(cart.cart.item_count, 2);
    let text = added.text();
    assert!(text.starts_with(&format!("Added 2 × {}.", lamp.title)), "{text}");
    assert!(text.contains(&format!("started Target session {sid}")), "the model hears the new id: {text}");
    assert!(text.contains(&format!("pass sessionId \"{sid}\"")), "{text}");
    assert_eq!(added.0["_meta"]["openai/widgetSessionId"], json!(sid), "later widgets share the session");

    let seen: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(seen.cart.items.len(), 1);
    assert_eq!(seen.cart.items[0].product.id, lamp.id);
    assert_eq!(seen.cart.items[0].quantity, 2);

    // Adding again with the id fills the same cart and starts nothing.
    let again = app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    assert_eq!(again.structured::<CartOutput>().cart.item_count, 3);
    assert!(!again.text().contains("started"), "{}", again.text());
    // Another add without a session is another shopper's cart.
    let other: CartOutput = app.call(ToolName::AddToCart, json!({"productId": lamp.id})).await.structured();
    assert_ne!(other.session_id.as_ref(), Some(&sid));
    assert_eq!(other.cart.item_count, 1);

    // The same on the rmcp path (direct tool calls off).
    let mut config = crate::helpers::test_config();
    config.direct_tool_calls = false;
    let rmcp_only = spawn_app_with(config).await;
    let added = rmcp_only.call(ToolName::AddToCart, json!({"productId": lamp.id})).await;
    let sid: SessionId = added.structured::<CartOutput>().session_id.expect("a new session");
    let seen: CartOutput = rmcp_only.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(seen.cart.item_count, 1);
}

#[tokio::test]
async fn a_refused_add_without_a_session_starts_none() {
    let app = spawn_app().await;
    let sold_out =
        app.state.catalog.products().iter().find(|p| !p.in_stock).expect("an out-of-stock product").id.clone();
    let refused = app.call(ToolName::AddToCart, json!({"productId": sold_out})).await;
    assert!(refused.is_error() && refused.text().contains("out of stock"), "{}", refused.text());
    let unknown = app.call(ToolName::AddToCart, json!({"productId": "99999999"})).await;
    assert!(unknown.is_error(), "{}", unknown.text());
    let too_many = app.call(ToolName::AddToCart, json!({"productId": in_stock(&app, 0), "quantity": 1000})).await;
    assert!(too_many.is_error(), "{}", too_many.text());
    assert_eq!(sessions_in_store(&app).await, 0, "no session for an add that failed");
}

/// The abuse bound: every anonymous add is one request, counted by the per-client limit; past
/// it the answer is 429 and no session is made.
#[tokio::test]
async fn anonymous_adds_are_bounded_by_the_per_client_rate_limit() {
    let mut config = limited(1, 5);
    config.trust_forwarded_for = true;
    let app = spawn_app_with(config).await;
    let client = Some("198.51.100.6");
    let product = in_stock(&app, 0);
    let mut ids = std::collections::HashSet::new();
    for _ in 0..5 {
        let response = mcp_post(&app, &add_without_session(&product), client).await;
        assert_eq!(response.status(), 200);
        let answer: serde_json::Value = response.json().await.expect("JSON-RPC");
        let sid = answer["result"]["structuredContent"]["sessionId"].as_str().expect("a session id").to_owned();
        ids.insert(sid);
    }
    assert_eq!(ids.len(), 5, "one session per add");
    assert_limited(mcp_post(&app, &add_without_session(&product), client).await).await;
    assert_eq!(sessions_in_store(&app).await, 5, "the refused add made no session");
    // Another client is not affected.
    let other = mcp_post(&app, &add_without_session(&product), Some("198.51.100.7")).await;
    assert_eq!(other.status(), 200, "per client, not global");
}
