//! The MCP endpoints as an OAuth resource server, against an external issuer the tests start
//! themselves (`test_issuer.rs`): protected resource metadata, bearer tokens on every transport,
//! the refusals (401 `invalid_token`, `mcp/www_authenticate` results), linked shopping without a
//! `sessionId`, the account's cart on both stores, and JWKS key rotation.

use chrono::Duration;
use serde_json::{Value, json};
use server::clock::Clock;
use shared::auth::{AuthMode, AuthStatus, AuthenticateOutput};
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::tool::ToolName;

use crate::helpers::{DEMO_EMAIL, TestApp, ToolResult, spawn_app_with, test_config};
use crate::redis_test_server::RedisTestServer;
use crate::test_issuer::{SigningKey, TestIssuer};

const ALL_SCOPES: &str = "account cart orders membership";

async fn app_with_issuer(issuer: &TestIssuer, redis: Option<&RedisTestServer>) -> TestApp {
    let mut config = test_config();
    config.oauth_issuer = Some(issuer.url.parse().expect("issuer url"));
    config.redis_url = redis.map(|r| r.url().into());
    spawn_app_with(config).await
}

/// The public URL of `path` (what resources and metadata are named by: `PUBLIC_BASE_URL`).
fn public(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.state.config.public_base())
}

/// A token for the demo account on `/mcp/all` with every scope, signed by `key`.
fn token(app: &TestApp, issuer: &TestIssuer, key: &SigningKey) -> String {
    key.sign(&issuer.claims(DEMO_EMAIL, &public(app, "/mcp/all"), ALL_SCOPES, app.clock.now()))
}

