//! Each run's housekeeping: day-7 reminders and day-14 closing of introductions, day-25 "keep it open"
//! reminders of open posts.

use super::introduce::{Sent, introduce};
use super::release::{count, purge_ops};
use super::{INTRO_TTL, MATCH_REMINDER_AFTER, email_of, help_labels, set};
use crate::clock::{DAY, UnixTime, day_of};
use crate::deps::Deps;
use crate::domain::Taxonomy;
use crate::error::AppError;
use crate::links::Purpose;
use crate::mail::templates::{IntroKind, KeepOpenReminder, PostNoun};
use crate::records::keys;
use crate::records::load;
use crate::records::matched::Match;
use crate::records::matched::MatchStatus;
use crate::records::member::{MEMBER_TTL, Member};
use crate::records::post::{HelpOffer, HelpRequest, Listing, POST_REMINDER_BEFORE, PostKind, keep_open_subject};
use crate::stats::Metric;
use crate::store::{Cond, IndexPage, Key, StoreError, WriteOp, first_of_index};
use serde::Serialize;
use serde_json::{Value, json};
use tracing::{info, warn};

/// What housekeeping did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct HousekeepingSummary {
    pub match_reminders: usize,
    pub closed: usize,
    pub post_reminders: usize,
}

/// The first `limit` items of an index partition; more is logged and left for the next run.
async fn bounded(deps: &Deps, pk: &str, now: UnixTime, limit: usize) -> Result<IndexPage, AppError> {
    let page = first_of_index(deps.store.as_ref(), pk, now, limit).await?;
    if page.next.is_some() {
        warn!(read = page.items.len(), "more reminders due than one run sends; the rest waits");
    }
    Ok(page)
}

