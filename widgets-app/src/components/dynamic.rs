//! A view rebuilt when the signals it reads change. Every widget routes its switching views
//! (loading / error / data screens, tier buttons, totals) through this one component, so the
//! renderer of a changing view is compiled once instead of once per `move || …` closure.

use leptos::prelude::*;

/// Renders `view` and renders it again whenever a signal it read changes.
#[component]
pub fn Dynamic(
    /// What to show; read signals inside to make it follow them.
    #[prop(into)]
    view: ViewFn,
) -> impl IntoView {
    move || view.run()
}
