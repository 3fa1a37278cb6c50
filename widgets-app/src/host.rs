//! The host as the widgets see it: reactive signals for what the host pushed (newest tool result,
//! tool input, context, restored widget state) and the bridge for calls. Provided as context by
//! the root component; widgets take it with [`use_host`].

use std::rc::Rc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::calls::{self, Tool};
use shared::tool::ToolName;
use shared::widget::{WIDGET_META_KEY, WidgetMeta};

use crate::bridge::{BridgeError, BridgeKind, DisplayMode, HostBridge, HostContext, HostEvent, ToolResult};
use crate::model_context::{self, ModelContext};

/// A tool's answer: the result as the host gave it (to [`Host::show`]) and its
/// `structuredContent` parsed as the tool's output type.
pub struct Answer<O> {
    pub result: ToolResult,
    /// `None` when the result is not the tool's output shape.
    pub output: Option<O>,
}

/// Reactive view of the host; `Copy`, so it moves into closures freely.
#[derive(Clone, Copy)]
pub struct Host {
    bridge: StoredValue<Option<Rc<dyn HostBridge>>, LocalStorage>,
    /// The newest tool result the widget shows (the host's, or one a widget action produced).
    pub result: RwSignal<Option<ToolResult>>,
    pub input: RwSignal<Option<Value>>,
    pub context: RwSignal<HostContext>,
    /// State restored by the host: the `privateContent` of ChatGPT's `widgetState` (or the whole
    /// state, when an older widget saved it flat).
    pub restored_state: RwSignal<Option<Value>>,
    /// Whether a bridge is connected yet (until then the widget shows its loading state).
    pub connected: RwSignal<bool>,
}

/// The state version a result carries in its widget meta, if any.
pub fn state_version(result: &ToolResult) -> Option<u64> {
    result.meta.as_ref()?.get(WIDGET_META_KEY)?.get("stateVersion")?.as_u64()
}

/// Whether `new` may replace `current`: never go back to an older state version.
pub fn is_not_older(current: Option<&ToolResult>, new: &ToolResult) -> bool {
    match (current.and_then(state_version), state_version(new)) {
        (Some(old), Some(new)) => new >= old,
        _ => true,
    }
}

impl Host {
    pub fn new() -> Self {
        Host {
            bridge: StoredValue::new_local(None),
            result: RwSignal::new(None),
            input: RwSignal::new(None),
            context: RwSignal::new(HostContext::default()),
            restored_state: RwSignal::new(None),
            connected: RwSignal::new(false),
        }
    }

    pub fn set_bridge(&self, bridge: Rc<dyn HostBridge>) {
        self.bridge.set_value(Some(bridge));
        self.connected.set(true);
    }

    pub fn kind(&self) -> Option<BridgeKind> {
        self.bridge.with_value(|b| b.as_ref().map(|b| b.kind()))
    }

    /// Applies a host event; an older tool result never replaces a newer one.
    pub fn handle(&self, event: HostEvent) {
        match event {
            HostEvent::ToolInput(input) => self.input.set(Some(input)),
            HostEvent::ToolResult(result) => self.show(result),
            HostEvent::Context(update) => self.context.update(|c| c.merge(update)),
            HostEvent::WidgetState(state) => self.restored_state.set(Some(model_context::private_state(state))),
        }
    }

    /// Shows `result` unless what is shown is newer.
    pub fn show(&self, result: ToolResult) {
        let newer = self.result.with_untracked(|current| is_not_older(current.as_ref(), &result));
        if newer {
            self.result.set(Some(result));
        }
    }

    /// The shown result's `structuredContent` as `T`, or `None` (not arrived, or another shape).
    pub fn output<T: DeserializeOwned>(&self) -> Option<T> {
        self.result.with(|r| parse_structured(r.as_ref()?))
    }

    /// The shown result's widget meta.
    pub fn widget_meta(&self) -> WidgetMeta {
        self.result.with(|r| r.as_ref().and_then(parse_widget_meta).unwrap_or_default())
    }

    fn bridge(&self) -> Result<Rc<dyn HostBridge>, BridgeError> {
        self.bridge
            .with_value(|b| b.clone())
            .ok_or_else(|| BridgeError("Still connecting to ChatGPT; try again in a moment.".into()))
    }

