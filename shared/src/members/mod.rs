//! Members: registration, e-mail verification, sessions, export and erasure (docs/PRODUCT.md §3, §5).
//!
//! Invariants:
//! - one member per e-mail address, enforced by a marker item keyed by HMAC(e-mail) written in the same
//!   transaction as the member (the key never holds the address);
//! - registering again with a known address sends a sign-in link and answers exactly like a first
//!   registration (no account enumeration); at most [`MAX_LINK_MAILS_PER_HOUR`] link e-mails per address;
//! - a link's effect and the marker that makes it single-use are written in one transaction;
//! - everything personal carries `expires_at`: 24 h unverified, 30 days after the last activity.

use crate::clock::{DAY, HOUR};
use crate::error::AppError;
use crate::store::ENTITY;
use serde::Serialize;
use serde_json::{Map, Value, json};

#[cfg(feature = "demo")]
pub mod demo;
pub mod community;
pub mod register;
pub mod session;
pub mod verify;

pub use crate::records::member::{MAX_MEMBER_ITEMS, MEMBER_TTL, Member, MemberStatus};
pub use community::{VerificationBody, request as request_community_check};
#[cfg(feature = "demo")]
pub use demo::create_verified;
pub use register::{RegisterBody, Registration, register};
pub use session::authenticate;

/// How long an unverified registration lives.
pub const PENDING_TTL: i64 = DAY;

/// How long a session lasts.
pub const SESSION_TTL: i64 = DAY;

/// How long a sign-in link for a verified member is valid (it is a credential sitting in a mailbox).
pub const SIGN_IN_LINK_TTL: i64 = HOUR;

/// Link e-mails per address per rolling hour window.
pub const MAX_LINK_MAILS_PER_HOUR: i64 = 3;

pub(crate) fn record<T: Serialize>(entity: &str, value: &T) -> Result<Map<String, Value>, AppError> {
    let mut map = match serde_json::to_value(value).map_err(AppError::unexpected)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.insert(ENTITY.into(), json!(entity));
    Ok(map)
}
