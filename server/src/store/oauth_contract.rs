//! The behaviour every backend's OAuth storage must have (`store/oauth.rs`), run against each
//! backend with [`oauth_contract_tests!`] like the main store contract.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::auth::{Scope, User};

use super::Store;
use super::oauth::{GrantId, GrantRecord, NewTokens, RecordKind, Redeem, Rotate, SecretHash, USED_REFRESH_KEPT};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().expect("valid date")
}

fn record() -> GrantRecord {
    GrantRecord {
        client_id: "dcr_client".into(),
        account: User { email: "shopper@example.com".into(), name: "Sam \"Shopper\" <b>".into() },
        scopes: BTreeSet::from([Scope::Cart, Scope::Orders]),
        resource: "https://shop.example/mcp/all".into(),
        redirect_uri: "https://chatgpt.com/connector_platform_oauth_redirect".into(),
        redirect_uri_given: true,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        created_at: t0(),
    }
}

fn tokens(n: u32, now: DateTime<Utc>) -> NewTokens {
    NewTokens {
        access: SecretHash::of(&format!("access-{n}")),
        access_expires_at: now + Duration::minutes(15),
        access_scopes: None,
        refresh: SecretHash::of(&format!("refresh-{n}")),
        refresh_expires_at: now + Duration::days(30),
    }
}

/// A grant whose code `code` was just created at `t0`, live for a minute.
async fn grant_with_code(store: &dyn Store, code: &str) -> GrantId {
    let id = GrantId::random();
    let code = SecretHash::of(code);
    store.oauth_create_grant(&id, &record(), &code, t0() + Duration::minutes(1), t0()).await.unwrap();
    id
}

pub(crate) async fn a_code_is_redeemed_once_and_a_replay_deletes_the_grant(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    let code = SecretHash::of("code");
    let view = store.oauth_code(&id, &code).await.unwrap().expect("the code finds its grant");
    assert_eq!(view.grant, record());
    assert!(!view.used);
    assert_eq!(view.expires_at, t0() + Duration::minutes(1));
    assert!(store.oauth_code(&id, &SecretHash::of("other")).await.unwrap().is_none(), "a wrong code finds nothing");
    assert_eq!(
        store.oauth_redeem_code(&id, &SecretHash::of("other"), &tokens(1, t0()), t0()).await.unwrap(),
        Redeem::Missing
    );

    assert_eq!(store.oauth_redeem_code(&id, &code, &tokens(1, t0()), t0()).await.unwrap(), Redeem::Issued);
    assert!(store.oauth_code(&id, &code).await.unwrap().expect("still there").used);
    let access = store.oauth_access(&id, &tokens(1, t0()).access).await.unwrap().expect("the access token is stored");
    assert_eq!(access.grant, record());
    assert_eq!(access.expires_at, t0() + Duration::minutes(15));

    assert_eq!(store.oauth_redeem_code(&id, &code, &tokens(2, t0()), t0()).await.unwrap(), Redeem::Replayed);
    assert!(store.oauth_access(&id, &tokens(1, t0()).access).await.unwrap().is_none(), "replay revokes the tokens");
    assert!(store.oauth_refresh(&id, &tokens(1, t0()).refresh).await.unwrap().is_none());
    assert!(store.oauth_code(&id, &code).await.unwrap().is_none());
}

pub(crate) async fn an_expired_code_cannot_be_redeemed(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    let late = t0() + Duration::minutes(1);
    assert_eq!(
        store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(1, late), late).await.unwrap(),
        Redeem::Missing
    );
    assert!(store.oauth_access(&id, &tokens(1, late).access).await.unwrap().is_none());
    let unknown = GrantId::random();
    assert_eq!(
        store.oauth_redeem_code(&unknown, &SecretHash::of("code"), &tokens(1, t0()), t0()).await.unwrap(),
        Redeem::Missing
    );
}

