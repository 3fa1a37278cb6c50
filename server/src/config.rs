//! Configuration from the environment (and the same names as flags), with `--help`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The Target shopping app's MCP server for ChatGPT and other MCP Apps hosts.
///
/// Every option can be given as an environment variable (shown in brackets).
#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about, long_about = None)]
pub struct Config {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// The URL the server is reached at from outside (tunnel or deployment). It is used for
    /// product image URLs, the widgets' CSP, and the allowed Host headers. Defaults to
    /// http://localhost:PORT.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,

    /// Unwrangle API key; when set, products come from the live Unwrangle Target API instead of
    /// the embedded catalog.
    #[arg(long, env = "UNWRANGLE_API_KEY", hide_env_values = true)]
    pub unwrangle_api_key: Option<Secret>,

    /// Base URL of the Unwrangle API (change it for tests or a proxy).
    #[arg(long, env = "UNWRANGLE_BASE_URL", default_value = "https://data.unwrangle.com/api/getter/")]
    pub unwrangle_base_url: String,

    /// Redis URL for the shared store, so several instances can serve the same shoppers:
    /// `redis://[user:password@]host:port/db`, or `rediss://…` for TLS (Heroku's Key-Value
    /// Store). Without it the store lives in this process's memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<RedisUrl>,

    /// Seconds a session lives without being used.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub session_ttl_secs: u64,

    /// Extra allowed browser origins (comma-separated), besides ChatGPT's and localhost. `*`
    /// allows every origin (not recommended).
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Extra allowed Host headers (comma-separated), besides PUBLIC_BASE_URL's host and loopback.
    #[arg(long, env = "ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Sales tax in percent, e.g. 8.25.
    #[arg(long, env = "TAX_RATE", default_value = "8.25", value_parser = parse_tax_rate)]
    pub tax_rate: TaxRate,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// JSON file of Target accounts (email, name, argon2 password hash). Defaults to the
    /// embedded demo accounts.
    #[arg(long, env = "ACCOUNTS_FILE")]
    pub accounts_file: Option<PathBuf>,

    /// Most legacy SSE streams open at once.
    #[arg(long, env = "MAX_SSE_STREAMS", default_value_t = 1000)]
    pub max_sse_streams: usize,

    /// Most legacy SSE streams one client IP may hold open at once (above it: 429).
    #[arg(long, env = "MAX_SSE_STREAMS_PER_CLIENT", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_sse_streams_per_client: u64,

    /// Sustained requests per second allowed to each client IP and, separately, to each session
    /// (the `sessionId` in a tool call or REST body) on the MCP and /api endpoints. Above it the
    /// answer is 429 with `Retry-After`. 0 disables these limits (benchmarks).
    #[arg(long, env = "RATE_LIMIT_PER_SEC", default_value_t = 50)]
    pub rate_limit_per_sec: u32,

    /// Requests a client IP or session may make at once above the sustained rate.
    #[arg(long, env = "RATE_LIMIT_BURST", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: u32,

    /// Requests per second each linked account (a valid bearer token's account) may make on the
    /// MCP endpoints, whatever IPs they come from; counted on top of the per-IP and per-session
    /// limits, answered the same way (429 + `Retry-After`). 0 disables this limit.
    #[arg(long, env = "ACCOUNT_RATE_LIMIT_PER_SEC", default_value_t = 10)]
    pub account_rate_limit_per_sec: u32,

    /// Requests a linked account may make at once above the sustained rate.
    #[arg(long, env = "ACCOUNT_RATE_LIMIT_BURST", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub account_rate_limit_burst: u32,

    /// Sign-in attempts per minute allowed to each client IP and each session on
    /// /api/session/authenticate (on top of the per-account lockout). 0 disables this limit.
    #[arg(long, env = "SIGNIN_RATE_LIMIT_PER_MIN", default_value_t = 60)]
    pub signin_rate_limit_per_min: u32,

    /// Sign-in attempts a client IP or session may make at once above the per-minute rate.
    #[arg(long, env = "SIGNIN_RATE_LIMIT_BURST", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub signin_rate_limit_burst: u32,

    /// Take the client IP from the last `X-Forwarded-For` entry (the one our own proxy added)
    /// instead of the TCP peer. Only set it behind a reverse proxy you run; otherwise clients
    /// could pick their own rate-limit key.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,

