//! A match as stored (`MATCH#<id>`/`MATCH`) and its place in the `MATCHES#<status>` index.

use crate::clock::UnixTime;
use crate::records::keys;
use crate::store::{GSI1PK, GSI1SK};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

stored_enum! {
    /// Where a match is in its life (docs/PRODUCT.md §2.1 steps 3–6); also its index partition `MATCHES#<status>`.
    pub enum MatchStatus {
        /// Proposed by a run, waiting for a moderator (manual review).
        Proposed = "proposed",
        /// Approved (or proposed under auto review): the introduction is due.
        Approved = "approved",
        /// Both parties have the introduction; waiting for an answer.
        Introduced = "introduced",
    }
}

/// A match as stored (`MATCH#<id>`): ids and anonymous facts only; the people are read from their items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub offer_id: String,
    pub offer_member_id: String,
    pub request_id: String,
    pub request_member_id: String,
    pub help_type: String,
    pub distance_km: f64,
    pub status: MatchStatus,
    /// The request's department, for the anonymous statistics.
    #[serde(default)]
    pub department: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// Which parties (`request`, `offer`) were handed their copy of the introduction.
    #[serde(default)]
    pub sent: Vec<String>,
    #[serde(default)]
    pub lease_until: UnixTime,
    #[serde(default)]
    pub introduced_at: Option<UnixTime>,
    #[serde(default)]
    pub reminded_at: Option<UnixTime>,
}

/// The index attributes of a match in `status`, ordered by `at`.
pub(crate) fn index_attrs(status: MatchStatus, at: UnixTime, id: &str) -> [(String, Value); 2] {
    [(GSI1PK.into(), json!(keys::matches_in(status.as_str()))), (GSI1SK.into(), json!(keys::match_order(at, id)))]
}

/// The most matches one queue or one housekeeping pass reads.
pub(crate) const MAX_MATCHES: usize = 10_000;
