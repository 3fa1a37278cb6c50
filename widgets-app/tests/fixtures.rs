//! The dev host's fixture tool results (`widgets-app/fixtures/*.json`, recorded from the server)
//! are real tool results: each one's `structuredContent` is exactly the `shared` output type of
//! its tool (it deserializes and serializes back to the same JSON, so no field is misspelled or
//! extra), its `_meta` carries the widget meta with every product it mentions, and `index.json`
//! lists every file with the widget its tool renders.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::tool::{ToolName, WidgetId};
use shared::widget::{WIDGET_META_KEY, WidgetMeta};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// `value` parses as `T` and `T` writes it back unchanged.
fn exactly<T: DeserializeOwned + Serialize>(file: &str, value: &Value) {
    let parsed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{file}: structuredContent is not a {}: {e}", std::any::type_name::<T>()));
    let back = serde_json::to_value(&parsed).expect("serializes");
    assert_eq!(&back, value, "{file}: structuredContent has fields {} does not know", std::any::type_name::<T>());
}

fn check_output(file: &str, tool: ToolName, output: &Value) {
    use shared::{auth, cart, checkout, membership, product};
    match tool {
        ToolName::CreateTargetSession => exactly::<auth::CreateSessionOutput>(file, output),
        ToolName::AuthenticateTarget => exactly::<auth::AuthenticateOutput>(file, output),
        ToolName::GetTargetAuthStatus => exactly::<auth::AuthStatusOutput>(file, output),
        ToolName::SearchTargetProducts => exactly::<product::SearchOutput>(file, output),
        ToolName::GetAgentforceRecommendations => exactly::<product::RecommendationsOutput>(file, output),
        ToolName::AddToCart | ToolName::GetCart | ToolName::UpdateCartItem => exactly::<cart::CartOutput>(file, output),
        ToolName::Checkout => exactly::<checkout::CheckoutOutput>(file, output),
        ToolName::CheckCircleMembership | ToolName::CircleSignup => {
            exactly::<membership::MembershipOutput>(file, output)
        }
    }
}

/// Every `"id"` of a product summary in the structured content (products, cart lines, orders).
fn mentioned_products(tool: ToolName, output: &Value) -> BTreeSet<String> {
    let ids = |list: &Value, inner: Option<&str>| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| inner.map_or(Some(item), |k| item.get(k)))
            .filter_map(|p| p.get("id")?.as_str().map(str::to_owned))
            .collect()
    };
    let found = match tool {
        ToolName::SearchTargetProducts | ToolName::GetAgentforceRecommendations => ids(&output["products"], None),
        ToolName::AddToCart | ToolName::GetCart | ToolName::UpdateCartItem => {
            ids(&output["cart"]["items"], Some("product"))
        }
        ToolName::Checkout => ids(&output["order"]["items"], Some("product")),
        _ => Vec::new(),
    };
    found.into_iter().collect()
}

/// The tool a fixture file is for: its name up to the first dot (`get-cart.empty.json`).
fn tool_of(file: &str) -> ToolName {
    let name = file.split('.').next().unwrap_or_default();
    name.parse().unwrap_or_else(|e| panic!("{file}: the file name must start with a tool name: {e}"))
}

#[test]
fn every_fixture_is_a_real_result_of_its_tool() {
    let mut seen_tools = BTreeSet::new();
    let mut count = 0;
    for entry in std::fs::read_dir(dir()).expect("widgets-app/fixtures exists") {
        let path = entry.expect("readable").path();
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
        if file == "index.json" || !file.ends_with(".json") {
            continue;
        }
        let tool = tool_of(&file);
        let result = read(&path);
        assert_eq!(result["isError"], Value::Bool(false), "{file}: fixtures are successful results");
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        assert!(!text.is_empty(), "{file}: a result has a sentence for the model in content[0].text");
        let output = result.get("structuredContent").unwrap_or_else(|| panic!("{file}: no structuredContent"));
        check_output(&file, tool, output);

        if tool.widget().is_some() {
            let meta =
                result["_meta"].get(WIDGET_META_KEY).unwrap_or_else(|| panic!("{file}: no _meta.{WIDGET_META_KEY}"));
            let meta: WidgetMeta =
                serde_json::from_value(meta.clone()).unwrap_or_else(|e| panic!("{file}: widget meta: {e}"));
            let have: BTreeSet<String> = meta.products.iter().map(|p| p.id.to_string()).collect();
            let missing: Vec<_> = mentioned_products(tool, output).difference(&have).cloned().collect();
            assert!(missing.is_empty(), "{file}: _meta lacks the full records of products {missing:?}");
        }
        seen_tools.insert(tool);
        count += 1;
    }
    assert!(count > 0, "no fixtures found");
    // The dev host can answer every call a widget makes, and show every widget.
    for widget in WidgetId::ALL {
        for called in widget.calls() {
            assert!(seen_tools.contains(called), "no fixture for {called}, which {widget} calls");
        }
        assert!(seen_tools.iter().any(|t| t.widget() == Some(*widget)), "no fixture renders {widget}");
    }
}

#[test]
fn the_index_lists_every_fixture_with_its_widget() {
    let index = read(&dir().join("index.json"));
    let entries = index.as_array().expect("index.json is a list");
    let mut listed = BTreeSet::new();
    for entry in entries {
        let file = entry["file"].as_str().expect("file");
        assert!(dir().join(file).is_file(), "index.json lists {file}, which does not exist");
        assert!(listed.insert(file.to_owned()), "index.json lists {file} twice");
        let tool: ToolName = entry["tool"].as_str().expect("tool").parse().expect("a tool name");
        assert_eq!(tool, tool_of(file), "{file}: index tool");
        let widget = tool.widget().map(WidgetId::as_str);
        assert_eq!(entry["widget"].as_str(), widget, "{file}: the widget that renders {tool}");
        assert!(entry["label"].as_str().is_some_and(|l| !l.is_empty()), "{file}: a label for the dev host");
        assert!(entry["input"].is_object(), "{file}: the tool input (toolInput)");
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".json") && f != "index.json")
        .collect();
    assert_eq!(listed, on_disk, "index.json and the fixture files differ");
}
