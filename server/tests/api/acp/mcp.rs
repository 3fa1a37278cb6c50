//! The MCP binding on `/mcp/acp` answers the same session state as REST for the same calls, with
//! ACP errors as JSON-RPC -32000 carrying the flat error.

use serde_json::{Value, json};

use super::oracle::{self, Status};
use super::{Acp, Backend, VERSION, complete_body, create_body, on_both_stores};

impl Acp {
    /// One tools/call on the ACP connector; the whole JSON-RPC response.
    async fn acp_tool(&self, name: &str, arguments: Value) -> Value {
        let response = self
            .mcp(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}))
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON-RPC")
    }

    async fn acp_session(&self, name: &str, arguments: Value) -> oracle::CheckoutSession {
        let r = self.acp_tool(name, arguments).await;
        assert!(r["error"].is_null(), "{r:#}");
        oracle::session(&r["result"]["structuredContent"])
    }
}

fn meta(key: &str) -> Value {
    json!({"api_version": VERSION, "idempotency_key": key})
}

async fn mcp_and_rest_share_one_session(backend: Backend) {
    let acp = backend.spawn().await;
    let (stock, _) = acp.catalog_ids();
    let id = stock[0].0.clone();
    let created = acp
        .acp_session("create_checkout_session", json!({"meta": meta("m-1"), "payload": create_body(&[(&id, 1)], true)}))
        .await;
    assert_eq!(created.status, Status::ReadyForPayment);
    let path = format!("/checkout_sessions/{}", created.id);
    let over_rest = acp.get(&path).await;
    let over_mcp =
        acp.acp_tool("get_checkout_session", json!({"meta": {"api_version": VERSION}, "id": created.id})).await;
    assert_eq!(over_mcp["result"]["structuredContent"], over_rest.body, "the same state over both bindings");

    let update = json!({"line_items": [{"id": id, "quantity": 2}]});
    let updated = acp
        .acp_session("update_checkout_session", json!({"meta": meta("m-2"), "id": created.id, "payload": update}))
        .await;
    assert_eq!(updated.line_items[0].quantity, 2);
    // A REST replay of the MCP update (same operation, key and body) is the same answer.
    let rest_replay = acp.post(&path, &update, "m-2").await;
    assert_eq!(rest_replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(oracle::total(&rest_replay.session(200)), oracle::total(&updated));

    let done = acp
        .acp_session(
            "complete_checkout_session",
            json!({"meta": meta("m-3"), "id": created.id, "payload": complete_body("tok_visa", "jordan@example.com")}),
        )
        .await;
    assert_eq!(done.status, Status::Completed);
    assert_eq!(acp.get(&path).await.session(200).order.expect("ok").id, done.order.expect("ok").id);
}

async fn acp_errors_are_json_rpc_errors_with_the_flat_error(backend: Backend) {
    let acp = backend.spawn().await;
    let r = acp.acp_tool("get_checkout_session", json!({"meta": {"api_version": VERSION}, "id": "cs_missing"})).await;
    assert_eq!(r["error"]["code"], -32000, "{r:#}");
    let e = oracle::error(&r["error"]["data"]);
    assert_eq!(e.code, "session_not_found");
    let r =
        acp.acp_tool("get_checkout_session", json!({"meta": {"api_version": "2020-01-01"}, "id": "cs_missing"})).await;
    assert_eq!(oracle::error(&r["error"]["data"]).code, "unsupported_api_version");
    let r = acp.acp_tool("get_checkout_session", json!({"id": "cs_missing"})).await;
    assert_eq!(r["error"]["code"], -32602, "no meta: invalid params");
    let r = acp.acp_tool("cancel_checkout_session", json!({"meta": {"api_version": VERSION}})).await;
    assert_eq!(r["error"]["code"], -32602, "no id: invalid params");
    // cancel without payload is valid.
    let (stock, _) = acp.catalog_ids();
    let s = acp.create(&create_body(&[(&stock[0].0, 1)], true), "mcp-cancel-create").await;
    let canceled =
        acp.acp_session("cancel_checkout_session", json!({"meta": {"api_version": VERSION}, "id": s.id})).await;
    assert_eq!(canceled.status, Status::Canceled);
    let r = acp.acp_tool("cancel_checkout_session", json!({"meta": {"api_version": VERSION}, "id": s.id})).await;
    assert_eq!(oracle::error(&r["error"]["data"]).code, "invalid_state");
}

on_both_stores!(mcp_and_rest_share_one_session, acp_errors_are_json_rpc_errors_with_the_flat_error);

#[tokio::test]
async fn the_acp_connector_lists_five_tools_and_needs_the_merchant_key() {
    let acp = Backend::memory().await.spawn().await;
    let response = acp.mcp(&crate::helpers::tools_list()).await;
    let list: Value = response.json().await.expect("ok");
    let names: Vec<&str> =
        list["result"]["tools"].as_array().expect("ok").iter().map(|t| t["name"].as_str().expect("ok")).collect();
    assert_eq!(
        names,
        [
            "create_checkout_session",
            "get_checkout_session",
            "update_checkout_session",
            "complete_checkout_session",
            "cancel_checkout_session"
        ]
    );
    for tool in list["result"]["tools"].as_array().expect("ok") {
        let required = tool["inputSchema"]["required"].as_array().expect("required");
        assert!(required.contains(&json!("meta")), "{}", tool["name"]);
    }
    let anonymous = acp
        .app
        .client
        .post(acp.app.url("/mcp/acp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
        .send()
        .await
        .expect("ok");
    assert_eq!(anonymous.status(), 401);
}
