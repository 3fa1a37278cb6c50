//! The target-auth widget: the Target sign-in form, or who is signed in, or the linked account.
//!
//! It reads `shared::auth::AuthenticateOutput` (`authenticate-target`). Two modes:
//! - linked (`mode: "linked"`, the chat client linked the account with OAuth): it shows the
//!   account (`linked-account`, `linked-note`), with no form and no Sign out;
//! - session (`mode: "session"`, a `sessionId` the model carries): the form below.
//!
//! In session mode, while the status is
//! pending it shows an email + password form whose credentials go straight to the server's REST
//! API (`crate::api::authenticate`), never through the model. Signing in renews the session id
//! (the defence against session fixation, docs/security.md): the widget adopts the new id from
//! the answer, tells the model (`Host::tell_model_now`: `ui/update-model-context` and the widget
//! state's `modelContent` name the new id, so later tool calls use it), keeps
//! `{"signedIn": true, "user": …, "sessionId": <new id>}` as the widget state's private half (so a
//! re-render restores the signed-in view and the id), then posts
//! `"I'm signed in to Target as <name>."` to the conversation. Signing out (with the new id, which
//! it keeps) tells the model too and saves `{"signedIn": false, "sessionId": …}`.
//!
//! `data-testid`s: `signin-form`, `signin-email`, `signin-password`, `signin-email-error`,
//! `signin-password-error` (field validation), `signin-submit`, `signin-error` (server answer:
//! 401 wrong credentials, 404 expired session, 429 too many attempts, network), `signed-in` (the
//! `"Signed in as <name> (<email>)"` line), `signout`, `signout-error`; shared: `loading`, `error`.

mod form;
mod linked;
mod signed_in;

use leptos::prelude::*;
use serde_json::Value;
use shared::api::ApiErrorCode;
use shared::auth::{AuthMode, AuthStatus, AuthenticateOutput, User};
use shared::ids::SessionId;

use crate::api::ApiFailure;
use crate::components::dom::focus_later;
use crate::components::{Dynamic, ErrorPanel, LoadingSkeleton, Phase, use_phase};
use crate::host::{parse_structured, use_host};

use form::SignInForm;
use linked::Linked;
use signed_in::SignedIn;

/// Whether the shopper is signed in, as this widget shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthView {
    /// The account is linked with OAuth (nothing to sign in or out of here).
    Linked(Option<User>),
    /// Signed in; the account when known.
    SignedIn(Option<User>),
    SignedOut,
}

/// The session this widget signs in or out: the id its own sign-in reported (kept in the
/// restored widget state), else the tool output's.
pub fn current_session(output: &AuthenticateOutput, restored: Option<&Value>) -> Option<SessionId> {
    if output.mode == AuthMode::Linked {
        return None;
    }
    restored
        .and_then(|s| s.get("sessionId"))
        .and_then(|id| serde_json::from_value(id.clone()).ok())
        .or_else(|| output.session_id.clone())
}

/// What to show for `output`: a linked account as it is; in session mode, restored widget state
/// (saved after a sign-in or sign-out in this widget) wins over the tool output, which may
/// predate it.
pub fn auth_view(output: &AuthenticateOutput, restored: Option<&Value>) -> AuthView {
    if output.mode == AuthMode::Linked {
        return AuthView::Linked(output.user.clone());
    }
    match restored.and_then(|s| s.get("signedIn")).and_then(Value::as_bool) {
        Some(true) => {
            let saved = restored.and_then(|s| s.get("user")).and_then(|u| serde_json::from_value(u.clone()).ok());
            AuthView::SignedIn(saved.or_else(|| output.user.clone()))
        }
        Some(false) => AuthView::SignedOut,
        None => match output.status {
            AuthStatus::Authenticated => AuthView::SignedIn(output.user.clone()),
            AuthStatus::Pending => AuthView::SignedOut,
        },
    }
}

/// Client-side problems with the form, one sentence per field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub email: Option<&'static str>,
    pub password: Option<&'static str>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.password.is_none()
    }
}

/// Both fields are required and the email needs an `@` (the server checks the rest).
pub fn validate(email: &str, password: &str) -> FieldErrors {
    let email = email.trim();
    FieldErrors {
        email: if email.is_empty() {
            Some("Enter your email address.")
        } else if !email.contains('@') {
            Some("Enter a valid email address, like name@example.com.")
        } else {
            None
        },
        password: password.is_empty().then_some("Enter your password."),
    }
}

