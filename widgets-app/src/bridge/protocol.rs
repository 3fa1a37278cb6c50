//! Pure parsing of host messages into typed Rust. (Stub: filled in next.)
