//! The cart widget: the shopper's cart (`CartOutput` of `add-to-cart`, `get-cart`,
//! `update-cart-item`) with quantity steppers, Remove, totals and Check out, or the order
//! confirmation (`CheckoutOutput` of `checkout`).
//!
//! Every change calls `update-cart-item` and shows the returned cart with `host.show` (which
//! keeps only the newest state version). Check out sends an idempotency key made once per cart
//! view ([`logic::idempotency_key`]), and the button is disabled while the order is placed, so a
//! double click cannot place two orders. A "sign in first" answer shows a sign-in prompt. The
//! view (`cart`, or `confirmation` with the order number) is saved as widget state.
//!
//! `data-testid`s: `cart`, `cart-count`, `cart-line` (each line, with `data-product-id`),
//! `qty-decrease`, `qty-value`, `qty-increase`, `remove`, `line-total`, `cart-subtotal`,
//! `cart-savings`, `cart-shipping`, `cart-tax`, `cart-total`, `cart-error`, `checkout`,
//! `signin-prompt`, `signin-prompt-button`, `order-confirmation`, `order-id`, `order-line`,
//! `continue-on-target`; shared: `loading`, `error`, `empty`, `price`.

mod confirmation;
mod line;
pub mod logic;
mod totals;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use shared::checkout::CheckoutOutput;
use shared::ids::{OrderId, ProductId};
use shared::tool::ToolName;

use crate::components::dom::focus_later;
use crate::components::signin_prompt::asks_to_sign_in;
use crate::components::{EmptyState, ErrorPanel, LoadingSkeleton, Phase, SignInPrompt, use_phase};
use crate::host::{parse_structured, state_version, use_host};
use confirmation::{OrderConfirmation, PlacedEarlier};
use line::CartLineRow;
use logic::{CartData, SavedView, cart_data, cart_rows, idempotency_key, items_text};
use totals::Totals;

/// What the widget shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Loading,
    Failed(String),
    Empty,
    Cart,
    Order(Box<CheckoutOutput>),
    PlacedEarlier { order_id: OrderId, continue_url: String },
}

/// A random suffix for this widget's idempotency keys.
fn random_suffix() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

