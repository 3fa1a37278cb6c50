//! An external issuer's signing keys: found through its metadata (RFC 8414
//! `/.well-known/oauth-authorization-server`, else OpenID `/.well-known/openid-configuration`),
//! fetched from its `jwks_uri`, kept for `OAUTH_JWKS_MAX_AGE_SECS`, and fetched again early when
//! a token names a key id we do not know (a key rotation), at most once per
//! `OAUTH_JWKS_MIN_REFRESH_SECS` so forged key ids cannot make us hammer the issuer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// How long one fetch (metadata or keys) may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata or key set we read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the issuer URL {0} is neither https nor on a loopback host")]
    InsecureUrl(String),
    #[error("cannot fetch {url}: {detail}")]
    Fetch { url: String, detail: String },
    #[error("{url} is not the expected document: {detail}")]
    Invalid { url: String, detail: String },
}

/// One usable public key.
#[derive(Clone)]
pub struct SigningKey {
    pub key: Arc<DecodingKey>,
    /// The algorithm the key is pinned to, when the key set says.
    pub algorithm: Option<Algorithm>,
}

#[derive(Default)]
struct Loaded {
    by_kid: HashMap<String, SigningKey>,
    /// Keys without a `kid` (usable only when the token names none).
    unnamed: Vec<SigningKey>,
    fetched_at: Option<DateTime<Utc>>,
}

/// What [`JwksCache::key`] found.
pub enum Lookup {
    Found(SigningKey),
    /// No such key, even after a fetch (or a fetch was not allowed yet).
    Unknown,
}

/// The issuer's keys, shared by every request.
pub struct JwksCache {
    issuer: String,
    client: reqwest::Client,
    min_refresh: chrono::Duration,
    max_age: chrono::Duration,
    loaded: RwLock<Loaded>,
    /// One fetch at a time; requests that wait for it then read its result.
    fetching: tokio::sync::Mutex<()>,
}

/// Whether `url` may be fetched: https, or http on a loopback host (local development, tests).
pub fn check_url(url: &url::Url) -> Result<(), JwksError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(JwksError::InsecureUrl(url.to_string()))
    }
}

/// The metadata URLs to try for `issuer`: RFC 8414 §3.1 (the well-known segment inserted before
/// the issuer's path), then OpenID Connect Discovery (appended).
pub fn metadata_urls(issuer: &url::Url) -> Vec<url::Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut origin = issuer.clone();
    origin.set_query(None);
    origin.set_fragment(None);
    let mut urls = Vec::new();
    for candidate in
        [format!("/.well-known/oauth-authorization-server{path}"), format!("{path}/.well-known/openid-configuration")]
    {
        let mut url = origin.clone();
        url.set_path(&candidate);
        urls.push(url);
    }
    urls
}

#[derive(Deserialize)]
struct IssuerMetadata {
    issuer: String,
    jwks_uri: Option<String>,
}

