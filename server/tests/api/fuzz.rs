//! A property-based fuzz target (proptest) for the MCP endpoints: malformed JSON-RPC, wrong
//! types, huge and odd unicode strings, unknown tools and unknown methods, raw bytes and
//! batches, POSTed over real HTTP to every connector of one running server, and to the
//! `…/messages` URL of an initialized legacy SSE session (202, or 400/413/503 with a reason;
//! everything its stream carries is well-formed JSON-RPC, and the session still answers).
//!
//! Every answer must be: a well-formed JSON-RPC response (a result — for tools/call possibly an
//! `isError` one — or an error with an integer code and a message) echoing the request id; 202
//! for a notification; for what is refused before dispatch (a body that is not a JSON-RPC
//! message: parse error -32700 or invalid request -32600), 400 with a JSON-RPC error; 413 for a body above the limit. Never a 5xx,
//! never a dropped connection; the server answers normally afterwards.
//!
//! Bounded: 256 cases per property by default (a few seconds); `PROPTEST_CASES=5000 cargo test
//! -p server --test api fuzz` runs longer.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use server::mcp::connector::Connector;
use shared::tool::ToolName;

use crate::helpers::{TestApp, spawn_app_with, test_config};

const DEFAULT_CASES: u32 = 256;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)
}

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })
}

/// Strings: any unicode, control characters, near-valid ids, and now and then a huge one.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => any::<String>(),
        2 => "[\\u{0}-\\u{1f}\\u{7f}\\u{200b}\\u{202e}\\u{feff}\\u{1f600}é\"\\\\]{0,16}",
        2 => Just("sess_0123456789abcdef0123456789abcdef".to_owned()),
        1 => "sess_[0-9a-fA-F]{30,34}",
        1 => "[0-9]{1,12}",
        1 => (1usize..200_000).prop_map(|n| "\u{1f6d2}x".repeat(n / 5)),
    ]
}

/// The argument names the tools know, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "sessionId", "productId", "quantity", "query", "limit", "sort", "maxPriceCents",
            "idempotencyKey", "tier", "theme", "email", "password", "__proto__",
        ]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![0i64, -1, 1, 99, 100, i64::from(u32::MAX) + 1, i64::MIN]).prop_map(Value::from),
    ]
}

/// Any JSON value, up to a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf =
        prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::from), number(), text().prop_map(Value::from)];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn method() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => Just(json!("tools/call")),
        3 => prop::sample::select(vec![
            "tools/list", "resources/list", "resources/read", "resources/templates/list", "prompts/list",
            "prompts/get", "initialize", "ping", "completion/complete", "logging/setLevel",
            "notifications/initialized", "notifications/cancelled", "server/discover",
        ]).prop_map(Value::from),
        2 => text().prop_map(Value::from),
        1 => json_value(),
    ]
}

fn tool_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(ToolName::ALL.to_vec()).prop_map(|t| Value::from(t.as_str())),
        2 => text().prop_map(Value::from),
        1 => json_value(),
    ]
}

fn params() -> impl Strategy<Value = Option<Value>> {
    let arguments = prop_oneof![
        4 => prop::collection::vec((key(), json_value()), 0..6).prop_map(|p| Value::Object(p.into_iter().collect())),
        1 => json_value(),
    ];
    prop_oneof![
        5 => (tool_name(), arguments, proptest::option::of(json_value())).prop_map(|(name, arguments, meta)| {
            let mut p = Map::new();
            p.insert("name".into(), name);
            p.insert("arguments".into(), arguments);
            if let Some(meta) = meta {
                p.insert("_meta".into(), meta);
            }
            Some(Value::Object(p))
        }),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ]
}

/// A JSON-RPC-like message: usually well-formed around a hostile payload, sometimes not at all.
fn message() -> impl Strategy<Value = Value> {
    let version = prop_oneof![8 => Just(Some(json!("2.0"))), 1 => Just(None), 1 => json_value().prop_map(Some)];
    let id = prop_oneof![
        4 => any::<u32>().prop_map(|n| Some(json!(n))),
        2 => text().prop_map(|s| Some(json!(s))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ];
    (version, id, method(), params()).prop_map(|(version, id, method, params)| {
        let mut m = Map::new();
        if let Some(v) = version {
            m.insert("jsonrpc".into(), v);
        }
        if let Some(id) = id {
            m.insert("id".into(), id);
        }
        m.insert("method".into(), method);
        if let Some(p) = params {
            m.insert("params".into(), p);
        }
        Value::Object(m)
    })
}

fn connector() -> impl Strategy<Value = &'static str> {
    prop::sample::select(Connector::ALL.iter().map(|c| c.path()).collect::<Vec<_>>())
}

