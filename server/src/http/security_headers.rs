//! Security headers on every response (tower-http `SetResponseHeaderLayer`):
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere;
//! - `Strict-Transport-Security` only when `PUBLIC_BASE_URL` is https (over plain http it would
//!   be ignored at best, and would pin a local hostname to https at worst);
//! - a CSP of `default-src 'none'; frame-ancestors 'none'` on responses that set none (JSON,
//!   MCP, errors: nothing there may run, load or be framed);
//! - on the directly served widget pages (`/widgets/<id>.html`) the CSP the widgets need: the
//!   page's own inline scripts by their SHA-256 hashes (no `'unsafe-inline'` for scripts, so an
//!   injected script does not run), inline styles (templates are self-contained),
//!   `'wasm-unsafe-eval'` for the WASM,
//!   images from the declared resource domains, `connect-src` only to ourselves and the declared
//!   API base, no forms or `<base>`, and `frame-ancestors` the same origins the Origin allow-list
//!   admits — ChatGPT renders templates from `resources/read`, not from these URLs, but dev
//!   hosts (trunk on localhost, the end2end host on another localhost port) frame them.

use axum::http::{HeaderName, HeaderValue, header};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower::util::Either;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;
use crate::origin::allowed_origin_entries;
use crate::widgets::WidgetCsp;

/// `max-age` of `Strict-Transport-Security`: one year.
const HSTS: &str = "max-age=31536000; includeSubDomains";
/// The CSP of everything that is not a page.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// The CSP of product images (SVG may carry inline styles, never scripts).
pub const IMAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

type Set = SetResponseHeaderLayer<HeaderValue>;

/// The layers of the headers every response gets, for a `ServiceBuilder` around the whole router
/// (see `app::router`).
pub type Layers = ServiceBuilder<Stack<Set, Stack<Set, Stack<Set, Stack<Either<Set, Identity>, Identity>>>>>;

/// The headers every response gets: HSTS (https only), `nosniff`, `no-referrer`, and the default
/// CSP where a route set none.
pub fn layers(config: &Config) -> Layers {
    let hsts = config
        .is_https()
        .then(|| SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS)));
    ServiceBuilder::new()
        .option_layer(hsts)
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
}

/// Sets `name: value` on the responses of one route, replacing what an outer default would add.
pub fn route_header(name: HeaderName, value: HeaderValue) -> Set {
    SetResponseHeaderLayer::overriding(name, value)
}

/// The CSP of a directly served widget page whose inline scripts have `script_hashes`.
pub fn widget_page_csp(config: &Config, csp: &WidgetCsp, script_hashes: &[String]) -> HeaderValue {
    let sources = |domains: &[String]| domains.join(" ");
    let ancestors: Vec<String> = allowed_origin_entries(config)
        .into_iter()
        .filter(|origin| origin != "null")
        .map(|origin| if origin == "*" { "*".to_owned() } else { origin })
        .collect();
    let policy = format!(
        "default-src 'none'; script-src {scripts} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; \
         img-src 'self' data: blob: {resources}; font-src 'self' data: {resources}; \
         connect-src 'self' {connect}; form-action 'none'; base-uri 'none'; object-src 'none'; \
         frame-ancestors 'self' {ancestors}",
        scripts = script_hashes.join(" "),
        resources = sources(&csp.resource_domains),
        connect = sources(&csp.connect_domains),
        ancestors = ancestors.join(" "),
    );
    // Origins come from a parsed URL and the allow-list; a byte a header cannot carry would be a
    // configuration error, and the strictest policy is the safe answer to it.
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        tracing::warn!("the widget page CSP is not a valid header value; serving a locked-down one");
        HeaderValue::from_static(API_CSP)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_page_csp_allows_what_the_widgets_need_and_no_more() {
        let mut config = Config::defaults();
        config.allowed_origins = vec!["null".into(), "https://dev.example.com".into()];
        let csp = WidgetCsp::new("https://shop.example.com", true);
        let value = widget_page_csp(&config, &csp, &["'sha256-abc='".to_owned()]);
        let policy = value.to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'; script-src 'sha256-abc=' 'wasm-unsafe-eval';"), "{policy}");
        assert!(policy.contains("connect-src 'self' https://shop.example.com;"), "{policy}");
        assert!(policy.contains("img-src 'self' data: blob: https://shop.example.com https://target.scene7.com"));
        let ancestors = policy.split("frame-ancestors").nth(1).unwrap();
        for allowed in ["'self'", "https://chatgpt.com", "https://*.oaiusercontent.com", "http://localhost:*"] {
            assert!(ancestors.contains(allowed), "{allowed} in {ancestors}");
        }
        assert!(ancestors.contains("https://dev.example.com"));
        assert!(!ancestors.contains("null"));
        assert_eq!(
            directive(policy, "script-src"),
            Some(vec!["'sha256-abc='", "'wasm-unsafe-eval'"]),
            "scripts: the page's own by hash and WASM compilation only, never 'unsafe-inline', 'unsafe-eval' \
             nor a host: {policy}"
        );
        assert_eq!(directive(policy, "default-src"), Some(vec!["'none'"]));
        assert_eq!(directive(policy, "object-src"), Some(vec!["'none'"]));
        assert_eq!(directive(policy, "form-action"), Some(vec!["'none'"]));
        assert_eq!(directive(policy, "base-uri"), Some(vec!["'none'"]));
        assert_eq!(directive(policy, "connect-src"), Some(vec!["'self'", "https://shop.example.com"]));
        for (name, sources) in policy.split(';').filter_map(|d| d.split_whitespace().next().map(|n| (n, d))) {
            assert!(!sources.split_whitespace().skip(1).any(|s| s == "*"), "no wildcard source by default in {name}");
        }
    }

    /// The source tokens of directive `name` in `policy`, or `None` when it has no such directive.
    fn directive<'a>(policy: &'a str, name: &str) -> Option<Vec<&'a str>> {
        policy
            .split(';')
            .map(str::split_whitespace)
            .find_map(|mut tokens| (tokens.next() == Some(name)).then(|| tokens.collect()))
    }
}
