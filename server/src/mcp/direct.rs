//! The direct path for the commonest request: one stateless `tools/call` from a client before
//! protocol 2026-07-28 (ChatGPT's case today).
//!
//! rmcp serves every stateless request by starting a service for it (three tasks, channels and
//! a cancellation tree) and writes results through `serde_json::Value`; for a search that was
//! about 60% of the server's CPU. Here a call that rmcp would answer with a plain `200` JSON
//! result goes straight to the typed tool method and its reply is written straight to JSON
//! ([`Reply::to_response_json`]). Everything else — another method, a batch, a notification,
//! per-request protocol negotiation, SEP-2243 headers, an unknown tool, arguments that do not
//! parse, a header rmcp would refuse — returns `None` and goes to rmcp, which also writes every
//! error answer. A test sends the same calls both ways and compares the answers
//! (`server/tests/api/direct_path.rs`); `MCP_DIRECT_TOOL_CALLS=false` turns this path off.

use std::borrow::Cow;
use std::future::Future;
use std::time::Instant;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ProtocolVersion, RequestId, RequestMetaObject, ServerJsonRpcMessage, ServerResult};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use shared::tool::ToolName;

use super::handler::{CallOutcome, TargetMcp};
use super::product_json::ProductJson;
use super::reply::ToolOutcome;
use crate::http::request_log::ToolNote;
use crate::identity::sessions::log_prefix;

const JSON: &str = "application/json";

/// Answers `body` if it is a `tools/call` this path serves; `None` hands it to rmcp.
pub async fn answer(handler: &TargetMcp, parts: &Parts, body: &[u8], allowed_hosts: &[String]) -> Option<Response> {
    if !headers_qualify(&parts.method, &parts.headers, allowed_hosts) {
        return None;
    }
    let message: ToolCallMessage<'_> = serde_json::from_slice(body).ok()?;
    if message.jsonrpc != "2.0" || message.method != "tools/call" {
        return None;
    }
    let params = message.params;
    let negotiates = params.meta.as_ref().is_some_and(|m| m.protocol_version().is_some());
    if negotiates || params.input_responses.is_some() || params.request_state.is_some() {
        return None;
    }
    if !handler.offers(&params.name) {
        return None;
    }
    let tool: ToolName = params.name.parse().ok()?;
    let arguments = match params.arguments.map(RawValue::get) {
        None | Some("null") => "{}",
        Some(raw) if raw.trim_start().starts_with('{') => raw,
        Some(_) => return None,
    };
    let started = Instant::now();
    let (body, outcome) = call(handler, tool, arguments, &message.id).await?;
    let note = parts.extensions.get::<ToolNote>();
    handler.log_call(tool.as_str(), &session_for_log(arguments), started, outcome, note);
    // Room for the headers the outer layers add (CORS, security headers), so the map is
    // allocated once rather than grown twice.
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    *headers = HeaderMap::with_capacity(RESPONSE_HEADERS);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    Some(response)
}

/// How many headers a direct-path answer ends up with, about.
const RESPONSE_HEADERS: usize = 12;

/// The one place a tool name meets its typed method on this path (rmcp's `#[tool_router]` is
/// the other). The match is exhaustive, so a new tool cannot be forgotten here, and the
/// direct-path test compares both paths' answers for every tool.
async fn call(handler: &TargetMcp, tool: ToolName, arguments: &str, id: &RequestId) -> Option<(Vec<u8>, CallOutcome)> {
    use ToolName::*;
    let h = handler;
    let json = &handler.state.product_json;
    match tool {
        CreateTargetSession => run(arguments, id, json, |p| h.create_target_session(p)).await,
        AuthenticateTarget => run(arguments, id, json, |p| h.authenticate_target(p)).await,
        GetTargetAuthStatus => run(arguments, id, json, |p| h.get_target_auth_status(p)).await,
        SearchTargetProducts => run(arguments, id, json, |p| h.search_target_products(p)).await,
        GetAgentforceRecommendations => run(arguments, id, json, |p| h.get_agentforce_recommendations(p)).await,
        AddToCart => run(arguments, id, json, |p| h.add_to_cart(p)).await,
        GetCart => run(arguments, id, json, |p| h.get_cart(p)).await,
        UpdateCartItem => run(arguments, id, json, |p| h.update_cart_item(p)).await,
        Checkout => run(arguments, id, json, |p| h.checkout(p)).await,
        CheckCircleMembership => run(arguments, id, json, |p| h.check_circle_membership(p)).await,
        CircleSignup => run(arguments, id, json, |p| h.circle_signup(p)).await,
    }
}

