//! The Agentic Commerce Protocol merchant API (version 2026-04-17), so ChatGPT's Instant
//! Checkout can sell from our catalog (docs/commerce.md):
//!
//! - [`rest`]: `/checkout_sessions` create, update, retrieve, complete, cancel, behind merchant
//!   API keys and their rate limit ([`key_limit`]); [`mcp`]: the same five operations as MCP tools on `/mcp/acp`. Both run
//!   [`service::handle`] (API version, signature, idempotency), then [`session`].
//! - [`session`]: the session state, the authoritative cart (catalog + `pricing.rs`) and the
//!   status machine; completion places an order in the same store as the `checkout` tool.
//! - [`payment`]: the `PaymentProvider` trait, the built-in test provider, the PSP provider.
//! - [`orders`]: each order's post-purchase record (status, fulfillment, refund) and its
//!   changes, each with an `order_update` event; [`ops`]: the operator API that makes them (ours,
//!   behind `ACP_OPS_KEY`); [`refunds`]: refunds the payment provider did not take, retried in
//!   the background.
//! - [`webhooks`]: order events from the store's outbox, signed, retried with backoff, an order's
//!   events in order; [`backoff`]: the wait after a failed try, for both workers.
//! - [`discovery`]: `/.well-known/acp.json` and the product feed; [`order_page`]: the order's
//!   permalink page.
//! - [`wire`]: the protocol's JSON; [`error`]: its flat errors; [`signing`]: canonical JSON and
//!   HMAC signatures; [`http_refusals`]: the app's per-IP 429, 413 and 408 on these routes in
//!   the flat error shape.

pub mod backoff;
pub mod discovery;
pub mod error;
pub mod http_refusals;
pub mod key_limit;
pub mod mcp;
pub mod ops;
pub mod order_page;
pub mod orders;
pub mod payment;
pub mod refunds;
pub mod rest;
pub mod service;
pub mod session;
pub mod signing;
pub mod webhooks;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use self::key_limit::KeyLimiter;
use self::payment::{PaymentProvider, PspProvider, TestProvider};
use self::rest::{Gate, MerchantKeys};
use crate::state::AppState;

/// Largest ACP request body.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Where the MCP binding is mounted.
pub const MCP_PATH: &str = "/mcp/acp";

/// What the ACP handlers share; cheap to clone.
#[derive(Clone)]
pub struct Commerce {
    pub app: AppState,
    pub payments: Arc<dyn PaymentProvider>,
    /// For webhook deliveries.
    pub http: reqwest::Client,
    /// When this instance started (the feed's `updated_at`).
    pub started_at: DateTime<Utc>,
}

impl Commerce {
    /// The PSP provider when `ACP_PSP_URL` is set, else the test provider.
    pub fn new(app: AppState) -> Result<Self, String> {
        let config = &app.config.commerce;
        let payments: Arc<dyn PaymentProvider> = match &config.acp_psp_url {
            Some(url) => Arc::new(PspProvider::new(
                url,
                config.acp_psp_key.clone(),
                Duration::from_millis(config.acp_psp_timeout_ms),
            )?),
            None => Arc::new(TestProvider),
        };
        let http = reqwest::Client::builder().build().map_err(|e| format!("cannot build the webhook client: {e}"))?;
        let started_at = app.clock.now();
        Ok(Commerce { app, payments, http, started_at })
    }
}

/// The authenticated ACP routes (`/checkout_sessions…`, `/feeds/…`, `/mcp/acp`), the public
/// discovery document, and with `ACP_OPS_KEY` the operator routes (`/ops/orders/…`).
pub fn routes(commerce: Commerce, shutdown: CancellationToken) -> Router {
    let config = commerce.app.config.clone();
    let gate = Gate {
        keys: MerchantKeys::new(&config.commerce.acp_api_keys, config.host),
        limiter: KeyLimiter::from_config(&config.commerce, commerce.app.clock.clone()),
    };
    let rmcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(crate::mcp::transport::allowed_hosts(&config))
        .with_max_request_body_bytes(BODY_LIMIT)
        .with_cancellation_token(shutdown);
    let handler = mcp::AcpMcp::new(commerce.clone());
    let streamable =
        StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(NeverSessionManager::default()), rmcp_config);
    let authenticated = Router::new()
        .route("/checkout_sessions", post(rest::create).fallback(rest::not_allowed))
        .route("/checkout_sessions/{id}", get(rest::retrieve).post(rest::update).fallback(rest::not_allowed))
        .route("/checkout_sessions/{id}/complete", post(rest::complete).fallback(rest::not_allowed))
        .route("/checkout_sessions/{id}/cancel", post(rest::cancel).fallback(rest::not_allowed))
        .route("/feeds/{id}", get(discovery::feed))
        .route("/feeds/{id}/products", get(discovery::feed_products))
        .with_state(commerce.clone())
        .route_service(MCP_PATH, streamable)
        // `route_layer`: only these routes; an unknown path stays the app's plain 404.
        .route_layer(from_fn_with_state(gate, rest::authenticate))
        .route_layer(DefaultBodyLimit::max(BODY_LIMIT));
    let mut router = Router::new()
        .route("/.well-known/acp.json", get(discovery::well_known))
        .route("/orders/{id}", get(order_page::page))
        .with_state(commerce.clone())
        .merge(authenticated);
    if let Some(key) = config.commerce.acp_ops_key.as_deref().filter(|k| !k.trim().is_empty()) {
        let ops = Router::new()
            .route("/ops/orders/{id}", get(ops::get_order))
            .route("/ops/orders/{id}/ship", post(ops::ship))
            .route("/ops/orders/{id}/deliver", post(ops::deliver))
            .route("/ops/orders/{id}/cancel", post(ops::cancel))
            .with_state(commerce)
            .route_layer(from_fn_with_state(ops::OpsKey::new(key), ops::authenticate))
            .route_layer(DefaultBodyLimit::max(BODY_LIMIT));
        router = router.merge(ops);
    }
    router
}
