//! [`BuiltinTokens`]: the [`TokenVerifier`] for access tokens of the built-in authorization
//! server. A token is looked up by its SHA-256 in the store (memory or Redis), so any instance
//! sharing the store verifies any instance's tokens. A token whose account is no longer in this
//! instance's accounts file is refused (a hash-map lookup, no store round-trip).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::resource::same_resource;
use super::secrets::{self, Kind};
use crate::identity::accounts::Accounts;
use crate::identity::token::{AccessClaims, TokenError, TokenVerifier};
use crate::store::Store;

/// Verifies the built-in authorization server's opaque access tokens.
#[derive(Clone)]
pub struct BuiltinTokens {
    store: Arc<dyn Store>,
    accounts: Accounts,
}

impl BuiltinTokens {
    pub fn new(store: Arc<dyn Store>, accounts: Accounts) -> Self {
        BuiltinTokens { store, accounts }
    }
}

#[async_trait]
impl TokenVerifier for BuiltinTokens {
    async fn verify(&self, token: &str, resource: &str, now: DateTime<Utc>) -> Result<Arc<AccessClaims>, TokenError> {
        let parsed = secrets::parse(token).filter(|p| p.kind == Kind::Access).ok_or(TokenError::Malformed)?;
        let found = self
            .store
            .oauth_access(&parsed.grant, &parsed.hash)
            .await
            .map_err(|e| TokenError::Unavailable(e.to_string()))?
            .ok_or(TokenError::Unknown)?;
        if found.expires_at <= now {
            return Err(TokenError::Expired);
        }
        if !same_resource(&found.grant.resource, resource) {
            return Err(TokenError::WrongAudience);
        }
        // The grant outlives nothing: an account removed from the accounts file loses its tokens.
        let account = self.accounts.user(&found.grant.account.email).ok_or(TokenError::UnknownAccount)?;
        Ok(Arc::new(AccessClaims {
            account,
            scopes: found.scopes,
            client_id: Some(found.grant.client_id),
            expires_at: found.expires_at,
        }))
    }
}
