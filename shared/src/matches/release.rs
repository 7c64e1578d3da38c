//! Releasing a match (the request goes back to the open index, the offer gets its capacity back) and
//! purging one (docs/PRODUCT.md §3); the writes each answer, moderation and erasure build on.

use super::set;
use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::records::load;
use crate::records::matched::Match;
use crate::records::member::{MAX_MEMBER_ITEMS, Member};
use crate::records::post::RequestStatus;
use crate::records::post::{HelpOffer, HelpRequest};
use crate::stats::{self, Metric};
use crate::store::{Cond, GSI1PK, GSI1SK, Key, WriteOp};
use serde_json::{Value, json};
use std::collections::HashSet;

/// The writes that undo a match's hold on its offer and request, leaving out the items of `skip` (a
/// member being erased in the same transaction). With `block`, the pair never comes back. The match
/// item itself is not included.
pub(crate) async fn release_ops(deps: &Deps, m: &Match, now: UnixTime, block: bool, skip: Option<&str>) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = Vec::new();
    for member in [&m.offer_member_id, &m.request_member_id] {
        if Some(member.as_str()) != skip {
            ops.push(WriteOp::Delete { key: keys::match_ref(member, &m.id), cond: Cond::Always });
        }
    }
    if Some(m.request_member_id.as_str()) != skip {
        let key = keys::request(&m.request_member_id, &m.request_id);
        if let Some(r) = load::<HelpRequest>(deps, &key, now).await?
            && r.match_id.as_deref() == Some(m.id.as_str())
        {
            let mut blocked = r.blocked_volunteers.clone();
            if block && !blocked.contains(&m.offer_member_id) {
                blocked.push(m.offer_member_id.clone());
            }
            let mut s = set([("status", json!(RequestStatus::Open)), ("match_id", Value::Null), ("blocked_volunteers", json!(blocked))]);
            s.insert(GSI1PK.into(), json!(keys::open_requests(&r.help_type)));
            s.insert(GSI1SK.into(), json!(keys::open_request_order(r.created_at, &r.id)));
            ops.push(WriteOp::Update { key, set: s, cond: Cond::LiveWith(vec![("match_id".into(), json!(m.id))]) });
        }
    }
    if Some(m.offer_member_id.as_str()) != skip {
        ops.extend(capacity_ops(deps, m, now, false).await?);
    }
    Ok(ops)
}

/// The writes that take one active match off the offer; with `used`, the capacity it used goes too
/// (and the offer with its areas when nothing is left).
pub(crate) async fn capacity_ops(deps: &Deps, m: &Match, now: UnixTime, used: bool) -> Result<Vec<WriteOp>, AppError> {
    let key = keys::offer(&m.offer_member_id, &m.offer_id);
    let Some(o) = load::<HelpOffer>(deps, &key, now).await? else { return Ok(Vec::new()) };
    let areas = deps.store.query_prefix(&keys::member_pk(&m.offer_member_id), &keys::offer_areas_prefix(&m.offer_id), now, 10).await?;
    let (capacity, active) = (o.capacity - i64::from(used), (o.active_matches - 1).max(0));
    let cond = Cond::LiveWith(vec![("active_matches".into(), json!(o.active_matches)), ("capacity".into(), json!(o.capacity))]);
    let mut ops = Vec::new();
    if capacity <= 0 {
        ops.push(WriteOp::Delete { key, cond });
        ops.extend(areas.into_iter().map(|a| WriteOp::Delete { key: a.key, cond: Cond::Always }));
    } else {
        let s = set([("capacity", json!(capacity)), ("active_matches", json!(active))]);
        ops.push(WriteOp::Update { key, set: s.clone(), cond });
        ops.extend(areas.into_iter().map(|a| WriteOp::Update { key: a.key, set: s.clone(), cond: Cond::Live }));
    }
    Ok(ops)
}

/// The writes that purge a match (docs/PRODUCT.md §3): the match, both references, the request, the offer's
/// used capacity (the offer itself when nothing is left), and each member left with nothing.
pub(crate) async fn purge_ops(deps: &Deps, m: &Match, now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = vec![WriteOp::Delete { key: keys::matched(&m.id), cond: Cond::LiveWith(vec![("status".into(), json!(m.status))]) }];
    for member in [&m.offer_member_id, &m.request_member_id] {
        ops.push(WriteOp::Delete { key: keys::match_ref(member, &m.id), cond: Cond::Always });
    }
    ops.push(WriteOp::Delete { key: keys::request(&m.request_member_id, &m.request_id), cond: Cond::Always });
    ops.extend(capacity_ops(deps, m, now, true).await?);
    let deleted: HashSet<Key> = ops.iter().filter(|o| matches!(o, WriteOp::Delete { .. })).map(|o| o.key().clone()).collect();
    ops.extend(members_left_with_nothing(deps, &[&m.request_member_id, &m.offer_member_id], &deleted, now).await?);
    Ok(ops)
}

/// True for the items of a member's partition that are bookkeeping rather than something they hold open
/// (the day's count of contacts sent, the owners who declined them, a community verification waiting for
/// its link): they never keep a member, and go with one.
fn is_bookkeeping(key: &Key) -> bool {
    key.sk.starts_with(keys::CONTACTS_ON_PREFIX) || key.sk.starts_with(keys::BLOCK_PREFIX) || key.sk == keys::COMMUNITY_CHECK
}

/// The writes that erase each of `members` who is left with nothing once the `deleted` items go: profile,
/// e-mail marker and bookkeeping (docs/PRODUCT.md §3: a purge leaves nobody behind with nothing open).
pub(crate) async fn members_left_with_nothing(
    deps: &Deps,
    members: &[&str],
    deleted: &HashSet<Key>,
    now: UnixTime,
) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = Vec::new();
    let mut members = members.to_vec();
    members.dedup();
    for member_id in members {
        let items = deps.store.query_prefix(&keys::member_pk(member_id), "", now, MAX_MEMBER_ITEMS).await?;
        let profile = keys::member(member_id);
        let left = items.iter().any(|i| i.key != profile && !deleted.contains(&i.key) && !is_bookkeeping(&i.key));
        if !left && let Some(p) = items.iter().find(|i| i.key == profile) {
            let member: Member = p.parse()?;
            // Only if nothing was posted or sent since this read (both bump `revision`); else the purge
            // conflicts, is retried, and keeps the member with their new post.
            let cond = match p.attrs.get("revision") {
                Some(r) => Cond::LiveWith(vec![("revision".into(), r.clone())]),
                None => Cond::Live,
            };
            ops.push(WriteOp::Delete { key: profile, cond });
            ops.extend(member.delete_markers(deps, now).await?);
            ops.extend(items.iter().filter(|i| is_bookkeeping(&i.key)).map(|i| WriteOp::Delete { key: i.key.clone(), cond: Cond::Always }));
        }
    }
    Ok(ops)
}

pub(crate) fn count(metric: Metric, m: &Match, now: UnixTime) -> WriteOp {
    stats::count(
        metric,
        &stats::Event {
            help_type: Some(&m.help_type),
            department: m.department.as_deref(),
            distance_km: (metric == Metric::Confirmed).then_some(m.distance_km),
            wait_secs: None,
        },
        now,
    )
}
