//! A member and their e-mail marker as stored (`MEMBER#<id>`/`PROFILE`, `EMAIL#<hmac>`/`EMAIL`), the
//! marker that makes a link single-use, and how long a member lives.

use crate::clock::{DAY, UnixTime};
use crate::deps::Deps;
use crate::domain::Locale;
use crate::error::AppError;
use crate::links::Claims;
use crate::records::keys;
use crate::store::{Cond, ENTITY, EXPIRES_AT, Item, WriteOp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

/// How long a member with nothing open lives after their last activity.
pub const MEMBER_TTL: i64 = 30 * DAY;

/// The most items one member may own (profile included); bounds export and erasure.
pub const MAX_MEMBER_ITEMS: usize = 1000;
// A member's whole partition is read on the calling thread by the embedded store.
#[cfg(feature = "embedded")]
const _: () = assert!(MAX_MEMBER_ITEMS < crate::store::sqlite::INLINE_ROWS);

stored_enum! {
    pub enum MemberStatus {
        /// Registered, e-mail not confirmed yet.
        Pending = "pending",
        /// E-mail confirmed.
        Active = "active",
    }
}

/// A member as stored (fields were validated before they were written).
#[derive(Clone, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub email_hash: String,
    pub first_name: String,
    pub postal_code: String,
    pub community: String,
    pub role: Option<String>,
    pub phone: Option<String>,
    pub locale: Locale,
    pub status: MemberStatus,
    pub created_at: UnixTime,
    pub last_active_at: UnixTime,
    pub expires_at: UnixTime,
    /// Bumped by every post, so a purge that found the member with nothing open can condition on it.
    #[serde(default)]
    pub revision: i64,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// The e-mail uniqueness marker: which member owns the address, and the link-mail quota.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EmailMarker {
    pub(crate) member_id: String,
    pub(crate) mail_window_start: UnixTime,
    pub(crate) mail_count: i64,
    pub(crate) expires_at: UnixTime,
}

pub(crate) fn used_link_op(claims: &Claims) -> WriteOp {
    let attrs = Map::from_iter([(ENTITY.into(), json!("used_link")), (EXPIRES_AT.into(), json!(claims.exp))]);
    WriteOp::Put { item: Item::new(keys::used_link(&claims.jti), attrs), cond: Cond::Absent }
}

pub(crate) async fn load_member(deps: &Deps, member_id: &str, now: UnixTime) -> Result<Option<Member>, AppError> {
    match deps.store.get(&keys::member(member_id), now).await? {
        Some(item) => Ok(Some(parse_item(&item)?)),
        None => Ok(None),
    }
}

pub(crate) fn parse_item<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, AppError> {
    item.parse().map_err(AppError::from)
}
