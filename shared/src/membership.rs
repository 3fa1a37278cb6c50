//! Target Circle membership tools.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SessionId;
use crate::money::Cents;
use crate::tool::string_enum;

string_enum!(
    /// Target Circle tiers.
    MembershipTier {
        /// Free: each product's Circle offer.
        Circle = "circle",
        /// Target Circle Card: Circle offers plus 5% off every order.
        CircleCard = "circle-card",
        /// Target Circle 360: Circle offers plus free shipping on every order.
        Circle360 = "circle-360",
    }
);

impl MembershipTier {
    pub const fn display_name(self) -> &'static str {
        match self {
            MembershipTier::Circle => "Target Circle",
            MembershipTier::CircleCard => "Target Circle Card",
            MembershipTier::Circle360 => "Target Circle 360",
        }
    }
}

/// `circle-signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CircleSignupInput {
    /// The id from create-target-session; leave it out when the Target account is linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// The tier to join (default circle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<MembershipTier>,
}

/// A membership; it belongs to the Target account and outlives sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub tier: MembershipTier,
    pub member_since: DateTime<Utc>,
    /// Everything Circle has saved this account on orders placed here.
    pub lifetime_savings_cents: Cents,
}

impl Membership {
    /// The day the membership started (UTC), for people: "March 5, 2026". Spelled out by hand so
    /// the WASM widgets do not carry chrono's strftime machinery.
    pub fn member_since_text(&self) -> String {
        use chrono::Datelike;
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let date = self.member_since.date_naive();
        let month = MONTHS.get(date.month0() as usize).copied().unwrap_or_default();
        format!("{month} {}, {}", date.day(), date.year())
    }
}

/// One benefit of a tier, as shown to the shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Benefit {
    pub tier: MembershipTier,
    pub title: String,
    pub description: String,
}

/// The `structuredContent` of both membership tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MembershipOutput {
    /// The session (session mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Whether the session is signed in; membership needs an account.
    pub signed_in: bool,
    pub member: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<Membership>,
    /// The benefits of every tier, so the shopper can compare.
    pub benefits: Vec<Benefit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_since_reads_like_strftime() {
        for (at, text) in [
            ("2026-03-05T10:00:00Z", "March 5, 2026"),
            ("2025-12-31T23:59:59Z", "December 31, 2025"),
            ("2024-01-01T00:00:00Z", "January 1, 2024"),
        ] {
            let membership = Membership {
                tier: MembershipTier::Circle,
                member_since: at.parse().unwrap(),
                lifetime_savings_cents: Cents::ZERO,
            };
            assert_eq!(membership.member_since_text(), text);
            assert_eq!(membership.member_since_text(), membership.member_since.format("%B %-d, %Y").to_string());
        }
    }
}
