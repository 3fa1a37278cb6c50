//! The MCP handler: one `TargetMcp` value per connector, serving that connector's tools and the
//! widget templates. rmcp's Streamable HTTP service and our legacy SSE adapter both drive it; it
//! never knows which transport carries it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, MetaObject, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use shared::tool::ToolName;
use tracing::Instrument;

use super::connector::Connector;
use super::json_object;
use super::tool_meta::tool_meta;
use crate::http::client_ip::ClientIp;
use crate::http::request_log::{RequestId, ToolCall, ToolNote};
use crate::identity::bearer::Linked;
use crate::identity::resource::ProtectedResource;
use crate::identity::sessions::log_prefix;
use crate::identity::token::AccessClaims;
use crate::state::AppState;
use crate::widgets::{self, WidgetTemplates};

const INSTRUCTIONS: &str = "Target shopping. Start with create-target-session and pass its sessionId to \
every other tool (add-to-cart without a sessionId starts a session and returns its sessionId). Sign-in happens in the authenticate-target widget (never ask for passwords in chat). \
Prices are integer cents: $40 is 4000.";

/// The handler rmcp calls; cheap to clone (one per request in stateless mode).
#[derive(Clone)]
pub struct TargetMcp {
    pub(crate) state: AppState,
    connector: Connector,
    tools: Arc<ToolRouter<TargetMcp>>,
    /// The connector as an OAuth protected resource (for challenges).
    pub(crate) resource: Arc<ProtectedResource>,
    /// The verified bearer token of the request (or of the legacy SSE stream), if any.
    pub(crate) linked: Option<Arc<AccessClaims>>,
}

/// A connector's tool router and the connector as a protected resource.
type ConnectorParts = (Arc<ToolRouter<TargetMcp>>, Arc<ProtectedResource>);

/// The tool routers of all connectors, built once at start-up (schemas are generated then).
#[derive(Clone)]
pub struct McpServices {
    state: AppState,
    routers: Arc<HashMap<Connector, ConnectorParts>>,
}

impl McpServices {
    pub fn new(state: AppState) -> Self {
        let base = state.config.public_base();
        let routers = Connector::ALL
            .iter()
            .map(|c| {
                let router = Arc::new(TargetMcp::router_for(*c, &state.widgets));
                (*c, (router, Arc::new(ProtectedResource::connector(&base, *c))))
            })
            .collect();
        McpServices { state, routers: Arc::new(routers) }
    }

    /// The handler for one connector.
    pub fn handler(&self, connector: Connector) -> TargetMcp {
        let (tools, resource) = self.routers.get(&connector).cloned().unwrap_or_else(|| {
            (Arc::default(), Arc::new(ProtectedResource::connector(&self.state.config.public_base(), connector)))
        });
        TargetMcp { state: self.state.clone(), connector, tools, resource, linked: None }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }
}

impl TargetMcp {
    /// The same handler acting for the linked account of a verified token (`None`: anonymous or
    /// session mode).
    pub fn with_linked(mut self, linked: Option<&Linked>) -> Self {
        self.linked = linked.map(|l| Arc::clone(&l.0));
        self
    }

    /// The same handler serving the request of `client` (the client IP the `http/client_ip.rs`
    /// layer put in the request): its product source charges that client's own limits
    /// ([`ProductSource::for_client`](crate::catalog::ProductSource::for_client)), so the tools,
    /// which only see `state.products`, need not know who asks. `None` (no socket: in-process
    /// tests) leaves the handler as it is.
    pub fn with_client(mut self, client: Option<ClientIp>) -> Self {
        if let Some(client) = client {
            self.state.products = Arc::clone(&self.state.products).for_client(client.limit_key());
        }
        self
    }

    /// Every tool of every group.
    pub(crate) fn all_tools() -> ToolRouter<TargetMcp> {
        Self::auth_tools() + Self::product_tools() + Self::checkout_tools() + Self::membership_tools()
    }

    /// The tools `connector` carries, each with its `_meta` for that connector.
    fn router_for(connector: Connector, templates: &WidgetTemplates) -> ToolRouter<TargetMcp> {
        let mut router = Self::all_tools();
        router.map.retain(|name, route| {
            let Some((tool, visibility)) =
                name.parse::<ToolName>().ok().and_then(|t| connector.visibility(t).map(|v| (t, v)))
            else {
                return false;
            };
            route.attr.meta = Some(MetaObject(tool_meta(tool, visibility, templates)));
            true
        });
        router
    }

    fn resources(&self) -> Vec<Resource> {
        let widgets = self.connector.widgets();
        self.state
            .widgets
            .all()
            .iter()
            .filter(|t| widgets.contains(&t.id) || self.connector == Connector::All)
            .map(|t| {
                Resource::new(t.uri.clone(), t.id.as_str())
                    .with_title(format!("Target {} widget", t.id))
                    .with_description(widgets::description(t.id))
                    .with_mime_type(widgets::MIME_TYPE)
                    .with_meta(MetaObject(json_object(&self.state.csp.resource_meta(t.id))))
            })
            .collect()
    }
}

