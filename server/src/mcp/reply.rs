//! Turning a tool's typed outcome into an MCP `CallToolResult`: one readable sentence in
//! `content` (text-only hosts still work), the typed output as `structuredContent` (small: what
//! the model talks about), and the widget-only data in `_meta`.

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde::Serialize;
use shared::ids::SessionId;
use shared::product::Product;
use shared::widget::{WIDGET_META_KEY, WidgetMeta};

use crate::error::AppError;
use crate::store::Session;

/// A successful tool outcome.
pub struct Reply<T> {
    pub output: T,
    pub sentence: String,
    pub widget: Option<WidgetMeta>,
    /// Ties successive widgets of one shopper together (`openai/widgetSessionId`).
    pub session: Option<SessionId>,
}

impl<T: Serialize> Reply<T> {
    pub fn new(output: T, sentence: impl Into<String>) -> Self {
        Reply { output, sentence: sentence.into(), widget: None, session: None }
    }

    /// Adds the widget-only data: the full records of `products` and the session's state version,
    /// and ties the result to the session (`openai/widgetSessionId`) when there is one.
    pub fn widget(mut self, session: Option<&Session>, products: Vec<Product>) -> Self {
        self.widget = Some(WidgetMeta { state_version: session.map_or(0, |s| s.version), products });
        self.session = session.map(|s| s.id.clone());
        self
    }

    fn into_result(self) -> Result<CallToolResult, ErrorData> {
        let structured = serde_json::to_value(&self.output).map_err(|e| {
            tracing::error!(error = %e, "tool output does not serialize");
            ErrorData::internal_error("internal error", None)
        })?;
        let mut meta = serde_json::Map::new();
        if let Some(widget) = &self.widget {
            meta.insert(WIDGET_META_KEY.to_owned(), serde_json::Value::Object(crate::mcp::json_object(widget)));
        }
        if let Some(session) = self.session {
            meta.insert("openai/widgetSessionId".to_owned(), session.as_str().into());
        }
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.sentence)]);
        result.structured_content = Some(structured);
        if !meta.is_empty() {
            result.meta = Some(MetaObject(meta));
        }
        Ok(result)
    }
}

/// What every tool returns: `?` works on any error that converts into [`AppError`].
pub type ToolOutcome<T> = Result<Reply<T>, AppError>;

impl<T: Serialize> IntoCallToolResult for Reply<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        self.into_result().map(Into::into)
    }
}

/// Shopper errors become `isError` results; only a broken server a JSON-RPC error.
impl IntoCallToolResult for AppError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        self.into_tool_result().map(Into::into)
    }
}

/// Plural helper for sentences.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
