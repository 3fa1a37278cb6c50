//! Hardening: rate limits per client IP and per session (429 + Retry-After), body limits (413),
//! request timeouts (408), open SSE streams per client (429), and security headers.

use serde_json::{Value, json};
use shared::api::{AUTHENTICATE_PATH, ApiError};

use crate::helpers::{
    DEMO_EMAIL, TestApp, get_cart, limited, mcp_post, spawn_app, spawn_app_with, test_config, tools_list,
};

/// Asserts a rate-limit 429 (see `helpers::assert_limited`) that says so in words.
async fn assert_limited(response: reqwest::Response) {
    let error = crate::helpers::assert_limited(response).await;
    assert!(error.message.contains("Too many requests"), "{}", error.message);
}

#[tokio::test]
async fn a_client_over_its_burst_gets_429_with_retry_after_and_forged_forwarding_does_not_help() {
    let app = spawn_app_with(limited(1, 3)).await;
    for i in 0..3 {
        // Without TRUST_FORWARDED_FOR the header is ignored: every request is 127.0.0.1's.
        let ok = mcp_post(&app, &tools_list(), Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(ok.status(), 200, "request {i} is within the burst");
    }
    assert_limited(mcp_post(&app, &tools_list(), Some("203.0.113.99")).await).await;
    // The limiter runs on the app's clock: a second later (by the test's clock, not the wall's)
    // one more request fits (1 per second), and then the client is over again.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(mcp_post(&app, &tools_list(), None).await.status(), 200, "refilled by the injected clock");
    assert_limited(mcp_post(&app, &tools_list(), None).await).await;
    // REST shares the per-client budget; legacy SSE streams too.
    let rest =
        app.post_json(shared::api::SIGNOUT_PATH, json!({"sessionId": "sess_0123456789abcdef0123456789abcdef"})).await;
    assert_limited(rest).await;
    let stream = app.client.get(app.url("/mcp")).header("Accept", "text/event-stream").send().await.expect("sent");
    assert_limited(stream).await;
    // Probes and pages are not limited.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("sent").status(), 200);
}

#[tokio::test]
async fn one_busy_session_is_limited_on_every_client_ip_while_other_sessions_go_on() {
    let mut config = limited(1, 3);
    config.trust_forwarded_for = true;
    let app = spawn_app_with(config).await;
    let busy = app.new_session().await;
    let other = app.new_session().await;
    // Each request from its own (proxied) client IP: only the session's bucket can run out.
    for i in 0..3 {
        let ok = mcp_post(&app, &get_cart(&busy), Some(&format!("198.51.100.{i}"))).await;
        assert_eq!(ok.status(), 200, "call {i} of the session is within the burst");
    }
    assert_limited(mcp_post(&app, &get_cart(&busy), Some("198.51.100.50")).await).await;
    let fine = mcp_post(&app, &get_cart(&other), Some("198.51.100.51")).await;
    assert_eq!(fine.status(), 200, "another session is not affected");
    // Sign-in is counted per session too: the same session from a fresh IP is refused.
    let body = json!({"sessionId": busy, "email": DEMO_EMAIL, "password": "wrong"});
    let rest = app
        .client
        .post(app.url(AUTHENTICATE_PATH))
        .header("X-Forwarded-For", "198.51.100.52")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_limited(rest).await;
}

#[tokio::test]
async fn sign_in_has_its_own_stricter_limit() {
    let mut config = test_config();
    config.signin_rate_limit_per_min = 1;
    config.signin_rate_limit_burst = 2;
    let app = spawn_app_with(config).await;
    let sid = app.new_session().await;
    let attempt =
        || app.post_json(AUTHENTICATE_PATH, json!({"sessionId": sid, "email": DEMO_EMAIL, "password": "nope"}));
    assert_eq!(attempt().await.status(), 401);
    assert_eq!(attempt().await.status(), 401);
    let third = attempt().await;
    assert_limited(third).await;
    // Tools and sign-out are not held back by the sign-in limit.
    let out = app.post_json(shared::api::SIGNOUT_PATH, json!({"sessionId": sid})).await;
    assert_eq!(out.status(), 200);
    assert!(!app.call(shared::tool::ToolName::GetCart, json!({"sessionId": sid})).await.is_error());
}

#[tokio::test]
async fn rate_limit_per_sec_zero_turns_the_limits_off() {
    let app = spawn_app_with(limited(0, 1)).await;
    for _ in 0..30 {
        assert_eq!(mcp_post(&app, &tools_list(), None).await.status(), 200);
    }
}

#[tokio::test]
async fn bodies_above_the_limit_get_413_with_a_clear_message() {
    let mut config = test_config();
    config.mcp_max_body_bytes = 2048;
    let app = spawn_app_with(config).await;
    let huge = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "search-target-products", "arguments": {"query": "x".repeat(4096)}}});
    let check = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 413);
        let error: ApiError = response.json().await.expect("typed error");
        assert!(error.message.contains("2048 bytes"), "{}", error.message);
    };
    check(mcp_post(&app, &huge, None).await).await;
    // Chunked, without Content-Length: cut off while reading.
    let pad = format!("{{\"pad\":\"{}\"}}", "y".repeat(500));
    check(post_chunked(&app, "/mcp/all", &pad).await).await;
    // The legacy SSE message endpoint has the same limit.
    let sse = app.post_json("/mcp/all/messages?sessionId=00000000000000000000000000000000", huge.clone()).await;
    check(sse).await;
    // And with the rate limits off (nothing reads the body early) the limit still holds.
    let mut config = test_config();
    config.mcp_max_body_bytes = 2048;
    config.rate_limit_per_sec = 0;
    let unlimited = spawn_app_with(config).await;
    check(mcp_post(&unlimited, &huge, None).await).await;
    check(post_chunked(&unlimited, "/mcp2", &"z".repeat(500)).await).await;
    let small = mcp_post(&unlimited, &tools_list(), None).await;
    assert_eq!(small.status(), 200);
}

