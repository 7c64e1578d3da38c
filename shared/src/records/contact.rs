//! A contact through the masked relay (docs/PRODUCT.md §2.2), as stored (`CONTACT#<id>`/`CONTACT`), the
//! references each party holds to it, and the items that bound who may contact whom: a listing's owner
//! pointer, the day count of a sender, the block an owner's decline leaves, a moderator's suspension.

use crate::clock::{DAY, UnixTime};
use crate::error::AppError;
use crate::records::keys;
use crate::records::post::Side;
use crate::store::{ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

stored_enum! {
    /// Where a contact is in its life; `sent` and `reported` are also its index partition `CONTACTS#<status>`.
    pub enum ContactStatus {
        /// The owner has the message and has not answered.
        Sent = "sent",
        /// The owner reported it; a moderator decides.
        Reported = "reported",
        /// The owner accepted: both have the introduction; confirming purges it.
        Accepted = "accepted",
    }
}

/// A contact as stored: the message and the ids needed to introduce the two, nothing else. The sender's
/// first name and community label are read from the sender's profile when the owner's mail is written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub listing_id: String,
    pub listing_side: Side,
    /// The listing's title at the time, for the mails (the listing may be withdrawn meanwhile).
    pub listing_title: String,
    pub owner_id: String,
    pub sender_id: String,
    pub message: String,
    pub status: ContactStatus,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// When the owner got the day-7 reminder; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<UnixTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<UnixTime>,
}

impl Contact {
    /// The item a new contact is stored as, in the `CONTACTS#sent` index (oldest first).
    pub(crate) fn to_item(&self) -> Result<Item, AppError> {
        super::item_of(self, "contact", keys::contact(&self.id), index_attrs(self.status, self.created_at, &self.id))
    }

    /// The keys of both parties' references.
    pub(crate) fn ref_keys(&self) -> [Key; 2] {
        [keys::contact_sent(&self.sender_id, &self.listing_id), keys::contact_received(&self.owner_id, &self.listing_id, &self.id)]
    }
}

/// The index attributes of a contact in `status`, ordered by `at`.
pub(crate) fn index_attrs(status: ContactStatus, at: UnixTime, id: &str) -> [(String, Value); 2] {
    [(GSI1PK.into(), json!(keys::contacts_in(status.as_str()))), (GSI1SK.into(), json!(keys::match_order(at, id)))]
}

/// A party's reference to a contact, in their partition (export lists it, erasure finds it); it lives as
/// long as the contact.
pub(crate) fn contact_ref_item(key: Key, contact_id: &str, expires_at: UnixTime) -> Item {
    let attrs = Map::from_iter([
        (ENTITY.into(), json!("contact_ref")),
        ("contact_id".into(), json!(contact_id)),
        (EXPIRES_AT.into(), json!(expires_at)),
    ]);
    Item::new(key, attrs)
}

/// Who owns a listing (`LISTING_OWNER#<id>`): written with the listing, removed with it; it outlives the
/// listing by one day so that a contact in that day learns the listing expired (`410`) rather than that
/// it never existed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListingOwner {
    pub member_id: String,
    pub side: Side,
    pub listing_expires_at: UnixTime,
    pub expires_at: UnixTime,
}

/// How long a listing's owner pointer outlives the listing.
pub const OWNER_GRACE: i64 = DAY;

/// The owner pointer of a listing expiring at `listing_expires_at`.
pub(crate) fn listing_owner_item(listing_id: &str, member_id: &str, side: Side, listing_expires_at: UnixTime) -> Result<Item, AppError> {
    let owner = ListingOwner { member_id: member_id.to_owned(), side, listing_expires_at, expires_at: listing_expires_at + OWNER_GRACE };
    super::item_of(&owner, "listing_owner", keys::listing_owner(listing_id), [])
}

/// The count of contacts a member sent on one day.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DayCount {
    pub(crate) count: i64,
    pub(crate) expires_at: UnixTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_contact_is_in_the_sent_index_and_names_no_address() {
        let c = Contact {
            id: "C".into(),
            listing_id: "L".into(),
            listing_side: Side::Request,
            listing_title: "Besoin de bras".into(),
            owner_id: "MO".into(),
            sender_id: "MS".into(),
            message: "Bonjour".into(),
            status: ContactStatus::Sent,
            created_at: 1_700_000_000,
            expires_at: 1_701_209_600,
            reminded_at: 0,
            reported_at: None,
            accepted_at: None,
        };
        let item = c.to_item().unwrap();
        assert_eq!((item.key.pk.as_str(), item.key.sk.as_str()), ("CONTACT#C", "CONTACT"));
        assert_eq!(item.attrs["gsi1pk"], "CONTACTS#sent");
        assert_eq!(item.attrs["gsi1sk"], "001700000000#C");
        assert_eq!(item.attrs["status"], "sent");
        let [sent, received] = c.ref_keys();
        assert_eq!((sent.sk.as_str(), received.sk.as_str()), ("CONTACT_SENT#L", "CONTACT_IN#L#C"));
    }
}
