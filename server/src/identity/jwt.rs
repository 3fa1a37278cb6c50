//! The external issuer's JWT access tokens (`OAUTH_ISSUER`): signature by one of the issuer's
//! published keys ([`super::jwks`]), an algorithm from the allow-list (`OAUTH_ALGORITHMS`,
//! asymmetric only), `iss` = the issuer, `aud` = the resource, `exp` and `nbf` against our clock
//! (30 s leeway), and a claim (`OAUTH_ACCOUNT_CLAIM`, `email` by default) naming an account of
//! the accounts file. Scopes come from `scope` (space-separated, RFC 9068) or `scp`.
//!
//! A token that passed is remembered (by its SHA-256 with the resource) for at most
//! [`VERIFIED_FOR`] and never past its `exp`, so a shopper's next calls skip the signature check;
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
use sha2::{Digest, Sha256};
use shared::auth::Scope;

use super::accounts::Accounts;
use super::jwks::{JwksCache, JwksError, Lookup};
use super::token::{AccessClaims, TokenError, TokenVerifier};
use crate::config::Config;

/// Clock skew tolerated between the issuer and us on `exp` and `nbf`.
pub const LEEWAY: chrono::Duration = chrono::Duration::seconds(30);
/// How long a verified token is remembered.
pub const VERIFIED_FOR: Duration = Duration::from_secs(300);
/// Most verified tokens remembered at once.
const VERIFIED_CAPACITY: u64 = 10_000;

/// The claims we read; the account claim is looked up among the rest.
#[derive(Deserialize)]
struct JwtClaims {
    exp: i64,
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
    verified: moka::future::Cache<[u8; 32], Arc<AccessClaims>>,
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
            verified: moka::future::Cache::builder().max_capacity(VERIFIED_CAPACITY).time_to_live(VERIFIED_FOR).build(),
        })
    }

    fn cache_key(token: &str, resource: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(resource.as_bytes());
        hash.update([0]);
        hash.update(token.as_bytes());
        hash.finalize().into()
    }

    async fn check(&self, token: &str, resource: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
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
        validation.set_audience(&[resource]);
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
        let name = claims.rest.get(&self.account_claim).and_then(|v| v.as_str()).ok_or(TokenError::UnknownAccount)?;
        let account = self.accounts.user(name).ok_or(TokenError::UnknownAccount)?;
        let scopes = match (&claims.scope, &claims.scp) {
            (Some(spaced), _) | (None, Some(ScopeList::Spaced(spaced))) => parse_scopes(spaced.split_whitespace()),
            (None, Some(ScopeList::List(list))) => parse_scopes(list.iter().map(String::as_str)),
            (None, None) => BTreeSet::new(),
        };
        Ok(AccessClaims { account, scopes, client_id: claims.client_id.or(claims.azp), expires_at })
    }
}

/// The scopes we know; others (e.g. `openid`, `profile`) are the issuer's business.
fn parse_scopes<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<Scope> {
    names.filter_map(|n| n.parse().ok()).collect()
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str, resource: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let key = Self::cache_key(token, resource);
        if let Some(claims) = self.verified.get(&key).await {
            return if claims.expires_at + LEEWAY <= now { Err(TokenError::Expired) } else { Ok((*claims).clone()) };
        }
        let claims = self.check(token, resource, now).await?;
        self.verified.insert(key, Arc::new(claims.clone())).await;
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_either_claim_and_unknown_ones_ignored() {
        let spaced = parse_scopes("openid cart orders".split_whitespace());
        assert_eq!(spaced, BTreeSet::from([Scope::Cart, Scope::Orders]));
        let claims: JwtClaims = serde_json::from_str(r#"{"exp":1,"scp":["membership","x"],"email":"a@b.co"}"#).unwrap();
        let Some(ScopeList::List(list)) = &claims.scp else { panic!("a list") };
        assert_eq!(parse_scopes(list.iter().map(String::as_str)), BTreeSet::from([Scope::Membership]));
        assert_eq!(claims.rest.get("email").and_then(|v| v.as_str()), Some("a@b.co"));
    }
}