/// POSTs `chunk` eight times as a chunked body (no Content-Length), so the limit is found while reading.
async fn post_chunked(app: &TestApp, path: &str, chunk: &str) -> reqwest::Response {
    let chunk = chunk.as_bytes().to_vec();
    let chunks = futures::stream::iter((0..8).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    app.client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_tool_call_that_hangs_is_answered_408_after_the_timeout() {
    // An Unwrangle that never answers; the request timeout (1 s) is shorter than its client's (8 s).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hang = axum::Router::new().route("/api/getter/", axum::routing::get(std::future::pending::<String>));
    tokio::spawn(async move { axum::serve(listener, hang).await });
    let mut config = test_config();
    config.unwrangle_api_key = Some("test-key".into());
    config.unwrangle_base_url = format!("http://{addr}/api/getter/");
    config.request_timeout_secs = 1;
    let app = spawn_app_with(config).await;
    let search = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "search-target-products", "arguments": {"query": "lamp"}}});
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), mcp_post(&app, &search, None))
        .await
        .expect("answered by our timeout, not the client's");
    assert_eq!(response.status(), 408);
    let error: ApiError = response.json().await.expect("typed error");
    assert!(error.message.contains("too long"), "{}", error.message);
}

#[tokio::test]
async fn one_client_cannot_hold_more_than_its_share_of_sse_streams() {
    let mut config = test_config();
    config.max_sse_streams_per_client = 2;
    let app = spawn_app_with(config).await;
    let open = || app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream").send();
    let first = open().await.expect("sent");
    let second = open().await.expect("sent");
    assert_eq!((first.status(), second.status()), (reqwest::StatusCode::OK, reqwest::StatusCode::OK));
    let third = open().await.expect("sent");
    assert_eq!(third.status(), 429);
    assert!(third.headers().get("retry-after").is_some());
    let body: Value = third.json().await.expect("JSON body");
    assert_eq!(body["error"], "too_many_streams_for_client");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("2 open SSE streams")), "{body}");
    // Closing one frees a slot.
    drop(first);
    let reopened = async {
        loop {
            let response = open().await.expect("sent");
            if response.status() == 200 {
                return response;
            }
            tokio::task::yield_now().await;
        }
    };
    let _again = tokio::time::timeout(std::time::Duration::from_secs(10), reopened).await.expect("a slot is freed");
}

#[tokio::test]
async fn responses_carry_security_headers_and_widget_pages_a_tight_csp() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/widgets/cart.html")).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    let headers = page.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over http");
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    for part in [
        "default-src 'none'",
        "'wasm-unsafe-eval'",
        "connect-src 'self' http://localhost:",
        "frame-ancestors 'self'",
        "http://localhost:*",
        "http://127.0.0.1:*",
        "https://*.oaiusercontent.com",
        "form-action 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing in {csp}");
    }
    // Scripts run by their hashes, never because they are inline: each of the page's scripts
    // is named, and nothing else.
    let script_src = csp.split(';').map(str::trim).find_map(|d| d.strip_prefix("script-src ")).expect("script-src");
    let sources: Vec<&str> = script_src.split_whitespace().collect();
    let template = app.state.widgets.get(shared::tool::WidgetId::Cart);
    assert!(!template.script_hashes.is_empty(), "the page has inline scripts");
    let mut expected: Vec<&str> = template.script_hashes.iter().map(String::as_str).collect();
    expected.push("'wasm-unsafe-eval'");
    assert_eq!(sources, expected, "{csp}");
    let mcp = mcp_post(&app, &tools_list(), None).await;
    assert_eq!(mcp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(mcp.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    let api = app.post_json(AUTHENTICATE_PATH, json!({})).await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert_eq!(api.headers()["referrer-policy"], "no-referrer");
    let missing = app.client.get(app.url("/no-such-page")).send().await.expect("sent");
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff", "a 404 too");
    assert_eq!(missing.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");

    let mut https = test_config();
    https.public_base_url = Some("https://shop.example.com".parse().expect("url"));
    let app = spawn_app_with(https).await;
    let health = app.client.get(app.url("/healthz")).send().await.expect("sent");
    assert!(health.headers()["strict-transport-security"].to_str().expect("ascii").starts_with("max-age="));
    let page = app.client.get(app.url("/widgets/cart.html")).send().await.expect("sent");
    let csp = page.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
    assert!(csp.contains("connect-src 'self' https://shop.example.com"), "{csp}");
}

#[tokio::test]
async fn json_that_is_not_json_rpc_gets_a_json_rpc_error_not_a_415() {
    let app = spawn_app().await;
    for (body, code) in [("{not json", -32700), (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600), ("[]", -32600)] {
        let response = app
            .client
            .post(app.url("/mcp/all"))
            .header("content-type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.expect("JSON-RPC error");
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["id"], Value::Null);
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
    }
}
