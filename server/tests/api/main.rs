//! Integration tests: each one starts the real server on a random port and talks to it over
//! real HTTP, as ChatGPT, an older SSE client or a widget would.

mod abuse;
mod acp;
mod anonymous_cart;
mod contract;
mod direct_path;
mod fixation;
mod flow;
mod fuzz;
mod hardening;
mod helpers;
mod isolation;
mod mcp_sse;
mod mcp_streamable;
mod oauth;
mod oauth_resource;
mod redis_mode;
// Only part of the Redis test server is used here.
#[allow(dead_code)]
#[path = "../../src/store/redis_test_server.rs"]
mod redis_test_server;
mod resources;
mod rest;
mod test_issuer;
mod tools;
mod unwrangle_mode;
