//! A throwaway Redis Cluster for tests: `redis-server` nodes on free loopback ports (each with its
//! cluster bus on port + 10000), without persistence, in a fresh directory; joined by
//! `redis-cli --cluster create`, ready once every node says `cluster_state:ok` and every primary has
//! its replicas online. A node can be killed (SIGKILL, a crash) to test failover; everything is
//! killed and the directory removed when dropped.
//!
//! The cluster is tuned to fail over fast: `cluster-node-timeout` is 1000 ms, a replica always
//! counts as fit to take over (`cluster-replica-validity-factor 0`), and replicas never migrate to
//! another primary (`cluster-allow-replica-migration no`), so the layout only changes by failover.
//!
//! Everything here blocks (std processes and the `redis` crate's synchronous connections): call it
//! from a plain `#[test]`, or from `tokio::task::spawn_blocking`.
//!
//! `redis-server` and `redis-cli` must be installed (`apt-get install -y redis-server`); without
//! them the test fails with that instruction instead of being skipped.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long starting the nodes, creating the cluster and waiting for it to be ok may take.
const START_WITHIN: Duration = Duration::from_secs(30);
/// How long a failover may take once the primary is killed.
const FAILOVER_WITHIN: Duration = Duration::from_secs(20);
/// `cluster-node-timeout`: a node unreachable this long is suspected failed.
const NODE_TIMEOUT_MS: u32 = 1000;
/// Pause between two looks at the nodes while waiting.
const POLL: Duration = Duration::from_millis(50);
/// The cluster bus of a node listens on its port + this.
const BUS_OFFSET: u16 = 10000;
/// Hash slots in a Redis Cluster.
const SLOTS: u32 = 16384;

/// Ports handed out to clusters of this process, so two clusters started at once never share one.
static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

pub(crate) struct RedisTestCluster {
    dir: PathBuf,
    /// After [`RedisTestCluster::start`]: the primaries (in port order), then the replicas.
    nodes: Vec<Node>,
}

struct Node {
    port: u16,
    /// `None` once killed.
    child: Option<Child>,
}

impl RedisTestCluster {
    /// Starts `primaries` primaries (at least 3: a smaller cluster cannot elect a new primary
    /// after a crash) with `replicas_per_primary` replicas each, and waits until the cluster is
    /// ok and every replica is attached and in sync. Panics, naming what did not happen, if that
    /// takes longer than 30 s.
    pub(crate) fn start(primaries: usize, replicas_per_primary: usize) -> Self {
        assert!(primaries >= 3, "redis-cli --cluster create needs at least 3 primaries, not {primaries}");
        let deadline = Instant::now() + START_WITHIN;
        let count = primaries * (1 + replicas_per_primary);
        let mut cluster = RedisTestCluster { dir: fresh_dir(), nodes: Vec::with_capacity(count) };
        // From here on a panic drops `cluster`, which kills what was started.
        for port in free_ports(count) {
            let node = cluster.spawn_node(port, deadline);
            cluster.nodes.push(node);
        }
        cluster.create(replicas_per_primary, deadline);
        cluster.wait_until_ready(primaries, replicas_per_primary, deadline);
        cluster
    }

