//! Who the shopper is: the one home for identity.
//!
//! - [`accounts`]: the argon2-hashed accounts file (the built-in users).
//! - [`sessions`]: anonymous and signed-in sessions (session mode: the id the model carries).
//! - [`signin`]: checking an email and password, with the lockout; shared by the REST sign-in
//!   of the auth widget and any other sign-in form.
//! - [`token`]: what a verified access token says (account, scopes, audience) and the
//!   [`token::TokenVerifier`] seam that built-in and external issuers implement.
//! - [`oauth`]: the built-in OAuth 2.1 authorization server and its verifier
//!   ([`oauth::BuiltinTokens`]).
//!
//! The OAuth resource server (the MCP endpoints' side of account linking, docs/oauth.md):
//! - [`resource`]: each connector as a protected resource: its metadata (RFC 9728) and the
//!   `WWW-Authenticate` challenges.
//! - [`bearer`]: the gate on every MCP endpoint: verifies the bearer token, or answers 401.
//! - [`verifier`]: which [`token::TokenVerifier`] is configured; [`jwt`] and [`jwks`]: an
//!   external issuer's JWTs and its signing keys.
//! - [`access`]: what each tool needs (`securitySchemes`, scopes); [`shopper`]: who a tool call
//!   acts for (linked account or session), and the account's own cart.

pub mod access;
pub mod accounts;
pub mod bearer;
pub mod jwks;
pub mod jwt;
pub mod oauth;
pub mod resource;
pub mod sessions;
pub mod shopper;
pub mod signin;
pub mod token;
pub mod verifier;
