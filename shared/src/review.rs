//! What happens to a match after a run proposes it (docs/PRODUCT.md §2.1 steps 4–6, §3):
//!
//! ```text
//! proposed ──approve──▶ approved ──introduction sent to both──▶ introduced ──confirm──▶ purged
//!    │ (manual review)     ▲ (auto review starts here)               │ decline ─▶ request reopened, pair blocked
//!    └──reject──▶ request reopened, pair blocked                     └ 14 days ─▶ closed and purged (reminder at day 7)
//! ```
//!
//! Every step is one store transaction conditioned on the status it starts from, so a moderator, two
//! runs and both parties acting at once cannot apply two steps to one match.
//!
//! The introduction is sent under a *lease*: a run first moves `lease_until` forward (conditioned on
//! the value it read), then sends, recording each recipient in `sent` as soon as their copy is handed
//! over. A failed send keeps the match `approved` for a later run; a retried or concurrent run finds the
//! lease held and sends nothing; only a crash between a send and its record could repeat that one copy.

use crate::clock::{DAY, UnixTime, day_of, rfc3339};
use crate::deps::Deps;
use crate::domain::{Email, Locale, Taxonomy};
use crate::error::AppError;
use crate::links::{Claims, Purpose};
use crate::mail::templates::{IntroKind, Introduction, KeepOpenReminder, Party, PostNoun};
use crate::members::{self, MEMBER_TTL, Member};
use crate::posts::{self, HelpOffer, HelpRequest, Listing, POST_TTL, Perk, Side};
use crate::stats::{self, Metric};
use crate::store::{Cond, EXPIRES_AT, GSI1PK, GSI1SK, Key, StoreError, WriteOp, keys};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use tracing::{info, warn};

/// How long an introduced match waits for an answer before it closes.
pub const INTRO_TTL: i64 = 14 * DAY;
/// When an unanswered introduction gets its one reminder.
pub const MATCH_REMINDER_AFTER: i64 = 7 * DAY;
/// How long a run holds a match while it sends its introduction.
pub const SEND_LEASE: i64 = 10 * 60;
/// How long before an open post expires its "keep it open" reminder goes out (day 25 of 30).
pub const POST_REMINDER_BEFORE: i64 = 5 * DAY;

/// The index partition (`REMIND#<day>`) of a post expiring at `expires_at`: the day its reminder is due.
pub fn reminder_partition(expires_at: UnixTime) -> String {
    keys::reminders_on(&day_of(expires_at - POST_REMINDER_BEFORE))
}
/// The most matches one queue or one housekeeping pass reads.
const MAX_MATCHES: usize = 10_000;

/// A match as stored (`MATCH#<id>`): ids and anonymous facts only; the people are read from their items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub offer_id: String,
    pub offer_member_id: String,
    pub request_id: String,
    pub request_member_id: String,
    pub help_type: String,
    pub distance_km: f64,
    /// `proposed`, `approved` or `introduced`.
    pub status: String,
    /// The request's department, for the anonymous statistics.
    #[serde(default)]
    pub department: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// Which parties (`request`, `offer`) were handed their copy of the introduction.
    #[serde(default)]
    pub sent: Vec<String>,
    #[serde(default)]
    pub lease_until: UnixTime,
    #[serde(default)]
    pub introduced_at: Option<UnixTime>,
    #[serde(default)]
    pub reminded_at: Option<UnixTime>,
}

/// The index attributes of a match in `status`, ordered by `at`.
pub(crate) fn index_attrs(status: &str, at: UnixTime, id: &str) -> [(String, Value); 2] {
    [(GSI1PK.into(), json!(keys::matches_in(status))), (GSI1SK.into(), json!(format!("{at:012}#{id}")))]
}

async fn load<T: serde::de::DeserializeOwned>(deps: &Deps, key: &Key, now: UnixTime) -> Result<Option<T>, AppError> {
    match deps.store.get(key, now).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}

async fn load_match(deps: &Deps, id: &str, now: UnixTime) -> Result<Option<Match>, AppError> {
    load(deps, &keys::matched(id), now).await
}

