//! A member and their e-mail marker as stored (`MEMBER#<id>`/`PROFILE`, `EMAIL#<hmac>`/`EMAIL`), the
//! work-address marker of a verified community (`WORK_EMAIL#<hmac>`/`WORK_EMAIL`), the marker that makes
//! a link single-use, and how long a member lives.

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
    /// The day a work address last verified the member's community (a date, never a time).
    #[serde(default)]
    pub community_verified_on: Option<String>,
    /// When that verification lapses (twelve months after its day).
    #[serde(default)]
    pub community_verified_until: Option<UnixTime>,
    /// The keyed hash of that work address (its marker's key); never the address.
    #[serde(default)]
    pub work_email_hash: Option<String>,
}

/// The work-address marker: which member a work address verifies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkEmailMarker {
    pub(crate) member_id: String,
    pub(crate) expires_at: UnixTime,
}

impl Member {
    /// The member's community, if a work address verified it and the verification has not lapsed.
    pub fn verified_community(&self, now: UnixTime) -> Option<&str> {
        self.community_verified_until.filter(|until| *until > now).map(|_| self.community.as_str())
    }

    /// The updates that keep what lives outside the member's partition, for as long as the member does,
    /// alive until `until`: the e-mail marker and, while the verification holds, the work-address marker
    /// (never beyond the verification).
    pub(crate) fn keep_markers(&self, until: UnixTime, now: UnixTime) -> Vec<WriteOp> {
        let set = |t: UnixTime| Map::from_iter([(EXPIRES_AT.into(), json!(t))]);
        let mut ops = vec![WriteOp::Update { key: keys::email_marker(&self.email_hash), set: set(until), cond: Cond::Live }];
        if let (Some(hash), Some(verified_until)) = (&self.work_email_hash, self.community_verified_until)
            && verified_until > now
        {
            ops.push(WriteOp::Update {
                key: keys::work_email_marker(hash),
                set: set(until.min(verified_until)),
                cond: Cond::LiveWith(vec![("member_id".into(), json!(self.id))]),
            });
        }
        ops
    }

    /// The deletes of what lives outside the member's partition for as long as the member does: the
    /// e-mail marker and the work-address marker.
    pub(crate) async fn delete_markers(&self, deps: &Deps, now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
        let mut ops = vec![WriteOp::Delete { key: keys::email_marker(&self.email_hash), cond: Cond::Always }];
        ops.extend(self.release_work_email(deps, now).await?);
        Ok(ops)
    }

    /// The delete of the work-address marker, if it is still this member's (once a verification lapsed,
    /// the address may verify someone else).
    pub(crate) async fn release_work_email(&self, deps: &Deps, now: UnixTime) -> Result<Option<WriteOp>, AppError> {
        let Some(hash) = &self.work_email_hash else { return Ok(None) };
        match deps.store.get(&keys::work_email_marker(hash), now).await? {
            // A live marker of this member's cannot become another's before it is deleted.
            Some(item) if item.parse::<WorkEmailMarker>()?.member_id == self.id => {
                Ok(Some(WriteOp::Delete { key: item.key, cond: Cond::Always }))
            }
            _ => Ok(None),
        }
    }
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
