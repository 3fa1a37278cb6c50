//! The host's wire formats as plain Rust, with no JavaScript in sight, so every rule here is
//! unit-tested natively.
//!
//! - MCP Apps (`ui/*` JSON-RPC 2.0 over `postMessage`, protocol `2026-01-26`): the messages we
//!   send ([`ViewRequest`], [`ViewNotification`], [`request_message`], [`notification_message`])
//!   and [`parse_host_message`] for everything the host sends (responses to our ids, notifications
//!   that become [`HostEvent`]s, host requests we must answer).
//! - `window.openai` (ChatGPT's Apps SDK): its globals, read as JSON, become [`HostEvent`]s through
//!   [`events_from_openai_globals`]; `openai:set_globals` details through [`globals_to_reread`].
//! - Both: [`tool_result_from_json`] turns any shape a host gives for a tool result into a
//!   [`ToolResult`], [`host_context_from_json`] any context shape into a partial [`HostContext`].
//!
//! Nothing here panics on host input: unknown or malformed messages become [`Incoming::Ignore`]
//! (or a JSON-RPC error reply), missing fields become `None`.

use serde::Serialize;
use serde_json::{Map, Value, json};
use shared::tool::ToolName;

use super::{DisplayMode, HostContext, HostEvent, SafeArea, Theme, ToolResult};

/// The MCP Apps protocol version we speak.
pub const PROTOCOL_VERSION: &str = "2026-01-26";
/// The only JSON-RPC version there is.
pub const JSONRPC_VERSION: &str = "2.0";
/// Our name in `ui/initialize`.
pub const APP_NAME: &str = "target-widgets";
/// JSON-RPC "method not found", the answer to host requests we do not know.
pub const METHOD_NOT_FOUND: i64 = -32601;

/// MCP Apps method names.
pub mod method {
    pub const INITIALIZE: &str = "ui/initialize";
    pub const INITIALIZED: &str = "ui/notifications/initialized";
    pub const TOOL_INPUT: &str = "ui/notifications/tool-input";
    pub const TOOL_INPUT_PARTIAL: &str = "ui/notifications/tool-input-partial";
    pub const TOOL_RESULT: &str = "ui/notifications/tool-result";
    pub const TOOL_CANCELLED: &str = "ui/notifications/tool-cancelled";
    pub const HOST_CONTEXT_CHANGED: &str = "ui/notifications/host-context-changed";
    pub const SIZE_CHANGED: &str = "ui/notifications/size-changed";
    pub const RESOURCE_TEARDOWN: &str = "ui/resource-teardown";
    pub const PING: &str = "ping";
    pub const TOOLS_CALL: &str = "tools/call";
    pub const MESSAGE: &str = "ui/message";
    pub const OPEN_LINK: &str = "ui/open-link";
    pub const REQUEST_DISPLAY_MODE: &str = "ui/request-display-mode";
    pub const UPDATE_MODEL_CONTEXT: &str = "ui/update-model-context";
}

// ---------------------------------------------------------------------------------------------
// What we send
// ---------------------------------------------------------------------------------------------

/// `appInfo` of `ui/initialize` (the field is `appInfo`, never `clientInfo`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
}

/// `appCapabilities` of `ui/initialize`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCapabilities {
    pub available_display_modes: Vec<&'static str>,
}

/// Params of `ui/initialize`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    pub app_info: AppInfo,
    pub app_capabilities: AppCapabilities,
    pub protocol_version: &'static str,
}

impl InitializeParams {
    /// Ours: this crate's name and version, every display mode the widgets can live in.
    pub fn ours() -> Self {
        InitializeParams {
            app_info: AppInfo { name: APP_NAME.to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() },
            app_capabilities: AppCapabilities {
                available_display_modes: [DisplayMode::Inline, DisplayMode::Fullscreen, DisplayMode::Pip]
                    .iter()
                    .map(|m| m.as_str())
                    .collect(),
            },
            protocol_version: PROTOCOL_VERSION,
        }
    }
}

/// Params of `tools/call` (standard MCP).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallToolParams {
    pub name: ToolName,
    /// Always an object (`null` becomes `{}`).
    pub arguments: Value,
}

impl CallToolParams {
    pub fn new(name: ToolName, arguments: Value) -> Self {
        let arguments = if arguments.is_null() { Value::Object(Map::new()) } else { arguments };
        CallToolParams { name, arguments }
    }
}

/// One text content block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextContent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

/// Params of `ui/message`: a user message of one text block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageParams {
    pub role: &'static str,
    pub content: Vec<TextContent>,
}

impl MessageParams {
    pub fn user_text(text: String) -> Self {
        MessageParams { role: "user", content: vec![TextContent { kind: "text", text }] }
    }
}

/// Params of `ui/update-model-context`: the text every host takes, and the structured form for
/// hosts that declared `structuredContent` in `hostCapabilities.updateModelContext`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelContextParams {
    pub content: Vec<TextContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
}

impl ModelContextParams {
    pub fn new(text: String, structured: Value, support: ModelContextSupport) -> Self {
        ModelContextParams {
            content: vec![TextContent { kind: "text", text }],
            structured_content: support.structured.then_some(structured),
        }
    }
}

/// Params of `ui/open-link`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenLinkParams {
    pub url: String,
}

/// Params of `ui/request-display-mode`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisplayModeParams {
    pub mode: &'static str,
}

impl DisplayModeParams {
    pub fn new(mode: DisplayMode) -> Self {
        DisplayModeParams { mode: mode.as_str() }
    }
}

/// Params of `ui/notifications/size-changed`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeChangedParams {
    pub height: f64,
}

/// `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Empty {}