    /// Largest request body, in bytes, on the MCP endpoints (413 above it).
    #[arg(long, env = "MCP_MAX_BODY_BYTES", default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub mcp_max_body_bytes: u64,

    /// Seconds a request (an MCP POST or a REST call; not an open SSE stream) may take before it
    /// is answered 408.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,

    /// Seconds a client may take to send the body of a request to an MCP endpoint, from the end
    /// of its headers; a body still arriving then is answered 408 and the connection closed.
    #[arg(long, env = "MCP_BODY_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub mcp_body_timeout_secs: u64,

    /// Serve stateless `tools/call` requests of clients before protocol 2026-07-28 straight from
    /// the typed tools (same answers as rmcp's path, about a third of the CPU); `false` sends
    /// every MCP request through rmcp.
    #[arg(long, env = "MCP_DIRECT_TOOL_CALLS", default_value_t = true, action = clap::ArgAction::Set)]
    pub direct_tool_calls: bool,

    // ---- Abuse limits (issue 14; docs/security.md) ----
    /// Most rate-limit buckets (client IPs / IPv6 /64s and sessions) each limiter keeps (the
    /// Unwrangle per-client budget too); past it the least useful ones are dropped (and start
    /// again full).
    #[arg(long, env = "RATE_LIMIT_MAX_KEYS", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_limit_max_keys: u64,

    /// Most argon2 password checks at once (each takes ~19 MiB); four times as many more may
    /// wait, and a sign-in beyond that is answered 503 + Retry-After. 0: one per CPU core.
    #[arg(long, env = "SIGNIN_MAX_CONCURRENT_HASHES", default_value_t = 0)]
    pub signin_max_concurrent_hashes: usize,

    /// Seconds an order is kept after it is placed (then the memory store's sweep or Redis drops it).
    #[arg(long, env = "ORDER_RETENTION_SECS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub order_retention_secs: u64,

    /// Seconds an idempotency key of a checkout is remembered; a retry with it within that time
    /// answers the order it placed. At most the order retention.
    #[arg(long, env = "IDEMPOTENCY_KEY_TTL_SECS", default_value_t = 24 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_key_ttl_secs: u64,

    /// Seconds a session lives at most after it was created, however busy (besides
    /// SESSION_TTL_SECS, the idle limit). Then the shopper starts a new session and signs in again.
    #[arg(long, env = "SESSION_MAX_LIFETIME_SECS", default_value_t = 24 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub session_max_lifetime_secs: u64,

    /// Seconds a new legacy SSE stream may take to complete `initialize` before it is closed.
    #[arg(long, env = "SSE_INIT_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub sse_init_timeout_secs: u64,

    /// Seconds a legacy SSE stream may go without a POST before it is closed.
    #[arg(long, env = "SSE_IDLE_TIMEOUT_SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub sse_idle_timeout_secs: u64,

    /// Requests per minute the server may send to Unwrangle in all (searches that miss the cache;
    /// each retry counts). Past it a search that is not cached is answered "busy, try again in a
    /// minute". 0: no budget.
    #[arg(long, env = "UNWRANGLE_MAX_REQUESTS_PER_MIN", default_value_t = 120)]
    pub unwrangle_max_requests_per_min: u32,

    /// Requests per minute one client (an IPv4 address, or an IPv6 /64) may cause the server to
    /// send to Unwrangle (its searches that miss the cache; each retry counts). Past it that
    /// client's searches that are not cached are answered "busy, try again in a minute"; other
    /// clients are not affected. At most RATE_LIMIT_MAX_KEYS clients are tracked. 0: no
    /// per-client budget.
    #[arg(long, env = "UNWRANGLE_MAX_REQUESTS_PER_CLIENT_PER_MIN", default_value_t = 20)]
    pub unwrangle_max_requests_per_client_per_min: u32,

    /// Seconds the server waits, after a shutdown signal, for requests in flight before it stops
    /// anyway.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub shutdown_timeout_secs: u64,

