//! Help offers and help requests (docs/PRODUCT.md §2.1 steps 1–2).

use super::{Created, MAX_CHILDREN, MAX_DETAILS, MAX_POSTAL_CODES, record, save_post};
use crate::clock::{UnixTime, rfc3339};
use crate::deps::Deps;
use crate::domain::{AgeRange, HelpType, bounded, postal, radius, text};
use crate::error::AppError;
use crate::geo;
use crate::records::keys;
use crate::records::member::Member;
use crate::records::post::OfferStatus;
use crate::records::post::RequestStatus;
use crate::records::post::{ChildCareOffer, HelpOffer, HelpRequest, OfferArea, POST_TTL};
use crate::stats::{self, Metric};
use crate::store::{Cond, GSI1PK, GSI1SK, Item, WriteOp};
use serde::Deserialize;
use serde_json::json;
use tracing::info;

/// A help offer as posted (`kind: "help"` on `POST /api/offers`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHelpOffer {
    #[allow(dead_code)]
    kind: String,
    pub help_type: String,
    pub postal_codes: Vec<String>,
    pub radius_km: Option<i64>,
    pub capacity: Option<i64>,
    pub availability: Option<String>,
    pub details: Option<String>,
    pub child_care: Option<NewChildCareOffer>,
}

/// What a child-care volunteer says about the children they can mind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChildCareOffer {
    pub is_parent: bool,
    pub has_experience: bool,
    pub max_children: i64,
    pub age_ranges: Vec<String>,
}

/// A help request as posted (`kind: "help"` on `POST /api/requests`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHelpRequest {
    #[allow(dead_code)]
    kind: String,
    pub help_type: String,
    pub postal_code: String,
    pub details: Option<String>,
    pub children: Option<Vec<String>>,
}

pub(crate) fn age_ranges(raw: &[String], field: &str) -> Result<Vec<String>, AppError> {
    if raw.is_empty() || raw.len() > MAX_CHILDREN {
        return Err(AppError::invalid("invalid_age_ranges", field, "give one to six age ranges"));
    }
    raw.iter()
        .enumerate()
        .map(|(i, r)| AgeRange::parse(r).map(|a| a.as_str().to_owned()).map_err(|e| e.at(&format!("{field}[{i}]"))))
        .collect()
}

