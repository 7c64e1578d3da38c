//! What people offer and ask for (docs/PRODUCT.md §2): help offers and requests, listings for organisations,
//! and perks referenced by members for the business directory.
//!
//! Invariants:
//! - help offers/requests and listings live in their member's partition (`MEMBER#id`, `OFFER#…` or
//!   `REQUEST#…`), so export and erasure find them with one query; they expire after 30 days and keep
//!   their member alive at least that long;
//! - a perk is business data, not personal data: it lives in its own partition (`PERK#id`) so the
//!   directory outlives the member who referenced it; the member keeps a reference (`MEMBER#id`,
//!   `PERK#…`), and erasure removes the link between the two (`submitted_by`);
//! - only approved perks and published listings are in the secondary index, under their geographic cell
//!   ([`crate::geo`]), which is how searches read by key;
//! - every write is one transaction; a member has at most [`MAX_OPEN_POSTS`] open offers and requests.

use crate::clock::{DAY, UnixTime, parse_rfc3339, rfc3339};
use crate::config::ReviewMode;
use crate::deps::Deps;
use crate::domain::{AgeRange, BusinessCategory, Community, HelpType, ListingDomain, PostalCode, Text, bounded};
use crate::error::AppError;
use crate::geo;
use crate::http;
use crate::members::Member;
use crate::search::{GeoQuery, display_km, geo_search};
use crate::stats::{self, Metric};
use crate::store::{Cond, ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, WriteOp, keys};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tracing::{info, instrument};

/// How long an offer or a request stays open.
pub const POST_TTL: i64 = 30 * DAY;
/// How long a perk without an end date stays listed.
pub const PERK_TTL: i64 = 365 * DAY;
/// Open offers and requests per member (abuse guard).
pub const MAX_OPEN_POSTS: usize = 20;
pub const MAX_DETAILS: usize = 1_000;
pub const MAX_POSTAL_CODES: usize = 3;
pub const MAX_CHILDREN: usize = 6;

/// Which side of an exchange a post is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Offer,
    Request,
}

impl Side {
    fn sk_prefix(self) -> &'static str {
        match self {
            Side::Offer => "OFFER#",
            Side::Request => "REQUEST#",
        }
    }
    fn entity(self) -> &'static str {
        match self {
            Side::Offer => "offer",
            Side::Request => "request",
        }
    }
}

