//! Every key of the single table, built in one place.
//!
//! | item | `pk` | `sk` | personal? |
//! |---|---|---|---|
//! | member profile | `MEMBER#<member ulid>` | `PROFILE` | yes, `expires_at` |
//! | e-mail uniqueness marker | `EMAIL#<HMAC-SHA256(normalised e-mail) hex>` | `EMAIL` | linkable only with the secret, `expires_at` |
//! | used link | `LINK#<jti>` | `USED` | no (expires with the link) |
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
