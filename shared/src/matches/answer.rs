//! The answers to an introduction and to a reminder, by link: confirm, decline, keep a post open.

use super::release::{count, purge_ops, release_ops};
use super::{gone_match, load_match, set};
use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::{AppError, Refusal};
use crate::links::Claims;
use crate::records::keys;
use crate::records::load;
use crate::records::matched::MatchStatus;
use crate::records::member::{Member, used_link_op};
use crate::records::post::{POST_TTL, PostKind, reminder_partition};
use crate::stats::Metric;
use crate::store::{Cond, EXPIRES_AT, GSI1PK, WriteOp};
use serde_json::json;
use tracing::info;

/// `confirm_match`: the help is arranged; the match's personal data goes now, in one transaction.
pub async fn confirm(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let m = load_match(deps, &claims.sub, now).await?.ok_or_else(gone_match)?;
    if m.status == MatchStatus::Proposed {
        return Err(gone_match());
    }
    let mut ops = purge_ops(deps, &m, now).await?;
    ops.push(used_link_op(claims));
    ops.push(count(Metric::Confirmed, &m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "match confirmed and purged");
    Ok(())
}

/// `decline_match`: it did not work out; the request goes back to the open index and this pair never
/// comes back.
pub async fn decline(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let m = load_match(deps, &claims.sub, now).await?.ok_or_else(gone_match)?;
    let mut ops = release_ops(deps, &m, now, true, None).await?;
    ops.push(WriteOp::Delete { key: keys::matched(&m.id), cond: Cond::LiveWith(vec![("status".into(), json!(m.status))]) });
    ops.push(used_link_op(claims));
    ops.push(count(Metric::Declined, &m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "match declined; request reopened");
    Ok(())
}

/// `keep_open`: the open offer, request or listing (and its member) lives 30 more days. Returns the new
/// expiry.
pub async fn keep_open(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<UnixTime, AppError> {
    let mut parts = claims.sub.split(':');
    let (Some(member_id), Some(kind), Some(post_id)) = (parts.next(), parts.next().and_then(PostKind::parse), parts.next()) else {
        return Err(Refusal::InvalidToken.into());
    };
    let gone = || AppError::from(Refusal::PostClosed);
    let member: Member = load(deps, &keys::member(member_id), now).await?.ok_or_else(gone)?;
    let target = deps.config.expiry(now, POST_TTL);
    let mut ops = vec![used_link_op(claims)];
    let key = kind.key(member_id, post_id);
    let current = deps.store.get(&key, now).await?.ok_or_else(gone)?;
    let expires_at = current.expires_at().unwrap_or(now).max(target);
    let mut s = set([(EXPIRES_AT, json!(expires_at)), ("reminded_at", json!(0))]);
    // The copies the indexes read live as long as the post; offers and listings move to their new reminder day.
    let copies = match kind {
        PostKind::HelpOffer => deps.store.query_prefix(&keys::member_pk(member_id), &keys::offer_areas_prefix(post_id), now, 10).await?,
        PostKind::Listing(_) => deps.store.get(&keys::listed(member_id, post_id), now).await?.into_iter().collect(),
        PostKind::HelpRequest => Vec::new(),
    };
    for copy in copies {
        ops.push(WriteOp::Update { key: copy.key, set: set([(EXPIRES_AT, json!(expires_at))]), cond: Cond::Live });
    }
    if kind != PostKind::HelpRequest {
        s.insert(GSI1PK.into(), json!(reminder_partition(expires_at)));
    }
    if let PostKind::Listing(side) = kind {
        let owner = crate::records::contact::listing_owner_item(post_id, member_id, side, expires_at)?;
        ops.push(WriteOp::Put { item: owner, cond: Cond::Always });
    }
    ops.push(WriteOp::Update { key, set: s, cond: Cond::Live });
    let keep = member.expires_at.max(expires_at);
    ops.push(WriteOp::Update { key: keys::member(member_id), set: set([(EXPIRES_AT, json!(keep))]), cond: Cond::Live });
    ops.extend(member.keep_markers(keep, now));
    deps.store.transact(ops, now).await?;
    info!(post_id = %post_id, "post kept open");
    Ok(expires_at)
}