/// A request from the view (the widget) to the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", content = "params")]
pub enum ViewRequest {
    #[serde(rename = "ui/initialize")]
    Initialize(InitializeParams),
    #[serde(rename = "tools/call")]
    CallTool(CallToolParams),
    #[serde(rename = "ui/message")]
    Message(MessageParams),
    #[serde(rename = "ui/open-link")]
    OpenLink(OpenLinkParams),
    #[serde(rename = "ui/request-display-mode")]
    RequestDisplayMode(DisplayModeParams),
    #[serde(rename = "ui/update-model-context")]
    UpdateModelContext(ModelContextParams),
}

/// A notification from the view to the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", content = "params")]
pub enum ViewNotification {
    #[serde(rename = "ui/notifications/initialized")]
    Initialized(Empty),
    #[serde(rename = "ui/notifications/size-changed")]
    SizeChanged(SizeChangedParams),
}

/// A JSON-RPC request envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct RequestEnvelope<'a> {
    jsonrpc: &'static str,
    id: u64,
    #[serde(flatten)]
    body: &'a ViewRequest,
}

/// A JSON-RPC notification envelope (no `id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct NotificationEnvelope<'a> {
    jsonrpc: &'static str,
    #[serde(flatten)]
    body: &'a ViewNotification,
}

/// The full JSON-RPC message for our request `id`.
pub fn request_message(id: u64, request: &ViewRequest) -> Value {
    serde_json::to_value(RequestEnvelope { jsonrpc: JSONRPC_VERSION, id, body: request }).unwrap_or(Value::Null)
}

/// The full JSON-RPC message for a notification.
pub fn notification_message(notification: &ViewNotification) -> Value {
    serde_json::to_value(NotificationEnvelope { jsonrpc: JSONRPC_VERSION, body: notification }).unwrap_or(Value::Null)
}

/// A success response to a host request (the id echoed as the host sent it).
pub fn response_message(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": JSONRPC_VERSION, "id": id, "result": result })
}

/// An error response to a host request.
pub fn error_message(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": JSONRPC_VERSION, "id": id, "error": { "code": code, "message": message } })
}

/// The id of the `ui/initialize` request the template's boot script sends before the WASM runs
/// (`xtask/src/js/boot.js`); [`RequestIds`] never hands it out.
pub const EARLY_INITIALIZE_ID: u64 = 0;

/// Our request ids: 1, 2, 3, …
#[derive(Debug, Clone, Default)]
pub struct RequestIds {
    last: u64,
}

impl RequestIds {
    pub fn next_id(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

// ---------------------------------------------------------------------------------------------
// What the host sends
// ---------------------------------------------------------------------------------------------

/// A JSON-RPC error the host answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    fn from_json(error: &Value) -> Self {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = match error {
            Value::String(s) => s.clone(),
            _ => error.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_owned(),
        };
        RpcError { code, message }
    }
}

/// What one message from the host means for us.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to our request `id`: its `result`, or its `error`.
    Response { id: u64, outcome: Result<Value, RpcError> },
    /// A notification the widget cares about.
    Event(HostEvent),
    /// A host request; post this response back to the host.
    Reply(Value),
    /// Not JSON-RPC, not for us, or deliberately ignored (e.g. `tool-input-partial`).
    Ignore,
}

/// Classifies one message the host posted (`event.data`, as JSON). Never panics.
pub fn parse_host_message(message: &Value) -> Incoming {
    let Some(obj) = message.as_object() else { return Incoming::Ignore };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some(JSONRPC_VERSION) {
        return Incoming::Ignore;
    }
    let id = obj.get("id").filter(|id| id.is_string() || id.is_number());
    match (obj.get("method"), id) {
        (Some(Value::String(method)), Some(id)) => Incoming::Reply(answer_host_request(method, id)),
        (Some(Value::String(method)), None) => parse_notification(method, obj.get("params").unwrap_or(&Value::Null)),
        (Some(_), _) => Incoming::Ignore,
        (None, Some(id)) => {
            let Some(id) = our_id(id) else { return Incoming::Ignore };
            if let Some(error) = obj.get("error").filter(|e| !e.is_null()) {
                Incoming::Response { id, outcome: Err(RpcError::from_json(error)) }
            } else if let Some(result) = obj.get("result") {
                Incoming::Response { id, outcome: Ok(result.clone()) }
            } else {
                Incoming::Ignore
            }
        }
        (None, None) => Incoming::Ignore,
    }
}

/// Our ids are positive integers; a host that stringified one is forgiven.
fn our_id(id: &Value) -> Option<u64> {
    match id {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The response to a host → view request: `{}` for `ping` and `ui/resource-teardown`,
/// "method not found" for anything else (so the host does not wait forever).
pub fn answer_host_request(method: &str, id: &Value) -> Value {
    match method {
        method::PING | method::RESOURCE_TEARDOWN => response_message(id, json!({})),
        other => error_message(id, METHOD_NOT_FOUND, &format!("Method not found: {other}")),
    }
}

fn parse_notification(method: &str, params: &Value) -> Incoming {
    match method {
        method::TOOL_INPUT => {
            let arguments = params.get("arguments").filter(|a| !a.is_null()).cloned();
            Incoming::Event(HostEvent::ToolInput(arguments.unwrap_or_else(|| Value::Object(Map::new()))))
        }
        method::TOOL_RESULT if params.is_object() => {
            Incoming::Event(HostEvent::ToolResult(tool_result_from_json(params)))
        }
        method::HOST_CONTEXT_CHANGED if params.is_object() => {
            Incoming::Event(HostEvent::Context(host_context_from_json(params)))
        }
        // Best-effort partial JSON while the model streams; the full input follows.
        method::TOOL_INPUT_PARTIAL => Incoming::Ignore,
        // The widget keeps showing its loading or last state.
        method::TOOL_CANCELLED => Incoming::Ignore,
        _ => Incoming::Ignore,
    }
}

/// The result of `ui/initialize`, as far as we use it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitializeResult {
    pub protocol_version: Option<String>,
    pub host_info: Option<Value>,
    /// `hostContext`, if the host sent one.
    pub host_context: Option<HostContext>,
    /// `hostCapabilities.updateModelContext`: `None` when the host takes no model context.
    pub model_context: Option<ModelContextSupport>,
}

/// What a host takes in `ui/update-model-context`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelContextSupport {
    /// `structuredContent` besides text.
    pub structured: bool,
}