impl TestApp {
    /// A JSON-RPC POST with an optional bearer token; the raw response.
    async fn post_rpc(&self, path: &str, token: Option<&str>, method: &str, params: Value) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("Accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// `tools/call` with a bearer token on `path`; the tool result.
    async fn call_linked_on(&self, path: &str, token: &str, tool: ToolName, arguments: Value) -> ToolResult {
        let response = self
            .post_rpc(path, Some(token), "tools/call", json!({"name": tool.as_str(), "arguments": arguments}))
            .await;
        assert_eq!(response.status(), 200, "{tool} with a token");
        let answer: Value = response.json().await.expect("JSON-RPC answer");
        assert!(answer["error"].is_null(), "{tool}: {answer:#}");
        ToolResult(answer["result"].clone())
    }

    async fn call_linked(&self, token: &str, tool: ToolName, arguments: Value) -> ToolResult {
        self.call_linked_on("/mcp/all", token, tool, arguments).await
    }
}

/// The `WWW-Authenticate` challenge of a refused request.
fn challenge(response: &reqwest::Response) -> String {
    response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn result_challenge(result: &ToolResult) -> String {
    result.0["_meta"]["mcp/www_authenticate"][0].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn protected_resource_metadata_describes_each_connector() {
    let issuer = TestIssuer::start(vec![]).await;
    let app = app_with_issuer(&issuer, None).await;
    let all: Value = app
        .client
        .get(app.url("/.well-known/oauth-protected-resource/mcp/all"))
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("JSON");
    assert_eq!(all["resource"], public(&app, "/mcp/all"));
    assert_eq!(all["authorization_servers"], json!([issuer.url]));
    assert_eq!(all["scopes_supported"], json!(["account", "cart", "orders", "membership"]));
    assert_eq!(all["bearer_methods_supported"], json!(["header"]));
    let products: Value = app
        .client
        .get(app.url("/.well-known/oauth-protected-resource/mcp2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(products["resource"], public(&app, "/mcp2"));
    let root: Value =
        app.client.get(app.url("/.well-known/oauth-protected-resource")).send().await.unwrap().json().await.unwrap();
    assert_eq!(root["resource"], public(&app, ""), "the root document describes the whole server");
    let unknown = app.client.get(app.url("/.well-known/oauth-protected-resource/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    // The external issuer signs shoppers in: the built-in authorization server is not mounted.
    for path in ["/.well-known/oauth-authorization-server", "/oauth/authorize", "/oauth/register"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path} with OAUTH_ISSUER set");
    }

    // Without OAUTH_ISSUER the server names itself (the built-in authorization server).
    let builtin = crate::helpers::spawn_app().await;
    let doc: Value = builtin
        .client
        .get(builtin.url("/.well-known/oauth-protected-resource/mcp/all"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["authorization_servers"], json!([public(&builtin, "")]));
    let metadata = builtin.client.get(builtin.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
    assert_eq!(metadata.status(), 200, "the built-in authorization server answers without OAUTH_ISSUER");
}

#[tokio::test]
async fn a_linked_account_shops_and_checks_out_without_a_session_id() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let bearer = token(&app, &issuer, &key);

    let auth: AuthenticateOutput = app.call_linked(&bearer, ToolName::AuthenticateTarget, json!({})).await.structured();
    assert_eq!(auth.mode, AuthMode::Linked);
    assert_eq!(auth.status, AuthStatus::Authenticated);
    assert_eq!(auth.user.as_ref().map(|u| u.email.as_str()), Some(DEMO_EMAIL));
    assert!(auth.session_id.is_none(), "no session id in linked mode");

    let lamp = app.find_product("desk lamp", 0).await;
    let added = app.call_linked(&bearer, ToolName::AddToCart, json!({"productId": lamp.id, "quantity": 2})).await;
    let cart: CartOutput = added.structured();
    assert_eq!(cart.cart.item_count, 2);
    assert!(cart.session_id.is_none());
    assert!(added.0["_meta"].get("openai/widgetSessionId").is_none(), "the account's session id stays inside");

    let order: CheckoutOutput =
        app.call_linked(&bearer, ToolName::Checkout, json!({"idempotencyKey": "linked-order-1"})).await.structured();
    assert_eq!(order.order.email, DEMO_EMAIL);
    assert_eq!(order.order.items.len(), 1);
    let empty: CartOutput = app.call_linked(&bearer, ToolName::GetCart, json!({})).await.structured();
    assert!(empty.cart.items.is_empty(), "the order emptied the account's cart");

    // The same calls through rmcp (the direct path off) give the same kind of answers.
    let mut config = test_config();
    config.oauth_issuer = Some(issuer.url.parse().expect("issuer url"));
    config.direct_tool_calls = false;
    let rmcp_only = spawn_app_with(config).await;
    let rmcp_token = token(&rmcp_only, &issuer, &key);
    let cart: CartOutput =
        rmcp_only.call_linked(&rmcp_token, ToolName::AddToCart, json!({"productId": lamp.id})).await.structured();
    assert_eq!(cart.cart.item_count, 1);
}

#[tokio::test]
async fn the_token_wins_over_a_session_id_and_session_mode_is_unchanged() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let token = token(&app, &issuer, &key);
    let lamp = app.find_product("desk lamp", 0).await;

    let sid = app.new_session().await;
    let session_cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await.structured();
    assert_eq!(session_cart.session_id.as_ref(), Some(&sid), "session mode answers as before");
    let auth: AuthenticateOutput = app.call(ToolName::AuthenticateTarget, json!({"sessionId": sid})).await.structured();
    assert_eq!((auth.mode, auth.status), (AuthMode::Session, AuthStatus::Pending), "today's sign-in form");
    // A signed-in session is its shopper's own (only anonymous carts move into the account).
    // (Signing in renews the id: the session goes on under the one it answers.)
    let sid = app.sign_in(&sid).await;
    let linked: CartOutput = app.call_linked(&token, ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(linked.cart.items.is_empty(), "with a token the account's cart is used, not the session's");
    let kept: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(kept.cart.item_count, 1, "the signed-in session keeps its cart");
}

#[tokio::test]
async fn without_a_token_tools_that_need_an_account_invite_linking() {
    let issuer = TestIssuer::start(vec![]).await;
    let app = app_with_issuer(&issuer, None).await;
    app.find_product("lamp", 0).await; // anonymous search still works
    let metadata = public(&app, "/.well-known/oauth-protected-resource/mcp/all");

    let cart = app.call(ToolName::GetCart, json!({})).await;
    assert!(cart.is_error());
    let value = result_challenge(&cart);
    assert!(value.starts_with(&format!("Bearer resource_metadata=\"{metadata}\"")), "{value}");
    assert!(value.contains("scope=\"cart\"") && !value.contains("error=\""), "{value}");

    let checkout = app.call(ToolName::Checkout, json!({})).await;
    assert!(result_challenge(&checkout).contains("scope=\"cart orders\""), "{:#}", checkout.0);

    // A session-mode call that is not signed in keeps today's "sign in" answer, and carries the
    // challenge too, so an OAuth client offers to link the account instead.
    let sid = app.new_session().await;
    for (tool, scopes) in [(ToolName::Checkout, "cart orders"), (ToolName::CircleSignup, "membership")] {
        let unsigned = app.call(tool, json!({"sessionId": sid})).await;
        assert!(unsigned.is_error() && unsigned.text().contains("sign in"), "{tool}: {}", unsigned.text());
        let value = result_challenge(&unsigned);
        assert!(value.starts_with(&format!("Bearer resource_metadata=\"{metadata}\"")), "{tool}: {:#}", unsigned.0);
        assert!(value.contains(&format!("scope=\"{scopes}\"")) && !value.contains("error=\""), "{tool}: {value}");
    }
}

#[tokio::test]
async fn a_token_without_the_tools_scope_gets_insufficient_scope() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let cart_only = key.sign(&issuer.claims(DEMO_EMAIL, &public(&app, "/mcp/all"), "account cart", app.clock.now()));
    let cart: CartOutput = app.call_linked(&cart_only, ToolName::GetCart, json!({})).await.structured();
    assert!(cart.cart.items.is_empty());
    let refused = app.call_linked(&cart_only, ToolName::Checkout, json!({})).await;
    assert!(refused.is_error());
    assert!(refused.text().contains("orders"), "{}", refused.text());
    let value = result_challenge(&refused);
    assert!(value.contains("error=\"insufficient_scope\"") && value.contains("scope=\"cart orders\""), "{value}");
}

#[tokio::test]
async fn refused_tokens_get_401_invalid_token_on_every_transport() {
    let key = SigningKey::generate("k1");
    let unpublished = SigningKey::generate("k1"); // same kid, another key: a forgery
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let now = app.clock.now();
    let all = public(&app, "/mcp/all");
    let mut expired = issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now - Duration::hours(3));
    expired["exp"] = json!((now - Duration::hours(2)).timestamp());
    let mut not_yet = issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now);
    not_yet["nbf"] = json!((now + Duration::hours(1)).timestamp());
    let mut other_issuer = issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now);
    other_issuer["iss"] = json!("https://evil.example");
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now),
        &jsonwebtoken::EncodingKey::from_secret(b"guess"),
    )
    .expect("signs");
    let refused = [
        ("garbage", "not-a-jwt".to_owned()),
        ("forged", unpublished.sign(&issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now))),
        ("expired", key.sign(&expired)),
        ("not yet valid", key.sign(&not_yet)),
        ("another resource", key.sign(&issuer.claims(DEMO_EMAIL, "https://other.example/mcp", ALL_SCOPES, now))),
        ("another connector", key.sign(&issuer.claims(DEMO_EMAIL, &public(&app, "/mcp2"), ALL_SCOPES, now))),
        ("another issuer", key.sign(&other_issuer)),
        ("unknown account", key.sign(&issuer.claims("nobody@example.com", &all, ALL_SCOPES, now))),
        ("shared-secret algorithm", hs256),
    ];
    let metadata = public(&app, "/.well-known/oauth-protected-resource/mcp/all");
    for (what, token) in &refused {
        for method in ["tools/call", "tools/list"] {
            let params = json!({"name": "get-cart", "arguments": {}});
            let response = app.post_rpc("/mcp/all", Some(token), method, params).await;
            assert_eq!(response.status(), 401, "{what} token, {method}");
            let value = challenge(&response);
            assert!(value.contains(&format!("resource_metadata=\"{metadata}\"")), "{what}: {value}");
            assert!(value.contains("error=\"invalid_token\""), "{what}: {value}");
        }
        let sse = app
            .client
            .get(app.url("/mcp/all"))
            .header("Accept", "text/event-stream")
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(sse.status(), 401, "{what} token on the legacy SSE stream");
        let post = app.client.post(app.url("/mcp/all/messages?sessionId=x")).bearer_auth(token).body("{}").send().await;
        assert_eq!(post.expect("sent").status(), 401, "{what} token on a legacy SSE POST");
    }
    // A token for the whole server (the root metadata's resource) is good on every connector.
    let server_wide = key.sign(&issuer.claims(DEMO_EMAIL, &public(&app, ""), ALL_SCOPES, now));
    let on_products =
        app.call_linked_on("/mcp2", &server_wide, ToolName::SearchTargetProducts, json!({"query": "lamp"})).await;
    assert!(!on_products.is_error());
    // A token that passed on its own connector is remembered with its audience, not as good
    // everywhere: the next call on another connector is still refused.
    let for_products = key.sign(&issuer.claims(DEMO_EMAIL, &public(&app, "/mcp2"), ALL_SCOPES, now));
    let there =
        app.call_linked_on("/mcp2", &for_products, ToolName::SearchTargetProducts, json!({"query": "lamp"})).await;
    assert!(!there.is_error());
    let elsewhere = app.post_rpc("/mcp/all", Some(&for_products), "tools/list", json!({})).await;
    assert_eq!(elsewhere.status(), 401, "a remembered token keeps its audience");
}

