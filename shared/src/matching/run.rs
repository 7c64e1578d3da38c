//! One matching run against the store: read open requests and the offers around them by key, assign,
//! and write each proposal under conditions.
//!
//! Safety under concurrency (two runs at once, a retried run, a moderator acting meanwhile) comes from
//! the store, not from luck: each proposal is one transaction that puts the match, moves the offer's
//! `active_matches` from the value the run read, k, to k + 1 (only if it is still k, and only if k + 1 is
//! within capacity), and moves the request from `open` to `proposed` (only if it is still open). A
//! proposal whose conditions fail is skipped; the next run sees the new state.

use super::assign::{self, ChildCare, Offer, Request};
use crate::deps::Deps;
use crate::domain::{PostalCode, Taxonomy};
use crate::error::{AppError, Refusal};
use crate::geo;
use crate::records::keys;
use crate::records::matched::{Match, MatchStatus, match_ref_item};
pub use crate::records::post::MAX_REQUESTS_PER_RUN;
use crate::records::post::RequestStatus;
use crate::records::post::{HelpRequest, OfferArea};
use crate::stats::{self, Metric};
use crate::store::{Cond, GSI1PK, GSI1SK, WriteOp, first_of_index};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;
use tracing::{info, warn};

/// The largest offer radius (km): the cells read around each request.
const MAX_RADIUS_KM: f64 = 50.0;

/// Cells read at once.
const CONCURRENT_CELLS: usize = 8;

/// What a run did; logged (no personal data) and returned by the local trigger.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct RunSummary {
    pub open_requests: usize,
    pub candidate_offers: usize,
    pub proposed: usize,
    /// Proposals whose conditions failed (another run or a moderator got there first).
    pub conflicts: usize,
    pub unserved: usize,
    pub cells_read: usize,
    /// Cells left for a later run (over the run's budget, [`crate::config::RunBudget`]).
    pub cells_deferred: usize,
    /// Open requests left for a later run because a cell near them was deferred.
    pub requests_deferred: usize,
    /// True if a help type had more open requests than one run reads (`requests_per_run` of
    /// [`crate::config::RunBudget`], the oldest first): the rest waits for the next run.
    pub request_backlog: bool,
    /// Introductions sent after the proposals (auto review, or approved by a moderator).
    pub introductions: crate::matches::introduce::IntroSummary,
    pub housekeeping: crate::matches::housekeeping::HousekeepingSummary,
    /// Day-7 reminders sent to the owners of unanswered contacts.
    pub contact_reminders: usize,
    pub ms: u64,
}

struct RequestRef {
    member_id: String,
    request: HelpRequest,
}

struct OfferRef {
    member_id: String,
    areas: usize,
    capacity: i64,
    active: i64,
    expires_at: i64,
}

