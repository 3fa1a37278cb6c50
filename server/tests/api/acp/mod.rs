//! The Agentic Commerce Protocol merchant API over real HTTP: every body checked by the typed
//! oracle (`oracle.rs`), on the memory store and on Redis.

mod body_limits;
mod discovery;
mod ip_limit;
mod key_limit;
mod lifecycle;
mod mcp;
pub mod oracle;
mod orders;
mod psp;
mod refund_retry;
mod refusals;
mod unknown_fields;
mod webhooks;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use server::config::Config;

use crate::helpers::{TestApp, spawn_app_with, test_config};
use crate::redis_test_server::RedisTestServer;

pub const VERSION: &str = "2026-04-17";
pub const DEMO_KEY: &str = "acp_demo_merchant_key";
/// The operator key every test server gets (`ACP_OPS_KEY`).
pub const OPS_KEY: &str = "ops_test_key";

/// Which store the server under test uses.
pub enum Backend {
    Memory,
    Redis(RedisTestServer),
}

impl Backend {
    pub async fn memory() -> Backend {
        Backend::Memory
    }

    pub async fn redis() -> Backend {
        Backend::Redis(RedisTestServer::start().await)
    }

    pub fn configure(&self, config: &mut Config) {
        if let Backend::Redis(redis) = self {
            config.redis_url = Some(redis.url().into());
        }
    }

    pub async fn spawn(&self) -> Acp {
        self.spawn_with(|_| {}).await
    }

    pub async fn spawn_with(&self, change: impl FnOnce(&mut Config)) -> Acp {
        let mut config = test_config();
        self.configure(&mut config);
        config.commerce.acp_ops_key = Some(OPS_KEY.into());
        // The test clock stands still, so a per-key limit would cap each test at its burst;
        // `key_limit.rs` turns it on.
        config.commerce.acp_rate_limit_per_sec = 0;
        change(&mut config);
        Acp { app: spawn_app_with(config).await, key: DEMO_KEY.into() }
    }
}

/// Runs an async test body on both stores.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test] async fn $name() { super::$name(crate::acp::Backend::memory().await).await; })*
        }
        mod redis {
            $(#[tokio::test] async fn $name() { super::$name(crate::acp::Backend::redis().await).await; })*
        }
    };
}
pub(crate) use on_both_stores;

