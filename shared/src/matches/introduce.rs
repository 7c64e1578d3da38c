//! The introduction e-mail, the same for both parties, sent under a lease (see `matches`).

use super::release::{count, release_ops};
use super::{INTRO_TTL, SEND_LEASE, email_of, help_labels, set};
use crate::clock::{DAY, UnixTime, day_of};
use crate::deps::Deps;
use crate::domain::{Email, Locale, Taxonomy};
use crate::error::AppError;
use crate::links::Purpose;
use crate::mail::templates::{IntroKind, Introduction, Party};
use crate::records::keys;
use crate::records::load;
use crate::records::matched::MatchStatus;
use crate::records::matched::{Ledger, Match, index_attrs};
use crate::records::member::{MEMBER_TTL, Member};
use crate::records::post::{HelpOffer, HelpRequest};
use crate::stats::Metric;
use crate::store::{Cond, EXPIRES_AT, Key, StoreError, WriteOp, first_of_index};
use serde::Serialize;
use serde_json::{Map, json};
use tracing::{info, warn};

pub(crate) struct Parties {
    pub(crate) offer: HelpOffer,
    pub(crate) request: HelpRequest,
    pub(crate) volunteer: Member,
    pub(crate) requester: Member,
}

pub(crate) async fn parties(deps: &Deps, m: &Match, now: UnixTime) -> Result<Option<Parties>, AppError> {
    let offer = load::<HelpOffer>(deps, &keys::offer(&m.offer_member_id, &m.offer_id), now).await?;
    let request = load::<HelpRequest>(deps, &keys::request(&m.request_member_id, &m.request_id), now).await?;
    let volunteer = load::<Member>(deps, &keys::member(&m.offer_member_id), now).await?;
    let requester = load::<Member>(deps, &keys::member(&m.request_member_id), now).await?;
    Ok(match (offer, request, volunteer, requester) {
        (Some(offer), Some(request), Some(volunteer), Some(requester)) => Some(Parties { offer, request, volunteer, requester }),
        _ => None,
    })
}

/// What sending introductions did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct IntroSummary {
    pub introduced: usize,
    /// Matches left `approved` for a later run (a send failed, or another run holds them).
    pub pending: usize,
    /// Matches whose offer, request or member disappeared meanwhile: released.
    pub released: usize,
}

/// Sends the introduction of every approved match (the run calls this after proposing).
pub async fn introduce_approved(deps: &Deps) -> Result<IntroSummary, AppError> {
    let now = deps.clock.now();
    let mut summary = IntroSummary::default();
    // The longest-approved first; beyond the run's budget, the rest waits for the next run.
    let budget = deps.config.run_budget.matches_per_run;
    let page = first_of_index(deps.store.as_ref(), &keys::matches_in(MatchStatus::Approved.as_str()), now, budget).await?;
    if page.next.is_some() {
        warn!(read = page.items.len(), "more approved matches than one run introduces; the rest waits");
    }
    for item in page.items {
        let m: Match = item.parse()?;
        match introduce(deps, &m, IntroKind::First, now).await {
            Ok(Sent::Done) => summary.introduced += 1,
            Ok(Sent::Later) => summary.pending += 1,
            Ok(Sent::Released) => summary.released += 1,
            Err(e) => {
                warn!(match_id = %m.id, error = %e, "introduction not sent; a later run retries");
                summary.pending += 1;
            }
        }
    }
    Ok(summary)
}

pub(crate) enum Sent {
    Done,
    Later,
    Released,
}

