//! The app's HTTP-layer refusals on the ACP routes, answered as the ACP API answers: the
//! per-client-IP rate limit (429), the body limit (413) and the request and body deadlines (408)
//! run around the ACP routes like around every other route (`app.rs`); this layer, outside them,
//! turns their refusal ([`Refusal`], in the answer's extensions) into the flat ACP error with the
//! headers every ACP answer carries (`Retry-After`, `Request-Id` and, on a POST,
//! `Idempotency-Key` echoed). `Connection: close` stays. Other answers pass untouched.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::AcpError;
use super::rest;
use super::service::Answer;
use crate::http::refusal::Refusal;

/// Middleware: an HTTP-layer refusal in the flat ACP shape.
pub async fn layer(request: Request, next: Next) -> Response {
    let meta = rest::meta(request.headers());
    let post = request.method() == Method::POST;
    let response = next.run(request).await;
    let Some(refusal) = response.extensions().get::<Refusal>().cloned() else {
        return response;
    };
    let mut answer = rest::reply(Answer::from_error(&AcpError::from(refusal)), &meta, post);
    if let Some(connection) = response.headers().get(header::CONNECTION) {
        answer.headers_mut().insert(header::CONNECTION, connection.clone());
    }
    answer
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;
    use crate::commerce::wire::ErrorBody;

    async fn refuse() -> Response {
        let mut response = Refusal::BodyTooLarge { limit_bytes: 10 }.into_response();
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }

    #[tokio::test]
    async fn refusals_become_flat_errors_and_other_answers_pass() {
        let app = Router::new()
            .route("/refused", post(refuse))
            .route("/fine", get(|| async { (StatusCode::IM_A_TEAPOT, "tea") }))
            .layer(axum::middleware::from_fn(layer));
        let request = axum::http::Request::post("/refused")
            .header("idempotency-key", "k-1")
            .header("request-id", "r-1")
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("answered");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()["idempotency-key"], "k-1");
        assert_eq!(response.headers()["request-id"], "r-1");
        assert_eq!(response.headers()[header::CONNECTION], "close");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let error: ErrorBody = serde_json::from_slice(&body).expect("the flat error");
        assert_eq!(error.code, "request_too_large");
        let fine = app.oneshot(axum::http::Request::get("/fine").body(Body::empty()).expect("ok")).await.expect("ok");
        assert_eq!(fine.status(), StatusCode::IM_A_TEAPOT);
    }
}
