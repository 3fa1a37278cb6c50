//! The Unwrangle Target API as a [`ProductSource`]: live Target.com search results.
//!
//! One upstream request per distinct search text (`platform=target_search`, page 1), authenticated
//! with an `Authorization: Token …` header so the key never appears in a URL. Pages are cached for
//! `cache_ttl` under the normalized query text, and concurrent identical searches share a single
//! upstream request; the price filter, the sort and the limit are applied locally to the cached
//! page. Every product seen in a page is remembered by id for `product_ttl`, which is how
//! [`ProductSource::product`] answers without a (credit-costing) detail call.
//!
//! Unwrangle documents the request (endpoint, `platform`, `search`, the `Token` header:
//! <https://help.unwrangle.com/en/articles/9943618-making-an-api-request>) but not each result's
//! fields; a real answer is kept in this repository (`server/tests/fixtures/unwrangle/`, where it
//! came from is said at its test below), and each result is read field by field from several dialects
//! (`name`/`product_name`, price `12.99` or `"$12.99"`, `tcin`/`id`, `thumbnail`/`images[]`, …).
//! A result without a usable TCIN, title or price is skipped rather
//! than failing the whole search. Prices become integer cents by decimal string parsing, never by
//! float arithmetic.
//!
//! Failures: 429, 5xx, timeouts and connection errors are retried with jittered exponential
//! backoff; 401, 403 (credits exhausted) and other 4xx are not. The API key is never logged, and it
//! is scrubbed from any upstream text that ends up in an error detail.
//!
//! Credits: every upstream attempt (a retry too) is charged to two budgets before it is sent — the
//! client's ([`UnwrangleConfig::client_budget`], keyed like the rate limits: the IPv4 address or
//! the IPv6 /64, see [`ProductSource::for_client`]) and then everybody's
//! ([`UnwrangleConfig::upstream_budget`]). Past either, a search that misses the cache is answered
//! [`CatalogError::RateLimited`] ("busy, try again in a minute") without calling Unwrangle; cached
//! pages still answer, and one client's spent budget leaves the others' untouched. The
//! per-client buckets are bounded ([`UnwrangleConfig::max_clients`]) and forgotten once idle and
//! full again; both budgets run on the app's [`Clock`].
//!
//! Pages live in a [`SearchCache`]: a page asked for again moves out of the way of new pages, so
//! a flood of one-off queries cannot push out the pages shoppers keep asking for (tested below).

use std::cmp::Reverse;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use moka::future::Cache;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use shared::ids::ProductId;
use shared::money::{Cents, Currency};
use shared::product::{DataSource, Product, Rating, SortOrder};
use tracing::{debug, info, warn};
use url::Url;

use crate::catalog::search_cache::SearchCache;
use crate::catalog::{CatalogError, ProductSource, SearchQuery, SearchResults};
use crate::clock::{Clock, SystemClock};
use crate::http::client_ip::ClientKey;
use crate::limiter::{self, BoundedBuckets, DirectLimiter, KeyedLimiter};

/// Unwrangle's getter endpoint. The trailing slash matters: without it the API answers 301.
pub const DEFAULT_BASE_URL: &str = "https://data.unwrangle.com/api/getter/";

const SEARCH_PLATFORM: &str = "target_search";
const TARGET_ORIGIN: &str = "https://www.target.com";
const FALLBACK_CATEGORY: &str = "Target";
/// A search page is a few dozen products; anything far bigger is not an answer we want to parse.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How much of an error response is read for the log detail.
const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;
const DETAIL_MAX_CHARS: usize = 200;
const REDACTED: &str = "[redacted]";

/// How to reach Unwrangle and how hard to try. [`UnwrangleConfig::new`] gives the defaults.
#[derive(Clone)]
pub struct UnwrangleConfig {
    /// The getter endpoint, [`DEFAULT_BASE_URL`] unless testing; keep the trailing slash.
    pub base_url: String,
    /// Sent as `Authorization: Token <key>`; never logged.
    pub api_key: String,
    /// Limit for one attempt, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// Retries after the first attempt: a search makes at most `1 + max_retries` requests.
    pub max_retries: u32,
    /// Delay before the first retry; it doubles on each retry up to `retry_max_delay`, and up to
    /// as much again is added as random jitter.
    pub retry_min_delay: Duration,
    pub retry_max_delay: Duration,
    /// How long a search page is served from the cache.
    pub cache_ttl: Duration,
    /// How many search pages the cache keeps (a quarter for pages asked for once, the rest for
    /// pages asked for again: [`SearchCache`]).
    pub cache_capacity: u64,
    /// How long a product seen in search results stays answerable by id.
    pub product_ttl: Duration,
    /// How many products are remembered by id.
    pub product_capacity: u64,
    /// The global budget of upstream requests (every attempt, retries included, costs one
    /// credit); past it a search that misses the cache is answered "busy" without calling
    /// Unwrangle. `None`: no budget.
    pub upstream_budget: Option<governor::Quota>,
    /// The budget of upstream requests of one client (as [`ClientKey`] counts clients), charged
    /// before the global one; past it that client's searches that miss the cache are answered
    /// "busy". `None`: none.
    pub client_budget: Option<governor::Quota>,
    /// Most clients whose budget is tracked at once (the least useful are dropped past it, and
    /// start again with a full budget).
    pub max_clients: u64,
}

impl UnwrangleConfig {
    /// The production settings for this key: 8 s per attempt, 2 retries 200 ms → 2 s apart,
    /// pages cached 5 minutes, products remembered for an hour.
    pub fn new(api_key: impl Into<String>) -> Self {
        UnwrangleConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: api_key.into(),
            timeout: Duration::from_secs(8),
            max_retries: 2,
            retry_min_delay: Duration::from_millis(200),
            retry_max_delay: Duration::from_secs(2),
            cache_ttl: Duration::from_secs(5 * 60),
            cache_capacity: 1_000,
            product_ttl: Duration::from_secs(60 * 60),
            product_capacity: 20_000,
            upstream_budget: None,
            client_budget: None,
            max_clients: 100_000,
        }
    }
}

impl fmt::Debug for UnwrangleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnwrangleConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &REDACTED)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_min_delay", &self.retry_min_delay)
            .field("retry_max_delay", &self.retry_max_delay)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_capacity", &self.cache_capacity)
            .field("product_ttl", &self.product_ttl)
            .field("product_capacity", &self.product_capacity)
            .field("upstream_budget", &self.upstream_budget)
            .field("client_budget", &self.client_budget)
            .field("max_clients", &self.max_clients)
            .finish()
    }
}

/// Why an [`UnwrangleSource`] could not be built. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum UnwrangleInitError {
    #[error("the Unwrangle API key is empty")]
    EmptyApiKey,
    #[error("the Unwrangle API key contains characters that cannot be sent in an HTTP header")]
    InvalidApiKey,
    #[error("the Unwrangle base URL is not an absolute http(s) URL: {0}")]
    InvalidBaseUrl(String),
    #[error("could not build the HTTP client for Unwrangle: {0}")]
    HttpClient(String),
}

/// Target products from the Unwrangle API, with a search cache and a by-id memory.
pub struct UnwrangleSource {
    client: reqwest::Client,
    endpoint: Url,
    /// Kept only to scrub it from upstream text; requests carry it in a default header.
    api_key: String,
    backoff: ExponentialBuilder,
    /// Normalized query text → the upstream page, in upstream order.
    searches: SearchCache<Arc<Vec<Arc<Product>>>>,
    products: Cache<ProductId, Arc<Product>>,
    /// The global budget of upstream requests, if any.
    budget: Option<DirectLimiter>,
    /// Each client's budget of upstream requests, if any.
    client_budget: Option<KeyedLimiter<ClientKey>>,
}

