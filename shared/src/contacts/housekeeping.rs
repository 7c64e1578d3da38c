//! Each run's relay housekeeping: the owner of a contact unanswered for 7 days gets one reminder.
//! (Unanswered contacts go at day 14 by their `expires_at`, with their references.)

use super::{CONTACT_REMINDER_AFTER, owner_mail};
use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::contact::{Contact, ContactStatus};
use crate::records::keys;
use crate::records::load;
use crate::records::member::Member;
use crate::store::{Cond, StoreError, WriteOp};
use serde_json::{Map, json};
use tracing::{info, warn};

/// Sends the day-7 reminders due, oldest contact first; the walk stops at the first contact not yet due,
/// and after `budget` contacts (the rest waits for the next run). Returns how many were sent.
pub async fn remind_contacts(deps: &Deps, budget: usize) -> Result<usize, AppError> {
    let now = deps.clock.now();
    let partition = keys::contacts_in(ContactStatus::Sent.as_str());
    let (mut after, mut seen, mut sent) = (None::<String>, 0, 0);
    'walk: loop {
        let page = deps.store.query_index_page(&partition, "", after.as_deref(), now, 1_000).await?;
        for item in page.items {
            let c: Contact = item.parse()?;
            if c.created_at + CONTACT_REMINDER_AFTER > now {
                break 'walk;
            }
            seen += 1;
            if seen > budget {
                warn!("more contact reminders due than one run sends; the rest waits");
                break 'walk;
            }
            if c.reminded_at != 0 {
                continue;
            }
            match remind(deps, &c, now).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => warn!(contact_id = %c.id, error = %e, "contact reminder not sent; a later run retries"),
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(sent)
}

/// Marks the contact reminded (on condition that nobody did, and that it still waits), then mails the
/// owner; a failed send unmarks it for a later run.
async fn remind(deps: &Deps, c: &Contact, now: UnixTime) -> Result<bool, AppError> {
    let (Some(owner), Some(sender)) =
        (load::<Member>(deps, &keys::member(&c.owner_id), now).await?, load::<Member>(deps, &keys::member(&c.sender_id), now).await?)
    else {
        return Ok(false);
    };
    let mark = |at: UnixTime, was: UnixTime| WriteOp::Update {
        key: keys::contact(&c.id),
        set: Map::from_iter([("reminded_at".to_owned(), json!(at))]),
        cond: Cond::LiveWith(vec![("status".into(), json!(ContactStatus::Sent)), ("reminded_at".into(), json!(was))]),
    };
    match deps.store.transact(vec![mark(now, 0)], now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let mail = owner_mail(deps, c, &owner, &sender, true, now)?;
    if let Err(e) = deps.mailer.send(&mail).await {
        let _ = deps.store.transact(vec![mark(0, now)], now).await;
        return Err(e.into());
    }
    info!(contact_id = %c.id, "contact reminder sent to the owner");
    Ok(true)
}
