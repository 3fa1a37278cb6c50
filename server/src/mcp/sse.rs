//! Legacy HTTP+SSE MCP transport (protocol 2024-11-05): `GET <path>` opens an SSE stream whose first event is `endpoint` with data `<path>/messages?sessionId=<id>`;
//! the client POSTs each JSON-RPC message to that URL (answered `202 Accepted`, empty body) and every server→client message arrives as `event: message` on the stream.
//!
//! rmcp no longer ships this transport, so [`LegacySse`] adapts any [`ServerHandler`] to it: each
//! stream gets a session (128 random bits, hex) whose POSTs feed a bounded channel that is the
//! incoming half of an rmcp Sink/Stream transport; the outgoing half is drained by the SSE body.
//! Dropping the SSE body (client gone) removes the session and cancels the rmcp service; the
//! service ending (handshake refused, [`LegacySse::close_all`], ...) ends the SSE body.
//!
//! Limits: `max_streams` in all and `max_streams_per_client` per client (429 above it; the
//! caller passes the client's limit key, an IPv6 /64 standing as one address). A stream whose
//! client has not completed `initialize` within `init_timeout` (10 s) is closed, and so is a
//! stream that has had no POST for `idle_timeout` (30 min). Each stream's cancellation token is
//! a child of the shutdown token ([`LegacySse::with_shutdown`]): once shutdown starts, every
//! stream ends and new ones are refused (503).
//! Several instances: a stream lives on the instance that opened it. Session ids start with a
//! random tag of that instance, so an instance that gets a POST for another instance's session
//! knows where it belongs: with a [`SseForwarder`] (Redis pub/sub, `sse_relay.rs`)
//! it checks the message and forwards it (202; 404 when no instance holds that tag any more; 503
//! while the holder is resubscribing, e.g. just after Redis restarted), together with the
//! identity the POST's own bearer token proved ([`Linked`], checked by this instance's bearer
//! gate), so the holder acts for the POST's account as it would for a local POST;
//! without one it answers 404 `session_on_another_instance`, saying to use sticky sessions or
//! Streamable HTTP, rather than a bare "unknown session".

use std::{
    collections::HashMap,
    convert::Infallible,
    net::IpAddr,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Bytes,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt};
use rand::Rng;
use rmcp::{
    ServerHandler,
    model::{ClientJsonRpcMessage, GetExtensions, ServerJsonRpcMessage, ServerResult},
    service::serve_server_with_ct,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::{CancellationToken, PollSender};

use crate::identity::bearer::Linked;
use crate::identity::token::AccessClaims;

/// `Retry-After` (seconds) sent when `max_streams` streams are already open.
const RETRY_AFTER_STREAMS: &str = "5";
/// `Retry-After` (seconds) sent when a session's incoming queue is full.
const RETRY_AFTER_QUEUE: &str = "1";
/// Hex digits of the instance tag at the start of every session id.
const INSTANCE_TAG_LEN: usize = 8;
/// Hex digits of a whole session id: the instance tag, then 128 random bits.
const SESSION_ID_LEN: usize = INSTANCE_TAG_LEN + 32;

/// Limits and timings of the legacy SSE transport.
#[derive(Debug, Clone)]
pub struct SseConfig {
    /// Streams open at once; `GET` above this answers 503 + `Retry-After`. Default 1000.
    pub max_streams: usize,
    /// Streams one client IP may hold open; `GET` above this answers 429 + `Retry-After`.
    /// Default 16. Streams opened without a known client (`open`) are not counted per client.
    pub max_streams_per_client: usize,
    /// Interval of the `: ping` comment that keeps proxies from closing an idle stream and lets the
    /// server notice a vanished client. Default 30 s; `Duration::ZERO` disables keep-alives.
    pub keep_alive: Duration,
    /// Capacity of each session's incoming (POST → service) and outgoing (service → SSE) queue.
    /// Default 64; 0 is treated as 1.
    pub channel_capacity: usize,
    /// How long a new stream may wait for its `initialize` handshake to finish. Default 10 s.
    pub init_timeout: Duration,
    /// How long a stream may go without a POST before it is closed. Default 30 min.
    pub idle_timeout: Duration,
}

impl Default for SseConfig {
    fn default() -> Self {
        Self {
            max_streams: 1000,
            max_streams_per_client: 16,
            keep_alive: Duration::from_secs(30),
            channel_capacity: 64,
            init_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// What became of a forwarded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// An instance with that tag took it.
    Delivered,
    /// No instance with that tag exists any more: its stream is gone (404).
    Gone,
    /// The instance is alive but not listening right now (it is resubscribing, e.g. after Redis
    /// restarted): retry shortly (503 + `Retry-After`), the stream is still open.
    NotListening,
}

/// Carries a POSTed message to the instance whose tag starts the session id, which hands it to
/// [`LegacySse::deliver`].
#[async_trait::async_trait]
pub trait SseForwarder: Send + Sync {
    /// Whether the instance with that tag took the message; `Err` when the relay is unreachable.
    /// `identity` is the POST's verified [`AccessClaims`] as JSON (one line), if it had a token.
    async fn forward(
        &self,
        instance: &str,
        session_id: &str,
        identity: Option<&str>,
        body: Bytes,
    ) -> Result<Forwarded, String>;
}

/// Serves rmcp [`ServerHandler`]s over the legacy HTTP+SSE transport. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct LegacySse {
    inner: Arc<Inner>,
}

struct Inner {
    config: SseConfig,
    /// This instance's tag, the first [`INSTANCE_TAG_LEN`] hex digits of its session ids.
    instance: String,
    sessions: Mutex<HashMap<String, Session>>,
    /// Open streams per client IP (entries at zero are removed).
    per_client: Mutex<HashMap<IpAddr, usize>>,
    /// Where POSTs for other instances' sessions go, when several instances share a relay.
    forwarder: OnceLock<Arc<dyn SseForwarder>>,
    /// Number of open streams; the watch channel is the counter (updated under its own lock).
    open: watch::Sender<usize>,
    /// The parent of every stream's token: cancelled at shutdown.
    shutdown: CancellationToken,
}

struct Session {
    incoming: mpsc::Sender<ClientJsonRpcMessage>,
    ct: CancellationToken,
    /// When the client last POSTed (or the stream opened), for the idle timeout.
    last_post: Arc<Mutex<tokio::time::Instant>>,
}

impl std::fmt::Debug for LegacySse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacySse")
            .field("config", &self.inner.config)
            .field("open_streams", &self.open_streams())
            .finish()
    }
}

