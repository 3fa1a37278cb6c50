//! What every handler shares: configuration, the store, the product source, accounts, the clock,
//! pricing rules and the widget templates. Cheap to clone.

use std::sync::Arc;

use crate::catalog::ProductSource;
use crate::catalog::embedded::EmbeddedCatalog;
use crate::clock::Clock;
use crate::config::Config;
use crate::identity::accounts::Accounts;
use crate::identity::shopper::AccountIds;
use crate::identity::token::TokenVerifier;
use crate::mcp::product_json::ProductJson;
use crate::pricing::PricingRules;
use crate::store::Store;
use crate::widgets::{WidgetCsp, WidgetTemplates};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// Where searches go: the embedded catalog or Unwrangle.
    pub products: Arc<dyn ProductSource>,
    /// The embedded catalog, always loaded: it serves the product images.
    pub catalog: Arc<EmbeddedCatalog>,
    /// The embedded catalog's records and summaries as JSON, written once (for direct-path answers).
    pub product_json: Arc<ProductJson>,
    pub accounts: Accounts,
    /// Checks the bearer tokens of the MCP endpoints (built-in or external issuer).
    pub verifier: Arc<dyn TokenVerifier>,
    /// Derives linked accounts' session ids.
    pub account_ids: AccountIds,
    pub clock: Arc<dyn Clock>,
    pub pricing: PricingRules,
    pub widgets: Arc<WidgetTemplates>,
    pub csp: Arc<WidgetCsp>,
}
