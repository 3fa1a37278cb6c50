//! Tool descriptor metadata, in both dialects (MCP Apps `_meta.ui.*` and ChatGPT's `openai/*`),
//! derived from the typed tool name, its widget and the connector that carries it.

use serde::Serialize;
use shared::tool::{ToolName, WidgetId};

use super::connector::Visibility;
use crate::identity::access::{SecurityScheme, security_schemes};
use crate::widgets::WidgetTemplates;

/// Status texts ChatGPT shows while the tool runs and after it finished (≤ 64 chars).
pub const fn invocation_texts(tool: ToolName) -> (&'static str, &'static str) {
    use ToolName::*;
    match tool {
        CreateTargetSession => ("Starting a Target session…", "Target session ready"),
        AuthenticateTarget => ("Opening Target sign-in…", "Target sign-in ready"),
        GetTargetAuthStatus => ("Checking Target sign-in…", "Checked Target sign-in"),
        SearchTargetProducts => ("Searching Target…", "Found products at Target"),
        GetAgentforceRecommendations => ("Finding recommendations…", "Picked recommendations"),
        AddToCart => ("Adding to your cart…", "Added to your cart"),
        GetCart => ("Opening your cart…", "Your cart"),
        UpdateCartItem => ("Updating your cart…", "Updated your cart"),
        Checkout => ("Placing your order…", "Order placed"),
        CheckCircleMembership => ("Checking Target Circle…", "Checked Target Circle"),
        CircleSignup => ("Joining Target Circle…", "Joined Target Circle"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UiMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_uri: Option<String>,
    visibility: &'static [&'static str],
}

#[derive(Serialize)]
struct ToolMeta {
    ui: UiMeta,
    /// Deprecated flat MCP Apps key, still read by some hosts.
    #[serde(rename = "ui/resourceUri", skip_serializing_if = "Option::is_none")]
    flat_resource_uri: Option<String>,
    #[serde(rename = "openai/outputTemplate", skip_serializing_if = "Option::is_none")]
    output_template: Option<String>,
    #[serde(rename = "openai/toolInvocation/invoking")]
    invoking: &'static str,
    #[serde(rename = "openai/toolInvocation/invoked")]
    invoked: &'static str,
    #[serde(rename = "openai/widgetAccessible")]
    widget_accessible: bool,
    #[serde(rename = "openai/visibility")]
    visibility: &'static str,
    /// What the tool needs from the shopper (Apps SDK; mirrored at the descriptor's top level by
    /// [`super::security_schemes`]).
    #[serde(rename = "securitySchemes")]
    security_schemes: Vec<SecurityScheme>,
}

/// Whether some widget calls this tool from its iframe.
fn called_by_a_widget(tool: ToolName) -> bool {
    WidgetId::ALL.iter().any(|w| w.calls().contains(&tool))
}

/// The `_meta` object of `tool` as `connector` lists it.
pub fn tool_meta(
    tool: ToolName,
    visibility: Visibility,
    templates: &WidgetTemplates,
) -> serde_json::Map<String, serde_json::Value> {
    let uri = tool.widget().map(|w| templates.get(w).uri.clone());
    let (invoking, invoked) = invocation_texts(tool);
    let (ui_visibility, openai_visibility): (&'static [&'static str], _) = match visibility {
        Visibility::Model => (&["model", "app"], "public"),
        Visibility::AppOnly => (&["app"], "private"),
    };
    let meta = ToolMeta {
        ui: UiMeta { resource_uri: uri.clone(), visibility: ui_visibility },
        flat_resource_uri: uri.clone(),
        output_template: uri,
        invoking,
        invoked,
        widget_accessible: called_by_a_widget(tool) || visibility == Visibility::AppOnly,
        visibility: openai_visibility,
        security_schemes: security_schemes(tool),
    };
    crate::mcp::json_object(&meta)
}
