//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, which the MCP
//! authorization spec prefers for clients without a prior relationship): a `client_id` that is
//! an https URL is fetched, and the JSON there describes the client.
//!
//! The fetch is a request our server makes to a URL a stranger chose, so it is fenced in:
//! - the URL must be https with a path, without user info, fragment or dot segments;
//! - the host must resolve to public addresses only (a resolver of our own refuses loopback,
//!   private, link-local and other special ranges, so DNS cannot point us inside the network;
//!   an IP literal is checked the same way), and redirects are not followed;
//! - a timeout (`OAUTH_CIMD_TIMEOUT_MS`) and a size cap (`OAUTH_CIMD_MAX_BYTES`);
//! - good documents are cached (`OAUTH_CIMD_CACHE_SECS`, moka); failures are not.
//!
//! The document's `client_id` must equal the URL, it must list `redirect_uris` (checked as for
//! registration), and it may not ask for a client secret (`token_endpoint_auth_method` absent or
//! `none`). `OAUTH_CIMD_ALLOW_PRIVATE_ADDRESSES` (tests only) lifts the address fence and allows
//! plain http on loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;

use super::clients::{Client, ClientKind, check_redirect_uris, clean_name};
use crate::config::OAuthServerConfig;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CimdError {
    #[error("the client_id is not a usable metadata document URL: {0}")]
    BadUrl(String),
    #[error("fetching the metadata document failed: {0}")]
    Fetch(String),
    #[error("the metadata document is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the metadata document is not valid: {0}")]
    Invalid(String),
}

/// The fields of a metadata document we read; others are ignored.
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// Fetches and caches Client ID Metadata Documents.
pub struct CimdFetcher {
    http: reqwest::Client,
    cache: Cache<String, Arc<Client>>,
    max_bytes: u64,
    allow_private: bool,
}

impl CimdFetcher {
    pub fn new(config: &OAuthServerConfig) -> Result<Self, String> {
        let timeout = Duration::from_millis(config.cimd_timeout_ms);
        let http = reqwest::Client::builder()
            .user_agent(concat!("target-mcp-server/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly { allow_private: config.cimd_allow_private_addresses }))
            .build()
            .map_err(|e| format!("cannot set up the metadata document client: {e}"))?;
        let cache = Cache::builder()
            .name("oauth-client-metadata")
            .max_capacity(1000)
            .time_to_live(Duration::from_secs(config.cimd_cache_secs.max(1)))
            .build();
        Ok(CimdFetcher {
            http,
            cache,
            max_bytes: config.cimd_max_bytes,
            allow_private: config.cimd_allow_private_addresses,
        })
    }

    /// The client `client_id` describes, from the cache or fetched now.
    pub async fn fetch(&self, client_id: &str) -> Result<Arc<Client>, CimdError> {
        let url = check_url(client_id, self.allow_private)?;
        self.cache
            .try_get_with(client_id.to_owned(), self.fetch_uncached(client_id, url))
            .await
            .map_err(|e: Arc<CimdError>| e.as_ref().clone())
    }

    async fn fetch_uncached(&self, client_id: &str, url: url::Url) -> Result<Arc<Client>, CimdError> {
        tracing::info!(client_id, "fetching a client metadata document");
        let fetch = |e: reqwest::Error| CimdError::Fetch(error_chain(&e.without_url()));
        let mut response = self.http.get(url).header("accept", "application/json").send().await.map_err(fetch)?;
        if !response.status().is_success() {
            return Err(CimdError::Fetch(format!("the server answered {}", response.status())));
        }
        if response.content_length().is_some_and(|len| len > self.max_bytes) {
            return Err(CimdError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > self.max_bytes {
                return Err(CimdError::TooLarge(self.max_bytes));
            }
        }
        let doc: Document =
            serde_json::from_slice(&body).map_err(|e| CimdError::Invalid(format!("not the JSON expected: {e}")))?;
        if doc.client_id != client_id {
            return Err(CimdError::Invalid("its client_id is not the URL it was fetched from".into()));
        }
        if doc.token_endpoint_auth_method.as_deref().is_some_and(|m| m != "none") {
            return Err(CimdError::Invalid(
                "only public clients (token_endpoint_auth_method \"none\") are accepted".into(),
            ));
        }
        check_redirect_uris(&doc.redirect_uris).map_err(CimdError::Invalid)?;
        Ok(Arc::new(Client {
            client_id: doc.client_id,
            kind: ClientKind::MetadataDocument,
            client_name: clean_name(doc.client_name.as_deref()),
            redirect_uris: doc.redirect_uris,
            secret_hash: None,
            created_at: None,
        }))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Checks a metadata document URL (see the module docs); allows http on loopback only with
/// `allow_private`.
pub fn check_url(client_id: &str, allow_private: bool) -> Result<url::Url, CimdError> {
    let bad = |why: &str| CimdError::BadUrl(why.to_owned());
    let url = url::Url::parse(client_id).map_err(|e| CimdError::BadUrl(e.to_string()))?;
    let host = url.host().ok_or_else(|| bad("it has no host"))?;
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    let loopback = literal.is_some_and(|ip| ip.is_loopback())
        || matches!(host, url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost"));
    match url.scheme() {
        "https" => {}
        "http" if allow_private && loopback => {}
        _ => return Err(bad("it must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry user info"));
    }
    if url.fragment().is_some() {
        return Err(bad("it must not have a fragment"));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(bad("it must have a path"));
    }
    // The parser resolves dot segments; a client_id that had some is not what it claims to be.
    if client_id.contains("/./")
        || client_id.contains("/../")
        || client_id.ends_with("/.")
        || client_id.ends_with("/..")
    {
        return Err(bad("it must not contain dot segments"));
    }
    if let Some(ip) = literal
        && !allow_private
        && !is_public(ip)
    {
        return Err(bad("it points at a private or special address"));
    }
    Ok(url)
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b))) // benchmarking
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64
        || ip.to_ipv4().is_some()) // IPv4-compatible
}

/// A resolver that refuses names resolving to any non-public address.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("{host} resolves to a private or special address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_must_be_https_with_a_path_and_public() {
        assert!(check_url("https://client.example/oauth/metadata.json", false).is_ok());
        for bad in [
            "http://client.example/metadata.json",
            "https://client.example",
            "https://client.example/",
            "https://user@client.example/m.json",
            "https://client.example/m.json#x",
            "https://client.example/a/../m.json",
            "https://127.0.0.1/m.json",
            "https://10.1.2.3/m.json",
            "https://[::1]/m.json",
            "https://169.254.169.254/latest",
            "http://127.0.0.1:8080/m.json",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:8080/m.json", true).is_ok(), "the test setting allows loopback http");
        assert!(check_url("http://client.example/m.json", true).is_err(), "but never http elsewhere");
    }

    #[test]
    fn special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }
}
