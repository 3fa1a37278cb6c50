//! Typed calls: every tool paired with its input and output types ([`Tool`]), every REST
//! endpoint with its request and response bodies ([`Endpoint`]).
//!
//! A widget never names a tool and builds its arguments separately: it calls
//! `host.call::<calls::AddToCart>(&AddToCartInput { … })`, so the compiler checks that the
//! arguments are the tool's input type (a renamed or missing field, or another tool's input, does
//! not compile) and the answer is parsed as the tool's output type. [`arguments`] is the one place
//! where an input becomes the JSON arguments of a `tools/call`.
//!
//! The pairing is checked at compile time; these two examples differ only in the input type:
//!
//! ```
//! use shared::calls::{self, AddToCart};
//! use shared::cart::AddToCartInput;
//! use shared::ids::{ProductId, SessionId};
//!
//! let input = AddToCartInput {
//!     session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").ok(),
//!     product_id: ProductId::parse("12345678").unwrap(),
//!     quantity: Some(1),
//! };
//! let args = calls::arguments::<AddToCart>(&input);
//! assert_eq!(args["productId"], "12345678");
//! ```
//!
//! ```compile_fail
//! use shared::calls::{self, AddToCart};
//! use shared::cart::UpdateCartItemInput;
//! use shared::ids::{ProductId, SessionId};
//!
//! // Another tool's input for add-to-cart: does not compile.
//! let input = UpdateCartItemInput {
//!     session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").unwrap(),
//!     product_id: ProductId::parse("12345678").unwrap(),
//!     quantity: 1,
//! };
//! let args = calls::arguments::<AddToCart>(&input);
//! ```
//!
//! A misspelt field fails the same way (the positive example above is this one, spelt right):
//!
//! ```compile_fail
//! use shared::calls::{self, AddToCart};
//! use shared::cart::AddToCartInput;
//! use shared::ids::{ProductId, SessionId};
//!
//! let input = AddToCartInput {
//!     session: SessionId::parse("sess_0123456789abcdef0123456789abcdef").unwrap(),
//!     product_id: ProductId::parse("12345678").unwrap(),
//!     quantity: Some(1),
//! };
//! let args = calls::arguments::<AddToCart>(&input);
//! ```
//!
//! And a REST body must be its endpoint's request (this compiles, the next one does not):
//!
//! ```
//! use shared::api::SignoutRequest;
//! use shared::calls::{Endpoint, Signout};
//! use shared::ids::SessionId;
//!
//! fn post<E: Endpoint>(_path: &str, _body: &E::Request) {}
//! let body = SignoutRequest { session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").unwrap() };
//! post::<Signout>(Signout::PATH, &body);
//! ```
//!
//! ```compile_fail
//! use shared::api::SignoutRequest;
//! use shared::calls::{Authenticate, Endpoint};
//! use shared::ids::SessionId;
//!
//! fn post<E: Endpoint>(_path: &str, _body: &E::Request) {}
//! let body = SignoutRequest { session_id: SessionId::parse("sess_0123456789abcdef0123456789abcdef").unwrap() };
//! post::<Authenticate>(Authenticate::PATH, &body);
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{AuthenticateRequest, AuthenticateResponse, SignoutRequest, SignoutResponse};
use crate::auth::{AuthStatusOutput, AuthenticateOutput, CreateSessionInput, CreateSessionOutput, SessionInput};
use crate::cart::{AddToCartInput, CartOutput, UpdateCartItemInput};
use crate::checkout::{CheckoutInput, CheckoutOutput};
use crate::membership::{CircleSignupInput, MembershipOutput};
use crate::product::{RecommendationsInput, RecommendationsOutput, SearchInput, SearchOutput};
use crate::tool::ToolName;

/// A tool with its input (the `tools/call` arguments) and output (`structuredContent`) types.
pub trait Tool {
    const NAME: ToolName;
    type Input: Serialize;
    type Output: DeserializeOwned;
}

/// The `tools/call` arguments of `T` (always a JSON object for these inputs).
pub fn arguments<T: Tool>(input: &T::Input) -> Value {
    serde_json::to_value(input).unwrap_or(Value::Null)
}

macro_rules! tools {
    ($($(#[$doc:meta])* $marker:ident: $input:ty => $output:ty;)+) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $marker;

            impl Tool for $marker {
                const NAME: ToolName = ToolName::$marker;
                type Input = $input;
                type Output = $output;
            }
        )+

        /// Every paired tool's name, in declaration order.
        pub const PAIRED: &[ToolName] = &[$(ToolName::$marker),+];
    };
}

tools! {
    /// `create-target-session`.
    CreateTargetSession: CreateSessionInput => CreateSessionOutput;
    /// `authenticate-target`.
    AuthenticateTarget: SessionInput => AuthenticateOutput;
    /// `get-target-auth-status`.
    GetTargetAuthStatus: SessionInput => AuthStatusOutput;
    /// `search-target-products`.
    SearchTargetProducts: SearchInput => SearchOutput;
    /// `get-agentforce-recommendations`.
    GetAgentforceRecommendations: RecommendationsInput => RecommendationsOutput;
    /// `add-to-cart`.
    AddToCart: AddToCartInput => CartOutput;
    /// `get-cart`.
    GetCart: SessionInput => CartOutput;
    /// `update-cart-item`.
    UpdateCartItem: UpdateCartItemInput => CartOutput;
    /// `checkout`.
    Checkout: CheckoutInput => CheckoutOutput;
    /// `check-circle-membership`.
    CheckCircleMembership: SessionInput => MembershipOutput;
    /// `circle-signup`.
    CircleSignup: CircleSignupInput => MembershipOutput;
}

/// A REST endpoint of `/api/*` with its request and response bodies.
pub trait Endpoint {
    const PATH: &'static str;
    type Request: Serialize;
    type Response: DeserializeOwned;
}

/// `POST /api/session/authenticate`.
#[derive(Debug, Clone, Copy)]
pub struct Authenticate;

impl Endpoint for Authenticate {
    const PATH: &'static str = crate::api::AUTHENTICATE_PATH;
    type Request = AuthenticateRequest;
    type Response = AuthenticateResponse;
}

/// `POST /api/session/signout`.
#[derive(Debug, Clone, Copy)]
pub struct Signout;

impl Endpoint for Signout {
    const PATH: &'static str = crate::api::SIGNOUT_PATH;
    type Request = SignoutRequest;
    type Response = SignoutResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_paired_once() {
        assert_eq!(PAIRED, ToolName::ALL, "add the new tool to the tools! list");
    }

    #[test]
    fn arguments_are_the_input_on_the_wire() {
        let input = crate::membership::CircleSignupInput {
            session_id: crate::ids::SessionId::parse("sess_0123456789abcdef0123456789abcdef").ok(),
            tier: Some(crate::membership::MembershipTier::CircleCard),
        };
        assert_eq!(
            arguments::<CircleSignup>(&input),
            serde_json::json!({ "sessionId": "sess_0123456789abcdef0123456789abcdef", "tier": "circle-card" })
        );
        assert_eq!(arguments::<CreateTargetSession>(&CreateSessionInput {}), serde_json::json!({}));
    }
}
