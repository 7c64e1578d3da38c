//! Every key of the single table, built in one place.
//!
//! | item | `pk` | `sk` | personal? |
//! |---|---|---|---|
//! | member profile | `MEMBER#<member ulid>` | `PROFILE` | yes, `expires_at` |
//! | e-mail uniqueness marker | `EMAIL#<HMAC-SHA256(normalised e-mail) hex>` | `EMAIL` | linkable only with the secret, `expires_at` |
//! | used link | `LINK#<jti>` | `USED` | no (expires with the link) |
//! | work-address marker of a verified community | `WORK_EMAIL#<HMAC-SHA256(work:normalised address) hex>` | `WORK_EMAIL` | linkable only with the secret and the address; member id; expires with the member or the verification |
//! | a community verification waiting for its link | `MEMBER#<member>` | `COMMUNITY_CHECK` | keyed hash of the work address, link id; `expires_at` (the link's) |
//! | help offer / request, listing | `MEMBER#<member>` | `OFFER#<ulid>` / `REQUEST#<ulid>` | yes, `expires_at` |
//! | area of a help offer (one per postal code) | `MEMBER#<member>` | `AREA#<offer>#<n>` | yes, `expires_at` |
//! | a listing's copy in the search index | `MEMBER#<member>` | `LISTED#<listing>` | yes, `expires_at` |
//! | match | `MATCH#<ulid>` | `MATCH` | yes (member and post ids), `expires_at` |
//! | a member's reference to a match | `MEMBER#<member>` | `MATCH#<match>` | yes, `expires_at` |
//! | perk (business) | `PERK#<ulid>` | `PERK` | business data; `submitted_by` removed on erasure |
//! | a listing's owner (to contact a listing by its id) | `LISTING_OWNER#<listing>` | `OWNER` | member id, `expires_at` (the listing's + 1 day) |
//! | contact through the relay | `CONTACT#<ulid>` | `CONTACT` | yes (message, member ids), `expires_at` |
//! | the sender's reference to their open contact of a listing | `MEMBER#<sender>` | `CONTACT_SENT#<listing>` | yes, `expires_at` |
//! | the owner's reference to a contact received | `MEMBER#<owner>` | `CONTACT_IN#<listing>#<contact>` | yes, `expires_at` |
//! | contacts a member sent on one day | `MEMBER#<member>` | `CONTACTS_ON#<yyyy-mm-dd>` | a count, `expires_at` |
//! | an owner who declined this sender (keyed hash of the owner's id) | `MEMBER#<sender>` | `BLOCKED_BY#<HMAC-SHA256(owner id) hex>` | linkable only with the secret, `expires_at` |
//! | a member suspended from contacting | `MEMBER#<member>` | `SUSPENDED` | yes, `expires_at` |
//! | a member's ticket for a perk (its short code) | `MEMBER#<member>` | `CLAIM#<perk>` | yes, `expires_at` (the perk's) |
//! | poll: question, options, counts per option (and per community) | `POLL#<ulid>` | `POLL` | no: no voter, no ballot |
//! | a poll's open marker | `POLL#<ulid>` | `OPEN` | no (expires when the poll closes) |
//! | "has voted" marker | `VOTED#<HMAC-SHA256(poll, normalised e-mail) hex>` | `VOTED` | linkable only with the secret and the address; names no option; expires when the poll closes |
//! | statistics counter | `STATS` | `DAY#<yyyy-mm-dd>#<metric>#<shard>` | no: counts only, never expires |
//! | statistics tally (one event, until folded into a counter) | `TALLY#<0–15>` | `<yyyy-mm-dd>#<metric>#<sequence><random>` | no: counts only, folded within a minute |
//!
//! Index partitions (`gsi1pk`): `OPEN_REQUEST#<help type>`, `HELP_OFFER#<help type>#<cell>`,
//! `LISTING#<cell>`, `PERK#<cell>` (approved), `REVIEW#PERK` (pending perks), `MATCHES#<status>`
//! (`proposed` awaiting review, `approved` awaiting the introduction, `introduced`), `CONTACTS#<status>`
//! (`sent` awaiting the owner's answer, `reported` awaiting a moderator), `REMIND#<day>` (help
//! offers and listings whose day-25 reminder falls on that day). A listing is found both by place and by
//! reminder day, and an item has one index key: the listing itself carries the reminder day and its
//! `LISTED#` copy, in the same partition (so erasure and export find it), carries the place.
//!
//! Keys hold ids and keyed hashes only: never an e-mail, a name, a postal code or a token.

