//! `POST /api/listings/{id}/contact`: a signed-in member answers a listing; its owner gets the message.

use super::{CONTACT_TTL, MAX_CONTACTS_PER_DAY, MAX_DECLINES_HELD, MAX_MESSAGE, MAX_OPEN_CONTACTS_PER_LISTING, owner_hash, owner_mail};
use crate::clock::{DAY, UnixTime, day_of, rfc3339};
use crate::deps::Deps;
use crate::domain::text;
use crate::error::{AppError, Missing, Refusal};
use crate::records::contact::{Contact, ContactStatus, DayCount, ListingOwner, contact_ref_item};
use crate::records::keys;
use crate::records::load;
use crate::records::member::{MAX_MEMBER_ITEMS, Member};
use crate::records::post::{Listing, PostKind};
use crate::stats::{self, Metric};
use crate::store::{Cond, EXPIRES_AT, Item, StoreError, WriteOp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use tracing::{info, instrument, warn};

/// What `POST /api/listings/{id}/contact` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub message: String,
}

/// What it answers: `201 {id, status: "sent", expires_at}`.
#[derive(Debug, Serialize)]
pub struct ContactSent {
    pub id: String,
    pub status: ContactStatus,
    pub expires_at: String,
}

/// How often the write is read again and retried when a concurrent write won (another contact of the
/// same sender, or to the same listing). Each lost try but the spare ones means one more contact
/// written, so with the day's limit and ten spare a burst of one sender's contacts all see the limit
/// reached rather than give up before it (as `posts::guarded_write` does).
const TRIES: u32 = MAX_CONTACTS_PER_DAY as u32 + 10;

