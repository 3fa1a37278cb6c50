//! Legacy SSE across instances, over Redis pub/sub: every instance subscribes to
//! `target:v1:sse:<its instance tag>`; an instance that gets a POST for a session another
//! instance holds publishes `<sessionId>\n<body>` to that instance's channel, or
//! `<sessionId> <identity>\n<body>` when the POST carried a bearer token (the verified claims as
//! one line of JSON), and the holder queues it on the stream as if it had been POSTed there, with
//! that identity ([`LegacySse::deliver`]).
//!
//! `PUBLISH` answers how many subscribers got the message. 0 means either that the instance
//! stopped (the POST is answered 404: open a new stream) or that it is alive but resubscribing,
//! e.g. in the second after Redis restarted (503 + `Retry-After`: its stream is still open, and
//! a 404 would make the client drop it). To tell them apart, every subscribed instance keeps a
//! key `target:v1:sse:alive:<tag>` (refreshed every [`ALIVE_REFRESH`], expiring after
//! [`ALIVE_TTL`], deleted on shutdown); a restarted Redis has lost those keys, so while Redis
//! itself is younger than [`RESTART_GRACE`] an unknown tag is also answered 503. A message the
//! holder cannot queue (its stream closed meanwhile, its queue full) is dropped with a log line:
//! the POST was already answered 202, as a local POST answered before the stream closed would
//! have been.
//!
//! The subscriber resubscribes by itself (at once, then every second while Redis is away) and
//! stops on shutdown.
//!
//! It lives beside the transport it serves (it was in `store/` until issue 14), so `store/`
//! depends on nothing above it; only the key prefix and the error type come from the store.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio_util::sync::CancellationToken;

use super::sse::{Forwarded, LegacySse, SseForwarder};
use crate::store::StoreError;
use crate::store::redis::KEY_PREFIX;

/// How long connecting or one command may take.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between reconnect attempts of the subscriber.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
/// How long an instance's alive key outlives its last refresh (a crashed instance's sessions
/// answer 404 after that).
const ALIVE_TTL: Duration = Duration::from_secs(30);
/// How often a subscribed instance refreshes its alive key.
const ALIVE_REFRESH: Duration = Duration::from_secs(10);
/// How long after Redis starts an unknown instance tag is taken for one still resubscribing: a
/// subscriber tries at once, then every [`RECONNECT_EVERY`], so it is back within about a second.
const RESTART_GRACE: Duration = Duration::from_secs(3);

fn channel(instance: &str) -> String {
    format!("{KEY_PREFIX}sse:{instance}")
}

fn alive_key(instance: &str) -> String {
    format!("{KEY_PREFIX}sse:alive:{instance}")
}

/// Publishes forwarded messages; the [`SseForwarder`] of a [`LegacySse`].
struct Publisher {
    conn: ConnectionManager,
}

#[async_trait::async_trait]
impl SseForwarder for Publisher {
    async fn forward(
        &self,
        instance: &str,
        session_id: &str,
        identity: Option<&str>,
        body: Bytes,
    ) -> Result<Forwarded, String> {
        let identity = identity.unwrap_or_default();
        let mut payload = Vec::with_capacity(session_id.len() + 2 + identity.len() + body.len());
        payload.extend_from_slice(session_id.as_bytes());
        if !identity.is_empty() {
            // Compact JSON has no line break (strings escape them), so the first line stays one.
            payload.push(b' ');
            payload.extend_from_slice(identity.as_bytes());
        }
        payload.push(b'\n');
        payload.extend_from_slice(&body);
        let mut conn = self.conn.clone();
        let receivers: usize = timed(conn.publish(channel(instance), payload), "publish").await?;
        if receivers > 0 {
            return Ok(Forwarded::Delivered);
        }
        let alive: bool = timed(conn.exists(alive_key(instance)), "exists").await?;
        if alive {
            return Ok(Forwarded::NotListening);
        }
        let info: redis::InfoDict = timed(redis::cmd("INFO").arg("server").query_async(&mut conn), "info").await?;
        let uptime = Duration::from_secs(info.get::<u64>("uptime_in_seconds").unwrap_or(u64::MAX));
        Ok(if uptime < RESTART_GRACE { Forwarded::NotListening } else { Forwarded::Gone })
    }
}

/// One Redis command under [`TIMEOUT`], its error as text.
async fn timed<T>(command: impl Future<Output = redis::RedisResult<T>>, what: &str) -> Result<T, String> {
    tokio::time::timeout(TIMEOUT, command)
        .await
        .map_err(|_| format!("redis did not answer within {} s", TIMEOUT.as_secs()))?
        .map_err(|e| format!("redis: {what}: {e}"))
}

