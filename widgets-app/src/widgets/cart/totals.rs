//! The money summary under a cart or an order: subtotal, Circle savings, shipping, tax, total.

use leptos::prelude::*;

use super::logic::TotalRow;
use crate::components::Dynamic;

/// The totals as a description list; `rows` updates in place when the cart changes.
#[component]
pub fn Totals(
    /// The rows to show, from `cart_rows` or `order_rows`.
    #[prop(into)]
    rows: Signal<Vec<TotalRow>>,
) -> impl IntoView {
    view! {
        <dl class="tw-totals" aria-live="polite">
            <Dynamic view=move || {
                rows.get()
                    .into_iter()
                    .map(|row| {
                        view! {
                            <div class="tw-totals__row" class:tw-totals__row--grand=row.grand>
                                <dt>{row.label}</dt>
                                <dd data-testid=row.testid>{row.value}</dd>
                            </div>
                        }
                    })
                    .collect_view()
            } />
        </dl>
    }
}