impl fmt::Debug for UnwrangleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnwrangleSource")
            .field("endpoint", &self.endpoint.as_str())
            .field("cached_searches", &self.searches.entry_count())
            .field("known_products", &self.products.entry_count())
            .finish_non_exhaustive()
    }
}

impl UnwrangleSource {
    /// Builds the HTTP client (one per source, connections pooled) and the caches; the budgets
    /// run on the wall clock.
    pub fn new(config: UnwrangleConfig) -> Result<Self, UnwrangleInitError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Like [`UnwrangleSource::new`], the budgets on `clock`'s time (tests move a `ManualClock`).
    pub fn with_clock(config: UnwrangleConfig, clock: Arc<dyn Clock>) -> Result<Self, UnwrangleInitError> {
        let api_key = config.api_key.trim().to_owned();
        if api_key.is_empty() {
            return Err(UnwrangleInitError::EmptyApiKey);
        }
        let endpoint =
            Url::parse(config.base_url.trim()).map_err(|e| UnwrangleInitError::InvalidBaseUrl(e.to_string()))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host().is_none() {
            return Err(UnwrangleInitError::InvalidBaseUrl(format!("scheme {:?} or host missing", endpoint.scheme())));
        }

        let mut authorization =
            HeaderValue::from_str(&format!("Token {api_key}")).map_err(|_| UnwrangleInitError::InvalidApiKey)?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));

        ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("target-mcp-server/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| UnwrangleInitError::HttpClient(error_chain(&e.without_url())))?;

        let backoff = ExponentialBuilder::default()
            .with_min_delay(config.retry_min_delay)
            .with_max_delay(config.retry_max_delay.max(config.retry_min_delay))
            .with_max_times(usize::try_from(config.max_retries).unwrap_or(usize::MAX))
            .with_jitter();

        Ok(UnwrangleSource {
            client,
            endpoint,
            api_key,
            backoff,
            searches: SearchCache::new(config.cache_capacity, config.cache_ttl),
            products: Cache::builder()
                .name("unwrangle-products")
                .max_capacity(config.product_capacity)
                .time_to_live(config.product_ttl)
                .build(),
            budget: config.upstream_budget.map(|quota| limiter::direct(quota, clock.clone())),
            client_budget: config
                .client_budget
                .map(|quota| limiter::keyed(quota, BoundedBuckets::forgetting_idle(config.max_clients, &quota), clock)),
        })
    }

    /// The upstream page for `text`, and whether it came from the cache. Concurrent calls for the
    /// same normalized text share one upstream request, charged to the client whose call made it
    /// (`None`: only the global budget); failures are not cached.
    async fn page(
        &self,
        text: &str,
        client: Option<ClientKey>,
    ) -> Result<(Arc<Vec<Arc<Product>>>, bool), CatalogError> {
        let key = normalize_query(text);
        if key.is_empty() {
            return Ok((Arc::new(Vec::new()), false));
        }
        let (page, cached) =
            self.searches.get_or_try_fetch(&key, self.fetch(&key, client)).await.map_err(|e| e.to_catalog_error())?;
        crate::metrics::unwrangle_cache(cached);
        // Remember (and refresh) every product shown, so a later add-to-cart can find it by id.
        for product in page.iter() {
            self.products.insert(product.id.clone(), product.clone()).await;
        }
        Ok((page, cached))
    }

    /// Asks Unwrangle, retrying what may pass.
    async fn fetch(&self, text: &str, client: Option<ClientKey>) -> Result<Arc<Vec<Arc<Product>>>, FetchError> {
        let result = (|| self.fetch_once(text, client))
            .retry(self.backoff)
            .when(FetchError::is_retryable)
            .notify(|error, delay| {
                warn!(
                    query = text,
                    %error,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "Unwrangle search failed; retrying"
                );
            })
            .await;
        match result {
            Ok(products) => Ok(Arc::new(products.into_iter().map(Arc::new).collect())),
            Err(FetchError::ClientBudgetSpent) => {
                // Expected under a flood: one short line naming the client, not its query text.
                if let Some(client) = client {
                    info!(%client, "Unwrangle: this client's budget is spent for now");
                }
                Err(FetchError::ClientBudgetSpent)
            }
            Err(error) => {
                warn!(query = text, %error, "Unwrangle search failed");
                Err(error)
            }
        }
    }

    /// One request, with any copy of the key scrubbed from the error detail; none when the
    /// client's budget or the global one is spent. The client's is charged first, so a client
    /// over its own budget spends nothing of everybody's.
    async fn fetch_once(&self, text: &str, client: Option<ClientKey>) -> Result<Vec<Product>, FetchError> {
        if let (Some(budgets), Some(client)) = (&self.client_budget, &client)
            && budgets.check_key(client).is_err()
        {
            return Err(FetchError::ClientBudgetSpent);
        }
        if let Some(budget) = &self.budget
            && budget.check().is_err()
        {
            return Err(FetchError::BudgetSpent);
        }
        self.request(text).await.map_err(|e| e.map_detail(|d| redact(d, &self.api_key)))
    }

    async fn request(&self, text: &str) -> Result<Vec<Product>, FetchError> {
        let response = self
            .client
            .get(self.endpoint.clone())
            .query(&[("platform", SEARCH_PLATFORM), ("search", text), ("page", "1")])
            .send()
            .await
            .map_err(FetchError::from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            let body = read_prefix(response, MAX_ERROR_BODY_BYTES).await;
            return Err(FetchError::from_status(status, &body_snippet(&body)));
        }
        let body = read_capped(response, MAX_BODY_BYTES).await?;
        parse_search(&body, text)
    }
}

/// reqwest built with `rustls-no-provider` panics when it builds a client before a rustls crypto
/// provider is installed. The binary installs ring at start; this covers tests and other callers.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[async_trait]
impl ProductSource for UnwrangleSource {
    fn kind(&self) -> DataSource {
        DataSource::Unwrangle
    }

    /// A search charged to no client (only the global budget); requests come through
    /// [`ProductSource::for_client`].
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, CatalogError> {
        self.search_as(query, None).await
    }

    async fn product(&self, id: &ProductId) -> Result<Option<Arc<Product>>, CatalogError> {
        Ok(self.products.get(id).await)
    }

    async fn top_in_category(&self, category: &str, limit: usize) -> Result<Vec<Arc<Product>>, CatalogError> {
        self.top_in_category_as(category, limit, None).await
    }

    fn for_client(self: Arc<Self>, client: ClientKey) -> Arc<dyn ProductSource> {
        Arc::new(ClientView { source: self, client })
    }
}

impl UnwrangleSource {
    async fn search_as(&self, query: &SearchQuery, client: Option<ClientKey>) -> Result<SearchResults, CatalogError> {
        let (page, cached) = self.page(&query.text, client).await?;
        let (total, products) = select(&page, query.max_price, query.sort, query.limit);
        Ok(SearchResults { total, products, cached })
    }

    async fn top_in_category_as(
        &self,
        category: &str,
        limit: usize,
        client: Option<ClientKey>,
    ) -> Result<Vec<Arc<Product>>, CatalogError> {
        let (page, _) = self.page(category, client).await?;
        Ok(select(&page, None, SortOrder::Rating, limit).1)
    }
}

/// The Unwrangle source as one client's requests see it: the same caches, its cache misses
/// charged to that client's budget.
struct ClientView {
    source: Arc<UnwrangleSource>,
    client: ClientKey,
}

