//! `/.well-known/acp.json` and the product feed.

use serde_json::Value;

use super::{Backend, VERSION};

#[tokio::test]
async fn discovery_is_public_and_names_versions_and_transports() {
    let acp = Backend::memory().await.spawn().await;
    let response = acp.app.client.get(acp.app.url("/.well-known/acp.json")).send().await.expect("ok");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
    let doc: Value = response.json().await.expect("ok");
    assert_eq!(doc["protocol"]["name"], "acp");
    assert_eq!(doc["protocol"]["version"], VERSION);
    let versions = doc["protocol"]["supported_versions"].as_array().expect("ok");
    assert_eq!(versions.last().expect("ok"), VERSION, "the last supported version is the current one");
    assert_eq!(doc["transports"], serde_json::json!(["rest", "mcp"]));
    assert!(doc["capabilities"]["services"].as_array().expect("ok").contains(&serde_json::json!("checkout")));
    assert!(url::Url::parse(doc["api_base_url"].as_str().expect("ok")).is_ok());
    let keys: Vec<&String> = doc.as_object().expect("ok").keys().collect();
    assert_eq!(keys.len(), 4, "DiscoveryResponse has exactly protocol, api_base_url, transports, capabilities");
}

#[tokio::test]
async fn the_feed_lists_the_catalog_in_minor_units() {
    let acp = Backend::memory().await.spawn().await;
    let feed = acp.get("/feeds/target-us").await;
    assert_eq!(feed.status, 200);
    assert_eq!(feed.body["target_country"], "US");
    let products = acp.get("/feeds/target-us/products").await;
    assert_eq!(products.status, 200);
    let list = products.body["products"].as_array().expect("ok");
    assert_eq!(list.len(), acp.app.state.catalog.products().len());
    for (p, ours) in list.iter().zip(acp.app.state.catalog.products()) {
        assert_eq!(p["id"], ours.id.as_str());
        let variant = &p["variants"][0];
        assert_eq!(variant["price"]["amount"].as_i64(), Some(ours.price_cents.0), "integer cents");
        assert_eq!(variant["price"]["currency"], "USD");
        assert_eq!(variant["availability"]["available"], ours.in_stock);
        assert!(!variant["title"].as_str().expect("ok").is_empty());
    }
    assert_eq!(acp.get("/feeds/other").await.status, 404);
    let anonymous = acp.app.client.get(acp.app.url("/feeds/target-us/products")).send().await.expect("ok");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn with_live_unwrangle_products_there_is_no_feed() {
    // Products come from Unwrangle (live); the embedded catalog is not what this server sells.
    let acp = Backend::memory().await.spawn_with(|c| c.unwrangle_api_key = Some("test-key".into())).await;
    assert_eq!(acp.app.state.products.kind(), shared::product::DataSource::Unwrangle);
    for path in ["/feeds/target-us", "/feeds/target-us/products"] {
        let r = acp.get(path).await;
        let e = r.error(404, "not_found");
        assert_eq!(e.kind, super::oracle::ErrorType::InvalidRequest);
        assert!(e.message.contains("embedded catalog") && e.message.contains("Unwrangle"), "{path}: {}", e.message);
        assert!(r.body.get("products").is_none(), "{path}: no catalog in the answer");
    }
    acp.get("/feeds/other").await.error(404, "not_found");
    let anonymous = acp.app.client.get(acp.app.url("/feeds/target-us/products")).send().await.expect("ok");
    assert_eq!(anonymous.status(), 401, "the merchant key is still checked first");
    // The discovery document is served and advertises no feed.
    let response = acp.app.client.get(acp.app.url("/.well-known/acp.json")).send().await.expect("ok");
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.expect("ok");
    assert!(!doc.to_string().contains("feed"), "{doc:#}");
}
