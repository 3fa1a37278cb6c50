//! The OAuth authorization server's storage on Redis (see `store/oauth.rs`).
//!
//! One grant is ONE hash, `target:v1:oauth:grant:<grantId>`, so every change of a grant is a
//! single-key script (atomic, and Redis Cluster-safe without hash tags). Its fields:
//! `record` (the [`GrantRecord`] as JSON); `code` (the code's SHA-256), `codeExpUs` (its expiry
//! in µs since the epoch), `codeUsed` (`0`/`1`); after redemption `refresh` and `refreshExpUs`
//! (the current refresh token), `usedRefresh` (hashes of rotated-away refresh tokens, space
//! separated, the last [`USED_REFRESH_KEPT`]), and one `a:<hash>` field per access token whose
//! value is its expiry in µs, followed by `|` and its space-separated scopes when a refresh
//! narrowed them (RFC 6749 §6). The key expires with the code, then with the refresh token.
//!
//! Records (`target:v1:oauth:client:<id>`, `target:v1:oauth:request:<hash>`) are strings
//! `<expiry µs or ->` newline `<json>`, with a Redis TTL as well; the expiry in the value lets a
//! manual test clock expire them as with the memory store.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::{AsyncCommands, Script};
use shared::auth::Scope;

use super::{KEY_PREFIX, RedisStore, corrupt, from_json, micros, to_json, unexpected};
use crate::store::StoreError;
use crate::store::oauth::{
    AccessView, CodeView, GrantId, GrantRecord, NewTokens, OAuthStore, RecordKind, Redeem, RefreshView, Rotate,
    SecretHash, USED_REFRESH_KEPT,
};

fn grant_key(id: &GrantId) -> String {
    format!("{KEY_PREFIX}oauth:grant:{id}")
}

fn record_key(kind: RecordKind, key: &str) -> String {
    format!("{KEY_PREFIX}oauth:{}:{key}", kind.as_str())
}

fn access_field(hash: &SecretHash) -> String {
    format!("a:{}", hash.as_str())
}

/// The value of an access token's field: its expiry, and its scopes when narrowed.
fn access_value(tokens: &NewTokens) -> String {
    let expiry = micros(tokens.access_expires_at);
    match &tokens.access_scopes {
        None => expiry.to_string(),
        Some(scopes) => format!("{expiry}|{}", scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    }
}

/// Reads an access token's field back: its expiry and, if narrowed, its scopes.
fn parse_access_value(text: &str) -> Result<(DateTime<Utc>, Option<BTreeSet<Scope>>), StoreError> {
    let (expiry, scopes) = match text.split_once('|') {
        Some((expiry, scopes)) => (expiry, Some(scopes)),
        None => (text, None),
    };
    let scopes = scopes
        .map(|words| {
            words
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| w.parse::<Scope>().map_err(|_| corrupt(format_args!("access scopes: {w:?} is not a scope"))))
                .collect::<Result<BTreeSet<_>, _>>()
        })
        .transpose()?;
    Ok((from_micros("access expiry", expiry)?, scopes))
}

/// Milliseconds from `now` until `at`, at least 1 (a Redis TTL).
fn ttl_ms(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (at - now).num_milliseconds().max(1)
}

fn from_micros(what: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    text.parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .ok_or_else(|| corrupt(format_args!("{what}: {text:?} is not a time")))
}

/// `oauth_redeem_code`. KEYS: grant. ARGV: now µs, code hash, access field, access value,
/// refresh hash, refresh expiry µs, TTL ms. Replies `issued`, `replayed` or `missing`.
const REDEEM_LUA: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'code', 'codeExpUs', 'codeUsed')
if not f[1] or f[1] ~= ARGV[2] then return 'missing' end
if f[3] == '1' then
  redis.call('DEL', KEYS[1])
  return 'replayed'
end
if tonumber(f[2]) <= tonumber(ARGV[1]) then return 'missing' end
redis.call('HSET', KEYS[1], 'codeUsed', '1', 'refresh', ARGV[5], 'refreshExpUs', ARGV[6], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 'issued'
"#;

/// `oauth_rotate_refresh`. KEYS: grant. ARGV: now µs, presented hash, access field, access
/// value (expiry µs, then the narrowed scopes if any), refresh hash, refresh expiry µs, TTL ms,
/// used hashes kept. Expired access fields are dropped on the way. Replies `rotated`, `reused` or `missing`.
const ROTATE_LUA: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'refresh', 'refreshExpUs', 'usedRefresh')
if not f[1] then return 'missing' end
local used = f[3] or ''
if used ~= '' and string.find(' ' .. used .. ' ', ' ' .. ARGV[2] .. ' ', 1, true) then
  redis.call('DEL', KEYS[1])
  return 'reused'