/// A help offer: its areas (one item per postal code, indexed by cell for the run) and its day counter, in one
/// transaction with the member's open-post limit.
pub(crate) async fn post_help_offer(deps: &Deps, member: &Member, b: NewHelpOffer, now: UnixTime) -> Result<Created, AppError> {
    let help_type = HelpType::parse(&b.help_type).map_err(|e| e.at("help_type"))?;
    if b.postal_codes.is_empty() || b.postal_codes.len() > MAX_POSTAL_CODES {
        return Err(AppError::invalid("invalid_postal_codes", "postal_codes", "give one to three postal codes"));
    }
    let mut codes = Vec::new();
    for (i, raw) in b.postal_codes.iter().enumerate() {
        let code = postal(raw, &format!("postal_codes[{i}]"))?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let radius_km = radius(b.radius_km, 5, 50)?;
    let capacity = bounded(b.capacity.unwrap_or(1), 1, 10, "invalid_capacity", "the capacity must be between 1 and 10")
        .map_err(|e| e.at("capacity"))?;
    let child_care = match (help_type.is_child_care(), b.child_care) {
        (true, Some(c)) => {
            let max_children = bounded(c.max_children, 1, MAX_CHILDREN as i64, "invalid_max_children", "between 1 and 6 children")
                .map_err(|e| e.at("child_care.max_children"))?;
            let ranges = age_ranges(&c.age_ranges, "child_care.age_ranges")?;
            Some(ChildCareOffer { is_parent: c.is_parent, has_experience: c.has_experience, max_children, age_ranges: ranges })
        }
        (true, None) => {
            return Err(AppError::invalid("child_care_required", "child_care", "child care offers say which children they can mind"));
        }
        (false, Some(_)) => {
            return Err(AppError::invalid("child_care_not_applicable", "child_care", "only child care offers have child-care details"));
        }
        (false, None) => None,
    };
    let offer = HelpOffer {
        id: ulid::Ulid::generate().to_string(),
        member_id: member.id.clone(),
        help_type: help_type.as_str().to_owned(),
        postal_codes: codes.iter().map(|c| c.as_str().to_owned()).collect(),
        radius_km,
        capacity,
        availability: text(b.availability.as_deref(), "availability", 0, 200)?,
        details: text(b.details.as_deref(), "details", 0, MAX_DETAILS)?,
        child_care,
        status: OfferStatus::Open,
        active_matches: 0,
        reminded_at: 0,
        created_at: now,
        expires_at: deps.config.expiry(now, POST_TTL),
    };
    let mut attrs = record("offer", "help", &offer)?;
    // Indexed by the day its "keep it open" reminder is due, so housekeeping finds it by key.
    attrs.insert(GSI1PK.into(), json!(crate::records::post::reminder_partition(offer.expires_at)));
    attrs.insert(GSI1SK.into(), json!(offer.id));
    let item = Item::new(keys::offer(&member.id, &offer.id), attrs);
    let mut areas = Vec::new();
    for (n, code) in codes.iter().enumerate() {
        let area = OfferArea {
            offer_id: offer.id.clone(),
            member_id: member.id.clone(),
            help_type: offer.help_type.clone(),
            postal_code: code.as_str().to_owned(),
            areas: codes.len(),
            radius_km: offer.radius_km,
            capacity: offer.capacity,
            active_matches: 0,
            child_care: offer.child_care.clone(),
            expires_at: offer.expires_at,
        };
        let mut attrs = record("offer_area", "help", &area)?;
        attrs.insert(GSI1PK.into(), json!(keys::offer_areas_in(&offer.help_type, &geo::cell_of(code))));
        attrs.insert(GSI1SK.into(), json!(keys::area_order(&offer.id, n)));
        areas.push(WriteOp::Put { item: Item::new(keys::offer_area(&member.id, &offer.id, n), attrs), cond: Cond::Absent });
    }
    let event = stats::Event { help_type: Some(&offer.help_type), department: Some(codes[0].department()), ..Default::default() };
    areas.push(stats::count(Metric::Offered, &event, now));
    save_post(deps, member, item, offer.expires_at, now, areas).await?;
    info!(offer_id = %offer.id, kind = "help", "offer posted");
    Ok(Created { id: offer.id, kind: "help", status: offer.status.as_str(), expires_at: rfc3339(offer.expires_at) })
}

/// A help request, indexed as open by help type, oldest first, for the matching run.
pub(crate) async fn post_help_request(deps: &Deps, member: &Member, b: NewHelpRequest, now: UnixTime) -> Result<Created, AppError> {
    let help_type = HelpType::parse(&b.help_type).map_err(|e| e.at("help_type"))?;
    let code = postal(&b.postal_code, "postal_code")?;
    let children = match (help_type.is_child_care(), b.children) {
        (true, Some(c)) if !c.is_empty() && c.len() <= MAX_CHILDREN => age_ranges(&c, "children")?,
        (true, _) => {
            return Err(AppError::invalid("invalid_children", "children", "give one age range per child, one to six children"));
        }
        (false, Some(c)) if !c.is_empty() => {
            return Err(AppError::invalid("children_not_applicable", "children", "only child care requests list children"));
        }
        (false, _) => Vec::new(),
    };
    let request = HelpRequest {
        id: ulid::Ulid::generate().to_string(),
        member_id: member.id.clone(),
        help_type: help_type.as_str().to_owned(),
        postal_code: code.as_str().to_owned(),
        details: text(b.details.as_deref(), "details", 0, MAX_DETAILS)?,
        children,
        status: RequestStatus::Open,
        match_id: None,
        blocked_volunteers: Vec::new(),
        reminded_at: 0,
        created_at: now,
        expires_at: deps.config.expiry(now, POST_TTL),
    };
    let mut attrs = record("request", "help", &request)?;
    // Open requests are indexed by help type, oldest first, for the matching run.
    attrs.insert(GSI1PK.into(), json!(keys::open_requests(&request.help_type)));
    attrs.insert(GSI1SK.into(), json!(keys::open_request_order(request.created_at, &request.id)));
    let item = Item::new(keys::request(&member.id, &request.id), attrs);
    let event = stats::Event { help_type: Some(&request.help_type), department: Some(code.department()), ..Default::default() };
    save_post(deps, member, item, request.expires_at, now, vec![stats::count(Metric::Requested, &event, now)]).await?;
    info!(request_id = %request.id, kind = "help", "request posted");
    Ok(Created { id: request.id, kind: "help", status: request.status.as_str(), expires_at: rfc3339(request.expires_at) })
}
