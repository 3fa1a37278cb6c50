//! With `UNWRANGLE_API_KEY` set, products come from the Unwrangle API: here a local fake that
//! answers in Unwrangle's shape, and fails on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use shared::cart::CartOutput;
use shared::product::{DataSource, SearchOutput};
use shared::tool::ToolName;

use crate::helpers::{ToolResult, mcp_post, spawn_app_with, test_config};

/// A real Unwrangle `target_search` answer, trimmed to four results (where it comes from:
/// `catalog/unwrangle.rs`, `RECORDED_SEARCH`).
const RECORDED_LAPTOP_SEARCH: &str = include_str!("../fixtures/unwrangle/target_search_laptop.json");

#[derive(serde::Deserialize)]
struct Params {
    search: String,
}

async fn fake_unwrangle(State(hits): State<Arc<AtomicUsize>>, Query(params): Query<Params>) -> impl IntoResponse {
    hits.fetch_add(1, Ordering::SeqCst);
    if params.search.contains("outage") {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response();
    }
    if params.search.contains("laptop") {
        return ([(axum::http::header::CONTENT_TYPE, "application/json")], RECORDED_LAPTOP_SEARCH).into_response();
    }
    axum::Json(json!({
        "success": true,
        "results": [
            {"tcin": "81234567", "name": "Live Desk Lamp", "price": "$24.99", "rating": 4.6, "review_count": 120,
             "thumbnail": "https://target.scene7.com/is/image/Target/GUEST_1", "url": "https://www.target.com/p/lamp/-/A-81234567"},
            {"tcin": "81234568", "product_name": "Live Floor Lamp", "price": 59.5, "images": ["https://target.scene7.com/x.jpg"]}
        ],
        "remaining_credits": 99
    }))
    .into_response()
}

async fn start_fake() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let router = axum::Router::new().route("/api/getter/", axum::routing::get(fake_unwrangle)).with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/api/getter/"), hits)
}

#[tokio::test]
async fn live_products_can_be_searched_cached_and_added_to_the_cart() {
    let (base_url, hits) = start_fake().await;
    let mut config = test_config();
    config.unwrangle_api_key = Some("test-key".into());
    config.unwrangle_base_url = base_url;
    let app = spawn_app_with(config).await;

    let first = app.call(ToolName::SearchTargetProducts, json!({"query": "desk lamp", "sort": "price-low"})).await;
    let out: SearchOutput = first.structured();
    assert_eq!(out.source, DataSource::Unwrangle);
    assert!(!out.cached);
    assert_eq!(out.products.len(), 2);
    assert_eq!(out.products[0].title, "Live Desk Lamp");
    assert_eq!(out.products[0].price_cents.0, 2499);
    assert!(first.widget().products[0].image_url.starts_with("https://target.scene7.com/"));
    let again: SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": "Desk  Lamp"})).await.structured();
    assert!(again.cached, "the second identical search is served from the cache");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let sid = app.new_session().await;
    let cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": "81234568"})).await.structured();
    assert_eq!(cart.cart.subtotal_cents.0, 5950);

    // The product CSP allows Target's image host.
    let list = app.rpc("/mcp/all", "resources/list", json!({})).await;
    let uri = list["result"]["resources"][0]["uri"].as_str().expect("uri").to_owned();
    let read = app.rpc("/mcp/all", "resources/read", json!({"uri": uri})).await;
    let domains = &read["result"]["contents"][0]["_meta"]["openai/widgetCSP"]["resource_domains"];
    assert!(domains.as_array().is_some_and(|d| d.contains(&json!("https://target.scene7.com"))));
}

