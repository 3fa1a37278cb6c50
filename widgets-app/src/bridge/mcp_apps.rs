//! The MCP Apps `ui/*` bridge: JSON-RPC 2.0 over `postMessage` with `window.parent`.
//!
//! [`McpAppsBridge::connect`] runs the handshake: `ui/initialize` (answered within
//! [`HANDSHAKE_TIMEOUT_MS`](super::js::HANDSHAKE_TIMEOUT_MS), else this is no MCP Apps host),
//! then the initial `hostContext` as [`HostEvent::Context`], then `ui/notifications/initialized`,
//! after which the host sends tool input and result. From then on one `message` listener turns
//! host notifications into [`HostEvent`]s, answers host requests (`ping`,
//! `ui/resource-teardown`) and completes our pending requests, matched by id.
//!
//! Messages are only accepted from `window.parent` and posted to it with target origin `"*"`
//! (the host's origin is unknown to a sandboxed view). Where ChatGPT also offers
//! `window.openai`, it is used for what MCP Apps lacks: `setWidgetState`, and the restored
//! `widgetState`, emitted once after the handshake.
//!
//! The template's boot script starts the handshake before the WASM is compiled (request id
//! [`EARLY_INITIALIZE_ID`](protocol::EARLY_INITIALIZE_ID), `initialized` sent on the answer) and
//! keeps what the host sends; [`McpAppsBridge::connect`] takes those messages over, so the host's
//! first answers are not waited for twice.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use serde_json::Value;
use shared::tool::ToolName;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use super::protocol::{
    self, CallToolParams, DisplayModeParams, Empty, Incoming, InitializeParams, MessageParams, ModelContextParams,
    ModelContextSupport, OpenLinkParams, RequestIds, RpcError, SizeChangedParams, ViewNotification, ViewRequest,
};
use super::{BridgeError, BridgeKind, DisplayMode, EventSink, HostBridge, HostEvent, LocalFuture, ToolResult, js};

type Reply = Result<Value, RpcError>;

/// The MCP Apps bridge; see the module docs.
pub struct McpAppsBridge {
    inner: Rc<Inner>,
}

struct Inner {
    parent: web_sys::Window,
    ids: RefCell<RequestIds>,
    /// Our requests awaiting the host's answer, by id.
    pending: RefCell<HashMap<u64, oneshot::Sender<Reply>>>,
    sink: EventSink,
    /// Off after a failed handshake: late messages are then ignored.
    listening: Cell<bool>,
    /// The height last reported, so an unchanged height is not sent again.
    last_height: Cell<Option<f64>>,
    /// What the host takes in `ui/update-model-context` (`None`: it did not offer it).
    model_context: Cell<Option<ModelContextSupport>>,
}

/// Why a request got no result.
enum Failure {
    /// The host answered with a JSON-RPC error.
    Rpc(RpcError),
    /// The host did not answer in time.
    Timeout,
    /// `postMessage` threw.
    Unsent(String),
}

impl Failure {
    /// In words a shopper can read; the details go to the console.
    fn into_error(self, what: &str) -> BridgeError {
        match self {
            Failure::Rpc(error) => {
                js::warn(&format!("{what}: host error {}: {}", error.code, error.message));
                BridgeError(format!("ChatGPT couldn't {what}: {}", error.message))
            }
            Failure::Timeout => BridgeError(format!("ChatGPT didn't answer in time and couldn't {what}. Try again.")),
            Failure::Unsent(detail) => {
                js::warn(&format!("{what}: postMessage failed: {detail}"));
                BridgeError(format!("Couldn't reach ChatGPT to {what}."))
            }
        }
    }
}

