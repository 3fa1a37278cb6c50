//! Mounting each connector on both transports:
//! - Streamable HTTP (rmcp): `POST <path>`, stateless (no `Mcp-Session-Id` required), JSON
//!   responses; Host headers checked against the configured allow-list.
//! - Legacy HTTP+SSE (ours): `GET <path>` with `Accept: text/event-stream` opens the stream,
//!   `POST <path>/messages?sessionId=…` carries the requests.
//!
//! A stateless `tools/call` of a client before protocol 2026-07-28 takes the direct path
//! (`direct.rs`) unless `MCP_DIRECT_TOOL_CALLS=false`; rmcp answers everything else.
//!
//! A JSON body that is not a JSON-RPC message gets a JSON-RPC error (`invalid_message.rs`)
//! rather than rmcp's plain-text 415. Every POST is answered within `REQUEST_TIMEOUT_SECS` (408 after); an SSE stream is not a
//! request and stays open. Bodies are limited before they get here (`http/body_limit.rs`), and
//! rmcp checks the same limit again while reading.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{Request, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::connector::Connector;
use super::direct;
use super::handler::{McpServices, TargetMcp};
use super::invalid_message;
use super::security_schemes;
use super::sse::LegacySse;
use crate::config::Config;
use crate::error::AppError;
use crate::http::client_ip::ClientIp;
use crate::http::rate_limit::RequestLimiter;
use crate::identity::bearer::{self, BearerGate, Linked};
use crate::identity::resource::ProtectedResource;

/// The Host headers rmcp accepts: loopback, the public base URL's host, and `ALLOWED_HOSTS`.
pub fn allowed_hosts(config: &Config) -> Vec<String> {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into(), "[::1]".into()];
    if let Some(host) = config.public_base_url().host_str() {
        hosts.push(host.to_owned());
    }
    hosts.extend(config.allowed_hosts.iter().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()));
    hosts.sort();
    hosts.dedup();
    hosts
}

/// What a connector's handlers share; behind an `Arc`, so a request clones one pointer.
struct ConnectorState {
    connector: Connector,
    services: McpServices,
    sse: LegacySse,
    streamable: StreamableHttpService<TargetMcp, NeverSessionManager>,
    /// The allowed Host headers when the direct path (`direct.rs`) is on.
    direct_hosts: Option<Arc<[String]>>,
    timeout: Duration,
}

#[derive(Deserialize)]
struct MessagesQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// The routes of every connector; `accounts` is the per-account rate limit the bearer gate charges.
pub fn routes(
    services: McpServices,
    sse: LegacySse,
    config: &Config,
    accounts: Option<RequestLimiter>,
    shutdown: CancellationToken,
) -> Router {
    let rmcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(allowed_hosts(config))
        .with_max_request_body_bytes(config.mcp_max_body())
        .with_cancellation_token(shutdown);
    let direct_hosts: Option<Arc<[String]>> = config.direct_tool_calls.then(|| allowed_hosts(config).into());
    let mut router = Router::new();
    for connector in Connector::ALL {
        let factory_services = services.clone();
        let streamable = StreamableHttpService::new(
            move || Ok(factory_services.handler(connector)),
            Arc::new(NeverSessionManager::default()),
            rmcp_config.clone(),
        );
        let state = Arc::new(ConnectorState {
            connector,
            services: services.clone(),
            sse: sse.clone(),
            streamable,
            direct_hosts: direct_hosts.clone(),
            timeout: config.request_timeout(),
        });
        let path = connector.path();
        let gate = BearerGate {
            verifier: Arc::clone(&services.state().verifier),
            clock: Arc::clone(&services.state().clock),
            resource: Arc::new(ProtectedResource::connector(&config.public_base(), connector)),
            accounts: accounts.clone(),
        };
        let bearer = from_fn_with_state(gate, bearer::layer);
        router = router
            .route(path, any(endpoint).with_state(state.clone()).layer(bearer.clone()))
            .route(&format!("{path}/messages"), post(sse_message).with_state(state).layer(bearer));
    }
    router
}

fn wants_event_stream(request: &Request<Body>) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

/// `<path>`: a GET asking for an event stream opens a legacy SSE session; everything else is
/// Streamable HTTP.
async fn endpoint(State(state): State<Arc<ConnectorState>>, request: Request<Body>) -> Response {
    let linked = request.extensions().get::<Linked>();
    if request.method() == axum::http::Method::GET && wants_event_stream(&request) {
        let messages = format!("{}/messages", state.connector.path());
        let client_ip = request.extensions().get::<ClientIp>().copied();
        let client = client_ip.map(|c| c.limit_key().ip());
        // The stream's client is the one a POST relayed from another instance is charged to.
        let handler = state.services.handler(state.connector).with_linked(linked).with_client(client_ip);
        return state.sse.open_for(handler, &messages, client);
    }
    let path = request.uri().path().to_owned();
    // The body limit layer has read the body already; keep a cheap handle for error answers.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return AppError::InvalidInput("The request body could not be read.".into()).into_response();
    };
    let declares_json = invalid_message::declares_json(&parts.headers);
    let answer = async {
        if let Some(hosts) = state.direct_hosts.as_deref() {
            let handler = state
                .services
                .handler(state.connector)
                .with_linked(parts.extensions.get::<Linked>())
                .with_client(parts.extensions.get::<ClientIp>().copied());
            if let Some(response) = direct::answer(&handler, &parts, &bytes, hosts).await {
                return response;
            }
        }
        let lists_tools = security_schemes::is_tools_list(&bytes);
        let request = Request::from_parts(parts, Body::from(bytes.clone()));
        let response = state.streamable.handle(request).await;
        if invalid_message::is_refused_json(declares_json, response.status()) {
            return invalid_message::answer(&bytes);
        }
        let response = response.into_response();
        if lists_tools { security_schemes::lift_in_response(response).await } else { response }
    };
    match tokio::time::timeout(state.timeout, answer).await {
        Ok(response) => response,
        Err(_elapsed) => timed_out(&path, state.timeout),
    }
}

/// `<path>/messages?sessionId=…`: a JSON-RPC message for a legacy SSE session. Its request parts
/// ride along, so a bearer token checked on this POST reaches the tools.
async fn sse_message(
    State(state): State<Arc<ConnectorState>>,
    Query(query): Query<MessagesQuery>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return AppError::InvalidInput("The request body could not be read.".into()).into_response();
    };
    let post = state.sse.post_with_parts(query.session_id.as_deref(), Some(parts), body);
    match tokio::time::timeout(state.timeout, post).await {
        Ok(response) => response,
        Err(_elapsed) => timed_out(&format!("{}/messages", state.connector.path()), state.timeout),
    }
}

fn timed_out(path: &str, after: Duration) -> Response {
    tracing::warn!(path, after_secs = after.as_secs(), "MCP request timed out");
    AppError::TimedOut.into_response()
}
