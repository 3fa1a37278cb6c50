//! Small JavaScript helpers shared by the two bridges: JS values to and from `serde_json`,
//! property and method look-ups that never throw, promises as futures, and timeouts.

use std::future::Future;

use futures::future::{Either, select};
use js_sys::{Function, JSON, Promise, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the MCP Apps host has to answer `ui/initialize` before we assume there is none.
pub(crate) const HANDSHAKE_TIMEOUT_MS: i32 = 1_500;
/// How long a tool call or a follow-up message may take (the server may call Target's catalog).
pub(crate) const LONG_REQUEST_TIMEOUT_MS: i32 = 90_000;
/// How long other host requests (display mode, open link) may take.
pub(crate) const REQUEST_TIMEOUT_MS: i32 = 30_000;

/// Any JS value as JSON, through `JSON.stringify` (robust for every shape a host hands us):
/// `undefined`, functions and unserializable values (cycles, BigInt) give `None`.
pub(crate) fn to_json(value: &JsValue) -> Option<Value> {
    if value.is_undefined() {
        return None;
    }
    if value.is_null() {
        return Some(Value::Null);
    }
    let text: JsValue = JSON::stringify(value).ok()?.into();
    serde_json::from_str(&text.as_string()?).ok()
}

/// A `postMessage` payload as JSON: a structured-clone object, or a JSON string.
pub(crate) fn message_data(value: &JsValue) -> Option<Value> {
    match value.as_string() {
        Some(text) => serde_json::from_str(&text).ok(),
        None => to_json(value),
    }
}

/// JSON as a plain JS value (maps become plain objects, not `Map`s).
pub(crate) fn from_json(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .or_else(|_| JSON::parse(&value.to_string()))
        .unwrap_or(JsValue::UNDEFINED)
}

/// `target[key]`, or `undefined` if reading it throws.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `window.openai`, when it is an object.
pub(crate) fn openai() -> Option<JsValue> {
    let window: JsValue = web_sys::window()?.into();
    let openai = get(&window, "openai");
    openai.is_object().then_some(openai)
}

/// `target[name]` when it is a function.
pub(crate) fn method(target: &JsValue, name: &str) -> Option<Function> {
    get(target, name).dyn_into::<Function>().ok()
}

/// Awaits a value that may or may not be a promise (`Promise.resolve(value)`).
pub(crate) async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

/// Lets a returned promise settle in the background, so a rejection is not reported as
/// unhandled.
pub(crate) fn forget_promise(value: JsValue) {
    if value.is_instance_of::<Promise>() {
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = settle(value).await {
                warn(&format!("host call failed: {}", error_text(&error)));
            }
        });
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout` promise; never resolves without a window).
pub(crate) fn sleep(ms: i32) -> JsFuture {
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    JsFuture::from(promise)
}

/// `future`'s output, or `None` if `ms` milliseconds pass first.
pub(crate) async fn with_timeout<F: Future + Unpin>(future: F, ms: i32) -> Option<F::Output> {
    match select(future, sleep(ms)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

/// A thrown or rejected JS value in words.
pub(crate) fn error_text(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    if let Some(message) = get(error, "message").as_string() {
        return message;
    }
    to_json(error).map(|v| v.to_string()).unwrap_or_else(|| "unknown error".to_owned())
}

/// `console.warn`, for what the shopper need not see but a developer should.
pub(crate) fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
