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
        scaled(self.0, percent, 100)
    }

    /// This amount times a rate given in basis points (1/100 of a percent), rounded half up.
    pub fn basis_points(self, bp: u32) -> Cents {
        scaled(self.0, bp, 10_000)
    }

    /// This amount `n` times, saturating at the largest amount instead of overflowing.
    pub fn times(self, n: u32) -> Cents {
        Cents(self.0.saturating_mul(i64::from(n)))
    }

    /// Formats as dollars for people: `$12.34`, `-$0.50`.
    pub fn display_usd(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}${}.{:02}", abs / 100, abs % 100)
    }
}

/// `amount × numerator / denominator`, rounded half away from zero, computed in 128 bits and
/// saturated to the range of cents: never an overflow, whatever the amount.
fn scaled(amount: i64, numerator: u32, denominator: i64) -> Cents {
    let n = i128::from(amount) * i128::from(numerator);
    let d = i128::from(denominator);
    let (q, r) = (n / d, n % d);
    let rounded = if 2 * r.abs() >= d { q + n.signum() } else { q };
    Cents(i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX }))
}

/// Sums and differences saturate: money arithmetic never overflows (in debug builds it would
/// panic, in release wrap around to a negative total).
impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::Sub for Cents {
    type Output = Cents;
    fn sub(self, rhs: Cents) -> Cents {
        Cents(self.0.saturating_sub(rhs.0))
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, |total, c| total + c)
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
    fn arithmetic_saturates_instead_of_overflowing() {
        let huge = Cents(i64::MAX / 2);
        assert_eq!(huge.times(99), Cents(i64::MAX));
        assert_eq!(huge + huge + huge, Cents(i64::MAX));
        assert_eq!(Cents(i64::MIN) - Cents(1), Cents(i64::MIN));
        assert_eq!([huge, huge, huge].into_iter().sum::<Cents>(), Cents(i64::MAX));
        assert_eq!(Cents(i64::MAX).percent(50), Cents(i64::MAX / 2 + 1));
        assert_eq!(Cents(i64::MAX).basis_points(10_000), Cents(i64::MAX));
        assert_eq!(Cents(i64::MAX).display_usd(), "$92233720368547758.07");
    }

    #[test]
    fn displays_dollars() {
        assert_eq!(Cents(1234).display_usd(), "$12.34");
        assert_eq!(Cents(5).display_usd(), "$0.05");
        assert_eq!(Cents(-50).display_usd(), "-$0.50");
    }
}
