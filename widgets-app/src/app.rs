//! The root component: connects the host bridge, applies the host's theme and display mode to
//! the page, reports the content height, and mounts the widget the page names.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::tool::WidgetId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::bridge::{self, Theme};
use crate::components::ErrorPanel;
use crate::host::Host;

/// The whole widget page.
#[component]
pub fn App(
    /// Which widget to show; `None` when the page names none we know.
    widget: Option<WidgetId>,
) -> impl IntoView {
    let host = Host::new();
    provide_context(host);
    spawn_local(async move {
        let sink: bridge::EventSink = Rc::new(move |event| host.handle(event));
        let bridge = bridge::connect(sink).await;
        host.set_bridge(bridge);
    });

    // Theme: the host's, else the system's; `data-theme` on <html> switches the CSS tokens.
    Effect::new(move |_| {
        let theme = host.context.with(|c| c.theme);
        let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else {
            return;
        };
        match theme {
            Some(Theme::Dark) => _ = html.set_attribute("data-theme", "dark"),
            Some(Theme::Light) => _ = html.set_attribute("data-theme", "light"),
            None => _ = html.remove_attribute("data-theme"),
        }
        let mode = host.context.with(|c| c.display_mode.map(|m| m.as_str()).unwrap_or("inline"));
        _ = html.set_attribute("data-display-mode", mode);
    });
    report_height(host);

    let body = widget_view(widget);
    view! { <main class="tw-app">{body}</main> }
}

/// Tells the host the content height whenever it changes, so inline cards fit their content.
fn report_height(host: Host) {
    let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) else { return };
    let callback = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let height =
            entries.get(0).dyn_into::<web_sys::ResizeObserverEntry>().map(|e| e.content_rect().height()).unwrap_or(0.0);
        if height > 0.0 {
            host.notify_height(height.ceil());
        }
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
        observer.observe(&body);
        // The observer lives as long as the page.
        std::mem::forget(observer);
    }
    callback.forget();
}

/// The named widget, if this build carries it (each template's WASM carries only its own).
fn widget_view(widget: Option<WidgetId>) -> AnyView {
    match widget {
        #[cfg(feature = "target-auth")]
        Some(WidgetId::TargetAuth) => view! { <crate::widgets::TargetAuth /> }.into_any(),
        #[cfg(feature = "product-grid")]
        Some(WidgetId::ProductGrid) => view! { <crate::widgets::ProductGrid /> }.into_any(),
        #[cfg(feature = "cart")]
        Some(WidgetId::Cart) => view! { <crate::widgets::Cart /> }.into_any(),
        #[cfg(feature = "circle")]
        Some(WidgetId::Circle) => view! { <crate::widgets::Circle /> }.into_any(),
        #[allow(unreachable_patterns)]
        Some(other) => {
            view! { <ErrorPanel message=format!("This build does not include the {other} widget.") /> }.into_any()
        }
        None => view! { <ErrorPanel message="This page does not name a Target widget.".to_owned() /> }.into_any(),
    }
}
