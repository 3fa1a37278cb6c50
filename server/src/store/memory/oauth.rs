//! The OAuth authorization server's storage in memory (see `store/oauth.rs`): one map of grants
//! and one of small records, behind their own mutex (never held across an await).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::auth::Scope;

use super::MemoryStore;
use crate::store::StoreError;
use crate::store::oauth::{
    AccessView, CodeView, GrantId, GrantRecord, NewTokens, OAuthStore, RecordKind, Redeem, RefreshView, Rotate,
    SecretHash, USED_REFRESH_KEPT,
};

#[derive(Default)]
pub(super) struct OAuthMemory {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    grants: HashMap<GrantId, Grant>,
    records: HashMap<(RecordKind, String), Record>,
}

struct Record {
    json: String,
    expires_at: Option<DateTime<Utc>>,
}

struct Grant {
    record: GrantRecord,
    code: SecretHash,
    code_expires_at: DateTime<Utc>,
    code_used: bool,
    refresh: Option<(SecretHash, DateTime<Utc>)>,
    used_refresh: VecDeque<SecretHash>,
    /// Access tokens: hash, expiry, and the narrowed scopes if a refresh asked for fewer.
    access: Vec<(SecretHash, DateTime<Utc>, Option<BTreeSet<Scope>>)>,
}

impl Grant {
    /// When nothing in the grant can be used any more.
    fn ends_at(&self) -> DateTime<Utc> {
        match &self.refresh {
            Some((_, at)) => *at,
            None => self.code_expires_at,
        }
    }

    fn store_tokens(&mut self, tokens: &NewTokens, now: DateTime<Utc>) {
        self.access.retain(|(_, at, _)| *at > now);
        self.access.push((tokens.access.clone(), tokens.access_expires_at, tokens.access_scopes.clone()));
        if let Some((old, _)) = self.refresh.replace((tokens.refresh.clone(), tokens.refresh_expires_at)) {
            self.used_refresh.push_back(old);
            while self.used_refresh.len() > USED_REFRESH_KEPT {
                self.used_refresh.pop_front();
            }
        }
    }
}

impl OAuthMemory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update is a few assignments that cannot panic halfway; a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets grants nothing in which can be used at `now`, and expired records.
    pub(super) fn sweep(&self, now: DateTime<Utc>) -> usize {
        let mut inner = self.lock();
        let before = inner.grants.len() + inner.records.len();
        inner.grants.retain(|_, g| g.ends_at() > now);
        inner.records.retain(|_, r| r.expires_at.is_none_or(|at| at > now));
        before - inner.grants.len() - inner.records.len()
    }
}

#[async_trait]
impl OAuthStore for MemoryStore {
    async fn oauth_create_grant(
        &self,
        id: &GrantId,
        grant: &GrantRecord,
        code: &SecretHash,
        code_expires_at: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let grant = Grant {
            record: grant.clone(),
            code: code.clone(),
            code_expires_at,
            code_used: false,
            refresh: None,
            used_refresh: VecDeque::new(),
            access: Vec::new(),
        };
        self.oauth.lock().grants.insert(id.clone(), grant);
        Ok(())
    }

    async fn oauth_code(&self, id: &GrantId, code: &SecretHash) -> Result<Option<CodeView>, StoreError> {
        let inner = self.oauth.lock();
        Ok(inner.grants.get(id).filter(|g| g.code == *code).map(|g| CodeView {
            grant: g.record.clone(),
            expires_at: g.code_expires_at,
            used: g.code_used,
        }))
    }