/// Parses the arguments into the tool's input (`None` if they do not parse: rmcp then answers
/// with its error naming the field), runs the tool and writes the JSON-RPC answer. Once the tool
/// has run the answer is always `Some`, so rmcp never runs it a second time.
async fn run<I, O, F, Fut>(
    arguments: &str,
    id: &RequestId,
    products: &ProductJson,
    tool: F,
) -> Option<(Vec<u8>, CallOutcome)>
where
    I: DeserializeOwned,
    O: serde::Serialize,
    F: FnOnce(Parameters<I>) -> Fut,
    Fut: Future<Output = ToolOutcome<O>>,
{
    let input: I = serde_json::from_str(arguments).ok()?;
    let (message, outcome) = match tool(Parameters(input)).await {
        Ok(reply) => match reply.to_response_json(id, products) {
            Ok(body) => return Some((body, CallOutcome::Ok)),
            Err(e) => {
                tracing::error!(error = %e, "tool output does not serialize");
                let error = rmcp::ErrorData::internal_error("internal error", None);
                let code = error.code.0;
                (ServerJsonRpcMessage::error(error, Some(id.clone())), CallOutcome::RpcError(code))
            }
        },
        Err(app_error) => match app_error.into_tool_result() {
            Ok(result) => {
                let mut result = ServerResult::CallToolResult(result);
                result.strip_result_type_for_legacy_peer();
                (ServerJsonRpcMessage::response(result, id.clone()), CallOutcome::ToolError)
            }
            Err(error) => {
                let code = error.code.0;
                (ServerJsonRpcMessage::error(error, Some(id.clone())), CallOutcome::RpcError(code))
            }
        },
    };
    let body = serde_json::to_vec(&message).unwrap_or_else(|e| {
        tracing::error!(error = %e, "JSON-RPC answer does not serialize");
        INTERNAL_ERROR.to_vec()
    });
    Some((body, outcome))
}

/// The answer when even an error answer cannot be written.
const INTERNAL_ERROR: &[u8] = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#;

/// The headers of a request rmcp would accept and serve statelessly with a JSON answer: a POST
/// of JSON that accepts JSON and event streams, no session, an allowed Host, and no protocol
/// version header or one from before 2026-07-28 (which brings SEP-2243 header checks).
fn headers_qualify(method: &Method, headers: &HeaderMap, allowed_hosts: &[String]) -> bool {
    if method != Method::POST || headers.contains_key("mcp-session-id") {
        return false;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(JSON) {
        return false;
    }
    let (mut json, mut sse) = (false, false);
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { return false };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let essence = parts.next().unwrap_or("").trim();
            if parts.any(|p| p.trim().starts_with("q=")) {
                return false; // weights: leave the negotiation to rmcp
            }
            json |= essence.eq_ignore_ascii_case(JSON);
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    if !(json && sse) {
        return false;
    }
    if let Some(version) = headers.get("mcp-protocol-version") {
        let Ok(version) = version.to_str() else { return false };
        let known = ProtocolVersion::KNOWN_VERSIONS.iter().any(|v| v.as_str() == version);
        if !known || version >= ProtocolVersion::STANDARD_HEADERS.as_str() {
            return false;
        }
    }
    host_allowed(headers, allowed_hosts)
}

/// A Host header naming an allowed host exactly (any port); anything subtler goes to rmcp.
fn host_allowed(headers: &HeaderMap, allowed_hosts: &[String]) -> bool {
    let Some(authority) = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<axum::http::uri::Authority>().ok())
    else {
        return false;
    };
    let host = authority.host();
    allowed_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
}

/// The session id argument, shortened for the log line (as the rmcp path logs it).
fn session_for_log(arguments: &str) -> String {
    #[derive(Deserialize)]
    struct SessionArgument<'a> {
        #[serde(rename = "sessionId", borrow, default)]
        session_id: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<SessionArgument<'_>>(arguments)
        .ok()
        .and_then(|a| a.session_id)
        .map(|s| crate::telemetry::loggable(log_prefix(&s), 13).into_owned())
        .unwrap_or_default()
}

