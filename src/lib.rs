//! The local runner: every function's handler behind one router, the static front end, the outbox,
//! and the embedded store — `cargo run` starts it all on 127.0.0.1:3000 (docs/PRODUCT.md §7).
//!
//! The handlers are the very ones each Lambda runs: an HTTP request is turned into a
//! `lambda_http::Request` and handed to `functions/<name>`'s `handle`, so local mode cannot drift from
//! AWS behaviour.

pub mod admission;
pub mod demo;
pub mod emulator;
pub mod pages;
pub mod router;
pub mod setup;
