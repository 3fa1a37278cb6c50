//! The sign-in and consent page of the authorization endpoint, and its error page: Leptos
//! components rendered to HTML on the server (`RenderHtml::to_html`).
//!
//! The page works without JavaScript (there is none): a plain form POSTs the email, password,
//! request handle and CSRF token back to `/oauth/authorize`. Every text that comes from outside
//! (the client's name, the redirect host, the email typed) is a text node or an attribute value,
//! which Leptos escapes: markup in a client name shows as text. Light and dark come from the
//! widgets' design tokens (`style/tokens.css`, `color-scheme: light dark`).

use leptos::prelude::*;
use shared::auth::Scope;

use crate::http::html_page;

const PAGE_CSS: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center;
  background: var(--tw-surface); color: var(--tw-text); font-family: var(--tw-font); font-size: var(--tw-text-md);
  line-height: 1.45; padding: 32px 16px; }
main { width: 100%; max-width: 420px; background: var(--tw-bg); border: 1px solid var(--tw-border);
  border-radius: var(--tw-radius-lg); box-shadow: var(--tw-shadow); padding: 24px; }
.brand { display: flex; align-items: center; gap: 10px; margin-bottom: 16px; font-weight: var(--tw-weight-bold); }
.bullseye { width: 28px; height: 28px; border-radius: 50%; background: var(--tw-red);
  box-shadow: inset 0 0 0 5px var(--tw-red), inset 0 0 0 9px var(--tw-bg); flex: none; }
h1 { font-size: var(--tw-text-lg); margin: 0 0 8px; }
p { margin: 0 0 12px; }
.muted { color: var(--tw-muted); font-size: var(--tw-text-sm); }
.client { font-weight: var(--tw-weight-bold); overflow-wrap: anywhere; }
ul.scopes { margin: 0 0 16px; padding: 12px 12px 12px 32px; background: var(--tw-surface);
  border-radius: var(--tw-radius); }
ul.scopes li { margin: 2px 0; }
label { display: block; font-weight: var(--tw-weight-bold); margin: 12px 0 4px; font-size: var(--tw-text-sm); }
input[type=email], input[type=password] { width: 100%; padding: 10px 12px; font: inherit; color: var(--tw-text);
  background: var(--tw-bg); border: 1px solid var(--tw-border); border-radius: var(--tw-radius-sm); }
input:focus-visible, button:focus-visible { outline: 2px solid var(--tw-focus); outline-offset: 2px; }
.actions { display: flex; gap: 8px; margin-top: 20px; }
button { flex: 1; padding: 10px 14px; font: inherit; font-weight: var(--tw-weight-bold); border-radius: var(--tw-radius-full);
  cursor: pointer; border: 1px solid var(--tw-border); background: var(--tw-bg); color: var(--tw-text); }
button.primary { background: var(--tw-red); border-color: var(--tw-red); color: var(--tw-on-red); }
button.primary:hover { background: var(--tw-red-hover); }
.error { background: var(--tw-danger-bg); color: var(--tw-danger); border-radius: var(--tw-radius-sm);
  padding: 10px 12px; margin: 0 0 12px; }
"#;

/// What a scope lets the client do, in the shopper's words.
pub fn describe(scope: Scope) -> &'static str {
    match scope {
        Scope::Account => "See your name and email address",
        Scope::Cart => "See and change your cart",
        Scope::Orders => "Place orders and see them",
        Scope::Membership => "See and change your Target Circle membership",
    }
}

/// Everything the sign-in page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInView {
    /// The client's own name (unverified) or its redirect host.
    pub client_name: String,
    /// Where the shopper is sent afterwards.
    pub redirect_host: String,
    pub scopes: Vec<Scope>,
    /// The message of a failed attempt.
    pub error: Option<String>,
    /// The email to fill in again after a failed attempt.
    pub email: String,
    /// The pending request's handle and its CSRF token (hidden fields).
    pub request: String,
    pub csrf: String,
}