/// POSTs `body` and checks the answer against the oracle of the module docs.
async fn check(app: &TestApp, path: &str, body: Vec<u8>, sent: Option<&Value>) -> Result<(), TestCaseError> {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body)
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("no answer (connection dropped?): {e}")))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| TestCaseError::fail(format!("body not read: {e}")))?;
    prop_assert!(!status.is_server_error(), "{status} for {sent:?}: {text}");
    prop_assert!(status.is_success() || status.is_client_error(), "unexpected {status} for {sent:?}: {text}");
    if status.as_u16() == 202 {
        prop_assert!(text.is_empty(), "202 with a body: {text}");
        return Ok(());
    }
    let answer: Value =
        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{status}, not JSON ({e}): {text}")))?;
    if status.is_success() {
        well_formed(&answer, sent)?;
    } else if status.as_u16() == 413 {
        prop_assert!(answer["message"].as_str().is_some_and(|m| m.contains("bytes")), "413 without a reason: {}", text);
    } else {
        // Refused before dispatch (not a JSON-RPC message, or a request rmcp rejects up front,
        // such as server/discover without its metadata): still a JSON-RPC error.
        prop_assert_eq!(status.as_u16(), 400, "for {:?}: {}", sent, text);
        well_formed(&answer, None)?;
        prop_assert!(answer["error"].is_object(), "a 400 without a JSON-RPC error: {}", text);
    }
    Ok(())
}

/// A JSON-RPC 2.0 response: a result or an error {code: integer, message: string}, and the id.
fn well_formed(answer: &Value, sent: Option<&Value>) -> Result<(), TestCaseError> {
    prop_assert_eq!(&answer["jsonrpc"], "2.0", "not JSON-RPC 2.0: {}", answer);
    let has_result = answer.get("result").is_some();
    let has_error = answer.get("error").is_some();
    prop_assert!(has_result != has_error, "exactly one of result and error: {}", answer);
    if has_error {
        prop_assert!(answer["error"]["code"].is_i64(), "error without an integer code: {}", answer);
        prop_assert!(answer["error"]["message"].is_string(), "error without a message: {}", answer);
    }
    if let Some(sent) = sent
        && let Some(id) = sent.get("id")
        && (id.is_string() || id.is_u64())
        && has_result
    {
        prop_assert_eq!(&answer["id"], id, "the answer's id is not the request's");
    }
    if has_result && sent.is_some_and(|m| m["method"] == "tools/call") {
        let result = &answer["result"];
        prop_assert!(result["content"].is_array(), "a tool result without content: {}", answer);
        if let Some(flag) = result.get("isError") {
            prop_assert!(flag.is_boolean(), "isError is not a boolean: {}", answer);
        }
    }
    Ok(())
}

fn fuzz_app() -> (tokio::runtime::Runtime, TestApp) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut config = test_config();
    config.rate_limit_per_sec = 0;
    config.signin_rate_limit_per_min = 0;
    let app = runtime.block_on(spawn_app_with(config));
    (runtime, app)
}

fn still_serves(runtime: &tokio::runtime::Runtime, app: &TestApp) {
    let list = runtime.block_on(app.rpc("/mcp/all", "tools/list", json!({})));
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(Connector::All.tools().len()));
}

#[test]
fn hostile_json_rpc_gets_json_rpc_answers_or_4xx() {
    let (runtime, app) = fuzz_app();
    let strategy = (connector(), message());
    runner()
        .run(&strategy, |(path, message)| {
            let body = serde_json::to_vec(&message).expect("serializes");
            runtime.block_on(check(&app, path, body, Some(&message)))
        })
        .expect("every hostile message gets a well-formed answer");
    still_serves(&runtime, &app);
}

