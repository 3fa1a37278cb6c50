//! Target Circle tools: check-circle-membership and circle-signup. Membership belongs to the
//! signed-in account (by email), not to the session, so it outlives every session.

use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use shared::auth::SessionInput;
use shared::membership::{Benefit, CircleSignupInput, Membership, MembershipOutput, MembershipTier};
use shared::money::Cents;
use shared::tool::ToolName;

use crate::identity::shopper::Shopper;
use crate::mcp::handler::TargetMcp;
use crate::mcp::reply::{Reply, ToolOutcome};
use crate::pricing::{CIRCLE_CARD_PERCENT, FREE_SHIPPING_THRESHOLD, SHIPPING_FEE};
use crate::store::Session;

/// The benefits of every tier, worded from the pricing rules.
pub fn benefits() -> Vec<Benefit> {
    let b = |tier, title: &str, description: String| Benefit { tier, title: title.to_owned(), description };
    vec![
        b(MembershipTier::Circle, "Circle offers", "Extra percent off products marked with a Circle offer.".into()),
        b(
            MembershipTier::Circle,
            "Free shipping on bigger orders",
            format!(
                "Free shipping on orders of {} or more; {} otherwise.",
                FREE_SHIPPING_THRESHOLD.display_usd(),
                SHIPPING_FEE.display_usd()
            ),
        ),
        b(MembershipTier::CircleCard, "Circle offers", "Every Circle offer, like Target Circle.".into()),
        b(
            MembershipTier::CircleCard,
            "5% off every order",
            format!("{CIRCLE_CARD_PERCENT}% off your order after Circle offers."),
        ),
        b(MembershipTier::Circle360, "Circle offers", "Every Circle offer, like Target Circle.".into()),
        b(MembershipTier::Circle360, "Free shipping, always", "Free shipping on every order, with no minimum.".into()),
    ]
}

fn output(shopper: &Shopper, membership: Option<Membership>) -> MembershipOutput {
    MembershipOutput {
        session_id: shopper.public_session_id(),
        signed_in: shopper.user().is_some(),
        member: membership.is_some(),
        membership,
        benefits: benefits(),
    }
}

fn savings_text(cents: Cents) -> String {
    if cents == Cents::ZERO { String::new() } else { format!(" Circle has saved you {} so far.", cents.display_usd()) }
}

#[tool_router(router = membership_tools, vis = "pub(crate)")]
impl TargetMcp {
    #[tool(
        name = "check-circle-membership",
        description = "Check whether the signed-in Target account is a Target Circle member, and show the tiers \
                       (circle, circle-card, circle-360) with their benefits.",
        annotations(title = "Check Target Circle", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<MembershipOutput>()
    )]
    pub(crate) async fn check_circle_membership(
        &self,
        Parameters(input): Parameters<SessionInput>,
    ) -> ToolOutcome<MembershipOutput> {
        let shopper = self.shopper(input.session_id.as_ref(), ToolName::CheckCircleMembership).await?;
        let membership = match shopper.user() {
            Some(user) => self.state.store.membership(&user.email).await?,
            None => None,
        };
        let sentence = match (shopper.user(), &membership) {
            (None, _) => {
                "Not signed in: sign in to Target (authenticate-target) to check or join Target Circle.".to_owned()
            }
            (Some(user), None) => format!("{} is not a Target Circle member yet.", user.name),
            (Some(user), Some(m)) => format!(
                "{} is a {} member since {}.{}",
                user.name,
                m.tier.display_name(),
                m.member_since.format("%B %-d, %Y"),
                savings_text(m.lifetime_savings_cents)
            ),
        };
        Ok(Reply::new(output(&shopper, membership), sentence).widget(Some(shopper.session()), vec![]))
    }

    #[tool(
        name = "circle-signup",
        description = "Join Target Circle with the signed-in account, or change tier: circle (free), circle-card \
                       (5% off every order) or circle-360 (free shipping on every order). Default circle.",
        annotations(title = "Join Target Circle", read_only_hint = false, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<MembershipOutput>()
    )]
    pub(crate) async fn circle_signup(
        &self,
        Parameters(input): Parameters<CircleSignupInput>,
    ) -> ToolOutcome<MembershipOutput> {
        let shopper = self.shopper(input.session_id.as_ref(), ToolName::CircleSignup).await?;
        let user = shopper.require_user(&self.resource, ToolName::CircleSignup)?.clone();
        let tier = input.tier.unwrap_or(MembershipTier::Circle);
        let joined = Membership { tier, member_since: self.state.clock.now(), lifetime_savings_cents: Cents::ZERO };
        let membership = self.state.store.join_membership(&user.email, joined).await?;
        let version = self.state.store.bump_version(&shopper.session().id).await?;
        let shopper = {
            let session = Session { version, ..shopper.session().clone() };
            shopper.with_session(session)
        };
        let sentence = format!("{} is now a {} member.", user.name, membership.tier.display_name());
        Ok(Reply::new(output(&shopper, Some(membership)), sentence).widget(Some(shopper.session()), vec![]))
    }
}
