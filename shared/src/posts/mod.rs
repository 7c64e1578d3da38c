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

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::domain::PostalCode;
use crate::error::{AppError, Refusal};
use crate::records::keys;
use crate::store::{Cond, ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item, WriteOp};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::instrument;

pub mod commands;
pub mod help;
pub mod listing;
pub mod mine;
pub mod perk;
pub mod withdraw;

pub use crate::records::perk::{PERK_TTL, Perk, perk_key};
pub use crate::records::post::{ChildCareOffer, HelpOffer, HelpRequest, Listing, OfferArea, POST_TTL, Side};
pub use commands::{NewOffer, NewRequest};
pub use withdraw::withdraw;

use crate::geo;
use crate::records::member::Member;
use listing::post_listing;
use perk::post_perk;

/// Open offers and requests per member (abuse guard).
pub const MAX_OPEN_POSTS: usize = 20;

pub const MAX_DETAILS: usize = 1_000;

pub const MAX_POSTAL_CODES: usize = 3;

pub const MAX_CHILDREN: usize = 6;

/// What a successful post answers: `201 {id, kind, status, expires_at}`.
#[derive(Debug, Serialize)]
pub struct Created {
    pub id: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub expires_at: String,
}

pub(crate) fn record<T: Serialize>(entity: &str, kind: &str, value: &T) -> Result<Map<String, Value>, AppError> {
    let mut map = match serde_json::to_value(value).map_err(AppError::unexpected)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.insert(ENTITY.into(), json!(entity));
    map.insert("kind".into(), json!(kind));
    Ok(map)
}

/// Index attributes of a listed item: its geographic cell.
pub(crate) fn index_by_cell(map: &mut Map<String, Value>, index: keys::CellIndex, code: &PostalCode, id: &str) {
    map.insert(GSI1PK.into(), json!(index.partition(&geo::cell_of(code))));
    map.insert(GSI1SK.into(), json!(id));
}

/// `POST /api/offers`: a help offer, a listing or a perk, by `kind`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn post_offer(deps: &Deps, member: &Member, offer: NewOffer) -> Result<Created, AppError> {
    let now = deps.clock.now();
    refuse_after_sunset(deps, now)?;
    match offer {
        NewOffer::Help(b) => help::post_help_offer(deps, member, b, now).await,
        NewOffer::Listing(b) => post_listing(deps, member, Side::Offer, b, now).await,
        NewOffer::Perk(b) => post_perk(deps, member, b, now).await,
    }
}

/// `POST /api/requests`: a help request or an organisation's need (a listing), by `kind`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn post_request(deps: &Deps, member: &Member, request: NewRequest) -> Result<Created, AppError> {
    let now = deps.clock.now();
    refuse_after_sunset(deps, now)?;
    match request {
        NewRequest::Help(b) => help::post_help_request(deps, member, b, now).await,
        NewRequest::Listing(b) => post_listing(deps, member, Side::Request, b, now).await,
    }
}

pub(crate) fn refuse_after_sunset(deps: &Deps, now: UnixTime) -> Result<(), AppError> {
    if deps.config.is_sunset(now) {
        return Err(Refusal::PlatformClosed.into());
    }
    Ok(())
}

/// Writes a post (with `extra` items such as its areas) and keeps its member (and e-mail marker) alive
/// at least as long, in one transaction.
pub(crate) async fn save_post(
    deps: &Deps,
    member: &Member,
    item: Item,
    expires_at: UnixTime,
    now: UnixTime,
    extra: Vec<WriteOp>,
) -> Result<(), AppError> {
    let open = deps.store.query_prefix(&keys::member_pk(&member.id), keys::OFFER_PREFIX, now, MAX_OPEN_POSTS + 1).await?.len()
        + deps.store.query_prefix(&keys::member_pk(&member.id), keys::REQUEST_PREFIX, now, MAX_OPEN_POSTS + 1).await?.len();
    if open >= MAX_OPEN_POSTS {
        return Err(Refusal::TooManyOpenPosts.into());
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
