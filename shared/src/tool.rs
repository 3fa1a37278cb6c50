//! Tool names, tool groups and widget ids: enums with exactly one string form each.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one string form of this value, as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::InputError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::InputError(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), other
                    ))),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Every tool the server offers.
    ToolName {
        CreateTargetSession = "create-target-session",
        AuthenticateTarget = "authenticate-target",
        GetTargetAuthStatus = "get-target-auth-status",
        SearchTargetProducts = "search-target-products",
        GetAgentforceRecommendations = "get-agentforce-recommendations",
        AddToCart = "add-to-cart",
        GetCart = "get-cart",
        UpdateCartItem = "update-cart-item",
        Checkout = "checkout",
        CheckCircleMembership = "check-circle-membership",
        CircleSignup = "circle-signup",
    }
);

string_enum!(
    /// The groups tools are served in; each has its own connector.
    ToolGroup {
        Auth = "auth",
        Products = "products",
        Checkout = "checkout",
        Membership = "membership",
    }
);

string_enum!(
    /// The four widgets.
    WidgetId {
        TargetAuth = "target-auth",
        ProductGrid = "product-grid",
        Cart = "cart",
        Circle = "circle",
    }
);

impl ToolName {
    /// The group whose connector lists this tool for the model.
    pub const fn group(self) -> ToolGroup {
        use ToolName::*;
        match self {
            CreateTargetSession | AuthenticateTarget | GetTargetAuthStatus => ToolGroup::Auth,
            SearchTargetProducts | GetAgentforceRecommendations => ToolGroup::Products,
            AddToCart | GetCart | UpdateCartItem | Checkout => ToolGroup::Checkout,
            CheckCircleMembership | CircleSignup => ToolGroup::Membership,
        }
    }

    /// The widget that renders this tool's result, if any.
    pub const fn widget(self) -> Option<WidgetId> {
        use ToolName::*;
        match self {
            CreateTargetSession | GetTargetAuthStatus => None,
            AuthenticateTarget => Some(WidgetId::TargetAuth),
            SearchTargetProducts | GetAgentforceRecommendations => Some(WidgetId::ProductGrid),
            AddToCart | GetCart | UpdateCartItem | Checkout => Some(WidgetId::Cart),
            CheckCircleMembership | CircleSignup => Some(WidgetId::Circle),
        }
    }
}

impl WidgetId {
    /// The tools this widget calls from inside the iframe (through `callTool` / `tools/call`).
    pub const fn calls(self) -> &'static [ToolName] {
        use ToolName::*;
        match self {
            WidgetId::TargetAuth => &[GetTargetAuthStatus],
            WidgetId::ProductGrid => &[AddToCart, SearchTargetProducts],
            WidgetId::Cart => &[GetCart, UpdateCartItem, Checkout],
            WidgetId::Circle => &[CheckCircleMembership, CircleSignup],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_their_one_string_form() {
        for name in ToolName::ALL {
            assert_eq!(name.as_str().parse::<ToolName>().unwrap(), *name);
            let json = serde_json::to_string(name).unwrap();
            assert_eq!(json, format!("\"{}\"", name.as_str()));
        }
        for w in WidgetId::ALL {
            assert_eq!(w.as_str().parse::<WidgetId>().unwrap(), *w);
        }
        assert!("search_target_products".parse::<ToolName>().is_err());
    }

    #[test]
    fn every_group_has_tools_and_every_widget_is_rendered_by_a_tool() {
        for g in ToolGroup::ALL {
            assert!(ToolName::ALL.iter().any(|t| t.group() == *g), "{g} is empty");
        }
        for w in WidgetId::ALL {
            assert!(ToolName::ALL.iter().any(|t| t.widget() == Some(*w)), "nothing renders {w}");
        }
    }
}
