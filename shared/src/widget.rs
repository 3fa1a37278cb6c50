//! What a tool result carries for its widget only, in `_meta` (hidden from the model).

use serde::{Deserialize, Serialize};

use crate::product::Product;

/// The `_meta` key under which the server puts [`WidgetMeta`].
pub const WIDGET_META_KEY: &str = "target/widget";

/// Widget-only data of a tool result: full product records (images, ratings, links) for every
/// product the `structuredContent` mentions, and a version that orders results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetMeta {
    /// Grows with every state change of the session (cart, sign-in, membership); a widget
    /// never replaces fresher data with an answer of a lower version.
    pub state_version: u64,
    #[serde(default)]
    pub products: Vec<Product>,
}

impl WidgetMeta {
    pub fn product(&self, id: &crate::ids::ProductId) -> Option<&Product> {
        self.products.iter().find(|p| &p.id == id)
    }
}
