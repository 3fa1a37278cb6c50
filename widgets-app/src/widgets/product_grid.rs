//! The product-grid widget: the products of `search-target-products` (`SearchOutput`) or
//! `get-agentforce-recommendations` (`RecommendationsOutput`, with each product's reason) as
//! cards the shopper can sort and add to the cart from.
//!
//! Sorting is client-side ([`model::sorted`]); the chosen order is the widget state's private half
//! (`{"sort": "price-low"}`) and restored. Add to cart calls `add-to-cart` with the session from
//! the tool input (`sessionId`) or the result's `openai/widgetSessionId`. A search made without a
//! session is no dead end: the first add goes without one (other Add buttons wait for it), the
//! server starts a session (or uses the linked account), and the grid keeps the id it answers for
//! later adds, in its private state (`{"sort": …, "sessionId": …}`) too. Both tell the model (the
//! cart after an add, a started session, the sort) through `Host::tell_model`. Inline, the grid
//! shows six cards and a "View all N" button that asks for fullscreen.
//!
//! `data-testid`s: `product-grid` (the list), `product-card` (each card, with
//! `data-product-id`), `price`, `rating`, `circle-offer`, `reason`, `stock`, `add-to-cart`,
//! `add-confirmation` ("Added — cart: N items, $X"), `add-error`, `sort` (the select),
//! `result-count`, `view-all`; shared: `loading`, `error`, `empty`.

mod card;
pub mod model;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::SessionId;
use shared::product::SortOrder;

use crate::bridge::{DisplayMode, HostContext};
use crate::components::session::current_session;
use crate::components::{Dynamic, EmptyState, ErrorPanel, LiveText, LoadingSkeleton, Phase, use_phase};
use crate::host::use_host;
use crate::model_context::{CartChange, ModelContext};
use card::ProductCard;
use model::{
    GridSource, INLINE_LIMIT, count_text, grid_from, grid_state, initial_sort, restored_session, sort_label, sorted,
    visible_count,
};

/// What the widget shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Loading,
    Failed(String),
    Empty(GridSource),
    Ready(GridSource),
}

fn heading(source: &GridSource) -> String {
    match source {
        GridSource::Search { query, .. } => format!("Results for “{query}”"),
        GridSource::Recommendations => "Recommended for you".to_owned(),
    }
}

