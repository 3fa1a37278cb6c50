//! The built-in OAuth authorization server over real HTTP, as ChatGPT or an MCP SDK client
//! would use it: registration, the sign-in page, codes, tokens, refresh, revocation, and every
//! refusal; on both stores, and across two instances sharing one Redis.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde_json::{Value, json};
use server::clock::Clock;
use server::identity::oauth::BuiltinTokens;
use server::identity::token::{TokenError, TokenVerifier};
use sha2::{Digest, Sha256};
use shared::auth::Scope;

use crate::helpers::{DEMO_EMAIL, DEMO_PASSWORD, TestApp, redis_config, spawn_app, spawn_app_with, test_config};
use crate::redis_test_server::RedisTestServer;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// An OAuth client of the server under test (a public client with PKCE), over its own HTTP
/// client that does not follow redirects.
struct Client<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    client_id: String,
    redirect_uri: String,
    verifier: String,
}

/// A sign-in page as the browser got it.
struct Page {
    status: u16,
    html: String,
    cookie: Option<String>,
    location: Option<String>,
}

impl Page {
    fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start =
            self.html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {}", self.html)) + marker.len();
        self.html[start..].split('"').next().unwrap_or_default().to_owned()
    }
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location).expect("absolute location").query_pairs().into_owned().collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

