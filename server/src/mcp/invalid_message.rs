//! Answers to POST bodies that are not JSON-RPC messages, as JSON-RPC 2.0 prescribes.
//!
//! rmcp's Streamable HTTP service answers a body it cannot read as a client message with
//! `415 Unsupported Media Type` and a plain-text sentence, even when the body is JSON and the
//! Content-Type is right. A JSON-RPC client expects an error object instead: `-32700` (parse
//! error) when the body is not JSON, `-32600` (invalid request) when it is JSON but not a
//! request, notification or response, with `id` null since no id can be trusted (JSON-RPC 2.0
//! §5). We send that with status 400.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// Whether a request declares a JSON body (rmcp's 415 to it is then about the content).
pub fn declares_json(request_headers: &HeaderMap) -> bool {
    request_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"))
}

/// Whether rmcp refused the body of a request that declared JSON (the case to re-answer).
pub fn is_refused_json(declared_json: bool, status: StatusCode) -> bool {
    declared_json && status == StatusCode::UNSUPPORTED_MEDIA_TYPE
}

/// The JSON-RPC error answer to `body`.
pub fn answer(body: &[u8]) -> Response {
    let (code, message) = match serde_json::from_slice::<serde_json::Value>(body) {
        Err(e) => (PARSE_ERROR, format!("Parse error: the body is not JSON ({e})")),
        Ok(serde_json::Value::Array(_)) => {
            (INVALID_REQUEST, "Invalid Request: batches are not supported; send one message per POST".to_owned())
        }
        Ok(_) => (
            INVALID_REQUEST,
            "Invalid Request: not a JSON-RPC 2.0 request or notification (jsonrpc \"2.0\", a string method, \
             params an object, id a string or number)"
                .to_owned(),
        ),
    };
    let error = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn parse_errors_and_invalid_requests_are_told_apart() {
        let not_json = body_of(answer(b"{nope")).await;
        assert_eq!(not_json["error"]["code"], PARSE_ERROR);
        assert_eq!(not_json["id"], serde_json::Value::Null);
        let not_rpc = body_of(answer(br#"{"jsonrpc":"2.0","method":7}"#)).await;
        assert_eq!(not_rpc["error"]["code"], INVALID_REQUEST);
        assert_eq!(not_rpc["jsonrpc"], "2.0");
    }

    #[test]
    fn only_refused_json_bodies_are_re_answered() {
        let mut headers = HeaderMap::new();
        assert!(!is_refused_json(declares_json(&headers), StatusCode::UNSUPPORTED_MEDIA_TYPE), "no content type");
        headers.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(is_refused_json(declares_json(&headers), StatusCode::UNSUPPORTED_MEDIA_TYPE));
        assert!(!is_refused_json(declares_json(&headers), StatusCode::OK));
    }
}
