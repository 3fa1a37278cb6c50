//! Canonical JSON (the body's identity for idempotency and signatures) and HMAC-SHA256 signing.
//!
//! Canonical form: object keys sorted by their bytes, no whitespace, strings as
//! serde_json writes them, numbers with an integral value written as integers (`1.0` is `1`).
//! It is RFC 8785 for the bodies ACP uses (no floats beyond integers, ASCII keys).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The canonical text of a JSON value.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => out.push_str(&format!("{}", f as i64)),
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// SHA-256 of the canonical text, hex: the fingerprint idempotency compares.
pub fn fingerprint(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn mac(key: &str, message: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    for part in message {
        mac.update(part);
    }
    mac
}

/// The `Signature` of a request: base64url (no padding) of HMAC-SHA256(key, `<timestamp>.<canonical body>`).
pub fn sign_request(key: &str, timestamp: &str, canonical_body: &str) -> String {
    let tag = mac(key, &[timestamp.as_bytes(), b".", canonical_body.as_bytes()]).finalize().into_bytes();
    URL_SAFE_NO_PAD.encode(tag)
}

/// Whether `signature` is the request's signature (constant-time comparison).
pub fn verify_request(key: &str, timestamp: &str, canonical_body: &str, signature: &str) -> bool {
    let Ok(given) = URL_SAFE_NO_PAD.decode(signature.trim_end_matches('=')) else {
        return false;
    };
    mac(key, &[timestamp.as_bytes(), b".", canonical_body.as_bytes()]).verify_slice(&given).is_ok()
}

/// The `Merchant-Signature` of a webhook: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn sign_webhook(secret: &str, unix_seconds: i64, body: &str) -> String {
    let t = unix_seconds.to_string();
    let tag = mac(secret, &[t.as_bytes(), b".", body.as_bytes()]).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_ignores_key_order_and_integral_decimals_but_not_arrays_or_null() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "é\"q"}});
        let b: Value = serde_json::from_str(r#"{"a":{"x":"é\"q","y":[1.0,2]},"b":1.0}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":{"x":"é\"q","y":[1,2]},"b":1}"#);
        assert_ne!(canonical(&json!({"a": [1, 2]})), canonical(&json!({"a": [2, 1]})), "arrays keep order");
        assert_ne!(canonical(&json!({"a": null})), canonical(&json!({})), "null is not absent");
        assert_eq!(canonical(&json!({"p": 1.5})), r#"{"p":1.5}"#);
    }

    #[test]
    fn request_signatures_verify_only_with_the_same_key_time_and_body() {
        let sig = sign_request("k1", "2026-11-25T12:00:00Z", "{}");
        assert!(verify_request("k1", "2026-11-25T12:00:00Z", "{}", &sig));
        assert!(!verify_request("k2", "2026-11-25T12:00:00Z", "{}", &sig));
        assert!(!verify_request("k1", "2026-11-25T12:00:01Z", "{}", &sig));
        assert!(!verify_request("k1", "2026-11-25T12:00:00Z", "{\"a\":1}", &sig));
        assert!(!verify_request("k1", "2026-11-25T12:00:00Z", "{}", "not base64!"));
    }

    #[test]
    fn webhook_signatures_have_the_spec_format() {
        let header = sign_webhook("whsec", 1_709_123_456, "{}");
        let (t, v1) = header.split_once(",v1=").unwrap();
        assert_eq!(t, "t=1709123456");
        assert_eq!(v1.len(), 64);
        assert!(v1.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
