//! The `window.openai` bridge (ChatGPT's Apps SDK runtime).
//!
//! The globals (`toolInput`, `toolOutput`, `toolResponseMetadata`, `widgetState`, `theme`,
//! `displayMode`, `maxHeight`, `locale`) are plain properties that may be `null` or absent
//! until the host sets them. [`OpenAiBridge::connect`] reads them all once and emits events for
//! those present; after every `openai:set_globals` event on `window` (detail
//! `{globals: {...changed keys}}`) the changed keys are read again from `window.openai`.
//! Every method is feature-detected: a missing one is a [`BridgeError`] or a no-op.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::{Map, Value, json};
use shared::tool::ToolName;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::protocol::{self, CallToolParams, OPENAI_GLOBALS};
use super::{BridgeError, BridgeKind, DisplayMode, EventSink, HostBridge, HostEvent, LocalFuture, ToolResult, js};

/// The event ChatGPT dispatches on `window` when globals change.
pub const SET_GLOBALS_EVENT: &str = "openai:set_globals";

/// The `window.openai` bridge; see the module docs.
pub struct OpenAiBridge {
    inner: Rc<Inner>,
}

struct Inner {
    sink: EventSink,
    /// The state we saved last: ChatGPT echoes it through `set_globals`, which is no restore.
    saved_state: RefCell<Option<Value>>,
    /// The height last reported, so an unchanged height is not sent again.
    last_height: Cell<Option<f64>>,
    /// Whether `openai:set_globals` still becomes events (off once MCP Apps carries them).
    following: Cell<bool>,
}

impl OpenAiBridge {
    /// Connects when `window.openai` is an object: emits the globals already set (synchronously,
    /// before returning) and follows `openai:set_globals`.
    pub fn connect(sink: EventSink) -> Option<Self> {
        let window = web_sys::window()?;
        js::openai()?;
        let inner = Rc::new(Inner {
            sink,
            saved_state: RefCell::new(None),
            last_height: Cell::new(None),
            following: Cell::new(true),
        });
        inner.emit(&OPENAI_GLOBALS);

        let listener = {
            let inner = Rc::clone(&inner);
            Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
                if !inner.following.get() {
                    return;
                }
                let detail = event
                    .dyn_ref::<web_sys::CustomEvent>()
                    .and_then(|event| js::to_json(&event.detail()))
                    .unwrap_or(Value::Null);
                inner.emit(&protocol::globals_to_reread(&detail));
            })
        };
        match window.add_event_listener_with_callback(SET_GLOBALS_EVENT, listener.as_ref().unchecked_ref()) {
            // The listener lives as long as the page.
            Ok(()) => listener.forget(),
            Err(error) => js::warn(&format!("cannot follow {SET_GLOBALS_EVENT}: {}", js::error_text(&error))),
        }
        Some(OpenAiBridge { inner })
    }

    /// Stops turning `openai:set_globals` into events: the host speaks MCP Apps, whose
    /// notifications carry the same changes.
    pub fn stop_following(&self) {
        self.inner.following.set(false);
    }
}

/// The current values of these `window.openai` globals (absent ones left out, `null` kept).
pub(crate) fn read_globals(keys: &[&str]) -> Map<String, Value> {
    let Some(openai) = js::openai() else { return Map::new() };
    keys.iter().filter_map(|key| Some(((*key).to_owned(), js::to_json(&js::get(&openai, key))?))).collect()
}

impl Inner {
    fn emit(&self, keys: &[&str]) {
        if keys.is_empty() {
            return;
        }
        for event in protocol::events_from_openai_globals(&read_globals(keys)) {
            if let HostEvent::WidgetState(state) = &event
                && self.saved_state.borrow().as_ref() == Some(state)
            {
                continue;
            }
            (self.sink)(event);
        }
    }
}

fn not_connected() -> BridgeError {
    BridgeError("This widget is not connected to ChatGPT.".to_owned())
}