pub fn initialize_result_from_json(result: &Value) -> InitializeResult {
    let model_context = result
        .get("hostCapabilities")
        .and_then(|c| c.get("updateModelContext"))
        .filter(|m| m.is_object())
        .map(|m| ModelContextSupport { structured: m.get("structuredContent").is_some_and(Value::is_object) });
    InitializeResult {
        model_context,
        protocol_version: result.get("protocolVersion").and_then(Value::as_str).map(str::to_owned),
        host_info: result.get("hostInfo").filter(|v| !v.is_null()).cloned(),
        host_context: result.get("hostContext").filter(|c| c.is_object()).map(host_context_from_json),
    }
}

/// The mode in a `ui/request-display-mode` / `requestDisplayMode` answer (`{mode}`).
pub fn display_mode_from_json(result: &Value) -> Option<DisplayMode> {
    result.get("mode").and_then(Value::as_str).and_then(parse_display_mode)
}

/// Whether a `{isError?}` answer (`ui/message`, `ui/open-link`) reports a failure.
pub fn is_error_result(result: &Value) -> bool {
    result.get("isError").and_then(Value::as_bool).unwrap_or(false)
}

fn parse_theme(theme: &str) -> Option<Theme> {
    match theme {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        _ => None,
    }
}

fn parse_display_mode(mode: &str) -> Option<DisplayMode> {
    match mode {
        "inline" => Some(DisplayMode::Inline),
        "pip" => Some(DisplayMode::Pip),
        "fullscreen" => Some(DisplayMode::Fullscreen),
        _ => None,
    }
}

fn positive_number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64).filter(|n| n.is_finite() && *n > 0.0)
}

/// A partial [`HostContext`] from an MCP Apps `hostContext` / `host-context-changed` params, or
/// from `window.openai` globals (`maxHeight` at the top level). Absent or unknown values stay
/// `None`, so the result merges into what is known.
pub fn host_context_from_json(context: &Value) -> HostContext {
    let dimensions = context.get("containerDimensions");
    let max_height = positive_number(dimensions.and_then(|d| d.get("maxHeight")))
        .or_else(|| positive_number(dimensions.and_then(|d| d.get("height"))))
        .or_else(|| positive_number(context.get("maxHeight")));
    HostContext {
        theme: context.get("theme").and_then(Value::as_str).and_then(parse_theme),
        display_mode: context.get("displayMode").and_then(Value::as_str).and_then(parse_display_mode),
        max_height,
        locale: context.get("locale").and_then(Value::as_str).filter(|l| !l.is_empty()).map(str::to_owned),
        safe_area: context
            .get("safeAreaInsets")
            .or_else(|| context.get(global::SAFE_AREA).and_then(|s| s.get("insets")))
            .and_then(safe_area_from_json),
    }
}

/// `{top, right, bottom, left}` in pixels; a missing side is 0, a negative or non-number one
/// makes the whole thing unreadable.
fn safe_area_from_json(insets: &Value) -> Option<SafeArea> {
    let obj = insets.as_object()?;
    let side = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Some(0.0),
        Some(v) => v.as_f64().filter(|n| n.is_finite() && *n >= 0.0),
    };
    Some(SafeArea { top: side("top")?, right: side("right")?, bottom: side("bottom")?, left: side("left")? })
}

// ---------------------------------------------------------------------------------------------
// Tool results, whatever their shape
// ---------------------------------------------------------------------------------------------

/// Keys under which newer ChatGPT nests the full MCP result inside `toolResponseMetadata`.
const NESTED_RESULT_KEYS: [&str; 2] = ["call_tool_result", "mcp_tool_result"];

fn non_null(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn has_result_fields(obj: &Map<String, Value>) -> bool {
    ["structuredContent", "content", "_meta", "meta", "isError"].iter().any(|k| obj.contains_key(*k))
}

/// The first text of a `content` array (or a bare string).
fn first_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|item| {
            let kind = item.get("type").and_then(Value::as_str);
            if kind.is_some_and(|k| k != "text") {
                return None;
            }
            item.get("text").and_then(Value::as_str).map(str::to_owned)
        }),
        _ => None,
    }
}

/// A [`ToolResult`] from a `CallToolResult` (`ui/notifications/tool-result` params, a
/// `tools/call` result) or whatever `window.openai.callTool` resolved to: `structuredContent`
/// may be missing, `content` may hold no text, metadata may be `_meta` or `meta`, and the whole
/// thing may be wrapped as `{result: {...}}` or be only `{result: "text"}`.
pub fn tool_result_from_json(value: &Value) -> ToolResult {
    let mut result = envelope_from_json(value, 0);
    fill_from_nested(&mut result);
    result
}

fn envelope_from_json(value: &Value, depth: usize) -> ToolResult {
    let obj = match value {
        Value::Object(obj) => obj,
        Value::String(text) => return ToolResult { text: Some(text.clone()), ..ToolResult::default() },
        _ => return ToolResult::default(),
    };
    if !has_result_fields(obj) && depth < 4 {
        match obj.get("result") {
            Some(inner @ Value::Object(_)) => return envelope_from_json(inner, depth + 1),
            Some(Value::String(text)) => {
                // The oldest stub: `{result: string}`; the string may itself be a JSON result.
                if let Ok(inner @ Value::Object(_)) = serde_json::from_str::<Value>(text)
                    && inner.as_object().is_some_and(has_result_fields)
                {
                    return envelope_from_json(&inner, depth + 1);
                }
                return ToolResult { text: Some(text.clone()), ..ToolResult::default() };
            }
            _ => {}
        }
    }
    ToolResult {
        structured: non_null(obj.get("structuredContent")).cloned(),
        meta: non_null(obj.get("_meta")).or_else(|| non_null(obj.get("meta"))).cloned(),
        is_error: obj.get("isError").and_then(Value::as_bool).unwrap_or(false),
        text: first_text(obj.get("content")).or_else(|| obj.get("result").and_then(Value::as_str).map(str::to_owned)),
    }
}

