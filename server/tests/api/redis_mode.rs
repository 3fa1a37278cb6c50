//! With `REDIS_URL`, several server instances share one store: a shopper's requests may land on
//! any of them. Redis going away gives clear errors quickly, and the servers recover by
//! themselves when it answers again, with every acknowledged order still there.

use serde_json::json;
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::ids::SessionId;
use shared::membership::MembershipOutput;
use shared::product::SearchOutput;
use shared::tool::ToolName;

use crate::helpers::{TestApp, spawn_app_with, test_config};
use crate::redis_test_server::RedisTestServer;

async fn instance(redis: &RedisTestServer) -> TestApp {
    let mut config = test_config();
    config.redis_url = Some(redis.url().into());
    spawn_app_with(config).await
}

/// An instance without rate limits, for tests that POST until something changes.
async fn unlimited_instance(redis: &RedisTestServer) -> TestApp {
    let mut config = test_config();
    config.redis_url = Some(redis.url().into());
    config.rate_limit_per_sec = 0;
    spawn_app_with(config).await
}

#[tokio::test]
async fn two_instances_share_the_whole_shopping_flow() {
    let redis = RedisTestServer::start().await;
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let sid = a.new_session().await;
    let sid = b.sign_in(&sid).await;
    let found: SearchOutput =
        a.call(ToolName::SearchTargetProducts, json!({"query": "desk lamp", "sessionId": sid})).await.structured();
    let in_stock: Vec<_> = found.products.iter().filter(|p| p.in_stock).collect();
    b.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": in_stock[0].id})).await;
    a.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": in_stock[1].id, "quantity": 2})).await;
    let cart: CartOutput = b
        .call(ToolName::UpdateCartItem, json!({"sessionId": sid, "productId": in_stock[1].id, "quantity": 3}))
        .await
        .structured();
    assert_eq!(cart.cart.item_count, 4, "both instances' changes are in the one cart");
    let joined: MembershipOutput =
        a.call(ToolName::CircleSignup, json!({"sessionId": sid, "tier": "circle-card"})).await.structured();
    assert!(joined.member);
    let priced: CartOutput = b.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(priced.cart.circle_savings_cents.0 > 0, "B sees the membership A created");
    let order: CheckoutOutput =
        a.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "two-instances-01"})).await.structured();
    let replay: CheckoutOutput =
        b.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "two-instances-01"})).await.structured();
    assert!(replay.replayed);
    assert_eq!(replay.order.order_id, order.order.order_id);
    let empty: CartOutput = b.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(empty.cart.items.is_empty());
}

#[tokio::test]
async fn concurrent_adds_through_two_instances_lose_nothing() {
    let redis = RedisTestServer::start().await;
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let sid = a.new_session().await;
    let lamp = a.find_product("lamp", 0).await;
    let adds = (0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id}))
    });
    futures::future::join_all(adds).await;
    let cart: CartOutput = b.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(cart.cart.item_count, 20);
}

async fn place_order(app: &TestApp, sid: &SessionId, key: &str) -> CheckoutOutput {
    let lamp = app.find_product("lamp", 0).await;
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    app.call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": key})).await.structured()
}

#[tokio::test]
async fn a_frozen_redis_gives_clear_errors_and_the_servers_recover_with_orders_intact() {
    let redis = RedisTestServer::start().await;
    let app = instance(&redis).await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;
    let before = place_order(&app, &sid, "before-outage-01").await;

    redis.pause();
    let during = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.call(ToolName::GetCart, json!({"sessionId": sid})),
    )
    .await
    .expect("an answer, not a hang");
    assert!(during.is_error());
    assert!(during.text().contains("temporarily unavailable"), "{}", during.text());
    let rest = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.post_json(shared::api::SIGNOUT_PATH, json!({"sessionId": sid})),
    )
    .await
    .expect("an answer, not a hang");
    assert_eq!(rest.status(), 503);
    assert!(rest.headers().get("retry-after").is_some());
    let ready = app.client.get(app.url("/readyz")).send().await.expect("sent");
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.expect("json");
    assert_eq!((ready["store"].as_str(), ready["storeKind"].as_str()), (Some("down"), Some("redis")));

    redis.resume();
    let replay: CheckoutOutput = app
        .call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "before-outage-01"}))
        .await
        .structured();
    assert_eq!(replay.order.order_id, before.order.order_id, "the acknowledged order survived");
    let stored = app.state.store.order(&before.order.order_id).await.expect("store answers again");
    assert_eq!(stored.map(|o| o.total_cents), Some(before.order.total_cents));
    let after = place_order(&app, &sid, "after-outage-01").await;
    assert_ne!(after.order.order_id, before.order.order_id);
}