/// The document around a page's content: the shared frame, the Target brand first.
fn frame(title: &'static str, content: impl IntoView) -> impl IntoView {
    html_page::frame(
        title.to_owned(),
        PAGE_CSS,
        view! {
            <div class="brand"><span class="bullseye" aria-hidden="true"></span>"Target"</div>
            {content}
        },
    )
}

#[component]
fn SignIn(page: SignInView) -> impl IntoView {
    let SignInView { client_name, redirect_host, scopes, error, email, request, csrf } = page;
    frame(
        "Link your Target account",
        view! {
                <h1>"Link your Target account"</h1>
                <p><span class="client" data-testid="client-name">{client_name}</span>" wants to use your Target account."</p>
                <p class="muted">"After you sign in you go back to "<span class="client" data-testid="redirect-host">{redirect_host}</span>"."</p>
                <p>"It will be able to:"</p>
                <ul class="scopes">
                    {scopes.into_iter().map(|s| view! { <li data-scope=s.as_str()>{describe(s)}</li> }).collect_view()}
                </ul>
                {error.map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <form method="post" action="/oauth/authorize">
                    <input type="hidden" name="request" value=request/>
                    <input type="hidden" name="csrf" value=csrf/>
                    <label for="email">"Email"</label>
                    <input id="email" type="email" name="email" autocomplete="username" required value=email/>
                    <label for="password">"Password"</label>
                    <input id="password" type="password" name="password" autocomplete="current-password" required/>
                    <div class="actions">
                        <button type="submit" name="action" value="deny" formnovalidate>"Cancel"</button>
                        <button type="submit" name="action" value="allow" class="primary">"Sign in and allow"</button>
                    </div>
                </form>
        },
    )
}

#[component]
fn Problem(message: String) -> impl IntoView {
    frame(
        "Cannot link your Target account",
        view! {
                <h1>"Cannot link your Target account"</h1>
                <p class="error" role="alert">{message}</p>
                <p class="muted">"Go back to the app you came from and start linking again."</p>
        },
    )
}

fn document(body: String) -> String {
    format!("<!DOCTYPE html>{body}")
}

/// The sign-in and consent page as a whole HTML document.
pub fn sign_in(page: SignInView) -> String {
    document(view! { <SignIn page=page/> }.to_html())
}

/// A page for an error that cannot be sent back to the client (its redirect URI is not trusted).
pub fn problem(message: &str) -> String {
    document(view! { <Problem message=message.to_owned()/> }.to_html())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_with(name: &str) -> SignInView {
        SignInView {
            client_name: name.into(),
            redirect_host: "chatgpt.com".into(),
            scopes: vec![Scope::Cart, Scope::Orders],
            error: Some("Wrong <password>".into()),
            email: "a\"b@example.com".into(),
            request: "r".repeat(64),
            csrf: "c".repeat(64),
        }
    }

    #[test]
    fn the_page_shows_the_client_scopes_and_a_plain_form() {
        let html = sign_in(view_with("ChatGPT"));
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{html}");
        assert!(html.contains("ChatGPT"));
        assert!(html.contains("chatgpt.com"));
        assert!(html.contains(describe(Scope::Cart)) && html.contains(describe(Scope::Orders)));
        assert!(!html.contains(describe(Scope::Membership)));
        assert!(html.contains(r#"<form method="post" action="/oauth/authorize">"#), "{html}");
        assert!(html.contains(&format!(r#"name="request" value="{}""#, "r".repeat(64))));
        assert!(html.contains("color-scheme: light dark"), "the design tokens are inlined");
        assert!(!html.contains("<script"), "no JavaScript");
    }

    #[test]
    fn markup_from_outside_is_text() {
        let html = sign_in(view_with("<img src=x onerror=alert(1)><b>Evil</b>"));
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b>Evil"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;Evil&lt;/b&gt;"), "{html}");
        assert!(html.contains("Wrong &lt;password&gt;"));
        assert!(html.contains(r#"value="a&quot;b@example.com""#), "{html}");
        let problem = problem("<script>x</script>");
        assert!(!problem.contains("<script>"), "{problem}");
    }
}
