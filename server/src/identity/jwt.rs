//! The external issuer's JWT access tokens (`OAUTH_ISSUER`): signature by one of the issuer's
//! published keys ([`super::jwks`]), an algorithm from the allow-list (`OAUTH_ALGORITHMS`,
//! asymmetric only), `iss` = the issuer, `aud` = the resource, `exp` and `nbf` against our clock
//! (30 s leeway), and a claim (`OAUTH_ACCOUNT_CLAIM`, `email` by default) naming an account of
//! the accounts file. Scopes come from `scope` (space-separated, RFC 9068) or `scp`.
//!
//! A token whose signature and issuer passed is remembered (the whole token, an exact match, with
//! its audiences and claims) for at most [`VERIFIED_FOR`] and never past its `exp`, so a shopper's
//! next calls skip the signature check (the audience is checked on every call, against the
//! remembered `aud`);
//! JWTs cannot be revoked before they expire anyway, and a key the issuer withdraws stops
//! working within that time.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use shared::auth::Scope;

use super::accounts::Accounts;
use super::jwks::{JwksCache, JwksError, Lookup};
use super::token::{AccessClaims, TokenError, TokenVerifier};
use crate::config::Config;

/// Clock skew tolerated between the issuer and us on `exp` and `nbf`.
pub const LEEWAY: chrono::Duration = chrono::Duration::seconds(30);
/// How long a verified token is remembered.
pub const VERIFIED_FOR: Duration = Duration::from_secs(300);
/// How many bytes of verified tokens are remembered at once (each entry weighs its token plus
/// [`ENTRY_OVERHEAD`]): about 10,000 tokens of a typical issuer's size.
const VERIFIED_CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// What an entry's claims and bookkeeping weigh besides its key, roughly.
const ENTRY_OVERHEAD: u32 = 256;

/// The claims we read; the account claim is looked up among the rest.
#[derive(Deserialize)]
struct JwtClaims {
    exp: i64,
    aud: OneOrMany,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<ScopeList>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// `aud`: one string or a list (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// A token whose signature, issuer and account checked out: for which resources, with what.
struct Verified {
    audiences: Vec<String>,
    claims: Arc<AccessClaims>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeList {
    Spaced(String),
    List(Vec<String>),
}

/// [`TokenVerifier`] for an external issuer's JWTs.
pub struct JwtVerifier {
    keys: JwksCache,
    algorithms: Vec<Algorithm>,
    account_claim: String,
    accounts: Accounts,
    /// Token → what it was verified to carry.
    verified: moka::future::Cache<Box<str>, Arc<Verified>, foldhash::fast::RandomState>,
}

impl JwtVerifier {
    pub fn from_config(config: &Config, issuer: &url::Url, accounts: Accounts) -> Result<Self, JwksError> {
        let keys = JwksCache::new(
            issuer,
            Duration::from_secs(config.oauth_jwks_min_refresh_secs),
            Duration::from_secs(config.oauth_jwks_max_age_secs),
        )?;
        Ok(JwtVerifier {
            keys,
            algorithms: config.oauth_algorithms.clone(),
            account_claim: config.oauth_account_claim.clone(),
            accounts,
            verified: moka::future::Cache::<Box<str>, Arc<Verified>, _>::builder()
                .max_capacity(VERIFIED_CAPACITY_BYTES)
                .weigher(|key, _| u32::try_from(key.len()).unwrap_or(u32::MAX).saturating_add(ENTRY_OVERHEAD))
                .time_to_live(VERIFIED_FOR)
                .build_with_hasher(foldhash::fast::RandomState::default()),
        })
    }