    /// `redis://127.0.0.1:<port>` of every node started, killed ones too: the primaries first
    /// (as the cluster was created), then the replicas.
    pub(crate) fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|node| format!("redis://127.0.0.1:{}", node.port)).collect()
    }

    /// The ports of the nodes still running, in the order of [`RedisTestCluster::urls`].
    pub(crate) fn live_ports(&self) -> Vec<u16> {
        self.nodes.iter().filter(|node| node.child.is_some()).map(|node| node.port).collect()
    }

    /// The port of the primary of `key`'s slot, as the first live node that answers sees it. Right
    /// after a [`RedisTestCluster::kill`] that may still be the killed node: wait with
    /// [`RedisTestCluster::wait_for_new_primary`] for the failover.
    pub(crate) fn primary_for_key(&self, key: &str) -> u16 {
        let mut errors = Vec::new();
        for port in self.live_ports() {
            let view = key_slot(port, key).and_then(|slot| Ok((slot, cluster_nodes(port)?)));
            match view {
                Ok((slot, nodes)) => match slot_owner(&nodes, slot) {
                    Some(owner) => return owner.port,
                    None => errors.push(format!("127.0.0.1:{port} knows no primary for slot {slot}")),
                },
                Err(e) => errors.push(format!("127.0.0.1:{port}: {e}")),
            }
        }
        panic!("no live node of the Redis test cluster names the primary of key {key:?}: {}", errors.join("; "));
    }

    /// The port of a running replica of the primary on `primary_port` that the cluster sees as
    /// healthy (not failed, link connected), as the first live node that answers sees it.
    pub(crate) fn replica_of(&self, primary_port: u16) -> Option<u16> {
        let nodes = self.live_ports().into_iter().find_map(|port| cluster_nodes(port).ok())?;
        let primary = nodes.iter().find(|node| node.port == primary_port)?;
        let live = self.live_ports();
        nodes
            .iter()
            .filter(|node| node.master.as_deref() == Some(primary.id.as_str()))
            .find(|node| node.connected && !node.failed() && live.contains(&node.port))
            .map(|node| node.port)
    }

    /// Kills the node on `port` with SIGKILL (a crash: no goodbye to the cluster) and keeps it
    /// dead. Killing a dead node does nothing; a port of no node of this cluster panics.
    pub(crate) fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|node| node.port == port)
            .unwrap_or_else(|| panic!("no node of the Redis test cluster listens on port {port}"));
        node.stop();
    }

    /// Waits until a live node other than `old_port` serves `key`'s slot as primary (it says so
    /// itself, and every live node agrees) and every live node says `cluster_state:ok`; returns
    /// its port. Panics with what the nodes last said if that takes longer than 20 s.
    pub(crate) fn wait_for_new_primary(&self, key: &str, old_port: u16) -> u16 {
        let deadline = Instant::now() + FAILOVER_WITHIN;
        let mut slot = None;
        loop {
            if slot.is_none() {
                slot = self.live_ports().into_iter().find_map(|port| key_slot(port, key).ok());
            }
            let status = match slot {
                Some(slot) => self.new_primary(slot, old_port),
                None => Err("no live node answered CLUSTER KEYSLOT".to_owned()),
            };
            match status {
                Ok(port) => return port,
                Err(e) if Instant::now() >= deadline => panic!(
                    "the Redis test cluster did not fail over key {key:?} from 127.0.0.1:{old_port} within \
                     {FAILOVER_WITHIN:?}: {e}"
                ),
                Err(_) => pause(),
            }
        }
    }

    /// The primary of `slot` if every live node agrees it is a live node other than `old_port`,
    /// that node says so itself, and every live node's cluster state is ok; else what is missing.
    fn new_primary(&self, slot: u16, old_port: u16) -> Result<u16, String> {
        let live = self.live_ports();
        let mut owners = Vec::new();
        for &port in &live {
            let state = cluster_info(port)?;
            if field(&state, "cluster_state") != Some("ok") {
                return Err(format!(
                    "127.0.0.1:{port} says cluster_state:{}",
                    field(&state, "cluster_state").unwrap_or("?")
                ));
            }
            let nodes = cluster_nodes(port)?;
            let owner =
                slot_owner(&nodes, slot).ok_or_else(|| format!("127.0.0.1:{port} knows no primary for slot {slot}"))?;
            if owner.myself != (owner.port == port) {
                return Err(format!("127.0.0.1:{port} disagrees with itself about slot {slot}"));
            }
            owners.push((port, owner.port));
        }
        let Some(&(_, owner)) = owners.first() else {
            return Err("no node of the cluster is running".to_owned());
        };
        if owners.iter().any(|&(_, other)| other != owner) {
            let seen: Vec<String> = owners.iter().map(|(port, owner)| format!("{port} sees {owner}")).collect();
            return Err(format!("the live nodes disagree on the primary of slot {slot}: {}", seen.join(", ")));
        }
        if owner == old_port {
            return Err(format!("the live nodes still name 127.0.0.1:{old_port} the primary of slot {slot}"));
        }
        if !live.contains(&owner) {
            return Err(format!("the live nodes name 127.0.0.1:{owner}, which is not running, primary of slot {slot}"));
        }
        Ok(owner)
    }

    /// Starts `redis-server` on `port`, waiting until it answers PING; a port taken meanwhile by
    /// someone else is replaced by another.
    fn spawn_node(&self, port: u16, deadline: Instant) -> Node {
        let mut port = port;
        let mut errors = Vec::new();
        for _ in 0..5 {
            let mut node = Node { port, child: Some(self.spawn_server(port)) };
            match node.wait_for_ping(deadline) {
                Ok(()) => return node,
                Err(e) => {
                    node.stop();
                    errors.push(format!("{e} ({})", log_tail(&self.log(port))));
                    if Instant::now() >= deadline {
                        break;
                    }
                    port = free_ports(1)[0];
                }
            }
        }
        panic!("could not start a redis-server for the Redis test cluster: {}", errors.join("; "));
    }

    fn spawn_server(&self, port: u16) -> Child {
        let dir = self.dir.display().to_string();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir", &dir])
            .args(["--cluster-enabled", "yes", "--cluster-config-file", &format!("{dir}/nodes-{port}.conf")])
            .args(["--cluster-node-timeout", &NODE_TIMEOUT_MS.to_string()])
            .args(["--cluster-replica-validity-factor", "0", "--cluster-allow-replica-migration", "no"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--repl-diskless-sync",
                "yes",
                "--repl-diskless-sync-delay",
                "0",
            ])
            .args(["--daemonize", "no", "--loglevel", "notice", "--logfile", &self.log(port).display().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed, and the Redis Cluster tests need it: \
                 run `apt-get update && apt-get install -y redis-server`"
            ),
            Err(e) => panic!("cannot run redis-server: {e}"),
        }
    }

    fn log(&self, port: u16) -> PathBuf {
        self.dir.join(format!("redis-{port}.log"))
    }

    /// `redis-cli --cluster create` over every node, the first ones becoming the primaries.
    fn create(&self, replicas_per_primary: usize, deadline: Instant) {
        let out = self.dir.join("cluster-create.out");
        let out_file = std::fs::File::create(&out).expect("create the redis-cli output file");
        let err_file = out_file.try_clone().expect("share the redis-cli output file");
        let spawned = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(self.nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)))
            .args(["--cluster-replicas", &replicas_per_primary.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(out_file)
            .stderr(err_file)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-cli is not installed, and the Redis Cluster tests need it: \
                 run `apt-get update && apt-get install -y redis-server` (or redis-tools)"
            ),
            Err(e) => panic!("cannot run redis-cli: {e}"),
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "redis-cli --cluster create did not finish within {START_WITHIN:?}: {}",
                        std::fs::read_to_string(&out).unwrap_or_default()
                    );
                }
                Ok(None) => pause(),
                Err(e) => panic!("cannot wait for redis-cli: {e}"),
            }
        };
        assert!(
            status.success(),
            "redis-cli --cluster create failed ({status}): {}",
            std::fs::read_to_string(&out).unwrap_or_default()
        );
    }

    /// Waits until every node says the cluster is ok and knows every node, there are `primaries`
    /// primaries covering all slots, and each has `replicas` replicas online; then orders
    /// `self.nodes` primaries first.
    fn wait_until_ready(&mut self, primaries: usize, replicas: usize, deadline: Instant) {
        loop {
            match self.ready(primaries, replicas) {
                Ok(primary_ports) => {
                    self.nodes.sort_by_key(|node| (!primary_ports.contains(&node.port), node.port));
                    return;
                }
                Err(e) if Instant::now() >= deadline => {
                    panic!("the Redis test cluster was not ready within {START_WITHIN:?}: {e}")
                }
                Err(_) => pause(),
            }
        }
    }

    /// The primaries' ports if the cluster is ready, else what is missing.
    fn ready(&self, primaries: usize, replicas: usize) -> Result<HashSet<u16>, String> {
        for node in &self.nodes {
            let info = cluster_info(node.port)?;
            let port = node.port;
            if field(&info, "cluster_state") != Some("ok") {
                return Err(format!(
                    "127.0.0.1:{port} says cluster_state:{}",
                    field(&info, "cluster_state").unwrap_or("?")
                ));
            }
            let known = field(&info, "cluster_known_nodes").unwrap_or("?");
            if known != self.nodes.len().to_string() {
                return Err(format!("127.0.0.1:{port} knows {known} nodes of {}", self.nodes.len()));
            }
        }
        let nodes = cluster_nodes(self.nodes[0].port)?;
        let masters: Vec<&NodeLine> = nodes.iter().filter(|node| node.is_master()).collect();
        if masters.len() != primaries {
            return Err(format!("{} primaries, not {primaries}", masters.len()));
        }
        let covered: u32 = masters.iter().flat_map(|node| &node.slots).map(|&(a, b)| u32::from(b - a) + 1).sum();
        if covered != SLOTS {
            return Err(format!("the primaries serve {covered} slots of {SLOTS}"));
        }
        for master in &masters {
            let replication = info_replication(master.port)?;
            let online =
                replication.lines().filter(|line| line.starts_with("slave") && line.contains("state=online")).count();
            if online != replicas {
                return Err(format!("primary 127.0.0.1:{} has {online} replicas online, not {replicas}", master.port));
            }
            let attached = nodes.iter().filter(|node| node.master.as_deref() == Some(master.id.as_str())).count();
            if attached != replicas {
                return Err(format!(
                    "CLUSTER NODES shows {attached} replicas of 127.0.0.1:{}, not {replicas}",
                    master.port
                ));
            }
        }
        Ok(masters.iter().map(|node| node.port).collect())
    }
}

