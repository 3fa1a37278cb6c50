//! The only code that touches the host's JavaScript: the [`HostBridge`] trait and its two
//! implementations, chosen at start-up by [`connect`].
//!
//! - [`mcp_apps`]: the MCP Apps `ui/*` postMessage JSON-RPC bridge (the default where the host
//!   answers `ui/initialize`; ChatGPT is an MCP Apps host).
//! - [`openai`]: `window.openai` (ChatGPT's Apps SDK), used where MCP Apps does not answer, and for
//!   what only ChatGPT offers (`setWidgetState`).
//! - [`protocol`]: pure parsing of host messages and globals into typed Rust, unit-tested natively.
//! - `js`: small JS helpers both bridges share (JSON conversion, promises, timeouts).
//!
//! Widgets never see JS values: they get [`HostEvent`]s and call typed methods.

pub(crate) mod js;
pub mod mcp_apps;
pub mod openai;
pub mod protocol;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::Value;
use shared::tool::ToolName;

/// A future that may hold JS values (not `Send`).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayMode {
    Inline,
    Pip,
    Fullscreen,
}

impl DisplayMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            DisplayMode::Inline => "inline",
            DisplayMode::Pip => "pip",
            DisplayMode::Fullscreen => "fullscreen",
        }
    }
}

/// What the host tells the widget about its surroundings; every field optional (partial updates
/// merge into what is known).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostContext {
    pub theme: Option<Theme>,
    pub display_mode: Option<DisplayMode>,
    pub max_height: Option<f64>,
    pub locale: Option<String>,
    /// Insets the host's own UI covers (notches, home indicator), in CSS pixels.
    pub safe_area: Option<SafeArea>,
}

/// Safe-area insets: MCP Apps `safeAreaInsets`, `window.openai.safeArea.insets`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SafeArea {
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub left: f64,
}

impl HostContext {
    /// Fields present in `update` replace ours.
    pub fn merge(&mut self, update: HostContext) {
        if update.theme.is_some() {
            self.theme = update.theme;
        }
        if update.display_mode.is_some() {
            self.display_mode = update.display_mode;
        }
        if update.max_height.is_some() {
            self.max_height = update.max_height;
        }
        if update.locale.is_some() {
            self.locale = update.locale;
        }
        if update.safe_area.is_some() {
            self.safe_area = update.safe_area;
        }
    }
}

/// A tool result as the widget sees it (from the host's first render or from `call_tool`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolResult {
    /// `structuredContent`: parse it into the tool's `shared` output type.
    pub structured: Option<Value>,
    /// The result's `_meta` (widget-only data lives under `shared::widget::WIDGET_META_KEY`).
    pub meta: Option<Value>,
    pub is_error: bool,
    /// The first text content item: the readable sentence, or the error message.
    pub text: Option<String>,
}

/// Something the host pushed to the widget.
#[derive(Debug, Clone, PartialEq)]
pub enum HostEvent {
    /// The tool's arguments (`toolInput` / `ui/notifications/tool-input`).
    ToolInput(Value),
    /// The tool's result (`toolOutput` + `toolResponseMetadata` / `ui/notifications/tool-result`).
    ToolResult(ToolResult),
    /// Theme, display mode, max height, locale or safe area changed.
    Context(HostContext),
    /// The widget state saved earlier, restored by the host on re-render.
    WidgetState(Value),
}

/// Why a host call failed, in words a shopper can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeError(pub String);

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which bridge is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeKind {
    McpApps,
    OpenAi,
    /// No host answered (page opened directly): nothing arrives, calls fail politely.
    Standalone,
}

/// The widget's view of its host.
pub trait HostBridge {
    fn kind(&self) -> BridgeKind;

    /// Calls a tool of the connector that rendered the widget.
    fn call_tool(&self, name: ToolName, arguments: Value) -> LocalFuture<'_, Result<ToolResult, BridgeError>>;

    /// Posts a message to the conversation as if the user typed it.
    fn send_message(&self, text: String) -> LocalFuture<'_, Result<(), BridgeError>>;

    /// Saves state the host restores when it renders this widget again (ChatGPT only; elsewhere
    /// a no-op). In the Apps SDK shape `{modelContent, privateContent}` only `modelContent` is
    /// shown to the model.
    fn set_widget_state(&self, state: Value);

    /// Replaces what this widget told the model (`ui/update-model-context`: `text`, plus
    /// `structured` where the host takes it). Settles once the host answered (or failed to), so
    /// a caller can tell the model before it posts a message; most callers do not wait. A no-op
    /// where the host has no such request (`window.openai`: the widget state carries it there).
    fn update_model_context(&self, text: String, structured: Value) -> LocalFuture<'_, ()>;

    /// Asks for another display mode; answers the mode granted.
    fn request_display_mode(&self, mode: DisplayMode) -> LocalFuture<'_, Result<DisplayMode, BridgeError>>;

    /// Opens a link outside the iframe, through the host.
    fn open_link(&self, url: String);

    /// Reports the content height so the host can size the iframe.
    fn notify_height(&self, height: f64);
}

/// Called with every host event, newest last.
pub type EventSink = Rc<dyn Fn(HostEvent)>;

/// Picks the bridge: MCP Apps if the host answers `ui/initialize`, else `window.openai` if
/// present, else standalone. Events (including the data already available) go to `sink`.
pub async fn connect(sink: EventSink) -> Rc<dyn HostBridge> {
    // ChatGPT sets `window.openai` before the page runs: paint its data and follow its
    // `openai:set_globals` right away instead of after the MCP Apps handshake, which a host that
    // does not speak it lets time out. Calls made meanwhile wait for the bridge
    // (`Host::call_tool`); repeated events are harmless.
    let openai = openai::OpenAiBridge::connect(sink.clone());
    if let Some(bridge) = mcp_apps::McpAppsBridge::connect(sink).await {
        if let Some(openai) = &openai {
            openai.stop_following();
        }
        return Rc::new(bridge);
    }
    match openai {
        Some(bridge) => Rc::new(bridge),
        None => Rc::new(Standalone),
    }
}

/// No host: the page was opened on its own.
pub struct Standalone;

impl HostBridge for Standalone {
    fn kind(&self) -> BridgeKind {
        BridgeKind::Standalone
    }
    fn call_tool(&self, _: ToolName, _: Value) -> LocalFuture<'_, Result<ToolResult, BridgeError>> {
        Box::pin(async { Err(BridgeError("This widget is not connected to ChatGPT.".into())) })
    }
    fn send_message(&self, _: String) -> LocalFuture<'_, Result<(), BridgeError>> {
        Box::pin(async { Err(BridgeError("This widget is not connected to ChatGPT.".into())) })
    }
    fn set_widget_state(&self, _: Value) {}
    fn update_model_context(&self, _: String, _: Value) -> LocalFuture<'_, ()> {
        Box::pin(async {})
    }
    fn request_display_mode(&self, mode: DisplayMode) -> LocalFuture<'_, Result<DisplayMode, BridgeError>> {
        Box::pin(async move { Ok(mode) })
    }
    fn open_link(&self, url: String) {
        self.open_link_direct(url);
    }
    fn notify_height(&self, _: f64) {}
}

impl Standalone {
    /// Opens a link in a new tab, without a host.
    pub fn open_link_direct(&self, url: String) {
        if let Some(window) = web_sys::window() {
            let _ = window.open_with_url_and_target(&url, "_blank");
        }
    }
}