/// How a tool call ended, for its log line.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CallOutcome {
    Ok,
    /// An `isError` result the shopper reads.
    ToolError,
    /// A JSON-RPC error with this code.
    RpcError(i32),
}

impl TargetMcp {
    /// Whether this connector offers the tool `name`.
    pub(crate) fn offers(&self, name: &str) -> bool {
        self.tools.has_route(name)
    }

    /// Accounts for one tool call, whichever path served it: its metrics, and its tool, outcome
    /// and session prefix in the access log line of the HTTP request that carried it (`note`).
    /// A call without one (legacy SSE: the answer goes out on the stream) gets its own line:
    /// tool, session prefix, connector, latency and outcome.
    pub(crate) fn log_call(
        &self,
        tool: &str,
        session: &str,
        started: Instant,
        outcome: CallOutcome,
        note: Option<&ToolNote>,
    ) {
        let latency = started.elapsed();
        let outcome_label = match outcome {
            CallOutcome::Ok => "ok",
            CallOutcome::ToolError => "tool_error",
            CallOutcome::RpcError(_) => "rpc_error",
        };
        let tool_label = tool.parse::<ToolName>().map_or("unknown", ToolName::as_str);
        crate::metrics::tool_call(tool_label, outcome_label, latency);
        if let Some(note) = note {
            note.set(ToolCall { tool: tool_label, outcome: outcome_label, session: session.to_owned() });
            if let CallOutcome::RpcError(code) = outcome {
                tracing::warn!(%tool, %session, code, "tool call failed with a JSON-RPC error");
            }
            return;
        }
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let connector = self.connector.path();
        // The tool name is the client's text (an unknown name too): shortened and escaped.
        let tool = crate::telemetry::loggable(tool, MAX_LOGGED_TOOL_CHARS);
        match outcome {
            CallOutcome::Ok => tracing::info!(%tool, %session, connector, latency_ms, outcome = "ok", "tool call"),
            CallOutcome::ToolError => {
                tracing::info!(%tool, %session, connector, latency_ms, outcome = "tool_error", "tool call")
            }
            CallOutcome::RpcError(code) => {
                tracing::warn!(%tool, %session, connector, latency_ms, outcome = "rpc_error", code, "tool call")
            }
        }
    }
}

/// The session id argument of a call, shortened for logs.
fn session_for_log(request: &CallToolRequestParams) -> String {
    request
        .arguments
        .as_ref()
        .and_then(|a| a.get("sessionId"))
        .and_then(|v| v.as_str())
        .map(|s| crate::telemetry::loggable(log_prefix(s), 13).into_owned())
        .unwrap_or_default()
}

/// Longest tool name written to a log line (known names are far shorter).
const MAX_LOGGED_TOOL_CHARS: usize = 64;

impl ServerHandler for TargetMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new(self.connector.name(), env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.list_all()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let tool = request.name.to_string();
        let session = session_for_log(&request);
        // The request's own token (Streamable HTTP, legacy SSE POSTs), else the stream's; the
        // request's client, else the stream's.
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let linked = parts.and_then(|p| p.extensions.get::<Linked>());
        let client = parts.and_then(|p| p.extensions.get::<ClientIp>()).copied();
        let for_request;
        let this = if linked.is_none() && client.is_none() {
            self
        } else {
            let handler = match linked {
                Some(linked) => self.clone().with_linked(Some(linked)),
                None => self.clone(),
            };
            for_request = handler.with_client(client);
            &for_request
        };
        // rmcp runs this in its own task: carry the HTTP request's id and note over from the
        // request parts rmcp keeps in the context.
        let note = parts.and_then(|p| p.extensions.get::<ToolNote>()).cloned();
        let span = match parts.and_then(|p| p.extensions.get::<RequestId>()) {
            Some(id) => tracing::info_span!("request", id = id.as_str()),
            None => tracing::Span::none(),
        };
        let result = this.tools.call(ToolCallContext::new(this, request, context)).instrument(span).await;
        let outcome = match &result {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => CallOutcome::ToolError,
            Ok(_) => CallOutcome::Ok,
            Err(e) => CallOutcome::RpcError(e.code.0),
        };
        self.log_call(&tool, &session, started, outcome, note.as_ref());
        result
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(self.resources()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let template = self
            .state
            .widgets
            .by_uri(&request.uri)
            .ok_or_else(|| ErrorData::resource_not_found(format!("no widget template at {}", request.uri), None))?;
        let meta = MetaObject(json_object(&self.state.csp.resource_meta(template.id)));
        let contents = ResourceContents::text(template.html.clone(), template.uri.clone())
            .with_mime_type(widgets::MIME_TYPE)
            .with_meta(meta);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}