impl LegacySse {
    pub fn new(config: SseConfig) -> Self {
        Self::with_shutdown(config, CancellationToken::new())
    }

    /// Like [`Self::new`], with every stream ending when `shutdown` is cancelled, and no stream
    /// opening after that.
    pub fn with_shutdown(config: SseConfig, shutdown: CancellationToken) -> Self {
        let (open, _) = watch::channel(0);
        let instance = format!("{:08x}", rand::rng().random::<u32>());
        Self {
            inner: Arc::new(Inner {
                config,
                instance,
                sessions: Mutex::new(HashMap::new()),
                per_client: Mutex::new(HashMap::new()),
                forwarder: OnceLock::new(),
                open,
                shutdown,
            }),
        }
    }

    /// Opens a stream for `GET <path>`: returns the SSE response, or 503 + Retry-After when
    /// `max_streams` are open. `messages_path` is the absolute path that goes in the endpoint
    /// event before `?sessionId=`, e.g. `"/mcp/all/messages"`.
    ///
    /// Must be called inside a Tokio runtime (it spawns the service task); outside one it
    /// answers 500. The service is started immediately and waits for the client's `initialize`.
    pub fn open<S: ServerHandler>(&self, service: S, messages_path: &str) -> Response {
        self.open_for(service, messages_path, None)
    }

    /// This instance's tag, the start of its session ids.
    pub fn instance_tag(&self) -> &str {
        &self.inner.instance
    }

    /// Sends POSTs for other instances' sessions through `forwarder` from now on (set once;
    /// later calls are ignored).
    pub fn set_forwarder(&self, forwarder: Arc<dyn SseForwarder>) {
        if self.inner.forwarder.set(forwarder).is_err() {
            tracing::warn!("legacy SSE: a forwarder is already set; keeping the first");
        }
    }

    /// A message another instance forwarded for one of this instance's sessions, with the identity
    /// the POST's bearer token proved there (see [`SseForwarder::forward`]). It is queued like a
    /// local POST with that identity; there is nobody to answer, so a refusal is only logged.
    pub async fn deliver(&self, session_id: &str, identity: Option<&str>, body: Bytes) {
        if !session_id.get(..INSTANCE_TAG_LEN).is_some_and(|tag| tag.eq_ignore_ascii_case(&self.inner.instance)) {
            tracing::warn!(session = short(session_id), "legacy SSE: forwarded message for another instance; dropped");
            return;
        }
        let parts = match identity.map(serde_json::from_str::<AccessClaims>) {
            None => None,
            Some(Ok(claims)) => {
                let (mut parts, ()) = axum::http::Request::new(()).into_parts();
                parts.extensions.insert(Linked(Arc::new(claims)));
                Some(parts)
            }
            Some(Err(error)) => {
                // Never fall back to the stream's identity for a POST that proved another one.
                tracing::warn!(session = short(session_id), %error, "legacy SSE: forwarded identity unreadable; dropped");
                return;
            }
        };
        let response = self.post_with_parts(Some(session_id), parts, body).await;
        if response.status() != StatusCode::ACCEPTED {
            tracing::info!(
                session = short(session_id),
                status = %response.status(),
                "legacy SSE: forwarded message not delivered"
            );
        }
    }