/// The cart widget.
#[component]
pub fn Cart() -> impl IntoView {
    let host = use_host();
    let phase = use_phase(host, cart_data);
    let meta = Memo::new(move |_| host.widget_meta());
    let version = Memo::new(move |_| host.result.with(|r| r.as_ref().and_then(state_version).unwrap_or(0)));
    let suffix = StoredValue::new(random_suffix());
    let pending = RwSignal::new(None::<ProductId>);
    let placing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let needs_sign_in = RwSignal::new(false);

    let cart = Memo::new(move |_| {
        phase.with(|p| match p.ready() {
            Some(CartData::Cart(output)) => Some(output.clone()),
            _ => None,
        })
    });
    let screen = Memo::new(move |_| {
        let saved = host.restored_state.with(|s| SavedView::from_state(s.as_ref()));
        phase.with(|p| match (p, saved) {
            (Phase::Loading, _) => Screen::Loading,
            (Phase::Failed(message), _) => Screen::Failed(message.clone()),
            (Phase::Ready(CartData::Order(order)), _) => Screen::Order(order.clone()),
            (Phase::Ready(CartData::Cart(_)), SavedView::Confirmation { order_id, continue_url }) => {
                Screen::PlacedEarlier { order_id, continue_url }
            }
            (Phase::Ready(CartData::Cart(c)), SavedView::Cart) if c.cart.items.is_empty() => Screen::Empty,
            (Phase::Ready(CartData::Cart(_)), SavedView::Cart) => Screen::Cart,
        })
    });

    let set_quantity = Callback::new(move |(product_id, quantity): (ProductId, u32)| {
        if pending.get_untracked().is_some() || placing.get_untracked() {
            return;
        }
        let Some(session_id) = cart.with_untracked(|c| c.as_ref().map(|c| c.session_id.clone())) else { return };
        pending.set(Some(product_id.clone()));
        error.set(None);
        let arguments = json!({ "sessionId": session_id, "productId": product_id, "quantity": quantity });
        spawn_local(async move {
            let answer = host.call_tool(ToolName::UpdateCartItem, arguments).await;
            pending.set(None);
            match answer {
                Ok(result) => {
                    host.show(result);
                    host.set_widget_state(SavedView::Cart.to_state());
                    if quantity == 0 {
                        focus_later("tw-cart-heading");
                    }
                }
                Err(e) => error.set(Some(e.0)),
            }
        });
    });

    let check_out = move |_| {
        if placing.get_untracked() || pending.get_untracked().is_some() {
            return;
        }
        let Some(session_id) = cart.with_untracked(|c| c.as_ref().map(|c| c.session_id.clone())) else { return };
        let key = idempotency_key(&session_id, version.get_untracked(), suffix.get_value());
        placing.set(true);
        error.set(None);
        needs_sign_in.set(false);
        let arguments = json!({ "sessionId": session_id, "idempotencyKey": key });
        spawn_local(async move {
            let answer = host.call_tool(ToolName::Checkout, arguments).await;
            placing.set(false);
            match answer {
                Ok(result) => {
                    if let Some(placed) = parse_structured::<CheckoutOutput>(&result) {
                        let saved = SavedView::Confirmation {
                            order_id: placed.order.order_id,
                            continue_url: placed.order.continue_url,
                        };
                        host.set_widget_state(saved.to_state());
                    }
                    host.show(result);
                    focus_later("tw-order-heading");
                }
                Err(e) if asks_to_sign_in(&e.0) => needs_sign_in.set(true),
                Err(e) => error.set(Some(e.0)),
            }
        });
    };

    let line_ids = Memo::new(move |_| {
        cart.with(|c| c.as_ref().map(|c| c.cart.items.iter().map(|l| l.product.id.clone()).collect::<Vec<_>>()))
            .unwrap_or_default()
    });
    let cart_view = move || {
        view! {
            <header class="tw-head">
                <h2 class="tw-title" id="tw-cart-heading" tabindex="-1">"Your cart"</h2>
                <p class="tw-muted" data-testid="cart-count">
                    {move || cart.with(|c| c.as_ref().map(|c| items_text(c.cart.item_count)))}
                </p>
            </header>
            <ul class="tw-lines" aria-labelledby="tw-cart-heading">
                <For
                    each=move || line_ids.get()
                    key=|id| id.to_string()
                    children=move |id: ProductId| {
                        let line_id = id.clone();
                        let line = Signal::derive(move || {
                            cart.with(|c| {
                                c.as_ref().and_then(|c| c.cart.items.iter().find(|l| l.product.id == line_id).cloned())
                            })
                        });
                        let image_url = meta.with_untracked(|m| m.product(&id).map(|p| p.image_url.clone()));
                        line.get_untracked().map(|first| {
                            view! {
                                <CartLineRow first=first line=line image_url=image_url pending=pending on_set=set_quantity />
                            }
                        })
                    }
                />
            </ul>
            <Totals rows=Signal::derive(move || cart.with(|c| c.as_ref().map(|c| cart_rows(&c.cart)).unwrap_or_default())) />
            {move || error.get().map(|message| view! { <ErrorPanel message=message testid="cart-error" /> })}
            <Show when=move || needs_sign_in.get()>
                <SignInPrompt reason="Sign in to Target to check out." />
            </Show>
            <button
                type="button"
                class="tw-btn tw-btn--primary tw-btn--block"
                data-testid="checkout"
                disabled=move || placing.get() || pending.get().is_some()
                aria-busy=move || placing.get().to_string()
                on:click=check_out
            >
                {move || if placing.get() { "Placing order…" } else { "Check out" }}
            </button>
        }
    };

    view! {
        <section class="tw-widget tw-cart" data-testid="cart" aria-label="Target cart">
            {move || match screen.get() {
                Screen::Loading => view! { <LoadingSkeleton label="Loading your cart…" blocks=3 /> }.into_any(),
                Screen::Failed(message) => view! { <ErrorPanel message=message /> }.into_any(),
                Screen::Empty => view! {
                    <EmptyState title="Your cart is empty" message="Ask ChatGPT to find something at Target." />
                }
                .into_any(),
                Screen::Cart => cart_view().into_any(),
                Screen::Order(order) => view! { <OrderConfirmation output=*order /> }.into_any(),
                Screen::PlacedEarlier { order_id, continue_url } => {
                    view! { <PlacedEarlier order_id=order_id continue_url=continue_url /> }.into_any()
                }
            }}
        </section>
    }
}