/// The parts of a JSON-RPC `tools/call` this path reads; anything that does not fit this shape
/// is not parsed further here.
#[derive(Deserialize)]
struct ToolCallMessage<'a> {
    #[serde(borrow)]
    jsonrpc: Cow<'a, str>,
    id: RequestId,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    params: ToolCallParams<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolCallParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(rename = "_meta", default)]
    meta: Option<RequestMetaObject>,
    #[serde(borrow, default)]
    input_responses: Option<&'a RawValue>,
    #[serde(borrow, default)]
    request_state: Option<&'a RawValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    const BASE: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("host", "127.0.0.1:8000"),
    ];

    fn qualifies(extra: &[(&'static str, &'static str)], drop: &str) -> bool {
        let mut pairs: Vec<_> = BASE.iter().copied().filter(|(n, _)| *n != drop).collect();
        pairs.extend_from_slice(extra);
        headers_qualify(&Method::POST, &headers(&pairs), &["127.0.0.1".into(), "localhost".into()])
    }

    #[test]
    fn a_plain_stateless_post_qualifies() {
        assert!(qualifies(&[], ""));
        assert!(qualifies(&[("mcp-protocol-version", "2025-06-18")], ""));
        assert!(qualifies(&[("content-type", "Application/JSON; charset=utf-8")], "content-type"));
    }

    #[test]
    fn anything_rmcp_checks_further_goes_to_rmcp() {
        assert!(!qualifies(&[("mcp-protocol-version", "2026-07-28")], ""), "SEP-2243 headers era");
        assert!(!qualifies(&[("mcp-protocol-version", "1999-01-01")], ""), "unknown version: rmcp's 400");
        assert!(!qualifies(&[("mcp-session-id", "abc")], ""));
        assert!(!qualifies(&[("accept", "application/json")], "accept"), "rmcp's 406");
        assert!(!qualifies(&[("accept", "application/json, text/event-stream;q=0")], "accept"));
        assert!(!qualifies(&[("content-type", "text/plain")], "content-type"), "rmcp's 415");
        assert!(!qualifies(&[("host", "evil.example")], "host"), "rmcp's 403");
        assert!(!qualifies(&[], "host"));
        assert!(!headers_qualify(&Method::GET, &headers(BASE), &["127.0.0.1".into()]));
    }

    #[test]
    fn only_tool_calls_of_the_right_shape_parse() {
        let call = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get-cart","arguments":{"sessionId":"x"},"_meta":{"openai/locale":"en-US"}}}"#;
        let message: ToolCallMessage<'_> = serde_json::from_slice(call).expect("parses");
        assert_eq!(message.params.name, "get-cart");
        assert!(message.params.meta.expect("meta").protocol_version().is_none());
        let batch = br#"[{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get-cart"}}]"#;
        assert!(serde_json::from_slice::<ToolCallMessage<'_>>(batch).is_err());
        let notification = br#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"get-cart"}}"#;
        assert!(serde_json::from_slice::<ToolCallMessage<'_>>(notification).is_err());
    }

    async fn handler() -> TargetMcp {
        let config = crate::config::Config {
            port: 0,
            redis_url: None,
            unwrangle_api_key: None,
            ..crate::config::Config::defaults()
        };
        let app = crate::app::Application::build(config).await.expect("the app builds");
        super::super::handler::McpServices::new(app.state().clone()).handler(super::super::connector::Connector::All)
    }

    async fn answered(handler: &TargetMcp, body: &str) -> Option<serde_json::Value> {
        let (parts, ()) = axum::http::Request::post("/mcp/all")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("host", "localhost:8000")
            .body(())
            .expect("request")
            .into_parts();
        let response = answer(handler, &parts, body.as_bytes(), &["localhost".into()]).await?;
        assert_eq!(response.status(), 200);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Some(serde_json::from_slice(&bytes).expect("JSON"))
    }

    #[tokio::test]
    async fn serves_tool_calls_and_hands_everything_else_to_rmcp() {
        let h = handler().await;
        let search = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search-target-products","arguments":{"query":"desk lamp"}}}"#;
        let answer = answered(&h, search).await.expect("served directly");
        assert_eq!(answer["id"], 3);
        assert!(answer["result"]["structuredContent"]["total"].as_u64().unwrap_or(0) > 0, "{answer}");
        assert!(answer["result"].get("resultType").is_none(), "older peers get no resultType");
        let unknown_session = r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get-cart","arguments":{"sessionId":"sess_0123456789abcdef0123456789abcdef"}}}"#;
        let answer = answered(&h, unknown_session).await.expect("served directly");
        assert_eq!(answer["result"]["isError"], true, "{answer}");
        for delegated in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no-such-tool"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-cart","arguments":{"sessionId":5}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-cart","arguments":["x"]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create-target-session","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create-target-session"}}]"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"create-target-session"}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"create-target-session"}}"#,
            "not json",
        ] {
            assert!(answered(&h, delegated).await.is_none(), "served directly: {delegated}");
        }
    }

    #[test]
    fn the_log_names_the_session_prefix_only() {
        let logged = session_for_log(r#"{"sessionId":"sess_0123456789abcdef0123456789abcdef"}"#);
        assert!(!logged.is_empty() && logged.len() < 20, "{logged}");
        assert_eq!(session_for_log("{}"), "");
    }
}