    /// Like [`Self::open`] for a known client IP: above `max_streams_per_client` streams of that
    /// client it answers 429 + `Retry-After`.
    pub fn open_for<S: ServerHandler>(&self, service: S, messages_path: &str, client: Option<IpAddr>) -> Response {
        if messages_path.contains(['\r', '\n']) {
            tracing::error!("legacy SSE: messages_path contains a line break; refusing");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "invalid messages path");
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("legacy SSE: open() called outside a Tokio runtime");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "no async runtime");
        };
        if self.inner.shutdown.is_cancelled() {
            let mut response =
                error_response(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the server is shutting down");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_STREAMS));
            return response;
        }
        if let Some(ip) = client
            && !self.inner.try_acquire_for(ip)
        {
            tracing::warn!(
                client = %ip,
                max = self.inner.config.max_streams_per_client,
                "legacy SSE: per-client stream limit reached; refusing"
            );
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams_for_client",
                &format!(
                    "this client already has {} open SSE streams, the most allowed; close one or retry later",
                    self.inner.config.max_streams_per_client
                ),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_STREAMS));
            return response;
        }
        let Some(open_now) = self.inner.try_acquire() else {
            if let Some(ip) = client {
                self.inner.release_for(ip);
            }
            tracing::warn!(max_streams = self.inner.config.max_streams, "legacy SSE: stream limit reached; refusing");
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_streams",
                "too many open SSE streams, retry later",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_STREAMS));
            return response;
        };

        let id = new_session_id(&self.inner.instance);
        let ct = self.inner.shutdown.child_token();
        // From here on, dropping `guard` undoes everything (counts, map entry, service).
        let guard = StreamGuard { inner: Arc::clone(&self.inner), id: id.clone(), ct: ct.clone(), client };

        let capacity = self.inner.config.channel_capacity.max(1);
        let (incoming_tx, incoming_rx) = mpsc::channel::<ClientJsonRpcMessage>(capacity);
        let (outgoing_tx, outgoing_rx) = mpsc::channel::<ServerJsonRpcMessage>(capacity);
        let last_post = Arc::new(Mutex::new(tokio::time::Instant::now()));
        let session = Session { incoming: incoming_tx, ct: ct.clone(), last_post: Arc::clone(&last_post) };
        self.inner.sessions().insert(id.clone(), session);
        tracing::info!(session = short(&id), open_streams = open_now, "legacy SSE stream opened");

        // rmcp's Sink/Stream adapter: `(Sink<ServerJsonRpcMessage>, Stream<ClientJsonRpcMessage>)`.
        let transport = (PollSender::new(outgoing_tx), ReceiverStream::new(incoming_rx));
        let task_inner = Arc::clone(&self.inner);
        let task_id = id.clone();
        let (init_timeout, idle_timeout) = (self.inner.config.init_timeout, self.inner.config.idle_timeout);
        runtime.spawn(async move {
            // `serve_server_with_ct` runs the initialize handshake (reading POSTed messages) and
            // only then returns the running service, so it has to be driven here, not in `open`.
            match tokio::time::timeout(init_timeout, serve_server_with_ct(service, transport, ct.clone())).await {
                Err(_elapsed) => tracing::info!(
                    session = short(&task_id),
                    after_secs = init_timeout.as_secs_f64(),
                    "legacy SSE session closed: no initialize in time"
                ),
                Ok(Ok(running)) => {
                    let closed_idle = tokio::select! {
                        finished = running.waiting() => {
                            match finished {
                                Ok(reason) => tracing::debug!(session = short(&task_id), ?reason, "legacy SSE service finished"),
                                Err(error) => tracing::warn!(session = short(&task_id), %error, "legacy SSE service task failed"),
                            }
                            false
                        }
                        () = idle(&last_post, idle_timeout) => true,
                    };
                    if closed_idle {
                        tracing::info!(session = short(&task_id), "legacy SSE session closed: idle");
                        ct.cancel();
                    }
                }
                Ok(Err(error)) => tracing::info!(
                    session = short(&task_id),
                    %error,
                    "legacy SSE session ended before/while initializing"
                ),
            }
            // Later POSTs get 404; the transport (and with it the outgoing sender) is gone, so
            // the SSE body ends and its guard releases the stream slot.
            task_inner.remove_session(&task_id);
        });

        let separator = if messages_path.contains('?') { '&' } else { '?' };
        let endpoint = Event::default().event("endpoint").data(format!("{messages_path}{separator}sessionId={id}"));
        let messages = ReceiverStream::new(outgoing_rx).filter_map(|message| {
            futures::future::ready(match message_json(&message) {
                Ok(json) => Some(Ok::<_, Infallible>(Event::default().event("message").data(json))),
                Err(error) => {
                    tracing::warn!(%error, "legacy SSE: could not serialize an outgoing message");
                    None
                }
            })
        });
        let stream = GuardedStream {
            inner: Box::pin(futures::stream::once(futures::future::ready(Ok(endpoint))).chain(messages)),
            _guard: guard,
        };

        let sse = Sse::new(stream);
        let keep_alive = self.inner.config.keep_alive;
        let mut response = if keep_alive.is_zero() {
            sse.into_response()
        } else {
            sse.keep_alive(KeepAlive::new().interval(keep_alive).text("ping")).into_response()
        };
        // Keep reverse proxies (nginx) from buffering the event stream.
        response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }

    /// Handles `POST <path>/messages?sessionId=…`: 202 when accepted; 404 (unknown or closed
    /// session, JSON body with a message); 400 (missing sessionId, body not a JSON-RPC message);
    /// 503 if the stream's queue is full.
    pub async fn post(&self, session_id: Option<&str>, body: Bytes) -> Response {
        self.post_with_parts(session_id, None, body).await
    }

    /// Like [`Self::post`], and also attaches the POST's `http::request::Parts` to the message's
    /// extensions, as rmcp's Streamable HTTP service does, so handlers can read headers through
    /// `Extension<Parts>` / `ctx.extensions.get::<Parts>()` on this transport too.
    pub async fn post_with_parts(&self, session_id: Option<&str>, parts: Option<Parts>, body: Bytes) -> Response {
        let Some(id) = session_id.filter(|id| !id.is_empty()) else {
            return error_response(StatusCode::BAD_REQUEST, "missing_session_id", "missing sessionId query parameter");
        };
        let found = self.inner.sessions().get(id).map(|s| (s.incoming.clone(), Arc::clone(&s.last_post)));
        let Some((incoming, last_post)) = found else {
            if self.inner.opened_elsewhere(id) {
                let linked = parts.as_ref().and_then(|p| p.extensions.get::<Linked>());
                return self.forward(id, linked, body).await;
            }
            return session_not_found();
        };
        let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
            Ok(message) => message,
            Err(error) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "invalid_message",
                    &format!("body is not a JSON-RPC message: {error}"),
                );
            }
        };
        if let Some(parts) = parts {
            match &mut message {
                ClientJsonRpcMessage::Request(request) => {
                    request.request.extensions_mut().insert(parts);
                }
                ClientJsonRpcMessage::Notification(notification) => {
                    notification.notification.extensions_mut().insert(parts);
                }
                _ => {}
            }
        }
        match incoming.try_send(message) {
            Ok(()) => {
                *last_post.lock().unwrap_or_else(PoisonError::into_inner) = tokio::time::Instant::now();
                StatusCode::ACCEPTED.into_response()
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(session = short(id), "legacy SSE: session queue full");
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "queue_full",
                    "the session's message queue is full, retry later",
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_QUEUE));
                response
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // The service ended; its task removes the entry too, this just wins the race.
                self.inner.remove_session(id);
                session_not_found()
            }
        }
    }

    /// A POST for another instance's session: checked here (400 for what is not a message, as a
    /// local POST), then forwarded with the POST's verified identity when a forwarder is set.
    async fn forward(&self, id: &str, linked: Option<&Linked>, body: Bytes) -> Response {
        let Some(forwarder) = self.inner.forwarder.get() else {
            return session_on_another_instance();
        };
        if let Err(error) = serde_json::from_slice::<ClientJsonRpcMessage>(&body) {
            return error_response(
                StatusCode::BAD_REQUEST,
                "invalid_message",
                &format!("body is not a JSON-RPC message: {error}"),
            );
        }
        let identity = match linked.map(|l| serde_json::to_string(l.0.as_ref())).transpose() {
            Ok(identity) => identity,
            Err(error) => {
                tracing::error!(%error, "legacy SSE: cannot serialize the POST's identity");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "cannot forward the message",
                );
            }
        };
        let instance = id.get(..INSTANCE_TAG_LEN).unwrap_or_default();
        match forwarder.forward(instance, id, identity.as_deref(), body).await {
            Ok(Forwarded::Delivered) => StatusCode::ACCEPTED.into_response(),
            Ok(Forwarded::Gone) => error_response(
                StatusCode::NOT_FOUND,
                "session_not_found",
                "the server instance that held this SSE stream is gone; open a new SSE stream",
            ),
            Ok(Forwarded::NotListening) => {
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "instance_reconnecting",
                    "the server instance that holds this SSE stream is reconnecting to Redis; retry shortly",
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_QUEUE));
                response
            }
            Err(detail) => {
                tracing::warn!(session = short(id), %detail, "legacy SSE: forwarding failed");
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "forwarding_failed",
                    "this SSE session lives on another server instance and could not be reached; retry later",
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_STREAMS));
                response
            }
        }
    }

    /// Number of SSE streams currently open.
    pub fn open_streams(&self) -> usize {
        *self.inner.open.borrow()
    }

    /// For tests and metrics: watch the number of open streams.
    pub fn watch_open_streams(&self) -> watch::Receiver<usize> {
        self.inner.open.subscribe()
    }

    /// Cancels every session's service (e.g. before graceful shutdown, which would otherwise wait
    /// for SSE streams that never end). Each stream then ends once its service has stopped.
    pub fn close_all(&self) {
        let sessions = self.inner.sessions();
        tracing::info!(sessions = sessions.len(), "legacy SSE: closing all sessions");
        for session in sessions.values() {
            session.ct.cancel();
        }
    }
}

