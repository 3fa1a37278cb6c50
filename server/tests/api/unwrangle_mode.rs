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

use crate::helpers::{spawn_app_with, test_config};

#[derive(serde::Deserialize)]
struct Params {
    search: String,
}

async fn fake_unwrangle(State(hits): State<Arc<AtomicUsize>>, Query(params): Query<Params>) -> impl IntoResponse {
    hits.fetch_add(1, Ordering::SeqCst);
    if params.search.contains("outage") {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response();
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
