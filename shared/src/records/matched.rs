//! A match as stored (`MATCH#<id>`/`MATCH`) and its place in the `MATCHES#<status>` index.

use crate::clock::UnixTime;
use crate::error::AppError;
use crate::records::keys;
use crate::store::{ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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

stored_enum! {
    /// The attribute in which a match records which parties were handed their copy: of the introduction,
    /// or of its day-7 reminder.
    pub enum Ledger {
        Introduction = "sent",
        Reminder = "reminder_sent",
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced_at: Option<UnixTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<UnixTime>,
}

impl Match {
    /// The item a new match is stored as: the record, its entity tag and its place in the status index.
    pub(crate) fn to_item(&self) -> Result<Item, AppError> {
        super::item_of(self, "match", keys::matched(&self.id), index_attrs(self.status, self.created_at, &self.id))
    }
}

/// A member's reference to a match they are part of, in their partition (export lists it, erasure
/// finds it); it lives as long as the match.
pub(crate) fn match_ref_item(member_id: &str, match_id: &str, expires_at: UnixTime) -> Item {
    let attrs =
        Map::from_iter([(ENTITY.into(), json!("match_ref")), ("match_id".into(), json!(match_id)), (EXPIRES_AT.into(), json!(expires_at))]);
    Item::new(keys::match_ref(member_id, match_id), attrs)
}

/// The index attributes of a match in `status`, ordered by `at`.
pub(crate) fn index_attrs(status: MatchStatus, at: UnixTime, id: &str) -> [(String, Value); 2] {
    [(GSI1PK.into(), json!(keys::matches_in(status.as_str()))), (GSI1SK.into(), json!(keys::match_order(at, id)))]
}

/// The most matches one queue or one housekeeping pass reads.
pub(crate) const MAX_MATCHES: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    /// A new match is stored with exactly the attributes it always had (the run wrote them as a map).
    #[test]
    fn a_new_match_is_stored_as_it_always_was() {
        let m = Match {
            id: "X".into(),
            offer_id: "O".into(),
            offer_member_id: "MO".into(),
            request_id: "R".into(),
            request_member_id: "MR".into(),
            help_type: "groceries".into(),
            distance_km: 1.25,
            status: MatchStatus::Proposed,
            department: None,
            created_at: 1_700_000_000,
            expires_at: 1_702_000_000,
            sent: Vec::new(),
            lease_until: 0,
            introduced_at: None,
            reminded_at: None,
        };
        let item = m.to_item().unwrap();
        assert_eq!((item.key.pk.as_str(), item.key.sk.as_str()), ("MATCH#X", "MATCH"));
        assert_eq!(
            Value::Object(item.attrs),
            json!({
                "entity": "match", "id": "X", "offer_id": "O", "offer_member_id": "MO", "request_id": "R",
                "request_member_id": "MR", "help_type": "groceries", "distance_km": 1.25, "status": "proposed",
                "department": null, "lease_until": 0, "sent": [], "created_at": 1_700_000_000i64,
                "expires_at": 1_702_000_000i64, "gsi1pk": "MATCHES#proposed", "gsi1sk": "001700000000#X"
            })
        );
    }
}