fn gone_match() -> AppError {
    AppError::gone("match_closed", "this introduction is already closed: confirmed, declined or expired")
}

fn set(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn help_labels(code: &str) -> (&'static str, &'static str) {
    Taxonomy::get().help_types.iter().find(|h| h.code == code).map_or(("aide", "help"), |h| (h.label.fr.as_str(), h.label.en.as_str()))
}

// ---------- proposals (written by the run) ----------

/// The status a new proposal starts in.
pub fn first_status(deps: &Deps) -> &'static str {
    match deps.config.review {
        crate::config::ReviewMode::Manual => "proposed",
        crate::config::ReviewMode::Auto => "approved",
    }
}

// ---------- releasing a match: the request goes back to the open index, the offer gets its capacity back ----------

/// The writes that undo a match's hold on its offer and request, leaving out the items of `skip` (a
/// member being erased in the same transaction). With `block`, the pair never comes back. The match
/// item itself is not included.
pub(crate) async fn release_ops(deps: &Deps, m: &Match, now: UnixTime, block: bool, skip: Option<&str>) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = Vec::new();
    for member in [&m.offer_member_id, &m.request_member_id] {
        if Some(member.as_str()) != skip {
            ops.push(WriteOp::Delete { key: keys::match_ref(member, &m.id), cond: Cond::Always });
        }
    }
    if Some(m.request_member_id.as_str()) != skip {
        let key = keys::request(&m.request_member_id, &m.request_id);
        if let Some(r) = load::<HelpRequest>(deps, &key, now).await?
            && r.match_id.as_deref() == Some(m.id.as_str())
        {
            let mut blocked = r.blocked_volunteers.clone();
            if block && !blocked.contains(&m.offer_member_id) {
                blocked.push(m.offer_member_id.clone());
            }
            let mut s = set([("status", json!("open")), ("match_id", Value::Null), ("blocked_volunteers", json!(blocked))]);
            s.insert(GSI1PK.into(), json!(keys::open_requests(&r.help_type)));
            s.insert(GSI1SK.into(), json!(format!("{:012}#{}", r.created_at, r.id)));
            ops.push(WriteOp::Update { key, set: s, cond: Cond::LiveWith(vec![("match_id".into(), json!(m.id))]) });
        }
    }
    if Some(m.offer_member_id.as_str()) != skip {
        ops.extend(capacity_ops(deps, m, now, false).await?);
    }
    Ok(ops)
}

/// The writes that take one active match off the offer; with `used`, the capacity it used goes too
/// (and the offer with its areas when nothing is left).
async fn capacity_ops(deps: &Deps, m: &Match, now: UnixTime, used: bool) -> Result<Vec<WriteOp>, AppError> {
    let key = keys::offer(&m.offer_member_id, &m.offer_id);
    let Some(o) = load::<HelpOffer>(deps, &key, now).await? else { return Ok(Vec::new()) };
    let areas = deps.store.query_prefix(&keys::member_pk(&m.offer_member_id), &keys::offer_areas_prefix(&m.offer_id), now, 10).await?;
    let (capacity, active) = (o.capacity - i64::from(used), (o.active_matches - 1).max(0));
    let cond = Cond::LiveWith(vec![("active_matches".into(), json!(o.active_matches)), ("capacity".into(), json!(o.capacity))]);
    let mut ops = Vec::new();
    if capacity <= 0 {
        ops.push(WriteOp::Delete { key, cond });
        ops.extend(areas.into_iter().map(|a| WriteOp::Delete { key: a.key, cond: Cond::Always }));
    } else {
        let s = set([("capacity", json!(capacity)), ("active_matches", json!(active))]);
        ops.push(WriteOp::Update { key, set: s.clone(), cond });
        ops.extend(areas.into_iter().map(|a| WriteOp::Update { key: a.key, set: s.clone(), cond: Cond::Live }));
    }
    Ok(ops)
}

