//! `GET /`: a small page for a person who opens the server's address in a browser. It names the
//! connector URLs (built from `PUBLIC_BASE_URL`, so it shows what to paste into ChatGPT) and the
//! tools each one lists.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::mcp::connector::{Connector, Visibility};
use crate::state::AppState;

pub async fn home(State(state): State<AppState>) -> Response {
    let html = page(&state.config.public_base());
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], html).into_response()
}

/// The page for a server reached at `base` (no trailing slash).
pub fn page(base: &str) -> String {
    let mut rows = String::new();
    for connector in Connector::ALL {
        let tools: Vec<&str> =
            connector.tools().into_iter().filter(|(_, v)| *v == Visibility::Model).map(|(t, _)| t.as_str()).collect();
        let tools = if connector == Connector::All { "every tool (add this one)".to_owned() } else { tools.join(", ") };
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>\n",
            escape(&format!("{base}{}", connector.path())),
            escape(&tools)
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Target MCP server</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}\
         td{{padding:.3rem .8rem .3rem 0;vertical-align:top}}</style></head><body>\n\
         <h1>Target MCP server</h1>\n\
         <p>This is an MCP server for ChatGPT and other MCP Apps hosts. In ChatGPT (developer mode), \
         create a connector with the URL <code>{all}</code>.</p>\n\
         <table><tr><th align=\"left\">connector URL</th><th align=\"left\">tools</th></tr>\n{rows}</table>\n\
         <p>Each speaks Streamable HTTP (POST) and the legacy HTTP+SSE transport (GET). \
         Health: <a href=\"/healthz\">/healthz</a>, readiness: <a href=\"/readyz\">/readyz</a>.</p>\n\
         </body></html>\n",
        all = escape(&format!("{base}{}", Connector::All.path())),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_connector_url_under_the_public_base() {
        let html = page("https://shop.example.com");
        for path in ["/mcp/all", "/mcp", "/mcp2", "/mcp3", "/mcp4"] {
            assert!(html.contains(&format!("<code>https://shop.example.com{path}</code>")), "{path} missing:\n{html}");
        }
        assert!(html.contains("search-target-products"));
    }

    #[test]
    fn markup_in_the_base_url_is_escaped() {
        let html = page("https://x<script>");
        assert!(!html.contains("<script>"), "{html}");
    }
}
