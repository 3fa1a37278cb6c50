//! Structured logs with `tracing`: pretty for people, JSON for log pipelines (`LOG_FORMAT=json`).
//! The filter comes from `RUST_LOG` (default `info,rmcp=warn`: rmcp logs every stateless request). Passwords and API keys are never logged.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second init (tests that start several servers) keeps the first subscriber.
    let _ = result;
}
