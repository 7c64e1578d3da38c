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
//! - every write is one transaction; a member has at most [`MAX_OPEN_POSTS`] open offers and requests
//!   and [`MAX_PERKS_REFERENCED`] perks, counted and enforced inside that transaction ([`guarded_write`]).

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::domain::PostalCode;
use crate::error::{AppError, Refusal};
use crate::records::keys;
use crate::store::{Cond, ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item, StoreError, WriteOp};
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
/// At most this many perks referenced by one member at a time (pending or listed): room for a local
/// association that brings in its town's shops, while bounding what one account can flood.
pub const MAX_PERKS_REFERENCED: usize = 100;

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
    map.insert(GSI1SK.into(), json!(keys::located_order(code.as_str(), id)));
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
/// at least as long, in one transaction — if the member has fewer than [`MAX_OPEN_POSTS`] open posts.
pub(crate) async fn save_post(
    deps: &Deps,
    member: &Member,
    item: Item,
    expires_at: UnixTime,
    now: UnixTime,
    extra: Vec<WriteOp>,
) -> Result<(), AppError> {
    let mut ops = extra;
    ops.push(WriteOp::Put { item, cond: Cond::Absent });
    guarded_write(deps, member, Limit::OpenPosts, Some(expires_at), ops, now).await
}

/// A per-member limit, enforced inside the write it guards by [`guarded_write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Open offers and requests (help and listings): [`MAX_OPEN_POSTS`].
    OpenPosts,
    /// Perks the member referenced and that are still listed or waiting: [`MAX_PERKS_REFERENCED`].
    PerksReferenced,
}

impl Limit {
    fn prefixes(self) -> &'static [&'static str] {
        match self {
            Limit::OpenPosts => &[keys::OFFER_PREFIX, keys::REQUEST_PREFIX],
            Limit::PerksReferenced => &[keys::PERK_REF_PREFIX],
        }
    }
    fn max(self) -> usize {
        match self {
            Limit::OpenPosts => MAX_OPEN_POSTS,
            Limit::PerksReferenced => MAX_PERKS_REFERENCED,
        }
    }
    fn refusal(self) -> Refusal {
        match self {
            Limit::OpenPosts => Refusal::TooManyOpenPosts,
            Limit::PerksReferenced => Refusal::TooManyPerks,
        }
    }
}

/// How often a guarded write re-reads and tries again, beyond the limit itself, when another write of
/// the same member won. Each lost try but the spare ones means one more item written, so with the
/// limit's worth of tries every one of a burst sees the limit reached rather than give up before.
const GUARDED_SPARE_TRIES: usize = 10;

/// Applies `ops` for `member` if they hold fewer items than `limit` allows.
///
/// The count is read at the member profile's `revision`, and the transaction bumps `revision`
/// conditioned on its being unchanged: of two concurrent writes that both counted room for one, only
/// one commits; the other re-reads, counts again and is refused. Items that expire or are withdrawn only
/// lower the count, so they need no bump. With `keep_alive`, the member and their e-mail marker live at
/// least that long.
pub(crate) async fn guarded_write(
    deps: &Deps,
    member: &Member,
    limit: Limit,
    keep_alive: Option<UnixTime>,
    ops: Vec<WriteOp>,
    now: UnixTime,
) -> Result<(), AppError> {
    let pk = keys::member_pk(&member.id);
    for attempt in 0..(limit.max() + GUARDED_SPARE_TRIES) as u32 {
        let Some(profile) = deps.store.get(&keys::member(&member.id), now).await? else {
            return Err(Refusal::SessionRevoked.into());
        };
        let current: Member = profile.parse()?;
        let mut held = 0;
        for prefix in limit.prefixes() {
            held += deps.store.count_prefix(&pk, prefix, now, crate::records::member::MAX_MEMBER_ITEMS).await?;
        }
        if held >= limit.max() {
            return Err(limit.refusal().into());
        }
        // Written before `revision` existed: the first guarded write starts it.
        let unchanged = match profile.attrs.get("revision") {
            Some(r) => Cond::LiveWith(vec![("revision".into(), r.clone())]),
            None => Cond::Live,
        };
        let mut set = Map::from_iter([("revision".into(), json!(current.revision + 1))]);
        let mut all = ops.clone();
        if let Some(until) = keep_alive {
            let keep = current.expires_at.max(until);
            set.insert(EXPIRES_AT.into(), json!(keep));
            all.extend(current.keep_markers(keep, now));
        }
        all.push(WriteOp::Update { key: keys::member(&member.id), set, cond: unchanged });
        match deps.store.transact(all, now).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => {
                // Another write of this member won: wait a little (jittered, growing) and count again.
                let jitter = ulid::Ulid::generate().random() % 4_000;
                tokio::time::sleep(std::time::Duration::from_micros(jitter as u64 * u64::from(attempt.min(8) + 1))).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Refusal::ConcurrentChange.into())
}
