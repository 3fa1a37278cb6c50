//! Identifiers as newtypes. Each one checks its format when it is deserialized, so a tool handler
//! never sees a malformed id, and advertises that format as a `pattern` in its JSON Schema.

use serde::{Deserialize, Serialize};

use crate::InputError;

macro_rules! validated_id {
    ($(#[$doc:meta])* $name:ident, $pattern:literal, $check:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The pattern every value matches, as advertised in the JSON Schema.
            pub const PATTERN: &'static str = $pattern;

            pub fn parse(value: impl Into<String>) -> Result<Self, InputError> {
                let value = value.into();
                let check: fn(&str) -> bool = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(InputError(format!(
                        concat!("{:?} is not a valid ", $what),
                        truncate_for_message(&value)
                    )))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InputError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InputError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": $what,
                })
            }
        }
    };
}

/// Shortens untrusted input before it is echoed in an error message.
fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// The prefix that makes session ids readable in logs and support tickets.
pub const SESSION_PREFIX: &str = "sess_";
/// Hex digits after the prefix: 32 digits carry 128 random bits.
pub const SESSION_HEX_DIGITS: usize = 32;

validated_id!(
    /// A shopper's session: `sess_` followed by 32 lowercase hex digits (128 random bits).
    SessionId,
    "^sess_[0-9a-f]{32}$",
    |s| s.strip_prefix(SESSION_PREFIX).is_some_and(|hex| {
        hex.len() == SESSION_HEX_DIGITS && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }),
    "session id (expected sess_ followed by 32 hex digits)"
);

validated_id!(
    /// A Target product id (TCIN): 6 to 12 digits.
    ProductId,
    "^[0-9]{6,12}$",
    |s| (6..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
    "product id (a Target TCIN of 6 to 12 digits)"
);

validated_id!(
    /// A client-chosen key that makes `checkout` safe to retry: 8 to 128 characters of
    /// letters, digits, `-`, `_`, `.` or `:`.
    IdempotencyKey,
    "^[A-Za-z0-9_.:-]{8,128}$",
    |s| (8..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')),
    "idempotency key (8 to 128 letters, digits, '-', '_', '.' or ':')"
);

validated_id!(
    /// An order number as shown to the shopper: `TGT-` followed by 12 digits.
    OrderId,
    "^TGT-[0-9]{12}$",
    |s| s.strip_prefix("TGT-").is_some_and(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit())),
    "order number"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_checked_in_format() {
        assert!(SessionId::parse("sess_0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "sess_",
            "sess_0123456789ABCDEF0123456789abcdef",
            "sess_0123456789abcdef0123456789abcde",
            "sess_0123456789abcdef0123456789abcdef0",
            "cart_0123456789abcdef0123456789abcdef",
            "sess_0123456789abcdef0123456789abcdeg",
        ] {
            assert!(SessionId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ids_refuse_malformed_json() {
        let err = serde_json::from_str::<ProductId>("\"12ab5678\"").unwrap_err();
        assert!(err.to_string().contains("not a valid product id"), "{err}");
        assert_eq!(serde_json::from_str::<ProductId>("\"81234567\"").unwrap().as_str(), "81234567");
    }

    #[test]
    fn error_messages_do_not_echo_huge_input() {
        let huge = "x".repeat(10_000);
        let err = IdempotencyKey::parse(huge).unwrap_err();
        assert!(err.0.len() < 200, "{}", err.0);
    }

    #[test]
    fn idempotency_keys_and_order_ids() {
        assert!(IdempotencyKey::parse("order-2026-11-25:abc").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
        assert!(OrderId::parse("TGT-123456789012").is_ok());
        assert!(OrderId::parse("TGT-12345").is_err());
    }
}
