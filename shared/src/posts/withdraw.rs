//! Withdrawing one's own post or perk; its matches release the other party first.

use super::MAX_POSTAL_CODES;
use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::{AppError, Missing, Refusal};
use crate::records::keys;
use crate::records::member::Member;
use crate::records::perk::perk_key;
use crate::records::post::Side;
use crate::store::{Cond, Key, WriteOp};
use serde_json::Value;
use tracing::{info, instrument};

/// `DELETE /api/offers/{id}` and `DELETE /api/requests/{id}`: the member's own post (or perk) goes.
/// Someone else's id, or one that does not exist, is `404 not_found` (existence is not revealed).
#[instrument(skip_all, fields(member_id = %member.id, post_id = %id))]
pub async fn withdraw(deps: &Deps, member: &Member, side: Side, id: &str) -> Result<(), AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let pk = keys::member_pk(&member.id);
    let own = Key::new(pk.clone(), format!("{}{id}", side.sk_prefix()));
    // A matching run may propose this very post while it is withdrawn: the final delete is conditioned
    // on the post being as it was after its matches were released, and on a conflict the new match is
    // released in turn.
    for _ in 0..3 {
        if deps.store.get(&own, now).await?.is_none() {
            break;
        }
        match withdraw_post(deps, member, side, id, &pk, own.clone(), now).await {
            Err(e) if e.is_conflict() => continue,
            other => return other,
        }
    }
    if deps.store.get(&own, now).await?.is_some() {
        return Err(Refusal::ConcurrentChange.into());
    }
    let reference = keys::perk_ref(&member.id, id);
    if side == Side::Offer && deps.store.get(&reference, now).await?.is_some() {
        let ops = vec![WriteOp::Delete { key: reference, cond: Cond::Live }, WriteOp::Delete { key: perk_key(id), cond: Cond::Always }];
        deps.store.transact(ops, now).await?;
        info!("perk withdrawn");
        return Ok(());
    }
    Err(Refusal::NotFound(Missing::OwnPost).into())
}

/// Releases a post's matches, then deletes it (with its areas or its search copy) if no proposal
/// touched it meanwhile.
async fn withdraw_post(deps: &Deps, member: &Member, side: Side, id: &str, pk: &str, own: Key, now: UnixTime) -> Result<(), AppError> {
    {
        // Its matches go first, releasing the other party (their request reopens, or their offer gets
        // its capacity back), one transaction each.
        for r in deps.store.query_prefix(pk, keys::MATCH_REF_PREFIX, now, crate::records::member::MAX_MEMBER_ITEMS).await? {
            let Some(match_id) = r.key.sk.strip_prefix(keys::MATCH_REF_PREFIX) else { continue };
            let Some(item) = deps.store.get(&keys::matched(match_id), now).await? else { continue };
            let m: crate::records::matched::Match = item.parse()?;
            let mine = match side {
                Side::Offer => m.offer_id == id,
                Side::Request => m.request_id == id,
            };
            if mine {
                let mut ops = crate::matches::release::release_ops(deps, &m, now, false, Some(&member.id)).await?;
                ops.push(WriteOp::Delete { key: item.key, cond: Cond::Live });
                ops.push(WriteOp::Delete { key: r.key, cond: Cond::Always });
                deps.store.transact(ops, now).await?;
            }
        }
        // As it is now that its matches are released: a proposal from here on changes `active_matches`
        // (an offer) or `status` (a request), and the delete fails rather than orphan that match.
        let Some(post) = deps.store.get(&own, now).await? else { return Ok(()) };
        let unchanged: Vec<(String, Value)> =
            ["active_matches", "status"].iter().filter_map(|k| post.attrs.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect();
        let mut ops = vec![WriteOp::Delete { key: own, cond: Cond::LiveWith(unchanged) }];
        if post.attrs.get("kind").and_then(Value::as_str) == Some("listing") {
            ops.push(WriteOp::Delete { key: keys::listed(&member.id, id), cond: Cond::Always });
            ops.push(WriteOp::Delete { key: keys::listing_owner(id), cond: Cond::Always });
        } else if side == Side::Offer {
            for area in deps.store.query_prefix(&keys::member_pk(&member.id), &keys::offer_areas_prefix(id), now, MAX_POSTAL_CODES).await? {
                ops.push(WriteOp::Delete { key: area.key, cond: Cond::Always });
            }
        }
        deps.store.transact(ops, now).await?;
        info!("post withdrawn");
        Ok(())
    }
}
