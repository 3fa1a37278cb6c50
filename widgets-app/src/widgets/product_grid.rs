//! The product_grid widget. (Stub: filled in next.)

use leptos::prelude::*;

#[component]
pub fn ProductGrid() -> impl IntoView {
    view! { <p>"ProductGrid"</p> }
}
