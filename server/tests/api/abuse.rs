//! Abuse resistance (issue 14, docs/security.md): bounded rate-limit state, the sign-in lockout
//! that cannot be raced or turned on the owner, bounded password hashing, IPv6 clients by /64,
//! orders that cannot collide and idempotency keys that cannot be reused for another cart,
//! session lifetimes, and the smaller holes.

use serde_json::{Value, json};
use server::config::Config;
use shared::api::{AUTHENTICATE_PATH, ApiError, ApiErrorCode};
use shared::cart::CartOutput;
use shared::checkout::CheckoutOutput;
use shared::ids::SessionId;
use shared::product::SearchOutput;
use shared::tool::ToolName;

use crate::helpers::{
    DEMO_EMAIL, DEMO_PASSWORD, TestApp, assert_limited, get_cart, limited, mcp_post, spawn_app, spawn_app_with,
    test_config, tools_list,
};

// ---- 1. Rate-limit buckets from invented session ids ----

/// A well-formed session id nobody created.
fn invented(n: u32) -> SessionId {
    SessionId::parse(format!("sess_{n:032x}")).expect("well-formed")
}

#[tokio::test]
async fn invented_session_ids_mint_no_buckets_and_one_request_names_few_sessions() {
    let app = spawn_app().await;
    let general = app.limits.general.clone().expect("rate limits on");
    // One batch naming a thousand made-up sessions is refused before any bucket is made.
    let batch: Vec<Value> = (0..1000).map(|n| get_cart(&invented(n))).collect();
    let refused = mcp_post(&app, &Value::Array(batch), None).await;
    assert_eq!(refused.status(), 400);
    let error: ApiError = refused.json().await.expect("typed error");
    assert!(error.message.contains("at most 4 sessions"), "{}", error.message);
    // A flood of single calls with fresh made-up ids: answered (session not found), not counted.
    for n in 1000..1100 {
        assert_eq!(mcp_post(&app, &get_cart(&invented(n)), None).await.status(), 200);
    }
    assert_eq!(general.tracked_keys(), 1, "only the client's own bucket");
    // A session that exists is counted.
    let sid = app.new_session().await;
    assert_eq!(mcp_post(&app, &get_cart(&sid), None).await.status(), 200);
    assert_eq!(general.tracked_keys(), 2);
}

// ---- 3. The lockout cannot be raced or turned on the owner ----

/// A sign-in from `ip` (the test server trusts `X-Forwarded-For`).
async fn sign_in_from(app: &TestApp, ip: &str, sid: &SessionId, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url(AUTHENTICATE_PATH))
        .header("X-Forwarded-For", ip)
        .json(&json!({"sessionId": sid, "email": email, "password": password}))
        .send()
        .await
        .expect("sent")
}

fn behind_proxy() -> Config {
    let mut config = test_config();
    config.trust_forwarded_for = true;
    config.signin_rate_limit_per_min = 0;
    config.signin_max_concurrent_hashes = 64;
    config
}

