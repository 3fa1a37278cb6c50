//! Building the application from its configuration, binding the listener, and serving until a
//! shutdown signal, with background tasks that sweep expired sessions, deliver order webhooks
//! and retry pending refunds.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;

use crate::catalog::ProductSource;
use crate::catalog::embedded::{EmbeddedCatalog, EmbeddedCatalogError};
use crate::catalog::unwrangle::{UnwrangleConfig, UnwrangleSource};
use crate::clock::{Clock, SystemClock};
use crate::commerce::Commerce;
use crate::config::Config;
use crate::http::body_limit::{self, BodyRules};
use crate::http::client_ip::{self, TrustForwardedFor};
use crate::http::host_check::{self, AllowedHosts};
use crate::http::rate_limit::{self, RateLimits};
use crate::http::timeout::{self, RequestTimeout};
use crate::http::{request_log, security_headers};
use crate::identity::accounts::{Accounts, AccountsError};
use crate::identity::oauth::OAuthState;
use crate::identity::resource;
use crate::identity::shopper::AccountIds;
use crate::identity::verifier;
use crate::mcp::handler::McpServices;
use crate::mcp::product_json::ProductJson;
use crate::mcp::sse::{LegacySse, SseConfig};
use crate::origin::OriginPolicy;
use crate::pricing::PricingRules;
use crate::rest;
use crate::state::AppState;
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisStore, RedisTls, open_client, open_cluster_client};
use crate::widgets::{WidgetCsp, WidgetTemplates};