// ---------- bodies, as received ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelpOfferBody {
    #[allow(dead_code)]
    kind: String,
    help_type: String,
    postal_codes: Vec<String>,
    radius_km: Option<i64>,
    capacity: Option<i64>,
    availability: Option<String>,
    details: Option<String>,
    child_care: Option<ChildCareOfferBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildCareOfferBody {
    is_parent: bool,
    has_experience: bool,
    max_children: i64,
    age_ranges: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelpRequestBody {
    #[allow(dead_code)]
    kind: String,
    help_type: String,
    postal_code: String,
    details: Option<String>,
    children: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingBody {
    #[allow(dead_code)]
    kind: String,
    domain: String,
    postal_code: String,
    radius_km: Option<i64>,
    title: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerkBody {
    #[allow(dead_code)]
    kind: String,
    business_name: String,
    address: Option<String>,
    postal_code: String,
    category: String,
    perk: String,
    communities: Vec<String>,
    quantity: Option<i64>,
    ends_on: Option<String>,
}

// ---------- records, as stored ----------

/// Child-care details of a help offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChildCareOffer {
    pub is_parent: bool,
    pub has_experience: bool,
    pub max_children: i64,
    pub age_ranges: Vec<String>,
}

/// A help offer (groceries, child care…).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelpOffer {
    pub id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_codes: Vec<String>,
    pub radius_km: i64,
    pub capacity: i64,
    pub availability: String,
    pub details: String,
    pub child_care: Option<ChildCareOffer>,
    pub status: String,
    /// Matches proposed or introduced and not yet closed; never above `capacity` (conditional writes).
    #[serde(default)]
    pub active_matches: i64,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// One postal code of a help offer, as the matching run reads it (a copy of what the run needs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfferArea {
    pub offer_id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_code: String,
    /// How many areas the offer has (to update every copy of `active_matches`).
    pub areas: usize,
    pub radius_km: i64,
    pub capacity: i64,
    pub active_matches: i64,
    pub child_care: Option<ChildCareOffer>,
    pub expires_at: UnixTime,
}

/// A help request; child care lists one age range per child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelpRequest {
    pub id: String,
    pub member_id: String,
    pub help_type: String,
    pub postal_code: String,
    pub details: String,
    pub children: Vec<String>,
    /// `open` (in the matching index) or `proposed` (part of a match).
    pub status: String,
    /// The match this request is part of, while `proposed`.
    #[serde(default)]
    pub match_id: Option<String>,
    /// Volunteers (member ids) this request must never be proposed to again: declined or rejected pairs.
    #[serde(default)]
    pub blocked_volunteers: Vec<String>,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A listing: skills offered to organisations, or an organisation's need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listing {
    pub id: String,
    pub member_id: String,
    pub side: Side,
    pub domain: String,
    pub postal_code: String,
    pub radius_km: i64,
    pub title: String,
    pub text: String,
    pub status: String,
    /// When the day-25 "keep it open" reminder went out; 0 until then (a value a condition can compare).
    #[serde(default)]
    pub reminded_at: UnixTime,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A business with a perk for the community.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Perk {
    pub id: String,
    /// The member who referenced it; removed when that member's data is erased.
    #[serde(default)]
    pub submitted_by: Option<String>,
    pub business_name: String,
    pub address: String,
    pub postal_code: String,
    pub category: String,
    pub perk: String,
    pub communities: Vec<String>,
    pub quantity: Option<i64>,
    pub ends_on: Option<String>,
    /// `pending` (waiting for a moderator) or `approved` (listed).
    pub status: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// What a successful post answers: `201 {id, kind, status, expires_at}`.
#[derive(Debug, Serialize)]
pub struct Created {
    pub id: String,
    pub kind: &'static str,
    pub status: String,
    pub expires_at: String,
}

fn record<T: Serialize>(entity: &str, kind: &str, value: &T) -> Result<Map<String, Value>, AppError> {
    let mut map = match serde_json::to_value(value).map_err(AppError::unexpected)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.insert(ENTITY.into(), json!(entity));
    map.insert("kind".into(), json!(kind));
    Ok(map)
}

fn kind_of(body: &Value) -> Result<String, AppError> {
    match body.get("kind") {
        None => Err(AppError::bad_request("missing_field", Some("kind".into()), "this field is required")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(AppError::bad_request("invalid_type", Some("kind".into()), "this field has the wrong type")),
    }
}

fn text(raw: Option<&str>, field: &str, min: usize, max: usize) -> Result<String, AppError> {
    Ok(Text::parse(raw.unwrap_or(""), min, max).map_err(|e| e.at(field))?.as_str().to_owned())
}

fn postal(raw: &str, field: &str) -> Result<PostalCode, AppError> {
    PostalCode::parse(raw).map_err(|e| e.at(field))
}

fn radius(raw: Option<i64>, default: i64, max: i64) -> Result<i64, AppError> {
    bounded(raw.unwrap_or(default), 1, max, "invalid_radius", "the radius must be between 1 and the maximum allowed km")
        .map_err(|e| e.at("radius_km"))
}

/// Index attributes of a listed item: its geographic cell.
fn index_attrs(map: &mut Map<String, Value>, prefix: &str, code: &PostalCode, id: &str) {
    map.insert(GSI1PK.into(), json!(format!("{prefix}#{}", geo::cell_of(code))));
    map.insert(GSI1SK.into(), json!(id));
}

/// `POST /api/offers`: a help offer, a listing or a perk, by `kind`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn post_offer(deps: &Deps, member: &Member, body: Value) -> Result<Created, AppError> {
    let now = deps.clock.now();
    refuse_after_sunset(deps, now)?;
    match kind_of(&body)?.as_str() {
        "help" => {
            let b: HelpOfferBody = http::from_value(body)?;
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
                    return Err(AppError::invalid(
                        "child_care_required",
                        "child_care",
                        "child care offers say which children they can mind",
                    ));
                }
                (false, Some(_)) => {
                    return Err(AppError::invalid(
                        "child_care_not_applicable",
                        "child_care",
                        "only child care offers have child-care details",
                    ));
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
                status: "open".into(),
                active_matches: 0,
                reminded_at: 0,
                created_at: now,
                expires_at: deps.config.expiry(now, POST_TTL),
            };
            let mut attrs = record("offer", "help", &offer)?;
            // Indexed by the day its "keep it open" reminder is due, so housekeeping finds it by key.
            attrs.insert(GSI1PK.into(), json!(crate::review::reminder_partition(offer.expires_at)));
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
                attrs.insert(GSI1SK.into(), json!(format!("{}#{n}", offer.id)));
                areas.push(WriteOp::Put { item: Item::new(keys::offer_area(&member.id, &offer.id, n), attrs), cond: Cond::Absent });
            }
            let event = stats::Event { help_type: Some(&offer.help_type), department: Some(codes[0].department()), ..Default::default() };
            areas.push(stats::count(Metric::Offered, &event, now));
            save_post(deps, member, item, offer.expires_at, now, areas).await?;
            info!(offer_id = %offer.id, kind = "help", "offer posted");
            Ok(Created { id: offer.id, kind: "help", status: offer.status, expires_at: rfc3339(offer.expires_at) })
        }
        "listing" => post_listing(deps, member, Side::Offer, body, now).await,
        "perk" => post_perk(deps, member, body, now).await,
        _ => Err(AppError::invalid("invalid_kind", "kind", "kind must be help, listing or perk")),
    }
}

