//! The circle widget: the shopper's Target Circle membership (`MembershipOutput` of
//! `check-circle-membership` and `circle-signup`) and the three tiers (circle, circle-card,
//! circle-360) with their benefits and a Join / Switch button that calls `circle-signup` and shows
//! the answer in place, tells the model the new tier and saves the membership as widget state (a
//! re-render shows it instead of the older output). Not signed in, it offers to ask ChatGPT to
//! sign the shopper in.
//!
//! `data-testid`s: `circle`, `circle-status` (member of a tier since a date, with lifetime
//! savings; or not a member; or not signed in), `circle-tier-<tier>` (each tier card),
//! `circle-join-<tier>` (Join / Switch; absent for the current tier), `circle-current-<tier>`
//! ("Your plan"), `circle-joined` (confirmation after joining), `circle-error`, `signin-prompt`,
//! `signin-prompt-button`, `signin-prompt-note`; shared: `loading`, `error`. `<tier>` is
//! `circle`, `circle-card` or `circle-360`.

pub mod logic;
mod tier;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calls::CircleSignup;
use shared::membership::{CircleSignupInput, MembershipOutput, MembershipTier};

use crate::components::dom::focus_later;
use crate::components::signin_prompt::asks_to_sign_in;
use crate::components::{Dynamic, ErrorPanel, LoadingSkeleton, Message, Phase, SignInPrompt, use_phase};
use crate::host::{parse_structured, state_version, use_host};
use crate::model_context::ModelContext;
use logic::{group_benefits, saved_state, status_lines, tier_action, with_saved};
use tier::TierCard;

/// What the widget shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Loading,
    Failed(String),
    Ready,
}

/// The circle widget.
#[component]
pub fn Circle() -> impl IntoView {
    let host = use_host();
    let fetched = use_phase(host, parse_structured::<MembershipOutput>);
    // A join this widget saved (widget state) wins over the older output a re-render brings back.
    let phase = Memo::new(move |_| {
        let shown = host.result.with(|r| r.as_ref().and_then(state_version));
        host.restored_state.with(|restored| {
            fetched.with(|p| match p {
                Phase::Ready(output) => Phase::Ready(with_saved(output.clone(), restored.as_ref(), shown)),
                other => other.clone(),
            })
        })
    });
    let told = StoredValue::new(ModelContext::default());
    let pending = RwSignal::new(None::<MembershipTier>);
    let error = RwSignal::new(None::<String>);
    let joined = RwSignal::new(None::<String>);
    let needs_sign_in = RwSignal::new(false);
    // The membership output shown, if any (tracked).
    let with_output = move |f: &dyn Fn(&MembershipOutput) -> bool| phase.with(|p| p.ready().is_some_and(f));
    let signed_in = Signal::derive(move || with_output(&|o| o.signed_in));
    let screen = Memo::new(move |_| {
        phase.with(|p| match p {
            Phase::Loading => Screen::Loading,
            Phase::Failed(message) => Screen::Failed(message.clone()),
            Phase::Ready(_) => Screen::Ready,
        })
    });

    let join = Callback::new(move |tier: MembershipTier| {
        if pending.get_untracked().is_some() {
            return;
        }
        let Some((session_id, previous)) =
            phase.with_untracked(|p| p.ready().map(|o| (o.session_id.clone(), o.membership.as_ref().map(|m| m.tier))))
        else {
            return;
        };
        pending.set(Some(tier));
        error.set(None);
        joined.set(None);
        let input = CircleSignupInput { session_id, tier: Some(tier) };
        spawn_local(async move {
            let answer = host.call::<CircleSignup>(&input).await;
            pending.set(None);
            match answer {
                Ok(answer) => {
                    let version = state_version(&answer.result);
                    host.show(answer.result);
                    if let Some(output) = answer.output {
                        told.update_value(|c| c.record_circle(&output, previous));
                        told.with_value(|c| host.tell_model(c, saved_state(&output, version)));
                    }
                    joined.set(Some(format!("Welcome to {}!", tier.display_name())));
                    focus_later("tw-circle-status");
                }
                Err(e) if asks_to_sign_in(&e.0) => needs_sign_in.set(true),
                Err(e) => error.set(Some(e.0)),
            }
        });
    });

    let status = move || {
        let (headline, detail) = phase.with(|p| p.ready().map(status_lines)).unwrap_or_default();
        view! {
            <p class="tw-status__headline">{headline}</p>
            <p class="tw-muted">{detail}</p>
        }
    };
    let tiers = move || phase.with(|p| p.ready().map(|o| group_benefits(&o.benefits)).unwrap_or_default());
    let ready = move || {
        view! {
            <h2 class="tw-title" id="tw-circle-heading">"Target Circle"</h2>
            <div
                class="tw-status"
                class:tw-status--member=move || with_output(&|o| o.member)
                id="tw-circle-status"
                tabindex="-1"
                data-testid="circle-status"
            >
                <Dynamic view=status />
            </div>
            <Message text=joined class="tw-note tw-ok" testid="circle-joined" role="status" />
            <Dynamic view=move || {
                (!signed_in.get() || needs_sign_in.get())
                    .then(|| view! { <SignInPrompt reason="Sign in to Target to check or join Target Circle." /> })
            } />
            <Message text=error class="tw-error tw-error--inline" testid="circle-error" role="alert" />
            <ul class="tw-tiers" aria-labelledby="tw-circle-heading">
                // The tiers and their benefits are fixed for the widget; only each button's action
                // follows the membership.
                {untrack(tiers)
                    .into_iter()
                    .map(|(tier, benefits)| {
                        let action = Signal::derive(move || {
                            phase.with(|p| tier_action(tier, p.ready().and_then(|o| o.membership.as_ref())))
                        });
                        view! {
                            <TierCard
                                tier=tier
                                benefits=benefits
                                action=action
                                signed_in=signed_in
                                pending=pending
                                on_join=join
                            />
                        }
                    })
                    .collect_view()}
            </ul>
        }
    };

    view! {
        <section class="tw-widget tw-circle" data-testid="circle" aria-labelledby="tw-circle-heading">
            <Dynamic view=move || match screen.get() {
                Screen::Loading => view! { <LoadingSkeleton label="Loading Target Circle…" blocks=3 /> }.into_any(),
                Screen::Failed(message) => view! { <ErrorPanel message=message /> }.into_any(),
                Screen::Ready => ready().into_any(),
            } />
        </section>
    }
}
