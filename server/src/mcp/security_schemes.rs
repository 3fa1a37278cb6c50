//! The Apps SDK reads a tool's `securitySchemes` at the top level of its descriptor (and
//! `_meta.securitySchemes` as a back-compat mirror). rmcp's `Tool` has no such field, so the
//! descriptors carry the schemes in `_meta` (`tool_meta.rs`) and every `tools/list` answer gets
//! them copied to the top level here, on both transports.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

const KEY: &str = "securitySchemes";
/// Largest `tools/list` answer rewritten (far above the real one).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Whether a request body is a `tools/list` request.
pub fn is_tools_list(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        method: Option<Cow<'a, str>>,
    }
    serde_json::from_slice::<Probe<'_>>(body).ok().and_then(|p| p.method).is_some_and(|m| m == "tools/list")
}

/// Copies `_meta.securitySchemes` to `securitySchemes` on every tool of a JSON-RPC answer whose
/// `result` lists tools; anything else is left alone.
pub fn lift(message: &mut Value) {
    let Some(tools) = message.pointer_mut("/result/tools").and_then(Value::as_array_mut) else { return };
    for tool in tools {
        let Some(schemes) = tool.pointer(&format!("/_meta/{KEY}")).cloned() else { continue };
        if let Some(tool) = tool.as_object_mut() {
            tool.insert(KEY.to_owned(), schemes);
        }
    }
}

/// [`lift`] on a JSON answer of the Streamable HTTP transport.
pub async fn lift_in_response(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json || !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER_BYTES).await else {
        tracing::warn!("a tools/list answer could not be read to add securitySchemes");
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut message) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    lift(&mut message);
    let body = serde_json::to_vec(&message).map(Body::from).unwrap_or_else(|_| Body::from(bytes));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_copied_to_the_top_of_each_tool() {
        let mut answer = serde_json::json!({"jsonrpc":"2.0","id":1,"result":{"tools":[
            {"name":"a","_meta":{"securitySchemes":[{"type":"noauth"}]}},
            {"name":"b"}
        ]}});
        lift(&mut answer);
        assert_eq!(answer["result"]["tools"][0]["securitySchemes"], serde_json::json!([{"type":"noauth"}]));
        assert!(answer["result"]["tools"][1].get("securitySchemes").is_none());
        assert!(is_tools_list(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#));
        assert!(!is_tools_list(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#));
        assert!(!is_tools_list(b"[1]"));
    }
}