/// Day-7 reminders and day-14 closing of introduced matches; day-25 reminders of open offers, requests
/// and listings.
pub async fn housekeeping(deps: &Deps) -> Result<HousekeepingSummary, AppError> {
    let now = deps.clock.now();
    let mut summary = HousekeepingSummary::default();
    let budget = deps.config.run_budget;
    // In the order they were introduced, page by page: both deadlines grow with that order, so the walk
    // ends at the first match whose reminder is not due yet, and at the run's budget (the rest next run).
    let introduced = keys::matches_in(MatchStatus::Introduced.as_str());
    let (mut after, mut handled) = (None::<String>, 0);
    'walk: loop {
        let page = deps.store.query_index_page(&introduced, "", after.as_deref(), now, 1_000).await?;
        for item in page.items {
            let m: Match = item.parse()?;
            let Some(at) = m.introduced_at else { continue };
            if at + MATCH_REMINDER_AFTER > now {
                break 'walk;
            }
            handled += 1;
            if handled > budget.matches_per_run {
                warn!("more introduced matches due than one run handles; the rest waits");
                break 'walk;
            }
            if at + INTRO_TTL <= now {
                let mut ops = purge_ops(deps, &m, now).await?;
                ops.push(count(Metric::Closed, &m, now));
                match deps.store.transact(ops, now).await {
                    Ok(()) => {
                        summary.closed += 1;
                        info!(match_id = %m.id, "unanswered match closed and purged");
                    }
                    Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
            } else if at + MATCH_REMINDER_AFTER <= now && m.reminded_at.is_none() {
                match introduce(deps, &m, IntroKind::Reminder, now).await {
                    Ok(Sent::Done) => summary.match_reminders += 1,
                    Ok(_) => {}
                    Err(e) => warn!(match_id = %m.id, error = %e, "match reminder not sent; a later run retries"),
                }
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    // Open requests are all in their index; offers and listings are indexed by the day their reminder is due.
    let mut due: Vec<(Key, PostKind)> = Vec::new();
    for h in &Taxonomy::get().help_types {
        for item in bounded(deps, &keys::open_requests(&h.code), now, budget.requests_per_run).await?.items {
            let r: HelpRequest = item.parse()?;
            if r.reminded_at == 0 && r.expires_at - POST_REMINDER_BEFORE <= now {
                due.push((item.key, PostKind::HelpRequest));
            }
        }
    }
    for back in 0..=5 {
        for item in bounded(deps, &keys::reminders_on(&day_of(now - back * DAY)), now, budget.matches_per_run).await?.items {
            let (kind, reminded_at, expires_at) = if item.attrs.get("kind").and_then(Value::as_str) == Some("listing") {
                let l: Listing = item.parse()?;
                (PostKind::Listing(l.side), l.reminded_at, l.expires_at)
            } else {
                let o: HelpOffer = item.parse()?;
                (PostKind::HelpOffer, o.reminded_at, o.expires_at)
            };
            if reminded_at == 0 && expires_at - POST_REMINDER_BEFORE <= now {
                due.push((item.key, kind));
            }
        }
    }
    for (key, kind) in due {
        match remind_post(deps, &key, kind, now).await {
            Ok(true) => summary.post_reminders += 1,
            Ok(false) => {}
            Err(e) => warn!(error = %e, "post reminder not sent; a later run retries"),
        }
    }
    Ok(summary)
}

pub(crate) async fn remind_post(deps: &Deps, key: &Key, kind: PostKind, now: UnixTime) -> Result<bool, AppError> {
    let Some(item) = deps.store.get(key, now).await? else { return Ok(false) };
    let (member_id, post_id, noun, name, expires_at) = match kind {
        PostKind::HelpOffer => {
            let o: HelpOffer = item.parse()?;
            let (fr, en) = help_labels(&o.help_type);
            (o.member_id, o.id, PostNoun::HelpOffer, (fr.to_owned(), en.to_owned()), o.expires_at)
        }
        PostKind::HelpRequest => {
            let r: HelpRequest = item.parse()?;
            let (fr, en) = help_labels(&r.help_type);
            (r.member_id, r.id, PostNoun::HelpRequest, (fr.to_owned(), en.to_owned()), r.expires_at)
        }
        PostKind::Listing(_) => {
            let l: Listing = item.parse()?;
            (l.member_id, l.id, PostNoun::Listing, (l.title.clone(), l.title), l.expires_at)
        }
    };
    // Mark first, conditioned on not yet marked (and on the expiry read): a concurrent run cannot send it too.
    let mark = WriteOp::Update {
        key: key.clone(),
        set: set([("reminded_at", json!(now))]),
        cond: Cond::LiveWith(vec![("expires_at".into(), json!(expires_at)), ("reminded_at".into(), json!(0))]),
    };
    let Some(member) = load::<Member>(deps, &keys::member(&member_id), now).await? else { return Ok(false) };
    match deps.store.transact(vec![mark], now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let (keep, _) = deps.links.issue(Purpose::KeepOpen, &keep_open_subject(&member_id, kind, &post_id), now, expires_at)?;
    let (erase, _) = deps.links.issue(Purpose::Erase, &member.id, now, deps.config.expiry(now, MEMBER_TTL))?;
    let to = email_of(&member)?;
    let mail = KeepOpenReminder {
        to: &to,
        first_name: &member.first_name,
        locale: member.locale,
        noun,
        help: (&name.0, &name.1),
        expires_on: &day_of(expires_at),
        keep_open_url: &deps.config.link_url(keep.as_str()),
        erase_url: &deps.config.link_url(erase.as_str()),
    }
    .render();
    if let Err(e) = deps.mailer.send(&mail).await {
        // Unmark so a later run tries again.
        let unmark = WriteOp::Update { key: key.clone(), set: set([("reminded_at", json!(0))]), cond: Cond::Live };
        let _ = deps.store.transact(vec![unmark], now).await;
        return Err(e.into());
    }
    info!(post_id = %post_id, "keep-open reminder sent");
    Ok(true)
}