impl McpAppsBridge {
    /// Connects when this page is framed (`window.parent != window`) and the parent answers
    /// `ui/initialize` in time; `None` otherwise (then nothing more is read from `message`s).
    pub async fn connect(sink: EventSink) -> Option<Self> {
        let window = web_sys::window()?;
        let parent = window.parent().ok().flatten()?;
        if js_sys::Object::is(&parent, &window) {
            return None;
        }
        let inner = Rc::new(Inner {
            parent,
            ids: RefCell::new(RequestIds::default()),
            pending: RefCell::new(HashMap::new()),
            sink,
            listening: Cell::new(true),
            last_height: Cell::new(None),
            model_context: Cell::new(None),
        });

        // Taking the boot script's messages and adding our listener happen in one turn of the
        // event loop, so no message is lost or seen twice.
        let early = EarlyHandshake::take();
        let listener = {
            let inner = Rc::clone(&inner);
            Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| inner.on_message(&event))
        };
        if window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref()).is_err() {
            return None;
        }
        // The listener lives as long as the page.
        listener.forget();

        let answer = match &early {
            Some(early) => {
                let receiver = inner.expect(protocol::EARLY_INITIALIZE_ID);
                for message in &early.messages {
                    inner.on_data(message);
                }
                inner.answer(protocol::EARLY_INITIALIZE_ID, receiver, js::HANDSHAKE_TIMEOUT_MS).await
            }
            None => {
                let initialize = ViewRequest::Initialize(InitializeParams::ours());
                inner.request(initialize, js::HANDSHAKE_TIMEOUT_MS).await
            }
        };
        let result = match answer {
            Ok(result) => result,
            Err(failure) => {
                inner.listening.set(false);
                inner.pending.borrow_mut().clear();
                if let Failure::Rpc(error) = failure {
                    js::warn(&format!("ui/initialize refused ({}): {}", error.code, error.message));
                }
                return None;
            }
        };
        let result = protocol::initialize_result_from_json(&result);
        inner.model_context.set(result.model_context);
        if let Some(context) = result.host_context {
            (inner.sink)(HostEvent::Context(context));
        }
        if let Some(state) = restored_openai_state() {
            (inner.sink)(HostEvent::WidgetState(state));
        }
        if !early.is_some_and(|early| early.initialized) {
            inner.notify(&ViewNotification::Initialized(Empty {}));
        }
        Some(McpAppsBridge { inner })
    }
}

/// What the template's boot script did before the WASM ran (`window.__targetWidget.early`).
struct EarlyHandshake {
    /// Every message the host posted meanwhile, oldest first.
    messages: Vec<JsValue>,
    /// Whether it already sent `ui/notifications/initialized` (the host answered `ui/initialize`).
    initialized: bool,
}

impl EarlyHandshake {
    /// Stops the boot script's listener and takes what it kept; `None` when it sent nothing
    /// (not framed, or an older template).
    fn take() -> Option<Self> {
        let window: JsValue = web_sys::window()?.into();
        let early = js::get(&js::get(&window, "__targetWidget"), "early");
        let stop = js::method(&early, "stop")?;
        let messages = stop.call0(&early).ok()?.dyn_into::<js_sys::Array>().ok()?;
        Some(EarlyHandshake {
            messages: messages.iter().collect(),
            initialized: js::get(&early, "initialized").as_bool().unwrap_or(false),
        })
    }
}

/// ChatGPT's `window.openai.widgetState`, where ChatGPT offers it next to MCP Apps.
fn restored_openai_state() -> Option<Value> {
    let globals = super::openai::read_globals(&[protocol::global::WIDGET_STATE]);
    globals.get(protocol::global::WIDGET_STATE).filter(|state| !state.is_null()).cloned()
}

impl Inner {
    fn post(&self, message: &Value) -> Result<(), String> {
        self.parent.post_message(&js::from_json(message), "*").map_err(|error| js::error_text(&error))
    }

    fn notify(&self, notification: &ViewNotification) {
        if let Err(detail) = self.post(&protocol::notification_message(notification)) {
            js::warn(&format!("postMessage failed: {detail}"));
        }
    }

    /// Sends `request` and waits for the answer with this id, at most `timeout_ms`.
    async fn request(&self, request: ViewRequest, timeout_ms: i32) -> Result<Value, Failure> {
        let id = self.ids.borrow_mut().next_id();
        let receiver = self.expect(id);
        if let Err(detail) = self.post(&protocol::request_message(id, &request)) {
            self.pending.borrow_mut().remove(&id);
            return Err(Failure::Unsent(detail));
        }
        self.answer(id, receiver, timeout_ms).await
    }

    /// Registers a request with this id as awaiting its answer.
    fn expect(&self, id: u64) -> oneshot::Receiver<Reply> {
        let (sender, receiver) = oneshot::channel();
        self.pending.borrow_mut().insert(id, sender);
        receiver
    }

    /// The answer to request `id`, at most `timeout_ms` from now.
    async fn answer(&self, id: u64, receiver: oneshot::Receiver<Reply>, timeout_ms: i32) -> Result<Value, Failure> {
        let answer = js::with_timeout(receiver, timeout_ms).await;
        self.pending.borrow_mut().remove(&id);
        match answer {
            Some(Ok(Ok(result))) => Ok(result),
            Some(Ok(Err(error))) => Err(Failure::Rpc(error)),
            Some(Err(oneshot::Canceled)) => Err(Failure::Unsent("the request was dropped".to_owned())),
            None => Err(Failure::Timeout),
        }
    }

    fn on_message(&self, event: &MessageEvent) {
        if !self.listening.get() {
            return;
        }
        let from_parent = event.source().is_some_and(|source| js_sys::Object::is(&source, &self.parent));
        if !from_parent {
            return;
        }
        self.on_data(&event.data());
    }

