//! One Target Circle tier: its name, its benefits, and Join / Switch (or "Your plan").

use leptos::prelude::*;
use shared::membership::{Benefit, MembershipTier};

use super::logic::TierAction;
use crate::components::{Dynamic, LiveText};

/// A tier card; `on_join` gets the tier when its button is pressed.
#[component]
pub fn TierCard(
    /// The tier.
    tier: MembershipTier,
    /// Its benefits, in the server's order.
    benefits: Vec<Benefit>,
    /// What the button does now (changes after joining).
    #[prop(into)]
    action: Signal<TierAction>,
    /// False when the shopper must sign in first: the button is disabled.
    #[prop(into)]
    signed_in: Signal<bool>,
    /// The tier being joined, if any: every button waits for it.
    #[prop(into)]
    pending: Signal<Option<MembershipTier>>,
    /// Called with `tier`.
    on_join: Callback<MembershipTier>,
) -> impl IntoView {
    let name = tier.display_name();
    let heading_id = format!("tw-tier-{tier}");
    let labelled_by = heading_id.clone();
    let waiting = move || pending.get().is_some();
    let join = move |_| {
        if !waiting() && signed_in.get_untracked() {
            on_join.run(tier);
        }
    };
    view! {
        <li
            class="tw-tier"
            class:tw-tier--current=move || action.get() == TierAction::Current
            data-testid=format!("circle-tier-{tier}")
            aria-labelledby=labelled_by
        >
            <h3 class="tw-tier__name" id=heading_id>{name}</h3>
            <ul class="tw-benefits">
                {benefits
                    .into_iter()
                    .map(|b| view! {
                        <li class="tw-benefit">
                            <span class="tw-benefit__title">{b.title}</span>
                            <span class="tw-benefit__text">{b.description}</span>
                        </li>
                    })
                    .collect_view()}
            </ul>
            <Dynamic view=move || match action.get() {
                TierAction::Current => view! {
                    <p class="tw-tier__current" data-testid=format!("circle-current-{tier}")>"✓ Your plan"</p>
                }
                .into_any(),
                other => view! {
                    <button
                        type="button"
                        class="tw-btn tw-btn--block"
                        class=("tw-btn--primary", other == TierAction::Join)
                        class=("tw-btn--secondary", other == TierAction::Switch)
                        data-testid=format!("circle-join-{tier}")
                        disabled=move || !signed_in.get()
                        aria-disabled=move || waiting().to_string()
                        aria-busy=move || (pending.get() == Some(tier)).to_string()
                        on:click=join
                    >
                        <LiveText text=move || {
                            match (pending.get() == Some(tier), other) {
                                (true, _) => "Joining…",
                                (false, TierAction::Switch) => "Switch",
                                (false, _) => "Join",
                            }
                            .to_owned()
                        } />
                        <span class="tw-visually-hidden">{format!(" {name}")}</span>
                    </button>
                }
                .into_any(),
            } />
        </li>
    }
}
