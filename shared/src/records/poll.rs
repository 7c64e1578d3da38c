//! A poll as stored (`POLL#<id>`/`POLL`): the question, the options and the counts — never a voter or a
//! ballot. Votes are counted in attributes of this item (`votes_<option>`, `voters`, and per community
//! `votes_<option>_<community>`, `voters_<community>`) by each vote's transaction.

use crate::clock::{DAY, UnixTime};
use serde::{Deserialize, Serialize};

/// How long a poll and its results stay after it closes.
pub const RESULTS_KEPT: i64 = 365 * DAY;

/// A poll.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Poll {
    pub id: String,
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_en: Option<String>,
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_en: Option<Vec<String>>,
    /// Who may vote: members of these communities (empty: every verified member).
    #[serde(default)]
    pub communities: Vec<String>,
    pub closes_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// The counter of votes for option `i` (of one community, with `Some`).
pub fn votes_attr(i: usize, community: Option<&str>) -> String {
    match community {
        Some(c) => format!("votes_{i}_{c}"),
        None => format!("votes_{i}"),
    }
}

/// The counter of voters (of one community, with `Some`).
pub fn voters_attr(community: Option<&str>) -> String {
    match community {
        Some(c) => format!("voters_{c}"),
        None => "voters".to_owned(),
    }
}
