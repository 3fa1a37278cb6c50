//! The wire contract between the Target MCP server, its widgets and the MCP host.
//!
//! Every tool input and output, every REST body the widgets send, tool names and widget ids live
//! here, once. The server derives the JSON Schemas of `tools/list` from these types (feature
//! `schema`); the WASM widgets deserialize the same types, so the two sides cannot drift apart.
//!
//! Codemap:
//! - [`ids`]: session, product, order and idempotency-key newtypes, validated on deserialization.
//! - [`money`]: integer cents and currency codes; no floats anywhere.
//! - [`tool`]: tool names, tool groups and widget ids as enums with one string form each.
//! - [`auth`], [`product`], [`cart`], [`checkout`], [`membership`]: inputs and outputs per tool group.
//! - [`widget`]: the widget-only payload carried in a tool result's `_meta`.
//! - [`api`]: the REST bodies of `/api/session/*`.
//! - [`calls`]: each tool paired with its input and output types, each REST endpoint with its
//!   bodies, so a widget's call is checked by the compiler.

pub mod api;
pub mod auth;
pub mod calls;
pub mod cart;
pub mod checkout;
pub mod ids;
pub mod membership;
pub mod money;
pub mod product;
pub mod tool;
pub mod widget;

/// Why an input was refused; the message is written for a shopper to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Checks an optional number against an inclusive range, naming the field in the error.
pub(crate) fn check_range(field: &str, value: Option<u32>, min: u32, max: u32) -> Result<(), InputError> {
    match value {
        Some(v) if v < min || v > max => Err(InputError(format!("{field} must be between {min} and {max} (got {v})"))),
        _ => Ok(()),
    }
}
