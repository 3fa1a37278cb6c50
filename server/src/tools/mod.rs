//! The tools, one file per group; each file is an rmcp `#[tool_router]` block on
//! [`TargetMcp`](crate::mcp::handler::TargetMcp), combined in `TargetMcp::all_tools`.

pub mod auth;
pub mod checkout;
pub mod membership;
pub mod products;