    /// The signature, algorithm, issuer, time and account; the audience is the caller's to check.
    async fn check(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if !self.algorithms.contains(&header.alg) {
            return Err(TokenError::Untrusted(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = match self.keys.key(header.kid.as_deref(), now).await {
            Ok(Lookup::Found(key)) => key,
            Ok(Lookup::Unknown) => {
                return Err(TokenError::Untrusted("signed with a key the issuer does not publish".into()));
            }
            Err(error) => return Err(TokenError::Unavailable(error.to_string())),
        };
        if key.algorithm.is_some_and(|pinned| pinned != header.alg) {
            return Err(TokenError::Untrusted("the key is meant for another algorithm".into()));
        }
        let mut validation = Validation::new(header.alg);
        // Time is checked below against our (injectable) clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let issuer = self.keys.issuer();
        validation.set_issuer(&[issuer.to_owned(), format!("{issuer}/")]);
        // `aud` must be there; which resource it names is checked per call, against the cache.
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<JwtClaims>(token, &key.key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                    TokenError::Malformed
                }
                ErrorKind::MissingRequiredClaim(claim) => TokenError::Untrusted(format!("no {claim} claim")),
                ErrorKind::InvalidIssuer => TokenError::Untrusted("issued by someone else".into()),
                other => TokenError::Untrusted(format!("{other:?}")),
            })?
            .claims;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Malformed)?;
        if expires_at + LEEWAY <= now {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.nbf {
            let not_before = DateTime::from_timestamp(nbf, 0).ok_or(TokenError::Malformed)?;
            if not_before - LEEWAY > now {
                return Err(TokenError::Untrusted("not valid yet (nbf)".into()));
            }
        }
        let claims_aud = claims.aud.into_vec();
        let name = claims.rest.get(&self.account_claim).and_then(|v| v.as_str()).ok_or(TokenError::UnknownAccount)?;
        let account = self.accounts.user(name).ok_or(TokenError::UnknownAccount)?;
        let scopes = match (&claims.scope, &claims.scp) {
            (Some(spaced), _) | (None, Some(ScopeList::Spaced(spaced))) => parse_scopes(spaced.split_whitespace()),
            (None, Some(ScopeList::List(list))) => parse_scopes(list.iter().map(String::as_str)),
            (None, None) => BTreeSet::new(),
        };
        let claims = AccessClaims { account, scopes, client_id: claims.client_id.or(claims.azp), expires_at };
        Ok(Verified { audiences: claims_aud, claims: Arc::new(claims) })
    }
}

/// The scopes we know; others (e.g. `openid`, `profile`) are the issuer's business.
fn parse_scopes<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<Scope> {
    names.filter_map(|n| n.parse().ok()).collect()
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str, resource: &str, now: DateTime<Utc>) -> Result<Arc<AccessClaims>, TokenError> {
        let verified = match self.verified.get(token).await {
            Some(verified) => verified,
            None => {
                let verified = Arc::new(self.check(token, now).await?);
                self.verified.insert(token.into(), verified.clone()).await;
                verified
            }
        };
        if !verified.audiences.iter().any(|aud| aud == resource) {
            return Err(TokenError::WrongAudience);
        }
        if verified.claims.expires_at + LEEWAY <= now {
            return Err(TokenError::Expired);
        }
        Ok(verified.claims.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_either_claim_and_unknown_ones_ignored() {
        let spaced = parse_scopes("openid cart orders".split_whitespace());
        assert_eq!(spaced, BTreeSet::from([Scope::Cart, Scope::Orders]));
        let claims: JwtClaims = serde_json::from_str(
            r#"{"exp":1,"aud":["https://a/mcp","https://b/mcp"],"scp":["membership","x"],"email":"a@b.co"}"#,
        )
        .unwrap();
        let Some(ScopeList::List(list)) = &claims.scp else { panic!("a list") };
        assert_eq!(parse_scopes(list.iter().map(String::as_str)), BTreeSet::from([Scope::Membership]));
        assert_eq!(claims.rest.get("email").and_then(|v| v.as_str()), Some("a@b.co"));
        assert_eq!(claims.aud.into_vec(), ["https://a/mcp", "https://b/mcp"], "aud as a list");
        let one: JwtClaims = serde_json::from_str(r#"{"exp":1,"aud":"https://a/mcp"}"#).unwrap();
        assert_eq!(one.aud.into_vec(), ["https://a/mcp"], "aud as one string");
    }
}
