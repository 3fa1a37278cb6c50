//! The cart widget. (Stub: filled in next.)

use leptos::prelude::*;

#[component]
pub fn Cart() -> impl IntoView {
    view! { <p>"Cart"</p> }
}