impl<'a> Client<'a> {
    /// Registers a client (RFC 7591) named `name` with the test redirect URI.
    async fn register(app: &'a TestApp, name: &str) -> Client<'a> {
        let response = app
            .client
            .post(app.url("/oauth/register"))
            .json(&json!({"client_name": name, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                          "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["token_endpoint_auth_method"], "none");
        assert_eq!(body["redirect_uris"], json!([REDIRECT]));
        assert!(body.get("client_secret").is_none(), "public clients get no secret");
        Client::with_id(app, body["client_id"].as_str().expect("client_id"))
    }

    fn with_id(app: &'a TestApp, client_id: &str) -> Client<'a> {
        Client {
            app,
            http: no_redirects(),
            client_id: client_id.to_owned(),
            redirect_uri: REDIRECT.to_owned(),
            verifier: format!("verifier-{}", "x".repeat(50)),
        }
    }

    fn resource(&self, path: &str) -> String {
        self.app.state.config.public_base() + path
    }

    /// `GET /oauth/authorize` with the usual parameters, `changes` replacing or (with `None`)
    /// removing some.
    async fn open(&self, changes: &[(&str, Option<&str>)], cookie: Option<&str>) -> Page {
        let challenge = challenge_of(&self.verifier);
        let resource = self.resource("/mcp/all");
        let mut params: Vec<(&str, Option<&str>)> = vec![
            ("response_type", Some("code")),
            ("client_id", Some(&self.client_id)),
            ("redirect_uri", Some(&self.redirect_uri)),
            ("scope", Some("cart orders")),
            ("state", Some("st-123")),
            ("code_challenge", Some(&challenge)),
            ("code_challenge_method", Some("S256")),
            ("resource", Some(&resource)),
        ];
        for (name, value) in changes {
            params.retain(|(n, _)| n != name);
            params.push((name, *value));
        }
        let pairs: Vec<(&str, &str)> = params.iter().filter_map(|(n, v)| v.map(|v| (*n, v))).collect();
        let mut request = self.http.get(format!("{}?{}", self.app.url("/oauth/authorize"), form(&pairs)));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        page_of(request.send().await.expect("sent")).await
    }

    /// Posts the page's form with these credentials (and `action`), sending `cookie`.
    async fn submit(&self, page: &Page, email: &str, password: &str, action: &str, cookie: Option<&str>) -> Page {
        let body = form(&[
            ("request", &page.hidden("request")),
            ("csrf", &page.hidden("csrf")),
            ("email", email),
            ("password", password),
            ("action", action),
        ]);
        let mut request = self
            .http
            .post(self.app.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.app.base.clone())
            .body(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        page_of(request.send().await.expect("sent")).await
    }

    /// The whole browser step: page, sign-in as the demo shopper; returns the code.
    async fn code(&self, changes: &[(&str, Option<&str>)]) -> String {
        let page = self.open(changes, None).await;
        assert_eq!(page.status, 200, "{}", page.html);
        let done = self.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", page.cookie.as_deref()).await;
        assert_eq!(done.status, 303, "{}", done.html);
        let query = query_of(done.location.as_deref().expect("a redirect"));
        assert_eq!(query.get("state").map(String::as_str), Some("st-123"));
        assert_eq!(query.get("iss"), Some(&self.app.state.config.public_base()));
        query.get("code").cloned().unwrap_or_else(|| panic!("no code in {query:?}"))
    }

    async fn token(&self, pairs: &[(&str, &str)]) -> (u16, Value) {
        post_form(self.app, &self.http, "/oauth/token", pairs).await
    }

    async fn exchange(&self, code: &str) -> (u16, Value) {
        let resource = self.resource("/mcp/all");
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("client_id", &self.client_id),
            ("code_verifier", &self.verifier),
            ("resource", &resource),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &self.client_id)])
            .await
    }

    /// Code and tokens in one go: returns (access token, refresh token).
    async fn link(&self) -> (String, String) {
        let code = self.code(&[]).await;
        let (status, body) = self.exchange(&code).await;
        assert_eq!(status, 200, "{body}");
        (
            body["access_token"].as_str().expect("access").to_owned(),
            body["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }
}

async fn page_of(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let location = header("location");
    let cookie = header("set-cookie").map(|c| c.split(';').next().unwrap_or_default().to_owned());
    Page { status, html: response.text().await.expect("body"), cookie, location }
}

async fn post_form(app: &TestApp, http: &reqwest::Client, path: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    let response = http
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    if status == 200 && path.ends_with("/token") {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn verify(app: &TestApp, token: &str, path: &str) -> Result<shared::auth::User, TokenError> {
    let resource = app.state.config.public_base() + path;
    BuiltinTokens::new(app.state.store.clone(), app.state.accounts.clone())
        .verify(token, &resource, app.clock.now())
        .await
        .map(|c| c.account.clone())
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn metadata_describes_the_authorization_server() {
    let app = spawn_app().await;
    let body: Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let base = app.state.config.public_base();
    assert_eq!(body["issuer"], base);
    assert_eq!(body["authorization_endpoint"], format!("{base}/oauth/authorize"));
    assert_eq!(body["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(body["registration_endpoint"], format!("{base}/oauth/register"));
    assert_eq!(body["revocation_endpoint"], format!("{base}/oauth/revoke"));
    assert_eq!(body["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(body["response_types_supported"], json!(["code"]));
    assert_eq!(body["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(body["token_endpoint_auth_methods_supported"], json!(["none"]));
    assert_eq!(body["client_id_metadata_document_supported"], true);
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(body["scopes_supported"], json!(scopes));
}

/// The whole flow on one store: returns nothing, panics on the first wrong answer.
async fn whole_flow(app: &TestApp) {
    let client = Client::register(app, "ChatGPT").await;
    let page = client.open(&[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("ChatGPT") && page.html.contains("127.0.0.1:9"), "name and redirect host");
    assert!(page.html.contains("See and change your cart") && page.html.contains("Place orders"));
    assert!(!page.html.contains("Target Circle membership"), "only the scopes asked for");
    let (access, refresh) = client.link().await;
    let user = verify(app, &access, "/mcp/all").await.expect("the verifier accepts the token");
    assert_eq!(user.email, DEMO_EMAIL);

    // Refresh rotates: a new pair, and the old refresh token becomes a tripwire.
    app.clock.advance(Duration::minutes(5));
    let (status, body) = client.refresh(&refresh).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "cart orders");
    let (access2, refresh2) =
        (body["access_token"].as_str().expect("a").to_owned(), body["refresh_token"].as_str().expect("r").to_owned());
    assert_ne!(refresh2, refresh);
    assert!(verify(app, &access2, "/mcp/all").await.is_ok());
    let (status, body) = client.refresh(&refresh).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "reuse of a rotated refresh token");
    assert_eq!(verify(app, &access2, "/mcp/all").await, Err(TokenError::Unknown), "reuse revoked the whole grant");
    assert_eq!(verify(app, &access, "/mcp/all").await, Err(TokenError::Unknown));
    let (status, _) = client.refresh(&refresh2).await;
    assert_eq!(status, 400, "the newest refresh token died with the grant");
}

#[tokio::test]
async fn register_sign_in_token_refresh_and_reuse_detection_in_memory() {
    let app = spawn_app().await;
    whole_flow(&app).await;
}

#[tokio::test]
async fn register_sign_in_token_refresh_and_reuse_detection_on_redis() {
    let redis = RedisTestServer::start().await;
    whole_flow(&spawn_app_with(redis_config(&redis)).await).await;
}

#[tokio::test]
async fn two_instances_sharing_redis_accept_each_others_tokens() {
    let redis = RedisTestServer::start().await;
    let instance = || spawn_app_with(redis_config(&redis));
    let (a, b) = (instance().await, instance().await);
    let on_a = Client::register(&a, "ChatGPT").await;
    // Registered on A, the page on A, the code exchanged on B.
    let code = on_a.code(&[]).await;
    let mut on_b = Client::with_id(&b, &on_a.client_id);
    on_b.verifier = on_a.verifier.clone();
    let resource = a.state.config.public_base() + "/mcp/all";
    let (status, body) = on_b
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &on_a.client_id),
            ("code_verifier", &on_a.verifier),
            ("resource", &resource),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().expect("access");
    // Each instance's own public base differs (its port); the resource is A's URL on both.
    let verifier_b = BuiltinTokens::new(b.state.store.clone(), b.state.accounts.clone());
    assert!(verifier_b.verify(access, &resource, b.clock.now()).await.is_ok(), "B verifies the token it issued");
    let verifier_a = BuiltinTokens::new(a.state.store.clone(), a.state.accounts.clone());
    assert!(verifier_a.verify(access, &resource, a.clock.now()).await.is_ok(), "A verifies B's token");
    let (status, body) = on_a.refresh(body["refresh_token"].as_str().expect("refresh")).await;
    assert_eq!(status, 200, "A rotates the refresh token B issued: {body}");
}

#[tokio::test]
async fn revocation_of_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let (access, refresh) = client.link().await;
    let (status, _) =
        post_form(&app, &client.http, "/oauth/revoke", &[("token", &access), ("client_id", &client.client_id)]).await;
    assert_eq!(status, 200);
    assert_eq!(verify(&app, &access, "/mcp/all").await, Err(TokenError::Unknown));
    let (status, body) = client.refresh(&refresh).await;
    assert_eq!(status, 200, "revoking an access token keeps the grant: {body}");
    let (access2, refresh2) =
        (body["access_token"].as_str().expect("a").to_owned(), body["refresh_token"].as_str().expect("r").to_owned());

    let other = Client::register(&app, "Someone else").await;
    let (status, body) =
        post_form(&app, &other.http, "/oauth/revoke", &[("token", &refresh2), ("client_id", &other.client_id)]).await;
    assert_eq!((status, error_of(&body)), (400, "unauthorized_client"), "another client cannot revoke it");
    assert!(verify(&app, &access2, "/mcp/all").await.is_ok());

    let (status, _) =
        post_form(&app, &client.http, "/oauth/revoke", &[("token", &refresh2), ("client_id", &client.client_id)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        verify(&app, &access2, "/mcp/all").await,
        Err(TokenError::Unknown),
        "the refresh token took the grant along"
    );
    assert_eq!(client.refresh(&refresh2).await.0, 400);
    let (status, _) =
        post_form(&app, &client.http, "/oauth/revoke", &[("token", "not-a-token"), ("client_id", &client.client_id)])
            .await;
    assert_eq!(status, 200, "unknown tokens answer 200 (RFC 7009)");
}

#[tokio::test]
async fn codes_are_bound_to_pkce_redirect_uri_client_and_resource_and_burn_on_misuse() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let resource = client.resource("/mcp/all");

    let code = client.code(&[]).await;
    let (status, body) = client
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client.client_id),
            ("code_verifier", &format!("wrong-{}", "y".repeat(50))),
            ("resource", &resource),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "PKCE mismatch");
    assert!(body["error_description"].as_str().unwrap_or_default().contains("PKCE"));
    assert_eq!(error_of(&client.exchange(&code).await.1), "invalid_grant", "the code burnt with the failed try");

    let code = client.code(&[]).await;
    let (status, body) = client
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("client_id", &client.client_id),
            ("code_verifier", &client.verifier),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "wrong redirect URI");

    let code = client.code(&[]).await;
    let (status, body) = client
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client.client_id),
            ("code_verifier", &client.verifier),
            ("resource", &client.resource("/mcp2")),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_target"), "wrong resource");

    let other = Client::register(&app, "Other").await;
    let code = client.code(&[]).await;
    let (status, body) = other
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &other.client_id),
            ("code_verifier", &client.verifier),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "another client's code");

    let (status, body) = client.token(&[("grant_type", "password"), ("client_id", &client.client_id)]).await;
    assert_eq!((status, error_of(&body)), (400, "unsupported_grant_type"));
    let (status, body) = client
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "tc_nope"),
            ("client_id", "dcr_00000000000000000000000000000000"),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "unknown client");
}

#[tokio::test]
async fn expired_and_replayed_codes_are_refused_and_a_replay_revokes_the_tokens() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let code = client.code(&[]).await;
    app.clock.advance(Duration::seconds(61));
    let (status, body) = client.exchange(&code).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "expired code");

    let code = client.code(&[]).await;
    let (status, body) = client.exchange(&code).await;
    assert_eq!(status, 200);
    let access = body["access_token"].as_str().expect("access").to_owned();
    assert!(verify(&app, &access, "/mcp/all").await.is_ok());
    let (status, body) = client.exchange(&code).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "replayed code");
    assert_eq!(
        verify(&app, &access, "/mcp/all").await,
        Err(TokenError::Unknown),
        "the replay revoked the first tokens"
    );
}

#[tokio::test]
async fn a_token_for_another_resource_or_past_its_life_is_refused() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let code = client.code(&[("resource", Some(&client.resource("/mcp3")))]).await;
    let (status, body) = client
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client.client_id),
            ("code_verifier", &client.verifier),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().expect("access");
    assert!(verify(&app, access, "/mcp3").await.is_ok());
    assert_eq!(verify(&app, access, "/mcp/all").await, Err(TokenError::WrongAudience));
    assert_eq!(verify(&app, "ta_garbage", "/mcp3").await, Err(TokenError::Malformed));
    let refresh = body["refresh_token"].as_str().expect("refresh");
    assert_eq!(verify(&app, refresh, "/mcp3").await, Err(TokenError::Malformed), "a refresh token is no access token");
    app.clock.advance(Duration::seconds(900));
    assert_eq!(verify(&app, access, "/mcp3").await, Err(TokenError::Expired));
}

