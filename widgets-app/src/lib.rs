//! The Target widgets in Leptos, compiled to one WASM for all four; the page's
//! `data-widget` attribute picks which one mounts.
//!
//! Code map:
//! - [`bridge`]: the only code touching the host's JS (MCP Apps postMessage or `window.openai`).
//! - [`host`]: reactive host state (newest tool result, context) and typed calls, as context.
//! - [`app`]: the root: connects the bridge, themes the page, reports height, picks the widget.
//! - [`widgets`]: target-auth, product-grid, cart, circle.
//! - [`components`]: pieces shared by the widgets (price, rating, states, buttons).
//! - [`api`]: the direct REST calls to the server (sign-in, sign-out).
//! - [`locale`]: money and dates in the host's locale (prices stay USD).
//! - [`model_context`]: what the model is told after a widget action (both dialects).
//! - [`panic_screen`]: a panic shows a friendly error instead of a blank frame.

// A single-widget build leaves the other widgets' shared helpers unused.
#![cfg_attr(
    not(all(feature = "target-auth", feature = "product-grid", feature = "cart", feature = "circle")),
    allow(dead_code, unused_imports)
)]

pub mod api;
pub mod app;
pub mod bridge;
pub mod components;
pub mod host;
pub mod locale;
pub mod model_context;
pub mod panic_screen;
pub mod widgets;

use shared::tool::WidgetId;
use wasm_bindgen::JsCast;

/// Mounts the widget named by `#root[data-widget]`.
pub fn start() {
    panic_screen::install();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(root) = document.get_element_by_id("root") else { return };
    let widget = root.get_attribute("data-widget").and_then(|w| w.parse::<WidgetId>().ok());
    root.set_inner_html("");
    let root: web_sys::HtmlElement = root.unchecked_into();
    leptos::mount::mount_to(root, move || leptos::view! { <app::App widget=widget /> }).forget();
}
