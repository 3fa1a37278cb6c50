//! Reactive text and messages, each through one component: every `move || …` view closure
//! compiles to its own copy of the renderer, so routing the widgets' changing texts through these
//! two shares one copy and keeps the WASM small. Text is always rendered as text, never as HTML.

use leptos::prelude::*;

/// Text that follows a signal ("Sign in" / "Signing in…", a quantity, a total).
#[component]
pub fn LiveText(
    /// The text to show now.
    #[prop(into)]
    text: Signal<String>,
) -> impl IntoView {
    move || text.get()
}

/// A `<p>` shown only while `text` holds a message (field errors, server errors, confirmations).
#[component]
pub fn Message(
    /// The message, when there is one.
    #[prop(into)]
    text: Signal<Option<String>>,
    /// The element's classes.
    class: &'static str,
    /// The element's `data-testid`.
    testid: &'static str,
    /// The element's `id`, for `aria-describedby`.
    #[prop(optional)]
    id: Option<&'static str>,
    /// `alert` for errors (announced at once), `status` for confirmations.
    #[prop(optional)]
    role: Option<&'static str>,
) -> impl IntoView {
    move || text.get().map(|text| view! { <p class=class id=id role=role data-testid=testid>{text}</p> })
}