    async fn oauth_redeem_code(
        &self,
        id: &GrantId,
        code: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Redeem, StoreError> {
        let mut inner = self.oauth.lock();
        let Some(grant) = inner.grants.get_mut(id).filter(|g| g.code == *code) else {
            return Ok(Redeem::Missing);
        };
        if grant.code_used {
            inner.grants.remove(id);
            return Ok(Redeem::Replayed);
        }
        if grant.code_expires_at <= now {
            return Ok(Redeem::Missing);
        }
        grant.code_used = true;
        grant.store_tokens(tokens, now);
        Ok(Redeem::Issued)
    }

    async fn oauth_refresh(&self, id: &GrantId, refresh: &SecretHash) -> Result<Option<RefreshView>, StoreError> {
        let inner = self.oauth.lock();
        let Some(grant) = inner.grants.get(id) else { return Ok(None) };
        match &grant.refresh {
            Some((current, at)) if current == refresh => {
                Ok(Some(RefreshView { grant: grant.record.clone(), expires_at: *at, reused: false }))
            }
            Some((_, at)) if grant.used_refresh.contains(refresh) => {
                Ok(Some(RefreshView { grant: grant.record.clone(), expires_at: *at, reused: true }))
            }
            _ => Ok(None),
        }
    }

    async fn oauth_rotate_refresh(
        &self,
        id: &GrantId,
        refresh: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Rotate, StoreError> {
        let mut inner = self.oauth.lock();
        let Some(grant) = inner.grants.get_mut(id) else { return Ok(Rotate::Missing) };
        if grant.used_refresh.contains(refresh) {
            inner.grants.remove(id);
            return Ok(Rotate::Reused);
        }
        match &grant.refresh {
            Some((current, at)) if current == refresh && *at > now => {
                grant.store_tokens(tokens, now);
                Ok(Rotate::Rotated)
            }
            _ => Ok(Rotate::Missing),
        }
    }

    async fn oauth_access(&self, id: &GrantId, access: &SecretHash) -> Result<Option<AccessView>, StoreError> {
        let inner = self.oauth.lock();
        let Some(grant) = inner.grants.get(id) else { return Ok(None) };
        Ok(grant.access.iter().find(|(hash, _, _)| hash == access).map(|(_, at, narrowed)| AccessView {
            grant: grant.record.clone(),
            expires_at: *at,
            scopes: narrowed.clone().unwrap_or_else(|| grant.record.scopes.clone()),
        }))
    }

    async fn oauth_revoke_access(&self, id: &GrantId, access: &SecretHash) -> Result<(), StoreError> {
        if let Some(grant) = self.oauth.lock().grants.get_mut(id) {
            grant.access.retain(|(hash, _, _)| hash != access);
        }
        Ok(())
    }

    async fn oauth_revoke_grant(&self, id: &GrantId) -> Result<(), StoreError> {
        self.oauth.lock().grants.remove(id);
        Ok(())
    }

    async fn oauth_put_record(
        &self,
        kind: RecordKind,
        key: &str,
        json: &str,
        expires_at: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.oauth.lock().records.insert((kind, key.to_owned()), Record { json: json.to_owned(), expires_at });
        Ok(())
    }

    async fn oauth_record(
        &self,
        kind: RecordKind,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let inner = self.oauth.lock();
        Ok(inner
            .records
            .get(&(kind, key.to_owned()))
            .filter(|r| r.expires_at.is_none_or(|at| at > now))
            .map(|r| r.json.clone()))
    }

    async fn oauth_delete_record(&self, kind: RecordKind, key: &str) -> Result<(), StoreError> {
        self.oauth.lock().records.remove(&(kind, key.to_owned()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{Duration, TimeZone};
    use shared::auth::User;

    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn the_sweep_forgets_grants_and_records_past_use() {
        let store = MemoryStore::new(std::time::Duration::from_secs(600));
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("date");
        let record = GrantRecord {
            client_id: "c".into(),
            account: User { email: "a@example.com".into(), name: "A".into() },
            scopes: BTreeSet::new(),
            resource: "https://x.example/mcp/all".into(),
            redirect_uri: "https://x.example/cb".into(),
            redirect_uri_given: true,
            code_challenge: "c".into(),
            created_at: t0,
        };
        let (unused, redeemed) = (GrantId::random(), GrantId::random());
        let code = SecretHash::of("code");
        for id in [&unused, &redeemed] {
            store.oauth_create_grant(id, &record, &code, t0 + Duration::minutes(1), t0).await.expect("stored");
        }
        let tokens = NewTokens {
            access: SecretHash::of("a"),
            access_expires_at: t0 + Duration::minutes(15),
            access_scopes: None,
            refresh: SecretHash::of("r"),
            refresh_expires_at: t0 + Duration::days(30),
        };
        assert_eq!(store.oauth_redeem_code(&redeemed, &code, &tokens, t0).await.expect("redeem"), Redeem::Issued);
        store
            .oauth_put_record(RecordKind::Request, "k", "{}", Some(t0 + Duration::minutes(10)), t0)
            .await
            .expect("put");
        store.oauth_put_record(RecordKind::Client, "k", "{}", None, t0).await.expect("put");

        store.sweep_expired(t0 + Duration::minutes(10)).await.expect("sweep");
        assert!(store.oauth_code(&unused, &code).await.expect("read").is_none(), "an unused code's grant is gone");
        assert!(store.oauth_access(&redeemed, &tokens.access).await.expect("read").is_some(), "a live grant stays");
        assert_eq!(store.oauth.lock().records.len(), 1, "the expired request is gone, the client stays");
        store.sweep_expired(t0 + Duration::days(30)).await.expect("sweep");
        assert!(store.oauth.lock().grants.is_empty(), "a grant whose refresh token expired is gone");
    }
}