#[tokio::test]
async fn legacy_sse_posts_on_another_instance_are_forwarded_to_the_stream() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let redis = RedisTestServer::start().await;
    let (a, b) = (instance(&redis).await, unlimited_instance(&redis).await);
    let stream = a.client.get(a.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("opens");
    let mut events = stream.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let mut next = async || {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
            .await
            .expect("an event in time")
            .expect("the stream is open");
        if event.event == "endpoint" { json!(event.data) } else { serde_json::from_str(&event.data).expect("JSON") }
    };
    let endpoint = next().await.as_str().expect("endpoint path").to_owned();

    // The load balancer sends every POST to B; the answers arrive on A's stream.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}});
    assert_eq!(b.post_json(&endpoint, initialize).await.status(), 202);
    let init = next().await;
    assert_eq!(init["id"], 1);
    assert!(init["result"]["serverInfo"]["name"].is_string(), "{init}");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(b.post_json(&endpoint, initialized).await.status(), 202);
    let create = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "create-target-session", "arguments": {}}});
    assert_eq!(b.post_json(&endpoint, create).await.status(), 202);
    let created = next().await;
    assert_eq!(created["id"], 2);
    let sid = created["result"]["structuredContent"]["sessionId"].as_str().expect("a session id").to_owned();
    // A POST that is not a message is refused by B itself.
    assert_eq!(b.post_json(&endpoint, json!({"hello": "world"})).await.status(), 400);
    // The shopper's session is in Redis: B knows it too.
    let cart: CartOutput = b.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert!(cart.cart.items.is_empty());

    // A session of an instance that never existed: a clear 404 — once this new Redis is older
    // than the relay's restart grace (until then an unknown tag may be an instance that is
    // resubscribing, answered 503).
    let (prefix, id) = endpoint.split_once("sessionId=").expect("query");
    let foreign_tag = if id.starts_with("00000000") { "00000001" } else { "00000000" };
    let foreign = format!("{prefix}sessionId={foreign_tag}{}", &id[8..]);
    let gone = until_gone(&b, &foreign).await;
    let body: serde_json::Value = gone.json().await.expect("JSON body");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("gone")), "{body}");
}

/// POSTs pings to `endpoint` through `app` until one is answered 404 (within 20 s); every answer
/// before it is 503 (the holder is taken for resubscribing) or 202 (it still listened).
async fn until_gone(app: &TestApp, endpoint: &str) -> reqwest::Response {
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let answer = app.post_json(endpoint, json!({"jsonrpc": "2.0", "id": 9, "method": "ping"})).await;
            match answer.status().as_u16() {
                404 => return answer,
                202 | 503 => tokio::task::yield_now().await,
                other => panic!("unexpected {other} while waiting for 404"),
            }
        }
    })
    .await
    .expect("404 within 20 s")
}

#[tokio::test]
async fn a_stopped_instances_streams_answer_404_through_the_others() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let redis = RedisTestServer::start().await;
    let (a, b) = (instance(&redis).await, unlimited_instance(&redis).await);
    let stream = a.client.get(a.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("opens");
    let mut events = stream.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let endpoint = events.next().await.expect("an endpoint event").data;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(b.post_json(&endpoint, ping).await.status(), 202, "A listens");
    drop(a);
    // A's stream ends with A; the client then learns from B that the session is gone.
    assert!(
        tokio::time::timeout(std::time::Duration::from_secs(20), async { while events.next().await.is_some() {} })
            .await
            .is_ok(),
        "A's stream ends when A stops"
    );
    let gone = until_gone(&b, &endpoint).await;
    let body: serde_json::Value = gone.json().await.expect("JSON body");
    assert_eq!(body["error"], "session_not_found", "{body}");
}