#[async_trait]
impl ProductSource for ClientView {
    fn kind(&self) -> DataSource {
        self.source.kind()
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, CatalogError> {
        self.source.search_as(query, Some(self.client)).await
    }

    async fn product(&self, id: &ProductId) -> Result<Option<Arc<Product>>, CatalogError> {
        self.source.product(id).await
    }

    async fn top_in_category(&self, category: &str, limit: usize) -> Result<Vec<Arc<Product>>, CatalogError> {
        self.source.top_in_category_as(category, limit, Some(self.client)).await
    }

    fn for_client(self: Arc<Self>, client: ClientKey) -> Arc<dyn ProductSource> {
        self.source.clone().for_client(client)
    }
}

/// The cache key and the text sent upstream: trimmed, lowercased, inner whitespace collapsed.
fn normalize_query(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Filters by price, orders, counts and truncates a page. Sorts are stable, so ties keep the
/// upstream (relevance) order.
fn select(page: &[Arc<Product>], max_price: Option<Cents>, sort: SortOrder, limit: usize) -> (u32, Vec<Arc<Product>>) {
    let mut matching: Vec<&Arc<Product>> =
        page.iter().filter(|p| max_price.is_none_or(|max| p.price_cents <= max)).collect();
    match sort {
        SortOrder::Relevance => {}
        SortOrder::PriceLow => matching.sort_by_key(|p| p.price_cents),
        SortOrder::PriceHigh => matching.sort_by_key(|p| Reverse(p.price_cents)),
        // Unrated last; among equal ratings, the more reviewed first.
        SortOrder::Rating => matching.sort_by_key(|p| Reverse((p.rating, p.review_count))),
    }
    let total = u32::try_from(matching.len()).unwrap_or(u32::MAX);
    (total, matching.into_iter().take(limit).cloned().collect())
}

// ---------------------------------------------------------------------------------------------
// Errors

/// What went wrong with one search; the `Display` form is the log detail.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("HTTP 429: rate limited")]
    RateLimited,
    /// Our own budget of upstream requests is spent for now; not retried, nothing sent.
    #[error("the upstream request budget is spent for now")]
    BudgetSpent,
    /// This client's share of the upstream requests is spent for now; not retried, nothing sent.
    #[error("this client's upstream request budget is spent for now")]
    ClientBudgetSpent,
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("{0}")]
    Server(String),
    #[error("connection failed: {0}")]
    Connection(String),
    /// 401 and 403: the key is refused or its credits are used up. Retrying cannot help.
    #[error("{0}")]
    Refused(String),
    /// Any other refusal (4xx, a request that could not be built, a `success: false` answer).
    #[error("{0}")]
    Client(String),
    #[error("unreadable answer: {0}")]
    Malformed(String),
}

impl FetchError {
    fn is_retryable(&self) -> bool {
        matches!(
            self,
            FetchError::RateLimited | FetchError::Timeout(_) | FetchError::Server(_) | FetchError::Connection(_)
        )
    }

    fn from_reqwest(error: reqwest::Error) -> Self {
        let timeout = error.is_timeout();
        let decode = error.is_decode();
        let deterministic = error.is_builder() || error.is_redirect();
        // reqwest puts the URL in its messages; ours carries no key, but keep logs short anyway.
        let detail = error_chain(&error.without_url());
        if timeout {
            FetchError::Timeout(detail)
        } else if decode {
            FetchError::Malformed(detail)
        } else if deterministic {
            FetchError::Client(detail)
        } else {
            FetchError::Connection(detail)
        }
    }

    fn from_status(status: StatusCode, body: &str) -> Self {
        let code = status.as_u16();
        match status {
            StatusCode::TOO_MANY_REQUESTS => FetchError::RateLimited,
            StatusCode::REQUEST_TIMEOUT => FetchError::Timeout(format!("HTTP 408: {body}")),
            StatusCode::UNAUTHORIZED => FetchError::Refused(format!("HTTP 401: API key refused: {body}")),
            StatusCode::FORBIDDEN => FetchError::Refused(format!(
                "HTTP 403: Unwrangle credits exhausted (or the key is not allowed): {body}"
            )),
            s if s.is_server_error() => FetchError::Server(format!("HTTP {code}: {body}")),
            _ => FetchError::Client(format!("HTTP {code}: {body}")),
        }
    }

    fn map_detail(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            FetchError::RateLimited => FetchError::RateLimited,
            FetchError::BudgetSpent => FetchError::BudgetSpent,
            FetchError::ClientBudgetSpent => FetchError::ClientBudgetSpent,
            FetchError::Timeout(d) => FetchError::Timeout(f(d)),
            FetchError::Server(d) => FetchError::Server(f(d)),
            FetchError::Connection(d) => FetchError::Connection(f(d)),
            FetchError::Refused(d) => FetchError::Refused(f(d)),
            FetchError::Client(d) => FetchError::Client(f(d)),
            FetchError::Malformed(d) => FetchError::Malformed(f(d)),
        }
    }

    /// The shopper-facing error; the detail travels along for the logs.
    fn to_catalog_error(&self) -> CatalogError {
        match self {
            FetchError::RateLimited | FetchError::BudgetSpent | FetchError::ClientBudgetSpent => {
                CatalogError::RateLimited
            }
            FetchError::Timeout(_) => CatalogError::Timeout,
            FetchError::Malformed(d) => CatalogError::Malformed(d.clone()),
            FetchError::Server(_) | FetchError::Connection(_) | FetchError::Refused(_) | FetchError::Client(_) => {
                CatalogError::Unavailable(self.to_string())
            }
        }
    }
}

/// An error and its sources, `outer: inner: innermost`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.ends_with(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

/// Replaces every copy of the key; upstream error bodies sometimes echo what they were sent.
fn redact(text: String, api_key: &str) -> String {
    if api_key.is_empty() || !text.contains(api_key) { text } else { text.replace(api_key, REDACTED) }
}

/// The start of an error body on one line, for a log detail.
fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut snippet: String = one_line.chars().take(DETAIL_MAX_CHARS).collect();
    if one_line.chars().count() > DETAIL_MAX_CHARS {
        snippet.push('…');
    }
    snippet
}

/// The whole body, refusing one larger than `limit`.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::Malformed(format!("the answer is larger than {limit} bytes"));
    if response.content_length().is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FetchError::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Up to `limit` bytes of the body, ignoring read errors: it is only for a log detail.
async fn read_prefix(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    body
}

// ---------------------------------------------------------------------------------------------
// The response

/// The search answer. Only `results` is required; its items are read one by one.
#[derive(Deserialize)]
struct SearchResponse {
    results: Option<Vec<Value>>,
    success: Option<bool>,
    message: Option<Value>,
    error: Option<Value>,
    remaining_credits: Option<Value>,
    credits_used: Option<Value>,
}

fn parse_search(body: &[u8], query: &str) -> Result<Vec<Product>, FetchError> {
    let response: SearchResponse = serde_json::from_slice(body)
        .map_err(|e| FetchError::Malformed(format!("not the expected JSON ({e}): {}", body_snippet(body))))?;
    let Some(results) = response.results else {
        let reason = [&response.message, &response.error].into_iter().flatten().find_map(text_value);
        return Err(match (response.success, reason) {
            (Some(false), reason) => FetchError::Client(format!(
                "the search was refused: {}",
                reason.unwrap_or_else(|| "no reason given".to_owned())
            )),
            _ => FetchError::Malformed(format!("no `results` array: {}", body_snippet(body))),
        });
    };

    let received = results.len();
    let mut seen = HashSet::new();
    let mut products = Vec::with_capacity(received);
    for raw in results {
        let product = serde_json::from_value::<RawItem>(raw).ok().and_then(RawItem::into_product);
        if let Some(product) = product
            && seen.insert(product.id.clone())
        {
            products.push(product);
        }
    }
    debug!(
        query,
        received,
        kept = products.len(),
        remaining_credits = response.remaining_credits.as_ref().map(tracing::field::display),
        credits_used = response.credits_used.as_ref().map(tracing::field::display),
        "Unwrangle search answered"
    );
    if products.is_empty() && received > 0 {
        // Results came back but none could be read: the format has probably changed. Say so rather
        // than caching an empty page that looks like "nothing found".
        return Err(FetchError::Malformed(format!(
            "none of the {received} results had a usable TCIN, title and price"
        )));
    }
    if products.len() < received {
        debug!(query, skipped = received - products.len(), "skipped unusable or repeated Unwrangle results");
    }
    Ok(products)
}

