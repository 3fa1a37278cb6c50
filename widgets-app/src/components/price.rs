//! A price: what the shopper pays, and the regular price struck through when it is on sale.

use leptos::prelude::*;
use shared::money::Cents;

/// The regular price worth showing next to `price`: only when it is higher (a real sale).
pub fn was_price(price: Cents, regular: Option<Cents>) -> Option<Cents> {
    regular.filter(|r| *r > price)
}

/// A price, with the regular price struck through when `regular` is higher. Screen readers hear
/// "Sale price $19.99, regular price $24.99".
#[component]
pub fn Price(
    /// What the shopper pays today.
    price: Cents,
    /// The usual price, when the product is on sale.
    #[prop(default = None)]
    regular: Option<Cents>,
) -> impl IntoView {
    let was = was_price(price, regular);
    let on_sale = was.is_some();
    view! {
        <span class="tw-price" data-testid="price">
            <span class="tw-price__now" class:tw-price__now--sale=on_sale>
                {on_sale.then(|| view! { <span class="tw-visually-hidden">"Sale price "</span> })}
                {crate::locale::usd(price)}
            </span>
            {was.map(|was| {
                view! {
                    <s class="tw-price__was">
                        <span class="tw-visually-hidden">", regular price "</span>
                        {crate::locale::usd(was)}
                    </s>
                }
            })}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_higher_regular_price_is_struck_through() {
        assert_eq!(was_price(Cents(1999), Some(Cents(2499))), Some(Cents(2499)));
        assert_eq!(was_price(Cents(1999), Some(Cents(1999))), None);
        assert_eq!(was_price(Cents(1999), Some(Cents(999))), None);
        assert_eq!(was_price(Cents(1999), None), None);
    }
}
