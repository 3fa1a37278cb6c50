//! A shopper's home: where the Redis store keeps a session and everything that changes with it in
//! one step (its cart, the orders placed from it, their idempotency keys), so that a Redis Cluster
//! serves every such step from one slot.
//!
//! A home is a number from 0 to 9999. Ids carry it, so a key can be named from an id alone:
//! - a session id's home is its first four hex digits modulo 10,000 (a sign-in's new id keeps
//!   them: [`Home::renewed_session_id`]);
//! - an order number's home is its first four digits (`TGT-1234…`): [`Home::new_order_id`];
//! - everything of the Agentic Commerce Protocol (checkouts, its orders, the webhook outbox and
//!   the refund queue, which its scripts change together) lives in [`Home::ACP`].
//!
//! In Redis keys a home is the hash tag `{1234}`.

use rand::Rng;
use shared::ids::{OrderId, SESSION_HEX_DIGITS, SESSION_PREFIX, SessionId};

/// See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Home(u16);

/// How many homes there are: four decimal digits, so an order number can show its home.
const HOMES: u16 = 10_000;
/// Random digits after the home in an order number (12 in all).
const ORDER_RANDOM_DIGITS: u32 = 8;

impl Home {
    /// The home of every ACP key.
    pub const ACP: Home = Home(0);

    /// The home of a session.
    pub fn of_session(id: &SessionId) -> Home {
        let hex = &id.as_str()[SESSION_PREFIX.len()..][..4];
        Home(u16::from_str_radix(hex, 16).map_or(0, |n| n % HOMES))
    }

    /// The home of an order, from its number's first four digits.
    pub fn of_order(id: &OrderId) -> Home {
        let digits = &id.as_str()["TGT-".len()..][..4];
        Home(digits.parse().unwrap_or(0))
    }

    /// A fresh order number in this home: `TGT-`, the home's four digits, eight random ones.
    pub fn new_order_id(self) -> OrderId {
        let n: u32 = rand::rng().random_range(0..10u32.pow(ORDER_RANDOM_DIGITS));
        OrderId::parse(format!("TGT-{:04}{n:08}", self.0)).expect("12 digits after TGT- is a valid order number")
    }

    /// A fresh session id in the home of `old` (a sign-in's new id): the first four hex digits of
    /// `old`, then 112 bits from the operating system's CSPRNG (via `rand`'s thread RNG).
    pub fn renewed_session_id(old: &SessionId) -> SessionId {
        let kept = &old.as_str()[SESSION_PREFIX.len()..][..4];
        let bits: u128 = rand::rng().random::<u128>() >> 16;
        let id = format!("{SESSION_PREFIX}{kept}{bits:0width$x}", width = SESSION_HEX_DIGITS - 4);
        SessionId::parse(id).expect("the generated id has the documented format")
    }

    /// The Redis hash tag: `{1234}`.
    pub fn tag(self) -> String {
        format!("{{{:04}}}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(hex: &str) -> SessionId {
        SessionId::parse(format!("sess_{hex}")).unwrap()
    }

    #[test]
    fn a_session_home_is_its_first_four_hex_digits_modulo_ten_thousand() {
        assert_eq!(Home::of_session(&sid("0000ffffffffffffffffffffffffffff")), Home(0));
        assert_eq!(Home::of_session(&sid("04d2ffffffffffffffffffffffffffff")), Home(1234));
        assert_eq!(Home::of_session(&sid("ffff0000000000000000000000000000")), Home(65_535 % 10_000));
        assert_eq!(Home(5535).tag(), "{5535}");
        assert_eq!(Home(7).tag(), "{0007}");
    }

    #[test]
    fn order_numbers_and_renewed_ids_stay_home() {
        for _ in 0..200 {
            let old = crate::identity::sessions::new_session_id();
            let home = Home::of_session(&old);
            let renewed = Home::renewed_session_id(&old);
            assert_ne!(renewed, old);
            assert_eq!(Home::of_session(&renewed), home, "{old} -> {renewed}");
            let order = home.new_order_id();
            assert_eq!(Home::of_order(&order), home, "{order} for {old}");
        }
        assert_eq!(Home::of_order(&OrderId::parse("TGT-123456789012").unwrap()), Home(1234));
        assert_eq!(Home::ACP.new_order_id().as_str().get(..8), Some("TGT-0000"));
    }

    #[test]
    fn renewed_ids_keep_112_random_bits() {
        let old = sid("abcd0000000000000000000000000000");
        let a = Home::renewed_session_id(&old);
        let b = Home::renewed_session_id(&old);
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("sess_abcd"));
    }
}