/// One search result in any of the dialects seen in the wild. Each dialect's name is its own field
/// (rather than a serde alias) so an item carrying both, say, `tcin` and `id` still deserializes;
/// values stay untyped until read, so one odd field cannot reject the item.
#[derive(Default, Deserialize)]
#[serde(default)]
struct RawItem {
    tcin: Option<Value>,
    id: Option<Value>,
    product_id: Option<Value>,
    name: Option<Value>,
    product_name: Option<Value>,
    title: Option<Value>,
    brand: Option<Value>,
    price: Option<Value>,
    current_price: Option<Value>,
    sale_price: Option<Value>,
    regular_price: Option<Value>,
    original_price: Option<Value>,
    list_price: Option<Value>,
    was_price: Option<Value>,
    rating: Option<Value>,
    average_rating: Option<Value>,
    review_count: Option<Value>,
    total_reviews: Option<Value>,
    reviews_count: Option<Value>,
    ratings_total: Option<Value>,
    total_ratings: Option<Value>,
    thumbnail: Option<Value>,
    image: Option<Value>,
    image_url: Option<Value>,
    main_image: Option<Value>,
    images: Option<Value>,
    url: Option<Value>,
    link: Option<Value>,
    product_url: Option<Value>,
    category: Option<Value>,
    in_stock: Option<Value>,
    availability: Option<Value>,
    availability_status: Option<Value>,
}

impl RawItem {
    /// The product, or `None` when the item has no valid TCIN, title or price.
    fn into_product(self) -> Option<Product> {
        let urls = [&self.url, &self.link, &self.product_url];
        let id = first([&self.tcin, &self.id, &self.product_id], product_id_value)
            .or_else(|| first(urls, |v| v.as_str().and_then(tcin_from_url)))?;
        let title = first([&self.name, &self.product_name, &self.title], text_value)?;
        let price_cents = first([&self.price, &self.current_price, &self.sale_price], cents_value)?;
        let regular_price_cents =
            first([&self.regular_price, &self.original_price, &self.list_price, &self.was_price], cents_value)
                .filter(|regular| *regular > price_cents);
        let url = first(urls, product_url_value).unwrap_or_else(|| format!("{TARGET_ORIGIN}/p/-/A-{id}"));
        let review_count = first(
            [&self.review_count, &self.total_reviews, &self.reviews_count, &self.ratings_total, &self.total_ratings],
            count_value,
        );
        Some(Product {
            title,
            brand: self.brand.as_ref().and_then(text_value),
            price_cents,
            regular_price_cents,
            currency: Currency::USD,
            // Unwrangle answers `"rating": 0.0, "total_ratings": 0` for a product nobody rated.
            rating: first([&self.rating, &self.average_rating], rating_value).filter(|_| review_count != Some(0)),
            review_count,
            image_url: first(
                [&self.thumbnail, &self.image, &self.image_url, &self.main_image, &self.images],
                image_value,
            )
            .unwrap_or_default(),
            url,
            in_stock: first([&self.in_stock], flag_value)
                .or_else(|| first([&self.availability, &self.availability_status], availability_value))
                .unwrap_or(true),
            category: self.category.as_ref().and_then(text_value).unwrap_or_else(|| FALLBACK_CATEGORY.to_owned()),
            circle_offer_percent: None,
            id,
        })
    }
}

/// The first field, in order of preference, that is present and reads as a value.
fn first<T, const N: usize>(fields: [&Option<Value>; N], read: impl Fn(&Value) -> Option<T>) -> Option<T> {
    fields.into_iter().flatten().find_map(read)
}

fn product_id_value(value: &Value) -> Option<ProductId> {
    let text = match value {
        Value::Number(n) => n.as_u64()?.to_string(),
        Value::String(s) => {
            let s = s.trim();
            s.strip_prefix("A-").unwrap_or(s).to_owned()
        }
        _ => return None,
    };
    ProductId::parse(text).ok()
}

/// The TCIN in a Target product URL: `…/-/A-12345678…`.
fn tcin_from_url(url: &str) -> Option<ProductId> {
    url.match_indices("/A-").find_map(|(at, marker)| {
        let digits: String = url[at + marker.len()..].chars().take_while(char::is_ascii_digit).collect();
        ProductId::parse(digits).ok()
    })
}

/// A non-empty text, or the `name` of an object like `{"name": "Threshold"}`; entities decoded.
fn text_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let decoded = decode_entities(s.trim());
            let trimmed = decoded.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        }
        Value::Object(map) => ["name", "title", "value"].iter().filter_map(|k| map.get(*k)).find_map(text_value),
        _ => None,
    }
}

/// The highest price taken from upstream ($100,000): above it a result is treated as having no
/// usable price (and skipped), so a garbled or hostile answer cannot push totals toward overflow.
pub const MAX_UPSTREAM_PRICE: Cents = Cents(10_000_000);

/// A positive price up to [`MAX_UPSTREAM_PRICE`]: `12.99`, `"$12.99"`, `"$1,049.50"`, the low
/// end of `"$10 - $20"`, or an object like `{"current_retail": 12.99}`.
fn cents_value(value: &Value) -> Option<Cents> {
    let hundredths = match value {
        Value::Number(n) => parse_hundredths(&n.to_string()),
        Value::String(s) => parse_hundredths(s),
        Value::Object(map) => {
            return ["current_retail", "value", "amount", "price", "formatted_current_price"]
                .iter()
                .filter_map(|k| map.get(*k))
                .find_map(cents_value);
        }
        _ => None,
    }?;
    (hundredths > 0 && hundredths <= MAX_UPSTREAM_PRICE.0).then_some(Cents(hundredths))
}

/// Stars as tenths, rounded half up and clamped to 0..=50: `4.56` → 46, `"4.5 out of 5"` → 45.
fn rating_value(value: &Value) -> Option<Rating> {
    let hundredths = match value {
        Value::Number(n) => parse_hundredths(&n.to_string()),
        Value::String(s) => parse_hundredths(s.split_whitespace().next()?),
        Value::Object(map) => {
            return ["average", "value", "rating"].iter().filter_map(|k| map.get(*k)).find_map(rating_value);
        }
        _ => None,
    }?;
    let tenths = ((hundredths + 5) / 10).min(50);
    Some(Rating(u8::try_from(tenths).ok()?))
}

/// A review count: `120`, `"1,234"`, `"(1,234)"`.
fn count_value(value: &Value) -> Option<u32> {
    let count = match value {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => {
            let token = s.split_whitespace().next()?;
            let digits: String = token.chars().filter(|c| !matches!(c, ',' | '(' | ')')).collect();
            digits.parse::<u64>().ok()?
        }
        _ => return None,
    };
    Some(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The first usable image URL in a string, an `{"url": …}` object or an array of either.
fn image_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => http_url(s),
        Value::Object(map) => {
            ["url", "link", "src", "image", "href"].iter().filter_map(|k| map.get(*k)).find_map(image_value)
        }
        Value::Array(items) => items.iter().find_map(image_value),
        _ => None,
    }
}

/// A product page URL; paths like `/p/…` are on target.com.
fn product_url_value(value: &Value) -> Option<String> {
    let s = value.as_str()?.trim();
    if s.starts_with('/') && !s.starts_with("//") { http_url(&format!("{TARGET_ORIGIN}{s}")) } else { http_url(s) }
}

