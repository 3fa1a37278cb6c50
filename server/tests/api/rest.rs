//! The REST endpoints: sign-in and sign-out (with their body limit and timeout), health, images,
//! Origin and CORS.

use futures::StreamExt;
use serde_json::{Value, json};
use shared::api::{AUTHENTICATE_PATH, ApiError, ApiErrorCode, AuthenticateResponse, SIGNOUT_PATH};
use shared::tool::ToolName;

use crate::helpers::{DEMO_EMAIL, DEMO_PASSWORD, spawn_app, spawn_app_with, test_config};

#[tokio::test]
async fn sign_in_answers_200_400_401_404() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let ok = app
        .post_json(AUTHENTICATE_PATH, json!({"sessionId": sid, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}))
        .await;
    assert_eq!(ok.status(), 200);
    let body: AuthenticateResponse = ok.json().await.expect("typed body");
    assert!(body.authenticated);
    assert_eq!(body.user.email, DEMO_EMAIL);
    assert_ne!(body.session_id, sid, "signing in renews the session id (tests/api/fixation.rs)");
    let sid = body.session_id;

    let wrong =
        app.post_json(AUTHENTICATE_PATH, json!({"sessionId": sid, "email": DEMO_EMAIL, "password": "nope"})).await;
    assert_eq!(wrong.status(), 401);
    let error: ApiError = wrong.json().await.expect("typed error");
    assert_eq!(error.error, ApiErrorCode::InvalidCredentials);
    assert!(error.message.contains("don't match"));

    for bad in [
        json!({"sessionId": sid, "email": "", "password": "x"}),
        json!({"sessionId": sid, "email": "not-an-email", "password": "x"}),
        json!({"sessionId": "sess_bad", "email": DEMO_EMAIL, "password": "x"}),
        json!({"email": DEMO_EMAIL}),
    ] {
        let response = app.post_json(AUTHENTICATE_PATH, bad.clone()).await;
        assert_eq!(response.status(), 400, "{bad}");
        let error: ApiError = response.json().await.expect("typed error");
        assert_eq!(error.error, ApiErrorCode::InvalidRequest);
    }
    let not_json =
        app.client.post(app.url(AUTHENTICATE_PATH)).header("content-type", "application/json").body("{").send().await;
    assert_eq!(not_json.expect("sent").status(), 400);

    let unknown = app
        .post_json(
            AUTHENTICATE_PATH,
            json!({"sessionId": "sess_0123456789abcdef0123456789abcdef", "email": DEMO_EMAIL, "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let error: ApiError = unknown.json().await.expect("typed error");
    assert_eq!(error.error, ApiErrorCode::SessionNotFound);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let attempt = |password: &'static str| {
        app.post_json(AUTHENTICATE_PATH, json!({"sessionId": sid, "email": DEMO_EMAIL, "password": password}))
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.status(), 401);
    }
    let sixth = attempt("wrong").await;
    assert_eq!(sixth.status(), 429);
    let retry: u64 = sixth.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert_eq!(retry, 15 * 60, "until the first failure leaves the 15-minute window");
    assert_eq!(attempt(DEMO_PASSWORD).await.status(), 429, "even the right password waits");
    app.clock.advance(chrono::Duration::minutes(16));
    // The session expired meanwhile (10 min TTL); a new one signs in again.
    let fresh = app.new_session().await;
    let ok = app
        .post_json(AUTHENTICATE_PATH, json!({"sessionId": fresh, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}))
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn sign_out_ends_the_sign_in() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let sid = app.sign_in(&sid).await;
    let out = app.post_json(SIGNOUT_PATH, json!({"sessionId": sid})).await;
    assert_eq!(out.status(), 200);
    assert_eq!(out.json::<Value>().await.expect("json")["authenticated"], false);
    let status = app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": sid})).await;
    assert_eq!(status.0["structuredContent"]["authenticated"], false);
    let unknown = app.post_json(SIGNOUT_PATH, json!({"sessionId": "sess_0123456789abcdef0123456789abcdef"})).await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn api_origins_are_checked_and_cors_preflight_works() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let body = json!({"sessionId": sid, "email": DEMO_EMAIL, "password": DEMO_PASSWORD});
    let evil = app
        .client
        .post(app.url(AUTHENTICATE_PATH))
        .header("Origin", "https://evil.example.com")
        .json(&body)
        .send()
        .await;
    let evil = evil.expect("sent");
    assert_eq!(evil.status(), 403);
    assert_eq!(evil.json::<ApiError>().await.expect("typed").error, ApiErrorCode::ForbiddenOrigin);

    let sandbox = "https://abc.web-sandbox.oaiusercontent.com";
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(AUTHENTICATE_PATH))
        .header("Origin", sandbox)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], sandbox);
    let real =
        app.client.post(app.url(AUTHENTICATE_PATH)).header("Origin", sandbox).json(&body).send().await.expect("sent");
    assert_eq!(real.status(), 200);
    assert_eq!(real.headers()["access-control-allow-origin"], sandbox);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health: Value = app.client.get(app.url("/healthz")).send().await.expect("sent").json().await.expect("json");
    assert_eq!(health["status"], "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.expect("sent");
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(ready["products"], "catalog");
    assert_eq!((ready["store"].as_str(), ready["storeKind"].as_str()), (Some("ok"), Some("memory")));
    // The built templates carry the WASM (`tw-wasm`); the placeholders do not.
    let cart = app.client.get(app.url("/widgets/cart.html")).send().await.expect("sent").text().await.expect("html");
    let expected = if cart.contains("tw-wasm") { "built" } else { "placeholders" };
    assert_eq!(ready["widgets"], expected, "readyz tells which templates are served");
}

