//! The sign-in form: email and password, checked in the browser first, then posted to the
//! server's REST API. The button shows a busy state while the request is out. The server answers
//! with the session's new id (it renews the id at every sign-in); the model is told that id before
//! the sign-in message goes out, so the turn the message starts already uses it.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::AuthenticateRequest;
use shared::auth::User;
use shared::ids::SessionId;

use super::{FieldErrors, signin_error_text, validate};
use crate::api::{self, ApiFailure};
use crate::components::{LiveText, Message};
use crate::host::use_host;
use crate::model_context::ModelContext;

/// The email + password form; `on_signed_in` gets the account and the session's new id once the
/// server accepts it.
#[component]
pub fn SignInForm(
    /// The session to sign in.
    session_id: SessionId,
    /// Called with the signed-in account and the session's new id.
    on_signed_in: Callback<(User, SessionId)>,
) -> impl IntoView {
    let host = use_host();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let errors = move || if tried.get() { validate(&email.read(), &password.read()) } else { FieldErrors::default() };
    let email_ref = NodeRef::<html::Input>::new();
    let password_ref = NodeRef::<html::Input>::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        tried.set(true);
        let problems = validate(&email.get_untracked(), &password.get_untracked());
        if !problems.is_empty() {
            let field = if problems.email.is_some() { email_ref } else { password_ref };
            if let Some(input) = field.get_untracked() {
                let _ = input.focus();
            }
            return;
        }
        busy.set(true);
        failure.set(None);
        let request = AuthenticateRequest {
            session_id: session_id.clone(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            let answer = api::authenticate(&request).await;
            drop(request);
            busy.set(false);
            match answer {
                Ok(answer) => {
                    password.set(String::new());
                    let (user, renewed) = (answer.user, answer.session_id);
                    let mut context = ModelContext::default();
                    context.record_sign_in(&user, &renewed);
                    let private = serde_json::json!({ "signedIn": true, "user": user, "sessionId": renewed });
                    let message = format!("I'm signed in to Target as {}.", user.name);
                    let told = host.tell_model_now(&context, private);
                    on_signed_in.try_run((user, renewed));
                    // The model has the new session id before the message starts its next turn.
                    told.await;
                    // The conversation learns about the sign-in; a failure here changes nothing.
                    let _ = host.send_message(message).await;
                }
                Err(error) => {
                    if matches!(error, ApiFailure::Server { status: 401, .. }) {
                        password.set(String::new());
                    }
                    failure.set(Some(signin_error_text(&error)));
                }
            }
        });
    };

    view! {
        <h2 class="tw-title" id="tw-auth-heading" tabindex="-1">"Sign in to Target"</h2>
        <p class="tw-muted">"Your password goes straight to Target, never into the chat."</p>
        {host.widget_meta().demo_account.map(|demo| view! {
            <p class="tw-note" data-testid="signin-demo">
                "This server runs with demo accounts: sign in as " <strong>{demo.email}</strong>
                " with the password " <strong>{demo.password}</strong> "."
            </p>
        })}
        <form class="tw-form" novalidate data-testid="signin-form" on:submit=submit>
            <div class="tw-field">
                <label class="tw-field__label" for="tw-email">"Email"</label>
                <input
                    id="tw-email"
                    class="tw-input"
                    type="email"
                    name="email"
                    autocomplete="username"
                    inputmode="email"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    data-testid="signin-email"
                    node_ref=email_ref
                    bind:value=email
                    aria-invalid=move || errors().email.is_some().to_string()
                    aria-describedby=move || errors().email.map(|_| "tw-email-error")
                />
                <Message
                    text=move || errors().email.map(str::to_owned)
                    class="tw-field__error"
                    id="tw-email-error"
                    testid="signin-email-error"
                />
            </div>
            <div class="tw-field">
                <label class="tw-field__label" for="tw-password">"Password"</label>
                <input
                    id="tw-password"
                    class="tw-input"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                    data-testid="signin-password"
                    node_ref=password_ref
                    bind:value=password
                    aria-invalid=move || errors().password.is_some().to_string()
                    aria-describedby=move || errors().password.map(|_| "tw-password-error")
                />
                <Message
                    text=move || errors().password.map(str::to_owned)
                    class="tw-field__error"
                    id="tw-password-error"
                    testid="signin-password-error"
                />
            </div>
            <Message text=failure class="tw-error tw-error--inline" testid="signin-error" role="alert" />
            <button
                type="submit"
                class="tw-btn tw-btn--primary tw-btn--block"
                data-testid="signin-submit"
                disabled=move || busy.get()
                aria-busy=move || busy.get().to_string()
            >
                <LiveText text=move || (if busy.get() { "Signing in…" } else { "Sign in" }).to_owned() />
            </button>
        </form>
    }
}
