//! Target accounts for the simulated sign-in: a JSON file of `{email, name, passwordHash}` with
//! argon2 PHC hashes (make one with `cargo run -p server --bin hash-password`). The embedded
//! default holds the demo account documented in the README.
//!
//! Each argon2 check takes about 19 MiB for its run, so the checks are bounded: at most
//! `max_hashing` run at once (the rest wait) and at most four times as many more may wait; a
//! check beyond that is refused at once ([`Busy`], answered 503 + `Retry-After`) instead of
//! piling up on the blocking pool. Memory for hashing stays below `max_hashing` × 19 MiB however
//! many sign-ins arrive.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use serde::Deserialize;
use shared::auth::User;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// Waiting checks allowed per running one.
const QUEUED_PER_HASHING: usize = 4;

/// All password checks are busy and the queue is full; try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("every password check is busy")]
pub struct Busy;

/// The accounts that can sign in. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    by_email: Arc<HashMap<String, Account>>,
    gate: Arc<HashGate>,
    /// Loaded from the embedded demo accounts (no accounts file).
    demo: bool,
}

/// The embedded demo account and its password, as the README documents them.
pub const DEMO_EMAIL: &str = "shopper@example.com";
pub const DEMO_PASSWORD: &str = "bullseye-demo";

/// The bound on argon2 work: admission (running + waiting) and running permits, and counters.
struct HashGate {
    admitted: Arc<Semaphore>,
    hashing: Arc<Semaphore>,
    running: AtomicUsize,
    peak: AtomicUsize,
    started: AtomicUsize,
}

impl HashGate {
    fn new(max_hashing: usize) -> Self {
        let max_hashing = max_hashing.max(1);
        HashGate {
            admitted: Arc::new(Semaphore::new(max_hashing.saturating_mul(1 + QUEUED_PER_HASHING))),
            hashing: Arc::new(Semaphore::new(max_hashing)),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
        }
    }
}

/// A place in the password-check queue, taken before any other sign-in work (see
/// [`Accounts::admit`]); [`Admission::verify`] uses it.
pub struct Admission {
    accounts: Accounts,
    _admitted: OwnedSemaphorePermit,
}

/// The default of `max_hashing`: one check per CPU core.
pub fn default_max_hashing() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

impl Accounts {
    /// Loads `path`, or the embedded demo accounts when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, AccountsError> {
        let text = match path {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|source| AccountsError::Read { path: path.display().to_string(), source })?,
            None => DEMO_ACCOUNTS.to_owned(),
        };
        Ok(Accounts { demo: path.is_none(), ..Self::parse(&text)? })
    }

    /// The demo account the sign-in form names, when these are the embedded demo accounts.
    pub fn demo_account(&self) -> Option<shared::widget::DemoAccount> {
        self.demo
            .then(|| shared::widget::DemoAccount { email: DEMO_EMAIL.to_owned(), password: DEMO_PASSWORD.to_owned() })
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
        Ok(Accounts { by_email: Arc::new(by_email), gate: Arc::new(HashGate::new(default_max_hashing())), demo: false })
    }

    /// The same accounts with at most `max_hashing` argon2 checks at once (0: one per core).
    pub fn with_max_hashing(self, max_hashing: usize) -> Self {
        let max_hashing = if max_hashing == 0 { default_max_hashing() } else { max_hashing };
        Accounts { gate: Arc::new(HashGate::new(max_hashing)), ..self }
    }

    /// A place in the check queue, or [`Busy`] when it is full (nothing waits for a place).
    pub fn admit(&self) -> Result<Admission, Busy> {
        let admitted = Arc::clone(&self.gate.admitted).try_acquire_owned().map_err(|_| Busy)?;
        Ok(Admission { accounts: self.clone(), _admitted: admitted })
    }

    /// Most argon2 checks that ran at once so far (for tests and logs).
    pub fn peak_concurrent_checks(&self) -> usize {
        self.gate.peak.load(Ordering::Relaxed)
    }

    /// Argon2 checks started so far (for tests).
    pub fn checks_started(&self) -> usize {
        self.gate.started.load(Ordering::Relaxed)
    }

    /// Admits and verifies in one step ([`Busy`] when the queue is full).
    pub async fn verify(&self, email: &str, password: &str) -> Result<Option<User>, Busy> {
        Ok(self.admit()?.verify(email, password).await)
    }

    /// The account with this email (trimmed, any case), without a password check: for an
    /// identity a verified access token vouches for.
    pub fn user(&self, email: &str) -> Option<User> {
        self.by_email.get(&normalize(email)).map(|a| a.user.clone())
    }

    pub fn len(&self) -> usize {
        self.by_email.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }
}

impl Admission {
    /// The account's user when the password matches. Waits for a running slot, then runs argon2
    /// on the blocking pool; an unknown email costs the same work as a known one, so timing does
    /// not tell which emails exist.
    pub async fn verify(self, email: &str, password: &str) -> Option<User> {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        let gate = Arc::clone(&self.accounts.gate);
        let running = Arc::clone(&gate.hashing).acquire_owned().await.ok()?;
        let accounts = self.accounts.clone();
        let email = normalize(email);
        let password = password.to_owned();
        let checked = tokio::task::spawn_blocking(move || {
            let now = gate.running.fetch_add(1, Ordering::Relaxed) + 1;
            gate.peak.fetch_max(now, Ordering::Relaxed);
            gate.started.fetch_add(1, Ordering::Relaxed);
            let account = accounts.by_email.get(&email);
            let hash = account.map_or(UNKNOWN_ACCOUNT_HASH, |a| a.password_hash.as_str());
            let ok = PasswordHash::new(hash)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
            gate.running.fetch_sub(1, Ordering::Relaxed);
            drop(running);
            account.filter(|_| ok).map(|a| a.user.clone())
        })
        .await;
        checked.ok().flatten()
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
        let demo = accounts.demo_account().expect("the embedded accounts name their demo account");
        assert!(accounts.verify(&demo.email, &demo.password).await.unwrap().is_some(), "the named credentials work");
        let user =
            accounts.verify("  Shopper@Example.com ", "bullseye-demo").await.unwrap().expect("demo password works");
        assert_eq!(user.email, "shopper@example.com");
        assert_eq!(user.name, "Sam Shopper");
        assert!(accounts.verify("shopper@example.com", "wrong").await.unwrap().is_none());
        assert!(accounts.verify("nobody@example.com", "bullseye-demo").await.unwrap().is_none());
        assert!(accounts.verify("shopper@example.com", &"x".repeat(5000)).await.unwrap().is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_beyond_the_queue_are_refused_and_at_most_max_hashing_run_at_once() {
        let accounts = Accounts::load(None).unwrap().with_max_hashing(1);
        // One running and four waiting fill the queue; a sixth is refused before any work.
        let admitted: Vec<Admission> = (0..5).map(|_| accounts.admit().expect("room in the queue")).collect();
        assert!(matches!(accounts.admit(), Err(Busy)));
        let checks = admitted.into_iter().map(|a| tokio::spawn(a.verify("shopper@example.com", "wrong")));
        for check in checks.collect::<Vec<_>>() {
            assert_eq!(check.await.unwrap(), None);
        }
        assert_eq!(accounts.checks_started(), 5);
        assert_eq!(accounts.peak_concurrent_checks(), 1, "one argon2 run at a time");
        assert!(accounts.admit().is_ok(), "places are given back");
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