/// A response: status, headers, JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Sends `request` and reads the answer, whose body must be JSON.
    async fn read(request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {text}"));
        Reply { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A successful session answer, checked by the oracle.
    pub fn session(&self, status: u16) -> oracle::CheckoutSession {
        assert_eq!(self.status, status, "{:#}", self.body);
        oracle::session(&self.body)
    }

    /// A refusal, checked by the oracle.
    pub fn error(&self, status: u16, code: &str) -> oracle::Error {
        assert_eq!(self.status, status, "{:#}", self.body);
        let e = oracle::error(&self.body);
        assert_eq!(e.code, code, "{:#}", self.body);
        e
    }
}

/// A merchant-API client for one server.
pub struct Acp {
    pub app: TestApp,
    pub key: String,
}

/// Headers of a request, all optional so tests can leave one out.
#[derive(Clone)]
pub struct Headers {
    pub version: Option<String>,
    pub key: Option<String>,
    pub auth: Option<String>,
    pub request_id: Option<String>,
    pub signature: Option<(String, String)>,
}

impl Headers {
    pub fn idem(key: &str) -> Headers {
        Headers { version: Some(VERSION.into()), key: Some(key.into()), auth: None, request_id: None, signature: None }
    }
}

impl Acp {
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>, headers: &Headers) -> Reply {
        let mut request = self.app.client.request(method, self.app.url(path));
        request =
            request.header("authorization", headers.auth.clone().unwrap_or_else(|| format!("Bearer {}", self.key)));
        if let Some(v) = &headers.version {
            request = request.header("api-version", v);
        }
        if let Some(k) = &headers.key {
            request = request.header("idempotency-key", k);
        }
        if let Some(r) = &headers.request_id {
            request = request.header("request-id", r);
        }
        if let Some((timestamp, signature)) = &headers.signature {
            request = request.header("timestamp", timestamp).header("signature", signature);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        Reply::read(request).await
    }

    pub async fn post(&self, path: &str, body: &Value, key: &str) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body), &Headers::idem(key)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        let headers = Headers { key: None, ..Headers::idem("") };
        self.send(reqwest::Method::GET, path, None, &headers).await
    }

    /// A JSON-RPC POST to the ACP connector (`/mcp/acp`) with this client's merchant key.
    pub async fn mcp(&self, body: &Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url("/mcp/acp"))
            .bearer_auth(&self.key)
            .header("accept", "application/json, text/event-stream")
            .json(body)
            .send()
            .await
            .expect("sent")
    }

    /// A call to the operator API (`/ops/orders/…`) with the operator key.
    pub async fn ops(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.app.client.request(method, self.app.url(path)).bearer_auth(OPS_KEY);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        Reply::read(request).await
    }

    /// Creates and completes a session for the cheapest in-stock item (`quantity` of it) with the
    /// test provider; the completed session.
    pub async fn place(&self, quantity: u32, key: &str) -> oracle::CheckoutSession {
        self.place_paying(quantity, key, "tok_visa").await
    }

    /// [`Acp::place`] paying with `token` (a PSP's delegated payment token, when one is set up).
    pub async fn place_paying(&self, quantity: u32, key: &str, token: &str) -> oracle::CheckoutSession {
        let (stock, _) = self.catalog_ids();
        let s = self.create(&create_body(&[(&stock[0].0, quantity)], true), &format!("{key}-create")).await;
        self.post(&format!("/checkout_sessions/{}/complete", s.id), &complete_body(token, "jordan@example.com"), key)
            .await
            .session(200)
    }

    /// The id of the order [`Acp::place_paying`] placed (one item).
    pub async fn place_order(&self, key: &str, token: &str) -> String {
        self.place_paying(1, key, token).await.order.expect("order").id
    }

    pub async fn create(&self, body: &Value, key: &str) -> oracle::CheckoutSession {
        self.post("/checkout_sessions", body, key).await.session(201)
    }

    /// Ids of in-stock catalog products, cheapest first, and one out of stock.
    pub fn catalog_ids(&self) -> (Vec<(String, i64)>, Option<String>) {
        let mut stock: Vec<(String, i64)> = self
            .app
            .state
            .catalog
            .products()
            .iter()
            .filter(|p| p.in_stock)
            .map(|p| (p.id.to_string(), p.price_cents.0))
            .collect();
        stock.sort_by_key(|(_, price)| *price);
        let out = self.app.state.catalog.products().iter().find(|p| !p.in_stock).map(|p| p.id.to_string());
        (stock, out)
    }
}

pub fn address() -> Value {
    json!({
        "name": "Jordan Shopper",
        "line_one": "1000 Nicollet Mall",
        "city": "Minneapolis",
        "state": "MN",
        "country": "US",
        "postal_code": "55403"
    })
}

/// A create body for `items` (id, quantity), with a shipping address when `with_address`.
pub fn create_body(items: &[(&str, u32)], with_address: bool) -> Value {
    let mut body = json!({
        "currency": "usd",
        "line_items": items.iter().map(|(id, q)| json!({"id": id, "quantity": q})).collect::<Vec<_>>(),
        "capabilities": {"interventions": {"supported": ["3ds", "address_verification"]}},
    });
    if with_address {
        body["fulfillment_details"] =
            json!({"name": "Jordan Shopper", "email": "jordan@example.com", "address": address()});
    }
    body
}

pub fn complete_body(token: &str, email: &str) -> Value {
    json!({
        "buyer": {"first_name": "Jordan", "last_name": "Shopper", "email": email},
        "payment_data": {
            "handler_id": "card_tokenized",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
        }
    })
}