impl Drop for RedisTestCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Node {
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // std's `kill` is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_for_ping(&mut self, deadline: Instant) -> Result<(), String> {
        let port = self.port;
        loop {
            let child = self.child.as_mut().expect("the node was just started");
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("redis-server on port {port} exited at start ({status})"));
            }
            let pong = connect(port)
                .and_then(|mut con| redis::cmd("PING").query::<String>(&mut con).map_err(|e| e.to_string()));
            if pong.as_deref() == Ok("PONG") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("redis-server on port {port} did not answer PING within {START_WITHIN:?}"));
            }
            pause();
        }
    }
}

/// Waits [`POLL`] before looking at the nodes again. The harness waits on other processes (it
/// has no clock to move), and blocks by design: see the module documentation.
#[allow(clippy::disallowed_methods, reason = "polls external redis-server processes, not a test clock")]
fn pause() {
    std::thread::sleep(POLL);
}

/// A fresh, empty directory for the nodes' files.
fn fresh_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "target-mcp-redis-cluster-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the Redis test cluster's directory");
    dir
}

/// `count` distinct loopback ports that are free now, each with its bus port (+ 10000) free too,
/// and never handed out before in this process.
fn free_ports(count: usize) -> Vec<u16> {
    let mut taken = TAKEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let taken = taken.get_or_insert_with(HashSet::new);
    // Held until all are picked, so the system does not hand out one port twice.
    let mut held = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..1000 {
        if ports.len() == count {
            break;
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
        let port = listener.local_addr().expect("local address").port();
        let Some(bus) = port.checked_add(BUS_OFFSET) else { continue };
        if taken.contains(&port) || taken.contains(&bus) {
            continue;
        }
        let Ok(bus_listener) = TcpListener::bind(("127.0.0.1", bus)) else { continue };
        taken.extend([port, bus]);
        ports.push(port);
        held.push((listener, bus_listener));
    }
    assert_eq!(ports.len(), count, "could not find {count} free loopback ports with free bus ports (+{BUS_OFFSET})");
    ports
}

/// A synchronous connection to the node on `port`, with short timeouts.
fn connect(port: u16) -> Result<redis::Connection, String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).map_err(|e| e.to_string())?;
    let con =
        client.get_connection_with_timeout(Duration::from_secs(1)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    con.set_read_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    con.set_write_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    Ok(con)
}

