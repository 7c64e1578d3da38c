//! The owner's answers by link (accept, decline, report) and either party's confirmation.

use super::{BLOCK_TTL, INTRODUCED_TTL, closed, load_contact, owner_hash};
use crate::clock::{UnixTime, day_of};
use crate::deps::Deps;
use crate::error::AppError;
use crate::links::{Claims, Purpose};
use crate::mail::relay::{ContactDeclined, ContactIntroduction};
use crate::mail::templates::Party;
use crate::matches::email_of;
use crate::matches::release::members_left_with_nothing;
use crate::records::contact::{Contact, ContactStatus, index_attrs};
use crate::records::keys;
use crate::records::load;
use crate::records::member::{MEMBER_TTL, Member, used_link_op};
use crate::stats::{self, Metric};
use crate::store::{Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, WriteOp};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use tracing::{info, warn};

fn only_if(status: ContactStatus) -> Cond {
    Cond::LiveWith(vec![("status".into(), json!(status))])
}

fn counted(metric: Metric, now: UnixTime) -> WriteOp {
    stats::count(metric, &stats::Event::default(), now)
}

/// The contact a link names, if it is still in `status`.
async fn contact_in(deps: &Deps, claims: &Claims, status: ContactStatus, now: UnixTime) -> Result<Contact, AppError> {
    load_contact(deps, &claims.sub, now).await?.filter(|c| c.status == status).ok_or_else(closed)
}

/// `accept_contact`: both receive the same introduction, with both addresses; the contact waits 14 days
/// for a confirmation. If a copy cannot be sent, the acceptance is undone (the link works again) and the
/// answer is `503`.
pub async fn accept(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let c = contact_in(deps, claims, ContactStatus::Sent, now).await?;
    let owner: Member = load(deps, &keys::member(&c.owner_id), now).await?.ok_or_else(closed)?;
    let sender: Member = load(deps, &keys::member(&c.sender_id), now).await?.ok_or_else(closed)?;
    let keep = deps.config.expiry(now, INTRODUCED_TTL);
    let mut s = Map::from_iter([
        ("status".to_owned(), json!(ContactStatus::Accepted)),
        ("accepted_at".to_owned(), json!(now)),
        (EXPIRES_AT.to_owned(), json!(keep)),
        (GSI1PK.to_owned(), Value::Null),
        (GSI1SK.to_owned(), Value::Null),
    ]);
    let mut ops = vec![WriteOp::Update { key: keys::contact(&c.id), set: s.clone(), cond: only_if(ContactStatus::Sent) }];
    let extend = |key, current: UnixTime| WriteOp::Update {
        key,
        set: Map::from_iter([(EXPIRES_AT.to_owned(), json!(current.max(keep)))]),
        cond: Cond::Live,
    };
    for key in c.ref_keys() {
        ops.push(extend(key, keep));
    }
    for m in [&owner, &sender] {
        ops.push(extend(keys::member(&m.id), m.expires_at));
        ops.extend(m.keep_markers(m.expires_at.max(keep), now));
    }
    let link = used_link_op(claims);
    let tally = counted(Metric::ContactAccepted, now);
    let undo_keys = (link.key().clone(), tally.key().clone());
    ops.push(link);
    ops.push(tally);
    deps.store.transact(ops, now).await?;

    if let Err(e) = introduce(deps, &c, &owner, &sender, keep, now).await {
        // Back to `sent`, in its place in the index, and the link usable again.
        s = Map::from_iter([
            ("status".to_owned(), json!(ContactStatus::Sent)),
            ("accepted_at".to_owned(), Value::Null),
            (EXPIRES_AT.to_owned(), json!(c.expires_at)),
        ]);
        s.extend(index_attrs(ContactStatus::Sent, c.created_at, &c.id));
        let undo = vec![
            WriteOp::Update { key: keys::contact(&c.id), set: s, cond: only_if(ContactStatus::Accepted) },
            WriteOp::Delete { key: undo_keys.0, cond: Cond::Always },
            WriteOp::Delete { key: undo_keys.1, cond: Cond::Always },
        ];
        if let Err(undo_error) = deps.store.transact(undo, now).await {
            warn!(contact_id = %c.id, error = %undo_error, "acceptance not undone after its introduction failed");
        }
        return Err(e);
    }
    info!(contact_id = %c.id, "contact accepted; both introduced");
    Ok(())
}

