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

pub mod accounts;
pub mod oauth;
pub mod sessions;
pub mod signin;
pub mod token;
