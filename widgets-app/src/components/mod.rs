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