/// Newer ChatGPT puts the whole MCP result under `call_tool_result` / `mcp_tool_result` in the
/// metadata: take from there what the outer layer lacks (metadata keys are added, never replaced).
fn fill_from_nested(result: &mut ToolResult) {
    let nested: Vec<ToolResult> = match result.meta.as_ref().and_then(Value::as_object) {
        Some(meta) => NESTED_RESULT_KEYS
            .iter()
            .filter_map(|key| meta.get(*key))
            .filter(|v| v.is_object())
            .map(|v| envelope_from_json(v, 1))
            .collect(),
        None => return,
    };
    for inner in nested {
        if result.structured.is_none() {
            result.structured = inner.structured;
        }
        if result.text.is_none() {
            result.text = inner.text;
        }
        result.is_error |= inner.is_error;
        if let (Some(Value::Object(meta)), Some(Value::Object(inner_meta))) = (result.meta.as_mut(), inner.meta) {
            for (key, value) in inner_meta {
                meta.entry(key).or_insert(value);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// window.openai globals
// ---------------------------------------------------------------------------------------------

/// `window.openai` global names.
pub mod global {
    pub const TOOL_INPUT: &str = "toolInput";
    pub const TOOL_OUTPUT: &str = "toolOutput";
    pub const TOOL_RESPONSE_METADATA: &str = "toolResponseMetadata";
    pub const WIDGET_STATE: &str = "widgetState";
    pub const THEME: &str = "theme";
    pub const DISPLAY_MODE: &str = "displayMode";
    pub const MAX_HEIGHT: &str = "maxHeight";
    pub const LOCALE: &str = "locale";
    pub const SAFE_AREA: &str = "safeArea";
}

/// Every global the widgets use.
pub const OPENAI_GLOBALS: [&str; 9] = [
    global::TOOL_INPUT,
    global::TOOL_OUTPUT,
    global::TOOL_RESPONSE_METADATA,
    global::WIDGET_STATE,
    global::THEME,
    global::DISPLAY_MODE,
    global::MAX_HEIGHT,
    global::LOCALE,
    global::SAFE_AREA,
];

/// The globals to re-read after an `openai:set_globals` event with this `detail`
/// (`{globals: {...changed keys}}`). A tool result needs both `toolOutput` and
/// `toolResponseMetadata`, so either pulls in the other. An unreadable detail means "all".
pub fn globals_to_reread(detail: &Value) -> Vec<&'static str> {
    let Some(changed) = detail.get("globals").and_then(Value::as_object) else { return OPENAI_GLOBALS.to_vec() };
    let result_changed =
        changed.contains_key(global::TOOL_OUTPUT) || changed.contains_key(global::TOOL_RESPONSE_METADATA);
    OPENAI_GLOBALS
        .iter()
        .copied()
        .filter(|key| {
            changed.contains_key(*key)
                || (result_changed && (*key == global::TOOL_OUTPUT || *key == global::TOOL_RESPONSE_METADATA))
        })
        .collect()
}

/// A [`ToolResult`] from `toolOutput` (= `structuredContent`) and `toolResponseMetadata`
/// (= `_meta`, possibly with the full result nested); `None` when neither holds anything.
pub fn tool_result_from_globals(tool_output: Option<&Value>, metadata: Option<&Value>) -> Option<ToolResult> {
    let tool_output = non_null(tool_output);
    let metadata = non_null(metadata);
    if tool_output.is_none() && metadata.is_none() {
        return None;
    }
    let mut result = ToolResult { structured: tool_output.cloned(), meta: metadata.cloned(), ..ToolResult::default() };
    fill_from_nested(&mut result);
    fill_from_error_meta(&mut result);
    Some(result)
}

/// A failed call whose host passed on only `_meta` (`window.openai`): the server's
/// [`ErrorMeta`](shared::widget::ErrorMeta) makes it an error with the server's message.
fn fill_from_error_meta(result: &mut ToolResult) {
    let error = result.meta.as_ref().and_then(|meta| meta.get(shared::widget::ERROR_META_KEY)).cloned();
    let Some(error) = error.and_then(|e| serde_json::from_value::<shared::widget::ErrorMeta>(e).ok()) else {
        return;
    };
    result.is_error = true;
    if result.text.is_none() {
        result.text = Some(error.message);
    }
}

/// The events for a set of `window.openai` globals (only the keys read; `null` = nothing yet):
/// context first, then restored state, input and result.
pub fn events_from_openai_globals(globals: &Map<String, Value>) -> Vec<HostEvent> {
    let mut events = Vec::new();
    let context = host_context_from_json(&Value::Object(globals.clone()));
    if context != HostContext::default() {
        events.push(HostEvent::Context(context));
    }
    if let Some(state) = non_null(globals.get(global::WIDGET_STATE)) {
        events.push(HostEvent::WidgetState(state.clone()));
    }
    if let Some(input) = non_null(globals.get(global::TOOL_INPUT)) {
        events.push(HostEvent::ToolInput(input.clone()));
    }
    if let Some(result) =
        tool_result_from_globals(globals.get(global::TOOL_OUTPUT), globals.get(global::TOOL_RESPONSE_METADATA))
    {
        events.push(HostEvent::ToolResult(result));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: Value) -> HostEvent {
        match parse_host_message(&message) {
            Incoming::Event(event) => event,
            other => panic!("expected an event from {message}, got {other:?}"),
        }
    }

    // --- what we send ---

    #[test]
    fn initialize_is_exactly_the_mcp_apps_shape() {
        let message = request_message(1, &ViewRequest::Initialize(InitializeParams::ours()));
        assert_eq!(
            message,
            json!({
                "jsonrpc": "2.0",
                "id": 1,
                "method": "ui/initialize",
                "params": {
                    "appInfo": { "name": "target-widgets", "version": env!("CARGO_PKG_VERSION") },
                    "appCapabilities": { "availableDisplayModes": ["inline", "fullscreen", "pip"] },
                    "protocolVersion": "2026-01-26"
                }
            })
        );
        assert!(message["params"].get("clientInfo").is_none(), "the field is appInfo, never clientInfo");
    }

    #[test]
    fn the_boot_script_sends_our_initialize_request() {
        let boot = include_str!("../../../xtask/src/js/boot.js");
        let line =
            boot.lines().find_map(|l| l.trim().strip_prefix("var UI_INITIALIZE = ")).expect("UI_INITIALIZE in boot.js");
        let sent: Value = serde_json::from_str(line.trim_end_matches(';')).expect("UI_INITIALIZE is JSON");
        let ours = request_message(EARLY_INITIALIZE_ID, &ViewRequest::Initialize(InitializeParams::ours()));
        assert_eq!(sent, ours, "update UI_INITIALIZE in xtask/src/js/boot.js to this request");
        assert_eq!(
            parse_host_message(&json!({"jsonrpc": "2.0", "id": 0, "result": {}})),
            Incoming::Response { id: EARLY_INITIALIZE_ID, outcome: Ok(json!({})) }
        );
    }

    #[test]
    fn request_ids_increment_from_one() {
        let mut ids = RequestIds::default();
        assert_eq!([ids.next_id(), ids.next_id(), ids.next_id()], [1, 2, 3]);
    }

    #[test]
    fn notifications_have_no_id() {
        assert_eq!(
            notification_message(&ViewNotification::Initialized(Empty {})),
            json!({ "jsonrpc": "2.0", "method": "ui/notifications/initialized", "params": {} })
        );
        assert_eq!(
            notification_message(&ViewNotification::SizeChanged(SizeChangedParams { height: 412.0 })),
            json!({ "jsonrpc": "2.0", "method": "ui/notifications/size-changed", "params": { "height": 412.0 } })
        );
    }

    #[test]
    fn tools_call_uses_the_kebab_name_and_an_object_for_arguments() {
        let call = ViewRequest::CallTool(CallToolParams::new(ToolName::AddToCart, json!({"productId": "p1"})));
        assert_eq!(
            request_message(7, &call),
            json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
                    "params": { "name": "add-to-cart", "arguments": { "productId": "p1" } } })
        );
        let no_args = ViewRequest::CallTool(CallToolParams::new(ToolName::GetCart, Value::Null));
        assert_eq!(request_message(8, &no_args)["params"], json!({ "name": "get-cart", "arguments": {} }));
    }

    #[test]
    fn the_other_requests_have_their_spec_params() {
        let message = ViewRequest::Message(MessageParams::user_text("Show me the cart".into()));
        assert_eq!(
            request_message(2, &message),
            json!({ "jsonrpc": "2.0", "id": 2, "method": "ui/message",
                    "params": { "role": "user", "content": [{ "type": "text", "text": "Show me the cart" }] } })
        );
        let link = ViewRequest::OpenLink(OpenLinkParams { url: "https://www.target.com/".into() });
        assert_eq!(
            request_message(3, &link),
            json!({ "jsonrpc": "2.0", "id": 3, "method": "ui/open-link", "params": { "url": "https://www.target.com/" } })
        );
        let context = ViewRequest::UpdateModelContext(ModelContextParams::new(
            "The shopper removed Mug.".into(),
            json!({ "cart": { "itemCount": 0 } }),
            ModelContextSupport { structured: true },
        ));
        assert_eq!(
            request_message(5, &context),
            json!({ "jsonrpc": "2.0", "id": 5, "method": "ui/update-model-context",
                    "params": { "content": [{ "type": "text", "text": "The shopper removed Mug." }],
                                "structuredContent": { "cart": { "itemCount": 0 } } } })
        );
        let text_only =
            ModelContextParams::new("x".into(), json!({ "a": 1 }), ModelContextSupport { structured: false });
        assert_eq!(serde_json::to_value(text_only).unwrap(), json!({ "content": [{ "type": "text", "text": "x" }] }));
        let mode = ViewRequest::RequestDisplayMode(DisplayModeParams::new(DisplayMode::Fullscreen));
        assert_eq!(
            request_message(4, &mode),
            json!({ "jsonrpc": "2.0", "id": 4, "method": "ui/request-display-mode", "params": { "mode": "fullscreen" } })
        );
    }

    // --- responses ---

    #[test]
    fn responses_are_matched_by_id() {
        assert_eq!(
            parse_host_message(&json!({ "jsonrpc": "2.0", "id": 3, "result": { "mode": "pip" } })),
            Incoming::Response { id: 3, outcome: Ok(json!({ "mode": "pip" })) }
        );
        assert_eq!(
            parse_host_message(&json!({ "jsonrpc": "2.0", "id": "4", "result": {} })),
            Incoming::Response { id: 4, outcome: Ok(json!({})) },
            "a stringified id of ours is still ours"
        );
        assert_eq!(
            parse_host_message(&json!({ "jsonrpc": "2.0", "id": 5, "result": null })),
            Incoming::Response { id: 5, outcome: Ok(Value::Null) }
        );
        assert_eq!(
            parse_host_message(&json!({ "jsonrpc": "2.0", "id": 6,
                                        "error": { "code": -32000, "message": "Tool not allowed" } })),
            Incoming::Response { id: 6, outcome: Err(RpcError { code: -32000, message: "Tool not allowed".into() }) }
        );
        assert_eq!(
            parse_host_message(&json!({ "jsonrpc": "2.0", "id": 6, "error": { "code": "x" } })),
            Incoming::Response { id: 6, outcome: Err(RpcError { code: 0, message: "unknown error".into() }) }
        );
    }

    #[test]
    fn responses_not_to_our_ids_are_ignored() {
        for message in [
            json!({ "jsonrpc": "2.0", "id": -1, "result": {} }),
            json!({ "jsonrpc": "2.0", "id": "abc", "result": {} }),
            json!({ "jsonrpc": "2.0", "id": 1.5, "result": {} }),
            json!({ "jsonrpc": "2.0", "id": 2 }),
            json!({ "jsonrpc": "2.0", "id": null, "result": {} }),
            json!({ "jsonrpc": "2.0", "id": {"n": 1}, "result": {} }),
        ] {
            assert_eq!(parse_host_message(&message), Incoming::Ignore, "{message}");
        }
    }

    #[test]
    fn initialize_result_yields_the_host_context() {
        let result = json!({
            "protocolVersion": "2026-01-26",
            "hostInfo": { "name": "chatgpt", "version": "1" },
            "hostCapabilities": { "openLinks": {} },
            "hostContext": {
                "theme": "dark", "displayMode": "inline", "locale": "en-US", "platform": "web",
                "containerDimensions": { "maxHeight": 600, "width": 700 },
                "styles": { "variables": { "--color-background-primary": "#000" } }
            }
        });
        let parsed = initialize_result_from_json(&result);
        assert_eq!(parsed.protocol_version.as_deref(), Some("2026-01-26"));
        assert_eq!(parsed.host_info, Some(json!({ "name": "chatgpt", "version": "1" })));
        assert_eq!(
            parsed.host_context,
            Some(HostContext {
                theme: Some(Theme::Dark),
                display_mode: Some(DisplayMode::Inline),
                max_height: Some(600.0),
                locale: Some("en-US".into()),
                safe_area: None,
            })
        );
        assert_eq!(parsed.model_context, None, "no updateModelContext capability, no model context");
        let with = |caps: Value| initialize_result_from_json(&json!({ "hostCapabilities": caps })).model_context;
        assert_eq!(
            with(json!({ "updateModelContext": { "text": {} } })),
            Some(ModelContextSupport { structured: false })
        );
        assert_eq!(
            with(json!({ "updateModelContext": { "text": {}, "structuredContent": {} } })),
            Some(ModelContextSupport { structured: true })
        );
        assert_eq!(with(json!({ "updateModelContext": true })), None);
        assert_eq!(initialize_result_from_json(&json!({})), InitializeResult::default());
        assert_eq!(initialize_result_from_json(&Value::Null), InitializeResult::default());
        assert_eq!(initialize_result_from_json(&json!({ "hostContext": "dark" })).host_context, None);
    }

    #[test]
    fn answers_to_requests_are_read() {
        assert_eq!(display_mode_from_json(&json!({ "mode": "fullscreen" })), Some(DisplayMode::Fullscreen));
        assert_eq!(display_mode_from_json(&json!({ "mode": "modal" })), None);
        assert_eq!(display_mode_from_json(&json!(null)), None);
        assert!(is_error_result(&json!({ "isError": true })));
        assert!(!is_error_result(&json!({})));
        assert!(!is_error_result(&json!(null)));
    }

    // --- notifications ---

    #[test]
    fn tool_input_becomes_an_event() {
        let message = json!({ "jsonrpc": "2.0", "method": "ui/notifications/tool-input",
                              "params": { "arguments": { "query": "lamps" } } });
        assert_eq!(event(message), HostEvent::ToolInput(json!({ "query": "lamps" })));
        let bare = json!({ "jsonrpc": "2.0", "method": "ui/notifications/tool-input" });
        assert_eq!(event(bare), HostEvent::ToolInput(json!({})), "the input arrived, even if empty");
    }

    #[test]
    fn partial_input_and_cancellation_are_ignored() {
        for method in ["ui/notifications/tool-input-partial", "ui/notifications/tool-cancelled"] {
            let message = json!({ "jsonrpc": "2.0", "method": method, "params": { "arguments": { "q": "la" } } });
            assert_eq!(parse_host_message(&message), Incoming::Ignore, "{method}");
        }
    }

    #[test]
    fn tool_result_notification_carries_the_full_result() {
        let message = json!({
            "jsonrpc": "2.0",
            "method": "ui/notifications/tool-result",
            "params": {
                "content": [{ "type": "text", "text": "Found 2 lamps." }],
                "structuredContent": { "products": [] },
                "_meta": { "target/widget": { "stateVersion": 3, "products": [] } },
                "isError": false
            }
        });
        assert_eq!(
            event(message),
            HostEvent::ToolResult(ToolResult {
                structured: Some(json!({ "products": [] })),
                meta: Some(json!({ "target/widget": { "stateVersion": 3, "products": [] } })),
                is_error: false,
                text: Some("Found 2 lamps.".into()),
            })
        );
        let bad = json!({ "jsonrpc": "2.0", "method": "ui/notifications/tool-result", "params": [1, 2] });
        assert_eq!(parse_host_message(&bad), Incoming::Ignore);
    }

    #[test]
    fn context_changes_are_partial() {
        let message = json!({ "jsonrpc": "2.0", "method": "ui/notifications/host-context-changed",
                              "params": { "theme": "light" } });
        assert_eq!(event(message), HostEvent::Context(HostContext { theme: Some(Theme::Light), ..Default::default() }));

        let mut known = HostContext {
            theme: Some(Theme::Dark),
            display_mode: Some(DisplayMode::Inline),
            max_height: Some(500.0),
            locale: Some("en-US".into()),
            safe_area: None,
        };
        known.merge(host_context_from_json(&json!({
            "displayMode": "fullscreen", "containerDimensions": { "height": 900 },
            "safeAreaInsets": { "top": 44, "right": 0, "bottom": 34, "left": 0 }
        })));
        assert_eq!(
            known,
            HostContext {
                theme: Some(Theme::Dark),
                display_mode: Some(DisplayMode::Fullscreen),
                max_height: Some(900.0),
                locale: Some("en-US".into()),
                safe_area: Some(SafeArea { top: 44.0, right: 0.0, bottom: 34.0, left: 0.0 }),
            }
        );
        // Unknown or broken values change nothing.
        let before = known.clone();
        known.merge(host_context_from_json(&json!({
            "theme": "sepia", "displayMode": 3, "containerDimensions": { "maxHeight": -1 }, "locale": "",
            "safeAreaInsets": { "top": -5 }
        })));
        assert_eq!(known, before);
    }

    #[test]
    fn max_height_is_preferred_over_height() {
        let context = host_context_from_json(&json!({ "containerDimensions": { "height": 300, "maxHeight": 800 } }));
        assert_eq!(context.max_height, Some(800.0));
        assert_eq!(host_context_from_json(&json!({ "maxHeight": 640.5 })).max_height, Some(640.5));
    }

    #[test]
    fn unknown_notifications_are_ignored() {
        for method in ["ui/notifications/sandbox-resource-ready", "notifications/message", "ui/whatever"] {
            let message = json!({ "jsonrpc": "2.0", "method": method, "params": {} });
            assert_eq!(parse_host_message(&message), Incoming::Ignore, "{method}");
        }
    }

    // --- host requests ---

    #[test]
    fn ping_and_teardown_are_answered_with_an_empty_object() {
        for (method, id) in [("ping", json!(9)), ("ui/resource-teardown", json!("t-1"))] {
            let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": {} });
            assert_eq!(
                parse_host_message(&message),
                Incoming::Reply(json!({ "jsonrpc": "2.0", "id": id, "result": {} })),
                "{method}"
            );
        }
    }

    #[test]
    fn unknown_host_requests_get_method_not_found() {
        let message = json!({ "jsonrpc": "2.0", "id": 12, "method": "sampling/createMessage", "params": {} });
        assert_eq!(
            parse_host_message(&message),
            Incoming::Reply(json!({ "jsonrpc": "2.0", "id": 12,
                "error": { "code": -32601, "message": "Method not found: sampling/createMessage" } }))
        );
    }

    // --- malformed input ---

    #[test]
    fn malformed_messages_are_ignored() {
        for message in [
            Value::Null,
            json!(true),
            json!(42),
            json!("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"),
            json!([{ "jsonrpc": "2.0", "id": 1, "result": {} }]),
            json!({}),
            json!({ "id": 1, "result": {} }),
            json!({ "jsonrpc": "1.0", "id": 1, "result": {} }),
            json!({ "jsonrpc": 2.0, "id": 1, "result": {} }),
            json!({ "jsonrpc": "2.0", "method": 5 }),
            json!({ "jsonrpc": "2.0", "method": null, "id": 1 }),
            json!({ "type": "webpackOk" }),
            json!({ "jsonrpc": "2.0" }),
        ] {
            assert_eq!(parse_host_message(&message), Incoming::Ignore, "{message}");
        }
    }

    #[test]
    fn odd_params_never_panic() {
        let odd = [
            Value::Null,
            json!(1),
            json!("x"),
            json!([]),
            json!({ "arguments": null }),
            json!({ "content": 5, "structuredContent": null, "_meta": [], "isError": "yes" }),
            json!({ "containerDimensions": "tall", "theme": {}, "locale": 7 }),
            json!({ "result": { "result": { "result": { "result": { "result": { "result": "deep" } } } } } }),
            json!({ "_meta": { "call_tool_result": "x", "mcp_tool_result": [1] } }),
            json!({ "_meta": { "call_tool_result": { "_meta": { "call_tool_result": { "result": "again" } } } } }),
        ];
        let methods = [
            "ui/notifications/tool-input",
            "ui/notifications/tool-result",
            "ui/notifications/host-context-changed",
            "ui/notifications/tool-input-partial",
            "ping",
        ];
        for params in &odd {
            for method in methods {
                let _ = parse_host_message(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
                let _ = parse_host_message(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }));
            }
            let _ = parse_host_message(&json!({ "jsonrpc": "2.0", "id": 1, "result": params }));
            let _ = parse_host_message(&json!({ "jsonrpc": "2.0", "id": 1, "error": params }));
            let _ = tool_result_from_json(params);
            let _ = host_context_from_json(params);
            let _ = initialize_result_from_json(params);
            let _ = display_mode_from_json(params);
            let _ = globals_to_reread(params);
            if let Value::Object(map) = params {
                let _ = events_from_openai_globals(map);
            }
        }
    }

    // --- tool results of every shape ---

    #[test]
    fn tool_results_are_read_tolerantly() {
        // No structuredContent; an image before the text.
        let result = tool_result_from_json(&json!({
            "content": [{ "type": "image", "data": "…", "mimeType": "image/png" }, { "type": "text", "text": "Done." }]
        }));
        assert_eq!(result, ToolResult { text: Some("Done.".into()), ..Default::default() });

        // Content with no text at all, `meta` instead of `_meta`.
        let result = tool_result_from_json(&json!({
            "structuredContent": { "count": 1 }, "content": [{ "type": "image" }], "meta": { "k": 1 }
        }));
        assert_eq!(
            result,
            ToolResult { structured: Some(json!({ "count": 1 })), meta: Some(json!({ "k": 1 })), ..Default::default() }
        );

        // An error.
        let result = tool_result_from_json(&json!({
            "isError": true, "content": [{ "type": "text", "text": "Your cart changed." }]
        }));
        assert!(result.is_error);
        assert_eq!(result.text.as_deref(), Some("Your cart changed."));

        // `{result: string}`, `{result: {...}}`, a bare string, nothing.
        assert_eq!(tool_result_from_json(&json!({ "result": "ok" })).text.as_deref(), Some("ok"));
        assert_eq!(
            tool_result_from_json(&json!({ "result": { "structuredContent": { "a": 1 } } })).structured,
            Some(json!({ "a": 1 }))
        );
        assert_eq!(
            tool_result_from_json(&json!({ "result": "{\"structuredContent\":{\"a\":2}}" })).structured,
            Some(json!({ "a": 2 }))
        );
        assert_eq!(tool_result_from_json(&json!({ "result": "{\"a\":2}" })).text.as_deref(), Some("{\"a\":2}"));
        assert_eq!(tool_result_from_json(&json!("plain")).text.as_deref(), Some("plain"));
        assert_eq!(tool_result_from_json(&Value::Null), ToolResult::default());
        assert_eq!(tool_result_from_json(&json!({ "structuredContent": null })), ToolResult::default());
    }

    #[test]
    fn an_error_in_meta_makes_a_window_openai_result_an_error() {
        let metadata = json!({ "target/error": { "message": "Your Target session has expired." } });
        let result = tool_result_from_globals(None, Some(&metadata)).expect("a result");
        assert!(result.is_error);
        assert_eq!(result.text.as_deref(), Some("Your Target session has expired."));
        let plain =
            tool_result_from_globals(None, Some(&json!({ "target/error": "not the shape" }))).expect("a result");
        assert!(!plain.is_error, "only the server's ErrorMeta counts");
    }

    #[test]
    fn nested_full_results_fill_what_the_outer_layer_lacks() {
        let metadata = json!({
            "status": "success",
            "call_tool_result": {
                "content": [{ "type": "text", "text": "Added." }],
                "structuredContent": { "cart": { "items": 1 } },
                "_meta": { "target/widget": { "stateVersion": 5, "products": [] }, "openai/widgetSessionId": "s" }
            }
        });
        let result = tool_result_from_globals(None, Some(&metadata)).expect("a result");
        assert_eq!(result.structured, Some(json!({ "cart": { "items": 1 } })));
        assert_eq!(result.text.as_deref(), Some("Added."));
        let meta = result.meta.expect("meta");
        assert_eq!(meta["target/widget"]["stateVersion"], json!(5), "nested _meta keys reach the top");
        assert_eq!(meta["status"], json!("success"));

        // Outer values win over nested ones.
        let metadata = json!({
            "target/widget": { "stateVersion": 7, "products": [] },
            "mcp_tool_result": { "_meta": { "target/widget": { "stateVersion": 6 } }, "isError": false }
        });
        let result = tool_result_from_globals(Some(&json!({ "x": 1 })), Some(&metadata)).expect("a result");
        assert_eq!(result.structured, Some(json!({ "x": 1 })));
        assert_eq!(result.meta.expect("meta")["target/widget"]["stateVersion"], json!(7));

        // The same through a callTool answer.
        let answer = json!({ "meta": { "mcp_tool_result": { "structuredContent": { "y": 2 }, "isError": true } } });
        let result = tool_result_from_json(&answer);
        assert_eq!(result.structured, Some(json!({ "y": 2 })));
        assert!(result.is_error);
    }

    // --- window.openai globals ---

    fn globals(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn all_globals_become_events_in_order() {
        let events = events_from_openai_globals(&globals(json!({
            "toolInput": { "query": "lamps" },
            "toolOutput": { "products": [] },
            "toolResponseMetadata": { "target/widget": { "stateVersion": 1, "products": [] } },
            "widgetState": { "selected": "p1" },
            "theme": "dark",
            "displayMode": "pip",
            "maxHeight": 480,
            "locale": "fr-FR",
            "safeArea": { "insets": { "top": 0, "bottom": 20, "left": 0, "right": 0 } }
        })));
        assert_eq!(
            events,
            vec![
                HostEvent::Context(HostContext {
                    theme: Some(Theme::Dark),
                    display_mode: Some(DisplayMode::Pip),
                    max_height: Some(480.0),
                    locale: Some("fr-FR".into()),
                    safe_area: Some(SafeArea { bottom: 20.0, ..SafeArea::default() }),
                }),
                HostEvent::WidgetState(json!({ "selected": "p1" })),
                HostEvent::ToolInput(json!({ "query": "lamps" })),
                HostEvent::ToolResult(ToolResult {
                    structured: Some(json!({ "products": [] })),
                    meta: Some(json!({ "target/widget": { "stateVersion": 1, "products": [] } })),
                    is_error: false,
                    text: None,
                }),
            ]
        );
    }

    #[test]
    fn null_or_absent_globals_give_no_events() {
        assert_eq!(events_from_openai_globals(&Map::new()), vec![]);
        let nulls = globals(json!({
            "toolInput": null, "toolOutput": null, "toolResponseMetadata": null, "widgetState": null,
            "theme": null, "displayMode": null, "maxHeight": null, "locale": null, "safeArea": null
        }));
        assert_eq!(events_from_openai_globals(&nulls), vec![]);
        assert_eq!(
            events_from_openai_globals(&globals(json!({ "toolOutput": { "a": 1 }, "toolResponseMetadata": null }))),
            vec![HostEvent::ToolResult(ToolResult { structured: Some(json!({ "a": 1 })), ..Default::default() })]
        );
    }

    #[test]
    fn set_globals_rereads_the_changed_keys() {
        assert_eq!(globals_to_reread(&json!({ "globals": { "theme": "dark" } })), vec!["theme"]);
        assert_eq!(
            globals_to_reread(&json!({ "globals": { "toolOutput": {}, "maxHeight": 1 } })),
            vec!["toolOutput", "toolResponseMetadata", "maxHeight"],
            "a result needs both halves"
        );
        assert_eq!(
            globals_to_reread(&json!({ "globals": { "toolResponseMetadata": {} } })),
            vec!["toolOutput", "toolResponseMetadata"]
        );
        assert_eq!(globals_to_reread(&json!({ "globals": { "safeArea": {} } })), vec!["safeArea"]);
        assert_eq!(globals_to_reread(&json!({ "globals": { "userAgent": {} } })), Vec::<&str>::new());
        assert_eq!(globals_to_reread(&Value::Null), OPENAI_GLOBALS.to_vec());
        assert_eq!(globals_to_reread(&json!({ "globals": 1 })), OPENAI_GLOBALS.to_vec());
    }
}
