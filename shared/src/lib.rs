//! The Entraide library: everything that is not HTTP plumbing.
//!
//! Function crates (`functions/*`) and the local runner only wire what lives here. Modules are layered;
//! each imports only modules of the layers before it (and earlier ones of its own layer), never one
//! after it — `tests/layers.rs` reads every `crate::` path and fails on an upward one. In order:
//!
//! 1. **Foundations**: [`clock`], [`crypto`], [`error`] (the one error type, mapped once to a status),
//!    [`json`] (bodies into typed structs with field errors), [`domain`] (parsed types: `Email`,
//!    `PostalCode`, taxonomy codes…), [`geo`] (cells and distances), [`config`], [`telemetry`].
//! 2. **Ports and adapters**: [`store`] (the item store: DynamoDB, and SQLite behind the `embedded`
//!    feature), [`mail`] (SES, the outbox behind `embedded`, the templates), [`links`] (signed links).
//! 3. **Wiring**: [`deps`], the clients built once per cold start.
//! 4. **Records**: [`records`], every stored item as a type that knows its keys ([`records::keys`]).
//! 5. **Use cases**, in this order: [`stats`] (anonymous counters and `GET /api/stats`), [`members`]
//!    (register, sessions, verify), [`directory`] (searches by distance), [`matches`] (a match's life
//!    after a run: release, introduce, answers, housekeeping), [`posts`] (help, listings, perks,
//!    withdraw), [`contacts`] (the masked relay: contact a listing, the owner's answers), [`tickets`]
//!    (limited tickets of a perk), [`matching`]
//!    (the assignment and the run), [`moderation`] (queue and decisions), [`polls`] (publish, vote, results).
//! 6. **Compositions** spanning several use cases: [`privacy`] (export, erase), [`confirm`] (what a link does).
//! 7. **Edge**: [`routes`] (the route table everything that routes derives from), [`http`] (requests
//!    and responses of `lambda_http`), [`lambda`] (a function's `main`),
//!    and `testing` (helpers for tests, behind the `test-kit` feature).

/// An enum stored as strings (a record's status, a counter's metric): each string is written once, in
/// its `#[serde(rename)]`, and `as_str` returns that same string (for keys and logs) without a second
/// copy. `tests/layers.rs` checks that no other code spells these strings.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $s:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $s)] $variant,)+
        }
        impl $name {
            /// The stored string, as serde writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s,)+
                }
            }
        }
    };
}

// 1. Foundations
pub mod clock;
pub mod crypto;
pub mod error;
pub mod json;
pub mod domain;
pub mod geo;
pub mod config;
pub mod telemetry;
// 2. Ports and adapters
pub mod store;
pub mod mail;
pub mod links;
// 3. Wiring
pub mod deps;
// 4. Records
pub mod records;
// 5. Use cases
pub mod stats;
pub mod members;
pub mod directory;
pub mod matches;
pub mod posts;
pub mod contacts;
pub mod tickets;
pub mod matching;
pub mod moderation;
pub mod polls;
// 6. Compositions
pub mod privacy;
pub mod confirm;
// 7. Edge
pub mod routes;
pub mod http;
pub mod lambda;
#[cfg(feature = "test-kit")]
pub mod testing;
