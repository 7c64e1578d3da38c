//! What people post, as stored in their member's partition: help offers (and one area item per postal
//! code, the copy the matching run reads), help requests, listings; how long they live and the day their
//! "keep it open" reminder is due.

use crate::clock::{DAY, UnixTime, day_of};
use crate::records::keys;
use crate::store::Key;
use serde::{Deserialize, Serialize};

/// How long an offer or a request stays open.
pub const POST_TTL: i64 = 30 * DAY;

/// How long before an open post expires its "keep it open" reminder goes out (day 25 of 30).
pub const POST_REMINDER_BEFORE: i64 = 5 * DAY;

/// The index partition (`REMIND#<day>`) of a post expiring at `expires_at`: the day its reminder is due.
pub fn reminder_partition(expires_at: UnixTime) -> String {
    keys::reminders_on(&day_of(expires_at - POST_REMINDER_BEFORE))
}

/// Open requests read per help type and run (more waits for the next run, oldest first).
pub const MAX_REQUESTS_PER_RUN: usize = 20_000;

/// Which side of an exchange a post is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Offer,
    Request,
}

impl Side {
    pub(crate) fn sk_prefix(self) -> &'static str {
        match self {
            Side::Offer => keys::OFFER_PREFIX,
            Side::Request => keys::REQUEST_PREFIX,
        }
    }
    pub(crate) fn entity(self) -> &'static str {
        match self {
            Side::Offer => "offer",
            Side::Request => "request",
        }
    }
}

stored_enum! {
    /// A help offer's status: open while it exists (it goes when withdrawn, used up or expired).
    pub enum OfferStatus {
        /// Open: in the areas the matching run reads.
        Open = "open",
    }
}

stored_enum! {
    /// A help request's status.
    pub enum RequestStatus {
        /// Open: in the `OPEN_REQUEST#<help type>` index the run reads.
        Open = "open",
        /// Part of a match (`match_id`), out of the open index.
        Proposed = "proposed",
    }
}

stored_enum! {
    /// A listing's status: published while it exists.
    pub enum ListingStatus {
        /// Published: its copy is in the search index.
        Published = "published",
    }
}

/// Child-care details of a help offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChildCareOffer {
    pub is_parent: bool,
    pub has_experience: bool,
    pub max_children: i64,
    pub age_ranges: Vec<String>,
}

/// A help offer (groceries, child care…).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelpOffer {
    pub id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_codes: Vec<String>,
    pub radius_km: i64,
    pub capacity: i64,
    pub availability: String,
    pub details: String,
    pub child_care: Option<ChildCareOffer>,
    pub status: OfferStatus,
    /// Matches proposed or introduced and not yet closed; never above `capacity` (conditional writes).
    #[serde(default)]
    pub active_matches: i64,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// One postal code of a help offer, as the matching run reads it (a copy of what the run needs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferArea {
    pub offer_id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_code: String,
    /// How many areas the offer has (to update every copy of `active_matches`).
    pub areas: usize,
    pub radius_km: i64,
    pub capacity: i64,
    pub active_matches: i64,
    pub child_care: Option<ChildCareOffer>,
    pub expires_at: UnixTime,
}

/// A help request; child care lists one age range per child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelpRequest {
    pub id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_code: String,
    pub details: String,
    pub children: Vec<String>,
    pub status: RequestStatus,
    /// The match this request is part of, while `proposed`.
    #[serde(default)]
    pub match_id: Option<String>,
    /// Volunteers (member ids) this request must never be proposed to again: declined or rejected pairs.
    #[serde(default)]
    pub blocked_volunteers: Vec<String>,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A listing: skills offered to organisations, or an organisation's need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listing {
    pub id: String,
    pub member_id: String,
    pub side: Side,
    pub domain: String,
    pub postal_code: String,
    pub radius_km: i64,
    pub title: String,
    pub text: String,
    pub status: ListingStatus,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    /// Bumped by every contact written to this listing, on condition that it is unchanged: the cap on
    /// contacts waiting (`contacts::MAX_OPEN_CONTACTS_PER_LISTING`) holds under concurrent contacts.
    /// Written as 0 with the listing, so that even the first contacts condition on a value.
    #[serde(default)]
    pub contacts_rev: i64,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// The kind of post a "keep it open" reminder and its link are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    HelpOffer,
    HelpRequest,
    Listing(Side),
}

impl PostKind {
    fn code(self) -> &'static str {
        match self {
            PostKind::HelpOffer => "offer",
            PostKind::HelpRequest => "request",
            PostKind::Listing(Side::Offer) => "listing_offer",
            PostKind::Listing(Side::Request) => "listing_request",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<PostKind> {
        [PostKind::HelpOffer, PostKind::HelpRequest, PostKind::Listing(Side::Offer), PostKind::Listing(Side::Request)]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// Where the post is: help offers and listings of skills under `OFFER#`, the rest under `REQUEST#`.
    pub(crate) fn key(self, member_id: &str, post_id: &str) -> Key {
        match self {
            PostKind::HelpOffer | PostKind::Listing(Side::Offer) => keys::offer(member_id, post_id),
            PostKind::HelpRequest | PostKind::Listing(Side::Request) => keys::request(member_id, post_id),
        }
    }
}

/// The subject of a `keep_open` link: which post of which member.
pub fn keep_open_subject(member_id: &str, kind: PostKind, post_id: &str) -> String {
    format!("{member_id}:{}:{post_id}", kind.code())
}