/// Runs one matching pass over every help type.
pub async fn run(deps: &Deps) -> Result<RunSummary, AppError> {
    let started = Instant::now();
    let now = deps.clock.now();
    let mut summary = RunSummary::default();
    let help_types: Vec<String> = Taxonomy::get().help_types.iter().map(|h| h.code.clone()).collect();
    for help_type in &help_types {
        // The oldest first (the index is sorted by creation); the rest waits for the next run.
        let page =
            first_of_index(deps.store.as_ref(), &keys::open_requests(help_type), now, deps.config.run_budget.requests_per_run).await?;
        if page.next.is_some() {
            warn!(help_type = %help_type, read = page.items.len(), "more open requests than one run reads; the rest waits");
            summary.request_backlog = true;
        }
        let requests: Vec<RequestRef> = page
            .items
            .iter()
            .filter_map(|i| {
                let request: HelpRequest = i.parse().ok()?;
                (request.status == RequestStatus::Open).then(|| RequestRef { member_id: request.member_id.clone(), request })
            })
            .collect();
        if requests.is_empty() {
            continue;
        }
        summary.open_requests += requests.len();
        // Cells within the largest radius of any request: every offer that can reach one is there.
        let mut cells: Vec<String> = Vec::new();
        for r in &requests {
            if let Ok(code) = PostalCode::parse(&r.request.postal_code) {
                cells.extend(geo::cells_within(&code, MAX_RADIUS_KM));
            }
        }
        cells.sort_unstable();
        cells.dedup();
        summary.cells_read += cells.len();
        let (areas, mut deferred) = read_cells(deps, help_type, &cells, now).await?;
        // Volunteers who also mind children come after the others for groceries (docs/PRODUCT.md §4).
        let child_minders: HashSet<String> = if help_type == "child-care" {
            HashSet::new()
        } else {
            let (minders, late) = read_cells(deps, "child-care", &cells, now).await?;
            deferred.extend(late);
            minders.into_iter().map(|a| a.member_id).collect()
        };
        summary.cells_deferred += deferred.len();
        // A request near a cell that was not read waits: proposing it now could miss its nearest volunteer.
        let requests: Vec<RequestRef> = if deferred.is_empty() {
            requests
        } else {
            let before = requests.len();
            let kept: Vec<RequestRef> = requests
                .into_iter()
                .filter(|r| {
                    PostalCode::parse(&r.request.postal_code)
                        .map(|code| !geo::cells_within(&code, MAX_RADIUS_KM).iter().any(|c| deferred.contains(c)))
                        .unwrap_or(true)
                })
                .collect();
            summary.requests_deferred += before - kept.len();
            warn!(help_type = %help_type, cells = deferred.len(), requests = before - kept.len(), "cells too dense for this run; their requests wait");
            kept
        };
        // Group areas by offer (BTreeMap: offers in id order, for a deterministic run).
        let mut grouped: BTreeMap<String, (OfferRef, Offer)> = BTreeMap::new();
        for area in &areas {
            let Some(point) = PostalCode::parse(&area.postal_code).ok().and_then(|c| c.info().point) else { continue };
            let entry = grouped.entry(area.offer_id.clone()).or_insert_with(|| {
                (
                    OfferRef {
                        member_id: area.member_id.clone(),
                        areas: area.areas,
                        capacity: area.capacity,
                        active: area.active_matches,
                        expires_at: area.expires_at,
                    },
                    Offer {
                        id: area.offer_id.clone(),
                        help_type: area.help_type.clone(),
                        points: Vec::new(),
                        radius_km: area.radius_km as f64,
                        free: (area.capacity - area.active_matches).max(0) as u32,
                        child_care: area.child_care.as_ref().map(|c| ChildCare {
                            is_parent: c.is_parent,
                            has_experience: c.has_experience,
                            max_children: c.max_children as usize,
                            age_ranges: c.age_ranges.clone(),
                        }),
                        also_child_care: child_minders.contains(&area.member_id),
                    },
                )
            });
            entry.1.points.push(point);
        }
        let (mut refs, offers): (Vec<OfferRef>, Vec<Offer>) = grouped.into_values().unzip();
        summary.candidate_offers += offers.len();
        let mut requests = requests;
        requests.sort_by(|a, b| a.request.id.cmp(&b.request.id));
        let inputs: Vec<Request> = requests
            .iter()
            .filter_map(|r| {
                let point = PostalCode::parse(&r.request.postal_code).ok()?.info().point?;
                Some(Request {
                    id: r.request.id.clone(),
                    help_type: r.request.help_type.clone(),
                    point,
                    created_at: r.request.created_at,
                    children: r.request.children.clone(),
                })
            })
            .collect();
        let by_id: BTreeMap<&str, &RequestRef> = requests.iter().map(|r| (r.request.id.as_str(), r)).collect();
        // Declined and rejected pairs never come back, and nobody is proposed to themselves.
        let mut offers_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (r, o) in refs.iter().zip(&offers) {
            offers_of.entry(r.member_id.as_str()).or_default().push(o.id.as_str());
        }
        let mut blocked: HashSet<(String, String)> = HashSet::new();
        for r in &requests {
            for volunteer in r.request.blocked_volunteers.iter().chain(std::iter::once(&r.member_id)) {
                for offer_id in offers_of.get(volunteer.as_str()).into_iter().flatten() {
                    blocked.insert(((*offer_id).to_owned(), r.request.id.clone()));
                }
            }
        }
        let pairs = assign::assign(&offers, &inputs, &blocked);
        summary.unserved += inputs.len().saturating_sub(pairs.len());
        for pair in pairs {
            let request = by_id[inputs[pair.request].id.as_str()];
            match propose(deps, &offers[pair.offer], &refs[pair.offer], request, pair.distance_km, now).await {
                Ok(()) => {
                    summary.proposed += 1;
                    // The next proposal to this offer in the same run conditions on the new count.
                    refs[pair.offer].active += 1;
                }
                Err(e) if e.is_conflict() => summary.conflicts += 1,
                Err(e) => return Err(e),
            }
        }
    }
    summary.introductions = crate::matches::introduce::introduce_approved(deps).await?;
    summary.housekeeping = crate::matches::housekeeping::housekeeping(deps).await?;
    summary.contact_reminders = crate::contacts::housekeeping::remind_contacts(deps, deps.config.run_budget.matches_per_run).await?;
    summary.ms = started.elapsed().as_millis() as u64;
    info!(
        open_requests = summary.open_requests,
        candidate_offers = summary.candidate_offers,
        proposed = summary.proposed,
        conflicts = summary.conflicts,
        unserved = summary.unserved,
        cells_read = summary.cells_read,
        cells_deferred = summary.cells_deferred,
        requests_deferred = summary.requests_deferred,
        request_backlog = summary.request_backlog,
        introduced = summary.introductions.introduced,
        introductions_pending = summary.introductions.pending,
        released = summary.introductions.released,
        match_reminders = summary.housekeeping.match_reminders,
        closed = summary.housekeeping.closed,
        post_reminders = summary.housekeeping.post_reminders,
        contact_reminders = summary.contact_reminders,
        ms = summary.ms,
        "matching run"
    );
    Ok(summary)
}

