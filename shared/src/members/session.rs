//! Sessions: the signed-in member of a request, and the daily extension of their expiry.

use crate::clock::{DAY, UnixTime};
use crate::deps::Deps;
use crate::error::{AppError, Refusal};
use crate::links::Purpose;
use crate::records::keys;
use crate::records::member::{MEMBER_TTL, Member, MemberStatus, load_member};
use crate::store::{Cond, EXPIRES_AT, StoreError, WriteOp};
use serde_json::{Map, json};
use tracing::warn;

/// The signed-in member of a request, from its `Authorization: Bearer` session.
///
/// Errors: `401 missing_session`, `401 invalid_token`/`wrong_purpose`/`session_expired`, and
/// `401 session_revoked` once the member no longer exists (erased or expired).
pub async fn authenticate(deps: &Deps, bearer: Option<&str>) -> Result<Member, AppError> {
    let token = bearer.ok_or(Refusal::MissingSession)?;
    let now = deps.clock.now();
    let claims = deps.links.verify(token, &[Purpose::Session], now)?;
    let member = load_member(deps, &claims.sub, now).await?.filter(|m| m.status == MemberStatus::Active).ok_or(Refusal::SessionRevoked)?;
    touch(deps, &member, now).await;
    Ok(member)
}

/// Activity pushes the member's expiry to 30 days from now, at most once a day (one write a day, not
/// one per request). Best effort: a failed touch never fails the request.
async fn touch(deps: &Deps, member: &Member, now: UnixTime) {
    let target = deps.config.expiry(now, MEMBER_TTL);
    if member.expires_at + DAY > target {
        return;
    }
    let mut ops = vec![
        // Only over the expiry this session read: a post that meanwhile kept the member alive longer wins.
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(target)), ("last_active_at".into(), json!(now))]),
            cond: Cond::LiveWith(vec![(EXPIRES_AT.into(), json!(member.expires_at))]),
        },
    ];
    ops.extend(member.keep_markers(target, now));
    match deps.store.transact(ops, now).await {
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => warn!(member_id = %member.id, error = %e, "could not extend the member's expiry"),
    }
}
