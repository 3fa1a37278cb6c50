//! The order confirmation: "Order TGT-… placed", what was ordered, the totals, and a link to
//! finish on Target.com.

use leptos::prelude::*;
use shared::checkout::CheckoutOutput;
use shared::ids::OrderId;

use super::logic::{TARGET_CART_URL, items_text, order_rows};
use super::totals::Totals;
use crate::components::product_image::web_url;
use crate::host::use_host;

/// "Continue on Target.com", opened through the host.
#[component]
fn ContinueButton(
    /// Where to go; anything but an http(s) URL falls back to Target.com's cart.
    url: String,
) -> impl IntoView {
    let host = use_host();
    let url = web_url(Some(&url)).unwrap_or_else(|| TARGET_CART_URL.to_owned());
    view! {
        <button
            type="button"
            class="tw-btn tw-btn--primary tw-btn--block"
            data-testid="continue-on-target"
            on:click=move |_| host.open_link(url.clone())
        >
            "Continue on Target.com"
        </button>
    }
}

/// The confirmation of a placed order, with its lines and totals.
#[component]
pub fn OrderConfirmation(
    /// The `checkout` output.
    output: CheckoutOutput,
) -> impl IntoView {
    let CheckoutOutput { order, replayed } = output;
    let count: u32 = order.items.iter().map(|l| l.quantity).sum();
    let rows = order_rows(&order);
    let note = if replayed {
        format!("This order was already placed, so nothing was charged twice. Confirmation sent to {}.", order.email)
    } else {
        format!("A confirmation is on its way to {}.", order.email)
    };
    view! {
        <div class="tw-confirm" data-testid="order-confirmation">
            <span class="tw-confirm__check" aria-hidden="true">"✓"</span>
            <h2 class="tw-title" id="tw-order-heading" tabindex="-1">
                "Order " <span data-testid="order-id">{order.order_id.to_string()}</span> " placed"
            </h2>
            <p class="tw-muted">{note}</p>
            <h3 class="tw-subtitle">{items_text(count)}</h3>
            <ul class="tw-order-lines">
                {order
                    .items
                    .into_iter()
                    .map(|line| {
                        view! {
                            <li class="tw-order-line" data-testid="order-line">
                                <span class="tw-order-line__title">
                                    {line.product.title}
                                    <span class="tw-muted">{format!(" × {}", line.quantity)}</span>
                                </span>
                                <span class="tw-order-line__total">{crate::locale::usd(line.line_total_cents)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <Totals rows=Signal::stored(rows) />
            <ContinueButton url=order.continue_url />
        </div>
    }
}

/// An order this widget placed before it was re-rendered: only its number is saved.
#[component]
pub fn PlacedEarlier(
    /// The saved order number.
    order_id: OrderId,
    /// The saved Target.com link.
    continue_url: String,
) -> impl IntoView {
    view! {
        <div class="tw-confirm" data-testid="order-confirmation">
            <span class="tw-confirm__check" aria-hidden="true">"✓"</span>
            <h2 class="tw-title" id="tw-order-heading" tabindex="-1">
                "Order " <span data-testid="order-id">{order_id.to_string()}</span> " placed"
            </h2>
            <p class="tw-muted">"Ask ChatGPT to show your cart to keep shopping."</p>
            <ContinueButton url=continue_url />
        </div>
    }
}
