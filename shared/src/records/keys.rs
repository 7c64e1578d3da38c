//! Every key of the single table, built in one place.
//!
//! | item | `pk` | `sk` | personal? |
//! |---|---|---|---|
//! | member profile | `MEMBER#<member ulid>` | `PROFILE` | yes, `expires_at` |
//! | e-mail uniqueness marker | `EMAIL#<HMAC-SHA256(normalised e-mail) hex>` | `EMAIL` | linkable only with the secret, `expires_at` |
//! | used link | `LINK#<jti>` | `USED` | no (expires with the link) |
//! | help offer / request, listing | `MEMBER#<member>` | `OFFER#<ulid>` / `REQUEST#<ulid>` | yes, `expires_at` |
//! | area of a help offer (one per postal code) | `MEMBER#<member>` | `AREA#<offer>#<n>` | yes, `expires_at` |
//! | a listing's copy in the search index | `MEMBER#<member>` | `LISTED#<listing>` | yes, `expires_at` |
//! | match | `MATCH#<ulid>` | `MATCH` | yes (member and post ids), `expires_at` |
//! | a member's reference to a match | `MEMBER#<member>` | `MATCH#<match>` | yes, `expires_at` |
//! | perk (business) | `PERK#<ulid>` | `PERK` | business data; `submitted_by` removed on erasure |
//! | statistics counter | `STATS` | `DAY#<yyyy-mm-dd>#<metric>#<shard>` | no: counts only, never expires |
//!
//! Index partitions (`gsi1pk`): `OPEN_REQUEST#<help type>`, `HELP_OFFER#<help type>#<cell>`,
//! `LISTING#<cell>`, `PERK#<cell>` (approved), `REVIEW#PERK` (pending perks), `MATCHES#<status>`
//! (`proposed` awaiting review, `approved` awaiting the introduction, `introduced`), `REMIND#<day>` (help
//! offers and listings whose day-25 reminder falls on that day). A listing is found both by place and by
//! reminder day, and an item has one index key: the listing itself carries the reminder day and its
//! `LISTED#` copy, in the same partition (so erasure and export find it), carries the place.
//!
//! Keys hold ids and keyed hashes only: never an e-mail, a name, a postal code or a token.

use super::Key;

pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const PROFILE: &str = "PROFILE";

/// A member's partition: the profile and, later, everything the member owns, so one query finds it all.
pub fn member_pk(member_id: &str) -> String {
    format!("{MEMBER_PREFIX}{member_id}")
}

pub fn member(member_id: &str) -> Key {
    Key::new(member_pk(member_id), PROFILE)
}

/// The marker that makes an e-mail address unique, keyed by its keyed hash.
pub fn email_marker(email_hash: &str) -> Key {
    Key::new(format!("EMAIL#{email_hash}"), "EMAIL")
}

/// The marker that makes a link single-use.
pub fn used_link(jti: &str) -> Key {
    Key::new(format!("LINK#{jti}"), "USED")
}

/// A help offer in its member's partition.
pub fn offer(member_id: &str, offer_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("OFFER#{offer_id}"))
}

/// A help request in its member's partition.
pub fn request(member_id: &str, request_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("REQUEST#{request_id}"))
}

/// The sort-key prefix of a help offer's area items.
pub fn offer_areas_prefix(offer_id: &str) -> String {
    format!("AREA#{offer_id}#")
}

/// One area of a help offer: its `n`-th postal code, indexed under the code's geographic cell so a
/// matching run finds candidate volunteers by key.
pub fn offer_area(member_id: &str, offer_id: &str, n: usize) -> Key {
    Key::new(member_pk(member_id), format!("{}{n}", offer_areas_prefix(offer_id)))
}

/// A proposed match.
pub fn matched(match_id: &str) -> Key {
    Key::new(format!("MATCH#{match_id}"), "MATCH")
}

/// The index partition of open help requests of one help type.
pub fn open_requests(help_type: &str) -> String {
    format!("OPEN_REQUEST#{help_type}")
}

/// The index partition of help offers' areas of one help type in one geographic cell.
pub fn offer_areas_in(help_type: &str, cell: &str) -> String {
    format!("HELP_OFFER#{help_type}#{cell}")
}

/// A member's reference to a match they are part of.
pub fn match_ref(member_id: &str, match_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("MATCH#{match_id}"))
}

/// The index partition of matches in one status (`proposed`, `approved`, `introduced`).
pub fn matches_in(status: &str) -> String {
    format!("MATCHES#{status}")
}

/// The index partition of perks waiting for a moderator.
pub const PENDING_PERKS: &str = "REVIEW#PERK";

/// A listing's copy in the search index (`LISTING#<cell>`), beside the listing in its member's partition.
pub fn listed(member_id: &str, listing_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("LISTED#{listing_id}"))
}

/// The index partition of help offers and listings whose "keep it open" reminder is due on `day` (`YYYY-MM-DD`).
pub fn reminders_on(day: &str) -> String {
    format!("REMIND#{day}")
}
