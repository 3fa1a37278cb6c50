//! Product data: the [`ProductSource`] trait and its two implementations, the embedded catalog
//! (default) and the Unwrangle Target API (when `UNWRANGLE_API_KEY` is set).

pub mod embedded;
pub mod images;
pub mod ranking;
pub mod search_cache;
pub mod unwrangle;

use std::sync::Arc;

use async_trait::async_trait;
use shared::ids::ProductId;
use shared::money::Cents;
use shared::product::{DataSource, Product, SortOrder};

use crate::http::client_ip::ClientKey;

/// A search as the sources see it: already validated and defaulted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    pub text: String,
    pub limit: usize,
    pub sort: SortOrder,
    pub max_price: Option<Cents>,
}

/// What a source found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// How many products matched, before `limit`.
    pub total: u32,
    /// At most `limit` products, in the requested order, shared with the source's records.
    pub products: Vec<Arc<Product>>,
    /// Whether the answer came from a cache rather than the upstream.
    pub cached: bool,
}

/// Why a source could not answer. Messages are for shoppers; details go to the logs.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("Target's product search is busy right now; please try again in a minute")]
    RateLimited,
    #[error("Target's product search did not answer in time; please try again")]
    Timeout,
    #[error("Target's product search is unavailable right now; please try again later")]
    Unavailable(String),
    #[error("Target's product search sent an answer we could not read; please try again later")]
    Malformed(String),
}

/// Where products come from.
#[async_trait]
pub trait ProductSource: Send + Sync {
    /// Which source this is, reported to the shopper as `source`.
    fn kind(&self) -> DataSource;

    /// Products matching a text query, filtered by `max_price`, ordered by `sort`, at most `limit`.
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, CatalogError>;

    /// One product by id; `Ok(None)` when the source does not know it.
    async fn product(&self, id: &ProductId) -> Result<Option<Arc<Product>>, CatalogError>;

    /// Best-rated products of a category (case-insensitive), for recommendations.
    async fn top_in_category(&self, category: &str, limit: usize) -> Result<Vec<Arc<Product>>, CatalogError>;

    /// This source as it serves one client's requests (`client`: the client as rate limits key
    /// it). A source with per-client limits (Unwrangle's budget of upstream calls) answers a
    /// view that charges that client; the others answer themselves. The MCP handler asks for it
    /// once per request (`TargetMcp::with_client`), so the tools need not know.
    fn for_client(self: Arc<Self>, client: ClientKey) -> Arc<dyn ProductSource>;
}