/// `POST /api/requests`: a help request or an organisation's need (a listing), by `kind`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn post_request(deps: &Deps, member: &Member, body: Value) -> Result<Created, AppError> {
    let now = deps.clock.now();
    refuse_after_sunset(deps, now)?;
    match kind_of(&body)?.as_str() {
        "help" => {
            let b: HelpRequestBody = http::from_value(body)?;
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
                status: "open".into(),
                match_id: None,
                blocked_volunteers: Vec::new(),
                reminded_at: 0,
                created_at: now,
                expires_at: deps.config.expiry(now, POST_TTL),
            };
            let mut attrs = record("request", "help", &request)?;
            // Open requests are indexed by help type, oldest first, for the matching run.
            attrs.insert(GSI1PK.into(), json!(keys::open_requests(&request.help_type)));
            attrs.insert(GSI1SK.into(), json!(format!("{:012}#{}", request.created_at, request.id)));
            let item = Item::new(keys::request(&member.id, &request.id), attrs);
            let event = stats::Event { help_type: Some(&request.help_type), department: Some(code.department()), ..Default::default() };
            save_post(deps, member, item, request.expires_at, now, vec![stats::count(Metric::Requested, &event, now)]).await?;
            info!(request_id = %request.id, kind = "help", "request posted");
            Ok(Created { id: request.id, kind: "help", status: request.status, expires_at: rfc3339(request.expires_at) })
        }
        "listing" => post_listing(deps, member, Side::Request, body, now).await,
        _ => Err(AppError::invalid("invalid_kind", "kind", "kind must be help or listing")),
    }
}

fn refuse_after_sunset(deps: &Deps, now: UnixTime) -> Result<(), AppError> {
    if deps.config.is_sunset(now) {
        return Err(AppError::gone("platform_closed", "the platform has closed; no data is collected any more"));
    }
    Ok(())
}

fn age_ranges(raw: &[String], field: &str) -> Result<Vec<String>, AppError> {
    if raw.is_empty() || raw.len() > MAX_CHILDREN {
        return Err(AppError::invalid("invalid_age_ranges", field, "give one to six age ranges"));
    }
    raw.iter()
        .enumerate()
        .map(|(i, r)| AgeRange::parse(r).map(|a| a.as_str().to_owned()).map_err(|e| e.at(&format!("{field}[{i}]"))))
        .collect()
}

