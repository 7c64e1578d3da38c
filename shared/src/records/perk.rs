//! A business with a perk, as stored in its own partition (`PERK#<id>`/`PERK`): business data that outlives
//! the member who referenced it.

use crate::clock::{DAY, UnixTime};
use crate::records::keys;
use crate::store::Key;
use serde::{Deserialize, Serialize};

/// How long a perk without an end date stays listed.
pub const PERK_TTL: i64 = 365 * DAY;

stored_enum! {
    /// A perk's status.
    pub enum PerkStatus {
        /// Waiting for a moderator, in the `REVIEW#PERK` index.
        Pending = "pending",
        /// Listed in the directory, in its `PERK#<cell>` index.
        Approved = "approved",
    }
}

/// A business with a perk for the community.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Perk {
    pub id: String,
    /// The member who referenced it; removed when that member's data is erased.
    #[serde(default)]
    pub submitted_by: Option<String>,
    pub business_name: String,
    pub address: String,
    pub postal_code: String,
    pub category: String,
    pub perk: String,
    pub communities: Vec<String>,
    /// Only members whose community a work address verified may claim its tickets.
    #[serde(default)]
    pub verified_only: bool,
    pub quantity: Option<i64>,
    /// Tickets claimed, of `quantity`: incremented by each claim's own transaction on condition that it
    /// is below `quantity`, decremented by a give-back. Never who claimed them.
    #[serde(default)]
    pub claimed: i64,
    pub ends_on: Option<String>,
    pub status: PerkStatus,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A member's ticket for a perk (`MEMBER#<member>`/`CLAIM#<perk>`): the short code to show at the
/// business, and what the ticket is for (copied, so the member's space shows it without reading the perk).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub perk_id: String,
    pub code: String,
    pub business_name: String,
    pub perk: String,
    pub created_at: UnixTime,
    /// The perk's: a ticket lasts as long as what it is for.
    pub expires_at: UnixTime,
}

/// The perk's key (see [`keys::perk`]).
pub fn perk_key(id: &str) -> Key {
    keys::perk(id)
}
