//! The Redis store on a local Redis Cluster the tests start (`RedisTestCluster`): the shared
//! contracts with every write waiting for its replica, shoppers spread over every primary, a
//! failover of the primary holding a cart, and a slot left without a primary.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use shared::auth::User;
use shared::membership::{Membership, MembershipTier};
use tokio::sync::mpsc;

use super::*;
use crate::identity::sessions::new_session_id;
use crate::store::contract::{CONTRACT_TTL, idem, order, product, session};
use crate::store::redis_test_cluster::RedisTestCluster;

/// Generous bound for one operation while a slot has no primary (the operation deadline is 5 s).
const ANSWER_WITHIN: Duration = Duration::from_secs(8);
/// Generous bound for the store to serve a slot again once its replica is promoted.
const RECOVERY: Duration = Duration::from_secs(30);

async fn start(primaries: usize, replicas: usize) -> RedisTestCluster {
    tokio::task::spawn_blocking(move || RedisTestCluster::start(primaries, replicas)).await.expect("cluster starts")
}

async fn connect(cluster: &RedisTestCluster) -> RedisStore {
    let client = open_cluster_client(&cluster.urls()[0], &RedisTls::default()).expect("a cluster client");
    RedisStore::connect_cluster(client, CONTRACT_TTL).await.expect("the store connects to the cluster")
}

/// An empty cluster (every primary flushed) and a store on it whose writes wait for a replica.
async fn fresh(cluster: &RedisTestCluster) -> RedisStore {
    for url in cluster.urls() {
        let mut node = redis::Client::open(url.as_str()).and_then(|c| c.get_connection()).expect("a node answers");
        // Replicas refuse (READONLY) and follow their primary.
        let _: redis::RedisResult<()> = redis::cmd("FLUSHALL").query(&mut node);
    }
    connect(cluster).await.with_wait_replicas(1)
}

/// Every test of the three storage contracts, one after the other on one 3-primary cluster with
/// a replica each (a cluster per test would take minutes). A script that touched two slots
/// would fail here with CROSSSLOT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_contracts_hold_on_a_cluster_with_replicas() {
    let cluster = start(3, 1).await;
    crate::store::contract::store_contract_tests!(in_sequence fresh(&cluster));
    crate::store::commerce_contract::commerce_contract_tests!(in_sequence fresh(&cluster));
    crate::store::oauth_contract::oauth_contract_tests!(in_sequence fresh(&cluster));
}

fn member() -> Membership {
    Membership { tier: MembershipTier::Circle, member_since: Utc::now(), lifetime_savings_cents: Cents(0) }
}

fn chat(id: &SessionId) -> Session {
    Session { id: id.clone(), ..session(1, Utc::now()) }
}

/// Shoppers with random ids, so their homes land on every primary: each signs in (a new id in
/// the same home), checks out with a key (and replays it), collects Circle savings on another
/// slot, and has an anonymous cart merged into a linked account's session in another home. Then
/// the primary of one shopper's home dies with no replica to take over: that shopper's calls
/// answer a backend error within the deadline, without hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_in_every_home_check_out_sign_in_and_merge_across_slots() {
    let mut cluster = start(3, 0).await;
    let store = connect(&cluster).await;
    let now = Utc::now();
    let mut primaries = HashSet::new();
    let mut last = None;
    for n in 0..12 {
        let email = format!("shopper{n}@example.com");
        let user = User { email: email.clone(), name: format!("Shopper {n}") };
        let anonymous = new_session_id();
        primaries.insert(cluster.primary_for_key(&session_key(&anonymous)));
        store.create_session(chat(&anonymous)).await.unwrap();
        store.add_to_cart(&anonymous, product("10000001"), 2, 99, now).await.unwrap();
        store.join_membership(&email, member()).await.unwrap();

        let signed_in = Home::renewed_session_id(&anonymous);
        let s = store.renew_session(&anonymous, &signed_in, &user, now).await.unwrap();
        assert_eq!(s.cart.len(), 1, "the cart moved with the sign-in");
        let key = idem("checkout-key-1");
        let placed = Order { order_id: Home::of_session(&signed_in).new_order_id(), ..order(0, &email, now) };
        let first = store.place_order(&signed_in, Some(&key), &s.cart, placed, Cents(25)).await.unwrap();
        assert!(!first.replayed);
        let again = Order { order_id: Home::of_session(&signed_in).new_order_id(), ..order(0, &email, now) };
        let replay = store.place_order(&signed_in, Some(&key), &s.cart, again, Cents(25)).await.unwrap();
        assert!(replay.replayed && replay.order == first.order);
        assert_eq!(store.order_for_key(&signed_in, &email, &key).await.unwrap(), Some(first.order.clone()));
        assert_eq!(store.order(&first.order.order_id).await.unwrap(), Some(first.order.clone()));
        let savings = store.membership(&email).await.unwrap().unwrap().lifetime_savings_cents;
        assert_eq!(savings, Cents(25), "added once, on the membership's own slot");

        let cart_owner = new_session_id();
        store.create_session(chat(&cart_owner)).await.unwrap();
        store.add_to_cart(&cart_owner, product("20000002"), 3, 99, now).await.unwrap();
        let account = Session { kind: SessionKind::Account, user: Some(user), ..chat(&new_session_id()) };
        primaries.insert(cluster.primary_for_key(&session_key(&account.id)));
        store.account_session(account.clone(), now).await.unwrap();
        let merged = store.merge_cart(&cart_owner, &account.id, 99, now).await.unwrap().expect("the line moved");
        assert_eq!(merged.cart, vec![CartEntry { product: product("20000002"), quantity: 3 }]);
        assert!(store.session(&cart_owner, now).await.unwrap().unwrap().cart.is_empty());
        assert!(store.merge_cart(&cart_owner, &account.id, 99, now).await.unwrap().is_none(), "once");
        last = Some(signed_in);
    }
    assert_eq!(primaries.len(), 3, "the shoppers' homes are spread over every primary");

    // An order number drawn outside its session's home is refused before Redis sees it.
    let home = last.expect("a shopper");
    let digits: u16 = Home::of_session(&home).tag().trim_matches(['{', '}']).parse().expect("a home is four digits");
    let elsewhere = OrderId::parse(format!("TGT-{:04}00000001", (digits + 1) % 10_000)).unwrap();
    let outside = Order { order_id: elsewhere, ..order(0, "a@b.co", now) };
    let refused = store.place_order(&home, None, &[], outside, Cents(0)).await;
    assert!(matches!(&refused, Err(StoreError::Backend(m)) if m.contains("home")), "{refused:?}");

    let dead = cluster.primary_for_key(&session_key(&home));
    tokio::task::block_in_place(|| cluster.kill(dead));
    let started = Instant::now();
    let answer = tokio::time::timeout(ANSWER_WITHIN, store.session(&home, now)).await.expect("no hang");
    match answer {
        Err(StoreError::Backend(message)) => assert!(message.starts_with("redis"), "{message}"),
        other => panic!("a slot without a primary must be a backend error, got {other:?}"),
    }
    eprintln!("a slot without a primary answered in {:?}", started.elapsed());
}

