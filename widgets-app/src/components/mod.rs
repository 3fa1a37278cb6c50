//! Pieces shared by the widgets.

use leptos::prelude::*;

/// A readable error with an alert role.
#[component]
pub fn ErrorPanel(
    /// What went wrong, for the shopper.
    message: String,
) -> impl IntoView {
    view! { <div class="tw-error" role="alert">{message}</div> }
}
