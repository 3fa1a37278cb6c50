//! The signed-in view: who is signed in, and a Sign out button. Signing out keeps the session's
//! id; the model is told the shopper signed out, naming that id.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ApiErrorCode, SignoutRequest};
use shared::auth::User;
use shared::ids::SessionId;

use super::{signed_in_text, signin_error_text};
use crate::api::{self, ApiFailure};
use crate::components::{LiveText, Message};
use crate::host::use_host;
use crate::model_context::ModelContext;

/// Whether a refused sign-out leaves the shopper signed out anyway: an expired session is. An id
/// retired by a sign-in is not (its session lives on, signed in, under another id).
fn signed_out_already(failure: &ApiFailure) -> bool {
    matches!(failure, ApiFailure::Server { status: 404, error } if error.error != ApiErrorCode::SessionRenewed)
}

/// `"Signed in as <name> (<email>)"` and Sign out; `on_signed_out` runs with the session's id once
/// the server agrees (or the session is already gone).
#[component]
pub fn SignedIn(
    /// The signed-in session.
    session_id: SessionId,
    /// The account, when known.
    user: Option<User>,
    /// Called after signing out, with the session's id.
    on_signed_out: Callback<SessionId>,
) -> impl IntoView {
    let host = use_host();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let sign_out = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        let request = SignoutRequest { session_id: session_id.clone() };
        spawn_local(async move {
            let answer = api::sign_out(&request).await;
            busy.set(false);
            match answer {
                Err(error) if !signed_out_already(&error) => failure.set(Some(signin_error_text(&error))),
                _ => {
                    let session = request.session_id;
                    let mut context = ModelContext::default();
                    context.record_sign_out(&session);
                    host.tell_model(&context, serde_json::json!({ "signedIn": false, "sessionId": session }));
                    on_signed_out.try_run(session);
                }
            }
        });
    };

    view! {
        <h2 class="tw-title" id="tw-auth-heading" tabindex="-1">"Target account"</h2>
        <div class="tw-signed-in">
            <span class="tw-signed-in__check" aria-hidden="true">"✓"</span>
            <p class="tw-signed-in__text" data-testid="signed-in">{signed_in_text(user.as_ref())}</p>
        </div>
        <p class="tw-muted">"You can now ask ChatGPT to check out or join Target Circle."</p>
        <Message text=failure class="tw-error tw-error--inline" testid="signout-error" role="alert" />
        <button
            type="button"
            class="tw-btn tw-btn--secondary"
            data-testid="signout"
            disabled=move || busy.get()
            aria-busy=move || busy.get().to_string()
            on:click=sign_out
        >
            <LiveText text=move || (if busy.get() { "Signing out…" } else { "Sign out" }).to_owned() />
        </button>
    }
}
