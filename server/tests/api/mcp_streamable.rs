//! Streamable HTTP on every connector: stateless, JSON, dual-era, Host and Origin checks, and
//! the tool lists each connector publishes.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use server::mcp::connector::{Connector, Visibility};
use shared::tool::ToolName;

use crate::helpers::spawn_app;

fn names(tools: &Value) -> BTreeSet<String> {
    tools.as_array().expect("tools array").iter().map(|t| t["name"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn every_connector_initializes_and_lists_exactly_its_tools() {
    let app = spawn_app().await;
    for connector in Connector::ALL {
        let init = app
            .rpc(
                connector.path(),
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
            )
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], connector.name());
        assert!(init["result"]["capabilities"]["tools"].is_object());
        assert!(init["result"]["capabilities"]["resources"].is_object());

        let list = app.rpc(connector.path(), "tools/list", json!({})).await;
        let tools = &list["result"]["tools"];
        let expected: BTreeSet<String> = connector.tools().iter().map(|(t, _)| t.as_str().to_owned()).collect();
        assert_eq!(names(tools), expected, "{}", connector.path());
        for tool in tools.as_array().expect("array") {
            let name: ToolName = tool["name"].as_str().expect("name").parse().expect("known tool");
            assert!(tool["description"].as_str().is_some_and(|d| d.len() > 20), "{name}");
            assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
            assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
            let hidden = connector.visibility(name) == Some(Visibility::AppOnly);
            let meta = &tool["_meta"];
            assert_eq!(meta["openai/visibility"], if hidden { "private" } else { "public" }, "{name}");
            let vis = meta["ui"]["visibility"].as_array().expect("visibility");
            assert_eq!(vis.contains(&json!("model")), !hidden, "{name}");
            assert!(vis.contains(&json!("app")));
            match name.widget() {
                Some(widget) => {
                    let uri = meta["ui"]["resourceUri"].as_str().expect("resourceUri");
                    assert!(uri.starts_with(&format!("ui://widget/{widget}-")), "{uri}");
                    assert_eq!(meta["openai/outputTemplate"], uri, "both dialects name the same template");
                    assert!(meta["openai/toolInvocation/invoking"].as_str().is_some_and(|s| s.len() <= 64));
                    assert!(meta["openai/toolInvocation/invoked"].as_str().is_some_and(|s| s.len() <= 64));
                }
                None => assert!(meta.get("openai/outputTemplate").is_none(), "{name}"),
            }
        }
    }
}

#[tokio::test]
async fn annotations_say_which_tools_change_things() {
    let app = spawn_app().await;
    let list = app.rpc("/mcp/all", "tools/list", json!({})).await;
    for tool in list["result"]["tools"].as_array().expect("array") {
        let name: ToolName = tool["name"].as_str().expect("name").parse().expect("known");
        let read_only = tool["annotations"]["readOnlyHint"] == json!(true);
        let expect_read_only = matches!(
            name,
            ToolName::AuthenticateTarget
                | ToolName::GetTargetAuthStatus
                | ToolName::SearchTargetProducts
                | ToolName::GetAgentforceRecommendations
                | ToolName::GetCart
                | ToolName::CheckCircleMembership
        );
        assert_eq!(read_only, expect_read_only, "{name}");
        assert_eq!(tool["annotations"]["openWorldHint"], json!(false), "{name}");
    }
}

#[tokio::test]
async fn the_product_connector_carries_add_to_cart_for_its_grid_only() {
    let app = spawn_app().await;
    let list = app.rpc("/mcp2", "tools/list", json!({})).await;
    let add = list["result"]["tools"]
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["name"] == "add-to-cart")
        .cloned()
        .expect("add-to-cart is carried");
    assert_eq!(add["_meta"]["ui"]["visibility"], json!(["app"]));
    assert_eq!(add["_meta"]["openai/widgetAccessible"], json!(true));
    // And the grid can really call it there, with a session made on another connector.
    let session = app.call_on("/mcp", ToolName::CreateTargetSession, json!({})).await;
    let sid = session.0["structuredContent"]["sessionId"].clone();
    let lamp = app.find_product("desk lamp", 0).await;
    let added = app.call_on("/mcp2", ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    assert!(!added.is_error(), "{}", added.text());
    let cart = app.call_on("/mcp3", ToolName::GetCart, json!({"sessionId": sid})).await;
    assert_eq!(cart.0["structuredContent"]["cart"]["itemCount"], 1);
}

#[tokio::test]
async fn a_tool_outside_the_connector_is_refused() {
    let app = spawn_app().await;
    let response =
        app.rpc("/mcp4", "tools/call", json!({"name": "search-target-products", "arguments": {"query": "lamp"}})).await;
    assert!(response["error"].is_object(), "{response:#}");
    let unknown = app.rpc("/mcp/all", "tools/call", json!({"name": "drop-tables", "arguments": {}})).await;
    assert!(unknown["error"].is_object(), "{unknown:#}");
}

#[tokio::test]
async fn no_session_header_is_needed_and_none_is_issued() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/mcp/all"))
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "chatgpt", "version": "1"}}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    assert!(response.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    // A tools/call straight after, with no session header, as ChatGPT does.
    let created = app.call(ToolName::CreateTargetSession, json!({})).await;
    assert!(!created.is_error());
}