/// The offer areas of one help type in `cells`, page by page and a few cells at once, within the run's
/// budgets; and the cells left for a later run.
async fn read_cells(deps: &Deps, help_type: &str, cells: &[String], now: i64) -> Result<(Vec<OfferArea>, HashSet<String>), AppError> {
    // Built first and owning what they read, so the stream holds no borrow of `cells`.
    let budget = deps.config.run_budget;
    let futures: Vec<_> = cells
        .iter()
        .map(|c| {
            let (store, pk, cell) = (deps.store.clone(), keys::offer_areas_in(help_type, c), c.clone());
            async move {
                let page = first_of_index(store.as_ref(), &pk, now, budget.areas_per_cell).await?;
                let areas: Vec<OfferArea> = page.items.iter().filter_map(|i| i.parse().ok()).collect();
                Ok::<_, AppError>((cell, areas, page.next.is_some()))
            }
        })
        .collect();
    let mut reads = futures::stream::iter(futures).buffered(CONCURRENT_CELLS);
    let (mut areas, mut deferred) = (Vec::new(), HashSet::new());
    while let Some(read) = reads.next().await {
        let (cell, found, more) = read?;
        if more || areas.len() + found.len() > budget.areas_per_run {
            deferred.insert(cell);
        } else {
            areas.extend(found);
        }
    }
    Ok((areas, deferred))
}

/// The status a new proposal starts in.
fn first_status(deps: &Deps) -> MatchStatus {
    match deps.config.review {
        crate::config::ReviewMode::Manual => MatchStatus::Proposed,
        crate::config::ReviewMode::Auto => MatchStatus::Approved,
    }
}

async fn propose(deps: &Deps, offer: &Offer, o: &OfferRef, r: &RequestRef, distance_km: f64, now: i64) -> Result<(), AppError> {
    let k = o.active;
    if k + 1 > o.capacity {
        return Err(Refusal::OfferFull.into());
    }
    let id = ulid::Ulid::generate().to_string();
    let status = first_status(deps);
    let department = PostalCode::parse(&r.request.postal_code).ok().map(|c| c.department().to_owned());
    let expires_at = r.request.expires_at.min(o.expires_at);
    let record = Match {
        id: id.clone(),
        offer_id: offer.id.clone(),
        offer_member_id: o.member_id.clone(),
        request_id: r.request.id.clone(),
        request_member_id: r.member_id.clone(),
        help_type: offer.help_type.clone(),
        distance_km: (distance_km * 100.0).round() / 100.0,
        status,
        department: department.clone(),
        created_at: now,
        expires_at,
        sent: Vec::new(),
        lease_until: 0,
        introduced_at: None,
        reminded_at: None,
    };
    let next = Map::from_iter([("active_matches".into(), json!(k + 1))]);
    let mut ops = vec![
        WriteOp::Put { item: record.to_item()?, cond: Cond::Absent },
        WriteOp::Update {
            key: keys::offer(&o.member_id, &offer.id),
            set: next.clone(),
            cond: Cond::LiveWith(vec![("active_matches".into(), json!(k))]),
        },
        WriteOp::Update {
            key: keys::request(&r.member_id, &r.request.id),
            set: Map::from_iter([
                ("status".into(), json!(RequestStatus::Proposed)),
                ("match_id".into(), json!(id)),
                (GSI1PK.into(), Value::Null),
                (GSI1SK.into(), Value::Null),
            ]),
            cond: Cond::LiveWith(vec![("status".into(), json!(RequestStatus::Open))]),
        },
    ];
    for n in 0..o.areas {
        ops.push(WriteOp::Update { key: keys::offer_area(&o.member_id, &offer.id, n), set: next.clone(), cond: Cond::Live });
    }
    // A reference in each member's partition, so export lists the match and erasure finds it.
    for member in [&o.member_id, &r.member_id] {
        ops.push(WriteOp::Put { item: match_ref_item(member, &id, expires_at), cond: Cond::Absent });
    }
    ops.push(stats::count(
        Metric::Proposed,
        &stats::Event {
            help_type: Some(&offer.help_type),
            department: department.as_deref(),
            distance_km: None,
            wait_secs: Some(now - r.request.created_at),
        },
        now,
    ));
    deps.store.transact(ops, now).await?;
    info!(match_id = %id, offer_id = %offer.id, request_id = %r.request.id, "match proposed");
    Ok(())
}
