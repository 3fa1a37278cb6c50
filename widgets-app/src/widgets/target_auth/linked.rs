//! The linked view: the Target account the chat client linked with OAuth. No password form and no
//! Sign out here: the account is linked and unlinked in the host (ChatGPT's app settings).

use leptos::prelude::*;
use shared::auth::User;

use super::linked_text;

/// `"Linked to <name> (<email>)"`.
#[component]
pub fn Linked(
    /// The linked account.
    user: Option<User>,
) -> impl IntoView {
    view! {
        <h2 class="tw-title" id="tw-auth-heading" tabindex="-1">"Target account"</h2>
        <div class="tw-signed-in">
            <span class="tw-signed-in__check" aria-hidden="true">"✓"</span>
            <p class="tw-signed-in__text" data-testid="linked-account">{linked_text(user.as_ref())}</p>
        </div>
        <p class="tw-muted" data-testid="linked-note">
            "Your Target account is linked to this chat app, so there is nothing to sign in to. \
             You can unlink it in the app's settings."
        </p>
    }
}
