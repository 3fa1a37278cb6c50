//! Integration tests: each one starts the real server on a random port and talks to it over
//! real HTTP, as ChatGPT, an older SSE client or a widget would.

mod contract;
mod flow;
mod helpers;
mod mcp_sse;
mod mcp_streamable;
mod resources;
mod rest;
mod tools;
mod unwrangle_mode;