impl JwksCache {
    pub fn new(issuer: &url::Url, min_refresh: Duration, max_age: Duration) -> Result<Self, JwksError> {
        check_url(issuer)?;
        ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("target-mcp-server/", env!("CARGO_PKG_VERSION")))
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| JwksError::Fetch { url: issuer.to_string(), detail: e.to_string() })?;
        let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Ok(JwksCache {
            issuer: issuer.as_str().trim_end_matches('/').to_owned(),
            client,
            min_refresh: span(min_refresh),
            max_age: span(max_age),
            loaded: RwLock::new(Loaded::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The issuer as its tokens name it (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, kid: Option<&str>) -> Option<SigningKey> {
        let loaded = self.read();
        match kid {
            Some(kid) => loaded.by_kid.get(kid).cloned(),
            None if loaded.by_kid.len() + loaded.unnamed.len() == 1 => {
                loaded.by_kid.values().chain(loaded.unnamed.iter()).next().cloned()
            }
            None => None,
        }
    }

    fn fetched_at(&self) -> Option<DateTime<Utc>> {
        self.read().fetched_at
    }

    /// The key `kid` names. Fetches the keys when none are loaded yet or they are older than the
    /// max age, and again for an unknown `kid` when the last fetch is old enough. A failed fetch
    /// keeps the keys we had; with none at all it is an error (the token cannot be checked).
    pub async fn key(&self, kid: Option<&str>, now: DateTime<Utc>) -> Result<Lookup, JwksError> {
        let stale = |fetched: Option<DateTime<Utc>>| fetched.is_none_or(|at| now - at >= self.max_age);
        if !stale(self.fetched_at())
            && let Some(key) = self.find(kid)
        {
            return Ok(Lookup::Found(key));
        }
        let may_refresh =
            |fetched: Option<DateTime<Utc>>| stale(fetched) || fetched.is_some_and(|at| now - at >= self.min_refresh);
        if may_refresh(self.fetched_at()) {
            let _one_at_a_time = self.fetching.lock().await;
            // Another request may have fetched while this one waited.
            if may_refresh(self.fetched_at()) && (stale(self.fetched_at()) || self.find(kid).is_none()) {
                match self.fetch().await {
                    Ok(fresh) => {
                        let (named, unnamed) = (fresh.by_kid.len(), fresh.unnamed.len());
                        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) =
                            Loaded { fetched_at: Some(now), ..fresh };
                        tracing::info!(issuer = %self.issuer, keys = named + unnamed, "fetched the issuer's signing keys");
                    }
                    Err(error) if self.fetched_at().is_some() => {
                        tracing::warn!(issuer = %self.issuer, %error, "could not refresh the issuer's keys; keeping the old ones");
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(self.find(kid).map_or(Lookup::Unknown, Lookup::Found))
    }

    async fn fetch(&self) -> Result<Loaded, JwksError> {
        let issuer = url::Url::parse(&self.issuer)
            .map_err(|e| JwksError::Invalid { url: self.issuer.clone(), detail: e.to_string() })?;
        let mut last_error = None;
        let mut jwks_uri = None;
        for url in metadata_urls(&issuer) {
            match self.get_json::<IssuerMetadata>(&url).await {
                Ok(meta) if meta.issuer.trim_end_matches('/') != self.issuer => {
                    // RFC 8414 §3.3: the metadata must name the issuer it was fetched for.
                    return Err(JwksError::Invalid {
                        url: url.to_string(),
                        detail: format!("it names issuer {:?}", meta.issuer),
                    });
                }
                Ok(meta) => {
                    jwks_uri = meta.jwks_uri;
                    if jwks_uri.is_some() {
                        break;
                    }
                    last_error = Some(JwksError::Invalid { url: url.to_string(), detail: "it has no jwks_uri".into() });
                }
                Err(error) => last_error = Some(error),
            }
        }
        let Some(jwks_uri) = jwks_uri else {
            return Err(
                last_error.unwrap_or(JwksError::Invalid { url: self.issuer.clone(), detail: "no metadata".into() })
            );
        };
        let jwks_uri = url::Url::parse(&jwks_uri)
            .map_err(|e| JwksError::Invalid { url: jwks_uri.clone(), detail: format!("jwks_uri: {e}") })?;
        check_url(&jwks_uri)?;
        let set: JwkSet = self.get_json(&jwks_uri).await?;
        let mut loaded = Loaded::default();
        for jwk in &set.keys {
            if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
                continue;
            }
            if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                continue; // a shared secret has no place in a public key set
            }
            let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
            let algorithm = jwk.common.key_algorithm.and_then(signing_algorithm);
            let key = SigningKey { key: Arc::new(key), algorithm };
            match &jwk.common.key_id {
                Some(kid) => {
                    loaded.by_kid.insert(kid.clone(), key);
                }
                None => loaded.unnamed.push(key),
            }
        }
        Ok(loaded)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &url::Url) -> Result<T, JwksError> {
        let fetch_error = |detail: String| JwksError::Fetch { url: url.to_string(), detail };
        let mut response = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fetch_error(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(fetch_error(format!("HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fetch_error(e.without_url().to_string()))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(fetch_error(format!("larger than {MAX_DOCUMENT_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| JwksError::Invalid { url: url.to_string(), detail: e.to_string() })
    }
}

/// The signature algorithm a JWK's `alg` names (encryption algorithms name none).
fn signing_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    use KeyAlgorithm as K;
    Some(match alg {
        K::HS256 => Algorithm::HS256,
        K::HS384 => Algorithm::HS384,
        K::HS512 => Algorithm::HS512,
        K::ES256 => Algorithm::ES256,
        K::ES384 => Algorithm::ES384,
        K::RS256 => Algorithm::RS256,
        K::RS384 => Algorithm::RS384,
        K::RS512 => Algorithm::RS512,
        K::PS256 => Algorithm::PS256,
        K::PS384 => Algorithm::PS384,
        K::PS512 => Algorithm::PS512,
        K::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// reqwest built with `rustls-no-provider` needs a rustls crypto provider installed before it
/// builds a client; the binary installs ring at start, this covers tests.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_looked_for_where_rfc_8414_and_openid_put_it() {
        let urls = |issuer: &str| -> Vec<String> {
            metadata_urls(&url::Url::parse(issuer).expect("url")).iter().map(|u| u.to_string()).collect()
        };
        assert_eq!(
            urls("https://login.example.com"),
            [
                "https://login.example.com/.well-known/oauth-authorization-server",
                "https://login.example.com/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            urls("https://login.example.com/tenant/"),
            [
                "https://login.example.com/.well-known/oauth-authorization-server/tenant",
                "https://login.example.com/tenant/.well-known/openid-configuration"
            ]
        );
    }

    #[test]
    fn only_https_or_loopback_issuers() {
        let ok = |u: &str| check_url(&url::Url::parse(u).expect("url")).is_ok();
        assert!(ok("https://login.example.com"));
        assert!(ok("http://127.0.0.1:9000"));
        assert!(ok("http://localhost:9000/x"));
        assert!(!ok("http://login.example.com"));
        assert!(!ok("ftp://127.0.0.1"));
    }
}