use super::Key;

pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const PROFILE: &str = "PROFILE";

/// Sort-key prefixes of what a member's partition holds, for queries and for telling items apart.
pub const OFFER_PREFIX: &str = "OFFER#";
pub const REQUEST_PREFIX: &str = "REQUEST#";
pub const AREA_PREFIX: &str = "AREA#";
pub const LISTED_PREFIX: &str = "LISTED#";
/// A member's reference to a perk they submitted (`PERK#<perk>`).
pub const PERK_REF_PREFIX: &str = "PERK#";
/// A member's reference to a match they are part of (`MATCH#<match>`).
pub const MATCH_REF_PREFIX: &str = "MATCH#";

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

/// The marker that makes a work address verify one member at a time, keyed by its keyed hash.
pub fn work_email_marker(work_hash: &str) -> Key {
    Key::new(format!("WORK_EMAIL#{work_hash}"), "WORK_EMAIL")
}

/// A member's community verification waiting for its link to be followed.
pub const COMMUNITY_CHECK: &str = "COMMUNITY_CHECK";

/// A member's community verification waiting for its link.
pub fn community_check(member_id: &str) -> Key {
    Key::new(member_pk(member_id), COMMUNITY_CHECK)
}

/// A help offer in its member's partition.
pub fn offer(member_id: &str, offer_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{OFFER_PREFIX}{offer_id}"))
}

/// A help request in its member's partition.
pub fn request(member_id: &str, request_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{REQUEST_PREFIX}{request_id}"))
}

