//! Direct calls from the widgets to the server's REST API (sign-in and sign-out), typed with the
//! `shared` request and response bodies. Credentials go straight to the server, never through the
//! model. The server's base URL is the page's `data-api-base` attribute (set by the server when
//! it serves the template), falling back to the page's own origin.

use shared::api::{ApiError, AuthenticateRequest, AuthenticateResponse, SignoutRequest, SignoutResponse};
use shared::calls::{Authenticate, Endpoint, Signout};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a REST call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// The server answered with its error body.
    Server { status: u16, error: ApiError },
    /// No answer (network, CORS, CSP).
    Network(String),
}

impl ApiFailure {
    /// A sentence for the shopper.
    pub fn message(&self) -> String {
        match self {
            ApiFailure::Server { error, .. } => error.message.clone(),
            ApiFailure::Network(_) => "Could not reach Target. Check your connection and try again.".into(),
        }
    }
}

/// The server's base URL, without a trailing slash.
pub fn api_base() -> String {
    let document = web_sys::window().and_then(|w| w.document());
    let from_page = document
        .as_ref()
        .and_then(|d| d.get_element_by_id("root"))
        .and_then(|r| r.get_attribute("data-api-base"))
        .filter(|b| !b.is_empty());
    from_page
        .or_else(|| web_sys::window().and_then(|w| w.location().origin().ok()))
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

async fn post<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
    path: &str,
    body: &Req,
) -> Result<Resp, ApiFailure> {
    let network = |e: wasm_bindgen::JsValue| ApiFailure::Network(format!("{e:?}"));
    let window = web_sys::window().ok_or_else(|| ApiFailure::Network("no window".into()))?;
    let json = serde_json::to_string(body).map_err(|e| ApiFailure::Network(e.to_string()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_body(&wasm_bindgen::JsValue::from_str(&json));
    let headers = web_sys::Headers::new().map_err(network)?;
    headers.set("content-type", "application/json").map_err(network)?;
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&format!("{}{path}", api_base()), &init).map_err(network)?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&request)).await.map_err(network)?.unchecked_into();
    let text = JsFuture::from(response.text().map_err(network)?).await.map_err(network)?;
    let text = text.as_string().unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|e| ApiFailure::Network(format!("unexpected answer: {e}")))
    } else {
        let error = serde_json::from_str::<ApiError>(&text)
            .map_err(|_| ApiFailure::Network(format!("HTTP {}", response.status())))?;
        Err(ApiFailure::Server { status: response.status(), error })
    }
}

/// POSTs `E`'s request body to `E`'s path and reads `E`'s response: the compiler pairs the three.
pub async fn call<E: Endpoint>(request: &E::Request) -> Result<E::Response, ApiFailure> {
    post(E::PATH, request).await
}

pub async fn authenticate(request: &AuthenticateRequest) -> Result<AuthenticateResponse, ApiFailure> {
    call::<Authenticate>(request).await
}

pub async fn sign_out(request: &SignoutRequest) -> Result<SignoutResponse, ApiFailure> {
    call::<Signout>(request).await
}