#[tokio::test]
async fn tools_list_declares_security_schemes_on_both_transports() {
    let issuer = TestIssuer::start(vec![]).await;
    let app = app_with_issuer(&issuer, None).await;
    let list = app.rpc("/mcp/all", "tools/list", json!({})).await;
    let tools = list["result"]["tools"].as_array().expect("tools");
    for tool in tools {
        assert!(tool["securitySchemes"].is_array(), "{}", tool["name"]);
        assert_eq!(tool["securitySchemes"], tool["_meta"]["securitySchemes"], "{}", tool["name"]);
    }
    let by_name = |name: &str| tools.iter().find(|t| t["name"] == name).cloned().expect("tool listed");
    assert_eq!(by_name("checkout")["securitySchemes"], json!([{"type": "oauth2", "scopes": ["cart", "orders"]}]));
    assert_eq!(
        by_name("add-to-cart")["securitySchemes"],
        json!([{"type": "noauth"}, {"type": "oauth2", "scopes": ["cart"]}])
    );
}

#[tokio::test]
async fn the_account_cart_is_shared_by_instances_on_redis() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let redis = RedisTestServer::start().await;
    let (a, b) = (app_with_issuer(&issuer, Some(&redis)).await, app_with_issuer(&issuer, Some(&redis)).await);
    // Each instance has its own public URL (localhost:<its port>), so each gets a token for its
    // own audience; the account, and so its cart, is the same.
    let token_a = token(&a, &issuer, &key);
    let token_b = token(&b, &issuer, &key);
    let lamp = a.find_product("desk lamp", 0).await;
    a.call_linked(&token_a, ToolName::AddToCart, json!({"productId": lamp.id, "quantity": 3})).await;
    let seen: CartOutput = b.call_linked(&token_b, ToolName::GetCart, json!({})).await.structured();
    assert_eq!(seen.cart.item_count, 3, "instance B sees the account's cart that A filled");
    // Long after every chat session would have expired, the account's cart is still there.
    for app in [&a, &b] {
        app.clock.advance(Duration::hours(6));
    }
    let token_b = token(&b, &issuer, &key);
    let later: CartOutput = b.call_linked(&token_b, ToolName::GetCart, json!({})).await.structured();
    assert_eq!(later.cart.item_count, 3);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_the_refresh_interval_allows() {
    let old = SigningKey::generate("old");
    let new = SigningKey::generate("new");
    let issuer = TestIssuer::start(vec![old.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let search = json!({"query": "lamp"});
    app.call_linked(&token(&app, &issuer, &old), ToolName::SearchTargetProducts, search.clone()).await;
    assert_eq!(issuer.jwks_fetches(), 1);

    issuer.publish(vec![new.clone()]);
    let rotated = token(&app, &issuer, &new);
    // Right after the last fetch, an unknown key id does not make us fetch again.
    let early = app.post_rpc("/mcp/all", Some(&rotated), "tools/list", json!({})).await;
    assert_eq!(early.status(), 401);
    assert_eq!(issuer.jwks_fetches(), 1, "unknown key ids are rate-limited");

    app.clock.advance(Duration::seconds(61));
    let rotated = token(&app, &issuer, &new);
    let ok = app.call_linked(&rotated, ToolName::SearchTargetProducts, search.clone()).await;
    assert!(!ok.is_error());
    assert_eq!(issuer.jwks_fetches(), 2, "the new key was fetched once");
    // The withdrawn key no longer verifies new tokens.
    let stale = app.post_rpc("/mcp/all", Some(&token(&app, &issuer, &old)), "tools/list", json!({})).await;
    assert_eq!(stale.status(), 401);
}

#[tokio::test]
async fn a_linked_shopper_works_over_legacy_sse() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let token = token(&app, &issuer, &key);
    let response = app
        .client
        .get(app.url("/mcp/all"))
        .header("Accept", "text/event-stream")
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream opens");
    assert_eq!(response.status(), 200);
    let mut events = response.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let endpoint = events.next().await.expect("endpoint event").data;
    let post = |message: Value| app.client.post(app.url(&endpoint)).bearer_auth(&token).json(&message).send();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}});
    assert_eq!(post(init).await.expect("posted").status(), 202);
    events.next().await.expect("initialize answer");
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await.expect("posted");
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "authenticate-target", "arguments": {}}});
    assert_eq!(post(call).await.expect("posted").status(), 202);
    let answer: Value = loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
            .await
            .expect("answer in time")
            .expect("stream open");
        let message: Value = serde_json::from_str(&event.data).expect("JSON");
        if message["id"] == json!(2) {
            break message;
        }
    };
    assert_eq!(answer["result"]["structuredContent"]["mode"], "linked", "{answer:#}");
    let list = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}});
    post(list).await.expect("posted");
    let tools: Value = loop {
        let event = events.next().await.expect("stream open");
        let message: Value = serde_json::from_str(&event.data).expect("JSON");
        if message["id"] == json!(3) {
            break message;
        }
    };
    assert!(tools["result"]["tools"][0]["securitySchemes"].is_array(), "{tools:#}");
}

