//! The MCP layer: connectors, the rmcp handler, tool metadata, results, and the two transports.
//!
//! What rmcp does for us: JSON-RPC framing, protocol version negotiation (initialize-era and
//! 2026-07-28 stateless clients on one endpoint), the Streamable HTTP server (`transport.rs`
//! mounts it), Host-header validation, tool routing with input schemas and argument
//! deserialization (`#[tool_router]`), and output schemas from our types.
//! What we wrote: the connectors and their hidden app-only tools (`connector.rs`), both
//! metadata dialects (`tool_meta.rs`), results split into content / structuredContent / `_meta`
//! (`reply.rs`) and written straight to JSON on the direct path for stateless tool calls
//! (`direct.rs`, with the catalog's product records and summaries written once: `product_json.rs`),
//! resources (`handler.rs`), JSON-RPC errors for bodies that are not messages
//! (`invalid_message.rs`), the legacy HTTP+SSE transport (`sse.rs`), which rmcp no longer
//! ships, with its Redis pub/sub relay across instances (`sse_relay.rs`), and the Apps SDK
//! `securitySchemes` at the top of each listed tool (`security_schemes.rs`). Bearer tokens are
//! checked before any of this (`identity/bearer.rs`, mounted per connector in `transport.rs`).

pub mod connector;
pub mod direct;
pub mod handler;
pub mod invalid_message;
pub mod product_json;
pub mod reply;
pub mod security_schemes;
pub mod sse;
pub mod sse_relay;
pub mod tool_meta;
pub mod transport;

/// A serializable value as a JSON object map, for `_meta` (empty if it is not an object).
pub(crate) fn json_object(value: &impl serde::Serialize) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}
