//! The app's per-client-IP rate limit (`RATE_LIMIT_PER_SEC`, `RATE_LIMIT_BURST`) on the ACP
//! routes: past it an ACP client gets 429 with `Retry-After` in the ACP flat error shape (checked
//! by the oracle), while the app's own routes keep the app's error shape for the same client.

use super::oracle::ErrorType;
use super::{Backend, Headers, create_body};
use crate::helpers::{mcp_post, tools_list};

#[tokio::test]
async fn a_client_over_its_ip_budget_gets_the_flat_acp_error_on_acp_routes() {
    let acp = Backend::memory()
        .await
        .spawn_with(|c| {
            c.rate_limit_per_sec = 1;
            c.rate_limit_burst = 3;
        })
        .await;
    for _ in 0..3 {
        acp.get("/checkout_sessions/cs_unknown").await.error(404, "session_not_found");
    }
    let refused = acp.get("/checkout_sessions/cs_unknown").await;
    let e = refused.error(429, "rate_limited");
    assert_eq!(e.kind, ErrorType::InvalidRequest);
    assert!(e.message.contains("Too many requests"), "{}", e.message);
    let retry: u64 = refused.header("retry-after").expect("Retry-After").parse().expect("whole seconds");
    assert!(retry >= 1, "Retry-After {retry}");
    // A POST is refused the same way, echoing its Idempotency-Key and Request-Id as every ACP
    // answer does; the request did not run.
    let (stock, _) = acp.catalog_ids();
    let headers = Headers { request_id: Some("req-ip-1".into()), ..Headers::idem("ip-create") };
    let body = create_body(&[(&stock[0].0, 1)], true);
    let post = acp.send(reqwest::Method::POST, "/checkout_sessions", Some(&body), &headers).await;
    post.error(429, "rate_limited");
    assert_eq!(post.header("idempotency-key"), Some("ip-create"));
    assert_eq!(post.header("request-id"), Some("req-ip-1"));
    // The MCP binding and the discovery document are ACP routes too.
    let mcp = acp.mcp(&tools_list()).await;
    assert_eq!(mcp.status(), 429);
    assert!(mcp.headers().contains_key("retry-after"));
    assert_eq!(super::oracle::error(&mcp.json().await.expect("json")).code, "rate_limited");
    let discovery = acp.app.client.get(acp.app.url("/.well-known/acp.json")).send().await.expect("sent");
    assert_eq!(discovery.status(), 429);
    assert_eq!(super::oracle::error(&discovery.json().await.expect("json")).code, "rate_limited");
    // The same client on the app's own MCP endpoint: the app's error shape, not ACP's.
    let app_error = crate::helpers::assert_limited(mcp_post(&acp.app, &tools_list(), None).await).await;
    assert!(app_error.message.contains("Too many requests"), "{}", app_error.message);
    // The budget comes back with the (test) clock.
    acp.app.clock.advance(chrono::Duration::seconds(1));
    acp.get("/checkout_sessions/cs_unknown").await.error(404, "session_not_found");
}
