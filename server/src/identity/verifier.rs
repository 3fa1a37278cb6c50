//! The token verifier the MCP endpoints use: the external issuer's JWTs when `OAUTH_ISSUER` is
//! set, else the built-in authorization server's tokens ([`super::oauth::BuiltinTokens`]).

use std::sync::Arc;

use super::accounts::Accounts;
use super::jwks::JwksError;
use super::jwt::JwtVerifier;
use super::oauth::BuiltinTokens;
use super::token::TokenVerifier;
use crate::config::Config;
use crate::store::Store;

/// The configured verifier.
pub fn configured(
    config: &Config,
    accounts: &Accounts,
    store: &Arc<dyn Store>,
) -> Result<Arc<dyn TokenVerifier>, JwksError> {
    match &config.oauth_issuer {
        Some(issuer) => Ok(Arc::new(JwtVerifier::from_config(config, issuer, accounts.clone())?)),
        None => Ok(Arc::new(BuiltinTokens::new(Arc::clone(store), accounts.clone()))),
    }
}