    // --- Deployment: fail closed (docs/deploy.md) ---
    /// Whether the embedded demo accounts (their password is in the README) can sign in when
    /// ACCOUNTS_FILE is not set: `auto` allows them only when HOST is a loopback address; `on`
    /// also on a public address (logged as a warning at start-up); `off` never.
    #[arg(long, env = "DEMO_ACCOUNTS", value_enum, default_value_t = DemoAccounts::Auto)]
    pub demo_accounts: DemoAccounts,

    /// With `rediss://`: accept the Redis server's certificate without checking it against a
    /// trusted root or its host name. Heroku's Key-Value Store presents a self-signed
    /// certificate, so it needs `true`; the connection is still encrypted.
    #[arg(long, env = "REDIS_TLS_INSECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub redis_tls_insecure: bool,

    /// With `rediss://`: a PEM file of the CA that signed the Redis server's certificate, trusted
    /// instead of the system's roots (a private Redis with its own CA).
    #[arg(long, env = "REDIS_TLS_CA_FILE")]
    pub redis_tls_ca_file: Option<PathBuf>,

    /// `REDIS_URL` is one node of a Redis Cluster (or Valkey cluster): the other nodes are
    /// discovered, and each store step goes to the primary of its slot (docs/deploy.md).
    #[arg(long, env = "REDIS_CLUSTER", default_value_t = false, action = clap::ArgAction::Set)]
    pub redis_cluster: bool,

    /// Replicas that must have a write to a cart, an order, a membership or an ACP record
    /// before it is acknowledged (Redis `WAIT`, up to one second; a write not confirmed in time
    /// is answered as a store error). With 1 and a replica per primary, a failover loses no
    /// acknowledged write. 0: writes are acknowledged by the primary alone.
    #[arg(long, env = "REDIS_WAIT_REPLICAS", default_value_t = 0)]
    pub redis_wait_replicas: u32,

    // --- Observability (server/src/metrics.rs, http/request_log.rs) ---
    /// Turns on Prometheus metrics at GET /metrics, for clients sending
    /// `Authorization: Bearer <this token>`. Unset: no metrics are kept and /metrics is 404.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// The built-in OAuth authorization server (docs/oauth.md).
    #[command(flatten)]
    pub oauth_server: OAuthServerConfig,

    // --- Widgets (issue 12) ---
    /// The widgets' dedicated sandbox domain, declared on every template as `openai/widgetDomain`
    /// and MCP Apps `ui.domain` (each host defines the format it accepts). Defaults to
    /// PUBLIC_BASE_URL's origin; `none` declares no domain.
    #[arg(long, env = "WIDGET_DOMAIN")]
    pub widget_domain: Option<String>,

    /// Agentic Commerce Protocol merchant API (`/checkout_sessions`, `/mcp/acp`, order webhooks);
    /// see docs/commerce.md.
    #[command(flatten)]
    pub commerce: CommerceConfig,
    // ---- OAuth resource server (the MCP endpoints accept bearer tokens; docs/oauth.md) ----
    /// An external OAuth/OpenID issuer (e.g. https://login.example.com/tenant) whose JWT access
    /// tokens the MCP endpoints accept instead of the built-in authorization server's. Its keys
    /// are found through its RFC 8414 or OpenID metadata. https, or http on a loopback host.
    #[arg(long, env = "OAUTH_ISSUER")]
    pub oauth_issuer: Option<url::Url>,

    /// The external issuer's JWT claim that names the Target account (its email in the
    /// accounts file).
    #[arg(long, env = "OAUTH_ACCOUNT_CLAIM", default_value = "email")]
    pub oauth_account_claim: String,

    /// Signature algorithms accepted in the external issuer's JWTs (comma-separated; asymmetric
    /// only: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA).
    #[arg(long, env = "OAUTH_ALGORITHMS", value_delimiter = ',', default_value = "RS256,ES256", value_parser = parse_jwt_algorithm)]
    pub oauth_algorithms: Vec<jsonwebtoken::Algorithm>,

    /// Fewest seconds between two fetches of the external issuer's keys (JWKS) prompted by a
    /// token signed with a key we do not know, so forged key ids cannot flood the issuer.
    #[arg(long, env = "OAUTH_JWKS_MIN_REFRESH_SECS", default_value_t = 60)]
    pub oauth_jwks_min_refresh_secs: u64,

    /// Seconds the external issuer's keys are used before they are fetched again.
    #[arg(long, env = "OAUTH_JWKS_MAX_AGE_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub oauth_jwks_max_age_secs: u64,

