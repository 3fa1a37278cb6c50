//! The MCP Apps `ui/*` postMessage bridge. (Stub: filled in next.)

use super::{BridgeError, BridgeKind, DisplayMode, EventSink, HostBridge, LocalFuture, ToolResult};
use serde_json::Value;
use shared::tool::ToolName;

pub struct McpAppsBridge;

impl McpAppsBridge {
    pub async fn connect(_sink: EventSink) -> Option<Self> {
        None
    }
}

impl HostBridge for McpAppsBridge {
    fn kind(&self) -> BridgeKind {
        BridgeKind::McpApps
    }
    fn call_tool(&self, _: ToolName, _: Value) -> LocalFuture<'_, Result<ToolResult, BridgeError>> {
        Box::pin(async { Err(BridgeError("not implemented".into())) })
    }
    fn send_message(&self, _: String) -> LocalFuture<'_, Result<(), BridgeError>> {
        Box::pin(async { Err(BridgeError("not implemented".into())) })
    }
    fn set_widget_state(&self, _: Value) {}
    fn request_display_mode(&self, mode: DisplayMode) -> LocalFuture<'_, Result<DisplayMode, BridgeError>> {
        Box::pin(async move { Ok(mode) })
    }
    fn open_link(&self, _: String) {}
    fn notify_height(&self, _: f64) {}
}
