//! Where a widget stands, derived from the host's newest tool result: still loading, failed
//! (an `isError` result, or data of the wrong shape), or ready with the typed output.

use leptos::prelude::*;

use crate::bridge::{BridgeKind, ToolResult};
use crate::host::Host;

/// Shown when the result is an error without a message.
pub const GENERIC_ERROR: &str = "Something went wrong at Target. Ask ChatGPT to try again.";
/// Shown when the result is not the shape this widget shows.
pub const UNEXPECTED_RESULT: &str = "This Target answer could not be shown here. Ask ChatGPT to try again.";
/// Shown when the page runs outside any host, so no result will ever come.
pub const NOT_CONNECTED: &str = "This Target widget is not connected to ChatGPT. Open it from a ChatGPT conversation.";

/// Loading, failed with a message for the shopper, or ready with the widget's data.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase<T> {
    Loading,
    Failed(String),
    Ready(T),
}

impl<T> Phase<T> {
    /// The data, when ready.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Phase::Ready(data) => Some(data),
            _ => None,
        }
    }
}

/// The phase for `result`: `standalone` means no host is connected, so nothing will arrive.
pub fn phase_of<T>(
    result: Option<&ToolResult>,
    standalone: bool,
    parse: impl FnOnce(&ToolResult) -> Option<T>,
) -> Phase<T> {
    match result {
        None if standalone => Phase::Failed(NOT_CONNECTED.to_owned()),
        None => Phase::Loading,
        Some(r) if r.is_error => Phase::Failed(
            r.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(GENERIC_ERROR).to_owned(),
        ),
        Some(r) => parse(r).map_or_else(|| Phase::Failed(UNEXPECTED_RESULT.to_owned()), Phase::Ready),
    }
}

/// The widget's phase as a memo over the host's newest result, parsed with `parse`.
pub fn use_phase<T>(host: Host, parse: fn(&ToolResult) -> Option<T>) -> Memo<Phase<T>>
where
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| {
        let standalone = host.connected.get() && host.kind() == Some(BridgeKind::Standalone);
        host.result.with(|r| phase_of(r.as_ref(), standalone, parse))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_number(r: &ToolResult) -> Option<u64> {
        r.structured.as_ref()?.get("n")?.as_u64()
    }

    fn result(structured: serde_json::Value, is_error: bool, text: Option<&str>) -> ToolResult {
        ToolResult { structured: Some(structured), meta: None, is_error, text: text.map(str::to_owned) }
    }

    #[test]
    fn phases() {
        assert_eq!(phase_of(None, false, parse_number), Phase::Loading);
        assert_eq!(phase_of(None, true, parse_number), Phase::Failed(NOT_CONNECTED.into()));
        assert_eq!(phase_of(Some(&result(json!({"n": 3}), false, None)), false, parse_number), Phase::Ready(3));
        assert_eq!(
            phase_of(Some(&result(json!({"x": 3}), false, None)), false, parse_number),
            Phase::Failed(UNEXPECTED_RESULT.into())
        );
        let failed = result(json!(null), true, Some("The cart is empty."));
        assert_eq!(phase_of(Some(&failed), false, parse_number), Phase::Failed("The cart is empty.".into()));
        let silent = result(json!(null), true, Some("  "));
        assert_eq!(phase_of(Some(&silent), false, parse_number), Phase::Failed(GENERIC_ERROR.into()));
        assert_eq!(Phase::Ready(1).ready(), Some(&1));
        assert_eq!(Phase::<u8>::Loading.ready(), None);
    }
}
