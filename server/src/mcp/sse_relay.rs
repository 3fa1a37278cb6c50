//! Legacy SSE across instances, over Redis pub/sub: every instance subscribes to
//! `target:v1:sse:<its instance tag>`; an instance that gets a POST for a session another
//! instance holds publishes `<sessionId>\n<body>` to that instance's channel, and the holder
//! queues it on the stream as if it had been POSTed there ([`LegacySse::deliver`]).
//!
//! `PUBLISH` answers how many subscribers got the message: 0 means no instance has that tag any
//! more (it stopped), and the POST is answered 404. A message the holder cannot queue (its stream
//! closed meanwhile, its queue full) is dropped with a log line: the POST was already answered
//! 202, as a local POST answered before the stream closed would have been.
//!
//! The subscriber reconnects by itself (every second while Redis is away) and stops on shutdown.
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

use super::sse::{LegacySse, SseForwarder};
use crate::store::StoreError;
use crate::store::redis::KEY_PREFIX;

/// How long connecting or one command may take.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between reconnect attempts of the subscriber.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

fn channel(instance: &str) -> String {
    format!("{KEY_PREFIX}sse:{instance}")
}

/// Publishes forwarded messages; the [`SseForwarder`] of a [`LegacySse`].
struct Publisher {
    conn: ConnectionManager,
}

#[async_trait::async_trait]
impl SseForwarder for Publisher {
    async fn forward(&self, instance: &str, session_id: &str, body: Bytes) -> Result<bool, String> {
        let mut payload = Vec::with_capacity(session_id.len() + 1 + body.len());
        payload.extend_from_slice(session_id.as_bytes());
        payload.push(b'\n');
        payload.extend_from_slice(&body);
        let mut conn = self.conn.clone();
        let receivers: usize = tokio::time::timeout(TIMEOUT, conn.publish(channel(instance), payload))
            .await
            .map_err(|_| format!("redis did not answer within {} s", TIMEOUT.as_secs()))?
            .map_err(|e| format!("redis: publish: {e}"))?;
        Ok(receivers > 0)
    }
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
    let own = channel(sse.instance_tag());
    let first = subscribe(&client, &own).await.map_err(StoreError::Backend)?;
    sse.set_forwarder(Arc::new(Publisher { conn }));
    tokio::spawn(receive(client, own, sse, first, shutdown));
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

/// Delivers forwarded messages until shutdown, resubscribing whenever the connection drops.
async fn receive(
    client: redis::Client,
    channel: String,
    sse: LegacySse,
    first: redis::aio::PubSub,
    shutdown: CancellationToken,
) {
    let mut pubsub = Some(first);
    loop {
        let Some(live) = pubsub.take() else {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(RECONNECT_EVERY) => {}
            }
            match subscribe(&client, &channel).await {
                Ok(live) => {
                    tracing::info!("legacy SSE relay: subscribed again");
                    pubsub = Some(live);
                }
                Err(error) => tracing::warn!(%error, "legacy SSE relay: cannot subscribe yet"),
            }
            continue;
        };
        let mut messages = live.into_on_message();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                message = messages.next() => match message {
                    Some(message) => {
                        let payload = message.get_payload_bytes();
                        match payload.iter().position(|b| *b == b'\n') {
                            Some(split) => match std::str::from_utf8(&payload[..split]) {
                                Ok(session) => {
                                    let body = Bytes::copy_from_slice(&payload[split + 1..]);
                                    sse.deliver(session, body).await;
                                }
                                Err(_) => tracing::warn!("legacy SSE relay: session id is not UTF-8; dropped"),
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
