//! `spawn_app()` and typed helpers for talking to the server under test.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use server::app::Application;
use server::clock::ManualClock;
use server::config::{Config, DemoAccounts, LogFormat, TaxRate};
use server::http::rate_limit::RateLimits;
use server::state::AppState;
use shared::ids::SessionId;
use shared::tool::ToolName;
use tokio::sync::oneshot;

/// The demo account of the README.
pub const DEMO_EMAIL: &str = "shopper@example.com";
pub const DEMO_PASSWORD: &str = "bullseye-demo";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub limits: RateLimits,
    _stop: oneshot::Sender<()>,
}

/// The configuration tests start from: defaults, ignoring the environment, random port.
pub fn test_config() -> Config {
    Config {
        port: 0,
        host: "127.0.0.1".parse().expect("loopback"),
        public_base_url: None,
        unwrangle_api_key: None,
        unwrangle_base_url: "http://127.0.0.1:9/unused/".into(),
        redis_url: None,
        session_ttl_secs: 600,
        allowed_origins: vec![],
        allowed_hosts: vec![],
        tax_rate: TaxRate(825),
        log_format: LogFormat::Pretty,
        accounts_file: None,
        max_sse_streams: 50,
        max_sse_streams_per_client: 16,
        rate_limit_per_sec: 50,
        rate_limit_burst: 200,
        account_rate_limit_per_sec: 10,
        account_rate_limit_burst: 100,
        signin_rate_limit_per_min: 60,
        signin_rate_limit_burst: 30,
        trust_forwarded_for: false,
        mcp_max_body_bytes: 1024 * 1024,
        request_timeout_secs: 30,
        mcp_body_timeout_secs: 10,
        direct_tool_calls: true,
        rate_limit_max_keys: 100_000,
        signin_max_concurrent_hashes: 0,
        order_retention_secs: 30 * 24 * 3600,
        idempotency_key_ttl_secs: 24 * 3600,
        session_max_lifetime_secs: 24 * 3600,
        sse_init_timeout_secs: 10,
        sse_idle_timeout_secs: 1800,
        shutdown_timeout_secs: 10,
        unwrangle_max_requests_per_min: 120,
        unwrangle_max_requests_per_client_per_min: 20,
        demo_accounts: DemoAccounts::Auto,
        redis_tls_insecure: false,
        redis_tls_ca_file: None,
        redis_cluster: false,
        redis_wait_replicas: 0,
        metrics_token: None,
        oauth_server: server::config::OAuthServerConfig::defaults(),
        widget_domain: None,
        commerce: server::config::CommerceConfig::default(),
        oauth_issuer: None,
        oauth_account_claim: "email".into(),
        oauth_algorithms: vec![jsonwebtoken::Algorithm::RS256, jsonwebtoken::Algorithm::ES256],
        oauth_jwks_min_refresh_secs: 60,
        oauth_jwks_max_age_secs: 3600,
        account_cart_ttl_secs: 30 * 24 * 3600,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_config()).await
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::var_os("TEST_LOG").is_some() {
        std::mem::forget(server::telemetry::init(LogFormat::Pretty));
    }
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("valid date")));
    let app = Application::build_with_clock(config, clock.clone()).await.expect("the app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let limits = app.rate_limits().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp { base, client: reqwest::Client::new(), clock, state, limits, _stop: stop }
}

/// A tool result as JSON, with helpers to read it.
#[derive(Debug, Clone)]
pub struct ToolResult(pub Value);

impl ToolResult {
    pub fn is_error(&self) -> bool {
        self.0["isError"] == json!(true)
    }

    pub fn text(&self) -> String {
        self.0["content"][0]["text"].as_str().unwrap_or_default().to_owned()
    }

    pub fn structured<T: DeserializeOwned>(&self) -> T {
        assert!(!self.is_error(), "expected success, got error: {}", self.text());
        serde_json::from_value(self.0["structuredContent"].clone())
            .unwrap_or_else(|e| panic!("structuredContent does not parse: {e}\n{:#}", self.0))
    }

