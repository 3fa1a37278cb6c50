//! The cart widget: the shopper's cart (`CartOutput` of `add-to-cart`, `get-cart`,
//! `update-cart-item`) with quantity steppers, Remove, totals and Check out, or the order
//! confirmation (`CheckoutOutput` of `checkout`).
//!
//! Every change calls `update-cart-item` and shows the returned cart with `host.show` (which
//! keeps only the newest state version). Check out sends an idempotency key made once per cart
//! view ([`logic::idempotency_key`]), and the button is disabled while the order is placed, so a
//! double click cannot place two orders. A "sign in first" answer shows a sign-in prompt. After
//! every change and the order the model is told the cart / the order (`Host::tell_model`); the
//! view (`cart`, or `confirmation` with the order number) is the widget state's private half.
//! A placed order posts one follow-up message ("I placed Target order …"), once per order.
//!
//! `data-testid`s: `cart`, `cart-count`, `cart-line` (each line, with `data-product-id`),
//! `qty-decrease`, `qty-value`, `qty-increase`, `remove`, `line-total`, `cart-subtotal`,
//! `cart-savings`, `cart-shipping`, `cart-tax`, `cart-total`, `cart-error`, `checkout`,
//! `signin-prompt`, `signin-prompt-button`, `signin-prompt-note`, `order-confirmation`, `order-id`,
//! `order-line`, `continue-on-target`; shared: `loading`, `error`, `empty`, `price`.

mod confirmation;
mod line;
pub mod logic;
mod totals;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calls::{Checkout, UpdateCartItem};
use shared::cart::{CartOutput, UpdateCartItemInput};
use shared::checkout::{CheckoutInput, CheckoutOutput};
use shared::ids::{OrderId, ProductId};

use crate::components::dom::focus_later;
use crate::components::signin_prompt::asks_to_sign_in;
use crate::components::{
    Dynamic, EmptyState, ErrorPanel, LiveText, LoadingSkeleton, Message, Phase, SignInPrompt, unique_by, use_phase,
};
use crate::host::{state_version, use_host};
use crate::model_context::{CartChange, ModelContext, order_follow_up};
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

/// The cart in `phase`, if it shows one (tracked).
fn with_cart<R>(phase: Memo<Phase<CartData>>, f: impl FnOnce(&CartOutput) -> R) -> Option<R> {
    phase.with(|p| match p.ready() {
        Some(CartData::Cart(output)) => Some(f(output)),
        _ => None,
    })
}

