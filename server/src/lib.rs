//! The Target shopping app's MCP server.
//!
//! Codemap:
//! - [`app`]: builds the state and the router, binds, serves, shuts down gracefully.
//! - [`config`]: environment variables and flags (`--help`).
//! - [`mcp`]: connectors, the rmcp handler, tool metadata, Streamable HTTP (rmcp, and the direct
//!   path for stateless tool calls) and legacy SSE (with its Redis relay across instances).
//! - [`tools`]: the tools, one file per group (auth, products, checkout, membership).
//! - [`commerce`]: the Agentic Commerce Protocol merchant API (checkout sessions over REST and
//!   MCP, discovery, product feed, order webhooks).
//! - [`rest`]: sign-in/sign-out for the auth widget, health checks, images, widget pages.
//! - [`store`]: sessions, carts, orders, memberships, sign-in attempts; the in-memory and Redis
//!   backends.
//! - [`catalog`]: product sources: the embedded catalog and the Unwrangle API.
//! - [`pricing`]: Circle offers, shipping and tax, in one place.
//! - [`recommend`]: recommendations with reasons.
//! - [`identity`]: accounts, sessions, sign-in with its lockout, access-token checks, and the
//!   built-in OAuth authorization server (`identity::oauth`).
//! - [`widgets`]: widget templates and their CSP.
//! - [`origin`]: Origin allow-list and CORS.
//! - [`http`]: middleware: request id and access log, client IP, body limit, rate limits, the
//!   REST request timeout, security headers.
//! - [`limiter`]: the rate limiters' parts: the app's clock for governor, bounded buckets.
//! - [`metrics`]: Prometheus metrics at `/metrics` (with `METRICS_TOKEN`).
//! - [`error`]: the one error type and its mapping to MCP results and HTTP responses.

pub mod app;
pub mod catalog;
pub mod clock;
pub mod commerce;
pub mod config;
pub mod error;
pub mod http;
pub mod identity;
pub mod limiter;
pub mod mcp;
pub mod metrics;
pub mod origin;
pub mod pricing;
pub mod recommend;
pub mod rest;
pub mod state;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_support;
pub mod tools;
pub mod widgets;
