//! The root component: connects the host bridge, applies the host's theme, display mode,
//! maximum height and safe-area insets to the page, reports the content height, mounts the widget
//! the page names, and shows an error state with a retry when a script error or an unhandled
//! rejection happens after the first render (the template's boot script hands them over).

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::tool::WidgetId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::bridge::{self, DisplayMode, HostContext, Theme};
use crate::components::ErrorPanel;
use crate::host::Host;

/// What the error state says; the details go to the console.
pub const CRASH_MESSAGE: &str = "Something went wrong in this Target widget.";

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
        // The first resize may have come before the bridge: report the height now too.
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            host.notify_height(body.get_bounding_client_rect().height().ceil());
        }
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
        let style = host.context.with(page_style);
        _ = html.set_attribute("style", &style);
    });
    report_height(host);

    // An error after the first render: the error state, whose retry mounts the widget again from
    // the newest data the host gave.
    let crash = RwSignal::new(None::<String>);
    let locale = Memo::new(move |_| host.context.with(|c| crate::locale::formatting_locale(c.locale.as_deref())));
    follow_errors(crash);
    let retry = move |_| crash.set(None);
    view! {
        <main class="tw-app">
            {move || {
                // The widget is mounted again when the formatting locale changes (rarely: once,
                // when a non-US host's context arrives).
                crate::locale::set(locale.get());
                match crash.get() {
                Some(_) => view! {
                    <div class="tw-widget tw-crash">
                        <ErrorPanel message=CRASH_MESSAGE.to_owned() />
                        <button type="button" class="tw-btn tw-btn--primary" data-testid="retry" on:click=retry>
                            "Try again"
                        </button>
                    </div>
                }
                .into_any(),
                None => widget_view(widget),
                }
            }}
        </main>
    }
}

/// The page's CSS variables for the host context: `--tw-max-height` (the widget scrolls inside
/// it, except fullscreen) and `--tw-safe-*` (the insets the host's own UI covers), in whole
/// pixels (integer formatting: float formatting would add kilobytes to every widget).
pub fn page_style(context: &HostContext) -> String {
    let px = |v: f64| v.round() as i64;
    let mut style = String::new();
    if let Some(height) = context.max_height.filter(|_| context.display_mode != Some(DisplayMode::Fullscreen)) {
        style.push_str(&format!("--tw-max-height:{}px;", px(height)));
    }
    if let Some(insets) = context.safe_area {
        style.push_str(&format!(
            "--tw-safe-top:{}px;--tw-safe-right:{}px;--tw-safe-bottom:{}px;--tw-safe-left:{}px;",
            px(insets.top),
            px(insets.right),
            px(insets.bottom),
            px(insets.left)
        ));
    }
    style
}

/// Takes over errors after the first render from the boot script (`__targetWidget.onError`).
fn follow_errors(crash: RwSignal<Option<String>>) {
    let Some(window) = web_sys::window() else { return };
    let state = crate::bridge::js::get(&window, "__targetWidget");
    if !state.is_object() {
        return;
    }
    let on_error = Closure::<dyn Fn(String)>::new(move |message: String| crash.set(Some(message)));
    if js_sys::Reflect::set(&state, &"onError".into(), on_error.as_ref()).is_ok() {
        // The handler lives as long as the page.
        on_error.forget();
    }
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