#[tokio::test]
async fn stateless_2026_clients_are_served_on_the_same_endpoint() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/mcp/all"))
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "create-target-session")
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": "create-target-session", "arguments": {},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "modern", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}
        }}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["id"], 7);
    assert!(
        body["result"]["structuredContent"]["sessionId"].as_str().is_some_and(|s| s.starts_with("sess_")),
        "{body:#}"
    );
}

#[tokio::test]
async fn the_official_rust_client_works_against_every_connector() {
    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;

    let app = spawn_app().await;
    for connector in Connector::ALL {
        let transport = StreamableHttpClientTransport::from_uri(app.url(connector.path()));
        let client = ().serve(transport).await.expect("client connects");
        let tools = client.list_all_tools().await.expect("tools/list");
        assert_eq!(tools.len(), connector.tools().len(), "{}", connector.path());
        if connector.visibility(ToolName::CreateTargetSession).is_some() {
            let result =
                client.call_tool(CallToolRequestParams::new("create-target-session")).await.expect("tools/call");
            let sid = result.structured_content.expect("structured")["sessionId"].clone();
            assert!(sid.as_str().is_some_and(|s| s.starts_with("sess_")));
        }
        client.cancel().await.expect("client closes");
    }
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let app = spawn_app().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let send = |host: Option<&str>, origin: Option<&str>| {
        let mut request =
            app.client.post(app.url("/mcp/all")).header("Accept", "application/json, text/event-stream").json(&body);
        if let Some(h) = host {
            request = request.header("Host", h);
        }
        if let Some(o) = origin {
            request = request.header("Origin", o);
        }
        request.send()
    };
    assert_eq!(send(Some("evil.example.com"), None).await.expect("sent").status(), 403, "DNS rebinding host");
    assert_eq!(send(None, Some("https://evil.example.com")).await.expect("sent").status(), 403);
    assert_eq!(send(None, Some("https://chatgpt.com")).await.expect("sent").status(), 200);
    assert_eq!(send(None, None).await.expect("sent").status(), 200, "server-to-server calls have no Origin");
}

#[tokio::test]
async fn the_public_host_is_allowed_when_configured() {
    let mut config = crate::helpers::test_config();
    config.public_base_url = Some("https://shop.example.com".parse().expect("url"));
    let app = crate::helpers::spawn_app_with(config).await;
    let status = app
        .client
        .post(app.url("/mcp/all"))
        .header("Host", "shop.example.com")
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 200);
}
