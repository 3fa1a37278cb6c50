//! Focus management: when an action replaces the view (a placed order, a sign-in), focus moves to
//! the new view's heading so keyboard and screen-reader users land on the result.

use wasm_bindgen::JsCast;

/// Focuses the element with `id` on the next animation frame (after the new view is drawn).
/// The target needs `tabindex="-1"` if it is not focusable by itself.
pub fn focus_later(id: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}
