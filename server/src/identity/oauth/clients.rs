//! OAuth clients: who may ask a shopper to link their account, and where codes may be sent.
//!
//! Three kinds, looked up by `client_id` in this order:
//! - the one predefined client of the configuration (`OAUTH_CLIENT_ID`, e.g. entered in
//!   ChatGPT's app settings), public or with a secret;
//! - a Client ID Metadata Document: a `client_id` that is an https URL is fetched (`cimd.rs`);
//! - a dynamically registered client (RFC 7591, `register.rs`), stored in the `Store`; it expires
//!   after `OAUTH_CLIENT_IDLE_DAYS` without use, and every lookup (authorize, token, revoke)
//!   starts that count again (Redis: the key's TTL; memory: the record's expiry).
//!
//! Every client is public (PKCE, no secret) except a predefined client given a secret. Redirect
//! URIs are https, or http on a loopback host; they match exactly, except that a loopback
//! redirect URI matches on any port (RFC 8252 §7.3, native apps pick a free port).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cimd::{CimdError, CimdFetcher};
use super::secrets::constant_time_eq;
use crate::config::OAuthServerConfig;
use crate::store::oauth::{RecordKind, SecretHash};
use crate::store::{Store, StoreError};

/// Longest client name kept (longer ones are cut).
pub const MAX_CLIENT_NAME_CHARS: usize = 100;
/// Most redirect URIs one client may have.
pub const MAX_REDIRECT_URIS: usize = 10;
const MAX_REDIRECT_URI_BYTES: usize = 2000;

/// Where a client's description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClientKind {
    Predefined,
    MetadataDocument,
    Registered,
}

/// A client as the authorization server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub client_id: String,
    pub kind: ClientKind,
    /// The name it gave itself (unverified: shown as text, never as markup).
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Only a predefined client may have a secret; the hash of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<SecretHash>,
    pub created_at: Option<DateTime<Utc>>,
}

impl Client {
    /// The name shown on the sign-in page: its own, else the host its codes go to.
    pub fn display_name(&self, redirect_uri: &str) -> String {
        self.client_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| host_of(redirect_uri))
    }

    /// Whether `uri` is one of this client's redirect URIs (loopback: on any port).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        let Ok(wanted) = url::Url::parse(uri) else { return false };
        self.redirect_uris.iter().any(|registered| {
            if registered == uri {
                return true;
            }
            let Ok(mut registered) = url::Url::parse(registered) else { return false };
            if !is_loopback_http(&registered) || !is_loopback_http(&wanted) {
                return false;
            }
            let _ = registered.set_port(wanted.port());
            registered == wanted
        })
    }

    /// Checks the secret of a confidential client; a public client must send none.
    pub fn authenticates(&self, secret: Option<&str>) -> bool {
        match (&self.secret_hash, secret) {
            (None, None) => true,
            (Some(hash), Some(secret)) => {
                constant_time_eq(SecretHash::of(secret).as_str().as_bytes(), hash.as_str().as_bytes())
            }
            _ => false,
        }
    }
}

/// The host (and port, if any) of a URL, for telling the shopper where they will be sent.
pub fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| uri.to_owned())
}

fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http" && url.host().is_some_and(|h| is_loopback_host(&h))
}

/// Checks a redirect URI a client registers: absolute, https (or http on a loopback host), no
/// fragment, no user info, at most 2000 bytes. The message says what is wrong.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err("a redirect URI is longer than 2000 bytes".into());
    }
    let url = url::Url::parse(uri).map_err(|e| format!("redirect URI {uri:?} is not an absolute URL: {e}"))?;
    if url.fragment().is_some() {
        return Err(format!("redirect URI {uri:?} has a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("redirect URI {uri:?} carries user info"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback_http(&url) => Ok(()),
        _ => Err(format!("redirect URI {uri:?} must be https, or http on a loopback address")),
    }
}

/// Checks a list of redirect URIs (non-empty, at most [`MAX_REDIRECT_URIS`]).
pub fn check_redirect_uris(uris: &[String]) -> Result<(), String> {
    if uris.is_empty() {
        return Err("redirect_uris must name at least one redirect URI".into());
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("at most {MAX_REDIRECT_URIS} redirect URIs are accepted"));
    }
    uris.iter().try_for_each(|u| check_redirect_uri(u))
}

