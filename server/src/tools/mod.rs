//! The tools, one file per group; each file is an rmcp `#[tool_router]` block on
//! [`TargetMcp`](crate::mcp::handler::TargetMcp), combined in `TargetMcp::all_tools`.

pub mod auth;
pub mod checkout;
pub mod membership;
pub mod products;

use shared::widget::WidgetMeta;

use crate::store::Session;

/// Widget data for a session's state: its version and the full records of `products`.
pub(crate) fn widget_meta(session: Option<&Session>, products: Vec<shared::product::Product>) -> WidgetMeta {
    WidgetMeta { state_version: session.map_or(0, |s| s.version), products }
}
