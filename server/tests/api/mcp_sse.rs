//! The legacy HTTP+SSE transport on every connector, as older MCP clients use it.

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use server::mcp::connector::Connector;

use crate::helpers::{TestApp, spawn_app};

/// An open SSE session: the stream of events and the URL to POST messages to.
struct SseSession {
    events: std::pin::Pin<Box<dyn Stream<Item = Event> + Send>>,
    messages_url: String,
}

async fn open(app: &TestApp, path: &str) -> SseSession {
    let response =
        app.client.get(app.url(path)).header("Accept", "text/event-stream").send().await.expect("stream opens");
    assert_eq!(response.status(), 200);
    let mut events = response.bytes_stream().eventsource().filter_map(|e| async move { e.ok() }).boxed();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .expect("endpoint event in time")
        .expect("endpoint event");
    assert_eq!(first.event, "endpoint");
    assert!(first.data.starts_with(&format!("{path}/messages?sessionId=")), "{}", first.data);
    SseSession { events, messages_url: app.url(&first.data) }
}

impl SseSession {
    async fn send(&self, app: &TestApp, message: Value) {
        let status = app.client.post(&self.messages_url).json(&message).send().await.expect("posted").status();
        assert_eq!(status, 202);
    }

    /// Sends a request and reads the stream until its response arrives.
    async fn request(&mut self, app: &TestApp, id: u64, method: &str, params: Value) -> Value {
        self.send(app, json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), self.events.next())
                .await
                .expect("response in time")
                .expect("stream still open");
            assert_eq!(event.event, "message");
            let message: Value = serde_json::from_str(&event.data).expect("JSON-RPC message");
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    async fn handshake(&mut self, app: &TestApp) -> Value {
        let init = self
            .request(
                app,
                1,
                "initialize",
                json!({"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}),
            )
            .await;
        self.send(app, json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        init
    }
}

#[tokio::test]
async fn every_connector_speaks_legacy_sse() {
    let app = spawn_app().await;
    for connector in Connector::ALL {
        let mut sse = open(&app, connector.path()).await;
        let init = sse.handshake(&app).await;
        assert_eq!(init["result"]["serverInfo"]["name"], connector.name());
        let list = sse.request(&app, 2, "tools/list", json!({})).await;
        assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(connector.tools().len()));
        let resources = sse.request(&app, 3, "resources/list", json!({})).await;
        assert!(resources["result"]["resources"].as_array().is_some_and(|r| !r.is_empty()));
    }
}

#[tokio::test]
async fn a_session_made_over_sse_works_over_streamable_http_and_back() {
    let app = spawn_app().await;
    let mut auth = open(&app, "/mcp").await;
    auth.handshake(&app).await;
    let created = auth.request(&app, 2, "tools/call", json!({"name": "create-target-session", "arguments": {}})).await;
    let sid = created["result"]["structuredContent"]["sessionId"].clone();
    assert!(sid.as_str().is_some_and(|s| s.starts_with("sess_")));

    let lamp = app.find_product("desk lamp", 0).await;
    let added =
        app.call_on("/mcp3", shared::tool::ToolName::AddToCart, json!({"sessionId": sid, "productId": lamp.id})).await;
    assert!(!added.is_error(), "{}", added.text());

    let mut checkout = open(&app, "/mcp3").await;
    checkout.handshake(&app).await;
    let cart =
        checkout.request(&app, 2, "tools/call", json!({"name": "get-cart", "arguments": {"sessionId": sid}})).await;
    assert_eq!(cart["result"]["structuredContent"]["cart"]["items"][0]["product"]["id"], json!(lamp.id));
}

#[tokio::test]
async fn bad_posts_get_clear_statuses_and_closed_streams_are_freed() {
    let app = spawn_app().await;
    let url = app.url("/mcp/all/messages");
    let no_session = app.client.post(&url).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).send().await;
    assert_eq!(no_session.expect("sent").status(), 400);
    let unknown = app
        .client
        .post(format!("{url}?sessionId=0123456789abcdef0123456789abcdef"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await;
    assert_eq!(unknown.expect("sent").status(), 404);

    let sse = open(&app, "/mcp/all").await;
    let bad_json = app.client.post(&sse.messages_url).body("{not json").send().await.expect("sent");
    assert_eq!(bad_json.status(), 400);
    let messages_url = sse.messages_url.clone();
    drop(sse);
    // When the client goes away the session is gone: its URL answers 404.
    let gone = async {
        loop {
            let status = app
                .client
                .post(&messages_url)
                .json(&json!({"jsonrpc": "2.0", "id": 9, "method": "ping"}))
                .send()
                .await
                .expect("sent")
                .status();
            if status == 404 {
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), gone).await.expect("the closed stream is freed");
}

#[tokio::test]
async fn open_streams_are_bounded() {
    let mut config = crate::helpers::test_config();
    config.max_sse_streams = 2;
    let app = crate::helpers::spawn_app_with(config).await;
    let _a = open(&app, "/mcp").await;
    let _b = open(&app, "/mcp2").await;
    let third = app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("sent");
    assert_eq!(third.status(), 503);
    assert!(third.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn sse_streams_respect_the_origin_allow_list() {
    let app = spawn_app().await;
    let status = app
        .client
        .get(app.url("/mcp/all"))
        .header("Accept", "text/event-stream")
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn without_a_shared_relay_a_post_on_the_wrong_instance_says_where_the_stream_lives() {
    let (a, b) = (spawn_app().await, spawn_app().await);
    let sse = open(&a, "/mcp/all").await;
    let path = sse.messages_url.strip_prefix(&a.base).expect("a path on A").to_owned();
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    // A load balancer sends the POST to B: a clear 404 naming the cause and the fixes.
    let elsewhere = b.post_json(&path, ping.clone()).await;
    assert_eq!(elsewhere.status(), 404);
    let body: Value = elsewhere.json().await.expect("JSON body");
    assert_eq!(body["error"], "session_on_another_instance");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("sticky sessions") && message.contains("Streamable HTTP"), "{message}");
    // On A, which holds the stream, the same POST is accepted.
    assert_eq!(a.post_json(&path, ping.clone()).await.status(), 202);
    // A made-up id is just unknown.
    let unknown = b.post_json("/mcp/all/messages?sessionId=not-a-session", ping).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.expect("JSON body")["error"], "session_not_found");
}
