//! "Erase my data": everything of a member at once, releasing the other side of their matches, removing
//! their contacts (both sides), giving their tickets back and detaching the perks they referenced.

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::AppError;
use crate::links::Claims;
use crate::records::keys;
use crate::records::member::{MAX_MEMBER_ITEMS, Member, parse_item, used_link_op};
use crate::store::{Cond, INCLUDING_EXPIRED, WriteOp};
use tracing::{info, instrument};

/// Removes everything of a member at once: the member's partition and the e-mail marker. With a link's
/// claims, the link is marked used in the same transaction (a reused erase link gets `410 link_used`).
///
/// A member owning more than one transaction's worth of items has the extra items removed first, so the
/// final transaction (profile, marker, link) is the one that makes the erasure visible; if an earlier
/// step fails, the link still works and can be followed again.
#[instrument(skip_all, fields(member_id = %member_id))]
pub async fn erase(deps: &Deps, member_id: &str, link: Option<&Claims>, now: UnixTime) -> Result<(), AppError> {
    // A perk withdrawn or expiring at the same moment makes the detach condition fail: try again.
    let mut tries = 0;
    loop {
        match erase_once(deps, member_id, link, now).await {
            Err(e) if e.is_conflict() && tries < 2 => tries += 1,
            other => return other,
        }
    }
}

async fn erase_once(deps: &Deps, member_id: &str, link: Option<&Claims>, now: UnixTime) -> Result<(), AppError> {
    let items = deps.store.query_prefix(&keys::member_pk(member_id), "", INCLUDING_EXPIRED, MAX_MEMBER_ITEMS).await?;
    let profile = keys::member(member_id);
    let mut markers = None;
    // Perks stay listed (they are business data) but lose the link to the member.
    let mut others = crate::posts::perk::detach_perks(deps, member_id, &items, now).await?;
    // A match names both members: it goes with either of them.
    // Each match goes first, one transaction each (two matches may touch the same offer), releasing the
    // other party: their request reopens, or their offer gets its capacity back. The member's own items
    // go in the transactions below.
    for item in &items {
        if let Some(id) = item.key.sk.strip_prefix(keys::MATCH_REF_PREFIX)
            && let Some(m) = deps.store.get(&keys::matched(id), now).await?
        {
            let m: crate::records::matched::Match = m.parse()?;
            let mut ops = crate::matches::release::release_ops(deps, &m, now, false, Some(member_id)).await?;
            ops.push(WriteOp::Delete { key: keys::matched(id), cond: Cond::Live });
            deps.store.transact(ops, now).await?;
        }
    }
    // A contact names both members: it goes with either of them, with the other party's reference, and
    // the other party is told nothing. A listing's owner pointer lives outside the partition.
    for item in &items {
        if item.key.sk.starts_with(keys::CONTACT_SENT_PREFIX) || item.key.sk.starts_with(keys::CONTACT_IN_PREFIX) {
            if let Some(id) = item.attrs.get("contact_id").and_then(serde_json::Value::as_str)
                && let Some(c) = deps.store.get(&keys::contact(id), INCLUDING_EXPIRED).await?
            {
                let c: crate::records::contact::Contact = c.parse()?;
                let mut ops = vec![WriteOp::Delete { key: keys::contact(id), cond: Cond::Always }];
                ops.extend(c.ref_keys().into_iter().filter(|k| k.pk != item.key.pk).map(|key| WriteOp::Delete { key, cond: Cond::Always }));
                deps.store.transact(ops, now).await?;
            }
        } else if let Some(listing) = item.key.sk.strip_prefix(keys::LISTED_PREFIX) {
            others.push(WriteOp::Delete { key: keys::listing_owner(listing), cond: Cond::Always });
        } else if let Some(perk) = item.key.sk.strip_prefix(keys::CLAIM_PREFIX)
            && item.is_live(now)
        {
            // A ticket goes back to its perk first, one transaction each (the member may also have
            // referenced that perk, which the transactions below detach).
            deps.store.transact(crate::tickets::give_back_ops(deps, member_id, perk, now).await?, now).await?;
        }
    }
    for item in items {
        if item.key == profile {
            let m: Member = parse_item(&item)?;
            markers = Some(m.delete_markers(deps, now).await?);
        } else {
            others.push(WriteOp::Delete { key: item.key, cond: Cond::Always });
        }
    }
    let mut last = Vec::new();
    if let Some(claims) = link {
        last.push(used_link_op(claims));
    }
    if let Some(markers) = markers {
        last.extend(markers);
        last.push(WriteOp::Delete { key: profile, cond: Cond::Always });
    }
    let room = crate::store::MAX_TRANSACTION_OPS - last.len();
    while others.len() > room {
        let chunk: Vec<WriteOp> = others.drain(..crate::store::MAX_TRANSACTION_OPS).collect();
        deps.store.transact(chunk, now).await?;
    }
    last.extend(others);
    deps.store.transact(last, now).await?;
    info!("member erased");
    Ok(())
}