/// A shopper keeps adding to carts while the primary holding them is killed: one of its two
/// replicas takes over (the other follows it, so writes can wait for a replica again), and every
/// add that was acknowledged (each waited for a replica) is in its cart afterwards. Adds during
/// the failover either wait it out or answer a backend error in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_of_the_primary_holding_a_cart_loses_no_acknowledged_write() {
    let mut cluster = start(3, 2).await;
    let store = connect(&cluster).await.with_wait_replicas(1);
    let now = Utc::now();
    let first = new_session_id();
    let primary = cluster.primary_for_key(&session_key(&first));

    // The writer fills carts of one home (one slot) line by line until it is stopped, starting a
    // new cart of the same home when one is nearly full; it reports every acknowledged line.
    let (acks, mut acked) = mpsc::unbounded_channel::<(SessionId, String)>();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let writer = {
        let (store, first) = (store.clone(), first.clone());
        tokio::spawn(async move {
            let mut errors = Vec::new();
            let (mut cart, mut lines) = (None::<SessionId>, 0);
            let mut n = 0u32;
            while stopped.try_recv().is_err() {
                let started = Instant::now();
                let Some(id) = cart.clone() else {
                    let id = Home::renewed_session_id(&first);
                    match store.create_session(chat(&id)).await {
                        Ok(()) => (cart, lines) = (Some(id), 0),
                        Err(e) => errors.push((e, started.elapsed())),
                    }
                    continue;
                };
                n += 1;
                let pid = format!("{}", 30_000_000 + n);
                let product = Arc::new(crate::test_support::product(&pid, 100, None));
                match store.add_to_cart(&id, product, 1, 99, now).await {
                    Ok(_) => {
                        acks.send((id, pid)).expect("the test listens");
                        lines += 1;
                        if lines == CART_MAX_LINES - 1 {
                            cart = None;
                        }
                    }
                    Err(e) => {
                        eprintln!("add {pid} refused after {:?}: {e}", started.elapsed());
                        errors.push((e, started.elapsed()));
                    }
                }
            }
            errors
        })
    };
    let mut confirmed = Vec::new();
    while confirmed.len() < 20 {
        confirmed.push(acked.recv().await.expect("the writer acknowledges adds"));
    }
    let new_primary = tokio::task::block_in_place(|| {
        cluster.kill(primary);
        cluster.wait_for_new_primary(&session_key(&first), primary)
    });
    assert_ne!(new_primary, primary);
    let before = confirmed.len();
    while confirmed.len() < before + 20 {
        let ack = tokio::time::timeout(RECOVERY, acked.recv()).await;
        confirmed.push(ack.ok().flatten().expect("adds are acknowledged again after the failover"));
    }
    let _ = stop.send(());
    let errors = writer.await.unwrap();
    while let Ok(ack) = acked.try_recv() {
        confirmed.push(ack);
    }

    let mut carts: HashMap<SessionId, HashSet<String>> = HashMap::new();
    for (id, pid) in &confirmed {
        if !carts.contains_key(id) {
            let cart = store.session(id, now).await.unwrap().expect("the session survived the failover").cart;
            carts.insert(id.clone(), cart.iter().map(|e| e.product.id.to_string()).collect());
        }
        assert!(carts[id].contains(pid), "acknowledged add of {pid} to {id} was lost");
    }
    for (error, took) in &errors {
        assert!(matches!(error, StoreError::Backend(m) if m.starts_with("redis")), "{error:?}");
        assert!(*took < ANSWER_WITHIN, "an add during the failover took {took:?}");
    }
    eprintln!(
        "{} adds acknowledged in {} carts, {} refused during the failover: {errors:?}",
        confirmed.len(),
        carts.len(),
        errors.len()
    );
}
