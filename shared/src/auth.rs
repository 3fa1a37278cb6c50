//! Inputs and outputs of the authentication tools.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SessionId;
use crate::tool::string_enum;

/// A signed-in Target account, as shown to the shopper. Never carries credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub email: String,
    pub name: String,
}

/// `create-target-session` takes no arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSessionInput {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateSessionOutput {
    pub session_id: SessionId,
    pub authenticated: bool,
    /// When the session ends unless it is used again (sessions expire when idle).
    pub expires_at: DateTime<Utc>,
}

/// Input of the tools that need nothing but the shopper: a session (session mode) or the linked
/// account of the OAuth token (linked mode, no `sessionId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionInput {
    /// The id returned by create-target-session. Leave it out when the Target account is linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
}

string_enum!(
    /// What an OAuth access token lets a tool do for the linked account.
    Scope {
        /// See the account's name and email and whether it is signed in.
        Account = "account",
        /// Read and change the cart.
        Cart = "cart",
        /// Place orders and read them.
        Orders = "orders",
        /// Read and change Target Circle membership.
        Membership = "membership",
    }
);

string_enum!(
    /// How the shopper is known to the tools.
    AuthMode {
        /// The Target account is linked to the chat client with OAuth: tools act for it without
        /// a `sessionId`, and the sign-in widget shows the account instead of a form.
        Linked = "linked",
        /// A `sessionId` from create-target-session, signed in through the sign-in widget's form.
        Session = "session",
    }
);

string_enum!(
    /// Where a sign-in stands.
    AuthStatus {
        /// The sign-in form is shown; the shopper has not signed in yet.
        Pending = "pending",
        Authenticated = "authenticated",
    }
);

/// `authenticate-target`: the sign-in widget is shown, or the shopper is already signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateOutput {
    /// The session (session mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    pub mode: AuthMode,
    pub status: AuthStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

/// `get-target-auth-status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthStatusOutput {
    /// The session (session mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    pub mode: AuthMode,
    pub authenticated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// When the session (or the linked account's cart) ends unless it is used again.
    pub expires_at: DateTime<Utc>,
}