impl Inner {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // Nothing panics while holding the lock; recover from poisoning anyway.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn remove_session(&self, id: &str) {
        let removed = self.sessions().remove(id);
        drop(removed);
    }

    /// Whether `id` is a well-formed session id of another instance.
    fn opened_elsewhere(&self, id: &str) -> bool {
        id.len() == SESSION_ID_LEN
            && id.bytes().all(|b| b.is_ascii_hexdigit())
            && id.get(..INSTANCE_TAG_LEN).is_some_and(|tag| !tag.eq_ignore_ascii_case(&self.instance))
    }

    fn per_client(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.per_client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one of `ip`'s stream slots unless it holds `max_streams_per_client`.
    fn try_acquire_for(&self, ip: IpAddr) -> bool {
        let mut per_client = self.per_client();
        let open = per_client.entry(ip).or_insert(0);
        if *open >= self.config.max_streams_per_client {
            return false;
        }
        *open += 1;
        true
    }

    /// Gives one of `ip`'s stream slots back.
    fn release_for(&self, ip: IpAddr) {
        let mut per_client = self.per_client();
        if let Some(open) = per_client.get_mut(&ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                per_client.remove(&ip);
            }
        }
    }

    /// Takes a stream slot unless `max_streams` are open; returns the new count.
    fn try_acquire(&self) -> Option<usize> {
        let max = self.config.max_streams;
        let mut acquired = None;
        self.open.send_if_modified(|open| {
            if *open < max {
                *open += 1;
                acquired = Some(*open);
                crate::metrics::sse_streams(1.0);
                true
            } else {
                false
            }
        });
        acquired
    }

    /// Gives a stream slot back; returns the new count.
    fn release(&self) -> usize {
        let mut now = 0;
        self.open.send_modify(|open| {
            if *open > 0 {
                crate::metrics::sse_streams(-1.0);
            }
            *open = open.saturating_sub(1);
            now = *open;
        });
        now
    }
}