#[tokio::test]
async fn untrusted_requests_stay_on_the_page_and_later_errors_go_back_to_the_client() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    for (changes, why) in [
        (vec![("client_id", Some("dcr_00000000000000000000000000000000"))], "unknown client"),
        (vec![("client_id", None)], "no client"),
        (vec![("redirect_uri", Some("https://evil.example/cb"))], "unregistered redirect URI"),
    ] {
        let page = client.open(&changes, None).await;
        assert_eq!(page.status, 400, "{why}");
        assert_eq!(page.location, None, "{why}: never redirected");
        assert!(page.html.contains("Cannot link your Target account"), "{why}");
    }
    for (changes, error) in [
        (vec![("code_challenge", None)], "invalid_request"),
        (vec![("code_challenge_method", Some("plain"))], "invalid_request"),
        (vec![("response_type", Some("token"))], "unsupported_response_type"),
        (vec![("scope", Some("cart admin"))], "invalid_scope"),
        (vec![("resource", Some("https://evil.example/mcp/all"))], "invalid_target"),
    ] {
        let page = client.open(&changes, None).await;
        assert_eq!(page.status, 303, "{error}");
        let query = query_of(page.location.as_deref().expect("redirect"));
        assert_eq!(query.get("error").map(String::as_str), Some(error));
        assert_eq!(query.get("state").map(String::as_str), Some("st-123"));
        assert!(!query.contains_key("code"));
    }
    // Without redirect_uri, a client with a single one uses it.
    let page = client.open(&[("redirect_uri", None)], None).await;
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn the_sign_in_form_is_csrf_protected() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let page = client.open(&[], None).await;
    let cookie = page.cookie.clone().expect("the page sets the browser cookie");
    assert!(cookie.starts_with("target_oauth_browser="));

    let no_cookie = client.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", None).await;
    assert_eq!(no_cookie.status, 403, "no browser cookie");
    let other_browser = format!("target_oauth_browser={}", "a".repeat(64));
    let wrong_cookie = client.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", Some(&other_browser)).await;
    assert_eq!(wrong_cookie.status, 403, "another browser's cookie");
    for csrf in ["", &"b".repeat(64)] {
        let body = form(&[
            ("request", &page.hidden("request")),
            ("csrf", csrf),
            ("email", DEMO_EMAIL),
            ("password", DEMO_PASSWORD),
            ("action", "allow"),
        ]);
        let response = client
            .http
            .post(app.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "csrf {csrf:?}");
    }
    // The checks failed before any password was checked; the genuine form still works.
    let done = client.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", Some(&cookie)).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let again = client.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", Some(&cookie)).await;
    assert_eq!(again.status, 400, "a used page cannot be posted twice");
}

