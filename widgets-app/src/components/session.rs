//! Where a widget finds the shopper's Target session id: its own output (cart, sign-in, Circle
//! carry one), the tool input's `sessionId`, or the result's `openai/widgetSessionId`.

use leptos::prelude::*;
use serde_json::Value;
use shared::ids::SessionId;

use crate::bridge::ToolResult;
use crate::host::Host;

/// The `_meta` key ChatGPT uses to tie widgets of one session together.
pub const WIDGET_SESSION_KEY: &str = "openai/widgetSessionId";

/// The session id from the tool input (`sessionId`), else the result meta's widget session id.
/// Malformed ids are ignored.
pub fn session_from(input: Option<&Value>, meta: Option<&Value>) -> Option<SessionId> {
    let parse = |v: Option<&Value>| v.and_then(Value::as_str).and_then(|s| SessionId::parse(s).ok());
    parse(input.and_then(|i| i.get("sessionId"))).or_else(|| parse(meta.and_then(|m| m.get(WIDGET_SESSION_KEY))))
}

/// The session of what the host shows now (reactive: reads the input and the result).
pub fn current_session(host: Host) -> Option<SessionId> {
    let input = host.input.get();
    host.result.with(|r| session_from(input.as_ref(), r.as_ref().and_then(|r: &ToolResult| r.meta.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "sess_0123456789abcdef0123456789abcdef";
    const B: &str = "sess_fedcba9876543210fedcba9876543210";

    #[test]
    fn input_first_then_meta() {
        let input = json!({"query": "lamp", "sessionId": A});
        let meta = json!({WIDGET_SESSION_KEY: B});
        assert_eq!(session_from(Some(&input), Some(&meta)).unwrap().as_str(), A);
        assert_eq!(session_from(Some(&json!({"query": "lamp"})), Some(&meta)).unwrap().as_str(), B);
        assert_eq!(session_from(None, Some(&meta)).unwrap().as_str(), B);
        assert_eq!(session_from(Some(&json!({"query": "lamp"})), None), None);
    }

    #[test]
    fn malformed_ids_are_ignored() {
        let input = json!({"sessionId": "sess_nope"});
        let meta = json!({WIDGET_SESSION_KEY: 42});
        assert_eq!(session_from(Some(&input), Some(&meta)), None);
        assert_eq!(session_from(Some(&input), Some(&json!({WIDGET_SESSION_KEY: B}))).unwrap().as_str(), B);
    }
}