/// Owned by the SSE body: its drop (client gone, or the stream ended) frees the session.
struct StreamGuard {
    inner: Arc<Inner>,
    id: String,
    ct: CancellationToken,
    client: Option<IpAddr>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.inner.remove_session(&self.id);
        self.ct.cancel();
        if let Some(ip) = self.client {
            self.inner.release_for(ip);
        }
        let open_now = self.inner.release();
        tracing::info!(session = short(&self.id), open_streams = open_now, "legacy SSE stream closed");
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>;

/// The SSE event stream plus the guard that lives exactly as long as it.
struct GuardedStream {
    inner: EventStream,
    _guard: StreamGuard,
}

impl Stream for GuardedStream {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Completes once `idle_for` has passed since the last POST.
async fn idle(last_post: &Mutex<tokio::time::Instant>, idle_for: Duration) {
    loop {
        let deadline = *last_post.lock().unwrap_or_else(PoisonError::into_inner) + idle_for;
        if tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// The instance tag, then 128 random bits, in hex.
/// An outgoing message as JSON; a `tools/list` answer gets its tools' `securitySchemes` at the
/// top level, as on Streamable HTTP.
fn message_json(message: &ServerJsonRpcMessage) -> serde_json::Result<String> {
    match message {
        ServerJsonRpcMessage::Response(response) if matches!(response.result, ServerResult::ListToolsResult(_)) => {
            let mut value = serde_json::to_value(message)?;
            super::security_schemes::lift(&mut value);
            serde_json::to_string(&value)
        }
        _ => serde_json::to_string(message),
    }
}

fn new_session_id(instance: &str) -> String {
    format!("{instance}{:032x}", rand::rng().random::<u128>())
}

/// Session id prefix for logs (ids are 32 ASCII hex digits).
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn session_not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "session_not_found", "unknown or closed session; open a new SSE stream")
}

fn session_on_another_instance() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "session_on_another_instance",
        "this SSE session's stream is open on another server instance, so this one cannot deliver the \
         answer; route each client to one instance (sticky sessions) or use Streamable HTTP (POST to the \
         MCP path), which every instance answers",
    )
}