    /// The bridge, waiting (at most a few seconds) while it is still connecting: data can be shown
    /// before the MCP Apps handshake has finished, and a click then must not fail.
    async fn ready_bridge(&self) -> Result<Rc<dyn HostBridge>, BridgeError> {
        const WAIT_MS: i32 = 50;
        const TRIES: u32 = 80;
        for _ in 0..TRIES {
            if let Ok(bridge) = self.bridge() {
                return Ok(bridge);
            }
            let _ = crate::bridge::js::sleep(WAIT_MS).await;
        }
        self.bridge()
    }

    /// Calls tool `T` with its input type; an `isError` result becomes `Err` with the server's
    /// message. The only way widgets call tools: the compiler pairs the tool with its input.
    pub async fn call<T: Tool>(&self, input: &T::Input) -> Result<Answer<T::Output>, BridgeError> {
        let result = self.call_tool(T::NAME, calls::arguments::<T>(input)).await?;
        let output = parse_structured::<T::Output>(&result);
        Ok(Answer { result, output })
    }

    async fn call_tool(&self, name: ToolName, arguments: Value) -> Result<ToolResult, BridgeError> {
        let bridge = self.ready_bridge().await?;
        let result = bridge.call_tool(name, arguments).await?;
        if result.is_error {
            return Err(BridgeError(result.text.unwrap_or_else(|| format!("{name} failed."))));
        }
        Ok(result)
    }

    pub async fn send_message(&self, text: String) -> Result<(), BridgeError> {
        self.ready_bridge().await?.send_message(text).await
    }

    /// Saves widget state; if the bridge is still connecting, as soon as it is there.
    pub fn set_widget_state(&self, state: Value) {
        let host = *self;
        leptos::task::spawn_local(async move {
            if let Ok(bridge) = host.ready_bridge().await {
                bridge.set_widget_state(state);
            }
        });
    }

    /// Tells the model what the widget's actions established: `ui/update-model-context` (MCP
    /// Apps) and the widget state's `modelContent` (`window.openai`), with `private` as the
    /// widget state's `privateContent` (what a re-render restores). Not waited for.
    pub fn tell_model(&self, context: &ModelContext, private: Value) {
        let told = self.tell_model_now(context, private);
        leptos::task::spawn_local(told);
    }

    /// [`Host::tell_model`], settling once the host has the update (MCP Apps: it answered
    /// `ui/update-model-context`), for an action whose follow-up message must find the model
    /// told already (a sign-in's new session id).
    pub fn tell_model_now(&self, context: &ModelContext, private: Value) -> impl Future<Output = ()> + 'static {
        let state = model_context::widget_state(context, private);
        let (text, structured) = (context.text(), context.to_json());
        let host = *self;
        async move {
            if let Ok(bridge) = host.ready_bridge().await {
                bridge.set_widget_state(state);
                bridge.update_model_context(text, structured).await;
            }
        }
    }

    pub async fn request_display_mode(&self, mode: DisplayMode) -> Result<DisplayMode, BridgeError> {
        self.ready_bridge().await?.request_display_mode(mode).await
    }

    /// Opens a link through the host (directly when no host ever connects).
    pub fn open_link(&self, url: String) {
        let host = *self;
        leptos::task::spawn_local(async move {
            match host.ready_bridge().await {
                Ok(bridge) => bridge.open_link(url),
                Err(_) => crate::bridge::Standalone.open_link_direct(url),
            }
        });
    }

    pub fn notify_height(&self, height: f64) {
        if let Ok(bridge) = self.bridge() {
            bridge.notify_height(height);
        }
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

pub fn parse_structured<T: DeserializeOwned>(result: &ToolResult) -> Option<T> {
    serde_json::from_value(result.structured.clone()?).ok()
}

pub fn parse_widget_meta(result: &ToolResult) -> Option<WidgetMeta> {
    serde_json::from_value(result.meta.as_ref()?.get(WIDGET_META_KEY)?.clone()).ok()
}

/// The host, provided by the root component.
pub fn use_host() -> Host {
    expect_context::<Host>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(version: Option<u64>) -> ToolResult {
        let meta = version.map(|v| json!({ WIDGET_META_KEY: {"stateVersion": v, "products": []} }));
        ToolResult { structured: Some(json!({})), meta, is_error: false, text: None }
    }

    #[test]
    fn older_results_never_replace_newer_ones() {
        assert!(is_not_older(None, &result(Some(1))));
        assert!(is_not_older(Some(&result(Some(1))), &result(Some(2))));
        assert!(is_not_older(Some(&result(Some(2))), &result(Some(2))), "the same version may repeat");
        assert!(!is_not_older(Some(&result(Some(3))), &result(Some(2))));
        assert!(is_not_older(Some(&result(Some(3))), &result(None)), "unversioned results are taken");
    }
}
