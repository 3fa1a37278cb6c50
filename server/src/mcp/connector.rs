//! The five connectors: one per tool group plus `/mcp/all`. A connector lists its own group's
//! tools to the model and also carries, hidden from the model, the tools its widgets call from
//! other groups (a widget can only call tools of the connector that rendered it).

use std::collections::BTreeSet;

use shared::tool::{ToolGroup, ToolName, WidgetId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connector {
    Auth,
    Products,
    Checkout,
    Membership,
    All,
}

/// How a connector carries a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Listed for the model (and callable by widgets).
    Model,
    /// Callable by this connector's widgets only (`ui.visibility: ["app"]`).
    AppOnly,
}

impl Connector {
    pub const ALL: [Connector; 5] =
        [Connector::Auth, Connector::Products, Connector::Checkout, Connector::Membership, Connector::All];

    /// The URL path the connector is mounted at.
    pub const fn path(self) -> &'static str {
        match self {
            Connector::Auth => "/mcp",
            Connector::Products => "/mcp2",
            Connector::Checkout => "/mcp3",
            Connector::Membership => "/mcp4",
            Connector::All => "/mcp/all",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Connector::Auth => "target-auth",
            Connector::Products => "target-products",
            Connector::Checkout => "target-checkout",
            Connector::Membership => "target-circle",
            Connector::All => "target",
        }
    }

    fn serves_group(self, group: ToolGroup) -> bool {
        match self {
            Connector::All => true,
            Connector::Auth => group == ToolGroup::Auth,
            Connector::Products => group == ToolGroup::Products,
            Connector::Checkout => group == ToolGroup::Checkout,
            Connector::Membership => group == ToolGroup::Membership,
        }
    }

    /// How this connector carries `tool`, or `None` when it does not.
    pub fn visibility(self, tool: ToolName) -> Option<Visibility> {
        if self.serves_group(tool.group()) {
            Some(Visibility::Model)
        } else if self.widgets().iter().any(|w| w.calls().contains(&tool)) {
            Some(Visibility::AppOnly)
        } else {
            None
        }
    }

    /// The widgets this connector's own tools render.
    pub fn widgets(self) -> BTreeSet<WidgetId> {
        ToolName::ALL.iter().filter(|t| self.serves_group(t.group())).filter_map(|t| t.widget()).collect()
    }

    /// Every tool the connector carries, with how.
    pub fn tools(self) -> Vec<(ToolName, Visibility)> {
        ToolName::ALL.iter().filter_map(|t| self.visibility(*t).map(|v| (*t, v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_tool_for_the_model() {
        let tools = Connector::All.tools();
        assert_eq!(tools.len(), ToolName::ALL.len());
        assert!(tools.iter().all(|(_, v)| *v == Visibility::Model));
    }

    #[test]
    fn the_product_connector_carries_add_to_cart_hidden() {
        assert_eq!(Connector::Products.visibility(ToolName::AddToCart), Some(Visibility::AppOnly));
        assert_eq!(Connector::Products.visibility(ToolName::SearchTargetProducts), Some(Visibility::Model));
        assert_eq!(Connector::Products.visibility(ToolName::Checkout), None);
    }

    #[test]
    fn every_tool_a_widget_calls_is_on_each_connector_that_renders_it() {
        for c in Connector::ALL {
            for w in c.widgets() {
                for t in w.calls() {
                    assert!(c.visibility(*t).is_some(), "{} renders {w} but lacks {t}", c.path());
                }
            }
        }
    }

    #[test]
    fn every_tool_group_has_a_split_connector() {
        for t in ToolName::ALL {
            let owners: Vec<_> = Connector::ALL
                .iter()
                .filter(|c| **c != Connector::All && c.visibility(*t) == Some(Visibility::Model))
                .collect();
            assert_eq!(owners.len(), 1, "{t}");
        }
    }
}