async fn post_listing(deps: &Deps, member: &Member, side: Side, body: Value, now: UnixTime) -> Result<Created, AppError> {
    let b: ListingBody = http::from_value(body)?;
    let domain = ListingDomain::parse(&b.domain).map_err(|e| e.at("domain"))?;
    let code = postal(&b.postal_code, "postal_code")?;
    let listing = Listing {
        id: ulid::Ulid::generate().to_string(),
        member_id: member.id.clone(),
        side,
        domain: domain.as_str().to_owned(),
        postal_code: code.as_str().to_owned(),
        radius_km: radius(b.radius_km, 20, 100)?,
        title: text(Some(&b.title), "title", 3, 120)?,
        text: text(Some(&b.text), "text", 10, MAX_DETAILS)?,
        status: "published".into(),
        reminded_at: 0,
        created_at: now,
        expires_at: deps.config.expiry(now, POST_TTL),
    };
    let mut attrs = record(side.entity(), "listing", &listing)?;
    // The search reads a copy indexed by place; the listing itself is indexed by its reminder day.
    let mut copy = attrs.clone();
    index_attrs(&mut copy, "LISTING", &code, &listing.id);
    let listed = WriteOp::Put { item: Item::new(keys::listed(&member.id, &listing.id), copy), cond: Cond::Absent };
    attrs.insert(GSI1PK.into(), json!(crate::review::reminder_partition(listing.expires_at)));
    attrs.insert(GSI1SK.into(), json!(listing.id));
    let item = Item::new(Key::new(keys::member_pk(&member.id), format!("{}{}", side.sk_prefix(), listing.id)), attrs);
    save_post(deps, member, item, listing.expires_at, now, vec![listed]).await?;
    info!(listing_id = %listing.id, side = side.entity(), "listing published");
    Ok(Created { id: listing.id, kind: "listing", status: listing.status, expires_at: rfc3339(listing.expires_at) })
}

/// Writes a post (with `extra` items such as its areas) and keeps its member (and e-mail marker) alive
/// at least as long, in one transaction.
async fn save_post(
    deps: &Deps,
    member: &Member,
    item: Item,
    expires_at: UnixTime,
    now: UnixTime,
    extra: Vec<WriteOp>,
) -> Result<(), AppError> {
    let open = deps.store.query_prefix(&keys::member_pk(&member.id), "OFFER#", now, MAX_OPEN_POSTS + 1).await?.len()
        + deps.store.query_prefix(&keys::member_pk(&member.id), "REQUEST#", now, MAX_OPEN_POSTS + 1).await?.len();
    if open >= MAX_OPEN_POSTS {
        return Err(AppError::Conflict {
            code: "too_many_open",
            message: "you already have 20 open offers and requests; withdraw one first".into(),
        });
    }
    let keep = member.expires_at.max(expires_at);
    let mut ops = extra;
    ops.extend([
        WriteOp::Put { item, cond: Cond::Absent },
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(keep)), ("revision".into(), json!(member.revision + 1))]),
            cond: Cond::Live,
        },
        WriteOp::Update {
            key: keys::email_marker(&member.email_hash),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(keep))]),
            cond: Cond::Live,
        },
    ]);
    deps.store.transact(ops, now).await?;
    Ok(())
}