#[tokio::test]
async fn a_guesser_locks_only_their_own_client_and_the_owner_still_signs_in() {
    let app = spawn_app_with(behind_proxy()).await;
    let attacker = app.new_session().await;
    for _ in 0..5 {
        assert_eq!(sign_in_from(&app, "203.0.113.66", &attacker, DEMO_EMAIL, "guess").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, "203.0.113.66", &attacker, DEMO_EMAIL, "guess").await.status(), 429);
    // The owner, from home, is not locked out of their own account.
    let owner = app.new_session().await;
    let ok = sign_in_from(&app, "198.51.100.7", &owner, DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(ok.status(), 200);
    // Spraying many accounts from one client stops at the per-client limit (20 failures).
    for n in 0..15 {
        let email = format!("victim{n}@example.com");
        assert_eq!(sign_in_from(&app, "203.0.113.66", &attacker, &email, "guess").await.status(), 401, "{email}");
    }
    let sprayed = sign_in_from(&app, "203.0.113.66", &attacker, "another@example.com", "guess").await;
    assert_eq!(sprayed.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_pass_the_lockout() {
    let app = spawn_app_with(behind_proxy()).await;
    let sid = app.new_session().await;
    let guesses = (0..20).map(|_| sign_in_from(&app, "203.0.113.77", &sid, DEMO_EMAIL, "guess"));
    let statuses: Vec<u16> = futures::future::join_all(guesses).await.iter().map(|r| r.status().as_u16()).collect();
    let hashed = app.state.accounts.checks_started();
    assert_eq!(hashed, 5, "only the five allowed guesses reach the hash; statuses {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15);
}

// ---- 2. Password hashing has a global bound ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_flood_runs_one_hash_at_a_time_and_the_server_keeps_answering() {
    let mut config = test_config();
    config.signin_max_concurrent_hashes = 1;
    config.trust_forwarded_for = true;
    config.signin_rate_limit_per_min = 0;
    let app = spawn_app_with(config).await;
    let sid = app.new_session().await;
    let flood = (0..40).map(|n| {
        let body = json!({"sessionId": sid, "email": format!("user{n}@example.com"), "password": "guess"});
        app.client
            .post(app.url(AUTHENTICATE_PATH))
            .header("X-Forwarded-For", format!("198.51.100.{n}"))
            .json(&body)
            .send()
    });
    let flood = futures::future::join_all(flood);
    let others = async {
        // While the flood is in flight, other requests are answered.
        let health = app.client.get(app.url("/healthz")).send().await.expect("sent");
        let list = mcp_post(&app, &tools_list(), None).await;
        (health.status(), list.status())
    };
    let (answers, (health, list)) = tokio::join!(flood, others);
    assert_eq!((health.as_u16(), list.as_u16()), (200, 200));
    let mut busy = 0;
    for answer in answers {
        let answer = answer.expect("sent");
        match answer.status().as_u16() {
            401 => {}
            503 => {
                assert_eq!(answer.headers()["retry-after"], "1");
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let accounts = &app.state.accounts;
    eprintln!("{} checks ran, {busy} refused busy", accounts.checks_started());
    assert_eq!(accounts.peak_concurrent_checks(), 1, "never more than one argon2 run (~19 MiB) at once");
    assert_eq!(accounts.checks_started() + busy, 40, "a refused sign-in costs no hash");
}

// ---- 4. IPv6 clients by /64 ----

#[tokio::test]
async fn ipv6_clients_share_the_limits_of_their_64() {
    let mut config = limited(1, 3);
    config.trust_forwarded_for = true;
    config.max_sse_streams_per_client = 2;
    let app = spawn_app_with(config).await;
    // Three addresses of one /64: one client, so the fourth request is over the burst.
    for host in 1..=3 {
        let ok = mcp_post(&app, &tools_list(), Some(&format!("2001:db8:aa:bb::{host}"))).await;
        assert_eq!(ok.status(), 200);
    }
    assert_limited(mcp_post(&app, &tools_list(), Some("2001:db8:aa:bb:ffff::9")).await).await;
    // The next /64 is another client.
    assert_eq!(mcp_post(&app, &tools_list(), Some("2001:db8:aa:bc::1")).await.status(), 200);
    // The SSE stream cap counts the /64 too (the limiter has room: the cap answers first).
    let mut config = test_config();
    config.trust_forwarded_for = true;
    config.max_sse_streams_per_client = 2;
    let app = spawn_app_with(config).await;
    let open = |ip: &'static str| {
        app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream").header("X-Forwarded-For", ip).send()
    };
    let _first = open("2001:db8:cc:dd::1").await.expect("sent");
    let _second = open("2001:db8:cc:dd::2").await.expect("sent");
    assert_eq!(_second.status(), 200);
    let third = open("2001:db8:cc:dd:1:2:3:4").await.expect("sent");
    assert_eq!(third.status(), 429, "a third stream from the same /64");
    assert_eq!(open("2001:db8:cc:de::1").await.expect("sent").status(), 200, "another /64");
}

// ---- 7. Orders and idempotency keys ----

#[tokio::test]
async fn an_idempotency_key_reused_for_another_cart_is_a_conflict_not_the_old_order() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;
    let found: SearchOutput =
        app.call(ToolName::SearchTargetProducts, json!({"query": "desk lamp", "sessionId": sid})).await.structured();
    let (first, second) = (&found.products[0], &found.products[1]);
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": first.id})).await;
    let checkout = json!({"sessionId": sid, "idempotencyKey": "abuse-order-0001"});
    let placed: CheckoutOutput = app.call(ToolName::Checkout, checkout.clone()).await.structured();
    assert!(!placed.replayed);
    // A retry (the cart was emptied by the order) answers the same order.
    let retry: CheckoutOutput = app.call(ToolName::Checkout, checkout.clone()).await.structured();
    assert!(retry.replayed);
    assert_eq!(retry.order.order_id, placed.order.order_id);
    // A new cart with the old key: refused, and the cart is kept.
    app.call(ToolName::AddToCart, json!({"sessionId": sid, "productId": second.id, "quantity": 2})).await;
    let reused = app.call(ToolName::Checkout, checkout).await;
    assert!(reused.is_error(), "{:?}", reused.0);
    let text = reused.text();
    assert!(text.contains(placed.order.order_id.as_str()) && text.contains("new key"), "{text}");
    let cart: CartOutput = app.call(ToolName::GetCart, json!({"sessionId": sid})).await.structured();
    assert_eq!(cart.cart.items.len(), 1, "nothing was placed");
    let fresh: CheckoutOutput = app
        .call(ToolName::Checkout, json!({"sessionId": sid, "idempotencyKey": "abuse-order-0002"}))
        .await
        .structured();
    assert!(!fresh.replayed);
    assert_ne!(fresh.order.order_id, placed.order.order_id);
}

// ---- 5. Shutdown has a deadline ----

#[tokio::test]
async fn shutdown_stops_within_its_deadline_while_a_request_is_still_arriving() {
    let mut config = test_config();
    config.shutdown_timeout_secs = 1;
    let clock = std::sync::Arc::new(server::clock::ManualClock::new(chrono::Utc::now()));
    let app = server::app::Application::build_with_clock(config, clock).await.expect("builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    // A client that sends its headers and the start of its body, then nothing more: its request
    // never finishes on its own, and graceful shutdown alone would wait for it forever.
    let mut slow = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.expect("connect");
    let head = "POST /mcp/all HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n\
                Accept: application/json, text/event-stream\r\ncontent-length: 100\r\n\r\n{\"jsonrpc\":";
    tokio::io::AsyncWriteExt::write_all(&mut slow, head.as_bytes()).await.expect("written");
    // Connections are accepted in order: once a later one is answered, the slow one is in.
    let health = reqwest::get(format!("{base}/healthz")).await.expect("sent");
    assert_eq!(health.status(), 200);
    stop.send(()).expect("server running");
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), run).await;
    assert!(stopped.is_ok(), "the server did not stop within its 1 s deadline (+ margin)");
    drop(slow);
}

// ---- 9. Smaller holes ----

#[tokio::test]
async fn foreign_host_names_are_refused_on_legacy_sse_and_the_api_too() {
    let app = spawn_app().await;
    let sse = app
        .client
        .get(app.url("/mcp/all"))
        .header("Accept", "text/event-stream")
        .header("Host", "rebound.evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(sse.status(), 403, "a legacy SSE stream under a rebound host name");
    let sid = app.new_session().await;
    let api = app
        .client
        .post(app.url(AUTHENTICATE_PATH))
        .header("Host", "rebound.evil.example:8000")
        .json(&json!({"sessionId": sid, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(api.status(), 403);
    let error: ApiError = api.json().await.expect("typed error");
    assert_eq!(error.error, ApiErrorCode::ForbiddenOrigin);
    // Our own names pass, on any port.
    let ok = app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream").header("Host", "localhost:1");
    assert_eq!(ok.send().await.expect("sent").status(), 200);
}

#[tokio::test]
async fn a_client_that_sends_a_too_large_body_in_full_reads_the_413() {
    let mut config = test_config();
    config.mcp_max_body_bytes = 2048;
    let app = spawn_app_with(config).await;
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(6 * 1024 * 1024));
    for path in ["/mcp/all", AUTHENTICATE_PATH] {
        let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        // The whole request first, as a simple client does, and only then the answer. (6 MiB: more
        // than loopback buffers hold, so without the drain the write fails with a broken pipe.)
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(head.as_bytes()).await.expect("headers written");
        stream.write_all(body.as_bytes()).await.unwrap_or_else(|e| panic!("{path}: body not taken: {e}"));
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap_or_else(|e| panic!("{path}: answer not readable: {e}"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("bytes"), "{path}: the JSON reason is there: {answer}");
    }
}

// ---- Slow MCP bodies ----

#[tokio::test]
async fn an_mcp_body_that_never_finishes_arriving_is_answered_408_at_its_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = test_config();
    config.mcp_body_timeout_secs = 1;
    let app = spawn_app_with(config).await;
    // Streamable HTTP and a legacy SSE POST: the headers, the start of the body, then nothing.
    for path in ["/mcp/all", "/mcp/all/messages?sessionId=abc"] {
        let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             Accept: application/json, text/event-stream\r\ncontent-length: 100\r\n\r\n{{\"jsonrpc\":"
        );
        stream.write_all(head.as_bytes()).await.expect("written");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        read.unwrap_or_else(|_| panic!("{path}: no answer: the server is still waiting for the body"))
            .unwrap_or_else(|e| panic!("{path}: answer not readable: {e}"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("did not arrive within 1 seconds"), "{path}: {answer}");
    }
    // A whole body is still served.
    assert_eq!(mcp_post(&app, &tools_list(), None).await.status(), 200);
}
