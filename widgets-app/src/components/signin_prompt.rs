//! "Sign in first": shown where an action needs a signed-in account (checkout, Circle). Its button
//! posts "Sign me in to Target" to the conversation, so ChatGPT shows the sign-in form.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Message;
use crate::host::use_host;

/// The follow-up message the prompt's button sends.
pub const SIGN_IN_MESSAGE: &str = "Sign me in to Target";

/// Whether an error message from the server asks the shopper to sign in.
pub fn asks_to_sign_in(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("sign in") || lower.contains("signed in") || lower.contains("not signed")
}

/// A sign-in prompt: `reason` says why, the button asks ChatGPT to sign the shopper in.
#[component]
pub fn SignInPrompt(
    /// Why signing in is needed ("Sign in to Target to check out.").
    #[prop(into)]
    reason: String,
) -> impl IntoView {
    let host = use_host();
    let busy = RwSignal::new(false);
    let note = RwSignal::new(None::<String>);
    let ask = move |_| {
        busy.set(true);
        spawn_local(async move {
            let text = match host.send_message(SIGN_IN_MESSAGE.to_owned()).await {
                Ok(()) => "Asked ChatGPT to sign you in.".to_owned(),
                Err(e) => format!("{e} You can also type \"{SIGN_IN_MESSAGE}\" in the chat."),
            };
            note.set(Some(text));
            busy.set(false);
        });
    };
    view! {
        <div class="tw-signin-prompt" data-testid="signin-prompt">
            <p class="tw-signin-prompt__text">{reason}</p>
            <button
                type="button"
                class="tw-btn tw-btn--primary"
                data-testid="signin-prompt-button"
                disabled=move || busy.get()
                on:click=ask
            >
                {SIGN_IN_MESSAGE}
            </button>
            <Message text=note class="tw-note" testid="signin-prompt-note" role="status" />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_sign_in_errors() {
        assert!(asks_to_sign_in("Please sign in to Target first (authenticate-target), then try again."));
        assert!(asks_to_sign_in("You must be signed in."));
        assert!(!asks_to_sign_in("The cart is empty. Add something with add-to-cart before checking out."));
    }
}