/// Marks `instance` as alive for [`ALIVE_TTL`].
async fn mark_alive(conn: &mut ConnectionManager, instance: &str) -> Result<(), String> {
    timed(conn.set_ex::<_, _, ()>(alive_key(instance), 1, ALIVE_TTL.as_secs()), "set alive key").await
}

/// Connects the relay for `sse`: subscribes to this instance's channel (returning only once the
/// subscription is live, so no forwarded message is missed) and sets the forwarder.
pub async fn start(client: redis::Client, sse: LegacySse, shutdown: CancellationToken) -> Result<(), StoreError> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1);
    let conn = tokio::time::timeout(TIMEOUT, ConnectionManager::new_with_config(client.clone(), config))
        .await
        .map_err(|_| StoreError::Backend("redis did not answer in time (SSE relay)".into()))?
        .map_err(|e| StoreError::Backend(format!("redis: SSE relay: {e}")))?;
    let first = subscribe(&client, &channel(sse.instance_tag())).await.map_err(StoreError::Backend)?;
    let mut alive = conn.clone();
    mark_alive(&mut alive, sse.instance_tag()).await.map_err(StoreError::Backend)?;
    sse.set_forwarder(Arc::new(Publisher { conn }));
    tokio::spawn(receive(client, alive, sse, first, shutdown));
    Ok(())
}

async fn subscribe(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub, String> {
    let mut pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| "redis did not answer in time (SSE relay subscribe)".to_owned())?
        .map_err(|e| format!("redis: SSE relay subscribe: {e}"))?;
    tokio::time::timeout(TIMEOUT, pubsub.subscribe(channel))
        .await
        .map_err(|_| "redis did not confirm the SSE relay subscription in time".to_owned())?
        .map_err(|e| format!("redis: SSE relay subscribe: {e}"))?;
    Ok(pubsub)
}

/// Delivers forwarded messages until shutdown, resubscribing whenever the connection drops and
/// keeping this instance's alive key fresh; on shutdown, deletes the key (so POSTs for this
/// instance's streams answer 404 at once).
async fn receive(
    client: redis::Client,
    mut conn: ConnectionManager,
    sse: LegacySse,
    first: redis::aio::PubSub,
    shutdown: CancellationToken,
) {
    listen(&client, &mut conn, &sse, first, &shutdown).await;
    if let Err(error) = timed(conn.del::<_, ()>(alive_key(sse.instance_tag())), "delete alive key").await {
        tracing::warn!(%error, "legacy SSE relay: could not withdraw this instance's alive key");
    }
}

async fn listen(
    client: &redis::Client,
    conn: &mut ConnectionManager,
    sse: &LegacySse,
    first: redis::aio::PubSub,
    shutdown: &CancellationToken,
) {
    let own = channel(sse.instance_tag());
    let mut pubsub = Some(first);
    // The first attempt after a drop is immediate: a restarted Redis is often back already.
    let mut wait = Duration::ZERO;
    loop {
        let Some(live) = pubsub.take() else {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = RECONNECT_EVERY;
            match subscribe(client, &own).await {
                Ok(live) => {
                    tracing::info!("legacy SSE relay: subscribed again");
                    pubsub = Some(live);
                }
                Err(error) => tracing::warn!(%error, "legacy SSE relay: cannot subscribe yet"),
            }
            continue;
        };
        wait = Duration::ZERO;
        let mut messages = live.into_on_message();
        let mut refresh = tokio::time::interval(ALIVE_REFRESH);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                // The first tick is immediate: after a resubscription the key is set again at once.
                _ = refresh.tick() => {
                    if let Err(error) = mark_alive(conn, sse.instance_tag()).await {
                        tracing::warn!(%error, "legacy SSE relay: could not refresh this instance's alive key");
                    }
                }
                message = messages.next() => match message {
                    Some(message) => {
                        let payload = message.get_payload_bytes();
                        match payload.iter().position(|b| *b == b'\n') {
                            Some(split) => match std::str::from_utf8(&payload[..split]) {
                                Ok(head) => {
                                    let (session, identity) = match head.split_once(' ') {
                                        Some((session, identity)) => (session, Some(identity)),
                                        None => (head, None),
                                    };
                                    let body = Bytes::copy_from_slice(&payload[split + 1..]);
                                    sse.deliver(session, identity, body).await;
                                }
                                Err(_) => tracing::warn!("legacy SSE relay: session id or identity is not UTF-8; dropped"),
                            },
                            None => tracing::warn!("legacy SSE relay: message without a session id; dropped"),
                        }
                    }
                    None => {
                        tracing::warn!("legacy SSE relay: connection to Redis lost; resubscribing");
                        break;
                    }
                },
            }
        }
    }
}
