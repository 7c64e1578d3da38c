//! First contact through the masked relay (docs/PRODUCT.md §2.2): a member answers a listing; its owner
//! gets the message without any address of the sender, and answers by link.
//!
//! ```text
//! sent ──accept──▶ accepted (both have the same introduction) ──confirm──▶ purged
//!  │ ▲   decline ─▶ purged, the sender told (nothing of the owner), the pair blocked
//!  │ │   14 days ─▶ gone (TTL; one reminder to the owner at day 7)
//!  │ └─dismiss── reported ──suspend──▶ purged, the sender can contact nobody
//!  └──report────▶┘
//! ```
//!
//! Every limit is checked inside the transaction that writes the contact (see [`send`]): one open
//! contact per sender and listing (the sender's reference is written on condition that it is absent), at
//! most [`MAX_CONTACTS_PER_DAY`] a day (the day's count is written on condition that it is still the
//! value read), at most [`MAX_OPEN_CONTACTS_PER_LISTING`] waiting on one listing (the listing's
//! `contacts_rev` is bumped on condition that it is unchanged), no contact while suspended or blocked
//! (both checked absent). Every answer is one transaction conditioned on the status it starts from.

use crate::clock::{DAY, UnixTime, day_of};
use crate::deps::Deps;
use crate::domain::Taxonomy;
use crate::error::{AppError, Refusal};
use crate::links::Purpose;
use crate::mail::OutgoingMail;
use crate::mail::relay::ContactToOwner;
use crate::matches::email_of;
use crate::records::contact::Contact;
use crate::records::keys;
use crate::records::load;
use crate::records::member::{MEMBER_TTL, Member};

pub mod answer;
pub mod housekeeping;
pub mod send;

pub use crate::records::contact::ContactStatus;
pub use send::{ContactSent, NewContact, contact_listing};

/// How long a contact waits for the owner's answer.
pub const CONTACT_TTL: i64 = 14 * DAY;
/// When an unanswered contact's owner gets the one reminder.
pub const CONTACT_REMINDER_AFTER: i64 = 7 * DAY;
/// How long an accepted contact waits for a confirmation before it is erased.
pub const INTRODUCED_TTL: i64 = 14 * DAY;
/// Contacts one member may send per day (UTC).
pub const MAX_CONTACTS_PER_DAY: i64 = 10;
/// Contacts waiting for an answer on one listing: the owner's partition (which export and erasure read
/// whole) stays bounded, and a listing that many people answered waits for its owner to catch up.
pub const MAX_OPEN_CONTACTS_PER_LISTING: usize = 20;
/// The longest message, in characters.
pub const MAX_MESSAGE: usize = 1_000;
/// How long an owner's decline keeps the sender from contacting them again.
pub const BLOCK_TTL: i64 = 90 * DAY;
/// Declines a sender may hold (over [`BLOCK_TTL`]) and still send contacts: someone this many members
/// turned down is refused more, and their partition (which export and erasure read whole) stays bounded.
pub const MAX_DECLINES_HELD: usize = 100;
/// How long a moderator's suspension lasts.
pub const SUSPENSION_TTL: i64 = 365 * DAY;

pub(crate) async fn load_contact(deps: &Deps, id: &str, now: UnixTime) -> Result<Option<Contact>, AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Ok(None);
    }
    load(deps, &keys::contact(id), now).await
}

pub(crate) fn closed() -> AppError {
    AppError::from(Refusal::ContactClosed)
}

/// The keyed hash a sender's block names the owner who declined them by: the sender's partition never
/// holds the owner's id.
pub(crate) fn owner_hash(deps: &Deps, owner_id: &str) -> String {
    deps.email_hasher.hash(&format!("contact-block:{owner_id}"))
}

/// Withdraws every contact `sender_id` sent that its owner has not accepted yet (a suspended sender's
/// other messages go with the one reported), one transaction each; returns how many went.
pub(crate) async fn withdraw_waiting(deps: &Deps, sender_id: &str, now: UnixTime) -> Result<usize, AppError> {
    use crate::store::{Cond, WriteOp};
    let refs = deps
        .store
        .query_prefix(&keys::member_pk(sender_id), keys::CONTACT_SENT_PREFIX, now, crate::records::member::MAX_MEMBER_ITEMS)
        .await?;
    let mut withdrawn = 0;
    for r in refs {
        let Some(id) = r.attrs.get("contact_id").and_then(serde_json::Value::as_str) else { continue };
        let Some(c) = load_contact(deps, id, now).await? else { continue };
        if c.status == ContactStatus::Accepted {
            continue;
        }
        let mut ops =
            vec![WriteOp::Delete { key: keys::contact(id), cond: Cond::LiveWith(vec![("status".into(), serde_json::json!(c.status))]) }];
        ops.extend(c.ref_keys().map(|key| WriteOp::Delete { key, cond: Cond::Always }));
        match deps.store.transact(ops, now).await {
            Ok(()) => withdrawn += 1,
            // The owner answered meanwhile: that answer stands.
            Err(crate::store::StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(withdrawn)
}

/// The community's label in `locale`.
fn community_label(code: &str, locale: crate::domain::Locale) -> String {
    Taxonomy::get().communities.iter().find(|c| c.code == code).map_or_else(
        || code.to_owned(),
        |c| match locale {
            crate::domain::Locale::Fr => c.label.fr.clone(),
            crate::domain::Locale::En => c.label.en.clone(),
        },
    )
}

/// The message to the owner (first, or the day-7 reminder), with fresh accept / decline / report links.
pub(crate) fn owner_mail(
    deps: &Deps,
    c: &Contact,
    owner: &Member,
    sender: &Member,
    reminder: bool,
    now: UnixTime,
) -> Result<OutgoingMail, AppError> {
    let link = |purpose| deps.links.issue(purpose, &c.id, now, c.expires_at).map(|(t, _)| deps.config.link_url(t.as_str()));
    let (accept, decline, report) = (link(Purpose::AcceptContact)?, link(Purpose::DeclineContact)?, link(Purpose::ReportContact)?);
    let (erase, _) = deps.links.issue(Purpose::Erase, &owner.id, now, deps.config.expiry(now, MEMBER_TTL))?;
    let to = email_of(owner)?;
    Ok(ContactToOwner {
        to: &to,
        owner_first_name: &owner.first_name,
        locale: owner.locale,
        reminder,
        listing_title: &c.listing_title,
        sender_first_name: &sender.first_name,
        sender_community: &community_label(&sender.community, owner.locale),
        message: &c.message,
        accept_url: &accept,
        decline_url: &decline,
        report_url: &report,
        erase_url: &deps.config.link_url(erase.as_str()),
        closes_on: &day_of(c.expires_at),
    }
    .render())
}
