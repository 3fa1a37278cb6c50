//! One product card: picture, title, brand, price, rating, Circle offer, stock, and Add to cart
//! with its in-card confirmation or error.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use shared::cart::CartOutput;
use shared::ids::SessionId;
use shared::tool::ToolName;

use super::model::{GridItem, added_message};
use crate::components::{Price, ProductImage, Stars};
use crate::host::{parse_structured, use_host};

/// Shown when there is no session to add to.
pub const NO_SESSION: &str = "Ask ChatGPT to start a Target session first.";

/// Where an Add to cart stands.
#[derive(Debug, Clone, PartialEq)]
enum AddState {
    Idle,
    Busy,
    Added(String),
    Failed(String),
}

/// A product card; Add to cart calls `add-to-cart` for `session` and confirms in the card.
#[component]
pub fn ProductCard(
    /// The product and its widget-only details.
    item: GridItem,
    /// The shopper's session, when there is one.
    #[prop(into)]
    session: Signal<Option<SessionId>>,
) -> impl IntoView {
    let host = use_host();
    let state = RwSignal::new(AddState::Idle);
    let GridItem { summary, reason, image_url, product_url, rating, review_count, .. } = item;
    let id = summary.id.clone();
    let title_id = format!("tw-p-{id}");
    let status_id = format!("tw-p-{id}-status");
    let in_stock = summary.in_stock;

    let add = move |_| {
        if state.get_untracked() == AddState::Busy {
            return;
        }
        let Some(session_id) = session.get_untracked() else {
            state.set(AddState::Failed(NO_SESSION.to_owned()));
            return;
        };
        state.set(AddState::Busy);
        let arguments = json!({ "sessionId": session_id, "productId": id, "quantity": 1 });
        spawn_local(async move {
            let next = match host.call_tool(ToolName::AddToCart, arguments).await {
                Ok(result) => AddState::Added(
                    parse_structured::<CartOutput>(&result)
                        .map_or_else(|| "Added to your cart".to_owned(), |o| added_message(&o.cart)),
                ),
                Err(error) => AddState::Failed(error.0),
            };
            state.set(next);
        });
    };

    let title = summary.title.clone();
    let heading = match product_url {
        Some(url) => {
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
            .into_any()
        }
        None => title.clone().into_any(),
    };

    view! {
        <li class="tw-card" data-testid="product-card" data-product-id=summary.id.to_string()>
            <div class="tw-card__media">
                <ProductImage url=image_url alt=summary.title.clone() />
                {summary.circle_offer_percent.filter(|p| *p > 0).map(|p| view! {
                    <span class="tw-badge" data-testid="circle-offer">{format!("Circle: {p}% off")}</span>
                })}
            </div>
            <div class="tw-card__body">
                <h3 class="tw-card__title" id=title_id.clone()>{heading}</h3>
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
                    title=move || session.get().is_none().then_some(NO_SESSION)
                    disabled=move || !in_stock || state.get() == AddState::Busy
                    aria-busy=move || (state.get() == AddState::Busy).to_string()
                    on:click=add
                >
                    {move || if state.get() == AddState::Busy { "Adding…" } else { "Add to cart" }}
                </button>
                <p class="tw-card__status" id=status_id aria-live="polite">
                    {move || match state.get() {
                        AddState::Added(message) => Some(view! {
                            <span class="tw-ok" data-testid="add-confirmation">{message}</span>
                        }.into_any()),
                        AddState::Failed(message) => Some(view! {
                            <span class="tw-error-text" data-testid="add-error">{message}</span>
                        }.into_any()),
                        AddState::Idle | AddState::Busy => None,
                    }}
                </p>
            </div>
        </li>
    }
}