/// `POST /api/listings/{id}/contact`: writes the contact (every limit inside that transaction), then
/// sends the owner the message. If the mail cannot be sent, the contact is undone and the answer is `503`.
///
/// Refusals: `400 invalid_id`, `422` for the message, `403 suspended`, `404 not_found` (no such
/// listing, or withdrawn), `410 listing_expired`, `422 own_listing`, `403 contact_declined`,
/// `409 already_contacted`, `429 too_many_contacts`, `409 listing_busy`, `403 too_many_declines`,
/// `410 platform_closed`.
#[instrument(skip_all, fields(member_id = %sender.id))]
pub async fn contact_listing(deps: &Deps, sender: &Member, listing_id: &str, body: NewContact) -> Result<ContactSent, AppError> {
    if ulid::Ulid::from_string(listing_id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let message = text(Some(&body.message), "message", 1, MAX_MESSAGE)?;
    let now = deps.clock.now();
    crate::posts::refuse_after_sunset(deps, now)?;
    let mut attempt = 0;
    let (contact, owner, sender, undo) = loop {
        let prepared = prepare(deps, &sender.id, listing_id, &message, now).await?;
        match deps.store.transact(prepared.ops, now).await {
            Ok(()) => break (prepared.contact, prepared.owner, prepared.sender, prepared.undo),
            Err(StoreError::Conflict) if attempt + 1 < TRIES => {
                attempt += 1;
                let jitter = ulid::Ulid::generate().random() % 4_000;
                tokio::time::sleep(std::time::Duration::from_micros(jitter as u64 * u64::from(attempt))).await;
            }
            Err(StoreError::Conflict) => return Err(Refusal::ConcurrentChange.into()),
            Err(e) => return Err(e.into()),
        }
    };
    let mail = owner_mail(deps, &contact, &owner, &sender, false, now)?;
    if let Err(e) = deps.mailer.send(&mail).await {
        // Nothing half-done: the contact goes, and the day's count gives its place back.
        for ops in undo {
            if let Err(undo_error) = deps.store.transact(ops, now).await {
                warn!(contact_id = %contact.id, error = %undo_error, "contact not wholly undone after its mail failed; it expires");
            }
        }
        return Err(e.into());
    }
    info!(contact_id = %contact.id, "contact sent to the listing's owner");
    Ok(ContactSent { id: contact.id, status: contact.status, expires_at: rfc3339(contact.expires_at) })
}

fn keep_alive(key: crate::store::Key, until: UnixTime) -> WriteOp {
    WriteOp::Update { key, set: Map::from_iter([(EXPIRES_AT.into(), json!(until))]), cond: Cond::Live }
}

struct Prepared {
    contact: Contact,
    owner: Member,
    sender: Member,
    ops: Vec<WriteOp>,
    /// What undoes the write if the owner's mail cannot be sent: the contact, then the day's count.
    undo: [Vec<WriteOp>; 2],
}

/// Reads what the limits depend on, refuses if one is reached, and builds the transaction whose
/// conditions make those reads still true when it commits.
async fn prepare(deps: &Deps, sender_id: &str, listing_id: &str, message: &str, now: UnixTime) -> Result<Prepared, AppError> {
    let not_found = || AppError::from(Refusal::NotFound(Missing::Listing));
    let sender_profile = deps.store.get(&keys::member(sender_id), now).await?.ok_or(Refusal::SessionRevoked)?;
    let sender: Member = sender_profile.parse()?;
    if deps.store.get(&keys::suspended(sender_id), now).await?.is_some() {
        return Err(Refusal::Suspended.into());
    }
    let pointer: ListingOwner = load(deps, &keys::listing_owner(listing_id), now).await?.ok_or_else(not_found)?;
    if pointer.listing_expires_at <= now {
        return Err(Refusal::ListingExpired.into());
    }
    if pointer.member_id == sender_id {
        return Err(Refusal::OwnListing.into());
    }
    let listing_key = PostKind::Listing(pointer.side).key(&pointer.member_id, listing_id);
    let listing_item = deps.store.get(&listing_key, now).await?.ok_or_else(not_found)?;
    let listing: Listing = listing_item.parse()?;
    let owner: Member = load(deps, &keys::member(&pointer.member_id), now).await?.ok_or_else(not_found)?;
    let block = keys::contact_block(sender_id, &owner_hash(deps, &owner.id));
    if deps.store.get(&block, now).await?.is_some() {
        return Err(Refusal::ContactDeclined.into());
    }
    let declines = deps.store.count_prefix(&keys::member_pk(sender_id), keys::BLOCK_PREFIX, now, MAX_MEMBER_ITEMS).await?;
    if declines >= MAX_DECLINES_HELD {
        return Err(Refusal::TooManyDeclines.into());
    }
    let sent_ref = keys::contact_sent(sender_id, listing_id);
    if deps.store.get(&sent_ref, now).await?.is_some() {
        return Err(Refusal::AlreadyContacted.into());
    }
    let day_key = keys::contacts_on(sender_id, &day_of(now));
    let today: Option<DayCount> = load(deps, &day_key, now).await?;
    let sent_today = today.as_ref().map_or(0, |d| d.count);
    if sent_today >= MAX_CONTACTS_PER_DAY {
        return Err(Refusal::TooManyContacts.into());
    }
    let waiting =
        deps.store.count_prefix(&keys::member_pk(&owner.id), &keys::contacts_received_prefix(listing_id), now, MAX_MEMBER_ITEMS).await?;
    if waiting >= MAX_OPEN_CONTACTS_PER_LISTING {
        return Err(Refusal::ListingBusy.into());
    }

    let contact = Contact {
        id: ulid::Ulid::generate().to_string(),
        listing_id: listing_id.to_owned(),
        listing_side: pointer.side,
        listing_title: listing.title.clone(),
        owner_id: owner.id.clone(),
        sender_id: sender_id.to_owned(),
        message: message.to_owned(),
        status: ContactStatus::Sent,
        created_at: now,
        expires_at: deps.config.expiry(now, CONTACT_TTL),
        reminded_at: 0,
        reported_at: None,
        accepted_at: None,
    };
    let [sent_key, received_key] = contact.ref_keys();
    let mut ops = vec![
        WriteOp::Put { item: contact.to_item()?, cond: Cond::Absent },
        // Absent: one open contact per sender and listing.
        WriteOp::Put { item: contact_ref_item(sent_key.clone(), &contact.id, contact.expires_at), cond: Cond::Absent },
        WriteOp::Put { item: contact_ref_item(received_key.clone(), &contact.id, contact.expires_at), cond: Cond::Absent },
        WriteOp::Check { key: keys::suspended(sender_id), cond: Cond::Absent },
        WriteOp::Check { key: block, cond: Cond::Absent },
    ];
    // The day's count, on condition that it is still the one read.
    let mut undo = vec![
        WriteOp::Delete { key: keys::contact(&contact.id), cond: Cond::Always },
        WriteOp::Delete { key: sent_key, cond: Cond::Always },
        WriteOp::Delete { key: received_key, cond: Cond::Always },
    ];
    match &today {
        Some(d) => {
            ops.push(WriteOp::Update {
                key: day_key.clone(),
                set: Map::from_iter([("count".into(), json!(d.count + 1))]),
                cond: Cond::LiveWith(vec![("count".into(), json!(d.count))]),
            });
        }
        None => {
            let end_of_day = (now.div_euclid(DAY) + 1) * DAY;
            let attrs = Map::from_iter([
                ("entity".into(), json!("contacts_on")),
                ("count".into(), json!(1)),
                (EXPIRES_AT.into(), json!(end_of_day + DAY)),
            ]);
            ops.push(WriteOp::Put { item: Item::new(day_key.clone(), attrs), cond: Cond::Absent });
        }
    }
    let undo_count = vec![if today.is_none() {
        WriteOp::Delete { key: day_key, cond: Cond::LiveWith(vec![("count".into(), json!(1))]) }
    } else {
        WriteOp::Update {
            key: day_key,
            set: Map::from_iter([("count".into(), json!(sent_today))]),
            cond: Cond::LiveWith(vec![("count".into(), json!(sent_today + 1))]),
        }
    }];
    // The listing's contacts revision, on condition that it is unchanged: two contacts that both counted
    // room for one more cannot both commit.
    ops.push(WriteOp::Update {
        key: listing_key,
        set: Map::from_iter([("contacts_rev".into(), json!(listing.contacts_rev + 1))]),
        cond: match listing_item.attrs.get("contacts_rev") {
            Some(r) => Cond::LiveWith(vec![("contacts_rev".into(), r.clone())]),
            // A listing written before the relay: its first contacts are not serialised by the revision.
            None => Cond::Live,
        },
    });
    // Both people must still be there to be introduced when the owner accepts. The sender's `revision`
    // moves on condition that it is unchanged: a purge that found the sender with nothing open (and
    // conditions on that revision) cannot delete them under a contact they just sent.
    let mut member_set = Map::from_iter([("revision".into(), json!(sender.revision + 1))]);
    if sender.expires_at < contact.expires_at {
        member_set.insert(EXPIRES_AT.into(), json!(contact.expires_at));
        ops.extend(sender.keep_markers(contact.expires_at, now));
    }
    ops.push(WriteOp::Update {
        key: keys::member(sender_id),
        set: member_set,
        cond: match sender_profile.attrs.get("revision") {
            Some(r) => Cond::LiveWith(vec![("revision".into(), r.clone())]),
            None => Cond::Live,
        },
    });
    if owner.expires_at < contact.expires_at {
        ops.push(keep_alive(keys::member(&owner.id), contact.expires_at));
        ops.extend(owner.keep_markers(contact.expires_at, now));
    }
    let tally = stats::count(Metric::ContactSent, &stats::Event::default(), now);
    undo.push(WriteOp::Delete { key: tally.key().clone(), cond: Cond::Always });
    ops.push(tally);
    Ok(Prepared { contact, owner, sender, ops, undo: [undo, undo_count] })
}