async fn post_perk(deps: &Deps, member: &Member, body: Value, now: UnixTime) -> Result<Created, AppError> {
    let b: PerkBody = http::from_value(body)?;
    let code = postal(&b.postal_code, "postal_code")?;
    let category = BusinessCategory::parse(&b.category).map_err(|e| e.at("category"))?;
    if b.communities.is_empty() {
        return Err(AppError::invalid("invalid_communities", "communities", "say which communities the perk is for"));
    }
    let mut communities = Vec::new();
    for (i, c) in b.communities.iter().enumerate() {
        let c = Community::parse(c).map_err(|e| e.at(&format!("communities[{i}]")))?.as_str().to_owned();
        if !communities.contains(&c) {
            communities.push(c);
        }
    }
    let quantity = match b.quantity {
        Some(q) => {
            Some(bounded(q, 1, 100_000, "invalid_quantity", "the quantity must be between 1 and 100000").map_err(|e| e.at("quantity"))?)
        }
        None => None,
    };
    let (ends_on, expires_at) = match b.ends_on.as_deref() {
        Some(d) => {
            let day = match parse_rfc3339(d) {
                Some(t) if d.len() == 10 => t,
                _ => return Err(AppError::invalid("invalid_date", "ends_on", "expected a date such as 2027-03-31")),
            };
            // The perk is valid through its last day.
            let end = day + DAY;
            if end <= now || end > now + PERK_TTL {
                return Err(AppError::invalid("invalid_date", "ends_on", "the end date must be within the next year"));
            }
            (Some(d.to_owned()), deps.config.expiry(now, end - now))
        }
        None => (None, deps.config.expiry(now, PERK_TTL)),
    };
    let approved = deps.config.review == ReviewMode::Auto;
    let perk = Perk {
        id: ulid::Ulid::generate().to_string(),
        submitted_by: Some(member.id.clone()),
        business_name: text(Some(&b.business_name), "business_name", 2, 120)?,
        address: text(b.address.as_deref(), "address", 0, 200)?,
        postal_code: code.as_str().to_owned(),
        category: category.as_str().to_owned(),
        perk: text(Some(&b.perk), "perk", 3, 300)?,
        communities,
        quantity,
        ends_on,
        status: if approved { "approved" } else { "pending" }.into(),
        created_at: now,
        expires_at,
    };
    let mut attrs = record("perk", "perk", &perk)?;
    if approved {
        index_attrs(&mut attrs, "PERK", &code, &perk.id);
    } else {
        // Waiting for a moderator: in the review queue's index partition.
        attrs.insert(GSI1PK.into(), json!(keys::PENDING_PERKS));
        attrs.insert(GSI1SK.into(), json!(perk.id));
    }
    let reference = Map::from_iter([
        (ENTITY.into(), json!("perk_ref")),
        ("perk_id".into(), json!(perk.id)),
        (EXPIRES_AT.into(), json!(perk.expires_at)),
    ]);
    let ops = vec![
        WriteOp::Put { item: Item::new(perk_key(&perk.id), attrs), cond: Cond::Absent },
        WriteOp::Put { item: Item::new(Key::new(keys::member_pk(&member.id), format!("PERK#{}", perk.id)), reference), cond: Cond::Absent },
        WriteOp::Check { key: keys::member(&member.id), cond: Cond::Live },
    ];
    deps.store.transact(ops, now).await?;
    info!(perk_id = %perk.id, status = %perk.status, "perk referenced");
    Ok(Created { id: perk.id, kind: "perk", status: perk.status, expires_at: rfc3339(perk.expires_at) })
}

pub fn perk_key(id: &str) -> Key {
    Key::new(format!("PERK#{id}"), "PERK")
}

/// `DELETE /api/offers/{id}` and `DELETE /api/requests/{id}`: the member's own post (or perk) goes.
/// Someone else's id, or one that does not exist, is `404 not_found` (existence is not revealed).
#[instrument(skip_all, fields(member_id = %member.id, post_id = %id))]
pub async fn withdraw(deps: &Deps, member: &Member, side: Side, id: &str) -> Result<(), AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let pk = keys::member_pk(&member.id);
    let own = Key::new(pk.clone(), format!("{}{id}", side.sk_prefix()));
    if let Some(post) = deps.store.get(&own, now).await? {
        // Its matches go first, releasing the other party (their request reopens, or their offer gets
        // its capacity back), one transaction each.
        for r in deps.store.query_prefix(&pk, "MATCH#", now, crate::members::MAX_MEMBER_ITEMS).await? {
            let Some(item) = deps.store.get(&keys::matched(&r.key.sk["MATCH#".len()..]), now).await? else { continue };
            let m: crate::review::Match = item.parse()?;
            let mine = match side {
                Side::Offer => m.offer_id == id,
                Side::Request => m.request_id == id,
            };
            if mine {
                let mut ops = crate::review::release_ops(deps, &m, now, false, Some(&member.id)).await?;
                ops.push(WriteOp::Delete { key: item.key, cond: Cond::Live });
                ops.push(WriteOp::Delete { key: r.key, cond: Cond::Always });
                deps.store.transact(ops, now).await?;
            }
        }
        let mut ops = vec![WriteOp::Delete { key: own, cond: Cond::Live }];
        if post.attrs.get("kind").and_then(Value::as_str) == Some("listing") {
            ops.push(WriteOp::Delete { key: keys::listed(&member.id, id), cond: Cond::Always });
        } else if side == Side::Offer {
            for area in deps.store.query_prefix(&keys::member_pk(&member.id), &keys::offer_areas_prefix(id), now, MAX_POSTAL_CODES).await? {
                ops.push(WriteOp::Delete { key: area.key, cond: Cond::Always });
            }
        }
        deps.store.transact(ops, now).await?;
        info!("post withdrawn");
        return Ok(());
    }
    let reference = Key::new(pk, format!("PERK#{id}"));
    if side == Side::Offer && deps.store.get(&reference, now).await?.is_some() {
        let ops = vec![WriteOp::Delete { key: reference, cond: Cond::Live }, WriteOp::Delete { key: perk_key(id), cond: Cond::Always }];
        deps.store.transact(ops, now).await?;
        info!("perk withdrawn");
        return Ok(());
    }
    Err(AppError::NotFound { code: "not_found", message: "no such offer or request of yours".into() })
}