#[tokio::test]
async fn wrong_passwords_share_the_lockout_of_the_rest_sign_in_and_cancel_says_access_denied() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let page = client.open(&[], None).await;
    let cookie = page.cookie.clone();
    let wrong = client.submit(&page, DEMO_EMAIL, "nope", "allow", cookie.as_deref()).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("don&#x27;t match") || wrong.html.contains("don't match"), "{}", wrong.html);
    assert!(wrong.html.contains(DEMO_EMAIL), "the email is filled in again");
    // Four more failures through the widget's REST sign-in lock the account everywhere.
    let sid = app.new_session().await;
    for _ in 0..4 {
        let response = app
            .post_json(
                shared::api::AUTHENTICATE_PATH,
                json!({"sessionId": sid, "email": DEMO_EMAIL, "password": "nope"}),
            )
            .await;
        assert!(matches!(response.status().as_u16(), 401 | 429));
    }
    let locked = client.submit(&wrong, DEMO_EMAIL, DEMO_PASSWORD, "allow", cookie.as_deref()).await;
    assert_eq!(locked.status, 429, "the right password is refused while locked out");
    assert!(locked.html.contains("Too many sign-in attempts"));

    let cancelled = client.submit(&wrong, "", "", "deny", cookie.as_deref()).await;
    assert_eq!(cancelled.status, 303);
    let query = query_of(cancelled.location.as_deref().expect("redirect"));
    assert_eq!(query.get("error").map(String::as_str), Some("access_denied"));
}

