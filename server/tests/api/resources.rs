//! Widget templates as MCP resources: listed, read with the MCP Apps MIME type and the CSP in
//! both dialects, and the same HTML served for direct viewing.

use serde_json::json;
use server::mcp::connector::Connector;
use shared::tool::WidgetId;

use crate::helpers::spawn_app;

#[tokio::test]
async fn templates_are_listed_and_read_with_both_csp_dialects() {
    let app = spawn_app().await;
    let list = app.rpc("/mcp/all", "resources/list", json!({})).await;
    let resources = list["result"]["resources"].as_array().expect("resources").clone();
    assert_eq!(resources.len(), WidgetId::ALL.len());
    for resource in resources {
        let uri = resource["uri"].as_str().expect("uri");
        assert!(uri.starts_with("ui://widget/"), "{uri}");
        assert_eq!(resource["mimeType"], "text/html;profile=mcp-app");
        let read = app.rpc("/mcp/all", "resources/read", json!({"uri": uri})).await;
        let contents = read["result"]["contents"].as_array().expect("contents");
        assert_eq!(contents.len(), 1, "exactly one content item");
        let item = &contents[0];
        assert_eq!(item["uri"], uri);
        assert_eq!(item["mimeType"], "text/html;profile=mcp-app");
        assert!(item["text"].as_str().is_some_and(|t| t.starts_with("<!DOCTYPE html>")));
        let base = app.base.replace("127.0.0.1", "localhost");
        assert_eq!(item["_meta"]["openai/widgetCSP"]["connect_domains"], json!([base]));
        assert_eq!(item["_meta"]["ui"]["csp"]["connectDomains"], json!([base]));
        assert_eq!(
            item["_meta"]["ui"]["csp"]["resourceDomains"],
            item["_meta"]["openai/widgetCSP"]["resource_domains"]
        );
        assert_eq!(item["_meta"]["ui"]["prefersBorder"], true);
        assert!(item["_meta"]["openai/widgetDescription"].as_str().is_some());
    }
}

#[tokio::test]
async fn split_connectors_list_the_templates_their_tools_use() {
    let app = spawn_app().await;
    for connector in [Connector::Auth, Connector::Products, Connector::Checkout, Connector::Membership] {
        let list = app.rpc(connector.path(), "resources/list", json!({})).await;
        let names: Vec<String> = list["result"]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r["name"].as_str().unwrap_or("").to_owned())
            .collect();
        let expected: Vec<String> = connector.widgets().iter().map(|w| w.as_str().to_owned()).collect();
        assert_eq!(names, expected, "{}", connector.path());
    }
}

#[tokio::test]
async fn unknown_templates_are_a_clear_error() {
    let app = spawn_app().await;
    let read = app.rpc("/mcp/all", "resources/read", json!({"uri": "ui://widget/cart-000000.html"})).await;
    assert!(read["error"]["message"].as_str().is_some_and(|m| m.contains("no widget template")), "{read:#}");
}

#[tokio::test]
async fn tool_templates_exist_and_widget_pages_are_served() {
    let app = spawn_app().await;
    let list = app.rpc("/mcp/all", "tools/list", json!({})).await;
    let mut templates = std::collections::BTreeSet::new();
    for tool in list["result"]["tools"].as_array().expect("tools") {
        if let Some(uri) = tool["_meta"]["openai/outputTemplate"].as_str() {
            let read = app.rpc("/mcp/all", "resources/read", json!({"uri": uri})).await;
            assert!(read["result"]["contents"][0]["text"].is_string(), "{uri}");
            templates.insert(uri.to_owned());
        }
    }
    assert_eq!(templates.len(), WidgetId::ALL.len(), "every widget is some tool's template: {templates:?}");
    for widget in WidgetId::ALL {
        let page = app.client.get(app.url(&format!("/widgets/{widget}.html"))).send().await.expect("sent");
        assert_eq!(page.status(), 200);
        assert!(page.text().await.expect("html").contains(&format!("data-widget=\"{widget}\"")));
    }
    let missing = app.client.get(app.url("/widgets/nope.html")).send().await.expect("sent");
    assert_eq!(missing.status(), 404);
}
