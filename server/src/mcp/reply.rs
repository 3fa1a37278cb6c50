//! Turning a tool's typed outcome into an MCP `CallToolResult`: one readable sentence in
//! `content` (text-only hosts still work), the typed output as `structuredContent` (small: what
//! the model talks about), and the widget-only data in `_meta`.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde::Serialize;
use shared::ids::SessionId;
use shared::widget::{WIDGET_META_KEY, WidgetMeta};

use crate::error::AppError;

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

    pub fn widget(mut self, meta: WidgetMeta) -> Self {
        self.widget = Some(meta);
        self
    }

    pub fn session(mut self, id: &SessionId) -> Self {
        self.session = Some(id.clone());
        self
    }

    fn into_result(self) -> Result<CallToolResult, ErrorData> {
        let structured = serde_json::to_value(&self.output)
            .map_err(|e| AppError::Internal(format!("output does not serialize: {e}")))
            .or_else(|e| e.into_tool_result().map(|_| serde_json::Value::Null))?;
        let mut meta = serde_json::Map::new();
        if let Some(widget) = self.widget {
            let value = serde_json::to_value(widget)
                .map_err(|e| ErrorData::internal_error(format!("widget meta: {e}"), None))?;
            meta.insert(WIDGET_META_KEY.to_owned(), value);
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

/// The one exit of every tool: success as a result, shopper errors as `isError` results.
pub fn respond<T: Serialize>(outcome: Result<Reply<T>, AppError>) -> Result<CallToolResult, ErrorData> {
    outcome.map_or_else(AppError::into_tool_result, Reply::into_result)
}

/// Plural helper for sentences.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
