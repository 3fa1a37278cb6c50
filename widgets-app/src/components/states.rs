//! The states every widget shares besides its data: a loading skeleton while the host has not
//! sent the tool result yet, and an empty state.

use leptos::prelude::*;

/// A grey placeholder in the shape of what is coming, announced to screen readers as loading.
#[component]
pub fn LoadingSkeleton(
    /// What is loading, read by screen readers ("Loading products…").
    #[prop(into)]
    label: String,
    /// How many placeholder blocks to draw.
    #[prop(default = 3)]
    blocks: usize,
    /// Draw the blocks as cards in a grid (products) instead of rows (cart, forms).
    #[prop(optional)]
    grid: bool,
) -> impl IntoView {
    let class = if grid { "tw-skeleton tw-skeleton--grid" } else { "tw-skeleton" };
    view! {
        <div class=class role="status" aria-live="polite" aria-busy="true" data-testid="loading">
            <span class="tw-visually-hidden">{label}</span>
            {(0..blocks).map(|_| view! { <div class="tw-skeleton__block" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}

/// Nothing to show: a title, a sentence saying what to do next, and optional actions.
#[component]
pub fn EmptyState(
    /// The headline ("Your cart is empty").
    #[prop(into)]
    title: String,
    /// What the shopper can do about it.
    #[prop(into)]
    message: String,
    /// Buttons or links under the message.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="tw-empty" data-testid="empty">
            <p class="tw-empty__title">{title}</p>
            <p class="tw-empty__text">{message}</p>
            {children.map(|c| c())}
        </div>
    }
}