#[test]
fn valid_envelopes_with_hostile_tool_arguments_get_results_or_json_rpc_errors() {
    let (runtime, app) = fuzz_app();
    let strategy = (connector(), any::<u32>(), tool_name(), json_value());
    runner()
        .run(&strategy, |(path, id, name, arguments)| {
            let message = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": name, "arguments": arguments}});
            let body = serde_json::to_vec(&message).expect("serializes");
            runtime.block_on(async {
                let response = app
                    .client
                    .post(app.url(path))
                    .header("accept", "application/json, text/event-stream")
                    .json(&message)
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
                // A well-formed request is always answered 200 with JSON-RPC.
                prop_assert_eq!(response.status().as_u16(), 200, "for {}", message);
                let answer: Value = response.json().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
                well_formed(&answer, Some(&message))?;
                drop(body);
                Ok(())
            })
        })
        .expect("every tool call is answered");
    still_serves(&runtime, &app);
}

#[test]
fn raw_bytes_and_batches_never_break_the_server() {
    let (runtime, app) = fuzz_app();
    let bodies = prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..2048).prop_map(|b| (b, None)),
        2 => any::<String>().prop_map(|s| (s.into_bytes(), None)),
        2 => prop::collection::vec(message(), 0..5).prop_map(|batch| {
            let batch = Value::Array(batch);
            (serde_json::to_vec(&batch).expect("serializes"), None)
        }),
        2 => message().prop_map(|m| {
            // Truncated JSON.
            let mut bytes = serde_json::to_vec(&m).expect("serializes");
            bytes.truncate(bytes.len() / 2);
            (bytes, None)
        }),
    ];
    let strategy = (connector(), bodies);
    runner()
        .run(&strategy, |(path, (body, sent)): (&str, (Vec<u8>, Option<Value>))| {
            runtime.block_on(check(&app, path, body, sent.as_ref()))
        })
        .expect("every body gets an answer below 500");
    still_serves(&runtime, &app);
}

#[test]
fn hostile_posts_to_a_legacy_sse_session_get_clear_statuses_and_well_formed_answers() {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    let (runtime, app) = fuzz_app();
    // An initialized legacy session; a task drains its stream into a channel.
    let (mut answers, messages_url) = runtime.block_on(async {
        let response =
            app.client.get(app.url("/mcp/all")).header("Accept", "text/event-stream").send().await.expect("opens");
        let mut events = response.bytes_stream().eventsource().boxed();
        let first = events.next().await.expect("endpoint event").expect("parses");
        assert_eq!(first.event, "endpoint");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(Ok(event)) = events.next().await {
                if tx.send(event.data).is_err() {
                    return;
                }
            }
        });
        (rx, app.url(&first.data))
    });
    let post =
        |body: Vec<u8>| app.client.post(&messages_url).header("content-type", "application/json").body(body).send();
    runtime.block_on(async {
        let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
        assert_eq!(post(serde_json::to_vec(&init).expect("JSON")).await.expect("sent").status(), 202);
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), answers.recv()).await;
        assert!(answer.expect("in time").expect("stream open").contains("\"init\""));
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(post(serde_json::to_vec(&initialized).expect("JSON")).await.expect("sent").status(), 202);
    });

    let bodies = prop_oneof![
        3 => message().prop_map(|m| serde_json::to_vec(&m).expect("serializes")),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ];
    runner()
        .run(&bodies, |body| {
            runtime.block_on(async {
                let response = post(body).await.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
                let status = response.status().as_u16();
                prop_assert!(matches!(status, 202 | 400 | 413 | 503), "unexpected {}", status);
                if status != 202 {
                    let answer: Value = response.json().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(answer["message"].is_string(), "a {} without a reason: {}", status, answer);
                }
                Ok(())
            })
        })
        .expect("every POST gets a clear status");

    // The session survived: a last ping is answered on the stream, and every message the stream
    // carried on the way is well-formed JSON-RPC.
    runtime.block_on(async {
        let ping = json!({"jsonrpc": "2.0", "id": "last-ping", "method": "ping"});
        assert_eq!(post(serde_json::to_vec(&ping).expect("JSON")).await.expect("sent").status(), 202);
        let mut seen = 0;
        loop {
            let data = tokio::time::timeout(std::time::Duration::from_secs(10), answers.recv())
                .await
                .expect("the last ping is answered in time")
                .expect("the stream is still open");
            let answer: Value = serde_json::from_str(&data).expect("every event is JSON");
            well_formed(&answer, None).expect("every event is JSON-RPC");
            seen += 1;
            if answer["id"] == "last-ping" {
                break;
            }
        }
        assert!(seen >= 1);
    });
    still_serves(&runtime, &app);
}
