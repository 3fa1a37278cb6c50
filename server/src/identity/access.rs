//! What each tool needs from the shopper, in OAuth terms: whether it works without a linked
//! account (`noauth`: anonymous, or session mode) and which scopes a linked account's token must
//! carry. Tool descriptors advertise it as the Apps SDK's `securitySchemes`, and the tools
//! enforce the scopes (see [`super::shopper`]).

use serde::Serialize;
use shared::auth::Scope;
use shared::tool::ToolName;

/// A tool's requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Callable without a linked account (anonymously or in session mode). `false` tells OAuth
    /// clients to link the account first; the server still serves session-mode callers (a
    /// signed-in `sessionId`) for hosts without OAuth.
    pub noauth: bool,
    /// Whether a linked account may call it (`oauth2` scheme), and with which scopes.
    pub oauth2: Option<&'static [Scope]>,
}

/// The requirements of `tool`.
pub const fn access(tool: ToolName) -> Access {
    use ToolName::*;
    const fn both(scopes: &'static [Scope]) -> Access {
        Access { noauth: true, oauth2: Some(scopes) }
    }
    const fn linked_only(scopes: &'static [Scope]) -> Access {
        Access { noauth: false, oauth2: Some(scopes) }
    }
    match tool {
        // A chat session is session mode's starting point; a linked account does not need one.
        CreateTargetSession => Access { noauth: true, oauth2: None },
        AuthenticateTarget | GetTargetAuthStatus => both(&[Scope::Account]),
        // Search is the same for everyone: a linked account's token is checked but not used (so a
        // linked search costs only the token check), and it names a session only in session mode.
        SearchTargetProducts => Access { noauth: true, oauth2: None },
        GetAgentforceRecommendations => both(&[]),
        AddToCart | GetCart | UpdateCartItem => both(&[Scope::Cart]),
        Checkout => linked_only(&[Scope::Cart, Scope::Orders]),
        CheckCircleMembership => both(&[Scope::Membership]),
        CircleSignup => linked_only(&[Scope::Membership]),
    }
}

impl Access {
    /// The scopes a linked call needs (none when the tool takes no linked account).
    pub fn scopes(&self) -> &'static [Scope] {
        self.oauth2.unwrap_or(&[])
    }
}

/// One entry of the Apps SDK `securitySchemes` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SecurityScheme {
    Noauth,
    Oauth2 { scopes: &'static [Scope] },
}

/// `securitySchemes` of `tool`: `noauth` and/or `oauth2` with its scopes.
pub fn security_schemes(tool: ToolName) -> Vec<SecurityScheme> {
    let access = access(tool);
    let mut schemes = Vec::with_capacity(2);
    if access.noauth {
        schemes.push(SecurityScheme::Noauth);
    }
    if let Some(scopes) = access.oauth2 {
        schemes.push(SecurityScheme::Oauth2 { scopes });
    }
    schemes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_declares_at_least_one_scheme_and_writes_the_apps_sdk_shape() {
        for tool in ToolName::ALL {
            assert!(!security_schemes(*tool).is_empty(), "{tool}");
        }
        let json = serde_json::to_value(security_schemes(ToolName::AddToCart)).expect("json");
        assert_eq!(json, serde_json::json!([{ "type": "noauth" }, { "type": "oauth2", "scopes": ["cart"] }]));
        let checkout = serde_json::to_value(security_schemes(ToolName::Checkout)).expect("json");
        assert_eq!(checkout, serde_json::json!([{ "type": "oauth2", "scopes": ["cart", "orders"] }]));
    }
}