/// The cart widget.
#[component]
pub fn Cart() -> impl IntoView {
    let host = use_host();
    let phase = use_phase(host, cart_data);
    let suffix = StoredValue::new(random_suffix());
    let pending = RwSignal::new(None::<ProductId>);
    let placing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let needs_sign_in = RwSignal::new(false);
    // What this widget told the model, and the order it already posted a follow-up for.
    let told = StoredValue::new(ModelContext::default());
    let followed_up = StoredValue::new(None::<OrderId>);
    let session = move || untrack(|| with_cart(phase, |c| c.session_id.clone())).flatten();

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
        let title = untrack(|| {
            with_cart(phase, |c| {
                c.cart.items.iter().find(|l| l.product.id == product_id).map(|l| l.product.title.clone())
            })
        })
        .flatten()
        .unwrap_or_else(|| product_id.to_string());
        pending.set(Some(product_id.clone()));
        error.set(None);
        // Without a session (a linked account) the server decides whose cart it is.
        let input = UpdateCartItemInput { session_id: session(), product_id, quantity };
        spawn_local(async move {
            let answer = host.call::<UpdateCartItem>(&input).await;
            pending.set(None);
            match answer {
                Ok(answer) => {
                    host.show(answer.result);
                    if let Some(output) = answer.output {
                        let change = if quantity == 0 { CartChange::Removed } else { CartChange::Quantity(quantity) };
                        told.update_value(|c| c.record_cart(change, &title, &output));
                        told.with_value(|c| host.tell_model(c, SavedView::Cart.to_state()));
                    }
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
        let session_id = session();
        let version = host.result.with_untracked(|r| r.as_ref().and_then(state_version).unwrap_or(0));
        let key = idempotency_key(session_id.as_ref(), version, suffix.get_value());
        placing.set(true);
        error.set(None);
        needs_sign_in.set(false);
        let input = CheckoutInput { session_id, idempotency_key: key };
        spawn_local(async move {
            let answer = host.call::<Checkout>(&input).await;
            placing.set(false);
            match answer {
                Ok(answer) => {
                    let placed = answer.output;
                    host.show(answer.result);
                    focus_later("tw-order-heading");
                    if let Some(placed) = placed {
                        let saved = SavedView::Confirmation {
                            order_id: placed.order.order_id.clone(),
                            continue_url: placed.order.continue_url.clone(),
                        };
                        told.update_value(|c| c.record_order(&placed));
                        told.with_value(|c| host.tell_model(c, saved.to_state()));
                        // One follow-up per order: the shopper expects the assistant to go on.
                        let order_id = Some(placed.order.order_id.clone());
                        if followed_up.get_value() != order_id {
                            followed_up.set_value(order_id);
                            let _ = host.send_message(order_follow_up(&placed)).await;
                        }
                    }
                }
                Err(e) if asks_to_sign_in(&e.0) => needs_sign_in.set(true),
                Err(e) => error.set(Some(e.0)),
            }
        });
    };

    // The lines by product, with their pictures; rows stay mounted while quantities change.
    let lines = move || {
        let meta = host.widget_meta();
        with_cart(phase, |c| {
            let lines = c
                .cart
                .items
                .iter()
                .map(|l| (l.product.id.clone(), meta.product(&l.product.id).map(|p| p.image_url.clone())));
            unique_by(lines.collect(), |(id, _)| id.clone())
        })
        .unwrap_or_else(Vec::new)
    };
    let cart_view = move || {
        view! {
            <header class="tw-head">
                <h2 class="tw-title" id="tw-cart-heading" tabindex="-1">"Your cart"</h2>
                <p class="tw-muted" data-testid="cart-count">
                    <LiveText text=move || with_cart(phase, |c| items_text(c.cart.item_count)).unwrap_or_default() />
                </p>
            </header>
            <ul class="tw-lines" aria-labelledby="tw-cart-heading">
                <For
                    each=lines
                    key=|(id, _)| id.to_string()
                    children=move |(id, image_url): (ProductId, Option<String>)| {
                        let line = Signal::derive(move || {
                            with_cart(phase, |c| c.cart.items.iter().find(|l| l.product.id == id).cloned()).flatten()
                        });
                        line.get_untracked().map(|first| {
                            view! {
                                <CartLineRow first=first line=line image_url=image_url pending=pending on_set=set_quantity />
                            }
                        })
                    }
                />
            </ul>
            <Totals rows=move || with_cart(phase, |c| cart_rows(&c.cart)).unwrap_or_default() />
            <Message text=error class="tw-error tw-error--inline" testid="cart-error" role="alert" />
            <Dynamic view=move || needs_sign_in.get().then(|| view! { <SignInPrompt reason="Sign in to Target to check out." /> }) />
            <button
                type="button"
                class="tw-btn tw-btn--primary tw-btn--block"
                data-testid="checkout"
                disabled=move || placing.get() || pending.get().is_some()
                aria-busy=move || placing.get().to_string()
                on:click=check_out
            >
                <LiveText text=move || (if placing.get() { "Placing order…" } else { "Check out" }).to_owned() />
            </button>
        }
    };

    view! {
        <section class="tw-widget tw-cart" data-testid="cart" aria-label="Target cart">
            <Dynamic view=move || match screen.get() {
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
            } />
        </section>
    }
}