fn error_response(status: StatusCode, error: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": error, "message": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{
        Router,
        extract::{Query, State},
        routing::{get, post},
    };
    use eventsource_stream::Eventsource;
    use rmcp::{
        ErrorData, RoleServer,
        handler::server::{router::tool::ToolRouter, tool::Extension, wrapper::Parameters},
        model::{InitializeRequestParams, InitializeResult, ServerCapabilities, ServerConfig},
        schemars,
        service::RequestContext,
        tool, tool_handler, tool_router,
    };
    use serde_json::{Value, json};
    use tokio::sync::{Notify, oneshot};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct EchoInput {
        /// Text to send back.
        text: String,
    }

    #[derive(Debug, Clone)]
    struct Echo {
        tool_router: ToolRouter<Self>,
        /// Dropped with the last clone of the handler: tells a test the service was freed.
        _probe: Option<Arc<oneshot::Sender<()>>>,
    }

    impl Echo {
        fn new() -> Self {
            Self { tool_router: Self::tool_router(), _probe: None }
        }

        fn with_probe(probe: oneshot::Sender<()>) -> Self {
            Self { _probe: Some(Arc::new(probe)), ..Self::new() }
        }
    }

    #[tool_router]
    impl Echo {
        #[tool(description = "Echo the text back")]
        fn echo(&self, Parameters(EchoInput { text }): Parameters<EchoInput>) -> String {
            text
        }

        #[tool(description = "Return the x-test header of the POST that carried this call")]
        fn header(&self, Extension(parts): Extension<Parts>) -> String {
            parts.headers.get("x-test").and_then(|value| value.to_str().ok()).unwrap_or("<none>").to_owned()
        }
    }

    #[tool_handler(router = self.tool_router)]
    impl ServerHandler for Echo {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
        }
    }

    /// A handler whose `initialize` blocks until released, so the service stops reading its queue.
    #[derive(Debug, Clone, Default)]
    struct Gate {
        entered: Arc<Notify>,
        release: Arc<Notify>,
    }

    impl ServerHandler for Gate {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().build())
        }

        async fn initialize(
            &self,
            request: InitializeRequestParams,
            context: RequestContext<RoleServer>,
        ) -> Result<InitializeResult, ErrorData> {
            self.entered.notify_one();
            self.release.notified().await;
            context.peer.set_peer_info(request.clone());
            self.negotiate_initialize(&request)
        }
    }

    #[derive(serde::Deserialize)]
    struct PostQuery {
        #[serde(rename = "sessionId")]
        session_id: Option<String>,
    }

    /// Serves `GET /sse` → open, `POST /sse/messages` → post (and `POST /sse/parts` →
    /// post_with_parts) on 127.0.0.1:0.
    async fn spawn_server<S, F>(config: SseConfig, make: F) -> (String, LegacySse)
    where
        S: ServerHandler,
        F: Fn() -> S + Clone + Send + Sync + 'static,
    {
        spawn_server_for(LegacySse::new(config), make).await
    }

    async fn spawn_server_for<S, F>(sse: LegacySse, make: F) -> (String, LegacySse)
    where
        S: ServerHandler,
        F: Fn() -> S + Clone + Send + Sync + 'static,
    {
        let app = Router::new()
            .route("/sse", get(move |State(sse): State<LegacySse>| async move { sse.open(make(), "/sse/messages") }))
            .route(
                "/sse/messages",
                post(|State(sse): State<LegacySse>, Query(q): Query<PostQuery>, body: Bytes| async move {
                    sse.post(q.session_id.as_deref(), body).await
                }),
            )
            .route(
                "/sse/parts",
                post(
                    |State(sse): State<LegacySse>, Query(q): Query<PostQuery>, parts: Parts, body: Bytes| async move {
                        sse.post_with_parts(q.session_id.as_deref(), Some(parts), body).await
                    },
                ),
            )
            .with_state(sse.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{addr}"), sse)
    }

    fn config(max_streams: usize, keep_alive: Duration, channel_capacity: usize) -> SseConfig {
        SseConfig { max_streams, keep_alive, channel_capacity, ..SseConfig::default() }
    }

    async fn get_sse(client: &reqwest::Client, base: &str) -> reqwest::Response {
        tokio::time::timeout(TIMEOUT, client.get(format!("{base}/sse")).header("accept", "text/event-stream").send())
            .await
            .expect("GET timed out")
            .expect("GET failed")
    }

    async fn post_raw(client: &reqwest::Client, url: &str, body: &str) -> reqwest::Response {
        tokio::time::timeout(
            TIMEOUT,
            client.post(url).header("content-type", "application/json").body(body.to_owned()).send(),
        )
        .await
        .expect("POST timed out")
        .expect("POST failed")
    }

    async fn post_json(client: &reqwest::Client, url: &str, body: Value) -> reqwest::Response {
        post_raw(client, url, &body.to_string()).await
    }

    type Events = Pin<Box<dyn Stream<Item = eventsource_stream::Event> + Send>>;

    fn events(response: reqwest::Response) -> Events {
        Box::pin(response.bytes_stream().eventsource().map(|event| event.expect("SSE parse error")))
    }

    async fn next_event(events: &mut Events) -> eventsource_stream::Event {
        tokio::time::timeout(TIMEOUT, events.next()).await.expect("no SSE event in time").expect("SSE stream ended")
    }

    /// Next `event: message`, parsed.
    async fn next_message(events: &mut Events) -> Value {
        let event = next_event(events).await;
        assert_eq!(event.event, "message");
        serde_json::from_str(&event.data).expect("message data is JSON")
    }

    /// Reads the endpoint event and returns its data (the POST path).
    async fn endpoint(events: &mut Events) -> String {
        let event = next_event(events).await;
        assert_eq!(event.event, "endpoint");
        event.data
    }

    fn initialize_request(id: u64) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "method": "initialize",
            "params": {
                "protocolVersion": "2024-11-05",
                "capabilities": {},
                "clientInfo": { "name": "legacy-sse-test", "version": "0.0.1" }
            }
        })
    }

    async fn wait_for_open(sse: &LegacySse, n: usize) {
        let mut watch = sse.watch_open_streams();
        tokio::time::timeout(TIMEOUT, watch.wait_for(|open| *open == n))
            .await
            .expect("open stream count did not settle in time")
            .expect("watch closed");
    }

    #[tokio::test]
    async fn full_session_over_legacy_sse() {
        let (probe_tx, mut probes) = mpsc::unbounded_channel();
        let (base, sse) = spawn_server(SseConfig::default(), move || {
            let (tx, rx) = oneshot::channel();
            let _ = probe_tx.send(rx);
            Echo::with_probe(tx)
        })
        .await;
        let client = reqwest::Client::new();

        let response = get_sse(&client, &base).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(sse.open_streams(), 1);
        let handler_alive = probes.recv().await.expect("handler created");
        let mut events = events(response);

        let path = endpoint(&mut events).await;
        let session = path.strip_prefix("/sse/messages?sessionId=").expect("endpoint path");
        assert_eq!(session.len(), SESSION_ID_LEN);
        assert!(session.bytes().all(|b| b.is_ascii_hexdigit()));
        let url = format!("{base}{path}");

        let response = post_json(&client, &url, initialize_request(1)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert!(response.bytes().await.expect("body").is_empty());
        let init = next_message(&mut events).await;
        assert_eq!(init["id"], 1);
        assert_eq!(init["result"]["protocolVersion"], "2024-11-05");
        assert!(init["result"]["serverInfo"]["name"].is_string(), "{init}");
        assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");

        let response =
            post_json(&client, &url, json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);

        let response =
            post_json(&client, &url, json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} })).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let list = next_message(&mut events).await;
        assert_eq!(list["id"], 2);
        let tools = list["result"]["tools"].as_array().expect("tools array");
        let echo = tools.iter().find(|tool| tool["name"] == "echo").expect("echo tool listed");
        assert_eq!(echo["inputSchema"]["properties"]["text"]["type"], "string");

        let response = post_json(
            &client,
            &url,
            json!({
                "jsonrpc": "2.0", "id": "call-3", "method": "tools/call",
                "params": { "name": "echo", "arguments": { "text": "hello target" } }
            }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let call = next_message(&mut events).await;
        assert_eq!(call["id"], "call-3");
        assert_eq!(call["result"]["content"][0]["type"], "text");
        assert_eq!(call["result"]["content"][0]["text"], "hello target");
        assert_ne!(call["result"]["isError"], true);

        // An unknown tool is answered on the stream too (as a JSON-RPC error or isError result).
        let response = post_json(
            &client,
            &url,
            json!({
                "jsonrpc": "2.0", "id": 4, "method": "tools/call",
                "params": { "name": "nope", "arguments": {} }
            }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let missing = next_message(&mut events).await;
        assert_eq!(missing["id"], 4);
        assert!(missing["error"].is_object() || missing["result"]["isError"] == true, "{missing}");

        // post_with_parts hands the POST's HTTP parts to the handler.
        let parts_url = url.replace("/sse/messages?", "/sse/parts?");
        let call_header = json!({
            "jsonrpc": "2.0", "id": 5, "method": "tools/call",
            "params": { "name": "header", "arguments": {} }
        });
        let response = tokio::time::timeout(
            TIMEOUT,
            client
                .post(&parts_url)
                .header("content-type", "application/json")
                .header("x-test", "legacy-parts")
                .body(call_header.to_string())
                .send(),
        )
        .await
        .expect("POST timed out")
        .expect("POST failed");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let header = next_message(&mut events).await;
        assert_eq!(header["id"], 5);
        assert_eq!(header["result"]["content"][0]["text"], "legacy-parts");
        // Plain `post` carries no parts, so the tool's Extension<Parts> is missing.
        let response = post_json(&client, &url, call_header).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let header = next_message(&mut events).await;
        assert_eq!(header["id"], 5);
        assert!(header["error"].is_object() || header["result"]["isError"] == true, "{header}");

        // The client goes away: everything is freed and the session is gone.
        drop(events);
        wait_for_open(&sse, 0).await;
        assert!(sse.inner.sessions().is_empty());
        // The rmcp service stopped and dropped the handler.
        let freed = tokio::time::timeout(TIMEOUT, handler_alive).await.expect("handler not dropped in time");
        assert!(freed.is_err(), "probe is never sent, only dropped");
        let response =
            post_json(&client, &url, json!({ "jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": {} })).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.expect("JSON error body");
        assert!(body["message"].is_string(), "{body}");
    }

    #[tokio::test]
    async fn keep_alive_ping_comment_on_the_wire() {
        let (base, _sse) = spawn_server(config(10, Duration::from_millis(100), 8), Echo::new).await;
        let client = reqwest::Client::new();
        let mut body = get_sse(&client, &base).await.bytes_stream();
        let mut raw = Vec::new();
        let found = tokio::time::timeout(TIMEOUT, async {
            while let Some(chunk) = body.next().await {
                raw.extend_from_slice(&chunk.expect("body chunk"));
                // axum writes comments as `:<space><text>`; SSE parsers ignore the whole line.
                if String::from_utf8_lossy(&raw).contains("\n\n: ping\n\n") {
                    return true;
                }
            }
            false
        })
        .await
        .expect("no keep-alive in time");
        assert!(found, "stream ended without a ping");
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("event: endpoint\ndata: /sse/messages?sessionId="), "{text}");
    }

    #[tokio::test]
    async fn stream_limit_refuses_without_side_effects() {
        let (base, sse) = spawn_server(config(2, Duration::from_secs(30), 8), Echo::new).await;
        let client = reqwest::Client::new();

        let first = get_sse(&client, &base).await;
        let second = get_sse(&client, &base).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(second.status(), StatusCode::OK);
        assert_eq!(sse.open_streams(), 2);

        let third = get_sse(&client, &base).await;
        assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(third.headers().contains_key(header::RETRY_AFTER));
        let body: Value = third.json().await.expect("JSON error body");
        assert!(body["message"].is_string(), "{body}");
        assert_eq!(sse.open_streams(), 2);
        assert_eq!(sse.inner.sessions().len(), 2);

        // A slot freed by a client leaving can be used again.
        drop(first);
        wait_for_open(&sse, 1).await;
        let again = get_sse(&client, &base).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(sse.open_streams(), 2);
        drop((second, again));
        wait_for_open(&sse, 0).await;
    }

    #[tokio::test]
    async fn post_errors() {
        let (base, _sse) = spawn_server(SseConfig::default(), Echo::new).await;
        let client = reqwest::Client::new();
        let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });

        let unknown = post_json(&client, &format!("{base}/sse/messages?sessionId={:032x}", 7u128), ping.clone()).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let body: Value = unknown.json().await.expect("JSON error body");
        assert!(body["message"].is_string(), "{body}");

        let missing = post_json(&client, &format!("{base}/sse/messages"), ping.clone()).await;
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
        let empty = post_json(&client, &format!("{base}/sse/messages?sessionId="), ping).await;
        assert_eq!(empty.status(), StatusCode::BAD_REQUEST);

        let mut events = events(get_sse(&client, &base).await);
        let url = format!("{base}{}", endpoint(&mut events).await);
        for bad in [
            "{not json",
            "",
            r#"{"hello": "world"}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
        ] {
            let response = post_raw(&client, &url, bad).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "body {bad:?}");
        }

        // The session is still usable after bad POSTs: ping before initialize is allowed.
        let response = post_json(&client, &url, json!({ "jsonrpc": "2.0", "id": 9, "method": "ping" })).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let pong = next_message(&mut events).await;
        assert_eq!(pong["id"], 9);
        assert!(pong["result"].is_object(), "{pong}");
    }

    #[tokio::test]
    async fn full_queue_answers_503() {
        let gate = Gate::default();
        let (base, sse) = spawn_server(config(10, Duration::from_secs(30), 1), {
            let gate = gate.clone();
            move || gate.clone()
        })
        .await;
        let client = reqwest::Client::new();
        let mut events = events(get_sse(&client, &base).await);
        let url = format!("{base}{}", endpoint(&mut events).await);

        let entered = gate.entered.notified();
        let response = post_json(&client, &url, initialize_request(1)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        // The service has taken `initialize` off the queue and is stuck in the handler.
        tokio::time::timeout(TIMEOUT, entered).await.expect("initialize not reached");

        let ping = json!({ "jsonrpc": "2.0", "id": 2, "method": "ping" });
        let queued = post_json(&client, &url, ping.clone()).await;
        assert_eq!(queued.status(), StatusCode::ACCEPTED);
        let full = post_json(&client, &url, ping).await;
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(full.headers().contains_key(header::RETRY_AFTER));

        // Once released, the handshake finishes and the queued message is answered.
        gate.release.notify_one();
        let init = next_message(&mut events).await;
        assert_eq!(init["id"], 1);
        assert!(init["result"]["serverInfo"].is_object(), "{init}");
        let pong = next_message(&mut events).await;
        assert_eq!(pong["id"], 2);
        assert_eq!(sse.open_streams(), 1);
    }

    #[tokio::test]
    async fn stream_ends_when_the_service_ends() {
        let (base, sse) = spawn_server(SseConfig::default(), Echo::new).await;
        let client = reqwest::Client::new();
        let mut events = events(get_sse(&client, &base).await);
        let url = format!("{base}{}", endpoint(&mut events).await);

        // A notification instead of `initialize` makes rmcp's handshake fail: the service ends.
        let response =
            post_json(&client, &url, json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let end = tokio::time::timeout(TIMEOUT, events.next()).await.expect("stream did not end in time");
        assert!(end.is_none(), "unexpected event {end:?}");
        wait_for_open(&sse, 0).await;
        let response = post_json(&client, &url, initialize_request(1)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn close_all_ends_every_stream() {
        let (base, sse) = spawn_server(SseConfig::default(), Echo::new).await;
        let client = reqwest::Client::new();
        let mut a = events(get_sse(&client, &base).await);
        let mut b = events(get_sse(&client, &base).await);
        let url_a = format!("{base}{}", endpoint(&mut a).await);
        endpoint(&mut b).await;

        // One initialized session, one still waiting for `initialize`.
        let response = post_json(&client, &url_a, initialize_request(1)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(next_message(&mut a).await["id"], 1);
        assert_eq!(sse.open_streams(), 2);

        sse.close_all();
        for events in [&mut a, &mut b] {
            let end = tokio::time::timeout(TIMEOUT, events.next()).await.expect("stream did not end in time");
            assert!(end.is_none(), "unexpected event {end:?}");
        }
        wait_for_open(&sse, 0).await;
    }

    /// The stream ends (the server closed it) within [`TIMEOUT`].
    async fn ends(events: &mut Events) {
        let end = tokio::time::timeout(TIMEOUT, events.next()).await.expect("stream did not end in time");
        assert!(end.is_none(), "unexpected event {end:?}");
    }

    #[tokio::test]
    async fn a_stream_that_never_initializes_is_closed() {
        let config = SseConfig { init_timeout: Duration::from_millis(200), ..SseConfig::default() };
        let (base, sse) = spawn_server(config, Echo::new).await;
        let client = reqwest::Client::new();
        let mut events = events(get_sse(&client, &base).await);
        let url = format!("{base}{}", endpoint(&mut events).await);
        // A ping is allowed before initialize, but does not count as initializing.
        let response = post_json(&client, &url, json!({ "jsonrpc": "2.0", "id": 9, "method": "ping" })).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(next_message(&mut events).await["id"], 9);
        ends(&mut events).await;
        wait_for_open(&sse, 0).await;
    }

    #[tokio::test]
    async fn a_stream_without_posts_for_the_idle_timeout_is_closed() {
        let config = SseConfig { idle_timeout: Duration::from_millis(300), ..SseConfig::default() };
        let (base, sse) = spawn_server(config, Echo::new).await;
        let client = reqwest::Client::new();
        let mut events = events(get_sse(&client, &base).await);
        let url = format!("{base}{}", endpoint(&mut events).await);
        let response = post_json(&client, &url, initialize_request(1)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(next_message(&mut events).await["id"], 1);
        ends(&mut events).await;
        wait_for_open(&sse, 0).await;
    }

    #[tokio::test]
    async fn shutdown_ends_every_stream_and_refuses_new_ones() {
        let shutdown = CancellationToken::new();
        let sse = LegacySse::with_shutdown(SseConfig::default(), shutdown.clone());
        let (base, sse) = spawn_server_for(sse, Echo::new).await;
        let client = reqwest::Client::new();
        let mut waiting = events(get_sse(&client, &base).await);
        let mut ready = events(get_sse(&client, &base).await);
        endpoint(&mut waiting).await;
        let url = format!("{base}{}", endpoint(&mut ready).await);
        assert_eq!(post_json(&client, &url, initialize_request(1)).await.status(), StatusCode::ACCEPTED);
        assert_eq!(next_message(&mut ready).await["id"], 1);
        shutdown.cancel();
        ends(&mut waiting).await;
        ends(&mut ready).await;
        wait_for_open(&sse, 0).await;
        let refused = get_sse(&client, &base).await;
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(refused.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn session_ids_are_unique_128_bit_hex() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_session_id("0badcafe")).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == SESSION_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit())));
        assert!(ids.iter().all(|id| id.starts_with("0badcafe")));
    }

    #[test]
    fn per_client_slots_are_counted_and_given_back() {
        let sse = LegacySse::new(SseConfig { max_streams_per_client: 2, ..SseConfig::default() });
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(sse.inner.try_acquire_for(a) && sse.inner.try_acquire_for(a));
        assert!(!sse.inner.try_acquire_for(a), "a third stream of the same client is refused");
        assert!(sse.inner.try_acquire_for(b), "another client is not affected");
        sse.inner.release_for(a);
        assert!(sse.inner.try_acquire_for(a));
        for ip in [a, a, b] {
            sse.inner.release_for(ip);
        }
        assert!(sse.inner.per_client().is_empty(), "no entries left at zero");
    }

    #[test]
    fn ids_of_other_instances_are_recognised() {
        let sse = LegacySse::new(SseConfig::default());
        let own = new_session_id(&sse.inner.instance);
        assert!(!sse.inner.opened_elsewhere(&own));
        let other_tag = if sse.inner.instance == "00000000" { "00000001" } else { "00000000" };
        assert!(sse.inner.opened_elsewhere(&new_session_id(other_tag)));
        assert!(!sse.inner.opened_elsewhere("00000000"), "too short");
        assert!(!sse.inner.opened_elsewhere(&"z".repeat(SESSION_ID_LEN)), "not hex");
    }

    #[test]
    fn open_rejects_line_breaks_in_path() {
        let sse = LegacySse::new(SseConfig::default());
        let response = sse.open(Echo::new(), "/sse/messages\r\nevent: x");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(sse.open_streams(), 0);
    }
}