/// The sort-key prefix of a help offer's area items.
pub fn offer_areas_prefix(offer_id: &str) -> String {
    format!("{AREA_PREFIX}{offer_id}#")
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

/// The sort key of an open request in its index: oldest first (`<created_at, 12 digits>#<id>`).
pub fn open_request_order(created_at: i64, request_id: &str) -> String {
    format!("{created_at:012}#{request_id}")
}

/// The sort key of a match in its status index: in the order it got there (`<at, 12 digits>#<id>`).
pub fn match_order(at: i64, match_id: &str) -> String {
    format!("{at:012}#{match_id}")
}

/// The sort key of a help offer's `n`-th area in its cell index (`<offer>#<n>`).
pub fn area_order(offer_id: &str, n: usize) -> String {
    format!("{offer_id}#{n}")
}

/// The index partition of help offers' areas of one help type in one geographic cell.
pub fn offer_areas_in(help_type: &str, cell: &str) -> String {
    format!("HELP_OFFER#{help_type}#{cell}")
}

/// A member's reference to a match they are part of.
pub fn match_ref(member_id: &str, match_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{MATCH_REF_PREFIX}{match_id}"))
}

/// A perk (business) in its own partition: it outlives the member who referenced it.
pub fn perk(perk_id: &str) -> Key {
    Key::new(format!("PERK#{perk_id}"), "PERK")
}

/// A member's reference to a perk they submitted.
pub fn perk_ref(member_id: &str, perk_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{PERK_REF_PREFIX}{perk_id}"))
}

/// A member's reference to the open contact they sent about a listing (`CONTACT_SENT#<listing>`): one
/// per sender and listing, which is what keeps a sender to one open contact per listing.
pub const CONTACT_SENT_PREFIX: &str = "CONTACT_SENT#";
/// An owner's reference to a contact received (`CONTACT_IN#<listing>#<contact>`).
pub const CONTACT_IN_PREFIX: &str = "CONTACT_IN#";
/// The count of contacts a member sent on one day (`CONTACTS_ON#<day>`).
pub const CONTACTS_ON_PREFIX: &str = "CONTACTS_ON#";
/// An owner who declined this member's contact (`BLOCKED_BY#<keyed hash>`).
pub const BLOCK_PREFIX: &str = "BLOCKED_BY#";
/// The marker of a member suspended from contacting anyone.
pub const SUSPENDED: &str = "SUSPENDED";

/// Who owns a listing, so that a listing can be contacted by its id alone.
pub fn listing_owner(listing_id: &str) -> Key {
    Key::new(format!("LISTING_OWNER#{listing_id}"), "OWNER")
}

/// A contact through the relay.
pub fn contact(contact_id: &str) -> Key {
    Key::new(format!("CONTACT#{contact_id}"), "CONTACT")
}

/// The sender's reference to their open contact of a listing.
pub fn contact_sent(sender_id: &str, listing_id: &str) -> Key {
    Key::new(member_pk(sender_id), format!("{CONTACT_SENT_PREFIX}{listing_id}"))
}

/// The sort-key prefix of the contacts an owner received about one listing.
pub fn contacts_received_prefix(listing_id: &str) -> String {
    format!("{CONTACT_IN_PREFIX}{listing_id}#")
}

/// The owner's reference to a contact received about a listing.
pub fn contact_received(owner_id: &str, listing_id: &str, contact_id: &str) -> Key {
    Key::new(member_pk(owner_id), format!("{}{contact_id}", contacts_received_prefix(listing_id)))
}

/// How many contacts a member sent on `day` (`YYYY-MM-DD`).
pub fn contacts_on(member_id: &str, day: &str) -> Key {
    Key::new(member_pk(member_id), format!("{CONTACTS_ON_PREFIX}{day}"))
}

/// In a sender's partition, an owner (by the keyed hash of their member id) who declined them: it lives
/// with the sender, whose own rate of contacts bounds how many there can be.
pub fn contact_block(sender_id: &str, owner_hash: &str) -> Key {
    Key::new(member_pk(sender_id), format!("{BLOCK_PREFIX}{owner_hash}"))
}

/// The marker of a member suspended from contacting.
pub fn suspended(member_id: &str) -> Key {
    Key::new(member_pk(member_id), SUSPENDED)
}

/// The index partition of contacts in one status (`sent`, `reported`).
pub fn contacts_in(status: &str) -> String {
    format!("CONTACTS#{status}")
}

/// A member's ticket for a perk (`CLAIM#<perk>`): one per member and perk.
pub const CLAIM_PREFIX: &str = "CLAIM#";

/// A member's ticket for a perk.
pub fn claim(member_id: &str, perk_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{CLAIM_PREFIX}{perk_id}"))
}

/// A poll (`POLL#<id>`/`POLL`): its question, options and counts only.
pub fn poll(poll_id: &str) -> Key {
    Key::new(format!("POLL#{poll_id}"), "POLL")
}

/// A poll's "open" marker (`POLL#<id>`/`OPEN`): it expires when the poll closes, and every vote checks
/// that it is live.
pub fn poll_open(poll_id: &str) -> Key {
    Key::new(format!("POLL#{poll_id}"), "OPEN")
}

/// The "has voted" marker of one address in one poll, by the keyed hash of both: no member id, no option.
pub fn voted(hash: &str) -> Key {
    Key::new(format!("VOTED#{hash}"), "VOTED")
}

/// The index partition of every poll, in the order they were published.
pub const POLLS: &str = "POLLS";

/// The partition of every statistics counter.
pub const STATS_PK: &str = "STATS";
/// The sort-key prefix of the day counters.
pub const STATS_DAY_PREFIX: &str = "DAY#";

/// One shard of the counter of `metric` on `day` (`YYYY-MM-DD`).
pub fn stats_counter(day: &str, metric: &str, shard: u32) -> Key {
    Key::new(STATS_PK, format!("{STATS_DAY_PREFIX}{day}#{metric}#{shard}"))
}

/// The partition of statistics tallies number `n` (tallies are spread over several partitions so that
/// a burst of events never writes one DynamoDB partition faster than it takes writes).
pub fn tally_partition(n: u32) -> String {
    format!("TALLY#{n}")
}

/// One event's tally in partition `n`: `nonce` is unique (a process's sequence number and random bits; no
/// time, no id), so no two events share an item.
pub fn tally(n: u32, day: &str, metric: &str, nonce: &str) -> Key {
    Key::new(tally_partition(n), format!("{day}#{metric}#{nonce}"))
}

/// The sort key of an item in a cell index: its postal code, then its id (`<postal code>#<id>`), so a
/// dense cell can be read one postal code (one distance) at a time, in id order.
pub fn located_order(postal_code: &str, id: &str) -> String {
    format!("{postal_code}#{id}")
}

/// The sort-key prefix of one postal code's items in a cell index.
pub fn located_prefix(postal_code: &str) -> String {
    format!("{postal_code}#")
}

/// The indexes searched by distance, partitioned by geographic cell (`<name>#<cell>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellIndex {
    /// Approved perks (`PERK#<cell>`).
    Perks,
    /// Listings' copies (`LISTING#<cell>`).
    Listings,
}

impl CellIndex {
    /// The index's name, also bound into search cursors.
    pub fn name(self) -> &'static str {
        match self {
            CellIndex::Perks => "PERK",
            CellIndex::Listings => "LISTING",
        }
    }

    /// The index partition of one cell.
    pub fn partition(self, cell: &str) -> String {
        format!("{}#{cell}", self.name())
    }
}

