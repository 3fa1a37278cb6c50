//! The typed contract: for every tool, the real server's output validates against the
//! outputSchema it advertises and deserializes into the type the widgets use.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::tool::ToolName;

use crate::helpers::{ToolResult, spawn_app};

fn check<T: DeserializeOwned>(tool: ToolName, schemas: &HashMap<String, Value>, result: &ToolResult) {
    assert!(!result.is_error(), "{tool}: {}", result.text());
    let schema = &schemas[tool.as_str()];
    let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{tool}: schema invalid: {e}"));
    let structured = &result.0["structuredContent"];
    let errors: Vec<String> =
        validator.iter_errors(structured).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{tool}: output does not match its schema: {errors:?}\n{structured:#}");
    serde_json::from_value::<T>(structured.clone()).unwrap_or_else(|e| panic!("{tool}: {e}"));
    if tool.widget().is_some() {
        let meta = &result.0["_meta"][shared::widget::WIDGET_META_KEY];
        serde_json::from_value::<shared::widget::WidgetMeta>(meta.clone())
            .unwrap_or_else(|e| panic!("{tool}: widget meta: {e}\n{meta:#}"));
    }
    assert!(!result.text().is_empty(), "{tool}: content has a sentence");
}

#[tokio::test]
async fn every_tool_output_matches_its_schema_and_the_widget_types() {
    use shared::{auth, cart, checkout, membership, product};
    let app = spawn_app().await;
    let list = app.rpc("/mcp/all", "tools/list", json!({})).await;
    let mut schemas = HashMap::new();
    for tool in list["result"]["tools"].as_array().expect("tools") {
        let name = tool["name"].as_str().expect("name").to_owned();
        jsonschema::validator_for(&tool["inputSchema"]).unwrap_or_else(|e| panic!("{name}: input schema: {e}"));
        schemas.insert(name, tool["outputSchema"].clone());
    }
    let mut covered = Vec::new();
    let mut run = |tool: ToolName| {
        covered.push(tool);
        tool
    };

    let created = app.call(run(ToolName::CreateTargetSession), json!({})).await;
    check::<auth::CreateSessionOutput>(ToolName::CreateTargetSession, &schemas, &created);
    let sid = created.0["structuredContent"]["sessionId"].clone();
    let r = app.call(run(ToolName::AuthenticateTarget), json!({"sessionId": sid})).await;
    check::<auth::AuthenticateOutput>(ToolName::AuthenticateTarget, &schemas, &r);
    let sid_typed: shared::ids::SessionId = serde_json::from_value(sid.clone()).expect("session id");
    let sid = json!(app.sign_in(&sid_typed).await);
    let r = app.call(run(ToolName::GetTargetAuthStatus), json!({"sessionId": sid})).await;
    check::<auth::AuthStatusOutput>(ToolName::GetTargetAuthStatus, &schemas, &r);
    let r = app.call(run(ToolName::SearchTargetProducts), json!({"query": "lamp", "sessionId": sid})).await;
    check::<product::SearchOutput>(ToolName::SearchTargetProducts, &schemas, &r);
    let lamp = r.0["structuredContent"]["products"][0]["id"].clone();
    let r = app.call(run(ToolName::GetAgentforceRecommendations), json!({"sessionId": sid, "productId": lamp})).await;
    check::<product::RecommendationsOutput>(ToolName::GetAgentforceRecommendations, &schemas, &r);
    let r = app.call(run(ToolName::AddToCart), json!({"sessionId": sid, "productId": lamp, "quantity": 2})).await;
    check::<cart::CartOutput>(ToolName::AddToCart, &schemas, &r);
    let r = app.call(run(ToolName::UpdateCartItem), json!({"sessionId": sid, "productId": lamp, "quantity": 3})).await;
    check::<cart::CartOutput>(ToolName::UpdateCartItem, &schemas, &r);
    let r = app.call(run(ToolName::GetCart), json!({"sessionId": sid})).await;
    check::<cart::CartOutput>(ToolName::GetCart, &schemas, &r);
    let r = app.call(run(ToolName::CheckCircleMembership), json!({"sessionId": sid})).await;
    check::<membership::MembershipOutput>(ToolName::CheckCircleMembership, &schemas, &r);
    let r = app.call(run(ToolName::CircleSignup), json!({"sessionId": sid, "tier": "circle-card"})).await;
    check::<membership::MembershipOutput>(ToolName::CircleSignup, &schemas, &r);
    let r = app.call(run(ToolName::Checkout), json!({"sessionId": sid, "idempotencyKey": "contract-key-1"})).await;
    check::<checkout::CheckoutOutput>(ToolName::Checkout, &schemas, &r);

    covered.sort();
    let mut all = ToolName::ALL.to_vec();
    all.sort();
    assert_eq!(covered, all, "every tool is covered");
}

#[tokio::test]
async fn input_schemas_advertise_the_limits_the_server_enforces() {
    let app = spawn_app().await;
    let list = app.rpc("/mcp/all", "tools/list", json!({})).await;
    let search = list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == "search-target-products")
        .expect("search tool")["inputSchema"]
        .clone();
    assert_eq!(search["required"], json!(["query"]));
    assert_eq!(search["properties"]["query"]["maxLength"], 200);
    assert_eq!(search["properties"]["limit"]["maximum"], 48);
    let validator = jsonschema::validator_for(&search).expect("valid schema");
    assert!(validator.is_valid(&json!({"query": "lamp", "sort": "price-low", "maxPriceCents": 4000})));
    assert!(!validator.is_valid(&json!({"query": "lamp", "sort": "cheapest"})));
    assert!(!validator.is_valid(&json!({"query": "lamp", "sessionId": "nope"})));
}
