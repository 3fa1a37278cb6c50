//! HTTP hardening shared by the MCP and REST routes, one middleware per file: which host names
//! are served (`host_check`), who the client is (`client_ip`), how large a body may be
//! (`body_limit`), how often a client or session may call (`rate_limit`), how long a REST request
//! may take (`timeout`), the request id and access log line (`request_log`), and the security headers of every response (`security_headers`).
//! What those layers refuse is one typed value (`refusal`), answered in the app's error shape.
//! Also the document frame of the server's own HTML pages (`html_page`).

pub mod body_limit;
pub mod client_ip;
pub mod host_check;
pub mod html_page;
pub mod rate_limit;
pub mod refusal;
pub mod request_log;
pub mod security_headers;
pub mod timeout;