/// `add-to-cart` without a token or a session: the new session's id.
async fn anonymous_add(app: &TestApp, product: &shared::ids::ProductId, quantity: u32) -> shared::ids::SessionId {
    let added = app.call(ToolName::AddToCart, json!({"productId": product, "quantity": quantity})).await;
    added.structured::<CartOutput>().session_id.expect("an anonymous add starts a session")
}

/// The first in-stock product a search finds.
async fn in_stock(app: &TestApp, query: &str) -> shared::product::ProductSummary {
    let found: shared::product::SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": query})).await.structured();
    found.products.into_iter().find(|p| p.in_stock).unwrap_or_else(|| panic!("nothing in stock for {query}"))
}

fn quantities(cart: &shared::cart::Cart) -> Vec<(String, u32)> {
    cart.items.iter().map(|l| (l.product.id.to_string(), l.quantity)).collect()
}

/// What an anonymous shopper added moves into the account's cart on the first linked cart call
/// that names the anonymous session; the anonymous cart is emptied; a retry adds nothing.
async fn anonymous_cart_merges_once(app: &TestApp, bearer: &str) {
    let lamp = in_stock(app, "desk lamp").await;
    let mug = in_stock(app, "mug").await;
    let sid = anonymous_add(app, &lamp.id, 2).await;
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": mug.id})).await;
    // The account's own cart already holds one lamp.
    app.call_linked(bearer, ToolName::AddToCart, json!({"productId": lamp.id})).await;

    let merged: CartOutput = app.call_linked(bearer, ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(
        quantities(&merged.cart),
        [(lamp.id.to_string(), 3), (mug.id.to_string(), 1)],
        "quantities add up; the anonymous lines join the account's"
    );
    assert!(merged.session_id.is_none(), "the answer is the account's cart");
    let left: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(left.cart.items.is_empty(), "the anonymous cart is empty");
    let again: CartOutput = app.call_linked(bearer, ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(quantities(&again.cart), quantities(&merged.cart), "a second linked call adds nothing");

    // Five identical linked calls at once naming another anonymous cart: its line moves once.
    let other = anonymous_add(app, &mug.id, 1).await;
    let calls = (0..5).map(|_| app.call_linked(bearer, ToolName::GetCart, json!({"sessionId": other})));
    futures::future::join_all(calls).await;
    let after: CartOutput = app.call_linked(bearer, ToolName::GetCart, json!({})).await.structured();
    assert_eq!(quantities(&after.cart), [(lamp.id.to_string(), 3), (mug.id.to_string(), 2)]);
}

#[tokio::test]
async fn an_anonymous_cart_moves_into_the_linked_account_once() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    anonymous_cart_merges_once(&app, &token(&app, &issuer, &key)).await;
}

#[tokio::test]
async fn an_anonymous_cart_moves_into_the_linked_account_once_on_redis() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let redis = RedisTestServer::start().await;
    let app = app_with_issuer(&issuer, Some(&redis)).await;
    anonymous_cart_merges_once(&app, &token(&app, &issuer, &key)).await;
}

