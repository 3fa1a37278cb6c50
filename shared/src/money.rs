//! Money as integer cents plus an ISO 4217 currency code. Prices are never floats.

use serde::{Deserialize, Serialize};

/// An amount of money in the smallest unit of its currency (cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// `percent` percent of this amount, rounded half away from zero to the nearest cent.
    pub fn percent(self, percent: u32) -> Cents {
        Cents(round_div(self.0 * i64::from(percent), 100))
    }

    /// This amount times a rate given in basis points (1/100 of a percent), rounded half up.
    pub fn basis_points(self, bp: u32) -> Cents {
        Cents(round_div(self.0 * i64::from(bp), 10_000))
    }

    pub fn times(self, n: u32) -> Cents {
        Cents(self.0 * i64::from(n))
    }

    /// Formats as dollars for people: `$12.34`, `-$0.50`.
    pub fn display_usd(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}${}.{:02}", abs / 100, abs % 100)
    }
}

fn round_div(n: i64, d: i64) -> i64 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Cents {
    type Output = Cents;
    fn sub(self, rhs: Cents) -> Cents {
        Cents(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        Cents(iter.map(|c| c.0).sum())
    }
}

/// ISO 4217 currency code. Target.com sells in US dollars only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Currency {
    #[default]
    USD,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_up() {
        assert_eq!(Cents(1999).percent(5), Cents(100)); // 99.95 -> 100
        assert_eq!(Cents(1990).percent(5), Cents(100)); // 99.5 -> 100
        assert_eq!(Cents(1989).percent(5), Cents(99)); // 99.45 -> 99
        assert_eq!(Cents(-1990).percent(5), Cents(-100));
    }

    #[test]
    fn basis_points_for_tax() {
        assert_eq!(Cents(10_000).basis_points(825), Cents(825));
        assert_eq!(Cents(1999).basis_points(825), Cents(165)); // 164.9175
    }

    #[test]
    fn displays_dollars() {
        assert_eq!(Cents(1234).display_usd(), "$12.34");
        assert_eq!(Cents(5).display_usd(), "$0.05");
        assert_eq!(Cents(-50).display_usd(), "-$0.50");
    }
}
