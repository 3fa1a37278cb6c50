//! The circle widget. (Stub: filled in next.)

use leptos::prelude::*;

#[component]
pub fn Circle() -> impl IntoView {
    view! { <p>"Circle"</p> }
}