/// An absolute http(s) URL, normalized; protocol-relative `//host/…` becomes https.
fn http_url(text: &str) -> Option<String> {
    let text = text.trim();
    let absolute = match text.strip_prefix("//") {
        Some(rest) => format!("https://{rest}"),
        None => text.to_owned(),
    };
    let url = Url::parse(&absolute).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then(|| url.into())
}

/// `in_stock`: a boolean, 0/1, or words.
fn flag_value(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => availability_value(value),
        },
        _ => None,
    }
}

/// `availability`: "In Stock", "IN_STOCK", "Out of Stock", "UNAVAILABLE", "sold out"…
fn availability_value(value: &Value) -> Option<bool> {
    let text = match value {
        Value::String(s) => s.to_ascii_lowercase().replace(['_', '-'], " "),
        Value::Bool(b) => return Some(*b),
        _ => return None,
    };
    const OUT: [&str; 5] = ["out of stock", "unavailable", "sold out", "not available", "discontinued"];
    const IN: [&str; 4] = ["in stock", "available", "limited stock", "low stock"];
    if OUT.iter().any(|w| text.contains(w)) {
        Some(false)
    } else if IN.iter().any(|w| text.contains(w)) {
        Some(true)
    } else {
        None
    }
}

/// A non-negative decimal in hundredths, from its text: `"12.99"` → 1299, `"$1,049.5"` → 104950,
/// `"12"` → 1200; a third decimal rounds half up. Takes the low end of a range (`"$10 - $20"`).
/// Refuses signs, exponents and anything else, so a float's text never goes through float maths.
fn parse_hundredths(text: &str) -> Option<i64> {
    let s = text.trim();
    let s = s.strip_prefix("USD").unwrap_or(s).trim_start();
    let s = s.strip_prefix('$').unwrap_or(s).trim();
    let s = match s.find(['-', '–']) {
        Some(0) => return None,
        Some(at) => s[..at].trim_end(),
        None => s,
    };
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let whole: String = whole.chars().filter(|c| *c != ',').collect();
    if (whole.is_empty() && fraction.is_empty())
        || whole.len() > 12
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let digit = |i: usize| fraction.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    let round_up = i64::from(digit(2) >= 5);
    Some(whole * 100 + digit(0) * 10 + digit(1) + round_up)
}

