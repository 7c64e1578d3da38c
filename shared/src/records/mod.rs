//! The typed record layer: every item the single table stores, as a Rust type that knows its keys
//! ([`keys`], the one place where key strings are built), its index keys and how long it lives. The use
//! cases above read and write these types; the store port below them sees only items.
//!
//! | record | module |
//! |---|---|
//! | member profile, e-mail marker, used link | [`member`] |
//! | help offer, offer area, help request, listing | [`post`] |
//! | perk (business) | [`perk`] |
//! | match, a member's reference to it | [`matched`] |
//! | statistics counter | [`crate::stats`] (counters only, incremented inside each event's transaction) |

pub mod keys;
pub mod matched;
pub mod member;
pub mod perk;
pub mod post;

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::AppError;
use crate::store::Key;

/// The live item at `key`, read into its record type.
pub(crate) async fn load<T: serde::de::DeserializeOwned>(deps: &Deps, key: &Key, now: UnixTime) -> Result<Option<T>, AppError> {
    match deps.store.get(key, now).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}