/// Largest REST request body.
const API_BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("the embedded catalog is invalid: {0}")]
    Catalog(#[from] EmbeddedCatalogError),
    #[error("cannot connect to Redis (REDIS_URL): {0}")]
    Redis(String),
    #[error("cannot read REDIS_TLS_CA_FILE {path}: {source}")]
    RedisCa { path: String, source: std::io::Error },
    #[error("{0}")]
    PublicBaseUrl(String),
    #[error("cannot set up the Unwrangle client: {0}")]
    Unwrangle(String),
    #[error("the OAuth settings are invalid: {0}")]
    OAuth(String),
    #[error("cannot set up the commerce API (ACP_*): {0}")]
    Commerce(String),
    #[error("cannot set up the OAuth issuer (OAUTH_ISSUER): {0}")]
    OauthIssuer(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    sse: LegacySse,
    limits: RateLimits,
    commerce: Commerce,
    shutdown: CancellationToken,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`] with a chosen clock (tests move time by hand).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        config.check_public_base_url().map_err(StartupError::PublicBaseUrl)?;
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })?;
        let mut config = config;
        if config.port == 0 {
            // Bound to a random port (tests): links and the default public URL must use the real one.
            config.port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        }
        if config.metrics_token.as_ref().is_some_and(|t| !t.expose().is_empty()) {
            crate::metrics::install();
        }
        let redis = redis_client(&config)?;
        let state = build_state(config, clock, redis.clone()).await?;
        let shutdown = CancellationToken::new();
        let sse = LegacySse::with_shutdown(
            SseConfig {
                max_streams: state.config.max_sse_streams,
                max_streams_per_client: usize::try_from(state.config.max_sse_streams_per_client).unwrap_or(usize::MAX),
                init_timeout: Duration::from_secs(state.config.sse_init_timeout_secs),
                idle_timeout: Duration::from_secs(state.config.sse_idle_timeout_secs),
                ..SseConfig::default()
            },
            shutdown.clone(),
        );
        match redis {
            Some(RedisClients { cluster: Some(_), .. }) => tracing::warn!(
                "REDIS_CLUSTER: legacy SSE streams (/sse) are not relayed between instances; route \
                 a client's /sse and /messages to one instance (sticky sessions)"
            ),
            Some(RedisClients { node, cluster: None }) => {
                crate::mcp::sse_relay::start(node, sse.clone(), shutdown.clone())
                    .await
                    .map_err(|e| StartupError::Redis(e.to_string()))?
            }
            None => {}
        }
        let limits = RateLimits::from_config(&state.config, API_BODY_LIMIT, state.store.clone(), state.clock.clone());
        let commerce = Commerce::new(state.clone()).map_err(StartupError::Commerce)?;
        let router = router(state.clone(), sse.clone(), &limits, &commerce, shutdown.clone())?;
        Ok(Application { listener, router, state, sse, limits, commerce, shutdown })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The rate limiters (tests look at how many keys they hold).
    pub fn rate_limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Serves until `signal` completes, then stops taking connections, closes the SSE streams
    /// and waits for requests in flight.
    pub async fn run_until_stopped(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Application { listener, router, state, sse, limits, commerce, shutdown } = self;
        let sweeper = tokio::spawn(sweep_sessions(state.clone(), limits, shutdown.clone()));
        let refunds = tokio::spawn(crate::commerce::refunds::run(commerce.clone(), shutdown.clone()));
        let webhooks = tokio::spawn(crate::commerce::webhooks::run(commerce, shutdown.clone()));
        tracing::info!(
            addr = %listener.local_addr()?,
            public = %state.config.public_base(),
            products = %state.products.kind(),
            "Target MCP server listening; add {}/mcp/all as a ChatGPT connector",
            state.config.public_base()
        );
        let stop = shutdown.clone();
        let serve = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                signal.await;
                tracing::info!("shutting down");
                // Every SSE stream's token is a child of this one: they all end, and no new one opens.
                stop.cancel();
                sse.close_all();
            })
            .into_future();
        let deadline = state.config.shutdown_timeout();
        let stopping = shutdown.clone();
        let result = tokio::select! {
            result = serve => result,
            () = async move {
                stopping.cancelled().await;
                tokio::time::sleep(deadline).await;
            } => {
                tracing::warn!(after_secs = deadline.as_secs(), "shutdown deadline passed; dropping requests still in flight");
                Ok(())
            }
        };
        shutdown.cancel();
        sweeper.abort();
        webhooks.abort();
        refunds.abort();
        result
    }
}

/// The Redis clients `REDIS_URL` and its settings name.
#[derive(Clone)]
struct RedisClients {
    /// The node `REDIS_URL` names (the store's, unless it is a cluster; the SSE relay's pub/sub).
    node: redis::Client,
    /// With `REDIS_CLUSTER`: the store's.
    cluster: Option<redis::cluster::ClusterClient>,
}

/// The Redis clients `REDIS_URL` and its TLS and cluster settings name, or `None` for the memory
/// store.
fn redis_client(config: &Config) -> Result<Option<RedisClients>, StartupError> {
    let Some(url) = config.redis_url.as_ref().filter(|u| !u.as_str().is_empty()) else { return Ok(None) };
    let ca_pem = match &config.redis_tls_ca_file {
        Some(path) => Some(
            std::fs::read(path).map_err(|source| StartupError::RedisCa { path: path.display().to_string(), source })?,
        ),
        None => None,
    };
    let tls = RedisTls { insecure: config.redis_tls_insecure, ca_pem };
    if url.is_tls() {
        tracing::info!(url = %url.redacted(), verify = !tls.insecure, "Redis over TLS");
    }
    let cluster = if config.redis_cluster {
        tracing::info!(seed = %url.redacted(), wait_replicas = config.redis_wait_replicas, "Redis Cluster");
        Some(open_cluster_client(url.as_str(), &tls).map_err(|e| StartupError::Redis(e.to_string()))?)
    } else {
        None
    };
    let node = open_client(url.as_str(), &tls).map_err(|e| StartupError::Redis(e.to_string()))?;
    Ok(Some(RedisClients { node, cluster }))
}

/// The accounts that can sign in: `ACCOUNTS_FILE`, else the embedded demo accounts where
/// `DEMO_ACCOUNTS` allows them (by default only on a loopback address), else none.
fn load_accounts(config: &Config) -> Result<Accounts, StartupError> {
    if let Some(path) = &config.accounts_file {
        return Ok(Accounts::load(Some(path))?);
    }
    if !config.demo_accounts_enabled() {
        tracing::warn!(
            host = %config.host,
            "no accounts can sign in: the embedded demo accounts are off on a public address; \
             set ACCOUNTS_FILE to your accounts, or DEMO_ACCOUNTS=on to allow the demo account"
        );
        return Ok(Accounts::parse("[]")?);
    }
    if config.binds_publicly() {
        tracing::warn!(
            host = %config.host,
            "DEMO_ACCOUNTS=on on a public address: ANYONE can sign in as the demo account, whose \
             password is published in the README"
        );
    }
    Ok(Accounts::load(None)?)
}

async fn build_state(
    config: Config,
    clock: Arc<dyn Clock>,
    redis: Option<RedisClients>,
) -> Result<AppState, StartupError> {
    let public_base = config.public_base();
    let catalog = Arc::new(EmbeddedCatalog::load(&public_base)?);
    let products: Arc<dyn ProductSource> = match &config.unwrangle_api_key {
        Some(key) if !key.expose().trim().is_empty() => {
            let mut unwrangle = UnwrangleConfig::new(key.expose().trim().to_owned());
            unwrangle.base_url = config.unwrangle_base_url.clone();
            unwrangle.upstream_budget =
                std::num::NonZeroU32::new(config.unwrangle_max_requests_per_min).map(governor::Quota::per_minute);
            unwrangle.client_budget = std::num::NonZeroU32::new(config.unwrangle_max_requests_per_client_per_min)
                .map(governor::Quota::per_minute);
            unwrangle.max_clients = config.rate_limit_max_keys;
            Arc::new(
                UnwrangleSource::with_clock(unwrangle, clock.clone())
                    .map_err(|e| StartupError::Unwrangle(e.to_string()))?,
            )
        }
        _ => catalog.clone(),
    };
    let live_images = products.kind() == shared::product::DataSource::Unwrangle;
    let store: Arc<dyn Store> = match redis {
        Some(clients) => Arc::new(
            match clients.cluster {
                Some(cluster) => RedisStore::connect_cluster(cluster, config.session_ttl()).await,
                None => RedisStore::connect_client(clients.node, config.session_ttl()).await,
            }
            .map_err(|e| StartupError::Redis(e.to_string()))?
            .with_wait_replicas(config.redis_wait_replicas)
            .with_retention(config.retention())
            .with_max_lifetime(config.session_max_lifetime())
            .with_account_ttl(config.account_cart_ttl()),
        ),
        None => Arc::new(
            MemoryStore::new(config.session_ttl())
                .with_retention(config.retention())
                .with_max_lifetime(config.session_max_lifetime())
                .with_account_ttl(config.account_cart_ttl()),
        ),
    };
    let accounts = load_accounts(&config)?.with_max_hashing(config.signin_max_concurrent_hashes);
    let verifier =
        verifier::configured(&config, &accounts, &store).map_err(|e| StartupError::OauthIssuer(e.to_string()))?;
    let account_ids = AccountIds::load(store.as_ref()).await.map_err(|e| StartupError::Redis(e.to_string()))?;
    Ok(AppState {
        store,
        accounts,
        verifier,
        account_ids,
        pricing: PricingRules { tax_rate: config.tax_rate },
        widgets: Arc::new(WidgetTemplates::embedded(&public_base)),
        csp: Arc::new(WidgetCsp::new(&public_base, live_images).with_domain(config.widget_domain())),
        products,
        product_json: Arc::new(ProductJson::new(catalog.products())),
        catalog,
        clock,
        config: Arc::new(config),
    })
}

/// All routes with their layers. From the outside in, for MCP and /api: CORS, the Host check,
/// the Origin check, the client IP, the body limit, the rate limits (which read the body to find the
/// session), then the handler; timeouts per request. Around everything, once per request: the
/// request id with the access log line (`http/request_log.rs`) and the security headers of
/// every response.
pub fn router(
    state: AppState,
    sse: LegacySse,
    limits: &RateLimits,
    commerce: &Commerce,
    shutdown: CancellationToken,
) -> Result<Router, StartupError> {
    let config = state.config.clone();
    let origins = OriginPolicy::from_config(&config);
    let mut acp = crate::commerce::routes(commerce.clone(), shutdown.clone());
    if let Some(limiter) = &limits.general {
        acp = acp.layer(from_fn_with_state(limiter.clone(), rate_limit::layer));
    }
    let acp = acp
        .layer(from_fn_with_state(BodyRules::limit(crate::commerce::BODY_LIMIT), body_limit::layer))
        .layer(from_fn_with_state(RequestTimeout(config.request_timeout()), timeout::layer))
        // Around those three: their refusals in the ACP flat error shape.
        .layer(axum::middleware::from_fn(crate::commerce::http_refusals::layer));
    let mcp =
        crate::mcp::transport::routes(McpServices::new(state.clone()), sse, &config, limits.account.clone(), shutdown);
    // No request timeout wraps the MCP routes (an SSE stream is a long GET), so the body read
    // has its own deadline. The MCP routes take every path the other checked routes do not, so
    // their body limit and rate limit wrap them once, not each route (see `outer` below).
    let mcp_body = from_fn_with_state(
        BodyRules::limit(config.mcp_max_body()).with_read_deadline(config.mcp_body_timeout()),
        body_limit::layer,
    );
    let mcp = match &limits.general {
        Some(limiter) => Router::new().fallback_service(
            ServiceBuilder::new()
                .layer(mcp_body)
                .layer(from_fn_with_state(limiter.clone(), rate_limit::layer))
                .service(mcp),
        ),
        None => Router::new().fallback_service(ServiceBuilder::new().layer(mcp_body).service(mcp)),
    };

    let mut api = Router::new().route(shared::api::AUTHENTICATE_PATH, post(rest::session::authenticate));
    if let Some(limiter) = &limits.signin {
        api = api.route_layer(from_fn_with_state(limiter.clone(), rate_limit::layer));
    }
    let mut api = api.route(shared::api::SIGNOUT_PATH, post(rest::session::signout));
    if let Some(limiter) = &limits.general {
        api = api.layer(from_fn_with_state(limiter.clone(), rate_limit::layer));
    }
    let api = api
        .layer(from_fn_with_state(BodyRules::limit(API_BODY_LIMIT), body_limit::layer))
        .layer(from_fn_with_state(RequestTimeout(config.request_timeout()), timeout::layer))
        .with_state(state.clone());

    // The built-in OAuth authorization server, unless an external issuer (OAUTH_ISSUER) is the
    // one that signs the shoppers in: then its routes are not mounted (its tokens would be
    // refused anyway). The sign-in POST has the sign-in rate limit.
    let mut oauth = Router::new();
    if config.oauth_issuer.is_none() {
        let builtin = OAuthState::new(state.clone()).map_err(StartupError::OAuth)?;
        oauth = crate::identity::oauth::routes(builtin, limits.signin.clone());
        if let Some(limiter) = &limits.general {
            oauth = oauth.layer(from_fn_with_state(limiter.clone(), rate_limit::layer));
        }
        oauth = oauth
            .layer(from_fn_with_state(BodyRules::limit(API_BODY_LIMIT), body_limit::layer))
            .layer(from_fn_with_state(RequestTimeout(config.request_timeout()), timeout::layer));
    }

    // Around the checked routes as one service, so these layers run once per request instead of
    // being boxed into every route (see `outer` below); every path no other route takes comes here.
    let checked = ServiceBuilder::new()
        .layer(origins.cors())
        .layer(from_fn_with_state(
            AllowedHosts(crate::mcp::transport::allowed_hosts(&config).into()),
            host_check::layer,
        ))
        .layer(from_fn_with_state(origins.clone(), crate::origin::check))
        .layer(from_fn_with_state(TrustForwardedFor(config.trust_forwarded_for), client_ip::layer))
        .service(mcp.merge(api).merge(oauth).merge(acp));
    let image_csp = axum::http::HeaderValue::from_static(security_headers::IMAGE_CSP);
    let all = Router::new()
        .route("/", get(rest::home::home))
        .route(resource::METADATA_PATH, get(resource::server_metadata).layer(resource::cors()))
        .route(
            &format!("{}/{{*path}}", resource::METADATA_PATH),
            get(resource::connector_metadata).layer(resource::cors()),
        )
        .route("/healthz", get(rest::health::healthz))
        .route("/metrics", get(crate::metrics::endpoint))
        .route("/readyz", get(rest::health::readyz))
        .route(
            "/images/products/{file}",
            get(rest::assets::product_image)
                .layer(security_headers::route_header(header::CONTENT_SECURITY_POLICY, image_csp)),
        )
        // Each page sets its own CSP, naming its inline scripts' hashes.
        .route("/widgets/{file}", get(rest::assets::widget_page))
        .with_state(state)
        .fallback_service(checked);
    // Around the whole router, so once per request: `Router::layer` would wrap every route in
    // its own boxed copy of these layers, and axum clones a route's service per request.
    let outer = ServiceBuilder::new()
        .layer(from_fn_with_state(TrustForwardedFor(config.trust_forwarded_for), request_log::layer))
        .layer(security_headers::layers(&config))
        .service(all);
    Ok(Router::new().fallback_service(outer))
}

async fn sweep_sessions(state: AppState, limits: RateLimits, shutdown: CancellationToken) {
    let every = state.config.session_ttl().min(Duration::from_secs(60));
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {
                limits.retain_recent();
                match state.store.sweep_expired(state.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "swept expired sessions"),
                    Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test(start_paused = true)]
    async fn the_sweeper_removes_idle_sessions_on_its_own() {
        let mut config = Config::defaults();
        config.session_ttl_secs = 600;
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let state = build_state(config, clock.clone(), None).await.expect("state builds");
        let session = crate::identity::sessions::create(&state).await.expect("session");
        let shutdown = CancellationToken::new();
        let limits = RateLimits::from_config(&state.config, API_BODY_LIMIT, state.store.clone(), state.clock.clone());
        let sweeper = tokio::spawn(sweep_sessions(state.clone(), limits, shutdown.clone()));

        clock.advance(chrono::Duration::minutes(11));
        // Nobody touches the session; only the sweeper's next tick (every 60 s) can remove it.
        tokio::time::advance(Duration::from_secs(61)).await;
        let removed = async {
            loop {
                // Looking up "at the dawn of time" never expires a session itself.
                let found = state.store.session(&session.id, chrono::DateTime::<chrono::Utc>::MIN_UTC).await;
                if matches!(found, Ok(None)) {
                    return;
                }
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), removed).await.expect("the sweeper removed the session");
        shutdown.cancel();
        sweeper.await.expect("the sweeper stops on shutdown");
    }
}