/// The path of the issue: a shopper adds without any session, is asked to link at checkout, and
/// the linked checkout (naming the session the add returned) orders what they added, once.
#[tokio::test]
async fn a_shopper_who_added_anonymously_checks_out_after_linking() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    let bearer = token(&app, &issuer, &key);
    let lamp = in_stock(&app, "desk lamp").await;
    let sid = anonymous_add(&app, &lamp.id, 2).await;

    let unlinked = app.call(ToolName::Checkout, json!({"sessionId": sid})).await;
    assert!(unlinked.is_error(), "an anonymous session cannot check out");

    // The first linked call is the checkout itself.
    let order: CheckoutOutput = app
        .call_linked(&bearer, ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "after-linking-1"}))
        .await
        .structured();
    assert_eq!(order.order.email, DEMO_EMAIL);
    let ordered: Vec<(String, u32)> =
        order.order.items.iter().map(|l| (l.product.id.to_string(), l.quantity)).collect();
    assert_eq!(ordered, [(lamp.id.to_string(), 2)], "what was added anonymously, once");
    let twice = app.call_linked(&bearer, ToolName::Checkout, json!({"sessionId": sid})).await;
    assert!(twice.is_error() && twice.text().contains("empty"), "nothing left to order: {}", twice.text());
}

/// One linked account has one quota across IPs: with ACCOUNT_RATE_LIMIT_BURST 3 (the test
/// clock stands still, so nothing refills), the fourth bearer request is refused 429 though each
/// came from its own IP; anonymous requests from a fresh IP go on.
#[tokio::test]
async fn a_linked_account_is_rate_limited_across_ips() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let mut config = test_config();
    config.oauth_issuer = Some(issuer.url.parse().expect("issuer url"));
    config.trust_forwarded_for = true;
    config.account_rate_limit_per_sec = 1;
    config.account_rate_limit_burst = 3;
    let app = spawn_app_with(config).await;
    let token = token(&app, &issuer, &key);
    let call = |ip: String, token: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/mcp/all"))
            .header("Accept", "application/json, text/event-stream")
            .header("X-Forwarded-For", ip)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                           "params": {"name": "get-cart", "arguments": {}}}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for n in 0..3 {
        let response = call(format!("203.0.113.{n}"), Some(token.clone())).await.expect("sent");
        assert_eq!(response.status(), 200, "request {n} of the account");
    }
    let refused = call("203.0.113.99".into(), Some(token.clone())).await.expect("sent");
    let error = crate::helpers::assert_limited(refused).await;
    assert!(error.message.contains("Too many requests"), "{}", error.message);
    let anonymous = call("203.0.113.100".into(), None).await.expect("sent");
    assert_eq!(anonymous.status(), 200, "other callers are not charged to the account");
}

