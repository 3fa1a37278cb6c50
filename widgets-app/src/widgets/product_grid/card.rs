//! One product card: picture, title, brand, price, rating, Circle offer, stock, and Add to cart
//! with its in-card confirmation or error.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calls::AddToCart;
use shared::cart::{AddToCartInput, CartOutput};
use shared::ids::SessionId;

use super::model::{GridItem, added_message};
use crate::components::{LiveText, Message, Price, ProductImage, Stars};
use crate::host::use_host;

/// Where an Add to cart stands.
#[derive(Debug, Clone, PartialEq)]
enum AddState {
    Idle,
    Busy,
    Added(String),
    Failed(String),
}

/// A product card; Add to cart calls `add-to-cart` for `session` (or, without one, for the
/// linked account or a session the server starts) and confirms in the card.
#[component]
pub fn ProductCard(
    /// The product and its widget-only details.
    item: GridItem,
    /// The shopper's session, when there is one.
    #[prop(into)]
    session: Signal<Option<SessionId>>,
    /// Set while an add without a session is in flight (in any card): every Add waits for it,
    /// so the grid starts at most one session.
    starting: RwSignal<bool>,
    /// Called with the product's title and the cart after a successful add.
    on_added: Callback<(String, CartOutput)>,
) -> impl IntoView {
    let host = use_host();
    let state = RwSignal::new(AddState::Idle);
    let GridItem { summary, reason, image_url, product_url, rating, review_count, .. } = item;
    let id = summary.id.clone();
    let title_id = format!("tw-p-{id}");
    let status_id = format!("tw-p-{id}-status");
    let in_stock = summary.in_stock;
    let added_title = summary.title.clone();

    let add = move |_| {
        if state.get_untracked() == AddState::Busy || starting.get_untracked() {
            return;
        }
        state.set(AddState::Busy);
        // Without a session (a linked account, or nobody) the server decides who the cart is for,
        // and may start a session whose id the grid keeps (`on_added`) before others add.
        let input = AddToCartInput { session_id: session.get_untracked(), product_id: id.clone(), quantity: Some(1) };
        let lone = input.session_id.is_none();
        if lone {
            starting.set(true);
        }
        let title = added_title.clone();
        spawn_local(async move {
            let next = match host.call::<AddToCart>(&input).await {
                Ok(answer) => match answer.output {
                    Some(output) => {
                        let message = added_message(&output.cart);
                        on_added.run((title, output));
                        AddState::Added(message)
                    }
                    None => AddState::Added("Added to your cart".to_owned()),
                },
                Err(error) => AddState::Failed(error.0),
            };
            if lone {
                starting.set(false);
            }
            state.set(next);
        });
    };

    let title = summary.title.clone();
    // A link to the product page when it has one, opened through the host.
    let link = product_url.map(|url| {
        let href = url.clone();
        view! {
            <a
                class="tw-card__link"
                href=href
                target="_blank"
                rel="noopener noreferrer"
                on:click=move |ev| {
                    ev.prevent_default();
                    host.open_link(url.clone());
                }
            >
                {title.clone()}
            </a>
        }
    });
    let plain = link.is_none().then(|| title.clone());
    let busy = move || state.get() == AddState::Busy;
    let added = Signal::derive(move || match state.get() {
        AddState::Added(message) => Some(message),
        _ => None,
    });
    let failed = Signal::derive(move || match state.get() {
        AddState::Failed(message) => Some(message),
        _ => None,
    });

    view! {
        <li class="tw-card" data-testid="product-card" data-product-id=summary.id.to_string()>
            <div class="tw-card__media">
                <ProductImage url=image_url alt=summary.title.clone() />
                {summary.circle_offer_percent.filter(|p| *p > 0).map(|p| view! {
                    <span class="tw-badge" data-testid="circle-offer">{format!("Circle: {p}% off")}</span>
                })}
            </div>
            <div class="tw-card__body">
                <h3 class="tw-card__title" id=title_id.clone()>{link}{plain}</h3>
                {summary.brand.clone().map(|b| view! { <p class="tw-card__brand">{b}</p> })}
                <Price price=summary.price_cents regular=summary.regular_price_cents />
                <Stars rating=rating reviews=review_count />
                {reason.map(|r| view! { <p class="tw-card__reason" data-testid="reason">{r}</p> })}
                <p class="tw-stock" class:tw-stock--out=!in_stock data-testid="stock">
                    {if in_stock { "In stock" } else { "Out of stock" }}
                </p>
            </div>
            <div class="tw-card__actions">
                <button
                    type="button"
                    class="tw-btn tw-btn--primary tw-btn--block"
                    data-testid="add-to-cart"
                    aria-describedby=format!("{title_id} {status_id}")
                    disabled=move || !in_stock || busy() || starting.get()
                    aria-busy=move || busy().to_string()
                    on:click=add
                >
                    <LiveText text=move || (if busy() { "Adding…" } else { "Add to cart" }).to_owned() />
                </button>
                <div class="tw-card__status" id=status_id aria-live="polite">
                    <Message text=added class="tw-ok" testid="add-confirmation" />
                    <Message text=failed class="tw-error-text" testid="add-error" />
                </div>
            </div>
        </li>
    }
}