#[tokio::test]
async fn markup_in_a_client_name_shows_as_text() {
    let app = spawn_app().await;
    let client = Client::register(&app, "<script>alert(1)</script><b>Evil</b>").await;
    let page = client.open(&[], None).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("<script>alert"), "{}", page.html);
    assert!(!page.html.contains("<b>Evil"));
    assert!(page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Evil&lt;/b&gt;"), "{}", page.html);
}

#[tokio::test]
async fn registration_refuses_what_it_cannot_honour() {
    let app = spawn_app().await;
    for (body, error) in [
        (json!({"redirect_uris": ["http://example.com/cb"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["javascript:alert(1)"]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (json!({"redirect_uris": [REDIRECT], "grant_types": ["implicit"]}), "invalid_client_metadata"),
        (json!({"redirect_uris": [REDIRECT], "response_types": ["token"]}), "invalid_client_metadata"),
    ] {
        let response = app.client.post(app.url("/oauth/register")).json(&body).send().await.expect("sent");
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.expect("json");
        assert_eq!(error_of(&answer), error, "{body}");
    }
    // A client asking for a secret (the Python SDK's default) is registered public instead.
    let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"});
    let response = app.client.post(app.url("/oauth/register")).json(&body).send().await.expect("sent");
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["token_endpoint_auth_method"], "none");
    assert!(answer.get("client_secret").is_none());
}

#[tokio::test]
async fn a_predefined_confidential_client_must_authenticate() {
    let mut config = test_config();
    config.oauth_server.client_id = Some("chatgpt-app".into());
    config.oauth_server.client_secret = Some("s3cret".into());
    config.oauth_server.client_redirect_uris = vec![REDIRECT.into()];
    let app = spawn_app_with(config).await;
    let metadata: Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["none", "client_secret_basic", "client_secret_post"])
    );
    let client = Client::with_id(&app, "chatgpt-app");
    let page = client.open(&[], None).await;
    assert!(page.html.contains("ChatGPT"), "the configured name");
    let code = client.code(&[]).await;
    let (status, body) = client.exchange(&code).await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "no secret");
    let code = client.code(&[]).await;
    let basic = base64::engine::general_purpose::STANDARD.encode("chatgpt-app:s3cret");
    let response = client
        .http
        .post(app.url("/oauth/token"))
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &client.verifier),
        ]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