/// A legacy SSE stream opened on `app` (with `token` if any), read message by message.
struct LegacyStream {
    events: futures::stream::BoxStream<'static, eventsource_stream::Event>,
    endpoint: String,
}

impl LegacyStream {
    async fn open(app: &TestApp, token: Option<&str>) -> LegacyStream {
        use eventsource_stream::Eventsource;
        use futures::StreamExt;
        let mut request = app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("stream opens");
        assert_eq!(response.status(), 200);
        let mut events = response.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
        let endpoint = events.next().await.expect("endpoint event").data;
        let mut stream = LegacyStream { events, endpoint };
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}});
        assert_eq!(stream.post(app, token, &init).await.status(), 202);
        stream.answer(0).await;
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(stream.post(app, token, &initialized).await.status(), 202);
        stream
    }

    /// POSTs `message` to the stream's endpoint through `app` (another instance, maybe).
    async fn post(&self, app: &TestApp, token: Option<&str>, message: &Value) -> reqwest::Response {
        let mut request = app.client.post(app.url(&self.endpoint)).json(message);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("posted")
    }

    /// Calls `tool` through `app` with `token` on the POST; the tool result from the stream.
    async fn call(&mut self, app: &TestApp, token: Option<&str>, id: u64, tool: ToolName) -> Value {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool.as_str(), "arguments": {}}});
        assert_eq!(self.post(app, token, &call).await.status(), 202);
        self.answer(id).await["result"].clone()
    }

    async fn answer(&mut self, id: u64) -> Value {
        use futures::StreamExt;
        loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), self.events.next())
                .await
                .expect("answer in time")
                .expect("stream open");
            let message: Value = serde_json::from_str(&event.data).expect("JSON");
            if message["id"] == json!(id) {
                return message;
            }
        }
    }
}

