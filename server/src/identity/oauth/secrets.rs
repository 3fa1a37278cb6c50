//! The secrets the authorization server hands out, and PKCE.
//!
//! A code or token is `<kind>_<grant id>_<secret>`: the kind (`tc` code, `ta` access token, `tr`
//! refresh token), the grant's id (32 hex digits, not secret: it lets the store find the grant
//! in one lookup), and 256 random bits (64 hex digits). The store keeps only the SHA-256 of the
//! whole string ([`SecretHash`]). Anything else is malformed and found nowhere.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::store::oauth::{GrantId, SecretHash};

/// What a secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Code,
    Access,
    Refresh,
}

impl Kind {
    const fn prefix(self) -> &'static str {
        match self {
            Kind::Code => "tc",
            Kind::Access => "ta",
            Kind::Refresh => "tr",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Kind> {
        [Kind::Code, Kind::Access, Kind::Refresh].into_iter().find(|k| k.prefix() == prefix)
    }
}

/// 256 random bits as 64 hex digits.
pub fn random_hex() -> String {
    format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>())
}

/// A fresh secret of `kind` for the grant `id`.
pub fn issue(kind: Kind, id: &GrantId) -> String {
    format!("{}_{}_{}", kind.prefix(), id, random_hex())
}

/// A secret of this server, split: its kind, its grant, and the hash to look it up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub kind: Kind,
    pub grant: GrantId,
    pub hash: SecretHash,
}

/// `None` unless `secret` has the form [`issue`] gives.
pub fn parse(secret: &str) -> Option<Parsed> {
    let mut parts = secret.split('_');
    let (kind, grant, random) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || random.len() != 64 || !random.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Some(Parsed { kind: Kind::from_prefix(kind)?, grant: GrantId::parse(grant)?, hash: SecretHash::of(secret) })
}

/// Whether `verifier` (RFC 7636: 43 to 128 of `[A-Za-z0-9-._~]`) hashes to the S256 `challenge`.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && constant_time_eq(
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

/// Whether `challenge` can be an S256 challenge (43 base64url characters: a SHA-256).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Compares without stopping at the first difference (for client secrets and PKCE).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_parse_back_to_their_kind_and_grant() {
        let id = GrantId::random();
        let token = issue(Kind::Access, &id);
        let parsed = parse(&token).expect("parses");
        assert_eq!(parsed, Parsed { kind: Kind::Access, grant: id.clone(), hash: SecretHash::of(&token) });
        assert_ne!(issue(Kind::Access, &id), token, "random part");
        assert_eq!(parse(&issue(Kind::Refresh, &id)).map(|p| p.kind), Some(Kind::Refresh));
        for bad in [
            "",
            "ta",
            "ta__",
            &token.replace("ta_", "tx_"),
            &format!("{token}_x"),
            &token[..token.len() - 1],
            &token.to_uppercase(),
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge));
        assert!(!pkce_matches("short", challenge));
        assert!(!pkce_matches(challenge, challenge), "plain is not accepted");
    }
}