/// The product-grid widget.
#[component]
pub fn ProductGrid() -> impl IntoView {
    let host = use_host();
    let phase = use_phase(host, grid_from);
    let chosen = RwSignal::new(None::<SortOrder>);
    let order = move || {
        chosen
            .get()
            .or_else(|| host.restored_state.with(|s| host.input.with(|i| initial_sort(s.as_ref(), i.as_ref()))))
            .unwrap_or(SortOrder::Relevance)
    };
    // A session the server started for this grid's first add (its search had none).
    let started = RwSignal::new(None::<SessionId>);
    let own_session = move || started.get().or_else(|| host.restored_state.with(|s| restored_session(s.as_ref())));
    let session = Signal::derive(move || current_session(host).or_else(own_session));
    // An add without a session is in flight: the other cards wait, so one grid starts one session.
    let starting = RwSignal::new(false);
    let expanded = RwSignal::new(false);
    let show_all = move || expanded.get() || host.context.with(|c| c.display_mode == Some(DisplayMode::Fullscreen));
    let total = move || phase.with(|p| p.ready().map_or(0, |g| g.items.len()));
    let visible = move || {
        phase.with(|p| {
            let mut items = p.ready().map(|g| sorted(&g.items, order())).unwrap_or_default();
            items.truncate(visible_count(items.len(), show_all()));
            items
        })
    };
    let screen = Memo::new(move |_| {
        phase.with(|p| match p {
            Phase::Loading => Screen::Loading,
            Phase::Failed(message) => Screen::Failed(message.clone()),
            Phase::Ready(grid) if grid.items.is_empty() => Screen::Empty(grid.source.clone()),
            Phase::Ready(grid) => Screen::Ready(grid.source.clone()),
        })
    });

    // What this widget told the model; the chosen sort is also the state a re-render restores.
    let told = StoredValue::new(ModelContext::default());
    let tell = move || {
        let private = untrack(|| grid_state(order(), own_session().as_ref()));
        told.with_value(|c| host.tell_model(c, private));
    };
    let on_sort = move |ev: leptos::ev::Event| {
        if let Ok(next) = event_target_value(&ev).parse::<SortOrder>() {
            chosen.set(Some(next));
            told.update_value(|c| c.record_sort(next));
            tell();
        }
    };
    let on_added = Callback::new(move |(title, output): (String, shared::cart::CartOutput)| {
        // The server names a session only in session mode; one this grid did not have is new.
        let new_session = output.session_id.clone().filter(|_| session.get_untracked().is_none());
        if let Some(id) = &new_session {
            started.set(Some(id.clone()));
        }
        told.update_value(|c| {
            c.record_cart(CartChange::Added, &title, &output);
            if let Some(id) = &new_session {
                c.record_session_started(id);
            }
        });
        tell();
    });
    let view_all = move |_| {
        spawn_local(async move {
            match host.request_display_mode(DisplayMode::Fullscreen).await {
                Ok(granted) => {
                    host.context.update(|c| c.merge(HostContext { display_mode: Some(granted), ..Default::default() }));
                    if granted != DisplayMode::Fullscreen {
                        expanded.set(true);
                    }
                }
                // No fullscreen here: show everything in place.
                Err(_) => expanded.set(true),
            }
        });
    };

    let has_more = move || !show_all() && total() > INLINE_LIMIT;
    let ready = move |source: GridSource| {
        view! {
            <header class="tw-head">
                <div>
                    <h2 class="tw-title" id="tw-grid-heading">{heading(&source)}</h2>
                    <p class="tw-muted" data-testid="result-count">
                        <LiveText text=move || count_text(&source, total()) />
                    </p>
                </div>
                <div class="tw-sort">
                    <label class="tw-sort__label" for="tw-sort">"Sort by"</label>
                    <select id="tw-sort" class="tw-select" data-testid="sort" on:change=on_sort>
                        {SortOrder::ALL
                            .iter()
                            .map(|o| {
                                let o = *o;
                                view! {
                                    <option value=o.as_str() prop:selected=move || order() == o>
                                        {sort_label(o)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
            </header>
            <ul class="tw-grid" aria-labelledby="tw-grid-heading" data-testid="product-grid">
                <For
                    each=visible
                    key=|item| item.summary.id.to_string()
                    children=move |item| view! { <ProductCard item=item session=session starting=starting on_added=on_added /> }
                />
            </ul>
            <Dynamic view=move || {
                has_more()
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="tw-btn tw-btn--secondary tw-btn--block"
                                data-testid="view-all"
                                on:click=view_all
                            >
                                {format!("View all {}", total())}
                            </button>
                        }
                    })
            } />
        }
    };

    view! {
        <section class="tw-widget tw-products" aria-labelledby="tw-grid-heading">
            <Dynamic view=move || match screen.get() {
                Screen::Loading => view! { <LoadingSkeleton label="Loading products…" blocks=4 grid=true /> }.into_any(),
                Screen::Failed(message) => view! { <ErrorPanel message=message /> }.into_any(),
                Screen::Empty(GridSource::Search { query, .. }) => view! {
                    <EmptyState
                        title="No products found"
                        message=format!("Nothing at Target matches “{query}”. Ask ChatGPT to try other words or a higher budget.")
                    />
                }
                .into_any(),
                Screen::Empty(GridSource::Recommendations) => view! {
                    <EmptyState title="No recommendations yet" message="Ask ChatGPT to search Target instead." />
                }
                .into_any(),
                Screen::Ready(source) => ready(source).into_any(),
            } />
        </section>
    }
}
