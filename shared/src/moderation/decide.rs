//! A moderator's decision on a proposed match or a pending perk.

use super::{ContactDecision, Decision, Outcome};
use crate::deps::Deps;
use crate::error::{AppError, Decided, Missing, Refusal};
use crate::mail::templates::IntroKind;
use crate::matches::introduce::{Sent, introduce};
use crate::matches::release::{count, release_ops};
use crate::matches::{load_match, set};
use crate::records::keys;
use crate::records::load;
use crate::records::matched::MatchStatus;
use crate::records::matched::{Match, index_attrs};
use crate::records::member::Member;
use crate::records::perk::PerkStatus;
use crate::records::perk::{Perk, perk_key};
use crate::stats::Metric;
use crate::store::{Cond, GSI1PK, GSI1SK, StoreError, WriteOp};
use serde_json::json;
use tracing::{info, warn};

/// `POST /api/moderation/matches/{id}`: approve (the introduction goes out now) or reject (the request
/// goes back to the open index; this pair never comes back). Returns the match's new status.
pub async fn decide_match(deps: &Deps, moderator: &Member, id: &str, decision: Decision) -> Result<Outcome, AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let not_found = || AppError::from(Refusal::NotFound(Missing::ProposedMatch));
    let m = load_match(deps, id, now).await?.ok_or_else(not_found)?;
    if m.status != MatchStatus::Proposed {
        return Err(Refusal::AlreadyDecided(Decided::Match).into());
    }
    let only_if_proposed = Cond::LiveWith(vec![("status".into(), json!(MatchStatus::Proposed))]);
    match decision {
        Decision::Approve => {
            let mut s = set([("status", json!(MatchStatus::Approved))]);
            s.extend(index_attrs(MatchStatus::Approved, now, &m.id));
            deps.store.transact(vec![WriteOp::Update { key: keys::matched(id), set: s, cond: only_if_proposed }], now).await.map_err(
                |e| match e {
                    StoreError::Conflict => AppError::from(Refusal::AlreadyDecided(Decided::Match)),
                    e => e.into(),
                },
            )?;
            info!(match_id = %id, moderator_id = %moderator.id, "match approved");
            // Introduce now rather than at the next run; if it fails, the next run does it.
            let approved = Match { status: MatchStatus::Approved, ..m };
            match introduce(deps, &approved, IntroKind::First, now).await {
                Ok(Sent::Done) => Ok(Outcome::Introduced),
                Ok(Sent::Released) => Ok(Outcome::Released),
                Ok(Sent::Later) => Ok(Outcome::Approved),
                Err(e) => {
                    warn!(match_id = %id, error = %e, "introduction not sent; the next run retries");
                    Ok(Outcome::Approved)
                }
            }
        }
        Decision::Reject => {
            let mut ops = release_ops(deps, &m, now, true, None).await?;
            ops.push(WriteOp::Delete { key: keys::matched(id), cond: only_if_proposed });
            ops.push(count(Metric::Rejected, &m, now));
            deps.store.transact(ops, now).await?;
            info!(match_id = %id, moderator_id = %moderator.id, "match rejected; request reopened");
            Ok(Outcome::Rejected)
        }
    }
}

/// `POST /api/moderation/perks/{id}`: approve (listed in the directory) or reject (deleted).
pub async fn decide_perk(deps: &Deps, moderator: &Member, id: &str, decision: Decision) -> Result<Outcome, AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let key = perk_key(id);
    let perk: Perk = load(deps, &key, now).await?.ok_or(Refusal::NotFound(Missing::PendingPerk))?;
    if perk.status != PerkStatus::Pending {
        return Err(Refusal::AlreadyDecided(Decided::Perk).into());
    }
    let cond = Cond::LiveWith(vec![("status".into(), json!(PerkStatus::Pending))]);
    let mut ops = Vec::new();
    let outcome = match decision {
        Decision::Approve => {
            let code = crate::domain::PostalCode::parse(&perk.postal_code)
                .map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))?;
            let mut s = set([("status", json!(PerkStatus::Approved))]);
            s.insert(GSI1PK.into(), json!(keys::CellIndex::Perks.partition(&crate::geo::cell_of(&code))));
            s.insert(GSI1SK.into(), json!(keys::located_order(code.as_str(), &perk.id)));
            ops.push(WriteOp::Update { key, set: s, cond });
            Outcome::Approved
        }
        Decision::Reject => {
            ops.push(WriteOp::Delete { key, cond });
            if let Some(by) = &perk.submitted_by {
                ops.push(WriteOp::Delete { key: keys::perk_ref(by, id), cond: Cond::Always });
            }
            Outcome::Rejected
        }
    };
    deps.store.transact(ops, now).await.map_err(|e| match e {
        StoreError::Conflict => AppError::from(Refusal::AlreadyDecided(Decided::Perk)),
        e => e.into(),
    })?;
    info!(perk_id = %id, moderator_id = %moderator.id, ?outcome, "perk decided");
    Ok(outcome)
}

/// `POST /api/moderation/contacts/{id}`: dismiss a report (the contact waits for the owner's answer
/// again) or suspend the sender (the contact goes, with every other message of theirs not yet accepted;
/// the sender can contact nobody for a year).
pub async fn decide_contact(deps: &Deps, moderator: &Member, id: &str, decision: ContactDecision) -> Result<Outcome, AppError> {
    use crate::records::contact::{Contact, ContactStatus};
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let c: Contact = load(deps, &keys::contact(id), now).await?.ok_or(Refusal::NotFound(Missing::ReportedContact))?;
    if c.status != ContactStatus::Reported {
        return Err(Refusal::AlreadyDecided(Decided::Contact).into());
    }
    let cond = Cond::LiveWith(vec![("status".into(), json!(ContactStatus::Reported))]);
    let (ops, outcome) = match decision {
        ContactDecision::Dismiss => {
            let mut s = set([("status", json!(ContactStatus::Sent))]);
            s.extend(crate::records::contact::index_attrs(ContactStatus::Sent, c.created_at, &c.id));
            (vec![WriteOp::Update { key: keys::contact(id), set: s, cond }], Outcome::Dismissed)
        }
        ContactDecision::Suspend => {
            let mut ops = vec![WriteOp::Delete { key: keys::contact(id), cond }];
            ops.extend(c.ref_keys().map(|key| WriteOp::Delete { key, cond: Cond::Always }));
            let marker = set([("entity", json!("suspension")), (crate::store::EXPIRES_AT, json!(now + crate::contacts::SUSPENSION_TTL))]);
            ops.push(WriteOp::Put { item: crate::store::Item::new(keys::suspended(&c.sender_id), marker), cond: Cond::Always });
            (ops, Outcome::Suspended)
        }
    };
    deps.store.transact(ops, now).await.map_err(|e| match e {
        StoreError::Conflict => AppError::from(Refusal::AlreadyDecided(Decided::Contact)),
        e => e.into(),
    })?;
    // A suspended sender's other messages that no owner has accepted yet go too.
    if outcome == Outcome::Suspended {
        let withdrawn = crate::contacts::withdraw_waiting(deps, &c.sender_id, now).await?;
        info!(withdrawn, "a suspended sender's waiting contacts withdrawn");
    }
    info!(contact_id = %id, moderator_id = %moderator.id, ?outcome, "reported contact decided");
    Ok(outcome)
}
