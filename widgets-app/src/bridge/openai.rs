//! The `window.openai` bridge. (Stub: filled in next.)

use super::{BridgeError, BridgeKind, DisplayMode, EventSink, HostBridge, LocalFuture, ToolResult};
use serde_json::Value;
use shared::tool::ToolName;

pub struct OpenAiBridge;

impl OpenAiBridge {
    pub fn connect(_sink: EventSink) -> Option<Self> {
        None
    }
}

impl HostBridge for OpenAiBridge {
    fn kind(&self) -> BridgeKind {
        BridgeKind::OpenAi
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