/// The identity of a legacy SSE POST is its own bearer token's: `post_on` takes the POSTs (the
/// stream's instance, or another one relaying through Redis). The stream was opened with every
/// scope; a POST with a cart-only token cannot check out, a POST without a token acts as the
/// stream, and an anonymous stream's POST with a token acts for the linked account.
async fn sse_posts_act_with_their_own_token(
    stream_on: &TestApp,
    post_on: &TestApp,
    issuer: &TestIssuer,
    key: &SigningKey,
) {
    let all = public(stream_on, "/mcp/all");
    let now = stream_on.clock.now();
    let full = key.sign(&issuer.claims(DEMO_EMAIL, &all, ALL_SCOPES, now));
    let cart_only = key.sign(&issuer.claims(DEMO_EMAIL, &all, "account cart", now));

    let mut stream = LegacyStream::open(stream_on, Some(&full)).await;
    let narrow = stream.call(post_on, Some(&cart_only), 1, ToolName::Checkout).await;
    let value = narrow["_meta"]["mcp/www_authenticate"][0].as_str().unwrap_or_default().to_owned();
    assert!(value.contains("error=\"insufficient_scope\""), "the POST's cart-only token decides: {narrow:#}");
    let as_stream = stream.call(post_on, None, 2, ToolName::Checkout).await;
    assert!(as_stream["_meta"].get("mcp/www_authenticate").is_none(), "no token: the stream's: {as_stream:#}");
    assert!(as_stream["content"][0]["text"].as_str().is_some_and(|t| t.contains("cart is empty")), "{as_stream:#}");

    let mut anonymous = LegacyStream::open(stream_on, None).await;
    let linked = anonymous.call(post_on, Some(&full), 1, ToolName::AuthenticateTarget).await;
    assert_eq!(linked["structuredContent"]["mode"], "linked", "{linked:#}");
    let refused =
        anonymous.post(post_on, Some("not-a-token"), &json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"})).await;
    assert_eq!(refused.status(), 401);
    assert!(challenge(&refused).contains("error=\"invalid_token\""), "{}", challenge(&refused));
}

#[tokio::test]
async fn a_legacy_sse_post_acts_with_its_own_bearer_token() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let app = app_with_issuer(&issuer, None).await;
    sse_posts_act_with_their_own_token(&app, &app, &issuer, &key).await;
}

#[tokio::test]
async fn a_legacy_sse_post_relayed_to_another_instance_acts_with_its_own_bearer_token() {
    let key = SigningKey::generate("k1");
    let issuer = TestIssuer::start(vec![key.clone()]).await;
    let redis = RedisTestServer::start().await;
    let a = app_with_issuer(&issuer, Some(&redis)).await;
    let mut config = test_config();
    config.oauth_issuer = Some(issuer.url.parse().expect("issuer url"));
    config.redis_url = Some(redis.url().into());
    // One public URL for both, as behind a load balancer: tokens name the same resource.
    config.public_base_url = Some(a.state.config.public_base().parse().expect("url"));
    let b = spawn_app_with(config).await;
    sse_posts_act_with_their_own_token(&a, &b, &issuer, &key).await;
}