    pub fn widget(&self) -> shared::widget::WidgetMeta {
        serde_json::from_value(self.0["_meta"][shared::widget::WIDGET_META_KEY].clone())
            .unwrap_or_else(|e| panic!("widget meta does not parse: {e}\n{:#}", self.0))
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// One JSON-RPC request over Streamable HTTP, without any session header; returns the whole
    /// JSON-RPC response.
    pub async fn rpc(&self, path: &str, method: &str, params: Value) -> Value {
        let response = self
            .client
            .post(self.url(path))
            .header("Accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200, "{method} on {path}");
        let content_type = response.headers()["content-type"].to_str().unwrap_or_default().to_owned();
        let text = response.text().await.expect("body");
        if content_type.starts_with("text/event-stream") {
            let data = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .find(|d| d.contains("\"id\""))
                .unwrap_or_else(|| panic!("no response in stream: {text}"));
            serde_json::from_str(data).expect("JSON-RPC response")
        } else {
            serde_json::from_str(&text).expect("JSON-RPC response")
        }
    }

    pub async fn call_on(&self, path: &str, tool: ToolName, arguments: Value) -> ToolResult {
        let response = self.rpc(path, "tools/call", json!({"name": tool.as_str(), "arguments": arguments})).await;
        assert!(response["error"].is_null(), "{tool} failed at the protocol level: {response:#}");
        ToolResult(response["result"].clone())
    }

    /// Calls a tool on `/mcp/all`.
    pub async fn call(&self, tool: ToolName, arguments: Value) -> ToolResult {
        self.call_on("/mcp/all", tool, arguments).await
    }

    /// Calls a tool with arguments that do not fit its input type; rmcp answers with an
    /// `isError` result naming the problem. Returns that message.
    pub async fn call_bad_arguments(&self, tool: ToolName, arguments: Value) -> String {
        let result = self.call(tool, arguments.clone()).await;
        assert!(result.is_error(), "{tool} accepted {arguments}");
        let text = result.text();
        assert!(text.starts_with("failed to deserialize parameters"), "{tool}: {text}");
        text
    }

    pub async fn new_session(&self) -> SessionId {
        let out: shared::auth::CreateSessionOutput =
            self.call(ToolName::CreateTargetSession, json!({})).await.structured();
        out.session_id
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(&body).send().await.expect("request sent")
    }

    /// Signs `session` in as the demo account, as the sign-in widget does; returns the session's
    /// new id (signing in renews it, and the old one is refused from then on).
    #[must_use = "signing in renews the session id; use the one returned"]
    pub async fn sign_in(&self, session: &SessionId) -> SessionId {
        let response = self
            .post_json(
                shared::api::AUTHENTICATE_PATH,
                json!({"sessionId": session, "email": DEMO_EMAIL, "password": DEMO_PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 200, "demo sign-in");
        let body: shared::api::AuthenticateResponse = response.json().await.expect("a typed sign-in answer");
        body.session_id
    }

    /// A product id from a search, the `n`-th result.
    pub async fn find_product(&self, query: &str, n: usize) -> shared::product::ProductSummary {
        let out: shared::product::SearchOutput =
            self.call(ToolName::SearchTargetProducts, json!({"query": query})).await.structured();
        out.products.get(n).cloned().unwrap_or_else(|| panic!("no result {n} for {query}"))
    }
}

/// A `tools/list` request.
pub fn tools_list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
}

/// A `get-cart` call for `sid`.
pub fn get_cart(sid: &SessionId) -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get-cart", "arguments": {"sessionId": sid}}})
}

/// A raw MCP POST, optionally claiming to come from `forwarded_for`.
pub async fn mcp_post(app: &TestApp, body: &Value, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request =
        app.client.post(app.url("/mcp/all")).header("Accept", "application/json, text/event-stream").json(body);
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    request.send().await.expect("request sent")
}

/// Asserts a 429 with a `Retry-After` of at least a second and a typed `too_many_attempts` body.
pub async fn assert_limited(response: reqwest::Response) -> shared::api::ApiError {
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry >= 1, "Retry-After {retry}");
    let error: shared::api::ApiError = response.json().await.expect("typed error");
    assert_eq!(error.error, shared::api::ApiErrorCode::TooManyAttempts);
    error
}

/// The test configuration on the Redis store of `redis`.
pub fn redis_config(redis: &crate::redis_test_server::RedisTestServer) -> Config {
    let mut config = test_config();
    config.redis_url = Some(redis.url().into());
    config
}

/// The test configuration with a per-IP rate limit.
pub fn limited(per_sec: u32, burst: u32) -> Config {
    let mut config = test_config();
    config.rate_limit_per_sec = per_sec;
    config.rate_limit_burst = burst;
    config
}
