//! The target_auth widget. (Stub: filled in next.)

use leptos::prelude::*;

#[component]
pub fn TargetAuth() -> impl IntoView {
    view! { <p>"TargetAuth"</p> }
}