/// The sentence shown when the server refuses a sign-in: the server's own message, except for an
/// expired session, where the shopper needs to ask ChatGPT to start over, and a session id
/// retired by an earlier sign-in (an older copy of this form).
pub fn signin_error_text(failure: &ApiFailure) -> String {
    match failure {
        ApiFailure::Server { error, .. } if error.error == ApiErrorCode::SessionRenewed => {
            "This sign-in form is out of date: you signed in to this Target session already, which gave it a new \
             id. Ask ChatGPT to show the sign-in form again."
                .to_owned()
        }
        ApiFailure::Server { status: 404, .. } => {
            "Your Target session has expired. Ask ChatGPT to start over, then sign in again.".to_owned()
        }
        other => other.message(),
    }
}

/// "Linked to Sam Shopper (shopper@example.com)".
pub fn linked_text(user: Option<&User>) -> String {
    match user {
        Some(user) if !user.name.trim().is_empty() => format!("Linked to {} ({})", user.name, user.email),
        Some(user) => format!("Linked to {}", user.email),
        None => "Your Target account is linked".to_owned(),
    }
}

/// "Signed in as Sam Shopper (shopper@example.com)".
pub fn signed_in_text(user: Option<&User>) -> String {
    match user {
        Some(user) if !user.name.trim().is_empty() => format!("Signed in as {} ({})", user.name, user.email),
        Some(user) => format!("Signed in as {}", user.email),
        None => "Signed in to Target".to_owned(),
    }
}

/// What the widget shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Loading,
    Failed(String),
    Form(SessionId),
    SignedIn(SessionId, Option<User>),
    Linked(Option<User>),
}

/// The screen for a session-mode view, which needs the session's id.
fn session_screen(session_id: Option<&SessionId>, view: impl FnOnce(SessionId) -> Screen) -> Screen {
    match session_id {
        Some(id) => view(id.clone()),
        None => Screen::Failed("This sign-in has no Target session. Ask ChatGPT to start over.".to_owned()),
    }
}

