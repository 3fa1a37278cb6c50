//! The client's IP address, the key of the per-client rate limits and SSE stream limit: the TCP
//! peer (axum `ConnectInfo`), or — only with `TRUST_FORWARDED_FOR` — the last `X-Forwarded-For`
//! entry, the one the reverse proxy in front of us appended. Earlier entries are whatever the
//! client sent and are never trusted.
//!
//! Limits key a client by [`ClientIp::limit_key`]: an IPv4 address as it is, an IPv6 address by
//! its /64 network, because one subscriber usually holds a whole /64 and could otherwise rotate
//! through fresh addresses for fresh limits.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// The client's IP, put in the request extensions by [`layer`]. Absent when the router is called
/// without a socket (in-process tests): then no per-client limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key of per-client limits (rate limits, SSE streams, the sign-in lockout).
    pub fn limit_key(self) -> ClientKey {
        ClientKey::of(self.0)
    }
}

/// A client as limits count it: an IPv4 address, or an IPv6 /64 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The address with an IPv6 host part zeroed.
    network: IpAddr,
}

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        let network = match ip.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
            v4 => v4,
        };
        ClientKey { network }
    }

    /// The address standing for the client: the IPv4 address, or the first of the /64.
    pub fn ip(self) -> IpAddr {
        self.network
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.network {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Whether to believe `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct TrustForwardedFor(pub bool);

/// The client IP of a request with these headers from this peer.
pub fn resolve(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for && let Some(ip) = last_forwarded_for(headers) {
        return Some(ip);
    }
    peer.map(|p| p.ip().to_canonical())
}

fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    let last_entry = last_header.to_str().ok()?.rsplit(',').next()?.trim();
    last_entry.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Middleware: records [`ClientIp`] for the layers and handlers after it.
pub async fn layer(State(trust): State<TrustForwardedFor>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if let Some(ip) = resolve(request.headers(), peer, trust.0) {
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_peer_is_the_client_unless_a_proxy_is_trusted() {
        let peer: SocketAddr = "10.0.0.9:5555".parse().unwrap();
        let spoofed = headers(&["6.6.6.6"]);
        assert_eq!(resolve(&spoofed, Some(peer), false), Some("10.0.0.9".parse().unwrap()));
        let proxied = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(resolve(&proxied, Some(peer), true), Some("203.0.113.7".parse().unwrap()));
        let two_headers = headers(&["6.6.6.6", "198.51.100.2"]);
        assert_eq!(resolve(&two_headers, Some(peer), true), Some("198.51.100.2".parse().unwrap()));
        // A garbled or missing header falls back to the peer.
        assert_eq!(resolve(&headers(&["nonsense"]), Some(peer), true), Some(peer.ip()));
        assert_eq!(resolve(&HeaderMap::new(), None, true), None);
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:1".parse().unwrap();
        assert_eq!(resolve(&HeaderMap::new(), Some(mapped), false), Some("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ipv4_clients_by_address() {
        let key = |ip: &str| ClientIp(ip.parse().unwrap()).limit_key();
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:fffe"), "one /64 is one client");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"), "the next /64 is another");
        assert_eq!(key("2001:db8:1:2:abcd::9").to_string(), "2001:db8:1:2::/64");
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("192.0.2.1").to_string(), "192.0.2.1");
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }
}
