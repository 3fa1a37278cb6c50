//! The direct path for stateless tool calls (`mcp/direct.rs`) answers exactly as rmcp does: the
//! same shopping session is played on a server with it on and one with it off, and every raw
//! answer (status, content type, JSON body) is compared, ids aside.

use serde_json::{Value, json};
use server::config::Config;

use crate::helpers::{TestApp, spawn_app_with, test_config};

/// A named request: its extra headers and its body (`{session}` stands for the side's session).
type Step<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);

struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

async fn post(app: &TestApp, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut request = app
        .client
        .post(app.url("/mcp/all"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body.to_owned()).send().await.expect("request sent");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap_or("?").to_owned());
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, content_type: content_type.unwrap_or_default(), body }
}

fn call(id: u64, tool: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        .to_string()
}

/// Replaces what differs between the two apps: the session id, the port in links, order numbers.
fn normalized(body: &Value, side: &Side) -> Value {
    let port = side.app.base.rsplit(':').next().expect("a port");
    let text = without_session_ids(&body.to_string()).replace(&format!(":{port}/"), ":<port>/");
    let mut value: Value = serde_json::from_str(&text).expect("still JSON");
    fn scrub(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "orderId" || key == "orderNumber" {
                        *value = json!("<order>");
                    } else {
                        scrub(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(scrub),
            Value::String(s) if s.contains("order") || s.contains("Order") => {
                // Sentences name the order number ("Order 1234-5678 placed"): keep the words only.
                *s = s
                    .split_whitespace()
                    .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            _ => {}
        }
    }
    scrub(&mut value);
    value
}

/// Every session id (`sess_` and 32 hex digits, made by either app) as `<session>`.
fn without_session_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(shared::ids::SESSION_PREFIX) {
        out.push_str(&rest[..at]);
        let after = &rest[at + shared::ids::SESSION_PREFIX.len()..];
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex == shared::ids::SESSION_HEX_DIGITS {
            out.push_str("<session>");
            rest = &after[hex..];
        } else {
            out.push_str(shared::ids::SESSION_PREFIX);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

struct Side {
    app: TestApp,
    session: String,
}

impl Side {
    async fn start(direct: bool) -> Side {
        let app = spawn_app_with(Config { direct_tool_calls: direct, ..test_config() }).await;
        let session = app.new_session().await.to_string();
        Side { app, session }
    }

    /// `body` with `{session}` replaced by this side's session id.
    async fn send(&self, headers: &[(&str, &str)], body: &str) -> Answer {
        post(&self.app, headers, &body.replace("{session}", &self.session)).await
    }
}

#[tokio::test]
async fn direct_answers_equal_rmcp_answers_for_a_whole_shopping_session() {
    let mut direct = Side::start(true).await;
    let mut rmcp = Side::start(false).await;
    let lamp = direct.app.find_product("desk lamp", 1).await.id.to_string();
    let other = direct.app.find_product("towel", 0).await.id.to_string();
    let s = "{session}";
    let steps: Vec<Step> = vec![
        ("search, no session", vec![], call(1, "search-target-products", json!({"query": "desk lamp"}))),
        (
            "search, session, budget, sort",
            vec![("mcp-protocol-version", "2025-06-18")],
            call(
                2,
                "search-target-products",
                json!({"query": "lamp", "sessionId": s, "maxPriceCents": 4000, "sort": "price-low"}),
            ),
        ),
        ("search, nothing found", vec![], call(3, "search-target-products", json!({"query": "zzzzqqq"}))),
        ("recommendations", vec![], call(4, "get-agentforce-recommendations", json!({"sessionId": s}))),
        ("add", vec![], call(5, "add-to-cart", json!({"sessionId": s, "productId": lamp, "quantity": 2}))),
        ("add another", vec![], call(6, "add-to-cart", json!({"sessionId": s, "productId": other}))),
        ("cart", vec![], call(7, "get-cart", json!({"sessionId": s}))),
        ("update", vec![], call(8, "update-cart-item", json!({"sessionId": s, "productId": lamp, "quantity": 1}))),
        ("auth widget", vec![], call(9, "authenticate-target", json!({"sessionId": s}))),
        ("auth status", vec![], call(10, "get-target-auth-status", json!({"sessionId": s}))),
        (
            "checkout signed out",
            vec![],
            call(11, "checkout", json!({"sessionId": s, "idempotencyKey": "order-key-0001"})),
        ),
        ("membership signed out", vec![], call(12, "check-circle-membership", json!({"sessionId": s}))),
        (
            "unknown session",
            vec![],
            call(13, "get-cart", json!({"sessionId": "sess_0123456789abcdef0123456789abcdef"})),
        ),
        ("unknown product", vec![], call(14, "add-to-cart", json!({"sessionId": s, "productId": "99999999"}))),
        ("wrong argument type", vec![], call(15, "add-to-cart", json!({"sessionId": s, "productId": 5}))),
        ("arguments not an object", vec![], call(16, "get-cart", json!([s]))),
        ("unknown tool", vec![], call(17, "no-such-tool", json!({}))),
        ("string id", vec![], call(18, "get-cart", json!({"sessionId": s})).replace("\"id\":18", "\"id\":\"abc\"")),
        ("null arguments", vec![], call(19, "create-target-session", Value::Null)),
        (
            "ChatGPT's _meta",
            vec![],
            json!({"jsonrpc": "2.0", "id": 20, "method": "tools/call", "params": {"name": "get-cart",
                "arguments": {"sessionId": s}, "_meta": {"openai/locale": "en-US", "openai/userAgent": "test"}}})
            .to_string(),
        ),
    ];
    let signed_in: Vec<Step> = vec![
        (
            "checkout signed in",
            vec![],
            call(21, "checkout", json!({"sessionId": s, "idempotencyKey": "order-key-0002"})),
        ),
        (
            "checkout again, same key",
            vec![],
            call(22, "checkout", json!({"sessionId": s, "idempotencyKey": "order-key-0002"})),
        ),
        ("join Circle", vec![], call(23, "circle-signup", json!({"sessionId": s, "tier": "circle-card"}))),
        ("membership", vec![], call(24, "check-circle-membership", json!({"sessionId": s}))),
    ];
    compare(&direct, &rmcp, &steps).await;
    for side in [&mut direct, &mut rmcp] {
        side.session = side.app.sign_in(&side.session.parse().expect("session id")).await.to_string();
    }
    compare(&direct, &rmcp, &signed_in).await;
}

async fn compare(direct: &Side, rmcp: &Side, steps: &[Step<'_>]) {
    for (name, headers, body) in steps {
        let a = direct.send(headers, body).await;
        let b = rmcp.send(headers, body).await;
        assert_eq!((a.status, &a.content_type), (b.status, &b.content_type), "{name}: status and content type");
        assert_eq!(
            normalized(&a.body, direct),
            normalized(&b.body, rmcp),
            "{name}: the direct answer differs from rmcp's"
        );
    }
}
