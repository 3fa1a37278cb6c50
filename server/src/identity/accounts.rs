//! Target accounts for the simulated sign-in: a JSON file of `{email, name, passwordHash}` with
//! argon2 PHC hashes (make one with `cargo run -p server --bin hash-password`). The embedded
//! default holds the demo account documented in the README.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use serde::Deserialize;
use shared::auth::User;

const DEMO_ACCOUNTS: &str = include_str!("../../data/accounts.json");

/// Longest password we hash; longer input is refused before any work is done.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read the accounts file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the accounts file is not valid JSON of [{{email, name, passwordHash}}]: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("account {email}: the password hash is not an argon2 PHC string")]
    BadHash { email: String },
    #[error("account {email} appears twice")]
    Duplicate { email: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountRecord {
    email: String,
    name: String,
    password_hash: String,
}

struct Account {
    user: User,
    password_hash: String,
}

/// The accounts that can sign in. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    by_email: Arc<HashMap<String, Account>>,
}

impl Accounts {
    /// Loads `path`, or the embedded demo accounts when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, AccountsError> {
        let text = match path {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|source| AccountsError::Read { path: path.display().to_string(), source })?,
            None => DEMO_ACCOUNTS.to_owned(),
        };
        Self::parse(&text)
    }

    pub fn parse(json: &str) -> Result<Self, AccountsError> {
        let records: Vec<AccountRecord> = serde_json::from_str(json)?;
        let mut by_email = HashMap::new();
        for r in records {
            let email = normalize(&r.email);
            if PasswordHash::new(&r.password_hash).is_err() {
                return Err(AccountsError::BadHash { email });
            }
            let account = Account { user: User { email: email.clone(), name: r.name }, password_hash: r.password_hash };
            if by_email.insert(email.clone(), account).is_some() {
                return Err(AccountsError::Duplicate { email });
            }
        }
        Ok(Accounts { by_email: Arc::new(by_email) })
    }

    pub fn len(&self) -> usize {
        self.by_email.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }

    /// The account's user when the password matches. Runs argon2 on the blocking pool; an unknown
    /// email costs the same work as a known one, so timing does not tell which emails exist.
    pub async fn verify(&self, email: &str, password: &str) -> Option<User> {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        let accounts = self.clone();
        let email = normalize(email);
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let account = accounts.by_email.get(&email);
            let hash = account.map_or(UNKNOWN_ACCOUNT_HASH, |a| a.password_hash.as_str());
            let parsed = PasswordHash::new(hash).ok()?;
            let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
            account.filter(|_| ok).map(|a| a.user.clone())
        })
        .await
        .ok()
        .flatten()
    }
}

/// A hash of a random password nobody knows, verified for unknown emails.
const UNKNOWN_ACCOUNT_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ofAaxF1t74xgANhZpKZsOQ$QFHxF7ACrqjY0DmI9GpKWSfm7auNnVvMNA67iJfArQc";

pub fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_account_signs_in_with_its_documented_password() {
        let accounts = Accounts::load(None).expect("embedded accounts load");
        assert!(!accounts.is_empty());
        let user = accounts.verify("  Shopper@Example.com ", "bullseye-demo").await.expect("demo password works");
        assert_eq!(user.email, "shopper@example.com");
        assert_eq!(user.name, "Sam Shopper");
        assert!(accounts.verify("shopper@example.com", "wrong").await.is_none());
        assert!(accounts.verify("nobody@example.com", "bullseye-demo").await.is_none());
        assert!(accounts.verify("shopper@example.com", &"x".repeat(5000)).await.is_none());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let err = Accounts::parse(r#"[{"email":"a@b.co","name":"A","passwordHash":"plaintext"}]"#).err().unwrap();
        assert!(err.to_string().contains("argon2"), "{err}");
        assert!(Accounts::parse("{").is_err());
        let dup = format!(
            r#"[{{"email":"a@b.co","name":"A","passwordHash":"{UNKNOWN_ACCOUNT_HASH}"}},{{"email":"A@b.co","name":"B","passwordHash":"{UNKNOWN_ACCOUNT_HASH}"}}]"#
        );
        assert!(matches!(Accounts::parse(&dup), Err(AccountsError::Duplicate { .. })));
    }
}
