//! Authentication tools: create-target-session, authenticate-target, get-target-auth-status.
//! The password itself never passes through a tool: the target-auth widget posts it to
//! `/api/session/authenticate`.

use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use shared::auth::{
    AuthMode, AuthStatus, AuthStatusOutput, AuthenticateOutput, CreateSessionInput, CreateSessionOutput, SessionInput,
};
use shared::tool::ToolName;

use crate::identity::sessions;
use crate::mcp::handler::TargetMcp;
use crate::mcp::reply::{Reply, ToolOutcome};

#[tool_router(router = auth_tools, vis = "pub(crate)")]
impl TargetMcp {
    #[tool(
        name = "create-target-session",
        description = "Start a Target shopping session. Returns a sessionId that every other Target tool needs. \
                       Call this once at the start of a conversation.",
        annotations(title = "Start a Target session", read_only_hint = false, destructive_hint = false,
                    idempotent_hint = false, open_world_hint = false),
        output_schema = schema_for_output::<CreateSessionOutput>()
    )]
    pub(crate) async fn create_target_session(
        &self,
        Parameters(_): Parameters<CreateSessionInput>,
    ) -> ToolOutcome<CreateSessionOutput> {
        let session = sessions::create(&self.state).await?;
        let output = CreateSessionOutput {
            session_id: session.id.clone(),
            authenticated: false,
            expires_at: sessions::expires_at(&self.state, &session),
        };
        Ok(Reply::new(output, format!("Started Target session {}.", session.id)))
    }

    #[tool(
        name = "authenticate-target",
        description = "Show the Target sign-in form so the shopper can sign in to their Target account. \
                       The shopper types the password into the form, never into the chat. Signing in gives \
                       the session a new sessionId, which the form reports: use that one afterwards.",
        annotations(title = "Sign in to Target", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<AuthenticateOutput>()
    )]
    pub(crate) async fn authenticate_target(
        &self,
        Parameters(input): Parameters<SessionInput>,
    ) -> ToolOutcome<AuthenticateOutput> {
        let shopper = self.shopper(input.session_id.as_ref(), ToolName::AuthenticateTarget).await?;
        let user = shopper.user().cloned();
        let (status, sentence) = match (shopper.mode(), &user) {
            (AuthMode::Linked, Some(user)) => (
                AuthStatus::Authenticated,
                format!("The Target account of {} ({}) is linked; no sign-in needed.", user.name, user.email),
            ),
            (_, Some(user)) => (AuthStatus::Authenticated, format!("Already signed in to Target as {}.", user.name)),
            (_, None) => (AuthStatus::Pending, "Showing the Target sign-in form.".to_owned()),
        };
        let output = AuthenticateOutput { session_id: shopper.public_session_id(), mode: shopper.mode(), status, user };
        let demo = self.state.accounts.demo_account();
        Ok(Reply::new(output, sentence).widget(Some(shopper.session()), vec![]).demo_account(demo))
    }

    #[tool(
        name = "get-target-auth-status",
        description = "Check whether the Target session is signed in, and as whom.",
        annotations(title = "Check Target sign-in", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<AuthStatusOutput>()
    )]
    pub(crate) async fn get_target_auth_status(
        &self,
        Parameters(input): Parameters<SessionInput>,
    ) -> ToolOutcome<AuthStatusOutput> {
        let shopper = self.shopper(input.session_id.as_ref(), ToolName::GetTargetAuthStatus).await?;
        let user = shopper.user().cloned();
        let sentence = match (shopper.mode(), &user) {
            (AuthMode::Linked, Some(user)) => {
                format!("The Target account of {} ({}) is linked.", user.name, user.email)
            }
            (_, Some(user)) => format!("Signed in to Target as {} ({}).", user.name, user.email),
            (_, None) => "Not signed in to Target yet.".to_owned(),
        };
        let output = AuthStatusOutput {
            session_id: shopper.public_session_id(),
            mode: shopper.mode(),
            authenticated: user.is_some(),
            user,
            expires_at: sessions::expires_at(&self.state, shopper.session()),
        };
        Ok(Reply::new(output, sentence))
    }
}