/// The target-auth widget.
#[component]
pub fn TargetAuth() -> impl IntoView {
    let host = use_host();
    let phase = use_phase(host, parse_structured::<AuthenticateOutput>);
    // What this widget did itself (signed in or out, and the session id that left it with) wins
    // over the output and the restored state.
    let local = RwSignal::new(None::<(AuthView, SessionId)>);
    let screen = Memo::new(move |_| {
        let restored = host.restored_state.get();
        let local = local.get();
        phase.with(|phase| match phase {
            Phase::Loading => Screen::Loading,
            Phase::Failed(message) => Screen::Failed(message.clone()),
            Phase::Ready(output) => {
                let (view, session) = match local {
                    Some((view, session)) => (view, Some(session)),
                    None => (auth_view(output, restored.as_ref()), current_session(output, restored.as_ref())),
                };
                match view {
                    AuthView::Linked(user) => Screen::Linked(user),
                    AuthView::SignedIn(user) => session_screen(session.as_ref(), |id| Screen::SignedIn(id, user)),
                    AuthView::SignedOut => session_screen(session.as_ref(), Screen::Form),
                }
            }
        })
    });
    let on_signed_in = Callback::new(move |(user, session): (User, SessionId)| {
        local.set(Some((AuthView::SignedIn(Some(user)), session)));
        focus_later("tw-auth-heading");
    });
    let on_signed_out = Callback::new(move |session: SessionId| {
        local.set(Some((AuthView::SignedOut, session)));
        focus_later("tw-auth-heading");
    });

    view! {
        <section class="tw-widget tw-auth" aria-labelledby="tw-auth-heading">
            <Dynamic view=move || match screen.get() {
                Screen::Loading => view! { <LoadingSkeleton label="Loading Target sign-in…" blocks=3 /> }.into_any(),
                Screen::Failed(message) => view! { <ErrorPanel message=message /> }.into_any(),
                Screen::Form(session_id) => view! { <SignInForm session_id=session_id on_signed_in=on_signed_in /> }
                    .into_any(),
                Screen::SignedIn(session_id, user) => {
                    view! { <SignedIn session_id=session_id user=user on_signed_out=on_signed_out /> }.into_any()
                }
                Screen::Linked(user) => view! { <Linked user=user /> }.into_any(),
            } />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::api::{ApiError, ApiErrorCode};

    fn output(status: AuthStatus, user: Option<User>) -> AuthenticateOutput {
        AuthenticateOutput {
            session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").ok(),
            mode: AuthMode::Session,
            status,
            user,
        }
    }

    fn sam() -> User {
        User { email: "shopper@example.com".into(), name: "Sam Shopper".into() }
    }

    #[test]
    fn view_follows_the_output_unless_state_was_restored() {
        assert_eq!(auth_view(&output(AuthStatus::Pending, None), None), AuthView::SignedOut);
        assert_eq!(auth_view(&output(AuthStatus::Authenticated, Some(sam())), None), AuthView::SignedIn(Some(sam())));
        let restored = json!({"signedIn": true, "user": {"email": "shopper@example.com", "name": "Sam Shopper"}});
        assert_eq!(auth_view(&output(AuthStatus::Pending, None), Some(&restored)), AuthView::SignedIn(Some(sam())));
        let restored_bad_user = json!({"signedIn": true, "user": 7});
        assert_eq!(auth_view(&output(AuthStatus::Pending, None), Some(&restored_bad_user)), AuthView::SignedIn(None));
        let signed_out = json!({"signedIn": false});
        assert_eq!(auth_view(&output(AuthStatus::Authenticated, Some(sam())), Some(&signed_out)), AuthView::SignedOut);
        let unrelated = json!({"sort": "rating"});
        assert_eq!(auth_view(&output(AuthStatus::Pending, None), Some(&unrelated)), AuthView::SignedOut);
    }

    #[test]
    fn the_session_is_the_one_the_sign_in_reported_once_it_did() {
        let original = output(AuthStatus::Pending, None);
        assert_eq!(current_session(&original, None), original.session_id);
        let renewed = "sess_fedcba9876543210fedcba9876543210";
        let restored = json!({"signedIn": true, "user": sam(), "sessionId": renewed});
        assert_eq!(current_session(&original, Some(&restored)).map(|id| id.to_string()).as_deref(), Some(renewed));
        let signed_out = json!({"signedIn": false, "sessionId": renewed});
        assert_eq!(current_session(&original, Some(&signed_out)).map(|id| id.to_string()).as_deref(), Some(renewed));
        let older = json!({"signedIn": true, "user": sam()});
        assert_eq!(current_session(&original, Some(&older)), original.session_id, "a state saved before renewal");
        let garbage = json!({"sessionId": "not-an-id"});
        assert_eq!(current_session(&original, Some(&garbage)), original.session_id);
        let linked = AuthenticateOutput { mode: AuthMode::Linked, session_id: None, ..original };
        assert_eq!(current_session(&linked, Some(&restored)), None, "a linked account has no session id");
    }

    #[test]
    fn a_linked_account_is_shown_as_linked_whatever_was_restored() {
        let linked = AuthenticateOutput {
            session_id: None,
            mode: AuthMode::Linked,
            status: AuthStatus::Authenticated,
            user: Some(sam()),
        };
        assert_eq!(auth_view(&linked, None), AuthView::Linked(Some(sam())));
        let signed_out = json!({"signedIn": false});
        assert_eq!(auth_view(&linked, Some(&signed_out)), AuthView::Linked(Some(sam())));
        assert_eq!(linked_text(Some(&sam())), "Linked to Sam Shopper (shopper@example.com)");
        assert_eq!(linked_text(None), "Your Target account is linked");
    }

    #[test]
    fn validation() {
        assert!(validate("shopper@example.com", "pw").is_empty());
        assert_eq!(validate("  ", "pw").email, Some("Enter your email address."));
        assert!(validate("shopper.example.com", "pw").email.unwrap().contains("valid email"));
        assert_eq!(validate("a@b", "").password, Some("Enter your password."));
        let both = validate("", "");
        assert!(both.email.is_some() && both.password.is_some());
        assert!(validate(" shopper@example.com ", " ").is_empty(), "passwords are not trimmed");
    }

    #[test]
    fn server_refusals_read_well() {
        let server = |status, error, message: &str| ApiFailure::Server {
            status,
            error: ApiError { error, message: message.into(), request_id: None },
        };
        let wrong =
            server(401, ApiErrorCode::InvalidCredentials, "That email and password don't match a Target account.");
        assert_eq!(signin_error_text(&wrong), "That email and password don't match a Target account.");
        let expired = server(404, ApiErrorCode::SessionNotFound, "This Target session has expired or does not exist.");
        assert!(signin_error_text(&expired).contains("Ask ChatGPT to start over"));
        let renewed = server(404, ApiErrorCode::SessionRenewed, "This Target session id was replaced by a new one.");
        assert!(signin_error_text(&renewed).starts_with("This sign-in form is out of date"));
        let locked = server(429, ApiErrorCode::TooManyAttempts, "Too many sign-in attempts. Please wait 900 seconds.");
        assert!(signin_error_text(&locked).starts_with("Too many sign-in attempts"));
        assert!(signin_error_text(&ApiFailure::Network("TypeError".into())).contains("Could not reach Target"));
    }

    #[test]
    fn signed_in_line() {
        assert_eq!(signed_in_text(Some(&sam())), "Signed in as Sam Shopper (shopper@example.com)");
        let nameless = User { email: "a@b.c".into(), name: " ".into() };
        assert_eq!(signed_in_text(Some(&nameless)), "Signed in as a@b.c");
        assert_eq!(signed_in_text(None), "Signed in to Target");
    }
}