/// Calls `window.openai[name](...args)` and awaits what it returns, at most `timeout_ms`.
async fn call_and_wait(name: &str, args: &[JsValue], timeout_ms: i32, what: &str) -> Result<JsValue, BridgeError> {
    let openai = js::openai().ok_or_else(not_connected)?;
    let method =
        js::method(&openai, name).ok_or_else(|| BridgeError(format!("This version of ChatGPT can't {what}.")))?;
    let returned = method.apply(&openai, &args.iter().collect::<js_sys::Array>()).map_err(|error| {
        js::warn(&format!("{name} threw: {}", js::error_text(&error)));
        BridgeError(format!("ChatGPT couldn't {what}."))
    })?;
    match js::with_timeout(JsFuture::from(js_sys::Promise::resolve(&returned)), timeout_ms).await {
        Some(Ok(value)) => Ok(value),
        Some(Err(error)) => {
            let detail = js::error_text(&error);
            js::warn(&format!("{name} failed: {detail}"));
            Err(BridgeError(format!("ChatGPT couldn't {what}: {detail}")))
        }
        None => Err(BridgeError(format!("ChatGPT didn't answer in time and couldn't {what}. Try again."))),
    }
}

/// Calls `window.openai[name](arg)` if it exists, without waiting.
fn call_and_forget(name: &str, arg: &JsValue) -> bool {
    let Some(openai) = js::openai() else { return false };
    let Some(method) = js::method(&openai, name) else { return false };
    match method.call1(&openai, arg) {
        Ok(returned) => js::forget_promise(returned),
        Err(error) => js::warn(&format!("{name} threw: {}", js::error_text(&error))),
    }
    true
}

impl HostBridge for OpenAiBridge {
    fn kind(&self) -> BridgeKind {
        BridgeKind::OpenAi
    }

    /// `callTool(name, args)` (positional); whatever it resolves to is read tolerantly.
    fn call_tool(&self, name: ToolName, arguments: Value) -> LocalFuture<'_, Result<ToolResult, BridgeError>> {
        Box::pin(async move {
            let args =
                [JsValue::from_str(name.as_str()), js::from_json(&CallToolParams::new(name, arguments).arguments)];
            let answer = call_and_wait("callTool", &args, js::LONG_REQUEST_TIMEOUT_MS, "finish that action").await?;
            Ok(js::to_json(&answer).map(|answer| protocol::tool_result_from_json(&answer)).unwrap_or_default())
        })
    }

    /// `sendFollowUpMessage({prompt})`.
    fn send_message(&self, text: String) -> LocalFuture<'_, Result<(), BridgeError>> {
        Box::pin(async move {
            let arg = js::from_json(&json!({ "prompt": text }));
            call_and_wait("sendFollowUpMessage", &[arg], js::LONG_REQUEST_TIMEOUT_MS, "post the message").await?;
            Ok(())
        })
    }

    /// `setWidgetState(state)`; its echo through `set_globals` is not reported as a restore.
    fn set_widget_state(&self, state: Value) {
        let arg = js::from_json(&state);
        *self.inner.saved_state.borrow_mut() = Some(state);
        call_and_forget("setWidgetState", &arg);
    }

    /// ChatGPT shows the model the widget state's `modelContent` instead.
    fn update_model_context(&self, _: String, _: Value) -> LocalFuture<'_, ()> {
        Box::pin(async {})
    }

    /// `requestDisplayMode({mode})` → `{mode}` granted (the requested one if the answer has none).
    fn request_display_mode(&self, mode: DisplayMode) -> LocalFuture<'_, Result<DisplayMode, BridgeError>> {
        Box::pin(async move {
            let arg = js::from_json(&json!({ "mode": mode.as_str() }));
            let answer = call_and_wait("requestDisplayMode", &[arg], js::REQUEST_TIMEOUT_MS, "change the view").await?;
            Ok(js::to_json(&answer).and_then(|answer| protocol::display_mode_from_json(&answer)).unwrap_or(mode))
        })
    }

    /// `openExternal({href})`; without it, a plain new tab.
    fn open_link(&self, url: String) {
        let arg = js::from_json(&json!({ "href": url }));
        if !call_and_forget("openExternal", &arg) {
            super::Standalone.open_link_direct(url);
        }
    }

    /// `notifyIntrinsicHeight(height)`, if offered.
    fn notify_height(&self, height: f64) {
        if !height.is_finite() || height <= 0.0 || self.inner.last_height.get() == Some(height) {
            return;
        }
        self.inner.last_height.set(Some(height));
        call_and_forget("notifyIntrinsicHeight", &JsValue::from_f64(height));
    }
}