#[tokio::test]
async fn a_recorded_unwrangle_answer_reaches_the_shopper_field_by_field() {
    let (base_url, _) = start_fake().await;
    let mut config = test_config();
    config.unwrangle_api_key = Some("test-key".into());
    config.unwrangle_base_url = base_url;
    let app = spawn_app_with(config).await;

    let result = app.call(ToolName::SearchTargetProducts, json!({"query": "laptop", "sort": "price-low"})).await;
    let out: SearchOutput = result.structured();
    let seen: Vec<(&str, i64)> = out.products.iter().map(|p| (p.id.as_str(), p.price_cents.0)).collect();
    assert_eq!(seen, [("1004642278", 100), ("92584192", 13_999), ("1003474299", 19_999), ("1004936222", 56_899)]);
    let widget = result.widget();
    let ratings: Vec<(Option<u8>, Option<u32>)> = out
        .products
        .iter()
        .map(|p| widget.product(&p.id).map(|full| (full.rating.map(|r| r.0), full.review_count)).expect("its record"))
        .collect();
    assert_eq!(ratings, [(None, Some(0)), (Some(38), Some(17)), (Some(47), Some(3)), (Some(45), Some(8))]);
    let lenovo = widget.product(&out.products[1].id).expect("record");
    assert_eq!(lenovo.brand.as_deref(), Some("Lenovo"));
    assert!(lenovo.url.ends_with("/-/A-92584192") && lenovo.image_url.starts_with("https://target.scene7.com/"));

    let sid = app.new_session().await;
    let cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": "1004936222"})).await.structured();
    assert_eq!(cart.cart.subtotal_cents.0, 56_899);
}

#[tokio::test]
async fn a_failing_upstream_gives_the_shopper_a_clear_message() {
    let (base_url, hits) = start_fake().await;
    let mut config = test_config();
    config.unwrangle_api_key = Some("test-key".into());
    config.unwrangle_base_url = base_url;
    let app = spawn_app_with(config).await;
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app.call(ToolName::SearchTargetProducts, json!({"query": "outage"})),
    )
    .await
    .expect("the failure comes back, not a hang");
    assert!(result.is_error());
    assert!(result.text().contains("unavailable"), "{}", result.text());
    assert!(!result.text().contains("exploded"), "upstream details stay in the log");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "tried, then retried twice");
}

/// A search from `ip` (the test server trusts `X-Forwarded-For`).
async fn search_from(app: &crate::helpers::TestApp, ip: &str, query: &str) -> ToolResult {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "search-target-products", "arguments": {"query": query}}});
    let response = mcp_post(app, &call, Some(ip)).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON-RPC");
    assert!(body["error"].is_null(), "{body}");
    ToolResult(body["result"].clone())
}

#[tokio::test]
async fn one_client_cannot_spend_the_unwrangle_budget_of_the_others() {
    // Both ways a tool call is served: the direct path, and rmcp's.
    for direct in [true, false] {
        let (base_url, hits) = start_fake().await;
        let mut config = test_config();
        config.unwrangle_api_key = Some("test-key".into());
        config.unwrangle_base_url = base_url;
        config.trust_forwarded_for = true;
        config.direct_tool_calls = direct;
        config.unwrangle_max_requests_per_client_per_min = 2;
        let app = spawn_app_with(config).await;

        // Two upstream calls from one /64 (two of its addresses), then its budget is spent.
        let first: SearchOutput = search_from(&app, "2001:db8:7:7::1", "lamp").await.structured();
        assert!(!first.cached);
        let _: SearchOutput = search_from(&app, "2001:db8:7:7::2", "desk").await.structured();
        for n in 0..5 {
            let refused = search_from(&app, "2001:db8:7:7::3", &format!("random {n}")).await;
            assert!(refused.is_error(), "direct={direct}: {:?}", refused.0);
            assert!(refused.text().contains("busy right now"), "direct={direct}: {}", refused.text());
        }
        assert_eq!(hits.load(Ordering::SeqCst), 2, "direct={direct}: no upstream call past the client's budget");
        // Its cached pages still answer; another client still reaches Unwrangle.
        let cached: SearchOutput = search_from(&app, "2001:db8:7:7::1", "Lamp").await.structured();
        assert!(cached.cached);
        let other: SearchOutput = search_from(&app, "198.51.100.4", "chair").await.structured();
        assert!(!other.cached);
        assert_eq!(hits.load(Ordering::SeqCst), 3, "direct={direct}");
    }
}
