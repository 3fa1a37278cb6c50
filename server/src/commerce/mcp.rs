//! The MCP binding of the checkout API (ACP `docs/mcp-binding.md`), on its own connector
//! `/mcp/acp`: five tools whose arguments are `meta` (the protocol headers), `id` (the session)
//! and `payload` (the REST body). They run [`service::handle`], the REST code path; a session
//! comes back as the result's `structuredContent`, an ACP error as JSON-RPC error -32000 with the
//! flat error object as `data`. A malformed envelope (no `meta`, no `id`) is -32602.
//! Authentication is the connector's (`Authorization: Bearer <merchant key>` on the HTTP request).

use std::sync::Arc;

use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::Commerce;
use super::rest::MerchantIdentity;
use super::service::{self, Caller, KeyRule, Operation, RequestMeta};
use super::wire::{CancelRequest, CompleteRequest, CreateRequest, UpdateRequest};

/// `meta`: the HTTP headers of the REST binding. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Meta {
    /// `API-Version`, e.g. "2026-04-17".
    pub api_version: String,
    /// `Idempotency-Key` (recommended for create and complete).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub accept_language: Option<String>,
    /// `Signature` over the canonical `payload`.
    #[serde(default)]
    pub signature: Option<String>,
    /// `Timestamp` (RFC 3339) of the signature.
    #[serde(default)]
    pub timestamp: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // Only its schema is used; the arguments are read as JSON.
struct CreateArgs {
    meta: Meta,
    payload: CreateRequest,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct GetArgs {
    meta: Meta,
    /// The checkout session id.
    id: String,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct UpdateArgs {
    meta: Meta,
    id: String,
    payload: UpdateRequest,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct CompleteArgs {
    meta: Meta,
    id: String,
    payload: CompleteRequest,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct CancelArgs {
    meta: Meta,
    id: String,
    #[serde(default)]
    payload: Option<CancelRequest>,
}

/// The binding's tool names.
pub const TOOLS: [&str; 5] = [
    "create_checkout_session",
    "get_checkout_session",
    "update_checkout_session",
    "complete_checkout_session",
    "cancel_checkout_session",
];

fn tools() -> Vec<Tool> {
    let tool = |name: &'static str, description: &'static str, schema, read_only: bool| {
        Tool::new(name, description, schema)
            .with_annotations(ToolAnnotations::new().read_only(read_only).destructive(false).open_world(false))
    };
    vec![
        tool(TOOLS[0], "Create a checkout session (POST /checkout_sessions).", schema_for_type::<CreateArgs>(), false),
        tool(
            TOOLS[1],
            "Retrieve a checkout session (GET /checkout_sessions/{id}).",
            schema_for_type::<GetArgs>(),
            true,
        ),
        tool(
            TOOLS[2],
            "Update items, buyer, fulfillment details or the selected fulfillment option.",
            schema_for_type::<UpdateArgs>(),
            false,
        ),
        tool(TOOLS[3], "Submit payment and place the order.", schema_for_type::<CompleteArgs>(), false),
        tool(TOOLS[4], "Cancel a checkout session.", schema_for_type::<CancelArgs>(), false),
    ]
}

/// The `/mcp/acp` handler; one per request (cheap clone).
#[derive(Clone)]
pub struct AcpMcp {
    commerce: Commerce,
    tools: Arc<Vec<Tool>>,
}

impl AcpMcp {
    pub fn new(commerce: Commerce) -> Self {
        AcpMcp { commerce, tools: Arc::new(tools()) }
    }
}

fn invalid_params(message: String) -> ErrorData {
    ErrorData::new(ErrorCode::INVALID_PARAMS, message, None)
}

/// Reads the envelope: `meta` always, `id` for all but create, `payload` as JSON.
fn envelope(
    name: &str,
    args: &serde_json::Map<String, Value>,
) -> Result<(RequestMeta, Operation, Option<Value>), ErrorData> {
    let meta: Meta = serde_json::from_value(args.get("meta").cloned().unwrap_or(Value::Null))
        .map_err(|e| invalid_params(format!("`meta` is required with `api_version`: {e}")))?;
    let id = || {
        args.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| invalid_params(format!("{name} needs `id`, the checkout session id")))
    };
    let operation = match name {
        "create_checkout_session" => Operation::Create,
        "get_checkout_session" => Operation::Retrieve(id()?),
        "update_checkout_session" => Operation::Update(id()?),
        "complete_checkout_session" => Operation::Complete(id()?),
        "cancel_checkout_session" => Operation::Cancel(id()?),
        other => return Err(invalid_params(format!("unknown tool {other}"))),
    };
    let payload = args.get("payload").cloned();
    if matches!(operation, Operation::Create | Operation::Update(_) | Operation::Complete(_)) && payload.is_none() {
        return Err(invalid_params(format!("{name} needs `payload`")));
    }
    let meta = RequestMeta {
        api_version: Some(meta.api_version),
        idempotency_key: meta.idempotency_key,
        request_id: meta.request_id,
        signature: meta.signature,
        timestamp: meta.timestamp,
    };
    Ok((meta, operation, payload))
}

impl ServerHandler for AcpMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("target-acp", env!("CARGO_PKG_VERSION")))
            .with_instructions("Agentic Commerce Protocol checkout for Target (API version 2026-04-17).")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<MerchantIdentity>())
            .map(|m| Caller(m.0.clone()))
            .ok_or_else(|| ErrorData::internal_error("the merchant identity is missing", None))?;
        let args = request.arguments.unwrap_or_default();
        let (meta, operation, payload) = envelope(&request.name, &args)?;
        let answer =
            service::handle(&self.commerce, &caller, &meta, operation, payload.as_ref(), KeyRule::Optional).await;
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if answer.status.is_success() {
            Ok(CallToolResult::structured(body).into())
        } else {
            let message = body["message"].as_str().unwrap_or("checkout error").to_owned();
            Err(ErrorData::new(ErrorCode(-32000), message, Some(body)))
        }
    }
}