    /// Seconds a linked account's cart is kept unused (it belongs to the account, so it
    /// survives new chats; default 30 days).
    #[arg(long, env = "ACCOUNT_CART_TTL_SECS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub account_cart_ttl_secs: u64,
}

/// An asymmetric JWT signature algorithm by its JOSE name; HMAC (`HS*`) is refused, since the
/// issuer's public keys would then double as shared secrets.
pub fn parse_jwt_algorithm(s: &str) -> Result<jsonwebtoken::Algorithm, String> {
    use jsonwebtoken::Algorithm::*;
    let algorithm: jsonwebtoken::Algorithm = s.trim().parse().map_err(|_| format!("{s:?} is not a JWT algorithm"))?;
    match algorithm {
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 | ES256 | ES384 | EdDSA => Ok(algorithm),
        HS256 | HS384 | HS512 => Err(format!("{s} is a shared-secret algorithm; only asymmetric ones are accepted")),
    }
}

// ---- The built-in OAuth authorization server (issue 11; docs/oauth.md) ----

/// Settings of the built-in OAuth 2.1 authorization server, whose users are the accounts file.
#[derive(Debug, Clone, clap::Args)]
pub struct OAuthServerConfig {
    /// Seconds an access token of the built-in authorization server is valid.
    #[arg(long, env = "OAUTH_ACCESS_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub access_token_ttl_secs: u64,

    /// Seconds a refresh token is valid (each refresh issues a new one with a fresh lifetime).
    #[arg(long, env = "OAUTH_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 86_400, value_parser = clap::value_parser!(u64).range(60..=365 * 86_400))]
    pub refresh_token_ttl_secs: u64,

    /// Seconds an authorization code is valid (it can be used once).
    #[arg(long, env = "OAUTH_CODE_TTL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub code_ttl_secs: u64,

    /// Seconds the sign-in page of one authorization request stays usable.
    #[arg(long, env = "OAUTH_SIGNIN_PAGE_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(30..=3600))]
    pub signin_page_ttl_secs: u64,

    /// Accept dynamic client registration (RFC 7591) at /oauth/register.
    #[arg(long, env = "OAUTH_DYNAMIC_REGISTRATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub dynamic_registration: bool,

    /// Accept Client ID Metadata Documents: an https client_id is fetched as the client's metadata.
    #[arg(long, env = "OAUTH_CLIENT_METADATA_DOCUMENTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub client_metadata_documents: bool,

    /// Milliseconds a Client ID Metadata Document fetch may take.
    #[arg(long, env = "OAUTH_CIMD_TIMEOUT_MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(100..=30_000))]
    pub cimd_timeout_ms: u64,

    /// Largest Client ID Metadata Document, in bytes.
    #[arg(long, env = "OAUTH_CIMD_MAX_BYTES", default_value_t = 5 * 1024, value_parser = clap::value_parser!(u64).range(256..=1024 * 1024))]
    pub cimd_max_bytes: u64,

    /// Seconds a fetched Client ID Metadata Document is cached.
    #[arg(long, env = "OAUTH_CIMD_CACHE_SECS", default_value_t = 3600)]
    pub cimd_cache_secs: u64,

    /// TESTS ONLY: allow Client ID Metadata Documents on loopback and private addresses, and
    /// over plain http on loopback. Never set it in production (it opens the server to SSRF).
    #[arg(long, env = "OAUTH_CIMD_ALLOW_PRIVATE_ADDRESSES", default_value_t = false, action = clap::ArgAction::Set)]
    pub cimd_allow_private_addresses: bool,

    /// Days a dynamically registered client (RFC 7591) stays registered without use; each
    /// authorization, token or revocation request of the client starts the count again. The
    /// predefined client and metadata-document clients never expire.
    #[arg(long, env = "OAUTH_CLIENT_IDLE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub client_idle_days: u64,

    /// The client id of one predefined client (e.g. the one entered in ChatGPT's app settings).
    #[arg(long, env = "OAUTH_CLIENT_ID")]
    pub client_id: Option<String>,

    /// The predefined client's secret; without it the client is public (PKCE only).
    #[arg(long, env = "OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,

