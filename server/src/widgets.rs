//! Widget templates: one self-contained HTML document per widget, published as the MCP resource
//! `ui://widget/<id>-<content hash>.html` (hosts cache templates by URI, so the URI changes
//! whenever the HTML does) and served at `GET /widgets/<id>.html` for direct viewing.
//!
//! Until the Leptos widgets are built, each template is a small plain-JS page that renders the
//! tool result as a readable list.

use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::tool::WidgetId;

/// The MIME type of MCP Apps templates (ChatGPT accepts it too).
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

const PLACEHOLDER: &str = include_str!("../widgets/placeholder.html");

/// Where Target's product images are served from when the data is live.
pub const TARGET_IMAGE_ORIGIN: &str = "https://target.scene7.com";
/// Links the widgets open without a confirmation.
pub const TARGET_ORIGIN: &str = "https://www.target.com";

#[derive(Debug, Clone)]
pub struct WidgetTemplate {
    pub id: WidgetId,
    pub uri: String,
    pub html: String,
}

/// The domains a widget may reach, in both metadata dialects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetCsp {
    pub connect_domains: Vec<String>,
    pub resource_domains: Vec<String>,
    pub redirect_domains: Vec<String>,
}

/// `openai/widgetCSP` (snake_case).
#[derive(Serialize)]
struct OpenAiCsp<'a> {
    connect_domains: &'a [String],
    resource_domains: &'a [String],
    redirect_domains: &'a [String],
}

/// `ui.csp` (camelCase).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct McpAppsCsp<'a> {
    connect_domains: &'a [String],
    resource_domains: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct McpAppsUi<'a> {
    csp: McpAppsCsp<'a>,
    prefers_border: bool,
    link_trusted_domains: &'a [String],
}

/// The `_meta` of a template's `resources/read` content item.
#[derive(Serialize)]
pub struct ResourceMeta<'a> {
    ui: McpAppsUi<'a>,
    #[serde(rename = "openai/widgetCSP")]
    openai_csp: OpenAiCsp<'a>,
    #[serde(rename = "openai/widgetPrefersBorder")]
    prefers_border: bool,
    #[serde(rename = "openai/widgetDescription")]
    description: &'static str,
}

impl WidgetCsp {
    pub fn new(public_base: &str, live_images: bool) -> Self {
        let mut resource_domains = vec![public_base.to_owned()];
        if live_images {
            resource_domains.push(TARGET_IMAGE_ORIGIN.to_owned());
        }
        WidgetCsp {
            connect_domains: vec![public_base.to_owned()],
            resource_domains,
            redirect_domains: vec![TARGET_ORIGIN.to_owned()],
        }
    }

    pub fn resource_meta(&self, widget: WidgetId) -> ResourceMeta<'_> {
        ResourceMeta {
            ui: McpAppsUi {
                csp: McpAppsCsp { connect_domains: &self.connect_domains, resource_domains: &self.resource_domains },
                prefers_border: true,
                link_trusted_domains: &self.redirect_domains,
            },
            openai_csp: OpenAiCsp {
                connect_domains: &self.connect_domains,
                resource_domains: &self.resource_domains,
                redirect_domains: &self.redirect_domains,
            },
            prefers_border: true,
            description: description(widget),
        }
    }
}

/// What the model is told the widget shows, so it does not repeat it.
pub const fn description(widget: WidgetId) -> &'static str {
    match widget {
        WidgetId::TargetAuth => "A Target sign-in form; the shopper signs in inside it.",
        WidgetId::ProductGrid => "A grid of Target products with prices, ratings and Add to cart buttons.",
        WidgetId::Cart => "The shopper's Target cart with quantities, savings, shipping, tax and a Check out button.",
        WidgetId::Circle => "The shopper's Target Circle membership and the tiers they can join.",
    }
}

/// The four templates.
#[derive(Debug, Clone)]
pub struct WidgetTemplates {
    templates: Vec<WidgetTemplate>,
}

impl WidgetTemplates {
    /// Templates from HTML per widget; the URI carries a hash of the content.
    pub fn from_html(html: impl Fn(WidgetId) -> String) -> Self {
        let templates = WidgetId::ALL
            .iter()
            .map(|id| {
                let html = html(*id);
                let hash = hex::encode(&Sha256::digest(html.as_bytes())[..6]);
                WidgetTemplate { id: *id, uri: format!("ui://widget/{id}-{hash}.html"), html }
            })
            .collect();
        WidgetTemplates { templates }
    }

    /// The built-in plain templates.
    pub fn placeholders() -> Self {
        Self::from_html(|id| PLACEHOLDER.replace("__WIDGET_ID__", id.as_str()))
    }

    pub fn get(&self, id: WidgetId) -> &WidgetTemplate {
        self.templates.iter().find(|t| t.id == id).expect("from_html makes a template for every WidgetId")
    }

    pub fn by_uri(&self, uri: &str) -> Option<&WidgetTemplate> {
        self.templates.iter().find(|t| t.uri == uri)
    }

    pub fn all(&self) -> &[WidgetTemplate] {
        &self.templates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_versioned_by_content() {
        let a = WidgetTemplates::placeholders();
        let b = WidgetTemplates::from_html(|id| format!("<html>{id} v2</html>"));
        for id in WidgetId::ALL {
            let uri = &a.get(*id).uri;
            assert!(uri.starts_with(&format!("ui://widget/{id}-")) && uri.ends_with(".html"), "{uri}");
            assert_ne!(uri, &b.get(*id).uri, "new content, new URI");
            assert_eq!(a.by_uri(uri).map(|t| t.id), Some(*id));
        }
        assert!(a.get(WidgetId::Cart).html.contains("data-widget=\"cart\""));
    }

    #[test]
    fn csp_is_declared_in_both_dialects() {
        let csp = WidgetCsp::new("https://shop.example.com", true);
        let meta = serde_json::to_value(csp.resource_meta(WidgetId::ProductGrid)).unwrap();
        assert_eq!(meta["openai/widgetCSP"]["connect_domains"][0], "https://shop.example.com");
        assert_eq!(meta["openai/widgetCSP"]["resource_domains"][1], TARGET_IMAGE_ORIGIN);
        assert_eq!(meta["ui"]["csp"]["connectDomains"][0], "https://shop.example.com");
        assert_eq!(meta["ui"]["csp"]["resourceDomains"][1], TARGET_IMAGE_ORIGIN);
        assert_eq!(meta["openai/widgetCSP"]["redirect_domains"][0], TARGET_ORIGIN);
    }
}
