//! The Entraide library: everything that is not HTTP plumbing.
//!
//! Function crates (`functions/*`) and the local runner only wire what lives here:
//! - [`domain`]: parsed types (`Email`, `FirstName`, `PostalCode`, taxonomy codes…); past a handler,
//!   nothing takes a raw `String`.
//! - [`error`]: the one error type and its one mapping to `{"error":{code,message,field}}` + status.
//! - [`store`]: the store port, its key module, the DynamoDB and embedded (SQLite) adapters.
//! - [`mail`]: the mailer port, the SES and outbox adapters, the e-mail templates.
//! - [`links`]: signed, single-use, purpose-bound links and sessions.
//! - [`members`]: registration, verification, export and erasure.
//! - [`http`]: request parsing and JSON responses for `lambda_http` handlers.
//! - [`matching`]: the assignment and the matching run; [`review`]: moderation, introductions, confirm/decline.
//! - [`stats`]: anonymous day counters and `GET /api/stats`.
//! - [`deps`]: configuration and the clients built once per cold start.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod deps;
pub mod domain;
pub mod error;
pub mod geo;
pub mod http;
pub mod lambda;
pub mod links;
pub mod mail;
pub mod matching;
pub mod members;
pub mod posts;
pub mod review;
pub mod search;
pub mod stats;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-kit")]
pub mod testing;