    /// The predefined client's name on the sign-in page.
    #[arg(long, env = "OAUTH_CLIENT_NAME", default_value = "ChatGPT")]
    pub client_name: String,

    /// The predefined client's redirect URIs (comma-separated; https, or http on loopback).
    #[arg(
        long,
        env = "OAUTH_CLIENT_REDIRECT_URIS",
        value_delimiter = ',',
        default_value = "https://chatgpt.com/connector_platform_oauth_redirect,https://platform.openai.com/apps-manage/oauth"
    )]
    pub client_redirect_uris: Vec<String>,
}

impl OAuthServerConfig {
    /// Defaults as if no flag and no variable were given.
    pub fn defaults() -> Self {
        Config::defaults().oauth_server
    }
}

/// The Agentic Commerce Protocol options, one block (docs/commerce.md describes each).
#[derive(Debug, Clone, clap::Args)]
pub struct CommerceConfig {
    /// Merchant API keys (comma-separated) accepted as `Authorization: Bearer <key>` on the ACP
    /// checkout API. Without any, a server bound to a loopback address accepts the documented
    /// demo key `acp_demo_merchant_key`; on any other address every ACP call is refused.
    #[arg(long, env = "ACP_API_KEYS", value_delimiter = ',', hide_env_values = true)]
    pub acp_api_keys: Vec<String>,

    /// Shared secret for ACP request signatures: when set, every ACP request must carry
    /// `Timestamp` (RFC 3339) and `Signature` (base64url HMAC-SHA256 of `<Timestamp>.<canonical
    /// JSON body>`).
    #[arg(long, env = "ACP_SIGNING_KEY", hide_env_values = true)]
    pub acp_signing_key: Option<String>,

    /// Largest difference, in seconds, between a signed request's `Timestamp` and our clock.
    #[arg(long, env = "ACP_SIGNATURE_SKEW_SECS", default_value_t = 300)]
    pub acp_signature_skew_secs: u64,

    /// Base URL of the payment service provider that charges delegated payment tokens
    /// (`POST <url>/charges`). Without it, the built-in test provider approves every token except
    /// the documented test tokens.
    #[arg(long, env = "ACP_PSP_URL")]
    pub acp_psp_url: Option<url::Url>,

    /// Secret key for the PSP (`Authorization: Bearer`).
    #[arg(long, env = "ACP_PSP_KEY", hide_env_values = true)]
    pub acp_psp_key: Option<String>,

    /// Milliseconds a PSP call may take before the completion is answered 503 (retryable).
    #[arg(long, env = "ACP_PSP_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub acp_psp_timeout_ms: u64,

    /// Where order webhooks (`order_create`, `order_update`) are POSTed. Without it, events stay
    /// in the outbox.
    #[arg(long, env = "ACP_WEBHOOK_URL")]
    pub acp_webhook_url: Option<url::Url>,

    /// HMAC secret for the `Merchant-Signature` header of order webhooks.
    #[arg(long, env = "ACP_WEBHOOK_SECRET", hide_env_values = true)]
    pub acp_webhook_secret: Option<String>,

    /// Milliseconds between two looks at the webhook outbox.
    #[arg(long, env = "ACP_WEBHOOK_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub acp_webhook_poll_ms: u64,

    /// Milliseconds between two looks at the queue of pending refunds (refunds the payment
    /// provider did not take when the order was canceled).
    #[arg(long, env = "ACP_REFUND_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub acp_refund_poll_ms: u64,

    /// Key of the operator API for ACP orders (`/ops/orders/{id}`: look up, ship, deliver, cancel
    /// with a refund), as `Authorization: Bearer <key>`. Without it those routes do not exist.
    #[arg(long, env = "ACP_OPS_KEY", hide_env_values = true)]
    pub acp_ops_key: Option<String>,

    /// Sustained requests per second allowed to each merchant API key on the ACP routes
    /// (`/checkout_sessions…`, `/feeds/…`, `/mcp/acp`); above it the answer is 429
    /// `rate_limited` with `Retry-After`. 0 disables the limit.
    #[arg(long, env = "ACP_RATE_LIMIT_PER_SEC", default_value_t = 100)]
    pub acp_rate_limit_per_sec: u32,

    /// Requests a merchant key may make at once above the sustained rate.
    #[arg(long, env = "ACP_RATE_LIMIT_BURST", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub acp_rate_limit_burst: u32,
}

