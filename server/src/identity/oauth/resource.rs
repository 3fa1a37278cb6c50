//! RFC 8707 resource indicators: which resources this authorization server issues tokens for
//! (the public URL of each MCP connector, and `PUBLIC_BASE_URL` itself for the whole server,
//! whose tokens every connector accepts), and how two resource URLs compare.

use crate::config::Config;
use crate::mcp::connector::Connector;

/// The whole server (`PUBLIC_BASE_URL`) and every connector's public URL (`PUBLIC_BASE_URL` +
/// its path, e.g. `https://host/mcp/all`).
pub fn known_resources(config: &Config) -> Vec<String> {
    let base = config.public_base();
    std::iter::once(base.clone()).chain(Connector::ALL.iter().map(|c| format!("{base}{}", c.path()))).collect()
}

/// The resource a request without `resource` is bound to: the whole server (MCP clients send
/// `resource`; one that does not gets a token for this server as a whole).
pub fn default_resource(config: &Config) -> String {
    config.public_base()
}

/// Two resource URLs name the same resource: equal up to one trailing slash and the case of the
/// scheme and host (which URL parsing lowers).
pub fn same_resource(a: &str, b: &str) -> bool {
    normalize(a).is_some_and(|a| Some(a) == normalize(b))
}

/// The canonical form of a resource URL, `None` when it is not an absolute http(s) URL without
/// a fragment (RFC 8707 §2).
pub fn normalize(resource: &str) -> Option<String> {
    let url = url::Url::parse(resource.trim()).ok()?;
    if !matches!(url.scheme(), "https" | "http") || url.fragment().is_some() || url.cannot_be_a_base() {
        return None;
    }
    Some(url.as_str().trim_end_matches('/').to_owned())
}

/// The known resource `requested` names, in its canonical form.
pub fn accept(config: &Config, requested: &str) -> Option<String> {
    let wanted = normalize(requested)?;
    known_resources(config).into_iter().filter_map(|r| normalize(&r)).find(|r| *r == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_are_the_resources_and_compare_loosely_on_slashes_only() {
        let mut config = Config::defaults();
        config.public_base_url = Some("https://Shop.Example/".parse().expect("url"));
        assert_eq!(default_resource(&config), "https://shop.example");
        assert_eq!(accept(&config, "https://shop.example/").as_deref(), Some("https://shop.example"));
        assert_eq!(accept(&config, "https://shop.example/mcp/all/").as_deref(), Some("https://shop.example/mcp/all"));
        assert_eq!(accept(&config, "HTTPS://SHOP.EXAMPLE/mcp2").as_deref(), Some("https://shop.example/mcp2"));
        for other in [
            "https://shop.example/mcp5",
            "https://shop.example/mcp/all/x",
            "https://shop.example/mcp/ALL",
            "https://evil.example/mcp/all",
            "mcp/all",
            "https://shop.example/mcp/all#x",
        ] {
            assert_eq!(accept(&config, other), None, "{other}");
        }
        assert!(same_resource("https://shop.example/mcp/all", "https://shop.example/mcp/all/"));
        assert!(!same_resource("https://shop.example/mcp/all", "https://shop.example/mcp"));
        assert!(!same_resource("not a url", "not a url"));
    }
}
