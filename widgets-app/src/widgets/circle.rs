//! The circle widget: the shopper's Target Circle membership (`MembershipOutput` of
//! `check-circle-membership` and `circle-signup`) and the three tiers (circle, circle-card,
//! circle-360) with their benefits and a Join / Switch button that calls `circle-signup` and shows
//! the answer in place. Not signed in, it offers to ask ChatGPT to sign the shopper in.
//!
//! `data-testid`s: `circle`, `circle-status` (member of <tier> since <date>, lifetime savings; or
//! not a member; or not signed in), `circle-tier-<tier>` (each tier card),
//! `circle-join-<tier>` (Join / Switch; absent for the current tier), `circle-current-<tier>`
//! ("Your plan"), `circle-joined` (confirmation after joining), `circle-error`, `signin-prompt`,
//! `signin-prompt-button`; shared: `loading`, `error`. `<tier>` is `circle`, `circle-card` or
//! `circle-360`.

pub mod logic;
mod tier;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use shared::membership::{MembershipOutput, MembershipTier};
use shared::tool::ToolName;

use crate::components::dom::focus_later;
use crate::components::signin_prompt::asks_to_sign_in;
use crate::components::{ErrorPanel, LoadingSkeleton, Phase, SignInPrompt, use_phase};
use crate::host::{parse_structured, use_host};
use logic::{group_benefits, status_lines, tier_action};
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
    let phase = use_phase(host, parse_structured::<MembershipOutput>);
    let output = Memo::new(move |_| phase.with(|p| p.ready().cloned()));
    let pending = RwSignal::new(None::<MembershipTier>);
    let error = RwSignal::new(None::<String>);
    let joined = RwSignal::new(None::<String>);
    let needs_sign_in = RwSignal::new(false);
    let signed_in = Signal::derive(move || output.with(|o| o.as_ref().is_some_and(|o| o.signed_in)));
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
        let Some(session_id) = output.with_untracked(|o| o.as_ref().map(|o| o.session_id.clone())) else { return };
        pending.set(Some(tier));
        error.set(None);
        joined.set(None);
        spawn_local(async move {
            let answer = host.call_tool(ToolName::CircleSignup, json!({ "sessionId": session_id, "tier": tier })).await;
            pending.set(None);
            match answer {
                Ok(result) => {
                    host.show(result);
                    joined.set(Some(format!("Welcome to {}!", tier.display_name())));
                    focus_later("tw-circle-status");
                }
                Err(e) if asks_to_sign_in(&e.0) => needs_sign_in.set(true),
                Err(e) => error.set(Some(e.0)),
            }
        });
    });

    let status = move || {
        output.with(|o| {
            o.as_ref().map(|o| {
                let (headline, detail) = status_lines(o);
                view! {
                    <p class="tw-status__headline">{headline}</p>
                    <p class="tw-muted">{detail}</p>
                }
            })
        })
    };
    let tiers =
        Memo::new(move |_| output.with(|o| o.as_ref().map(|o| group_benefits(&o.benefits)).unwrap_or_default()));
    let ready = move || {
        view! {
            <h2 class="tw-title" id="tw-circle-heading">"Target Circle"</h2>
            <div
                class="tw-status"
                class:tw-status--member=move || output.with(|o| o.as_ref().is_some_and(|o| o.member))
                id="tw-circle-status"
                tabindex="-1"
                data-testid="circle-status"
            >
                {status}
            </div>
            {move || joined.get().map(|message| view! {
                <p class="tw-note tw-ok" role="status" data-testid="circle-joined">{message}</p>
            })}
            <Show when=move || !signed_in.get() || needs_sign_in.get()>
                <SignInPrompt reason="Sign in to Target to check or join Target Circle." />
            </Show>
            {move || error.get().map(|message| view! { <ErrorPanel message=message testid="circle-error" /> })}
            <ul class="tw-tiers" aria-labelledby="tw-circle-heading">
                <For
                    each=move || tiers.get()
                    key=|(tier, _)| *tier
                    children=move |(tier, benefits)| {
                        let action = Signal::derive(move || {
                            output.with(|o| tier_action(tier, o.as_ref().and_then(|o| o.membership.as_ref())))
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
                    }
                />
            </ul>
        }
    };

    view! {
        <section class="tw-widget tw-circle" data-testid="circle" aria-labelledby="tw-circle-heading">
            {move || match screen.get() {
                Screen::Loading => view! { <LoadingSkeleton label="Loading Target Circle…" blocks=3 /> }.into_any(),
                Screen::Failed(message) => view! { <ErrorPanel message=message /> }.into_any(),
                Screen::Ready => ready().into_any(),
            }}
        </section>
    }
}