fn query_string(port: u16, cmd: &mut redis::Cmd) -> Result<String, String> {
    let mut con = connect(port)?;
    cmd.query::<String>(&mut con).map_err(|e| format!("127.0.0.1:{port}: {e}"))
}

fn cluster_info(port: u16) -> Result<String, String> {
    query_string(port, redis::cmd("CLUSTER").arg("INFO"))
}

fn info_replication(port: u16) -> Result<String, String> {
    query_string(port, redis::cmd("INFO").arg("replication"))
}

fn key_slot(port: u16, key: &str) -> Result<u16, String> {
    let mut con = connect(port)?;
    redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query::<u16>(&mut con).map_err(|e| format!("127.0.0.1:{port}: {e}"))
}

/// The value of `name:` in an `INFO`-style reply.
fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

/// One line of `CLUSTER NODES`:
/// `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link> <slot>…`.
#[derive(Debug)]
struct NodeLine {
    id: String,
    port: u16,
    flags: Vec<String>,
    /// The primary's id, for a replica.
    master: Option<String>,
    connected: bool,
    /// Inclusive ranges.
    slots: Vec<(u16, u16)>,
    /// The node that answered is this one.
    myself: bool,
}

impl NodeLine {
    fn parse(line: &str) -> Option<Self> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 {
            return None;
        }
        let address = fields[1].split(['@', ',']).next()?;
        let port = address.rsplit(':').next()?.parse().ok()?;
        let flags: Vec<String> = fields[2].split(',').map(str::to_owned).collect();
        let master = (fields[3] != "-").then(|| fields[3].to_owned());
        // Importing and migrating slots (`[slot->-id]`) are still served by their owner.
        let slots = fields[8..]
            .iter()
            .filter(|entry| !entry.starts_with('['))
            .filter_map(|entry| match entry.split_once('-') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => entry.parse().ok().map(|slot| (slot, slot)),
            })
            .collect();
        let myself = flags.iter().any(|flag| flag == "myself");
        Some(NodeLine {
            id: fields[0].to_owned(),
            port,
            flags,
            master,
            connected: fields[7] == "connected",
            slots,
            myself,
        })
    }

    fn is_master(&self) -> bool {
        self.flags.iter().any(|flag| flag == "master")
    }

    /// Failed, or suspected failed by the node that answered.
    fn failed(&self) -> bool {
        self.flags.iter().any(|flag| flag == "fail" || flag == "fail?")
    }
}

