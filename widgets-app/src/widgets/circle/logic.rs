//! The circle widget's pure logic: benefits grouped by tier, the status sentences, and what each
//! tier's button does.

use serde_json::{Value, json};
use shared::membership::{Benefit, Membership, MembershipOutput, MembershipTier};
use shared::money::Cents;

/// The widget state a join saves (`privateContent`): the membership it made and the state
/// version of that answer.
pub fn saved_state(output: &MembershipOutput, version: Option<u64>) -> Value {
    json!({ "membership": output.membership, "stateVersion": version })
}

/// What to show: a membership this widget saved wins over an older output (a re-render brings
/// back the output the widget was first rendered with); a newer output wins over the saved one.
pub fn with_saved(
    mut output: MembershipOutput,
    restored: Option<&Value>,
    shown_version: Option<u64>,
) -> MembershipOutput {
    let Some(state) = restored else { return output };
    let saved = state.get("membership").and_then(|m| serde_json::from_value::<Membership>(m.clone()).ok());
    let saved_version = state.get("stateVersion").and_then(Value::as_u64);
    let older = matches!((saved_version, shown_version), (Some(saved), Some(shown)) if saved < shown);
    if let Some(membership) = saved.filter(|_| !older && output.signed_in) {
        output.member = true;
        output.membership = Some(membership);
    }
    output
}

/// Every tier in the order Target lists them, each with its benefits (a tier without any listed
/// still appears).
pub fn group_benefits(benefits: &[Benefit]) -> Vec<(MembershipTier, Vec<Benefit>)> {
    MembershipTier::ALL
        .iter()
        .map(|tier| (*tier, benefits.iter().filter(|b| b.tier == *tier).cloned().collect()))
        .collect()
}

/// What a tier's button does for this shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierAction {
    /// Not a member: join this tier.
    Join,
    /// A member of another tier: switch to this one.
    Switch,
    /// Already this tier: no button.
    Current,
}

pub fn tier_action(tier: MembershipTier, membership: Option<&Membership>) -> TierAction {
    match membership {
        None => TierAction::Join,
        Some(m) if m.tier == tier => TierAction::Current,
        Some(_) => TierAction::Switch,
    }
}

/// The membership status in sentences: a headline and a detail line.
pub fn status_lines(output: &MembershipOutput) -> (String, String) {
    match (&output.membership, output.signed_in) {
        (_, false) => ("You're not signed in".to_owned(), "Target Circle belongs to your Target account.".to_owned()),
        (Some(m), true) => {
            let headline = format!(
                "You're a {} member since {}",
                m.tier.display_name(),
                crate::locale::long_date(m.member_since.timestamp_millis(), || m.member_since_text())
            );
            let detail = if m.lifetime_savings_cents > Cents::ZERO {
                format!("Circle has saved you {} so far.", crate::locale::usd(m.lifetime_savings_cents))
            } else {
                "Your Circle savings will show here after your first order.".to_owned()
            };
            (headline, detail)
        }
        (None, true) => (
            "You're not a Target Circle member yet".to_owned(),
            "Pick a plan below. Target Circle is free to join.".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn output(signed_in: bool, membership: Option<serde_json::Value>) -> MembershipOutput {
        serde_json::from_value(json!({
            "sessionId": "sess_0123456789abcdef0123456789abcdef",
            "signedIn": signed_in,
            "member": membership.is_some(),
            "membership": membership,
            "benefits": [
                {"tier": "circle-360", "title": "Free shipping, always", "description": "Every order."},
                {"tier": "circle", "title": "Circle offers", "description": "Extra percent off."},
                {"tier": "circle", "title": "Free shipping on bigger orders", "description": "$35 or more."}
            ]
        }))
        .unwrap()
    }

    fn member(tier: &str, savings: i64) -> serde_json::Value {
        json!({"tier": tier, "memberSince": "2026-03-05T10:00:00Z", "lifetimeSavingsCents": savings})
    }

    #[test]
    fn benefits_are_grouped_in_tier_order() {
        let groups = group_benefits(&output(true, None).benefits);
        let tiers: Vec<_> = groups.iter().map(|(t, _)| *t).collect();
        assert_eq!(tiers, [MembershipTier::Circle, MembershipTier::CircleCard, MembershipTier::Circle360]);
        assert_eq!(groups[0].1.len(), 2);
        assert_eq!(groups[0].1[0].title, "Circle offers", "the server's order is kept within a tier");
        assert!(groups[1].1.is_empty());
        assert_eq!(groups[2].1.len(), 1);
        assert_eq!(group_benefits(&[]).len(), 3);
    }

    #[test]
    fn buttons_join_switch_or_show_the_current_tier() {
        let out = output(true, Some(member("circle-card", 0)));
        let m = out.membership.as_ref();
        assert_eq!(tier_action(MembershipTier::CircleCard, m), TierAction::Current);
        assert_eq!(tier_action(MembershipTier::Circle360, m), TierAction::Switch);
        assert_eq!(tier_action(MembershipTier::Circle, None), TierAction::Join);
    }

    #[test]
    fn a_saved_join_survives_a_re_render_until_something_newer_arrives() {
        let joined = output(true, Some(member("circle-card", 0)));
        let state = saved_state(&joined, Some(7));
        assert_eq!(state["membership"]["tier"], "circle-card");
        let first = output(true, None);
        let shown = with_saved(first.clone(), Some(&state), Some(5));
        assert!(shown.member);
        assert_eq!(shown.membership.map(|m| m.tier), Some(MembershipTier::CircleCard));
        let newer = output(true, Some(member("circle-360", 0)));
        assert_eq!(with_saved(newer.clone(), Some(&state), Some(9)), newer, "a newer answer wins");
        assert_eq!(with_saved(first.clone(), None, Some(5)), first);
        assert_eq!(with_saved(first.clone(), Some(&json!({"sort": "rating"})), Some(5)), first);
        let signed_out = output(false, None);
        assert_eq!(with_saved(signed_out.clone(), Some(&state), Some(5)), signed_out, "signed out shows signed out");
    }

    #[test]
    fn status_sentences() {
        let (headline, detail) = status_lines(&output(true, Some(member("circle-360", 1234))));
        assert_eq!(headline, "You're a Target Circle 360 member since March 5, 2026");
        assert_eq!(detail, "Circle has saved you $12.34 so far.");
        let (_, detail) = status_lines(&output(true, Some(member("circle", 0))));
        assert!(detail.contains("after your first order"));
        assert!(status_lines(&output(true, None)).0.contains("not a Target Circle member"));
        assert!(status_lines(&output(false, None)).0.contains("not signed in"));
    }
}