/// The member's offers, requests and perks, for `GET /api/me`.
pub async fn of_member(deps: &Deps, member_id: &str, now: UnixTime) -> Result<Value, AppError> {
    let items = deps.store.query_prefix(&keys::member_pk(member_id), "", now, crate::members::MAX_MEMBER_ITEMS).await?;
    let (mut offers, mut requests, mut perks) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        let shown = |item: &Item| {
            let mut a = item.attrs.clone();
            for k in [GSI1PK, GSI1SK, "member_id", ENTITY] {
                a.remove(k);
            }
            for k in ["created_at", EXPIRES_AT] {
                if let Some(t) = a.get(k).and_then(Value::as_i64) {
                    a.insert(k.into(), json!(rfc3339(t)));
                }
            }
            Value::Object(a)
        };
        if item.key.sk.starts_with("OFFER#") {
            offers.push(shown(&item));
        } else if item.key.sk.starts_with("REQUEST#") {
            requests.push(shown(&item));
        } else if let Some(id) = item.key.sk.strip_prefix("PERK#")
            && let Some(perk) = deps.store.get(&perk_key(id), now).await?
        {
            let mut p = shown(&perk);
            if let Value::Object(m) = &mut p {
                m.remove("submitted_by");
            }
            perks.push(p);
        }
    }
    Ok(json!({ "offers": offers, "requests": requests, "perks": perks }))
}

/// Operations that cut the link between an erased member and the perks they referenced.
pub async fn detach_perks(deps: &Deps, member_id: &str, items: &[Item], now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = Vec::new();
    for item in items {
        if let Some(id) = item.key.sk.strip_prefix("PERK#")
            && deps.store.get(&perk_key(id), now).await?.is_some()
        {
            ops.push(WriteOp::Update {
                key: perk_key(id),
                set: Map::from_iter([("submitted_by".into(), Value::Null)]),
                cond: Cond::LiveWith(vec![("submitted_by".into(), json!(member_id))]),
            });
        }
    }
    Ok(ops)
}

// ---------- searches ----------

/// Query parameters, as received (strings), checked against the names a route accepts.
pub struct Params<'a>(pub &'a std::collections::HashMap<String, String>);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }

    fn int(&self, name: &str) -> Result<Option<i64>, AppError> {
        match self.get(name) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| AppError::bad_request("invalid_type", Some(name.into()), "this parameter must be a whole number")),
        }
    }

    fn only(&self, allowed: &[&str]) -> Result<(), AppError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(AppError::bad_request("unknown_field", Some(k.clone()), "this parameter is not accepted")),
            None => Ok(()),
        }
    }

    fn limit(&self) -> Result<usize, AppError> {
        Ok(bounded(self.int("limit")?.unwrap_or(20), 1, 50, "invalid_limit", "the limit must be between 1 and 50")
            .map_err(|e| e.at("limit"))? as usize)
    }

    /// The parameters every search shares (`postal_code`, `radius_km`, `limit`, `cursor`), after
    /// refusing any name that is neither one of them nor one of `filters`.
    fn geo_query(&self, prefix: &'static str, default_radius: i64, filters: &[&str]) -> Result<GeoQuery, AppError> {
        let mut allowed = vec!["postal_code", "radius_km", "cursor", "limit"];
        allowed.extend_from_slice(filters);
        self.only(&allowed)?;
        let code = self
            .get("postal_code")
            .ok_or_else(|| AppError::bad_request("missing_field", Some("postal_code".into()), "this parameter is required"))?;
        Ok(GeoQuery {
            prefix,
            center: postal(code, "postal_code")?,
            radius_km: radius(self.int("radius_km")?, default_radius, 100)?,
            limit: self.limit()?,
            fingerprint: filters.iter().map(|f| self.get(f).unwrap_or("")).collect::<Vec<_>>().join("|"),
            cursor: self.get("cursor").map(str::to_owned),
        })
    }
}

