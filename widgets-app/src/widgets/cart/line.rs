//! One cart line: picture, title, unit price, quantity stepper, Remove, line total. The row stays
//! mounted while its quantity changes, so keyboard focus stays on the button pressed.

use leptos::prelude::*;
use shared::cart::CartLine;
use shared::ids::ProductId;

use crate::components::{LiveText, Price, ProductImage, QuantityStepper};

/// A cart line; `on_set` gets the new quantity (0 removes the line).
#[component]
pub fn CartLineRow(
    /// The line as first shown (title, price, picture).
    first: CartLine,
    /// The line as it is now (quantity, line total); `None` once it is gone.
    #[prop(into)]
    line: Signal<Option<CartLine>>,
    /// The product's picture, from the result's widget meta.
    image_url: Option<String>,
    /// The product whose change is being saved, if any: every line waits for it.
    #[prop(into)]
    pending: Signal<Option<ProductId>>,
    /// Called with the new quantity.
    on_set: Callback<(ProductId, u32)>,
) -> impl IntoView {
    let CartLine { product, quantity, .. } = first;
    let id = product.id.clone();
    let title = product.title.clone();
    let quantity = Signal::derive(move || line.with(|l| l.as_ref().map_or(quantity, |l| l.quantity)));
    let line_total = move || line.with(|l| l.as_ref().map(|l| crate::locale::usd(l.line_total_cents)));
    let busy = Signal::derive(move || pending.with(Option::is_some));
    let mine = {
        let id = id.clone();
        Signal::derive(move || pending.with(|p| p.as_ref() == Some(&id)))
    };
    let change = {
        let id = id.clone();
        Callback::new(move |next: u32| on_set.run((id.clone(), next)))
    };
    let remove = move |_| {
        if !busy.get_untracked() {
            on_set.run((id.clone(), 0));
        }
    };

    view! {
        <li class="tw-line" data-testid="cart-line" data-product-id=product.id.to_string() aria-busy=move || mine.get().to_string()>
            <ProductImage url=image_url alt=title.clone() small=true />
            <div class="tw-line__info">
                <p class="tw-line__title">{title.clone()}</p>
                <p class="tw-line__unit">
                    <Price price=product.price_cents regular=product.regular_price_cents />
                    <span class="tw-muted">" each"</span>
                </p>
                <div class="tw-line__controls">
                    <QuantityStepper quantity=quantity label=title.clone() busy=busy on_change=change />
                    <button
                        type="button"
                        class="tw-btn tw-btn--link"
                        data-testid="remove"
                        aria-label=format!("Remove {title} from cart")
                        aria-disabled=move || busy.get().to_string()
                        on:click=remove
                    >
                        "Remove"
                    </button>
                </div>
            </div>
            <p class="tw-line__total" data-testid="line-total">
                <LiveText text=move || if mine.get() { "Updating…".to_owned() } else { line_total().unwrap_or_default() } />
            </p>
        </li>
    }
}
