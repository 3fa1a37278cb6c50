//! Pieces shared by the widgets: small components with one job each, plus the pure helpers they
//! and the widgets share (result phases, session ids).
//!
//! - [`ErrorPanel`]: a readable error (`data-testid="error"`).
//! - [`states`]: loading skeleton, empty state.
//! - [`text`]: reactive text and messages (one compiled renderer shared by every widget).
//! - [`price`], [`rating`], [`product_image`]: how a product's price, stars and picture look.
//! - [`quantity_stepper`]: the −/+ quantity control of a cart line.
//! - [`signin_prompt`]: "sign in first" with a button that asks ChatGPT to sign the shopper in.
//! - [`phase`]: loading / error / ready, derived from the host's newest tool result.
//! - [`session`]: where a widget finds its Target session id.
//! - [`dom`]: focus management after an action replaces what was focused.
//! - [`dynamic`]: a view that follows signals (one compiled renderer for every widget).

pub mod dom;
pub mod dynamic;
#[cfg(test)]
#[cfg(all(feature = "target-auth", feature = "product-grid", feature = "cart", feature = "circle"))]
mod fixtures;
pub mod phase;
pub mod price;
pub mod product_image;
pub mod quantity_stepper;
pub mod rating;
pub mod session;
pub mod signin_prompt;
pub mod states;
pub mod text;

use leptos::prelude::*;

pub use dynamic::Dynamic;
pub use phase::{Phase, use_phase};
pub use price::Price;
pub use product_image::ProductImage;
pub use quantity_stepper::QuantityStepper;
pub use rating::Stars;
pub use signin_prompt::SignInPrompt;
pub use states::{EmptyState, LoadingSkeleton};
pub use text::{LiveText, Message};

/// `items` without later repeats of a key, in order: keyed lists (`<For>`) need unique keys, and a
/// repeated product must not break the view.
pub fn unique_by<T, K: PartialEq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen: Vec<K> = Vec::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let k = key(&item);
        if !seen.contains(&k) {
            seen.push(k);
            out.push(item);
        }
    }
    out
}

/// A readable error with an alert role. The message is always rendered as text.
#[component]
pub fn ErrorPanel(
    /// What went wrong, for the shopper.
    message: String,
    /// The `data-testid` (default `error`), for errors shown next to the control that failed.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="tw-error" role="alert" data-testid=testid.unwrap_or("error")>
            <span class="tw-error__icon" aria-hidden="true">"!"</span>
            <p class="tw-error__text">{message}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_by_keeps_the_first_of_each_key() {
        assert_eq!(
            super::unique_by(vec![(1, 'a'), (2, 'b'), (1, 'c'), (3, 'd')], |p| p.0),
            [(1, 'a'), (2, 'b'), (3, 'd')]
        );
        assert!(super::unique_by(Vec::<u8>::new(), |x| *x).is_empty());
    }
}