/// A client name as kept: trimmed, control characters dropped, at most 100 characters.
pub fn clean_name(name: Option<&str>) -> Option<String> {
    let name: String = name?.chars().filter(|c| !c.is_control()).take(MAX_CLIENT_NAME_CHARS).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Why a `client_id` names no usable client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no client is registered with this client_id")]
    Unknown,
    #[error("the client's metadata document could not be used: {0}")]
    MetadataDocument(#[from] CimdError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds clients by `client_id` (see the module docs for the order).
pub struct Clients {
    predefined: Option<Client>,
    cimd: Option<CimdFetcher>,
    /// How long a registered client lives without use.
    idle: chrono::Duration,
}

impl Clients {
    pub fn from_config(config: &OAuthServerConfig) -> Result<Self, String> {
        let predefined = match config.client_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            None => None,
            Some(id) => {
                let redirect_uris: Vec<String> =
                    config.client_redirect_uris.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
                check_redirect_uris(&redirect_uris).map_err(|e| format!("OAUTH_CLIENT_REDIRECT_URIS: {e}"))?;
                Some(Client {
                    client_id: id.to_owned(),
                    kind: ClientKind::Predefined,
                    client_name: clean_name(Some(&config.client_name)),
                    redirect_uris,
                    secret_hash: config.client_secret.as_deref().filter(|s| !s.is_empty()).map(SecretHash::of),
                    created_at: None,
                })
            }
        };
        let cimd = config.client_metadata_documents.then(|| CimdFetcher::new(config)).transpose()?;
        let idle = chrono::Duration::days(i64::try_from(config.client_idle_days).unwrap_or(3650));
        Ok(Clients { predefined, cimd, idle })
    }

    /// When a registered client used (or registered) at `now` expires unless used again.
    pub fn registered_expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.idle
    }

    /// Whether Client ID Metadata Documents are accepted (for the metadata document).
    pub fn accepts_metadata_documents(&self) -> bool {
        self.cimd.is_some()
    }

    /// Whether some client authenticates with a secret (for the metadata document).
    pub fn has_confidential_client(&self) -> bool {
        self.predefined.as_ref().is_some_and(|c| c.secret_hash.is_some())
    }

    pub async fn find(
        &self,
        store: &Arc<dyn Store>,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Client, ClientError> {
        if let Some(client) = self.predefined.as_ref().filter(|c| c.client_id == client_id) {
            return Ok(client.clone());
        }
        if client_id.starts_with("https://") || client_id.starts_with("http://") {
            let Some(cimd) = &self.cimd else { return Err(ClientError::Unknown) };
            return Ok(cimd.fetch(client_id).await?.as_ref().clone());
        }
        if !is_registered_id(client_id) {
            return Err(ClientError::Unknown);
        }
        let json = store.oauth_record(RecordKind::Client, client_id, now).await?.ok_or(ClientError::Unknown)?;
        let client = serde_json::from_str(&json)
            .map_err(|e| ClientError::Store(StoreError::Backend(format!("a stored client does not parse: {e}"))))?;
        // Used now: it stays registered for another idle period.
        store.oauth_put_record(RecordKind::Client, client_id, &json, Some(self.registered_expiry(now)), now).await?;
        Ok(client)
    }
}

/// The prefix of dynamically registered client ids (`dcr_` + 32 hex digits).
pub const REGISTERED_PREFIX: &str = "dcr_";

pub fn is_registered_id(id: &str) -> bool {
    id.strip_prefix(REGISTERED_PREFIX)
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> Client {
        Client {
            client_id: "c".into(),
            kind: ClientKind::Registered,
            client_name: None,
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            secret_hash: None,
            created_at: None,
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http() {
        for good in [
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "http://127.0.0.1:3000/cb",
            "http://localhost/cb",
            "http://[::1]:9/cb",
        ] {
            assert_eq!(check_redirect_uri(good), Ok(()), "{good}");
        }
        for bad in [
            "http://example.com/cb",
            "https://example.com/cb#frag",
            "ftp://x/y",
            "myapp://cb",
            "/relative",
            "https://user:pw@x.example/",
            "http://10.0.0.1/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
        assert!(check_redirect_uris(&[]).is_err());
    }

    #[test]
    fn redirects_match_exactly_except_loopback_ports() {
        let c = client(&["https://app.example/cb", "http://127.0.0.1:8080/cb"]);
        assert!(c.allows_redirect("https://app.example/cb"));
        assert!(!c.allows_redirect("https://app.example/cb/"));
        assert!(!c.allows_redirect("https://app.example/cb?x=1"));
        assert!(!c.allows_redirect("https://evil.example/cb"));
        assert!(c.allows_redirect("http://127.0.0.1:51234/cb"));
        assert!(!c.allows_redirect("http://127.0.0.1:51234/other"));
        assert!(!c.allows_redirect("https://127.0.0.1:51234/cb"));
    }

    #[test]
    fn names_are_cleaned_and_the_redirect_host_stands_in() {
        assert_eq!(clean_name(Some("  <b>Evil</b>\u{7}  ")).as_deref(), Some("<b>Evil</b>"));
        assert_eq!(clean_name(Some(" \n ")), None);
        assert_eq!(clean_name(Some(&"x".repeat(500))).map(|n| n.len()), Some(MAX_CLIENT_NAME_CHARS));
        assert_eq!(client(&[]).display_name("https://chatgpt.com/cb"), "chatgpt.com");
        assert_eq!(host_of("http://127.0.0.1:8080/cb"), "127.0.0.1:8080");
    }

    #[test]
    fn only_a_client_with_a_secret_needs_one() {
        let public = client(&[]);
        assert!(public.authenticates(None));
        assert!(!public.authenticates(Some("guess")));
        let confidential = Client { secret_hash: Some(SecretHash::of("s3cret")), ..client(&[]) };
        assert!(confidential.authenticates(Some("s3cret")));
        assert!(!confidential.authenticates(Some("s3cre")));
        assert!(!confidential.authenticates(None));
    }
}