#[tokio::test]
async fn forwarding_with_redis_away_answers_503_and_works_again_when_it_returns() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let redis = RedisTestServer::start().await;
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let stream = a.client.get(a.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("opens");
    let mut events = stream.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let mut next = async || {
        tokio::time::timeout(std::time::Duration::from_secs(20), events.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .data
    };
    let endpoint = next().await;
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping"});

    redis.pause();
    let away = tokio::time::timeout(std::time::Duration::from_secs(20), b.post_json(&endpoint, ping.clone()))
        .await
        .expect("an answer, not a hang");
    assert_eq!(away.status(), 503);
    assert!(away.headers().get("retry-after").is_some());
    let body: serde_json::Value = away.json().await.expect("JSON body");
    assert_eq!(body["error"], "forwarding_failed");

    redis.resume();
    // Before `initialize`, rmcp answers a ping; it arrives on A's stream through B.
    let back = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            if b.post_json(&endpoint, ping.clone()).await.status() == 202 {
                return;
            }
            tokio::task::yield_now().await;
        }
    });
    back.await.expect("forwarding works again");
    let pong: serde_json::Value = serde_json::from_str(&next().await).expect("JSON");
    assert_eq!(pong["id"], 7);
}

#[tokio::test]
async fn forwarding_works_again_after_redis_is_stopped_and_restarted() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let mut redis = RedisTestServer::start().await;
    // The retry loop below may post many times.
    let (a, b) = (unlimited_instance(&redis).await, unlimited_instance(&redis).await);
    let stream = a.client.get(a.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("opens");
    let mut events = stream.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let mut next = async || {
        tokio::time::timeout(std::time::Duration::from_secs(20), events.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .data
    };
    let endpoint = next().await;
    let ping = |id: u32| json!({"jsonrpc": "2.0", "id": id, "method": "ping"});
    // Before the restart: B forwards to A's stream.
    assert_eq!(b.post_json(&endpoint, ping(1)).await.status(), 202);
    let pong: serde_json::Value = serde_json::from_str(&next().await).expect("JSON");
    assert_eq!(pong["id"], 1);

    // A new, empty redis-server on the same port: every connection and subscription is gone, not
    // frozen. A must subscribe again and B's publisher reconnect.
    redis.restart().await;
    let back = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut id = 2;
        loop {
            // 202 once A's subscription is back; meanwhile 503 (no connection yet, or A not
            // subscribed again yet). Never 404: A's stream is still open, and a 404 would tell
            // the client to drop it.
            let status = b.post_json(&endpoint, ping(id)).await.status();
            if status == 202 {
                return id;
            }
            assert_eq!(status, 503, "while Redis comes back (POST {id})");
            id += 1;
            tokio::task::yield_now().await;
        }
    });
    let delivered = back.await.expect("forwarding works again after the restart");
    let pong: serde_json::Value = serde_json::from_str(&next().await).expect("JSON");
    assert_eq!(pong["id"], delivered, "the forwarded ping is answered on A's stream");
}

#[tokio::test]
async fn a_tls_redis_serves_the_shopping_flow() {
    use crate::redis_test_server::TlsFiles;
    let files = TlsFiles::generate();
    let redis = RedisTestServer::start_tls(&files).await;
    let mut config = test_config();
    config.redis_url = Some(redis.tls_url().into());
    config.redis_tls_ca_file = Some(files.ca());
    let app = spawn_app_with(config).await;
    let sid = app.new_session().await;
    let found: SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": "desk lamp"})).await.structured();
    let lamp = found.products.iter().find(|p| p.in_stock).expect("an in-stock lamp");
    let cart: CartOutput =
        app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await.structured();
    assert_eq!(cart.cart.item_count, 1);
    let ready: serde_json::Value =
        app.client.get(app.url("/readyz")).send().await.expect("sent").json().await.expect("json");
    assert_eq!((ready["store"].as_str(), ready["storeKind"].as_str()), (Some("ok"), Some("redis")));
}