/// A client metadata document served by a small local server (the test setting allows loopback).
async fn serve_document(body: impl Fn(&str) -> String + Send + Sync + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/client.json", listener.local_addr().expect("addr").port());
    let document = body(&url);
    let router = axum::Router::new().route("/client.json", axum::routing::get(move || async move { document }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

#[tokio::test]
async fn client_id_metadata_documents_are_fetched_and_checked() {
    let good = serve_document(|url| {
        json!({"client_id": url, "client_name": "Doc Client", "redirect_uris": [REDIRECT]}).to_string()
    })
    .await;
    let mismatched = serve_document(|_| {
        json!({"client_id": "https://other.example/c.json", "redirect_uris": [REDIRECT]}).to_string()
    })
    .await;
    let huge = serve_document(|url| {
        json!({"client_id": url, "redirect_uris": [REDIRECT], "pad": "x".repeat(10_000)}).to_string()
    })
    .await;

    let strict = spawn_app().await;
    let page = Client::with_id(&strict, &good).open(&[], None).await;
    assert_eq!(page.status, 400, "loopback and http are refused without the test setting");

    let mut config = test_config();
    config.oauth_server.cimd_allow_private_addresses = true;
    let app = spawn_app_with(config).await;
    let client = Client::with_id(&app, &good);
    let page = client.open(&[], None).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Doc Client"));
    let (access, _) = client.link().await;
    assert!(verify(&app, &access, "/mcp/all").await.is_ok());
    for (url, why) in [(&mismatched, "client_id differs"), (&huge, "too large")] {
        let page = Client::with_id(&app, url).open(&[], None).await;
        assert_eq!(page.status, 400, "{why}");
        assert_eq!(page.location, None, "{why}");
    }
}

#[tokio::test]
async fn the_whole_server_is_a_resource_too_and_is_the_default() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let base = app.state.config.public_base();
    for resource in [Some(base.as_str()), None] {
        let code = client.code(&[("resource", resource)]).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client.client_id.as_str()),
            ("code_verifier", client.verifier.as_str()),
        ];
        pairs.extend(resource.map(|r| ("resource", r)));
        let (status, body) = client.token(&pairs).await;
        assert_eq!(status, 200, "{resource:?}: {body}");
        let access = body["access_token"].as_str().expect("access");
        assert!(verify(&app, access, "").await.is_ok(), "{resource:?}: a token for the whole server");
        assert_eq!(
            verify(&app, access, "/mcp/all").await,
            Err(TokenError::WrongAudience),
            "the gate retries with the server URL"
        );
    }
}

#[tokio::test]
async fn the_page_is_locked_down_and_expires() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let response = client
        .http
        .get(format!(
            "{}?{}",
            app.url("/oauth/authorize"),
            form(&[
                ("response_type", "code"),
                ("client_id", &client.client_id),
                ("code_challenge", &challenge_of(&client.verifier)),
                ("code_challenge_method", "S256"),
            ])
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9"), "the redirect after the form: {csp}");
    assert!(!csp.contains("script-src"), "no scripts: {csp}");
    assert_eq!(headers["cache-control"], "no-store");
    let cookie = headers["set-cookie"].to_str().expect("ascii");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/oauth"),
        "{cookie}"
    );

    let page = client.open(&[], None).await;
    app.clock.advance(Duration::seconds(600));
    let late = client.submit(&page, DEMO_EMAIL, DEMO_PASSWORD, "allow", page.cookie.as_deref()).await;
    assert_eq!(late.status, 400, "the page expired after OAUTH_SIGNIN_PAGE_TTL_SECS");
    assert!(late.html.contains("expired"));
}

#[tokio::test]
async fn registration_has_the_sign_in_rate_limit() {
    let mut config = test_config();
    config.signin_rate_limit_burst = 2;
    let app = spawn_app_with(config).await;
    let body = json!({"redirect_uris": [REDIRECT]});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = app.client.post(app.url("/oauth/register")).json(&body).send().await.expect("sent");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..2], [201, 201]);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

/// A tools/call with a bearer token on `/mcp/all`: the HTTP status and the JSON-RPC answer.
async fn mcp_call(app: &TestApp, token: &str, tool: &str, arguments: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/mcp/all"))
        .header("Accept", "application/json, text/event-stream")
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, json!({"body": body, "challenge": challenge}))
}