/// The writes that purge a match (docs/PRODUCT.md §3): the match, both references, the request, the offer's
/// used capacity (the offer itself when nothing is left), and each member left with nothing.
async fn purge_ops(deps: &Deps, m: &Match, now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = vec![WriteOp::Delete { key: keys::matched(&m.id), cond: Cond::LiveWith(vec![("status".into(), json!(m.status))]) }];
    for member in [&m.offer_member_id, &m.request_member_id] {
        ops.push(WriteOp::Delete { key: keys::match_ref(member, &m.id), cond: Cond::Always });
    }
    ops.push(WriteOp::Delete { key: keys::request(&m.request_member_id, &m.request_id), cond: Cond::Always });
    ops.extend(capacity_ops(deps, m, now, true).await?);
    let deleted: HashSet<Key> = ops.iter().filter(|o| matches!(o, WriteOp::Delete { .. })).map(|o| o.key().clone()).collect();
    let mut members: Vec<&String> = vec![&m.request_member_id, &m.offer_member_id];
    members.dedup();
    for member_id in members {
        let items = deps.store.query_prefix(&keys::member_pk(member_id), "", now, members::MAX_MEMBER_ITEMS).await?;
        let profile = keys::member(member_id);
        let left = items.iter().any(|i| i.key != profile && !deleted.contains(&i.key));
        if !left && let Some(p) = items.iter().find(|i| i.key == profile) {
            let member: Member = p.parse()?;
            // Only if nothing was posted since this read (a post bumps `revision`); else the purge
            // conflicts, is retried, and keeps the member with their new post.
            let cond = match p.attrs.get("revision") {
                Some(r) => Cond::LiveWith(vec![("revision".into(), r.clone())]),
                None => Cond::Live,
            };
            ops.push(WriteOp::Delete { key: profile, cond });
            ops.push(WriteOp::Delete { key: keys::email_marker(&member.email_hash), cond: Cond::Always });
        }
    }
    Ok(ops)
}

fn count(metric: Metric, m: &Match, now: UnixTime) -> WriteOp {
    stats::count(
        metric,
        &stats::Event {
            help_type: Some(&m.help_type),
            department: m.department.as_deref(),
            distance_km: (metric == Metric::Confirmed).then_some(m.distance_km),
            wait_secs: None,
        },
        now,
    )
}

// ---------- the answers to an introduction (links) ----------