end
local now = tonumber(ARGV[1])
if f[1] ~= ARGV[2] or tonumber(f[2]) <= now then return 'missing' end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'a:' and tonumber(string.match(all[i + 1], '^%-?%d+')) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
local list = {}
for h in string.gmatch(used, '%S+') do list[#list + 1] = h end
list[#list + 1] = f[1]
local kept = {}
for i = math.max(1, #list - tonumber(ARGV[8]) + 1), #list do kept[#kept + 1] = list[i] end
redis.call('HSET', KEYS[1], 'refresh', ARGV[5], 'refreshExpUs', ARGV[6], 'usedRefresh', table.concat(kept, ' '),
  ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 'rotated'
"#;

static REDEEM: LazyLock<Script> = LazyLock::new(|| Script::new(REDEEM_LUA));
static ROTATE: LazyLock<Script> = LazyLock::new(|| Script::new(ROTATE_LUA));

impl RedisStore {
    async fn grant_fields(
        &self,
        what: &'static str,
        id: &GrantId,
        fields: &[&str],
    ) -> Result<Vec<Option<String>>, StoreError> {
        let key = grant_key(id);
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        self.run(what, |mut c| async move { redis::cmd("HMGET").arg(key).arg(fields).query_async(&mut c).await }).await
    }

    async fn oauth_script(
        &self,
        what: &'static str,
        script: &Script,
        id: &GrantId,
        args: Vec<String>,
    ) -> Result<String, StoreError> {
        let mut invocation = script.key(grant_key(id));
        for arg in args {
            invocation.arg(arg);
        }
        self.run(what, |mut c| async move { invocation.invoke_async(&mut c).await }).await
    }
}

/// The grant record of a `[record, …]` reply, `None` when the grant is absent.
fn record_of(fields: &[Option<String>]) -> Result<Option<GrantRecord>, StoreError> {
    match fields.first() {
        Some(Some(json)) => Ok(Some(from_json("oauth grant", json)?)),
        _ => Ok(None),
    }
}

#[async_trait]
impl OAuthStore for RedisStore {
    async fn oauth_create_grant(
        &self,
        id: &GrantId,
        grant: &GrantRecord,
        code: &SecretHash,
        code_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = grant_key(id);
        let fields = vec![
            ("record".to_owned(), to_json(grant)?),
            ("code".to_owned(), code.as_str().to_owned()),
            ("codeExpUs".to_owned(), micros(code_expires_at).to_string()),
            ("codeUsed".to_owned(), "0".to_owned()),
        ];
        let ttl = ttl_ms(code_expires_at, now);
        self.run("oauth_create_grant", |mut c| async move {
            redis::pipe()
                .atomic()
                .del(&key)
                .ignore()
                .hset_multiple(&key, &fields)
                .ignore()
                .pexpire(&key, ttl)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn oauth_code(&self, id: &GrantId, code: &SecretHash) -> Result<Option<CodeView>, StoreError> {
        let f = self.grant_fields("oauth_code", id, &["record", "code", "codeExpUs", "codeUsed"]).await?;
        let Some(grant) = record_of(&f)? else { return Ok(None) };
        if f.get(1).and_then(Option::as_deref) != Some(code.as_str()) {
            return Ok(None);
        }
        let expires_at = from_micros("codeExpUs", f.get(2).and_then(Option::as_deref).unwrap_or_default())?;
        let used = f.get(3).and_then(Option::as_deref) == Some("1");
        Ok(Some(CodeView { grant, expires_at, used }))
    }

    async fn oauth_redeem_code(
        &self,
        id: &GrantId,
        code: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Redeem, StoreError> {
        let args = vec![
            micros(now).to_string(),
            code.as_str().to_owned(),
            access_field(&tokens.access),
            access_value(tokens),
            tokens.refresh.as_str().to_owned(),
            micros(tokens.refresh_expires_at).to_string(),
            ttl_ms(tokens.refresh_expires_at, now).to_string(),
        ];
        match self.oauth_script("oauth_redeem_code", &REDEEM, id, args).await?.as_str() {
            "issued" => Ok(Redeem::Issued),
            "replayed" => Ok(Redeem::Replayed),
            "missing" => Ok(Redeem::Missing),
            other => Err(unexpected(other)),
        }
    }

    async fn oauth_refresh(&self, id: &GrantId, refresh: &SecretHash) -> Result<Option<RefreshView>, StoreError> {
        let f = self.grant_fields("oauth_refresh", id, &["record", "refresh", "refreshExpUs", "usedRefresh"]).await?;
        let Some(grant) = record_of(&f)? else { return Ok(None) };
        let (Some(Some(current)), Some(Some(expires))) = (f.get(1), f.get(2)) else { return Ok(None) };
        let expires_at = from_micros("refreshExpUs", expires)?;
        if current == refresh.as_str() {
            return Ok(Some(RefreshView { grant, expires_at, reused: false }));
        }
        let used = f.get(3).and_then(Option::as_deref).unwrap_or_default();
        if used.split(' ').any(|h| h == refresh.as_str()) {
            return Ok(Some(RefreshView { grant, expires_at, reused: true }));
        }
        Ok(None)
    }

    async fn oauth_rotate_refresh(
        &self,
        id: &GrantId,
        refresh: &SecretHash,
        tokens: &NewTokens,
        now: DateTime<Utc>,
    ) -> Result<Rotate, StoreError> {
        let args = vec![
            micros(now).to_string(),
            refresh.as_str().to_owned(),
            access_field(&tokens.access),
            access_value(tokens),
            tokens.refresh.as_str().to_owned(),
            micros(tokens.refresh_expires_at).to_string(),
            ttl_ms(tokens.refresh_expires_at, now).to_string(),
            USED_REFRESH_KEPT.to_string(),
        ];
        match self.oauth_script("oauth_rotate_refresh", &ROTATE, id, args).await?.as_str() {
            "rotated" => Ok(Rotate::Rotated),
            "reused" => Ok(Rotate::Reused),
            "missing" => Ok(Rotate::Missing),
            other => Err(unexpected(other)),
        }
    }

    async fn oauth_access(&self, id: &GrantId, access: &SecretHash) -> Result<Option<AccessView>, StoreError> {
        let field = access_field(access);
        let f = self.grant_fields("oauth_access", id, &["record", field.as_str()]).await?;
        let Some(grant) = record_of(&f)? else { return Ok(None) };
        let Some(Some(value)) = f.get(1) else { return Ok(None) };
        let (expires_at, narrowed) = parse_access_value(value)?;
        let scopes = narrowed.unwrap_or_else(|| grant.scopes.clone());
        Ok(Some(AccessView { grant, expires_at, scopes }))
    }

    async fn oauth_revoke_access(&self, id: &GrantId, access: &SecretHash) -> Result<(), StoreError> {
        let (key, field) = (grant_key(id), access_field(access));
        self.run("oauth_revoke_access", |mut c| async move { c.hdel(key, field).await }).await.map(|_: usize| ())
    }

    async fn oauth_revoke_grant(&self, id: &GrantId) -> Result<(), StoreError> {
        let key = grant_key(id);
        self.run("oauth_revoke_grant", |mut c| async move { c.del(key).await }).await.map(|_: usize| ())
    }

    async fn oauth_put_record(
        &self,
        kind: RecordKind,
        key: &str,
        json: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = record_key(kind, key);
        let expiry = expires_at.map_or_else(|| "-".to_owned(), |at| micros(at).to_string());
        let value = format!("{expiry}\n{json}");
        match expires_at {
            Some(at) => {
                let ttl = u64::try_from(ttl_ms(at, now)).unwrap_or(1);
                self.run("oauth_put_record", |mut c| async move { c.pset_ex(key, value, ttl).await }).await
            }
            None => self.run("oauth_put_record", |mut c| async move { c.set(key, value).await }).await,
        }
    }

    async fn oauth_record(
        &self,
        kind: RecordKind,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let key = record_key(kind, key);
        let value: Option<String> = self.run("oauth_record", |mut c| async move { c.get(key).await }).await?;
        let Some(value) = value else { return Ok(None) };
        let (expiry, json) = value.split_once('\n').ok_or_else(|| corrupt("an oauth record without its expiry"))?;
        if expiry != "-" && from_micros("record expiry", expiry)? <= now {
            return Ok(None);
        }
        Ok(Some(json.to_owned()))
    }

    async fn oauth_delete_record(&self, kind: RecordKind, key: &str) -> Result<(), StoreError> {
        let key = record_key(kind, key);
        self.run("oauth_delete_record", |mut c| async move { c.del(key).await }).await.map(|_: usize| ())
    }
}
