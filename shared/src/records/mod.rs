//! The typed record layer: every item the single table stores, as a Rust type that knows its keys
//! ([`keys`], the one place where key strings are built), its index keys and how long it lives. The use
//! cases above read and write these types; the store port below them sees only items.
//!
//! | record | module |
//! |---|---|
//! | member profile, e-mail marker, used link | [`member`] |
//! | help offer, offer area, help request, listing | [`post`] |
//! | perk (business), a member's ticket for it | [`perk`] |
//! | poll and its counters | [`poll`] |
//! | match, a member's reference to it | [`matched`] |
//! | contact through the relay, its references, a listing's owner, day counts, blocks, suspensions | [`contact`] |
//! | statistics counter | [`crate::stats`] (counters only, incremented inside each event's transaction) |

pub mod contact;
pub mod keys;
pub mod matched;
pub mod member;
pub mod perk;
pub mod poll;
pub mod post;

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::AppError;
use crate::store::Key;

/// The item a record is stored as: its fields, its entity tag and `extra` attributes (index keys).
pub(crate) fn item_of<T: serde::Serialize>(
    record: &T,
    entity: &str,
    key: crate::store::Key,
    extra: impl IntoIterator<Item = (String, serde_json::Value)>,
) -> Result<crate::store::Item, AppError> {
    let serde_json::Value::Object(mut attrs) = serde_json::to_value(record).map_err(AppError::unexpected)? else {
        unreachable!("a record serialises to an object")
    };
    attrs.insert(crate::store::ENTITY.into(), serde_json::json!(entity));
    attrs.extend(extra);
    Ok(crate::store::Item::new(key, attrs))
}

/// The live item at `key`, read into its record type.
pub(crate) async fn load<T: serde::de::DeserializeOwned>(deps: &Deps, key: &Key, now: UnixTime) -> Result<Option<T>, AppError> {
    match deps.store.get(key, now).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::matched::MatchStatus;
    use super::perk::PerkStatus;
    use super::post::{ListingStatus, OfferStatus, RequestStatus};
    use serde_json::{Value, json};

    /// Stored bytes stay what they were before the enums: the same strings, read back the same.
    fn stored_as<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: T, s: &str, as_str: &str) {
        assert_eq!(serde_json::to_value(&v).unwrap(), json!(s));
        assert_eq!(as_str, s);
        assert_eq!(serde_json::from_value::<T>(Value::String(s.into())).unwrap(), v);
    }

    #[test]
    fn statuses_are_stored_as_the_strings_they_always_were() {
        stored_as(MatchStatus::Proposed, "proposed", MatchStatus::Proposed.as_str());
        stored_as(MatchStatus::Approved, "approved", MatchStatus::Approved.as_str());
        stored_as(MatchStatus::Introduced, "introduced", MatchStatus::Introduced.as_str());
        stored_as(RequestStatus::Open, "open", RequestStatus::Open.as_str());
        stored_as(RequestStatus::Proposed, "proposed", RequestStatus::Proposed.as_str());
        stored_as(OfferStatus::Open, "open", OfferStatus::Open.as_str());
        stored_as(ListingStatus::Published, "published", ListingStatus::Published.as_str());
        use super::contact::ContactStatus;
        stored_as(ContactStatus::Sent, "sent", ContactStatus::Sent.as_str());
        stored_as(ContactStatus::Reported, "reported", ContactStatus::Reported.as_str());
        stored_as(ContactStatus::Accepted, "accepted", ContactStatus::Accepted.as_str());
        stored_as(PerkStatus::Pending, "pending", PerkStatus::Pending.as_str());
        stored_as(PerkStatus::Approved, "approved", PerkStatus::Approved.as_str());
    }
}