/// The resource server with the built-in authorization server's tokens (the default verifier):
/// a linked client shops and checks out without a sessionId, a scope it was not granted is
/// `insufficient_scope`, and a revoked token is a 401 `invalid_token` on the MCP endpoint.
#[tokio::test]
async fn built_in_tokens_shop_over_mcp_and_revoked_ones_get_401() {
    let app = spawn_app().await;
    let client = Client::register(&app, "ChatGPT").await;
    let (access, _refresh) = client.link().await; // scopes "cart orders"
    let lamp = app.find_product("desk lamp", 0).await;
    let (status, added) = mcp_call(&app, &access, "add-to-cart", json!({"productId": lamp.id, "quantity": 2})).await;
    assert_eq!(status, 200);
    assert_eq!(added["body"]["result"]["structuredContent"]["cart"]["itemCount"], 2, "{added:#}");
    assert!(added["body"]["result"]["structuredContent"].get("sessionId").is_none());
    let (_, order) = mcp_call(&app, &access, "checkout", json!({"idempotencyKey": "builtin-1"})).await;
    assert_eq!(order["body"]["result"]["structuredContent"]["order"]["email"], DEMO_EMAIL, "{order:#}");

    let (_, membership) = mcp_call(&app, &access, "circle-signup", json!({})).await;
    assert_eq!(membership["body"]["result"]["isError"], true, "membership was not granted");
    let challenge = membership["body"]["result"]["_meta"]["mcp/www_authenticate"][0].as_str().unwrap_or_default();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("scope=\"membership\""), "{challenge}");

    let (status, _) =
        post_form(&app, &client.http, "/oauth/revoke", &[("token", &access), ("client_id", &client.client_id)]).await;
    assert_eq!(status, 200);
    let (status, refused) = mcp_call(&app, &access, "get-cart", json!({})).await;
    assert_eq!(status, 401);
    let challenge = refused["challenge"].as_str().unwrap_or_default();
    assert!(challenge.contains("error=\"invalid_token\"") && challenge.contains("resource_metadata="), "{challenge}");
}

/// RFC 6749 §6 on refresh: a `scope` that is a subset of the grant's gets an access token with
/// exactly that scope; the rotated refresh token keeps the grant's scope (the next refresh
/// without `scope` gets all of it back); a scope outside the grant is `invalid_scope`.
async fn refresh_narrows_the_scope(app: &TestApp) {
    let client = Client::register(app, "ChatGPT").await;
    let (_, refresh) = client.link().await; // scopes "cart orders"
    let (status, body) = client
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client.client_id),
            ("scope", "cart"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "cart", "the answer names the narrower scope");
    let narrow = body["access_token"].as_str().expect("access").to_owned();
    let refresh2 = body["refresh_token"].as_str().expect("refresh").to_owned();
    let resource = app.state.config.public_base() + "/mcp/all";
    let claims = BuiltinTokens::new(app.state.store.clone(), app.state.accounts.clone())
        .verify(&narrow, &resource, app.clock.now())
        .await
        .expect("the narrow token verifies");
    assert_eq!(claims.scopes, [Scope::Cart].into_iter().collect(), "the token carries only the asked scope");
    let (_, order) = mcp_call(app, &narrow, "checkout", json!({"idempotencyKey": "narrow-1"})).await;
    let challenge = order["body"]["result"]["_meta"]["mcp/www_authenticate"][0].as_str().unwrap_or_default();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("scope=\"cart orders\""), "{order:#}");
    assert!(
        order["body"]["result"]["content"][0]["text"].as_str().is_some_and(|t| t.contains("(orders)")),
        "{order:#}"
    );

    let (status, body) = client
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
            ("client_id", &client.client_id),
            ("scope", "cart membership"),
        ])
        .await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "membership was never granted: {body}");

    let (status, body) = client.refresh(&refresh2).await;
    assert_eq!(status, 200, "a refused scope does not burn the refresh token: {body}");
    assert_eq!(body["scope"], "cart orders", "the rotated refresh token kept the grant's scope");
    let full = body["access_token"].as_str().expect("access");
    let claims = BuiltinTokens::new(app.state.store.clone(), app.state.accounts.clone())
        .verify(full, &resource, app.clock.now())
        .await
        .expect("verifies");
    assert_eq!(claims.scopes, [Scope::Cart, Scope::Orders].into_iter().collect());
}

#[tokio::test]
async fn refresh_narrows_the_scope_in_memory() {
    refresh_narrows_the_scope(&spawn_app().await).await;
}

#[tokio::test]
async fn refresh_narrows_the_scope_on_redis() {
    let redis = RedisTestServer::start().await;
    refresh_narrows_the_scope(&spawn_app_with(redis_config(&redis)).await).await;
}

/// An accounts file with one account that is not the demo shopper; its path.
fn accounts_without_the_demo_shopper() -> std::path::PathBuf {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let hash = argon2::Argon2::default()
        .hash_password(b"someone-else-pass", &SaltString::generate(&mut OsRng))
        .expect("hashes")
        .to_string();
    let accounts = json!([{"email": "someone@example.com", "name": "Someone Else", "passwordHash": hash}]);
    let path =
        std::env::temp_dir().join(format!("oauth-accounts-{}-{}.json", std::process::id(), rand::random::<u64>()));
    std::fs::write(&path, accounts.to_string()).expect("accounts file written");
    path
}