pub(crate) async fn refresh_tokens_rotate_and_reuse_deletes_the_grant(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(1, t0()), t0()).await.unwrap();
    let first = tokens(1, t0()).refresh;
    let view = store.oauth_refresh(&id, &first).await.unwrap().expect("current refresh token");
    assert!(!view.reused);
    assert_eq!(view.expires_at, t0() + Duration::days(30));

    let later = t0() + Duration::minutes(20);
    assert_eq!(store.oauth_rotate_refresh(&id, &first, &tokens(2, later), later).await.unwrap(), Rotate::Rotated);
    assert!(store.oauth_refresh(&id, &first).await.unwrap().expect("remembered").reused);
    assert!(!store.oauth_refresh(&id, &tokens(2, later).refresh).await.unwrap().expect("the new one").reused);
    assert!(store.oauth_access(&id, &tokens(2, later).access).await.unwrap().is_some());
    assert!(
        store.oauth_access(&id, &tokens(1, t0()).access).await.unwrap().is_none(),
        "an expired access token is dropped at rotation"
    );
    let stranger = SecretHash::of("never issued");
    assert_eq!(store.oauth_rotate_refresh(&id, &stranger, &tokens(3, later), later).await.unwrap(), Rotate::Missing);
    assert!(store.oauth_refresh(&id, &tokens(2, later).refresh).await.unwrap().is_some(), "a stranger revokes nothing");

    assert_eq!(store.oauth_rotate_refresh(&id, &first, &tokens(3, later), later).await.unwrap(), Rotate::Reused);
    assert!(store.oauth_refresh(&id, &tokens(2, later).refresh).await.unwrap().is_none(), "reuse revokes the grant");
    assert!(store.oauth_access(&id, &tokens(2, later).access).await.unwrap().is_none());
}

pub(crate) async fn a_rotation_may_narrow_the_access_token_only(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(1, t0()), t0()).await.unwrap();
    let first = store.oauth_access(&id, &tokens(1, t0()).access).await.unwrap().expect("stored");
    assert_eq!(first.scopes, record().scopes, "an access token without narrowing has the grant's scopes");
    let narrow = NewTokens { access_scopes: Some(BTreeSet::from([Scope::Cart])), ..tokens(2, t0()) };
    assert_eq!(
        store.oauth_rotate_refresh(&id, &tokens(1, t0()).refresh, &narrow, t0()).await.unwrap(),
        Rotate::Rotated
    );
    let view = store.oauth_access(&id, &narrow.access).await.unwrap().expect("stored");
    assert_eq!(view.scopes, BTreeSet::from([Scope::Cart]));
    assert_eq!(view.expires_at, narrow.access_expires_at);
    assert_eq!(view.grant.scopes, record().scopes, "the grant keeps its scopes");
    let refresh = store.oauth_refresh(&id, &narrow.refresh).await.unwrap().expect("current");
    assert_eq!(refresh.grant.scopes, record().scopes, "so does the refresh token");
    // A later rotation (which drops expired access tokens) reads the narrowed one's expiry.
    let later = t0() + Duration::minutes(20);
    assert_eq!(
        store.oauth_rotate_refresh(&id, &narrow.refresh, &tokens(3, later), later).await.unwrap(),
        Rotate::Rotated
    );
    assert!(store.oauth_access(&id, &narrow.access).await.unwrap().is_none(), "expired, dropped at rotation");
    assert_eq!(store.oauth_access(&id, &tokens(3, later).access).await.unwrap().expect("new").scopes, record().scopes);
}

pub(crate) async fn an_expired_refresh_token_does_not_rotate(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(1, t0()), t0()).await.unwrap();
    let late = t0() + Duration::days(30);
    let rotated = store.oauth_rotate_refresh(&id, &tokens(1, t0()).refresh, &tokens(2, late), late).await.unwrap();
    assert_eq!(rotated, Rotate::Missing);
}

pub(crate) async fn used_refresh_tokens_are_remembered_up_to_the_cap(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(0, t0()), t0()).await.unwrap();
    let rounds = u32::try_from(USED_REFRESH_KEPT).unwrap() + 1;
    for n in 0..rounds {
        let rotated = store.oauth_rotate_refresh(&id, &tokens(n, t0()).refresh, &tokens(n + 1, t0()), t0()).await;
        assert_eq!(rotated.unwrap(), Rotate::Rotated, "round {n}");
    }
    assert!(store.oauth_refresh(&id, &tokens(0, t0()).refresh).await.unwrap().is_none(), "the oldest is forgotten");
    assert!(store.oauth_refresh(&id, &tokens(1, t0()).refresh).await.unwrap().expect("kept").reused);
    assert_eq!(
        store.oauth_rotate_refresh(&id, &tokens(0, t0()).refresh, &tokens(99, t0()), t0()).await.unwrap(),
        Rotate::Missing
    );
    assert!(store.oauth_refresh(&id, &tokens(rounds, t0()).refresh).await.unwrap().is_some());
}