/// The index partition of matches in one status (`proposed`, `approved`, `introduced`).
pub fn matches_in(status: &str) -> String {
    format!("MATCHES#{status}")
}

/// The index partition of perks waiting for a moderator.
pub const PENDING_PERKS: &str = "REVIEW#PERK";

/// A listing's copy in the search index (`LISTING#<cell>`), beside the listing in its member's partition.
pub fn listed(member_id: &str, listing_id: &str) -> Key {
    Key::new(member_pk(member_id), format!("{LISTED_PREFIX}{listing_id}"))
}

/// The index partition of help offers and listings whose "keep it open" reminder is due on `day` (`YYYY-MM-DD`).
pub fn reminders_on(day: &str) -> String {
    format!("REMIND#{day}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored bytes never change with the code: every key is the string it always was.
    #[test]
    fn keys_are_the_strings_they_always_were() {
        let k = |k: Key| format!("{}|{}", k.pk, k.sk);
        assert_eq!(k(member("M")), "MEMBER#M|PROFILE");
        assert_eq!(k(email_marker("h")), "EMAIL#h|EMAIL");
        assert_eq!(k(used_link("j")), "LINK#j|USED");
        assert_eq!(k(work_email_marker("h")), "WORK_EMAIL#h|WORK_EMAIL");
        assert_eq!(k(community_check("M")), "MEMBER#M|COMMUNITY_CHECK");
        assert_eq!(k(offer("M", "O")), "MEMBER#M|OFFER#O");
        assert_eq!(k(request("M", "R")), "MEMBER#M|REQUEST#R");
        assert_eq!(k(offer_area("M", "O", 2)), "MEMBER#M|AREA#O#2");
        assert_eq!(k(listed("M", "L")), "MEMBER#M|LISTED#L");
        assert_eq!(k(matched("X")), "MATCH#X|MATCH");
        assert_eq!(k(match_ref("M", "X")), "MEMBER#M|MATCH#X");
        assert_eq!(k(perk("P")), "PERK#P|PERK");
        assert_eq!(k(perk_ref("M", "P")), "MEMBER#M|PERK#P");
        assert_eq!(k(listing_owner("L")), "LISTING_OWNER#L|OWNER");
        assert_eq!(k(contact("C")), "CONTACT#C|CONTACT");
        assert_eq!(k(contact_sent("M", "L")), "MEMBER#M|CONTACT_SENT#L");
        assert_eq!(k(contact_received("M", "L", "C")), "MEMBER#M|CONTACT_IN#L#C");
        assert_eq!(k(contacts_on("M", "2027-01-15")), "MEMBER#M|CONTACTS_ON#2027-01-15");
        assert_eq!(k(contact_block("M", "h")), "MEMBER#M|BLOCKED_BY#h");
        assert_eq!(k(suspended("M")), "MEMBER#M|SUSPENDED");
        assert_eq!(contacts_in("sent"), "CONTACTS#sent");
        assert_eq!(k(claim("M", "P")), "MEMBER#M|CLAIM#P");
        assert_eq!((k(poll("Q")), k(poll_open("Q")), k(voted("h"))), ("POLL#Q|POLL".into(), "POLL#Q|OPEN".into(), "VOTED#h|VOTED".into()));
        assert_eq!(k(stats_counter("2027-01-15", "confirmed", 3)), "STATS|DAY#2027-01-15#confirmed#3");
        assert_eq!(k(tally(7, "2027-01-15", "offered", "0f3a")), "TALLY#7|2027-01-15#offered#0f3a");
        assert_eq!(open_requests("groceries"), "OPEN_REQUEST#groceries");
        assert_eq!(open_request_order(1_700_000_000, "R"), "001700000000#R");
        assert_eq!(match_order(1_700_000_000, "X"), "001700000000#X");
        assert_eq!(area_order("O", 1), "O#1");
        assert_eq!((located_order("75011", "P"), located_prefix("75011")), ("75011#P".into(), "75011#".into()));
        assert_eq!(offer_areas_in("groceries", "c"), "HELP_OFFER#groceries#c");
        assert_eq!(matches_in("proposed"), "MATCHES#proposed");
        assert_eq!(reminders_on("2027-01-15"), "REMIND#2027-01-15");
        assert_eq!((CellIndex::Perks.partition("c"), CellIndex::Listings.partition("c")), ("PERK#c".into(), "LISTING#c".into()));
    }
}