/// A grant outlives nothing: B shares A's Redis (and A's public URL, so the audience matches)
/// but its accounts file no longer has the demo shopper. B refuses the shopper's access token
/// (401 invalid_token) and their refresh token (invalid_grant), and the refusal revokes the grant.
#[tokio::test]
async fn a_grant_of_an_account_removed_from_the_accounts_file_is_refused_and_revoked() {
    let redis = RedisTestServer::start().await;
    let a = spawn_app_with(redis_config(&redis)).await;
    let mut config = redis_config(&redis);
    config.public_base_url = Some(a.state.config.public_base().parse().expect("url"));
    let accounts = accounts_without_the_demo_shopper();
    config.accounts_file = Some(accounts.clone());
    let b = spawn_app_with(config).await;
    let _ = std::fs::remove_file(accounts);

    let on_a = Client::register(&a, "ChatGPT").await;
    let (access, refresh) = on_a.link().await;
    assert_eq!(mcp_call(&a, &access, "get-cart", json!({})).await.0, 200, "A still knows the shopper");
    let (status, refused) = mcp_call(&b, &access, "get-cart", json!({})).await;
    assert_eq!(status, 401, "B has no such account: {refused:#}");
    assert!(refused["challenge"].as_str().unwrap_or_default().contains("error=\"invalid_token\""), "{refused:#}");

    let on_b = Client::with_id(&b, &on_a.client_id);
    let (status, body) = on_b.refresh(&refresh).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "{body}");
    assert_eq!(verify(&a, &access, "/mcp/all").await, Err(TokenError::Unknown), "the refusal revoked the grant");
    assert_eq!(error_of(&on_a.refresh(&refresh).await.1), "invalid_grant", "on every instance");
}

/// The same on the memory store, at the verifier: a token whose account is not in the accounts
/// the verifier was given is `UnknownAccount`.
#[tokio::test]
async fn the_built_in_verifier_refuses_a_token_of_an_unknown_account_in_memory() {
    let app = spawn_app().await;
    let (access, _) = Client::register(&app, "ChatGPT").await.link().await;
    let path = accounts_without_the_demo_shopper();
    let other = server::identity::accounts::Accounts::load(Some(&path)).expect("accounts load");
    let _ = std::fs::remove_file(path);
    let resource = app.state.config.public_base() + "/mcp/all";
    let refused = BuiltinTokens::new(app.state.store.clone(), other).verify(&access, &resource, app.clock.now()).await;
    assert_eq!(refused.map(|c| c.account.clone()), Err(TokenError::UnknownAccount));
    assert!(verify(&app, &access, "/mcp/all").await.is_ok(), "with the demo shopper's accounts it is good");
}

/// RFC 7591 clients expire after OAUTH_CLIENT_IDLE_DAYS (30) without use; authorize and token
/// requests renew them; the predefined client never expires.
async fn registered_clients_expire_unless_used(app: &TestApp) {
    let idle = Client::register(app, "Idle").await;
    let used = Client::register(app, "Used").await;
    let (_, mut refresh) = used.link().await;
    for _ in 0..3 {
        app.clock.advance(Duration::days(20));
        let (status, body) = used.refresh(&refresh).await;
        assert_eq!(status, 200, "a client in use stays registered: {body}");
        refresh = body["refresh_token"].as_str().expect("refresh").to_owned();
        assert_eq!(used.open(&[], None).await.status, 200);
    }
    let page = idle.open(&[], None).await;
    assert_eq!(page.status, 400, "unused for 60 days: {}", page.html);
    let (status, body) = idle.refresh("rt_whatever").await;
    assert_eq!((status, error_of(&body)), (401, "invalid_client"), "{body}");
}

#[tokio::test]
async fn registered_clients_expire_unless_used_in_memory() {
    registered_clients_expire_unless_used(&spawn_app().await).await;
}

#[tokio::test]
async fn registered_clients_expire_unless_used_on_redis() {
    let redis = RedisTestServer::start().await;
    registered_clients_expire_unless_used(&spawn_app_with(redis_config(&redis)).await).await;
}

#[tokio::test]
async fn the_predefined_client_never_expires() {
    let mut config = test_config();
    config.oauth_server.client_id = Some("chatgpt-app".into());
    config.oauth_server.client_redirect_uris = vec![REDIRECT.into()];
    let app = spawn_app_with(config).await;
    app.clock.advance(Duration::days(400));
    let client = Client::with_id(&app, "chatgpt-app");
    assert_eq!(client.open(&[], None).await.status, 200);
}