/// `GET /api/businesses`: approved perks within `radius_km` (1–100, default 10) of `postal_code`, by
/// distance, optionally of one `category` and for one `community`; `limit` 1–50 (default 20).
pub async fn search_businesses(deps: &Deps, params: Params<'_>) -> Result<Value, AppError> {
    let q = params.geo_query("PERK", 10, &["category", "community"])?;
    let category = params.get("category").map(BusinessCategory::parse).transpose().map_err(|e| e.at("category"))?;
    let community = params.get("community").map(Community::parse).transpose().map_err(|e| e.at("community"))?;
    let now = deps.clock.now();
    let page = geo_search(deps, &q, now, |item| {
        let perk: Perk = item.parse().ok()?;
        if perk.status != "approved"
            || category.as_ref().is_some_and(|c| c.as_str() != perk.category)
            || community.as_ref().is_some_and(|c| !perk.communities.iter().any(|p| p == c.as_str()))
        {
            return None;
        }
        Some((PostalCode::parse(&perk.postal_code).ok()?, perk.id))
    })
    .await?;
    let items: Vec<Value> = page
        .hits
        .iter()
        .filter_map(|h| {
            let p: Perk = h.item.parse().ok()?;
            let department = PostalCode::parse(&p.postal_code).ok()?.department().to_owned();
            Some(json!({
                "id": p.id, "name": p.business_name, "address": p.address, "postal_code": p.postal_code,
                "department": department, "category": p.category, "perk": p.perk, "communities": p.communities,
                "quantity": p.quantity, "ends_on": p.ends_on, "distance_km": display_km(h.distance_km),
            }))
        })
        .collect();
    Ok(json!({ "items": items, "next_cursor": page.next_cursor }))
}

/// `GET /api/listings`: published listings within `radius_km` (1–100, default 20) of `postal_code`,
/// optionally of one `domain` and one `type` (`offer` or `request`). Nothing personal is shown.
pub async fn search_listings(deps: &Deps, params: Params<'_>) -> Result<Value, AppError> {
    let q = params.geo_query("LISTING", 20, &["domain", "type"])?;
    let domain = params.get("domain").map(ListingDomain::parse).transpose().map_err(|e| e.at("domain"))?;
    let side = match params.get("type") {
        None => None,
        Some("offer") => Some(Side::Offer),
        Some("request") => Some(Side::Request),
        Some(_) => return Err(AppError::invalid("invalid_type_filter", "type", "type must be offer or request")),
    };
    let now = deps.clock.now();
    let page = geo_search(deps, &q, now, |item| {
        let l: Listing = item.parse().ok()?;
        if domain.as_ref().is_some_and(|d| d.as_str() != l.domain) || side.is_some_and(|s| s != l.side) {
            return None;
        }
        Some((PostalCode::parse(&l.postal_code).ok()?, l.id))
    })
    .await?;
    let items: Vec<Value> = page
        .hits
        .iter()
        .filter_map(|h| {
            let l: Listing = h.item.parse().ok()?;
            let department = PostalCode::parse(&l.postal_code).ok()?.department().to_owned();
            Some(json!({
                "id": l.id, "type": l.side, "domain": l.domain, "postal_code": l.postal_code, "department": department,
                "title": l.title, "text": l.text, "published_at": rfc3339(l.created_at),
                "age_days": (now - l.created_at).max(0) / DAY, "distance_km": display_km(h.distance_km),
            }))
        })
        .collect();
    Ok(json!({ "items": items, "next_cursor": page.next_cursor }))
}