/// Sends one introduction (or its day-7 reminder) under a lease; see the module comment.
pub(crate) async fn introduce(deps: &Deps, m: &Match, kind: IntroKind, now: UnixTime) -> Result<Sent, AppError> {
    let expected = if kind == IntroKind::First { MatchStatus::Approved } else { MatchStatus::Introduced };
    if m.status != expected || m.lease_until > now {
        return Ok(Sent::Later);
    }
    let claim = WriteOp::Update {
        key: keys::matched(&m.id),
        set: set([("lease_until", json!(now + SEND_LEASE))]),
        cond: Cond::LiveWith(vec![("status".into(), json!(expected)), ("lease_until".into(), json!(m.lease_until))]),
    };
    match deps.store.transact(vec![claim], now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(Sent::Later),
        Err(e) => return Err(e.into()),
    }
    let Some(p) = parties(deps, m, now).await? else {
        // Someone withdrew or was erased between the proposal and now: the other side is freed.
        let mut ops = release_ops(deps, m, now, false, None).await?;
        ops.push(WriteOp::Delete { key: keys::matched(&m.id), cond: Cond::Live });
        deps.store.transact(ops, now).await?;
        info!(match_id = %m.id, "match released: a party is gone");
        return Ok(Sent::Released);
    };
    let closes_at = deps.config.expiry(m.introduced_at.unwrap_or(now), INTRO_TTL);
    let link_exp = deps.config.expiry(now, INTRO_TTL + DAY);
    let (confirm, _) = deps.links.issue(Purpose::ConfirmMatch, &m.id, now, link_exp)?;
    let (decline, _) = deps.links.issue(Purpose::DeclineMatch, &m.id, now, link_exp)?;
    let (confirm_url, decline_url) = (deps.config.link_url(confirm.as_str()), deps.config.link_url(decline.as_str()));
    let (ve, re) = (email_of(&p.volunteer)?, email_of(&p.requester)?);
    let party = |member: &'_ Member, email: &'_ Email| -> (Email, String, Option<String>, Locale) {
        (email.clone(), member.first_name.clone(), member.phone.clone(), member.locale)
    };
    let (v, r) = (party(&p.volunteer, &ve), party(&p.requester, &re));
    let area = p.request.postal_code.clone();
    let ages = Taxonomy::get();
    let children: Vec<(&str, &str)> = p
        .request
        .children
        .iter()
        .map(|c| ages.child_age_ranges.iter().find(|a| &a.code == c).map_or((c.as_str(), c.as_str()), |a| (&a.label.fr, &a.label.en)))
        .collect();
    let intro = Introduction {
        kind,
        help: help_labels(&m.help_type),
        volunteer: Party { email: &v.0, first_name: &v.1, phone: v.2.as_deref(), locale: v.3 },
        requester: Party { email: &r.0, first_name: &r.1, phone: r.2.as_deref(), locale: r.3 },
        area: &area,
        request_details: &p.request.details,
        offer_details: &p.offer.details,
        availability: &p.offer.availability,
        children,
        distance_km: m.distance_km,
        confirm_url: &confirm_url,
        decline_url: &decline_url,
        closes_on: &day_of(closes_at),
    };
    // For a reminder, `sent` restarts (the reminder's own ledger is `reminder_sent`).
    let ledger = if kind == IntroKind::First { Ledger::Introduction } else { Ledger::Reminder };
    let mut sent: Vec<String> = if kind == IntroKind::First {
        m.sent.clone()
    } else {
        deps.store
            .get(&keys::matched(&m.id), now)
            .await?
            .and_then(|i| i.attrs.get(Ledger::Reminder.as_str()).cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    };
    for (side, member, to) in [("request", &p.requester, &intro.requester), ("offer", &p.volunteer, &intro.volunteer)] {
        if sent.iter().any(|s| s == side) {
            continue;
        }
        let (erase, _) = deps.links.issue(Purpose::Erase, &member.id, now, deps.config.expiry(now, MEMBER_TTL))?;
        let mail = intro.render_for(to, &deps.config.link_url(erase.as_str()));
        if let Err(e) = deps.mailer.send(&mail).await {
            warn!(match_id = %m.id, side, error = %e, "introduction copy not sent; a later run retries");
            let free = WriteOp::Update { key: keys::matched(&m.id), set: set([("lease_until", json!(0))]), cond: Cond::Live };
            let _ = deps.store.transact(vec![free], now).await;
            return Ok(Sent::Later);
        }
        sent.push(side.to_owned());
        let record = WriteOp::Update {
            key: keys::matched(&m.id),
            set: Map::from_iter([(ledger.as_str().to_owned(), json!(sent))]),
            cond: Cond::Live,
        };
        deps.store.transact(vec![record], now).await?;
    }
    if kind == IntroKind::Reminder {
        let done = WriteOp::Update {
            key: keys::matched(&m.id),
            set: set([("reminded_at", json!(now)), ("lease_until", json!(0))]),
            cond: Cond::Live,
        };
        deps.store.transact(vec![done], now).await?;
        info!(match_id = %m.id, "introduction reminder sent");
        return Ok(Sent::Done);
    }
    // Both have it: the match is introduced for 14 days, and everything it needs lives at least as long.
    let keep = deps.config.expiry(now, INTRO_TTL + DAY);
    let mut s = set([
        ("status", json!(MatchStatus::Introduced)),
        ("introduced_at", json!(now)),
        ("lease_until", json!(0)),
        (EXPIRES_AT, json!(keep)),
    ]);
    s.extend(index_attrs(MatchStatus::Introduced, now, &m.id));
    let mut ops = vec![WriteOp::Update {
        key: keys::matched(&m.id),
        set: s,
        cond: Cond::LiveWith(vec![("status".into(), json!(MatchStatus::Approved))]),
    }];
    let extend =
        |key: Key, current: UnixTime| WriteOp::Update { key, set: set([(EXPIRES_AT, json!(current.max(keep)))]), cond: Cond::Live };
    ops.push(extend(keys::request(&m.request_member_id, &m.request_id), p.request.expires_at));
    ops.push(extend(keys::offer(&m.offer_member_id, &m.offer_id), p.offer.expires_at));
    for n in 0..p.offer.postal_codes.len() {
        ops.push(extend(keys::offer_area(&m.offer_member_id, &m.offer_id, n), p.offer.expires_at));
    }
    for member in [&p.volunteer, &p.requester] {
        ops.push(extend(keys::member(&member.id), member.expires_at));
        ops.extend(member.keep_markers(member.expires_at.max(keep), now));
        ops.push(extend(keys::match_ref(&member.id, &m.id), keep));
    }
    ops.push(count(Metric::Introduced, m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "introduction sent to both");
    Ok(Sent::Done)
}