/// Decodes the HTML entities Target titles carry (`&#38;`, `&amp;`, `&#8482;`, `&quot;`…).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // An entity is at most 10 characters between `&` and `;`.
        let semicolon = rest[1..].char_indices().take(11).find(|&(_, c)| c == ';').map(|(at, _)| at);
        let decoded = semicolon.and_then(|end| {
            let name = &rest[1..1 + end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::future::Future;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use axum::Router;
    use axum::extract::RawQuery;
    use axum::http::HeaderMap as AxumHeaders;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use serde_json::json;

    use super::*;

    const KEY: &str = "uw-test-key-5ecret";

    /// What the fake Unwrangle saw.
    #[derive(Default)]
    struct Upstream {
        hits: AtomicUsize,
        requests: Mutex<Vec<Seen>>,
    }

    #[derive(Clone, Debug)]
    struct Seen {
        query: String,
        authorization: Option<String>,
    }

    impl Upstream {
        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
        fn requests(&self) -> Vec<Seen> {
            self.requests.lock().unwrap().clone()
        }
    }

    /// A fake Unwrangle on 127.0.0.1; `respond` gets the 1-based hit number. Returns its base URL.
    async fn upstream<F, Fut>(respond: F) -> (Arc<Upstream>, String)
    where
        F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let state = Arc::new(Upstream::default());
        let seen = state.clone();
        let app = Router::new().route(
            "/api/getter/",
            get(move |headers: AxumHeaders, RawQuery(query): RawQuery| {
                let seen = seen.clone();
                let respond = respond.clone();
                async move {
                    let hit = seen.hits.fetch_add(1, Ordering::SeqCst) + 1;
                    seen.requests.lock().unwrap().push(Seen {
                        query: query.unwrap_or_default(),
                        authorization: headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()),
                    });
                    respond(hit).await
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (state, format!("http://{addr}/api/getter/"))
    }

    fn ok_json(body: Value) -> Response {
        axum::Json(body).into_response()
    }

    fn status(code: u16, body: &'static str) -> Response {
        (axum::http::StatusCode::from_u16(code).unwrap(), body).into_response()
    }

    /// Fast retries, a generous per-attempt timeout.
    fn config(base_url: String) -> UnwrangleConfig {
        UnwrangleConfig {
            base_url,
            timeout: Duration::from_secs(5),
            retry_min_delay: Duration::from_millis(1),
            retry_max_delay: Duration::from_millis(4),
            ..UnwrangleConfig::new(KEY)
        }
    }

    fn source(base_url: String) -> UnwrangleSource {
        UnwrangleSource::new(config(base_url)).unwrap()
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery { text: text.into(), limit: 48, sort: SortOrder::Relevance, max_price: None }
    }

    fn id(tcin: &str) -> ProductId {
        ProductId::parse(tcin).unwrap()
    }

    fn ids(products: &[Arc<Product>]) -> Vec<&str> {
        products.iter().map(|p| p.id.as_str()).collect()
    }

    fn mixed_dialects() -> Value {
        json!({
            "results": [
                {
                    "tcin": "12345678", "name": "Desk Lamp", "brand": "Room Essentials", "price": 12.99,
                    "rating": 4.56, "review_count": 120,
                    "thumbnail": "https://target.scene7.com/is/image/Target/GUEST_aaa",
                    "url": "https://www.target.com/p/desk-lamp/-/A-12345678",
                    "category": "Lighting", "in_stock": true
                },
                {
                    "id": 87654321, "product_name": "Arc Floor Lamp &#38; Shade",
                    "brand": {"name": "Threshold&#8482;"}, "price": "$1,049.50", "regular_price": "$1,199.99",
                    "rating": "4", "total_reviews": "1,234",
                    "images": ["//target.scene7.com/is/image/Target/GUEST_bbb",
                               "https://target.scene7.com/is/image/Target/GUEST_ccc"],
                    "availability": "Out of Stock"
                },
                {
                    "link": "/p/clip-lamp/-/A-55556666", "title": "Clip Lamp", "price": "12", "rating": 7.2,
                    "image": {"url": "https://target.scene7.com/is/image/Target/GUEST_ddd"},
                    "availability": "IN_STOCK", "regular_price": 9.99
                },
                {"tcin": "abc", "name": "Bad TCIN", "price": 5},
                {"tcin": "22223333", "name": "No price", "price": "See price in cart"},
                {"tcin": "33334444", "name": "Free?", "price": 0},
                {"tcin": "44445555", "price": 3.5},
                "not an object",
                {"tcin": "12345678", "name": "Desk Lamp again", "price": 1.0}
            ],
            "remaining_credits": 4980
        })
    }

    #[tokio::test]
    async fn converts_both_dialects_and_skips_unusable_items() {
        let (up, base) = upstream(|_| async { ok_json(mixed_dialects()) }).await;
        let found = source(base).search(&query("lamp")).await.unwrap();

        let expected = vec![
            Product {
                id: id("12345678"),
                title: "Desk Lamp".into(),
                brand: Some("Room Essentials".into()),
                price_cents: Cents(1299),
                regular_price_cents: None,
                currency: Currency::USD,
                rating: Some(Rating(46)),
                review_count: Some(120),
                image_url: "https://target.scene7.com/is/image/Target/GUEST_aaa".into(),
                url: "https://www.target.com/p/desk-lamp/-/A-12345678".into(),
                in_stock: true,
                category: "Lighting".into(),
                circle_offer_percent: None,
            },
            Product {
                id: id("87654321"),
                title: "Arc Floor Lamp & Shade".into(),
                brand: Some("Threshold™".into()),
                price_cents: Cents(104_950),
                regular_price_cents: Some(Cents(119_999)),
                currency: Currency::USD,
                rating: Some(Rating(40)),
                review_count: Some(1234),
                image_url: "https://target.scene7.com/is/image/Target/GUEST_bbb".into(),
                url: "https://www.target.com/p/-/A-87654321".into(),
                in_stock: false,
                category: "Target".into(),
                circle_offer_percent: None,
            },
            Product {
                id: id("55556666"),
                title: "Clip Lamp".into(),
                brand: None,
                price_cents: Cents(1200),
                // 9.99 is below the price: not a sale.
                regular_price_cents: None,
                currency: Currency::USD,
                rating: Some(Rating(50)),
                review_count: None,
                image_url: "https://target.scene7.com/is/image/Target/GUEST_ddd".into(),
                url: "https://www.target.com/p/clip-lamp/-/A-55556666".into(),
                in_stock: true,
                category: "Target".into(),
                circle_offer_percent: None,
            },
        ];
        assert_eq!(found.products, expected.into_iter().map(Arc::new).collect::<Vec<_>>());
        assert_eq!(found.total, 3);
        assert!(!found.cached);
        assert_eq!(up.hits(), 1);
    }

    #[tokio::test]
    async fn the_upstream_budget_caps_cache_misses_and_cached_pages_still_answer() {
        let (up, base) = upstream(|_| async { ok_json(json!({"results": []})) }).await;
        // Two requests an hour: the test cannot outlast a refill.
        let budget = governor::Quota::per_hour(std::num::NonZeroU32::new(2).unwrap());
        let src = UnwrangleSource::new(UnwrangleConfig { upstream_budget: Some(budget), ..config(base) }).unwrap();
        src.search(&query("lamp")).await.unwrap();
        src.search(&query("desk")).await.unwrap();
        // A flood of one-off queries: each misses the cache and none reaches Unwrangle.
        for n in 0..20 {
            let err = src.search(&query(&format!("random {n}"))).await.unwrap_err();
            assert!(matches!(err, CatalogError::RateLimited), "{err:?}");
        }
        assert_eq!(up.hits(), 2, "the credits spent are the budget's, no more");
        assert!(src.search(&query("lamp")).await.unwrap().cached, "a cached page is still served");
    }

    fn client(ip: &str) -> ClientKey {
        ClientKey::of(ip.parse().unwrap())
    }

    #[tokio::test]
    async fn one_client_spends_only_its_own_budget_and_cached_pages_still_answer() {
        let (up, base) = upstream(|_| async { ok_json(json!({"results": []})) }).await;
        let clock = Arc::new(crate::clock::ManualClock::new(chrono::Utc::now()));
        let per_client = governor::Quota::per_minute(std::num::NonZeroU32::new(2).unwrap());
        let config = UnwrangleConfig { client_budget: Some(per_client), ..config(base) };
        let src = Arc::new(UnwrangleSource::with_clock(config, clock.clone()).unwrap());
        let greedy = src.clone().for_client(client("2001:db8:1:2::1"));
        // Another address of the same /64 is the same client.
        let greedy_again = src.clone().for_client(client("2001:db8:1:2::ffff"));
        let other = src.clone().for_client(client("192.0.2.7"));

        greedy.search(&query("lamp")).await.unwrap();
        greedy_again.search(&query("desk")).await.unwrap();
        for n in 0..10 {
            let err = greedy.search(&query(&format!("random {n}"))).await.unwrap_err();
            assert!(matches!(err, CatalogError::RateLimited), "{err:?}");
            assert!(err.to_string().contains("busy"), "{err}");
        }
        assert_eq!(up.hits(), 2, "past its budget the client costs no upstream call");
        assert!(greedy.search(&query("lamp")).await.unwrap().cached, "its cached pages still answer");
        let theirs = other.search(&query("chair")).await.unwrap();
        assert!(!theirs.cached, "another client still reaches Unwrangle");
        assert_eq!(up.hits(), 3);

        clock.advance(chrono::Duration::seconds(30));
        assert!(!greedy.search(&query("random 0")).await.unwrap().cached, "one call back after half a minute");
        assert!(greedy.search(&query("random 1")).await.is_err());
        assert_eq!(up.hits(), 4);
    }

    #[tokio::test]
    async fn hot_pages_survive_a_flood_of_one_off_queries() {
        let (up, base) = upstream(|_| async { ok_json(json!({"results": []})) }).await;
        let capacity = 32;
        let src = UnwrangleSource::new(UnwrangleConfig { cache_capacity: capacity, ..config(base) }).unwrap();
        // Shoppers keep asking for the same few things.
        let hot = ["desk lamp", "towels", "coffee maker"];
        for _ in 0..5 {
            for text in hot {
                src.search(&query(text)).await.unwrap();
            }
        }
        assert_eq!(up.hits(), hot.len());
        // Then somebody floods the search with queries nobody will ask again, ten times as many
        // as the cache holds.
        let flood = usize::try_from(capacity).unwrap() * 10;
        for n in 0..flood {
            src.search(&query(&format!("random {n} {}", n * 7919))).await.unwrap();
            if n % 64 == 0 {
                src.searches.run_pending_tasks().await;
            }
        }
        src.searches.run_pending_tasks().await;
        assert_eq!(up.hits(), hot.len() + flood);
        assert!(src.searches.entry_count() <= capacity, "{} pages kept", src.searches.entry_count());
        for text in hot {
            let again = src.search(&query(text)).await.unwrap();
            assert!(again.cached, "{text:?} was evicted by the flood");
        }
        assert_eq!(up.hits(), hot.len() + flood, "no new upstream call for the hot pages");
    }

    #[tokio::test]
    async fn sends_the_key_as_a_header_and_never_in_the_url() {
        let (up, base) = upstream(|_| async { ok_json(json!({"results": []})) }).await;
        let found = source(base).search(&query("  Desk   LAMP ")).await.unwrap();
        assert_eq!(found.total, 0);

        let requests = up.requests();
        assert_eq!(requests.len(), 1);
        let seen = &requests[0];
        assert_eq!(seen.authorization.as_deref(), Some(format!("Token {KEY}").as_str()));
        assert!(!seen.query.contains(KEY), "{}", seen.query);
        assert!(!seen.query.contains("api_key"), "{}", seen.query);
        let mut pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(seen.query.as_bytes()).into_owned().collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("page".into(), "1".into()),
                ("platform".into(), "target_search".into()),
                ("search".into(), "desk lamp".into())
            ]
        );
    }

    #[tokio::test]
    async fn retries_a_429_then_succeeds() {
        let (up, base) =
            upstream(|hit| async move { if hit == 1 { status(429, "slow down") } else { ok_json(mixed_dialects()) } })
                .await;
        let found = source(base).search(&query("lamp")).await.unwrap();
        assert_eq!(found.total, 3);
        assert_eq!(up.hits(), 2);
    }

    #[tokio::test]
    async fn a_429_that_persists_is_rate_limited() {
        let (up, base) = upstream(|_| async { status(429, "slow down") }).await;
        let err = source(base).search(&query("lamp")).await.unwrap_err();
        assert!(matches!(err, CatalogError::RateLimited), "{err:?}");
        assert_eq!(up.hits(), 3);
    }

    #[tokio::test]
    async fn a_failing_server_is_unavailable_after_all_retries_and_not_cached() {
        let (up, base) = upstream(|_| async { status(500, "boom") }).await;
        let source = source(base);
        let err = source.search(&query("lamp")).await.unwrap_err();
        match &err {
            CatalogError::Unavailable(detail) => assert!(detail.contains("HTTP 500: boom"), "{detail}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        assert_eq!(up.hits(), 3, "1 attempt + max_retries (2)");

        // Failures are not cached: the next search asks again.
        assert!(source.search(&query("lamp")).await.is_err());
        assert_eq!(up.hits(), 6);
    }

    #[tokio::test]
    async fn exhausted_credits_are_not_retried_and_the_key_is_scrubbed() {
        let (up, base) = upstream(|_| async { status(403, "Credits exhausted for key uw-test-key-5ecret") }).await;
        let err = source(base).search(&query("lamp")).await.unwrap_err();
        let CatalogError::Unavailable(detail) = &err else { panic!("expected Unavailable, got {err:?}") };
        assert!(detail.contains("HTTP 403") && detail.contains("credits exhausted"), "{detail}");
        assert!(detail.contains("[redacted]"), "{detail}");
        assert!(!format!("{err:?} {err}").contains(KEY));
        assert_eq!(up.hits(), 1);
    }

    #[tokio::test]
    async fn other_client_errors_are_not_retried() {
        let (up, base) = upstream(|_| async { status(404, "no such platform") }).await;
        let err = source(base).search(&query("lamp")).await.unwrap_err();
        assert!(matches!(&err, CatalogError::Unavailable(d) if d.contains("HTTP 404")), "{err:?}");
        assert_eq!(up.hits(), 1);
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_malformed() {
        let (up, base) = upstream(|_| async { status(200, "<html>oops</html>") }).await;
        let err = source(base).search(&query("lamp")).await.unwrap_err();
        assert!(matches!(err, CatalogError::Malformed(_)), "{err:?}");
        assert_eq!(up.hits(), 1, "a malformed answer is not retried");
    }

    #[tokio::test]
    async fn json_of_the_wrong_shape_is_malformed() {
        for body in [json!({"results": "nope"}), json!([1, 2]), json!({"remaining_credits": 10})] {
            let (_, base) = upstream(move |_| {
                let body = body.clone();
                async move { ok_json(body) }
            })
            .await;
            let err = source(base).search(&query("lamp")).await.unwrap_err();
            assert!(matches!(err, CatalogError::Malformed(_)), "{err:?}");
        }
    }

    #[tokio::test]
    async fn results_none_of_which_can_be_read_are_malformed() {
        let (_, base) = upstream(|_| async { ok_json(json!({"results": [{"foo": 1}, {"tcin": "x"}]})) }).await;
        let err = source(base).search(&query("lamp")).await.unwrap_err();
        assert!(matches!(err, CatalogError::Malformed(_)), "{err:?}");
    }

    #[tokio::test]
    async fn an_upstream_that_never_answers_times_out_in_bounded_time() {
        let (up, base) = upstream(|_| std::future::pending::<Response>()).await;
        let source =
            UnwrangleSource::new(UnwrangleConfig { timeout: Duration::from_millis(200), ..config(base) }).unwrap();
        let started = Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(10), source.search(&query("lamp"))).await;
        let result = outcome.expect("the search must end by itself, well within 10 s");
        assert!(matches!(result, Err(CatalogError::Timeout)), "{result:?}");
        assert_eq!(up.hits(), 3);
        assert!(started.elapsed() >= Duration::from_millis(600), "three attempts of 200 ms each");
    }

    #[tokio::test]
    async fn an_identical_search_is_served_from_the_cache() {
        let (up, base) = upstream(|_| async { ok_json(mixed_dialects()) }).await;
        let source = source(base);
        let first = source.search(&query("Desk Lamp")).await.unwrap();
        let second = source.search(&query("  desk   LAMP ")).await.unwrap();
        assert!(!first.cached);
        assert!(second.cached);
        assert_eq!(first.products, second.products);
        assert_eq!(up.hits(), 1);

        // Another text is another upstream request.
        assert!(!source.search(&query("desk lamps")).await.unwrap().cached);
        assert_eq!(up.hits(), 2);
    }

    #[tokio::test]
    async fn concurrent_identical_searches_share_one_request() {
        let (up, base) = upstream(|_| async { ok_json(mixed_dialects()) }).await;
        let source = source(base);
        // join_all polls every search before the first can get its answer, so the ten overlap.
        let searches = (0..10).map(|i| {
            let source = &source;
            async move { source.search(&query(if i % 2 == 0 { "lamp" } else { " LAMP " })).await }
        });
        let results = futures::future::join_all(searches).await;
        assert_eq!(up.hits(), 1);
        let fetched = results.iter().filter(|r| !r.as_ref().unwrap().cached).count();
        assert_eq!(fetched, 1, "exactly one search fetched; the others waited for it");
        assert!(results.iter().all(|r| r.as_ref().unwrap().total == 3));
    }

    #[tokio::test]
    async fn products_seen_in_a_search_are_known_by_id() {
        let (up, base) = upstream(|_| async { ok_json(mixed_dialects()) }).await;
        let source = source(base);
        assert_eq!(source.product(&id("87654321")).await.unwrap(), None);
        let found = source.search(&query("lamp")).await.unwrap();
        let lamp = source.product(&id("87654321")).await.unwrap().unwrap();
        assert_eq!(&lamp, &found.products[1]);
        assert_eq!(source.product(&id("99999999")).await.unwrap(), None);
        assert_eq!(up.hits(), 1, "no detail request");
    }

    fn four_products() -> Value {
        json!({"results": [
            {"tcin": "10000001", "name": "A", "price": 30.0, "rating": 4.0, "review_count": 10},
            {"tcin": "10000002", "name": "B", "price": "$10.00", "rating": 4.8, "review_count": 5},
            {"tcin": "10000003", "name": "C", "price": "20"},
            {"tcin": "10000004", "name": "D", "price": 50, "rating": 4.8, "review_count": 50}
        ]})
    }

    #[tokio::test]
    async fn price_filter_sort_and_limit_apply_to_the_cached_page() {
        let (up, base) = upstream(|_| async { ok_json(four_products()) }).await;
        let source = source(base);
        let search = |sort, limit, max_price| {
            let q = SearchQuery { text: "lamps".into(), limit, sort, max_price };
            let source = &source;
            async move { source.search(&q).await.unwrap() }
        };

        let r = search(SortOrder::Relevance, 10, None).await;
        assert_eq!((r.total, ids(&r.products)), (4, vec!["10000001", "10000002", "10000003", "10000004"]));
        let r = search(SortOrder::PriceLow, 2, Some(Cents(3000))).await;
        assert_eq!((r.total, ids(&r.products)), (3, vec!["10000002", "10000003"]));
        let r = search(SortOrder::PriceHigh, 10, None).await;
        assert_eq!(ids(&r.products), ["10000004", "10000001", "10000003", "10000002"]);
        let r = search(SortOrder::Rating, 10, None).await;
        assert_eq!(ids(&r.products), ["10000004", "10000002", "10000001", "10000003"]);
        let r = search(SortOrder::Relevance, 10, Some(Cents(999))).await;
        assert_eq!((r.total, r.products.len()), (0, 0));

        let top = source.top_in_category("Lamps", 2).await.unwrap();
        assert_eq!(ids(&top), ["10000004", "10000002"]);
        assert_eq!(up.hits(), 1, "every call above used the one cached page");
    }

    #[tokio::test]
    async fn construction_checks_its_inputs_and_debug_hides_the_key() {
        let config = config("http://127.0.0.1:1/api/getter/".into());
        assert!(!format!("{config:?}").contains(KEY));
        let source = UnwrangleSource::new(config.clone()).unwrap();
        assert!(!format!("{source:?}").contains(KEY));
        assert_eq!(source.kind(), DataSource::Unwrangle);

        let with = |f: fn(&mut UnwrangleConfig)| {
            let mut c = config.clone();
            f(&mut c);
            UnwrangleSource::new(c).unwrap_err()
        };
        assert!(matches!(with(|c| c.api_key = "  ".into()), UnwrangleInitError::EmptyApiKey));
        assert!(matches!(with(|c| c.api_key = "bad\nkey".into()), UnwrangleInitError::InvalidApiKey));
        assert!(matches!(with(|c| c.base_url = "ftp://example.com/".into()), UnwrangleInitError::InvalidBaseUrl(_)));
        assert!(matches!(with(|c| c.base_url = "not a url".into()), UnwrangleInitError::InvalidBaseUrl(_)));

        let defaults = UnwrangleConfig::new("k");
        assert_eq!(defaults.base_url, DEFAULT_BASE_URL);
        assert_eq!(defaults.timeout, Duration::from_secs(8));
        assert_eq!(defaults.max_retries, 2);
        assert_eq!(defaults.cache_ttl, Duration::from_secs(300));
    }

    /// A real `platform=target_search` answer, trimmed to four results (each result's fields kept,
    /// its `images` and `features` shortened): `Target_output.json` of the public repository
    /// `Guccihuffington/Price_Charter_Demo` (commit 1b3cc0a), saved from the API by a Python
    /// client. Unwrangle's help pages document the request, not the answer's fields.
    const RECORDED_SEARCH: &str = include_str!("../../tests/fixtures/unwrangle/target_search_laptop.json");

    #[test]
    fn a_recorded_unwrangle_answer_parses_field_by_field() {
        let laptop =
            |id_: &str, title: &str, price: i64, rating: Option<u8>, reviews: u32, image: &str, url: &str| Product {
                id: id(id_),
                title: title.into(),
                brand: Some(if title.contains("Lenovo") { "Lenovo" } else { "HP Inc." }.into()),
                price_cents: Cents(price),
                regular_price_cents: None,
                currency: Currency::USD,
                rating: rating.map(Rating),
                review_count: Some(reviews),
                image_url: format!("https://target.scene7.com/is/image/Target/GUEST_{image}"),
                url: format!("https://www.target.com/p/{url}"),
                in_stock: true,
                category: FALLBACK_CATEGORY.into(),
                circle_offer_percent: None,
            };
        let expected = vec![
            laptop(
                "1004936222",
                "HP 255 G10 Laptop, 15.6\" FHD, Ryzen 5 7530U, Radeon Graphics, 32GB RAM, 1TB SSD, Wi-Fi 6, Windows 11 Pro, Silver",
                56_899,
                Some(45),
                8,
                "c78052bb-500b-4382-8e97-5084c90e04d8",
                "hp-255-g10-laptop-15-6-fhd-ryzen-5-7530u-radeon-graphics-32gb-ram-1tb-ssd-wi-fi-6-windows-11-pro-silver/-/A-1004936222",
            ),
            // `"rating": 0.0` with `"total_ratings": 0`: not rated, rather than rated zero stars.
            laptop(
                "1004642278",
                "HP Essential 17t-cn300 Laptop – 17.3\" HD+ Touch, i7-1355U, 64GB RAM, 2TB SSD, Iris Xe Graphics, Wi-Fi 6, Windows 11 Home, Silver",
                100,
                None,
                0,
                "2875778e-fd67-47cf-9401-273853872b75",
                "hp-essential-17t-cn300-laptop-17-3-hd-touch-i7-1355u-64gb-ram-2tb-ssd-iris-xe-graphics-wi-fi-6-windows-11-home-silver/-/A-1004642278",
            ),
            laptop(
                "1003474299",
                "HP Chromebook 14” HD Laptop, Intel Celeron N4500, 4GB RAM, 64GB eMMC, Chrome OS",
                19_999,
                Some(47),
                3,
                "990e1cf5-975e-4e2e-8564-eed5cbc49c8f",
                "hp-chromebook-14-hd-laptop-intel-celeron-n4500-4gb-ram-64gb-emmc-chrome-os/-/A-1003474299",
            ),
            laptop(
                "92584192",
                "Refurbished: Lenovo IP Slim 3 14M868 14\" 2023 Laptop  Kompanio 520 4GB RAM 64GB eMMC ChromeOS - Manufacturer Refurbished",
                13_999,
                Some(38),
                17,
                "b73f50df-a2a4-46c8-a3ef-ff7ca97502ea",
                "lenovo-ip-slim-3-14m868-14-laptop-arm-kompanio-520-4gb-ram-64gb-emmc-chrome-os-manufacturer-refurbished/-/A-92584192",
            ),
        ];
        let found = parse_search(RECORDED_SEARCH.as_bytes(), "laptop").expect("the recorded answer parses");
        assert_eq!(found, expected);
    }

    #[test]
    fn prices_parse_as_decimals() {
        let cases = [
            ("12.99", Some(1299)),
            ("$12.99", Some(1299)),
            ("12", Some(1200)),
            ("$1,049.5", Some(104_950)),
            (" USD 7.05 ", Some(705)),
            ("0.1", Some(10)),
            (".99", Some(99)),
            ("12.995", Some(1300)),
            ("12.994", Some(1299)),
            ("$10.00 - $20.00", Some(1000)),
            ("-5", None),
            ("1e3", None),
            ("See price in cart", None),
            ("", None),
            ("$", None),
            ("9999999999999.00", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_hundredths(text), expected, "{text:?}");
        }
        // Numbers go through their shortest decimal text, not float arithmetic.
        for (number, cents) in [(json!(12.99), 1299), (json!(0.29), 29), (json!(1.005), 101), (json!(19), 1900)] {
            assert_eq!(cents_value(&number), Some(Cents(cents)), "{number}");
        }
        assert_eq!(cents_value(&json!({"current_retail": 4.5})), Some(Cents(450)));
        assert_eq!(cents_value(&json!(0)), None);
        assert_eq!(cents_value(&json!(-3.5)), None);
        assert_eq!(cents_value(&json!("$100,000.00")), Some(MAX_UPSTREAM_PRICE), "the cap itself is a price");
        assert_eq!(cents_value(&json!("$100,000.01")), None, "above the cap is no usable price");
        assert_eq!(cents_value(&json!(999_999_999_999.0)), None);
    }

    #[test]
    fn ratings_become_clamped_tenths() {
        let cases = [
            (json!(4.56), Some(46)),
            (json!(4.54), Some(45)),
            (json!(5), Some(50)),
            (json!(9.1), Some(50)),
            (json!(0), Some(0)),
            (json!("4.5 out of 5"), Some(45)),
            (json!({"average": 3.25}), Some(33)),
            (json!(-1), None),
            (json!("n/a"), None),
            (json!(null), None),
        ];
        for (value, expected) in cases {
            assert_eq!(rating_value(&value), expected.map(Rating), "{value}");
        }
    }

    #[test]
    fn small_readers() {
        assert_eq!(normalize_query("  Desk \t LAMP\n"), "desk lamp");
        assert_eq!(decode_entities("Tom &amp; Jerry&#39;s &#x2122; &bogus; & co"), "Tom & Jerry's ™ &bogus; & co");
        assert_eq!(tcin_from_url("https://www.target.com/p/x/-/A-12345678#lnk=sametab"), Some(id("12345678")));
        assert_eq!(tcin_from_url("https://www.target.com/p/x/-/A-12"), None);
        assert_eq!(product_id_value(&json!("A-12345678")), Some(id("12345678")));
        assert_eq!(count_value(&json!("(1,234)")), Some(1234));
        assert_eq!(availability_value(&json!("UNAVAILABLE")), Some(false));
        assert_eq!(availability_value(&json!("Only a few left")), None);
        assert_eq!(flag_value(&json!("false")), Some(false));
        assert_eq!(
            image_value(&json!([{"src": "javascript:alert(1)"}, "//cdn.example/i.jpg"])),
            Some("https://cdn.example/i.jpg".into())
        );
    }
}
