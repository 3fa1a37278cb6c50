//! The −/+ quantity control of a cart line, limited to 1–99. While a change is being saved the
//! buttons are marked `aria-disabled` (not `disabled`), so keyboard focus stays on them.

use leptos::prelude::*;
use shared::cart::QUANTITY_MAX;

use super::LiveText;

/// The smallest quantity the stepper goes to; 0 is "Remove", a separate button.
pub const QUANTITY_MIN: u32 = 1;

/// The quantity after one step of `delta`, or `None` when it would leave 1–99.
pub fn stepped(quantity: u32, delta: i32) -> Option<u32> {
    let next = i64::from(quantity) + i64::from(delta);
    let next = u32::try_from(next).ok()?;
    (QUANTITY_MIN..=QUANTITY_MAX).contains(&next).then_some(next)
}

/// `−  2  +` with labelled buttons; `on_change` gets the new quantity.
#[component]
pub fn QuantityStepper(
    /// The current quantity.
    #[prop(into)]
    quantity: Signal<u32>,
    /// What is being counted, for the button labels ("Decrease quantity of Desk Lamp").
    #[prop(into)]
    label: String,
    /// True while a change is being saved: clicks are ignored.
    #[prop(into)]
    busy: Signal<bool>,
    /// Called with the new quantity.
    on_change: Callback<u32>,
) -> impl IntoView {
    let step = move |delta: i32| {
        if !busy.get_untracked()
            && let Some(next) = stepped(quantity.get_untracked(), delta)
        {
            on_change.run(next);
        }
    };
    let cannot = move |delta: i32| busy.get() || stepped(quantity.get(), delta).is_none();
    view! {
        <div class="tw-stepper" role="group" aria-label=format!("Quantity of {label}")>
            <button
                type="button"
                class="tw-stepper__btn"
                data-testid="qty-decrease"
                aria-label=format!("Decrease quantity of {label}")
                aria-disabled=move || cannot(-1).to_string()
                on:click=move |_| step(-1)
            >
                "−"
            </button>
            <span class="tw-stepper__value" aria-live="polite" data-testid="qty-value">
                <LiveText text=move || quantity.get().to_string() />
            </span>
            <button
                type="button"
                class="tw-stepper__btn"
                data-testid="qty-increase"
                aria-label=format!("Increase quantity of {label}")
                aria-disabled=move || cannot(1).to_string()
                on:click=move |_| step(1)
            >
                "+"
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_between_1_and_99() {
        assert_eq!(stepped(1, 1), Some(2));
        assert_eq!(stepped(2, -1), Some(1));
        assert_eq!(stepped(1, -1), None);
        assert_eq!(stepped(99, 1), None);
        assert_eq!(stepped(98, 1), Some(99));
        assert_eq!(stepped(0, -1), None);
        assert_eq!(stepped(200, -1), None, "an out-of-range quantity never steps further out");
    }
}