impl Default for CommerceConfig {
    /// The defaults of the flags above.
    fn default() -> Self {
        CommerceConfig {
            acp_api_keys: vec![],
            acp_signing_key: None,
            acp_signature_skew_secs: 300,
            acp_psp_url: None,
            acp_psp_key: None,
            acp_psp_timeout_ms: 10_000,
            acp_webhook_url: None,
            acp_webhook_secret: None,
            acp_webhook_poll_ms: 1000,
            acp_refund_poll_ms: 1000,
            acp_ops_key: None,
            acp_rate_limit_per_sec: 100,
            acp_rate_limit_burst: 200,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoAccounts {
    Auto,
    On,
    Off,
}

/// A secret setting (an API key): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// `REDIS_URL`: `Debug` shows it with the password (and user name) replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn as_str(&self) -> &str {
        self.0.trim()
    }

    /// Whether the URL asks for TLS (`rediss://`).
    pub fn is_tls(&self) -> bool {
        self.as_str().get(..9).is_some_and(|s| s.eq_ignore_ascii_case("rediss://"))
    }

    /// The URL without its credentials, for logs and `Debug`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(self.as_str()) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("redacted"));
                }
                url.to_string()
            }
            Err(_) => "[an unparsable URL, redacted]".to_owned(),
        }
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl std::str::FromStr for RedisUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(RedisUrl(s.to_owned()))
    }
}

