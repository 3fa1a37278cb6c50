//! The connection the Redis store talks through: one Redis (or a primary with replicas) over a
//! self-reconnecting `ConnectionManager`, or a Redis Cluster over a cluster connection that sends
//! each command to the primary of its key's slot and follows the slots when they move.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use super::{CONNECT_TIMEOUT, REPLICA_WAIT, RESPONSE_TIMEOUT, RedisTls, backend, tls_url};
use crate::store::StoreError;

#[derive(Clone)]
pub(super) enum Conn {
    One(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::One(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::One(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::One(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

impl Conn {
    /// `WAIT replicas` on the primary holding `key`, on the connection the write went through:
    /// how many replicas have every write sent before it (at most [`REPLICA_WAIT`] later).
    pub(super) async fn wait(&mut self, key: &str, replicas: u32) -> RedisResult<i64> {
        let mut wait = redis::cmd("WAIT");
        wait.arg(replicas).arg(u64::try_from(REPLICA_WAIT.as_millis()).unwrap_or(u64::MAX));
        match self {
            Conn::One(c) => wait.query_async(c).await,
            Conn::Cluster(c) => {
                let primary = SingleNodeRoutingInfo::SpecificNode(Route::with_key(key, SlotAddr::Master));
                let confirmed = c.route_command(wait, RoutingInfo::SingleNode(primary)).await?;
                Ok(redis::from_redis_value(confirmed)?)
            }
        }
    }
}

/// A cluster client for the seed node `url` (`redis://` or `rediss://`, as for [`super::open_client`];
/// the other nodes are discovered) with the TLS options. Nothing is connected yet.
pub fn open_cluster_client(url: &str, tls: &RedisTls) -> Result<ClusterClient, StoreError> {
    let url = tls_url(url, tls);
    let mut builder = ClusterClientBuilder::new([url.as_str()])
        .connection_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        .retries(RETRIES)
        .min_retry_wait(100)
        .max_retry_wait(1000);
    if let Some(pem) = &tls.ca_pem {
        builder = builder.certs(redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) });
    }
    builder.build().map_err(|e| backend("invalid REDIS_URL or TLS settings for the cluster", e))
}

/// How often the cluster connection retries a command that met a moving slot or a lost node
/// before it answers an error (within the operation deadline).
const RETRIES: u32 = 4;
