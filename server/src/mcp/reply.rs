//! Turning a tool's typed outcome into an MCP `CallToolResult`: one readable sentence in
//! `content` (text-only hosts still work), the typed output as `structuredContent` (small: what
//! the model talks about), and the widget-only data in `_meta`.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject, RequestId};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use shared::ids::SessionId;
use shared::product::Product;
use shared::widget::{WIDGET_META_KEY, WidgetMeta};

use super::product_json::ProductJson;
use crate::error::AppError;
use crate::store::Session;

/// The `_meta` key tying a result to the shopper's session (ChatGPT's `openai/widgetSessionId`).
const WIDGET_SESSION_KEY: &str = "openai/widgetSessionId";

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
    pub fn widget(mut self, session: Option<&Session>, products: Vec<Arc<Product>>) -> Self {
        self.widget =
            Some(WidgetMeta { state_version: session.map_or(0, |s| s.version), products, demo_account: None });
        self.session = session.and_then(Session::public_id);
        self
    }

    /// Names the demo account in the widget meta (set `widget` first).
    pub fn demo_account(mut self, demo: Option<shared::widget::DemoAccount>) -> Self {
        if let Some(widget) = &mut self.widget {
            widget.demo_account = demo;
        }
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
            meta.insert(WIDGET_SESSION_KEY.to_owned(), session.as_str().into());
        }
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.sentence)]);
        result.structured_content = Some(structured);
        if !meta.is_empty() {
            result.meta = Some(MetaObject(meta));
        }
        Ok(result)
    }

    /// The whole JSON-RPC answer to request `id` for a client before protocol 2026-07-28, written
    /// straight from the typed output: the same JSON rmcp writes from [`Self::into_result`] (a test
    /// compares the two), without building a `serde_json::Value` first. `mcp/direct.rs` uses it.
    /// Catalog products in the widget data are copied from `products` rather than written again.
    pub fn to_response_json(self, id: &RequestId, products: &ProductJson) -> Result<Vec<u8>, serde_json::Error> {
        let result = ResultBody {
            content: [ContentBlock::text(self.sentence)],
            structured_content: &self.output,
            is_error: false,
            meta: ReplyMeta { widget: self.widget.as_ref(), session: self.session.as_ref(), products },
        };
        // Room for a search answer (ten products: ~6 KB), so the buffer is not grown and copied
        // as it is written.
        let mut json = Vec::with_capacity(ANSWER_CAPACITY);
        serde_json::to_writer(&mut json, &JsonRpcResult { jsonrpc: "2.0", id, result })?;
        Ok(json)
    }
}

/// The initial capacity of a direct-path answer, in bytes.
const ANSWER_CAPACITY: usize = 8 * 1024;

#[derive(Serialize)]
struct JsonRpcResult<'a, R> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    result: R,
}

/// A successful `CallToolResult` as an older-protocol peer gets it (no `resultType`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultBody<'a, T> {
    content: [ContentBlock; 1],
    structured_content: &'a T,
    is_error: bool,
    #[serde(rename = "_meta", skip_serializing_if = "ReplyMeta::is_empty")]
    meta: ReplyMeta<'a>,
}

struct ReplyMeta<'a> {
    widget: Option<&'a WidgetMeta>,
    session: Option<&'a SessionId>,
    products: &'a ProductJson,
}

/// [`WidgetMeta`] as its derived `Serialize` writes it, with the products from [`ProductJson`]
/// (the direct-path test compares the two, so a field added there must be added here).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WidgetJson<'a, P> {
    state_version: u64,
    products: P,
    #[serde(skip_serializing_if = "Option::is_none")]
    demo_account: Option<&'a shared::widget::DemoAccount>,
}

impl ReplyMeta<'_> {
    fn is_empty(&self) -> bool {
        self.widget.is_none() && self.session.is_none()
    }
}

impl Serialize for ReplyMeta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(widget) = self.widget {
            let json = WidgetJson {
                state_version: widget.state_version,
                products: self.products.list(&widget.products),
                demo_account: widget.demo_account.as_ref(),
            };
            map.serialize_entry(WIDGET_META_KEY, &json)?;
        }
        if let Some(session) = self.session {
            map.serialize_entry(WIDGET_SESSION_KEY, session.as_str())?;
        }
        map.end()
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