impl From<String> for RedisUrl {
    fn from(s: String) -> Self {
        RedisUrl(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A tax rate in basis points (1/100 of a percent): 8.25% is 825.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRate(pub u32);

/// Parses a percentage with up to two decimals ("8.25", "7", "0.5") into basis points, without
/// going through floating point.
pub fn parse_tax_rate(s: &str) -> Result<TaxRate, String> {
    let s = s.trim().trim_end_matches('%');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let bad = || format!("{s:?} is not a percentage like 8.25");
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let bp = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
    if bp > 10_000 {
        return Err(format!("{s}% is more than 100%"));
    }
    Ok(TaxRate(bp))
}

impl Config {
    /// Defaults as if no flag and no variable were given, whatever the process environment holds;
    /// tests start from this.
    pub fn defaults() -> Config {
        Config::parse_ignoring_env(["server"]).expect("the defaults parse")
    }

    /// Parses `args` as the command line, reading no environment variable (tests: a `TAX_RATE`
    /// or `PORT` set in the shell that runs them must not change what they check).
    pub fn parse_ignoring_env<I, T>(args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let command = <Config as clap::CommandFactory>::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.try_get_matches_from(args)?;
        <Config as clap::FromArgMatches>::from_arg_matches(&matches)
    }

    pub fn public_base_url(&self) -> url::Url {
        self.public_base_url.clone().unwrap_or_else(|| {
            url::Url::parse(&format!("http://localhost:{}", self.port))
                .expect("a localhost URL with a port always parses")
        })
    }

    /// The public base URL without a trailing slash, for building links.
    pub fn public_base(&self) -> String {
        self.public_base_url().as_str().trim_end_matches('/').to_owned()
    }

    /// How long the store keeps orders and idempotency keys (a key never outlives its order).
    pub fn retention(&self) -> crate::store::Retention {
        crate::store::Retention {
            orders: Duration::from_secs(self.order_retention_secs),
            idempotency_keys: Duration::from_secs(self.idempotency_key_ttl_secs.min(self.order_retention_secs)),
        }
    }

    pub fn session_max_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_max_lifetime_secs)
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    pub fn account_cart_ttl(&self) -> Duration {
        Duration::from_secs(self.account_cart_ttl_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn mcp_body_timeout(&self) -> Duration {
        Duration::from_secs(self.mcp_body_timeout_secs)
    }

    /// The MCP body limit as a `usize` (saturating on 32-bit targets).
    pub fn mcp_max_body(&self) -> usize {
        usize::try_from(self.mcp_max_body_bytes).unwrap_or(usize::MAX)
    }

    /// The widget domain to declare (`WIDGET_DOMAIN`, else the public origin; `none`: none).
    pub fn widget_domain(&self) -> Option<String> {
        match self.widget_domain.as_deref().map(str::trim) {
            Some(d) if d.eq_ignore_ascii_case("none") || d.is_empty() => None,
            Some(d) => Some(d.to_owned()),
            None => Some(self.public_base_url().origin().ascii_serialization()),
        }
    }

    /// Whether HOST is a loopback address (a developer's machine) rather than a public bind.
    pub fn binds_publicly(&self) -> bool {
        !self.host.is_loopback()
    }

    /// A public bind must say where clients reach it: without a non-local `PUBLIC_BASE_URL` the
    /// Host check would answer 403 to every request and the widgets would call localhost.
    pub fn check_public_base_url(&self) -> Result<(), String> {
        if !self.binds_publicly() {
            return Ok(());
        }
        let local = match self.public_base_url.as_ref().and_then(|u| u.host()) {
            None => true,
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        };
        if local {
            return Err(format!(
                "HOST={} is not a loopback address, so set PUBLIC_BASE_URL to the URL clients reach this \
                 server at (for example https://your-app.herokuapp.com); now it is {}",
                self.host,
                self.public_base_url.as_ref().map_or("unset".to_owned(), |u| u.to_string())
            ));
        }
        Ok(())
    }

    /// Whether the embedded demo accounts may sign in (only without ACCOUNTS_FILE).
    pub fn demo_accounts_enabled(&self) -> bool {
        match self.demo_accounts {
            DemoAccounts::On => true,
            DemoAccounts::Off => false,
            DemoAccounts::Auto => !self.binds_publicly(),
        }
    }

    /// Whether `PUBLIC_BASE_URL` is https (then responses carry `Strict-Transport-Security`).
    pub fn is_https(&self) -> bool {
        self.public_base_url().scheme() == "https"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_rates_parse_exactly() {
        assert_eq!(parse_tax_rate("8.25"), Ok(TaxRate(825)));
        assert_eq!(parse_tax_rate("7"), Ok(TaxRate(700)));
        assert_eq!(parse_tax_rate("0.5"), Ok(TaxRate(50)));
        assert_eq!(parse_tax_rate("6.5%"), Ok(TaxRate(650)));
        for bad in ["", "8.255", "-1", "abc", "101", "1e2", ".5"] {
            assert!(parse_tax_rate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_widget_domain_defaults_to_the_public_origin() {
        let c = Config::try_parse_from(["server", "--public-base-url", "https://shop.example.com/mcp/"]).unwrap();
        assert_eq!(c.widget_domain().as_deref(), Some("https://shop.example.com"));
        let c = Config::try_parse_from(["server", "--widget-domain", "shop-example-com.oaiusercontent.com"]).unwrap();
        assert_eq!(c.widget_domain().as_deref(), Some("shop-example-com.oaiusercontent.com"));
        let c = Config::try_parse_from(["server", "--widget-domain", "none"]).unwrap();
        assert_eq!(c.widget_domain(), None);
    }

    #[test]
    fn defaults_match_the_readme() {
        let c = Config::parse_ignoring_env(["server"]).expect("defaults parse");
        assert_eq!(c.port, 8000);
        assert_eq!(c.session_ttl_secs, 600);
        assert_eq!(c.tax_rate, TaxRate(825));
        assert_eq!(c.public_base(), "http://localhost:8000");
        assert_eq!(c.rate_limit_per_sec, 50);
        assert_eq!(c.rate_limit_burst, 200);
        assert_eq!(c.signin_rate_limit_per_min, 60);
        assert_eq!(c.signin_rate_limit_burst, 30);
        assert_eq!(c.max_sse_streams_per_client, 16);
        assert!(c.direct_tool_calls);
        assert!(!c.trust_forwarded_for);
        assert_eq!(c.mcp_max_body_bytes, 1024 * 1024);
        assert_eq!(c.request_timeout_secs, 30);
        assert_eq!(c.rate_limit_max_keys, 100_000);
        assert_eq!(c.signin_max_concurrent_hashes, 0);
        assert_eq!(c.order_retention_secs, 30 * 24 * 3600);
        assert_eq!(c.idempotency_key_ttl_secs, 24 * 3600);
        assert_eq!(c.session_max_lifetime_secs, 24 * 3600);
        assert_eq!(c.unwrangle_max_requests_per_min, 120);
        assert_eq!(c.unwrangle_max_requests_per_client_per_min, 20);
        assert_eq!(c.mcp_body_timeout_secs, 10);
        assert_eq!((c.sse_init_timeout_secs, c.sse_idle_timeout_secs, c.shutdown_timeout_secs), (10, 1800, 10));
        assert!(c.oauth_issuer.is_none());
        assert_eq!(c.oauth_account_claim, "email");
        assert_eq!(c.oauth_algorithms, [jsonwebtoken::Algorithm::RS256, jsonwebtoken::Algorithm::ES256]);
        assert_eq!(c.account_cart_ttl_secs, 30 * 24 * 3600);
    }

    #[test]
    fn only_asymmetric_jwt_algorithms_are_accepted() {
        let c = Config::try_parse_from(["server", "--oauth-algorithms", "ES384,EdDSA"]).expect("parses");
        assert_eq!(c.oauth_algorithms, [jsonwebtoken::Algorithm::ES384, jsonwebtoken::Algorithm::EdDSA]);
        let err = Config::try_parse_from(["server", "--oauth-algorithms", "HS256"]).unwrap_err();
        assert!(err.to_string().contains("shared-secret"), "{err}");
        assert!(Config::try_parse_from(["server", "--oauth-algorithms", "none"]).is_err());
    }

    #[test]
    fn bad_values_are_refused_with_a_message() {
        let err = Config::parse_ignoring_env(["server", "--tax-rate", "lots"]).unwrap_err();
        assert!(err.to_string().contains("not a percentage"), "{err}");
        assert!(Config::parse_ignoring_env(["server", "--session-ttl-secs", "0"]).is_err());
        assert!(Config::parse_ignoring_env(["server", "--rate-limit-burst", "0"]).is_err());
        let off = Config::parse_ignoring_env(["server", "--rate-limit-per-sec", "0", "--trust-forwarded-for", "true"]);
        let off = off.expect("0 disables the limits");
        assert_eq!(off.rate_limit_per_sec, 0);
        assert!(off.trust_forwarded_for);
    }

    #[test]
    fn debug_never_shows_the_api_key_or_the_redis_password() {
        let c = Config::try_parse_from([
            "server",
            "--unwrangle-api-key",
            "uw-key-7f3a",
            "--redis-url",
            "rediss://default:p4ss-w0rd-9@redis.example.com:6380/0",
        ])
        .expect("parses");
        let debug = format!("{c:?}");
        assert!(!debug.contains("uw-key-7f3a"), "{debug}");
        assert!(!debug.contains("p4ss-w0rd-9"), "{debug}");
        assert!(debug.contains("redis.example.com:6380"), "the rest of the URL stays readable: {debug}");
        assert_eq!(c.unwrangle_api_key.as_ref().map(Secret::expose), Some("uw-key-7f3a"));
        assert!(c.redis_url.as_ref().is_some_and(RedisUrl::is_tls));
    }

    #[test]
    fn a_public_bind_needs_a_public_base_url() {
        let loopback = Config::try_parse_from(["server"]).expect("parses");
        assert_eq!(loopback.check_public_base_url(), Ok(()));
        for args in [
            &["server", "--host", "0.0.0.0"][..],
            &["server", "--host", "0.0.0.0", "--public-base-url", "http://localhost:8000"],
            &["server", "--host", "::", "--public-base-url", "http://127.0.0.1:8000"],
        ] {
            let c = Config::try_parse_from(args).expect("parses");
            let err = c.check_public_base_url().expect_err("refused");
            assert!(err.contains("set PUBLIC_BASE_URL"), "{err}");
        }
        let public =
            Config::try_parse_from(["server", "--host", "0.0.0.0", "--public-base-url", "https://shop.example.com"]);
        assert_eq!(public.expect("parses").check_public_base_url(), Ok(()));
    }

    #[test]
    fn demo_accounts_are_off_on_a_public_bind_unless_turned_on() {
        let parse = |args: &[&str]| Config::try_parse_from(args).expect("parses").demo_accounts_enabled();
        assert!(parse(&["server"]));
        assert!(!parse(&["server", "--host", "0.0.0.0"]));
        assert!(parse(&["server", "--host", "0.0.0.0", "--demo-accounts", "on"]));
        assert!(!parse(&["server", "--demo-accounts", "off"]));
    }
}