fn cluster_nodes(port: u16) -> Result<Vec<NodeLine>, String> {
    let text = query_string(port, redis::cmd("CLUSTER").arg("NODES"))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            NodeLine::parse(line).ok_or_else(|| format!("127.0.0.1:{port}: unreadable CLUSTER NODES line {line:?}"))
        })
        .collect()
}

/// The primary serving `slot` in one node's view.
fn slot_owner(nodes: &[NodeLine], slot: u16) -> Option<&NodeLine> {
    nodes.iter().filter(|node| node.is_master()).find(|node| node.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
}

/// The last lines of a node's log, for a failure message.
fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            format!("{}: {}", path.display(), lines[lines.len().saturating_sub(5)..].join(" | "))
        }
        Err(_) => format!("no log at {}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_three_primary_cluster_starts_and_fails_over() {
        let started = Instant::now();
        let mut cluster = RedisTestCluster::start(3, 1);
        eprintln!("cluster of 6 ready in {:?}", started.elapsed());
        assert_eq!(cluster.urls().len(), 6);

        let key = "harness:failover";
        let old = cluster.primary_for_key(key);
        let replica = cluster.replica_of(old).expect("the key's primary has a replica");
        let mut con = connect(old).expect("connect to the key's primary");
        let () = redis::cmd("SET").arg(key).arg("kept through the crash").query(&mut con).expect("SET on the primary");
        let acked: i64 = redis::cmd("WAIT").arg(1).arg(1000).query(&mut con).expect("WAIT on the primary");
        assert_eq!(acked, 1, "the replica acknowledged the write");
        drop(con);

        cluster.kill(old);
        let killed = Instant::now();
        let new = cluster.wait_for_new_primary(key, old);
        eprintln!("failover from {old} to {new} in {:?}", killed.elapsed());
        assert_eq!(new, replica, "the killed primary's replica took over");
        assert_eq!(cluster.primary_for_key(key), new);
        assert!(!cluster.live_ports().contains(&old));

        let mut con = connect(new).expect("connect to the new primary");
        let value: Option<String> = redis::cmd("GET").arg(key).query(&mut con).expect("GET on the new primary");
        assert_eq!(value.as_deref(), Some("kept through the crash"));
        eprintln!("whole test in {:?}", started.elapsed());
    }
}