pub(crate) async fn revocation_forgets_tokens(store: &dyn Store) {
    let id = grant_with_code(store, "code").await;
    store.oauth_redeem_code(&id, &SecretHash::of("code"), &tokens(1, t0()), t0()).await.unwrap();
    store.oauth_revoke_access(&id, &tokens(1, t0()).access).await.unwrap();
    assert!(store.oauth_access(&id, &tokens(1, t0()).access).await.unwrap().is_none());
    assert!(store.oauth_refresh(&id, &tokens(1, t0()).refresh).await.unwrap().is_some(), "the grant stays");
    store.oauth_revoke_grant(&id).await.unwrap();
    assert!(store.oauth_refresh(&id, &tokens(1, t0()).refresh).await.unwrap().is_none());
    store.oauth_revoke_grant(&id).await.unwrap();
}

pub(crate) async fn records_expire_and_are_deleted(store: &dyn Store) {
    let json = r#"{"name":"Ünïcode \n and \"quotes\""}"#;
    store.oauth_put_record(RecordKind::Request, "abc", json, Some(t0() + Duration::minutes(10)), t0()).await.unwrap();
    store.oauth_put_record(RecordKind::Client, "abc", "{}", None, t0()).await.unwrap();
    assert_eq!(store.oauth_record(RecordKind::Request, "abc", t0()).await.unwrap().as_deref(), Some(json));
    assert_eq!(
        store.oauth_record(RecordKind::Client, "abc", t0()).await.unwrap().as_deref(),
        Some("{}"),
        "kinds apart"
    );
    let late = t0() + Duration::minutes(10);
    assert!(store.oauth_record(RecordKind::Request, "abc", late).await.unwrap().is_none());
    assert!(store.oauth_record(RecordKind::Client, "abc", late + Duration::days(400)).await.unwrap().is_some());
    store.oauth_delete_record(RecordKind::Client, "abc").await.unwrap();
    assert!(store.oauth_record(RecordKind::Client, "abc", t0()).await.unwrap().is_none());
}

macro_rules! oauth_contract_tests {
    ($setup:ident) => {
        $crate::store::oauth_contract::oauth_contract_tests! { @names (@each $setup) }
    };
    // Every test, one after the other, each on a store `$fresh` makes (a shared server).
    (in_sequence $fresh:expr) => {
        $crate::store::oauth_contract::oauth_contract_tests! { @names (@sequence $fresh) }
    };
    (@names ($($mode:tt)+)) => {
        $crate::store::oauth_contract::oauth_contract_tests! { $($mode)+;
            a_code_is_redeemed_once_and_a_replay_deletes_the_grant,
            an_expired_code_cannot_be_redeemed,
            refresh_tokens_rotate_and_reuse_deletes_the_grant,
            a_rotation_may_narrow_the_access_token_only,
            an_expired_refresh_token_does_not_rotate,
            used_refresh_tokens_are_remembered_up_to_the_cap,
            revocation_forgets_tokens,
            records_expire_and_are_deleted,
        }
    };
    (@sequence $fresh:expr; $($name:ident),+ $(,)?) => {
        $(
            let store = $fresh.await;
            eprintln!(concat!("oauth_contract::", stringify!($name)));
            $crate::store::oauth_contract::$name(&store).await;
        )+
    };
    (@each $setup:ident; $($name:ident),+ $(,)?) => {
        /// The OAuth storage contract, on this backend.
        mod oauth_contract {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_guard, store) = super::$setup().await;
                    $crate::store::oauth_contract::$name(&store).await;
                }
            )+
        }
    };
}
pub(crate) use oauth_contract_tests;
