//! What a tool result carries for its widget only, in `_meta` (hidden from the model).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::product::Product;

/// The `_meta` key under which the server puts [`WidgetMeta`].
pub const WIDGET_META_KEY: &str = "target/widget";

/// The `_meta` key under which an `isError` result repeats its message as [`ErrorMeta`]: hosts
/// that hand the widget only `structuredContent` and `_meta` (ChatGPT's `window.openai`) would
/// otherwise leave it waiting for a result that never comes.
pub const ERROR_META_KEY: &str = "target/error";

/// The shopper-readable message of a failed tool call, for its widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorMeta {
    pub message: String,
}

/// The demo account a server running with its embedded demo accounts names on the sign-in form
/// (their documented credentials; a server with its own accounts file names none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
}

/// Widget-only data of a tool result: full product records (images, ratings, links) for every
/// product the `structuredContent` mentions, and a version that orders results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetMeta {
    /// Grows with every state change of the session (cart, sign-in, membership); a widget
    /// never replaces fresher data with an answer of a lower version.
    pub state_version: u64,
    /// Shared with the catalog that holds them (`Arc`): an answer refers to the records rather
    /// than copying them.
    #[serde(default)]
    pub products: Vec<Arc<Product>>,
    /// `authenticate-target` on a server with the embedded demo accounts: the account to try.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo_account: Option<DemoAccount>,
}

impl WidgetMeta {
    pub fn product(&self, id: &crate::ids::ProductId) -> Option<&Product> {
        self.products.iter().map(|p| &**p).find(|p| &p.id == id)
    }
}