#[tokio::test]
async fn the_demo_account_is_off_on_a_public_bind_unless_turned_on() {
    use server::config::DemoAccounts;
    let public = |demo| {
        let mut config = test_config();
        config.host = "0.0.0.0".parse().expect("ip");
        config.public_base_url = Some("https://shop.example.com".parse().expect("url"));
        config.demo_accounts = demo;
        config
    };
    let sign_in_status = async |app: &crate::helpers::TestApp| {
        let sid = app.new_session().await;
        let body = json!({"sessionId": sid, "email": DEMO_EMAIL, "password": DEMO_PASSWORD});
        app.post_json(AUTHENTICATE_PATH, body).await.status()
    };
    let off = spawn_app_with(public(DemoAccounts::Auto)).await;
    assert_eq!(sign_in_status(&off).await, 401, "public bind: the published demo password does not sign in");
    let on = spawn_app_with(public(DemoAccounts::On)).await;
    assert_eq!(sign_in_status(&on).await, 200, "DEMO_ACCOUNTS=on turns it back on");
}

#[tokio::test]
async fn product_images_are_served_as_svg() {
    let app = spawn_app().await;
    let lamp = app.find_product("lamp", 0).await;
    let image = app.client.get(app.url(&format!("/images/products/{}.svg", lamp.id))).send().await.expect("sent");
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    assert!(image.text().await.expect("svg").contains("<svg"));
    for missing in ["/images/products/99999999.svg", "/images/products/..%2Fsecret.svg", "/images/products/x.png"] {
        assert_eq!(app.client.get(app.url(missing)).send().await.expect("sent").status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn sign_in_bodies_above_64_kib_get_413() {
    let app = spawn_app().await;
    let sid = app.new_session().await;
    let huge = json!({"sessionId": sid, "email": DEMO_EMAIL, "password": "x".repeat(70 * 1024)});
    let check = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 413);
        let error: ApiError = response.json().await.expect("typed error");
        assert!(error.message.contains(&format!("{} bytes", 64 * 1024)), "{}", error.message);
    };
    check(app.post_json(AUTHENTICATE_PATH, huge.clone()).await).await;
    // Chunked, without Content-Length: cut off while reading.
    let text = huge.to_string().into_bytes();
    let chunks =
        futures::stream::iter(text.chunks(8 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
    let chunked = app
        .client
        .post(app.url(AUTHENTICATE_PATH))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("sent");
    check(chunked).await;
    let status = app.call(ToolName::GetTargetAuthStatus, json!({"sessionId": sid})).await;
    assert_eq!(status.0["structuredContent"]["authenticated"], false);
}

#[tokio::test]
async fn a_sign_in_whose_body_never_ends_is_answered_408() {
    let mut config = test_config();
    config.request_timeout_secs = 1;
    let app = spawn_app_with(config).await;
    // The first bytes of a body, then nothing: the server waits for the rest until its timeout.
    let start = futures::stream::iter([Ok::<_, std::io::Error>(b"{\"sessionId\":".to_vec())]);
    let stalled = reqwest::Body::wrap_stream(start.chain(futures::stream::pending()));
    let sent =
        app.client.post(app.url(AUTHENTICATE_PATH)).header("content-type", "application/json").body(stalled).send();
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), sent)
        .await
        .expect("answered by the server's timeout")
        .expect("an HTTP answer");
    assert_eq!(response.status(), 408);
    let error: ApiError = response.json().await.expect("typed error");
    assert!(error.message.contains("too long"), "{}", error.message);
}

#[tokio::test]
async fn the_home_page_names_the_connector_urls() {
    let mut config = test_config();
    config.public_base_url = Some("https://shop.example.com".parse().expect("url"));
    let app = spawn_app_with(config).await;
    let home = app.client.get(app.url("/")).send().await.expect("sent");
    assert_eq!(home.status(), 200);
    assert!(home.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    let html = home.text().await.expect("html");
    for path in ["/mcp/all", "/mcp2", "/mcp3", "/mcp4"] {
        assert!(html.contains(&format!("https://shop.example.com{path}")), "{path} missing:\n{html}");
    }
}
