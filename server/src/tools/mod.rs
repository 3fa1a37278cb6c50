//! The tools, one file per group; each file is an rmcp `#[tool_router]` block on
//! [`TargetMcp`](crate::mcp::handler::TargetMcp), combined in `TargetMcp::all_tools`.

pub mod auth;
pub mod checkout;
pub mod membership;
pub mod products;

use shared::ids::SessionId;
use shared::tool::ToolName;

use crate::error::AppError;
use crate::identity::shopper::{self, Shopper, Who};
use crate::mcp::handler::TargetMcp;

/// Who a tool acts for (`identity/shopper.rs` has the rules of the two modes).
impl TargetMcp {
    /// The linked account or the named session, without asking the store; `None` for nobody.
    pub(crate) fn who(&self, session_id: Option<&SessionId>, tool: ToolName) -> Result<Option<Who>, AppError> {
        shopper::who(&self.state, self.linked.as_ref(), &self.resource, session_id, tool)
    }

    /// Like [`Self::who`], but nobody is `LinkRequired` (the result invites account linking).
    pub(crate) fn who_required(&self, session_id: Option<&SessionId>, tool: ToolName) -> Result<Who, AppError> {
        shopper::required(self.who(session_id, tool)?, &self.resource, tool)
    }

    /// The shopper with their live session; nobody is `LinkRequired`.
    pub(crate) async fn shopper(&self, session_id: Option<&SessionId>, tool: ToolName) -> Result<Shopper, AppError> {
        shopper::shopper(&self.state, self.who_required(session_id, tool)?).await
    }

    /// The shopper if the call names one (anonymous tools).
    pub(crate) async fn shopper_if_any(
        &self,
        session_id: Option<&SessionId>,
        tool: ToolName,
    ) -> Result<Option<Shopper>, AppError> {
        match self.who(session_id, tool)? {
            Some(who) => shopper::shopper(&self.state, who).await.map(Some),
            None => Ok(None),
        }
    }
}