/// Sends the introduction to both, each copy with its recipient's own erase link.
async fn introduce(deps: &Deps, c: &Contact, owner: &Member, sender: &Member, closes_at: UnixTime, now: UnixTime) -> Result<(), AppError> {
    let (confirm, _) = deps.links.issue(Purpose::ConfirmContact, &c.id, now, closes_at)?;
    let confirm_url = deps.config.link_url(confirm.as_str());
    let (oe, se) = (email_of(owner)?, email_of(sender)?);
    let party = |m: &'_ Member, email| (email, m.first_name.clone(), m.phone.clone(), m.locale);
    let (o, s) = (party(owner, &oe), party(sender, &se));
    let intro = ContactIntroduction {
        owner: Party { email: o.0, first_name: &o.1, phone: o.2.as_deref(), locale: o.3 },
        sender: Party { email: s.0, first_name: &s.1, phone: s.2.as_deref(), locale: s.3 },
        listing_title: &c.listing_title,
        message: &c.message,
        confirm_url: &confirm_url,
        closes_on: &day_of(closes_at),
    };
    for (member, to) in [(owner, &intro.owner), (sender, &intro.sender)] {
        let (erase, _) = deps.links.issue(Purpose::Erase, &member.id, now, deps.config.expiry(now, MEMBER_TTL))?;
        deps.mailer.send(&intro.render_for(to, &deps.config.link_url(erase.as_str()))).await?;
    }
    Ok(())
}

/// `decline_contact`: the contact goes, the pair is blocked, and the sender is told — without a reason
/// and without anything of the owner.
pub async fn decline(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let c = contact_in(deps, claims, ContactStatus::Sent, now).await?;
    let mut ops = vec![WriteOp::Delete { key: keys::contact(&c.id), cond: only_if(ContactStatus::Sent) }];
    ops.extend(c.ref_keys().map(|key| WriteOp::Delete { key, cond: Cond::Always }));
    let block = Map::from_iter([("entity".to_owned(), json!("contact_block")), (EXPIRES_AT.to_owned(), json!(now + BLOCK_TTL))]);
    ops.push(WriteOp::Put {
        item: Item::new(keys::contact_block(&c.sender_id, &owner_hash(deps, &c.owner_id)), block),
        cond: Cond::Always,
    });
    ops.push(used_link_op(claims));
    ops.push(counted(Metric::ContactDeclined, now));
    deps.store.transact(ops, now).await?;
    info!(contact_id = %c.id, "contact declined; pair blocked");
    // Telling the sender is best effort: the decline itself is done.
    if let Some(sender) = load::<Member>(deps, &keys::member(&c.sender_id), now).await? {
        let (erase, _) = deps.links.issue(Purpose::Erase, &sender.id, now, deps.config.expiry(now, MEMBER_TTL))?;
        let to = email_of(&sender)?;
        let mail = ContactDeclined {
            to: &to,
            first_name: &sender.first_name,
            locale: sender.locale,
            listing_title: &c.listing_title,
            erase_url: &deps.config.link_url(erase.as_str()),
        }
        .render();
        if let Err(e) = deps.mailer.send(&mail).await {
            warn!(contact_id = %c.id, error = %e, "the sender was not told of the decline");
        }
    }
    Ok(())
}

/// `report_contact`: the contact waits for a moderator (`CONTACTS#reported`).
pub async fn report(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let c = contact_in(deps, claims, ContactStatus::Sent, now).await?;
    let mut s = Map::from_iter([("status".to_owned(), json!(ContactStatus::Reported)), ("reported_at".to_owned(), json!(now))]);
    s.extend(index_attrs(ContactStatus::Reported, now, &c.id));
    let ops = vec![WriteOp::Update { key: keys::contact(&c.id), set: s, cond: only_if(ContactStatus::Sent) }, used_link_op(claims)];
    deps.store.transact(ops, now).await?;
    info!(contact_id = %c.id, "contact reported to the moderators");
    Ok(())
}

/// `confirm_contact`: the two are in touch; the contact, its message and both references go now, in one
/// transaction, with each party left with nothing open (typically the sender).
pub async fn confirm(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let c = contact_in(deps, claims, ContactStatus::Accepted, now).await?;
    let mut ops = vec![WriteOp::Delete { key: keys::contact(&c.id), cond: only_if(ContactStatus::Accepted) }];
    ops.extend(c.ref_keys().map(|key| WriteOp::Delete { key, cond: Cond::Always }));
    // As a match's confirmation does: whoever is left with nothing open goes too.
    let deleted: HashSet<Key> = ops.iter().map(|o| o.key().clone()).collect();
    ops.extend(members_left_with_nothing(deps, &[&c.sender_id, &c.owner_id], &deleted, now).await?);
    ops.push(used_link_op(claims));
    ops.push(counted(Metric::ContactConfirmed, now));
    deps.store.transact(ops, now).await?;
    info!(contact_id = %c.id, "contact confirmed and purged");
    Ok(())
}