/// `confirm_match`: the help is arranged; the match's personal data goes now, in one transaction.
pub async fn confirm(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let m = load_match(deps, &claims.sub, now).await?.ok_or_else(gone_match)?;
    if m.status == "proposed" {
        return Err(gone_match());
    }
    let mut ops = purge_ops(deps, &m, now).await?;
    ops.push(members::used_link_op(claims));
    ops.push(count(Metric::Confirmed, &m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "match confirmed and purged");
    Ok(())
}

/// `decline_match`: it did not work out; the request goes back to the open index and this pair never
/// comes back.
pub async fn decline(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<(), AppError> {
    let m = load_match(deps, &claims.sub, now).await?.ok_or_else(gone_match)?;
    let mut ops = release_ops(deps, &m, now, true, None).await?;
    ops.push(WriteOp::Delete { key: keys::matched(&m.id), cond: Cond::LiveWith(vec![("status".into(), json!(m.status))]) });
    ops.push(members::used_link_op(claims));
    ops.push(count(Metric::Declined, &m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "match declined; request reopened");
    Ok(())
}

/// The kind of post a "keep it open" reminder and its link are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    HelpOffer,
    HelpRequest,
    Listing(Side),
}

impl PostKind {
    fn code(self) -> &'static str {
        match self {
            PostKind::HelpOffer => "offer",
            PostKind::HelpRequest => "request",
            PostKind::Listing(Side::Offer) => "listing_offer",
            PostKind::Listing(Side::Request) => "listing_request",
        }
    }

    fn parse(code: &str) -> Option<PostKind> {
        [PostKind::HelpOffer, PostKind::HelpRequest, PostKind::Listing(Side::Offer), PostKind::Listing(Side::Request)]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// Where the post is: help offers and listings of skills under `OFFER#`, the rest under `REQUEST#`.
    fn key(self, member_id: &str, post_id: &str) -> Key {
        match self {
            PostKind::HelpOffer | PostKind::Listing(Side::Offer) => keys::offer(member_id, post_id),
            PostKind::HelpRequest | PostKind::Listing(Side::Request) => keys::request(member_id, post_id),
        }
    }
}

/// The subject of a `keep_open` link: which post of which member.
pub fn keep_open_subject(member_id: &str, kind: PostKind, post_id: &str) -> String {
    format!("{member_id}:{}:{post_id}", kind.code())
}

/// `keep_open`: the open offer, request or listing (and its member) lives 30 more days. Returns the new
/// expiry.
pub async fn keep_open(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<UnixTime, AppError> {
    let mut parts = claims.sub.split(':');
    let (Some(member_id), Some(kind), Some(post_id)) = (parts.next(), parts.next().and_then(PostKind::parse), parts.next()) else {
        return Err(AppError::unauthorized("invalid_token", "this link or session is not valid"));
    };
    let gone = || AppError::gone("post_closed", "this offer or request no longer exists");
    let member: Member = load(deps, &keys::member(member_id), now).await?.ok_or_else(gone)?;
    let target = deps.config.expiry(now, POST_TTL);
    let mut ops = vec![members::used_link_op(claims)];
    let key = kind.key(member_id, post_id);
    let current = deps.store.get(&key, now).await?.ok_or_else(gone)?;
    let expires_at = current.expires_at().unwrap_or(now).max(target);
    let mut s = set([(EXPIRES_AT, json!(expires_at)), ("reminded_at", json!(0))]);
    // The copies the indexes read live as long as the post; offers and listings move to their new reminder day.
    let copies = match kind {
        PostKind::HelpOffer => deps.store.query_prefix(&keys::member_pk(member_id), &keys::offer_areas_prefix(post_id), now, 10).await?,
        PostKind::Listing(_) => deps.store.get(&keys::listed(member_id, post_id), now).await?.into_iter().collect(),
        PostKind::HelpRequest => Vec::new(),
    };
    for copy in copies {
        ops.push(WriteOp::Update { key: copy.key, set: set([(EXPIRES_AT, json!(expires_at))]), cond: Cond::Live });
    }
    if kind != PostKind::HelpRequest {
        s.insert(GSI1PK.into(), json!(reminder_partition(expires_at)));
    }
    ops.push(WriteOp::Update { key, set: s, cond: Cond::Live });
    let keep = member.expires_at.max(expires_at);
    ops.push(WriteOp::Update { key: keys::member(member_id), set: set([(EXPIRES_AT, json!(keep))]), cond: Cond::Live });
    ops.push(WriteOp::Update { key: keys::email_marker(&member.email_hash), set: set([(EXPIRES_AT, json!(keep))]), cond: Cond::Live });
    deps.store.transact(ops, now).await?;
    info!(post_id = %post_id, "post kept open");
    Ok(expires_at)
}

// ---------- the introduction ----------

struct Parties {
    offer: HelpOffer,
    request: HelpRequest,
    volunteer: Member,
    requester: Member,
}

async fn parties(deps: &Deps, m: &Match, now: UnixTime) -> Result<Option<Parties>, AppError> {
    let offer = load::<HelpOffer>(deps, &keys::offer(&m.offer_member_id, &m.offer_id), now).await?;
    let request = load::<HelpRequest>(deps, &keys::request(&m.request_member_id, &m.request_id), now).await?;
    let volunteer = load::<Member>(deps, &keys::member(&m.offer_member_id), now).await?;
    let requester = load::<Member>(deps, &keys::member(&m.request_member_id), now).await?;
    Ok(match (offer, request, volunteer, requester) {
        (Some(offer), Some(request), Some(volunteer), Some(requester)) => Some(Parties { offer, request, volunteer, requester }),
        _ => None,
    })
}

fn email_of(member: &Member) -> Result<Email, AppError> {
    Email::parse(&member.email).map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))
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
    for item in deps.store.query_index(&keys::matches_in("approved"), now, MAX_MATCHES).await? {
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

enum Sent {
    Done,
    Later,
    Released,
}

/// Sends one introduction (or its day-7 reminder) under a lease; see the module comment.
async fn introduce(deps: &Deps, m: &Match, kind: IntroKind, now: UnixTime) -> Result<Sent, AppError> {
    let expected = if kind == IntroKind::First { "approved" } else { "introduced" };
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
    let ledger = if kind == IntroKind::First { "sent" } else { "reminder_sent" };
    let mut sent: Vec<String> = if kind == IntroKind::First {
        m.sent.clone()
    } else {
        deps.store
            .get(&keys::matched(&m.id), now)
            .await?
            .and_then(|i| i.attrs.get("reminder_sent").cloned())
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
        let record =
            WriteOp::Update { key: keys::matched(&m.id), set: Map::from_iter([(ledger.to_owned(), json!(sent))]), cond: Cond::Live };
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
    let mut s = set([("status", json!("introduced")), ("introduced_at", json!(now)), ("lease_until", json!(0)), (EXPIRES_AT, json!(keep))]);
    s.extend(index_attrs("introduced", now, &m.id));
    let mut ops =
        vec![WriteOp::Update { key: keys::matched(&m.id), set: s, cond: Cond::LiveWith(vec![("status".into(), json!("approved"))]) }];
    let extend =
        |key: Key, current: UnixTime| WriteOp::Update { key, set: set([(EXPIRES_AT, json!(current.max(keep)))]), cond: Cond::Live };
    ops.push(extend(keys::request(&m.request_member_id, &m.request_id), p.request.expires_at));
    ops.push(extend(keys::offer(&m.offer_member_id, &m.offer_id), p.offer.expires_at));
    for n in 0..p.offer.postal_codes.len() {
        ops.push(extend(keys::offer_area(&m.offer_member_id, &m.offer_id, n), p.offer.expires_at));
    }
    for member in [&p.volunteer, &p.requester] {
        ops.push(extend(keys::member(&member.id), member.expires_at));
        ops.push(extend(keys::email_marker(&member.email_hash), member.expires_at));
        ops.push(extend(keys::match_ref(&member.id, &m.id), keep));
    }
    ops.push(count(Metric::Introduced, m, now));
    deps.store.transact(ops, now).await?;
    info!(match_id = %m.id, "introduction sent to both");
    Ok(Sent::Done)
}

// ---------- housekeeping (each run) ----------

/// What housekeeping did.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct HousekeepingSummary {
    pub match_reminders: usize,
    pub closed: usize,
    pub post_reminders: usize,
}

/// Day-7 reminders and day-14 closing of introduced matches; day-25 reminders of open offers, requests
/// and listings.
pub async fn housekeeping(deps: &Deps) -> Result<HousekeepingSummary, AppError> {
    let now = deps.clock.now();
    let mut summary = HousekeepingSummary::default();
    for item in deps.store.query_index(&keys::matches_in("introduced"), now, MAX_MATCHES).await? {
        let m: Match = item.parse()?;
        let Some(at) = m.introduced_at else { continue };
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
    // Open requests are all in their index; offers and listings are indexed by the day their reminder is due.
    let mut due: Vec<(Key, PostKind)> = Vec::new();
    for h in &Taxonomy::get().help_types {
        for item in deps.store.query_index(&keys::open_requests(&h.code), now, crate::matching::run::MAX_REQUESTS_PER_RUN).await? {
            let r: HelpRequest = item.parse()?;
            if r.reminded_at == 0 && r.expires_at - POST_REMINDER_BEFORE <= now {
                due.push((item.key, PostKind::HelpRequest));
            }
        }
    }
    for back in 0..=5 {
        for item in deps.store.query_index(&keys::reminders_on(&day_of(now - back * DAY)), now, MAX_MATCHES).await? {
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

async fn remind_post(deps: &Deps, key: &Key, kind: PostKind, now: UnixTime) -> Result<bool, AppError> {
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

// ---------- moderation ----------

/// True if the member's address is in `MODERATOR_EMAILS`.
pub fn is_moderator(deps: &Deps, member: &Member) -> bool {
    Email::parse(&member.email).is_ok_and(|e| deps.config.moderators.contains(&e))
}

/// The signed-in member, if a moderator; else `403 not_moderator`.
pub async fn moderator(deps: &Deps, bearer: Option<&str>) -> Result<Member, AppError> {
    let member = members::authenticate(deps, bearer).await?;
    if !is_moderator(deps, &member) {
        return Err(AppError::Forbidden { code: "not_moderator", message: "this is for moderators".into() });
    }
    Ok(member)
}

fn labels_of_role(community: &str, role: Option<&str>) -> Value {
    json!({ "community": community, "role": role })
}

/// How many proposals and pending perks one `GET /api/moderation` shows: the oldest first. Decisions take
/// them out of the queue, so the next call shows the next ones; `matches_waiting` / `perks_waiting` say
/// how many wait in all. (A run can propose thousands at once: showing them all would mean four reads
/// each before the answer, and an answer past the API's time and size limits.)
pub const QUEUE_PAGE: usize = 50;
/// How many proposals' details are read at once.
const QUEUE_READS_IN_FLIGHT: usize = 8;

/// `GET /api/moderation`: the oldest [`QUEUE_PAGE`] proposed matches (with what a moderator needs to
/// check them) and pending perks, and how many of each wait in all.
pub async fn queue(deps: &Deps) -> Result<Value, AppError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let now = deps.clock.now();
    let proposed = deps.store.query_index(&keys::matches_in("proposed"), now, MAX_MATCHES).await?;
    let matches_waiting = proposed.len();
    let oldest: Vec<Match> = proposed.iter().take(QUEUE_PAGE).map(|i| i.parse()).collect::<Result<_, _>>()?;
    let with_parties: Vec<(Match, Option<Parties>)> = stream::iter(oldest)
        .map(|m| async move { parties(deps, &m, now).await.map(|p| (m, p)) })
        .buffered(QUEUE_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut matches = Vec::new();
    for (m, p) in with_parties {
        let Some(p) = p else { continue };
        matches.push(json!({
            "id": m.id,
            "help_type": m.help_type,
            "distance_km": m.distance_km,
            "proposed_at": rfc3339(m.created_at),
            "request": {
                "first_name": p.requester.first_name,
                "who": labels_of_role(&p.requester.community, p.requester.role.as_deref()),
                "postal_code": p.request.postal_code,
                "details": p.request.details,
                "children": p.request.children,
                "posted_at": rfc3339(p.request.created_at),
            },
            "offer": {
                "first_name": p.volunteer.first_name,
                "who": labels_of_role(&p.volunteer.community, p.volunteer.role.as_deref()),
                "postal_codes": p.offer.postal_codes,
                "radius_km": p.offer.radius_km,
                "availability": p.offer.availability,
                "details": p.offer.details,
                "child_care": p.offer.child_care,
                "capacity": p.offer.capacity,
            },
        }));
    }
    let mut pending = Vec::new();
    for item in deps.store.query_index(keys::PENDING_PERKS, now, MAX_MATCHES).await? {
        let perk: Perk = item.parse()?;
        if perk.status == "pending" {
            pending.push(perk);
        }
    }
    let perks_waiting = pending.len();
    let mut perks = Vec::new();
    for perk in pending.into_iter().take(QUEUE_PAGE) {
        perks.push(json!({
            "id": perk.id,
            "business_name": perk.business_name,
            "address": perk.address,
            "postal_code": perk.postal_code,
            "category": perk.category,
            "perk": perk.perk,
            "communities": perk.communities,
            "quantity": perk.quantity,
            "ends_on": perk.ends_on,
            "submitted_at": rfc3339(perk.created_at),
        }));
    }
    Ok(json!({ "matches": matches, "matches_waiting": matches_waiting, "perks": perks, "perks_waiting": perks_waiting }))
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// `POST /api/moderation/matches/{id}`: approve (the introduction goes out now) or reject (the request
/// goes back to the open index; this pair never comes back). Returns the match's new status.
pub async fn decide_match(deps: &Deps, moderator: &Member, id: &str, decision: Decision) -> Result<&'static str, AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let not_found = || AppError::NotFound { code: "not_found", message: "no proposed match with this id".into() };
    let m = load_match(deps, id, now).await?.ok_or_else(not_found)?;
    if m.status != "proposed" {
        return Err(AppError::Conflict { code: "already_decided", message: "this match was already decided".into() });
    }
    let only_if_proposed = Cond::LiveWith(vec![("status".into(), json!("proposed"))]);
    match decision {
        Decision::Approve => {
            let mut s = set([("status", json!("approved"))]);
            s.extend(index_attrs("approved", now, &m.id));
            deps.store.transact(vec![WriteOp::Update { key: keys::matched(id), set: s, cond: only_if_proposed }], now).await.map_err(
                |e| match e {
                    StoreError::Conflict => {
                        AppError::Conflict { code: "already_decided", message: "this match was already decided".into() }
                    }
                    e => e.into(),
                },
            )?;
            info!(match_id = %id, moderator_id = %moderator.id, "match approved");
            // Introduce now rather than at the next run; if it fails, the next run does it.
            let approved = Match { status: "approved".into(), ..m };
            match introduce(deps, &approved, IntroKind::First, now).await {
                Ok(Sent::Done) => Ok("introduced"),
                Ok(Sent::Released) => Ok("released"),
                Ok(Sent::Later) => Ok("approved"),
                Err(e) => {
                    warn!(match_id = %id, error = %e, "introduction not sent; the next run retries");
                    Ok("approved")
                }
            }
        }
        Decision::Reject => {
            let mut ops = release_ops(deps, &m, now, true, None).await?;
            ops.push(WriteOp::Delete { key: keys::matched(id), cond: only_if_proposed });
            ops.push(count(Metric::Rejected, &m, now));
            deps.store.transact(ops, now).await?;
            info!(match_id = %id, moderator_id = %moderator.id, "match rejected; request reopened");
            Ok("rejected")
        }
    }
}

/// `POST /api/moderation/perks/{id}`: approve (listed in the directory) or reject (deleted).
pub async fn decide_perk(deps: &Deps, moderator: &Member, id: &str, decision: Decision) -> Result<&'static str, AppError> {
    if ulid::Ulid::from_string(id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let key = posts::perk_key(id);
    let perk: Perk = load(deps, &key, now)
        .await?
        .ok_or_else(|| AppError::NotFound { code: "not_found", message: "no pending perk with this id".into() })?;
    if perk.status != "pending" {
        return Err(AppError::Conflict { code: "already_decided", message: "this perk was already decided".into() });
    }
    let cond = Cond::LiveWith(vec![("status".into(), json!("pending"))]);
    let mut ops = Vec::new();
    let outcome = match decision {
        Decision::Approve => {
            let code = crate::domain::PostalCode::parse(&perk.postal_code)
                .map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))?;
            let mut s = set([("status", json!("approved"))]);
            s.insert(GSI1PK.into(), json!(format!("PERK#{}", crate::geo::cell_of(&code))));
            s.insert(GSI1SK.into(), json!(perk.id));
            ops.push(WriteOp::Update { key, set: s, cond });
            "approved"
        }
        Decision::Reject => {
            ops.push(WriteOp::Delete { key, cond });
            if let Some(by) = &perk.submitted_by {
                ops.push(WriteOp::Delete { key: Key::new(keys::member_pk(by), format!("PERK#{id}")), cond: Cond::Always });
            }
            "rejected"
        }
    };
    deps.store.transact(ops, now).await.map_err(|e| match e {
        StoreError::Conflict => AppError::Conflict { code: "already_decided", message: "this perk was already decided".into() },
        e => e.into(),
    })?;
    info!(perk_id = %id, moderator_id = %moderator.id, outcome, "perk decided");
    Ok(outcome)
}