    /// Handles one message from the host (its `data`).
    fn on_data(&self, data: &JsValue) {
        let Some(message) = js::message_data(data) else { return };
        match protocol::parse_host_message(&message) {
            Incoming::Response { id, outcome } => {
                let sender = self.pending.borrow_mut().remove(&id);
                if let Some(sender) = sender {
                    let _ = sender.send(outcome);
                }
            }
            Incoming::Event(event) => (self.sink)(event),
            Incoming::Reply(reply) => {
                if let Err(detail) = self.post(&reply) {
                    js::warn(&format!("could not answer the host: {detail}"));
                }
            }
            Incoming::Ignore => {}
        }
    }
}

impl HostBridge for McpAppsBridge {
    fn kind(&self) -> BridgeKind {
        BridgeKind::McpApps
    }

    fn call_tool(&self, name: ToolName, arguments: Value) -> LocalFuture<'_, Result<ToolResult, BridgeError>> {
        Box::pin(async move {
            let request = ViewRequest::CallTool(CallToolParams::new(name, arguments));
            match self.inner.request(request, js::LONG_REQUEST_TIMEOUT_MS).await {
                Ok(result) => Ok(protocol::tool_result_from_json(&result)),
                Err(failure) => Err(failure.into_error("finish that action")),
            }
        })
    }

    fn send_message(&self, text: String) -> LocalFuture<'_, Result<(), BridgeError>> {
        Box::pin(async move {
            let request = ViewRequest::Message(MessageParams::user_text(text));
            match self.inner.request(request, js::LONG_REQUEST_TIMEOUT_MS).await {
                Ok(result) if protocol::is_error_result(&result) => {
                    Err(BridgeError("ChatGPT couldn't post the message.".to_owned()))
                }
                Ok(_) => Ok(()),
                Err(failure) => Err(failure.into_error("post the message")),
            }
        })
    }

    /// Delegates to `window.openai.setWidgetState` where ChatGPT offers it; MCP Apps has no
    /// widget state, so elsewhere this does nothing.
    fn set_widget_state(&self, state: Value) {
        let Some(openai) = js::openai() else { return };
        if let Some(set_widget_state) = js::method(&openai, "setWidgetState") {
            match set_widget_state.call1(&openai, &js::from_json(&state)) {
                Ok(returned) => js::forget_promise(returned),
                Err(error) => js::warn(&format!("setWidgetState failed: {}", js::error_text(&error))),
            }
        }
    }

    /// `ui/update-model-context`, if the host offered it in `hostCapabilities`; settles with the
    /// host's answer (a failure is logged, nothing more).
    fn update_model_context(&self, text: String, structured: Value) -> LocalFuture<'_, ()> {
        Box::pin(async move {
            let Some(support) = self.inner.model_context.get() else { return };
            let request = ViewRequest::UpdateModelContext(ModelContextParams::new(text, structured, support));
            if let Err(failure) = self.inner.request(request, js::REQUEST_TIMEOUT_MS).await {
                let _ = failure.into_error("update the model's context");
            }
        })
    }

    fn request_display_mode(&self, mode: DisplayMode) -> LocalFuture<'_, Result<DisplayMode, BridgeError>> {
        Box::pin(async move {
            let request = ViewRequest::RequestDisplayMode(DisplayModeParams::new(mode));
            match self.inner.request(request, js::REQUEST_TIMEOUT_MS).await {
                Ok(result) => Ok(protocol::display_mode_from_json(&result).unwrap_or(mode)),
                Err(failure) => Err(failure.into_error("change the view")),
            }
        })
    }

    /// `ui/open-link`; a host that does not know the method gets a plain new tab instead.
    fn open_link(&self, url: String) {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::spawn_local(async move {
            let request = ViewRequest::OpenLink(OpenLinkParams { url: url.clone() });
            match inner.request(request, js::REQUEST_TIMEOUT_MS).await {
                Ok(result) if protocol::is_error_result(&result) => js::warn("the host refused to open the link"),
                Ok(_) => {}
                Err(Failure::Rpc(error)) if error.code == protocol::METHOD_NOT_FOUND => {
                    super::Standalone.open_link_direct(url);
                }
                Err(failure) => {
                    let _ = failure.into_error("open the link");
                }
            }
        });
    }

    fn notify_height(&self, height: f64) {
        if !height.is_finite() || height <= 0.0 || self.inner.last_height.get() == Some(height) {
            return;
        }
        self.inner.last_height.set(Some(height));
        self.inner.notify(&ViewNotification::SizeChanged(SizeChangedParams { height }));
    }
}
