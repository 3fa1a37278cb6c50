//! The rate limit per merchant API key over real HTTP, on the test clock: each key has its own
//! budget on REST and on the MCP binding alike, a refusal is 429 with the flat error and
//! `Retry-After`, uses no idempotency key, and the budget comes back as the clock moves.

use chrono::Duration as Span;

use super::oracle::ErrorType;
use super::{Acp, Backend, create_body};

const KEYS: [&str; 2] = ["merchant_key_a", "merchant_key_b"];

async fn limited() -> Acp {
    let acp = Backend::memory()
        .await
        .spawn_with(|c| {
            c.commerce.acp_api_keys = KEYS.iter().map(|k| (*k).to_owned()).collect();
            c.commerce.acp_rate_limit_per_sec = 1;
            c.commerce.acp_rate_limit_burst = 3;
        })
        .await;
    Acp { key: KEYS[0].into(), ..acp }
}

#[tokio::test]
async fn each_merchant_key_has_its_own_budget() {
    let mut a = limited().await;
    for _ in 0..3 {
        a.get("/checkout_sessions/cs_unknown").await.error(404, "session_not_found");
    }
    let refused = a.get("/checkout_sessions/cs_unknown").await;
    let e = refused.error(429, "rate_limited");
    assert_eq!(e.kind, ErrorType::InvalidRequest);
    assert_eq!(refused.header("retry-after"), Some("1"), "one request frees in a second");
    // A create refused for the rate does not take its idempotency key.
    let (stock, _) = a.catalog_ids();
    let body = create_body(&[(&stock[0].0, 1)], true);
    let r = a.post("/checkout_sessions", &body, "limited-create").await;
    r.error(429, "rate_limited");
    assert_eq!(r.header("idempotency-key"), Some("limited-create"));
    // The MCP binding counts against the same key.
    let mcp = a.mcp(&crate::helpers::tools_list()).await;
    assert_eq!(mcp.status(), 429);
    assert_eq!(super::oracle::error(&mcp.json().await.expect("json")).code, "rate_limited");
    // Another key is not affected.
    a.key = KEYS[1].into();
    a.get("/checkout_sessions/cs_unknown").await.error(404, "session_not_found");
    a.key = KEYS[0].into();
    // A second later one request goes through, and only one.
    a.app.clock.advance(Span::seconds(1));
    let created = a.post("/checkout_sessions", &body, "limited-create").await;
    assert_eq!(created.header("idempotent-replayed"), None, "the refused attempt left nothing to replay");
    created.session(201);
    a.get("/checkout_sessions/cs_unknown").await.error(429, "rate_limited");
}
