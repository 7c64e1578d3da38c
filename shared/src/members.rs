//! Members: registration, e-mail verification, sessions, export and erasure (docs/PRODUCT.md §3, §5).
//!
//! Invariants:
//! - one member per e-mail address, enforced by a marker item keyed by HMAC(e-mail) written in the same
//!   transaction as the member (the key never holds the address);
//! - registering again with a known address sends a sign-in link and answers exactly like a first
//!   registration (no account enumeration); at most [`MAX_LINK_MAILS_PER_HOUR`] link e-mails per address;
//! - a link's effect and the marker that makes it single-use are written in one transaction;
//! - everything personal carries `expires_at`: 24 h unverified, 30 days after the last activity.

use crate::clock::{DAY, HOUR, UnixTime, rfc3339};
use crate::deps::Deps;
use crate::domain::{Community, Email, FirstName, Locale, Phone, PostalCode, Role};
use crate::error::AppError;
use crate::links::{Claims, Purpose};
use crate::mail::templates::SignIn;
use crate::store::{Cond, ENTITY, EXPIRES_AT, INCLUDING_EXPIRED, Item, StoreError, WriteOp, keys};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tracing::{info, instrument, warn};

/// How long an unverified registration lives.
pub const PENDING_TTL: i64 = DAY;
/// How long a member with nothing open lives after their last activity.
pub const MEMBER_TTL: i64 = 30 * DAY;
/// How long a session lasts.
pub const SESSION_TTL: i64 = DAY;
/// How long a sign-in link for a verified member is valid (it is a credential sitting in a mailbox).
pub const SIGN_IN_LINK_TTL: i64 = HOUR;
/// Link e-mails per address per rolling hour window.
pub const MAX_LINK_MAILS_PER_HOUR: i64 = 3;
/// The most items one member may own (profile included); bounds export and erasure.
pub const MAX_MEMBER_ITEMS: usize = 1000;

/// The body of `POST /api/register`, as received.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    pub first_name: String,
    pub postal_code: String,
    pub community: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    pub consent: bool,
    /// Honeypot: people never see this field; a filled one is accepted and dropped.
    #[serde(default)]
    pub website: Option<String>,
}

/// A registration whose every field is valid.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub first_name: FirstName,
    pub postal_code: PostalCode,
    pub community: Community,
    pub role: Option<Role>,
    pub phone: Option<Phone>,
    pub locale: Locale,
}

impl RegisterBody {
    /// Parses every field; the first invalid one is reported with its name.
    pub fn parse(self) -> Result<Registration, AppError> {
        let email = Email::parse(&self.email).map_err(|e| e.at("email"))?;
        let first_name = FirstName::parse(&self.first_name).map_err(|e| e.at("first_name"))?;
        let postal_code = PostalCode::parse(&self.postal_code).map_err(|e| e.at("postal_code"))?;
        let community = Community::parse(&self.community).map_err(|e| e.at("community"))?;
        let role = match self.role.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(r) => Some(Role::parse(&community, r).map_err(|e| e.at("role"))?),
            None => None,
        };
        let phone = match self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => Some(Phone::parse(p).map_err(|e| e.at("phone"))?),
            None => None,
        };
        let locale = match self.locale.as_deref() {
            Some(l) => Locale::parse(l).map_err(|e| e.at("locale"))?,
            None => Locale::Fr,
        };
        if !self.consent {
            return Err(AppError::invalid("consent_required", "consent", "consent to the processing of your data is required"));
        }
        Ok(Registration { email, first_name, postal_code, community, role, phone, locale })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Registered, e-mail not confirmed yet.
    Pending,
    /// E-mail confirmed.
    Active,
}

/// A member as stored (fields were validated before they were written).
#[derive(Clone, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub email_hash: String,
    pub first_name: String,
    pub postal_code: String,
    pub community: String,
    pub role: Option<String>,
    pub phone: Option<String>,
    pub locale: Locale,
    pub status: MemberStatus,
    pub created_at: UnixTime,
    pub last_active_at: UnixTime,
    pub expires_at: UnixTime,
    /// Bumped by every post, so a purge that found the member with nothing open can condition on it.
    #[serde(default)]
    pub revision: i64,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// The e-mail uniqueness marker: which member owns the address, and the link-mail quota.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailMarker {
    member_id: String,
    mail_window_start: UnixTime,
    mail_count: i64,
    expires_at: UnixTime,
}

fn record<T: Serialize>(entity: &str, value: &T) -> Result<Map<String, Value>, AppError> {
    let mut map = match serde_json::to_value(value).map_err(AppError::unexpected)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    map.insert(ENTITY.into(), json!(entity));
    Ok(map)
}

fn parse_item<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, AppError> {
    item.parse().map_err(AppError::from)
}

/// `POST /api/register`: creates a pending member or, for a known address, sends a sign-in link.
/// Answers the same in every case (the handler returns `202 {"status":"pending"}`).
#[instrument(skip_all)]
pub async fn register(deps: &Deps, body: RegisterBody) -> Result<(), AppError> {
    if body.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        info!(outcome = "honeypot", "registration dropped");
        return Ok(());
    }
    let now = deps.clock.now();
    if deps.config.is_sunset(now) {
        return Err(AppError::gone("platform_closed", "the platform has closed; no data is collected any more"));
    }
    let reg = body.parse()?;
    let email_hash = deps.email_hasher.hash(reg.email.as_str());
    let marker_key = keys::email_marker(&email_hash);
    // A concurrent registration of the same address can win the race; re-read and take the other path.
    for _ in 0..3 {
        match deps.store.get(&marker_key, now).await? {
            None => match create_pending(deps, &reg, &email_hash, now).await {
                Ok(member) => {
                    info!(member_id = %member.id, outcome = "created", "registration");
                    return send_sign_in(deps, &member, now).await;
                }
                Err(AppError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            },
            Some(item) => {
                let marker: EmailMarker = parse_item(&item)?;
                let (window_start, count) = if marker.mail_window_start + HOUR <= now {
                    (now, 1)
                } else if marker.mail_count < MAX_LINK_MAILS_PER_HOUR {
                    (marker.mail_window_start, marker.mail_count + 1)
                } else {
                    info!(member_id = %marker.member_id, outcome = "rate_limited", "registration");
                    return Ok(());
                };
                let bump = WriteOp::Update {
                    key: marker_key.clone(),
                    set: Map::from_iter([("mail_window_start".into(), json!(window_start)), ("mail_count".into(), json!(count))]),
                    cond: Cond::LiveWith(vec![
                        ("mail_window_start".into(), json!(marker.mail_window_start)),
                        ("mail_count".into(), json!(marker.mail_count)),
                    ]),
                };
                match deps.store.transact(vec![bump], now).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                }
                let Some(member) = load_member(deps, &marker.member_id, now).await? else {
                    warn!(member_id = %marker.member_id, "e-mail marker without a member");
                    return Ok(());
                };
                info!(member_id = %member.id, outcome = "known", "registration");
                return send_sign_in(deps, &member, now).await;
            }
        }
    }
    Err(StoreError::Conflict.into())
}

/// Creates an already verified member without sending any e-mail: only for the local runner's synthetic
/// `--demo` data (addresses at `example.org`). Counted in the statistics like a registration.
#[cfg(feature = "demo")]
pub async fn create_verified(deps: &Deps, body: RegisterBody) -> Result<Member, AppError> {
    let now = deps.clock.now();
    let reg = body.parse()?;
    let email_hash = deps.email_hasher.hash(reg.email.as_str());
    let mut member = create_pending(deps, &reg, &email_hash, now).await?;
    let expires_at = deps.config.expiry(now, MEMBER_TTL);
    let department = reg.postal_code.department().to_owned();
    let ops = vec![
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([("status".into(), json!(MemberStatus::Active)), (EXPIRES_AT.into(), json!(expires_at))]),
            cond: Cond::Live,
        },
        WriteOp::Update {
            key: keys::email_marker(&email_hash),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(expires_at))]),
            cond: Cond::Live,
        },
        crate::stats::count(
            crate::stats::Metric::Registered,
            &crate::stats::Event { department: Some(&department), ..Default::default() },
            now,
        ),
    ];
    deps.store.transact(ops, now).await?;
    member.status = MemberStatus::Active;
    member.expires_at = expires_at;
    Ok(member)
}

async fn create_pending(deps: &Deps, reg: &Registration, email_hash: &str, now: UnixTime) -> Result<Member, AppError> {
    let expires_at = deps.config.expiry(now, PENDING_TTL);
    let member = Member {
        id: ulid::Ulid::generate().to_string(),
        email: reg.email.as_str().to_owned(),
        email_hash: email_hash.to_owned(),
        first_name: reg.first_name.as_str().to_owned(),
        postal_code: reg.postal_code.as_str().to_owned(),
        community: reg.community.as_str().to_owned(),
        role: reg.role.as_ref().map(|r| r.as_str().to_owned()),
        phone: reg.phone.as_ref().map(|p| p.as_str().to_owned()),
        locale: reg.locale,
        status: MemberStatus::Pending,
        created_at: now,
        last_active_at: now,
        expires_at,
        revision: 0,
    };
    let marker = EmailMarker { member_id: member.id.clone(), mail_window_start: now, mail_count: 1, expires_at };
    let ops = vec![
        WriteOp::Put { item: Item::new(keys::email_marker(email_hash), record("email_marker", &marker)?), cond: Cond::Absent },
        WriteOp::Put { item: Item::new(keys::member(&member.id), record("member", &member)?), cond: Cond::Absent },
    ];
    deps.store.transact(ops, now).await?;
    Ok(member)
}

async fn load_member(deps: &Deps, member_id: &str, now: UnixTime) -> Result<Option<Member>, AppError> {
    match deps.store.get(&keys::member(member_id), now).await? {
        Some(item) => Ok(Some(parse_item(&item)?)),
        None => Ok(None),
    }
}

async fn send_sign_in(deps: &Deps, member: &Member, now: UnixTime) -> Result<(), AppError> {
    let first_time = member.status == MemberStatus::Pending;
    let link_exp = if first_time { member.expires_at } else { now + SIGN_IN_LINK_TTL }.min(deps.config.expiry(now, PENDING_TTL));
    let (verify, _) = deps.links.issue(Purpose::Verify, &member.id, now, link_exp)?;
    let (erase, _) = deps.links.issue(Purpose::Erase, &member.id, now, deps.config.expiry(now, MEMBER_TTL))?;
    // Stored fields were validated on the way in; re-parsing cannot fail for a well-formed store.
    let to = Email::parse(&member.email).map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))?;
    let first_name = FirstName::parse(&member.first_name).map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))?;
    let mail = SignIn {
        to: &to,
        first_name: &first_name,
        locale: member.locale,
        first_time,
        verify_url: &deps.config.link_url(verify.as_str()),
        erase_url: &deps.config.link_url(erase.as_str()),
        valid_hours: ((link_exp - now) as f64 / HOUR as f64).ceil().max(1.0) as i64,
    }
    .render();
    deps.mailer.send(&mail).await?;
    info!(member_id = %member.id, kind = if first_time { "verify" } else { "sign_in" }, "link e-mail sent");
    Ok(())
}

/// What following a link did (`POST /api/confirm`).
#[derive(Debug)]
pub enum LinkOutcome {
    /// The address is confirmed; the member is signed in.
    Verified { session: crate::links::Token, session_expires_at: UnixTime },
    /// Everything of the person is gone.
    Erased,
    /// The help is arranged: the match's personal data is gone.
    MatchConfirmed,
    /// It did not work out: the request is open again, never to this volunteer.
    MatchDeclined,
    /// The offer or request stays open until this time.
    KeptOpen { expires_at: UnixTime },
}

/// The purposes `POST /api/confirm` accepts (never `session`, never `accept_contact` until the relay exists).
pub const CONFIRM_PURPOSES: &[Purpose] =
    &[Purpose::Verify, Purpose::Erase, Purpose::ConfirmMatch, Purpose::DeclineMatch, Purpose::KeepOpen];

/// `POST /api/confirm`: carries out a link, once.
///
/// Errors: `401 invalid_token`/`wrong_purpose`, `410 link_expired` (also when the registration it
/// belongs to has expired), `410 link_used`.
#[instrument(skip_all)]
pub async fn follow_link(deps: &Deps, token: &str) -> Result<LinkOutcome, AppError> {
    let now = deps.clock.now();
    let claims = deps.links.verify(token, CONFIRM_PURPOSES, now)?;
    // A match answer can race a run or the other party on the same offer: read again and retry twice.
    let mut tries = 0;
    loop {
        let result = match claims.purpose {
            Purpose::Verify => verify(deps, &claims, now).await,
            Purpose::Erase => erase(deps, &claims.sub, Some(&claims), now).await.map(|()| LinkOutcome::Erased),
            Purpose::ConfirmMatch => crate::review::confirm(deps, &claims, now).await.map(|()| LinkOutcome::MatchConfirmed),
            Purpose::DeclineMatch => crate::review::decline(deps, &claims, now).await.map(|()| LinkOutcome::MatchDeclined),
            Purpose::KeepOpen => crate::review::keep_open(deps, &claims, now).await.map(|expires_at| LinkOutcome::KeptOpen { expires_at }),
            _ => Err(AppError::unauthorized("wrong_purpose", "this token cannot be used here")),
        };
        match result {
            Err(AppError::Conflict { .. } | AppError::Gone { .. })
                if deps.store.get(&keys::used_link(&claims.jti), now).await?.is_some() =>
            {
                return Err(AppError::gone("link_used", "this link has already been used"));
            }
            Err(AppError::Conflict { .. }) if tries < 2 && matches!(claims.purpose, Purpose::ConfirmMatch | Purpose::DeclineMatch) => {
                tries += 1;
            }
            other => return other,
        }
    }
}

pub(crate) fn used_link_op(claims: &Claims) -> WriteOp {
    let attrs = Map::from_iter([(ENTITY.into(), json!("used_link")), (EXPIRES_AT.into(), json!(claims.exp))]);
    WriteOp::Put { item: Item::new(keys::used_link(&claims.jti), attrs), cond: Cond::Absent }
}

async fn verify(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<LinkOutcome, AppError> {
    if deps.store.get(&keys::used_link(&claims.jti), now).await?.is_some() {
        return Err(AppError::gone("link_used", "this link has already been used"));
    }
    let Some(member) = load_member(deps, &claims.sub, now).await? else {
        return Err(AppError::gone("link_expired", "this registration has expired or was erased; please register again"));
    };
    let expires_at = member.expires_at.max(deps.config.expiry(now, MEMBER_TTL));
    let mut ops = vec![
        used_link_op(claims),
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([
                ("status".into(), json!(MemberStatus::Active)),
                ("last_active_at".into(), json!(now)),
                (EXPIRES_AT.into(), json!(expires_at)),
            ]),
            cond: Cond::Live,
        },
        WriteOp::Update {
            key: keys::email_marker(&member.email_hash),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(expires_at))]),
            cond: Cond::Live,
        },
    ];
    if member.status == MemberStatus::Pending {
        let department = PostalCode::parse(&member.postal_code).ok().map(|c| c.department().to_owned());
        let event = crate::stats::Event { department: department.as_deref(), ..Default::default() };
        ops.push(crate::stats::count(crate::stats::Metric::Registered, &event, now));
    }
    deps.store.transact(ops, now).await?;
    let session_expires_at = (now + SESSION_TTL).min(expires_at);
    let (session, _) = deps.links.issue(Purpose::Session, &member.id, now, session_expires_at)?;
    info!(member_id = %member.id, was = ?member.status, "member verified");
    Ok(LinkOutcome::Verified { session, session_expires_at })
}

/// Removes everything of a member at once: the member's partition and the e-mail marker. With a link's
/// claims, the link is marked used in the same transaction (a reused erase link gets `410 link_used`).
///
/// A member owning more than one transaction's worth of items has the extra items removed first, so the
/// final transaction (profile, marker, link) is the one that makes the erasure visible; if an earlier
/// step fails, the link still works and can be followed again.
#[instrument(skip_all, fields(member_id = %member_id))]
pub async fn erase(deps: &Deps, member_id: &str, link: Option<&Claims>, now: UnixTime) -> Result<(), AppError> {
    // A perk withdrawn or expiring at the same moment makes the detach condition fail: try again.
    let mut tries = 0;
    loop {
        match erase_once(deps, member_id, link, now).await {
            Err(AppError::Conflict { .. }) if tries < 2 => tries += 1,
            other => return other,
        }
    }
}

async fn erase_once(deps: &Deps, member_id: &str, link: Option<&Claims>, now: UnixTime) -> Result<(), AppError> {
    let items = deps.store.query_prefix(&keys::member_pk(member_id), "", INCLUDING_EXPIRED, MAX_MEMBER_ITEMS).await?;
    let profile = keys::member(member_id);
    let mut marker = None;
    // Perks stay listed (they are business data) but lose the link to the member.
    let mut others = crate::posts::detach_perks(deps, member_id, &items, now).await?;
    // A match names both members: it goes with either of them.
    // Each match goes first, one transaction each (two matches may touch the same offer), releasing the
    // other party: their request reopens, or their offer gets its capacity back. The member's own items
    // go in the transactions below.
    for item in &items {
        if let Some(id) = item.key.sk.strip_prefix("MATCH#")
            && let Some(m) = deps.store.get(&keys::matched(id), now).await?
        {
            let m: crate::review::Match = m.parse()?;
            let mut ops = crate::review::release_ops(deps, &m, now, false, Some(member_id)).await?;
            ops.push(WriteOp::Delete { key: keys::matched(id), cond: Cond::Live });
            deps.store.transact(ops, now).await?;
        }
    }
    for item in items {
        if item.key == profile {
            let m: Member = parse_item(&item)?;
            marker = Some(keys::email_marker(&m.email_hash));
        } else {
            others.push(WriteOp::Delete { key: item.key, cond: Cond::Always });
        }
    }
    let mut last = Vec::new();
    if let Some(claims) = link {
        last.push(used_link_op(claims));
    }
    if let Some(marker) = marker {
        last.push(WriteOp::Delete { key: marker, cond: Cond::Always });
        last.push(WriteOp::Delete { key: profile, cond: Cond::Always });
    }
    let room = crate::store::MAX_TRANSACTION_OPS - last.len();
    while others.len() > room {
        let chunk: Vec<WriteOp> = others.drain(..crate::store::MAX_TRANSACTION_OPS).collect();
        deps.store.transact(chunk, now).await?;
    }
    last.extend(others);
    deps.store.transact(last, now).await?;
    info!("member erased");
    Ok(())
}

/// The signed-in member of a request, from its `Authorization: Bearer` session.
///
/// Errors: `401 missing_session`, `401 invalid_token`/`wrong_purpose`/`session_expired`, and
/// `401 session_revoked` once the member no longer exists (erased or expired).
pub async fn authenticate(deps: &Deps, bearer: Option<&str>) -> Result<Member, AppError> {
    let token = bearer.ok_or_else(|| AppError::unauthorized("missing_session", "sign in first (Authorization: Bearer <session>)"))?;
    let now = deps.clock.now();
    let claims = deps.links.verify(token, &[Purpose::Session], now)?;
    let member = load_member(deps, &claims.sub, now)
        .await?
        .filter(|m| m.status == MemberStatus::Active)
        .ok_or_else(|| AppError::unauthorized("session_revoked", "this session is no longer valid; sign in again"))?;
    touch(deps, &member, now).await;
    Ok(member)
}

/// Activity pushes the member's expiry to 30 days from now, at most once a day (one write a day, not
/// one per request). Best effort: a failed touch never fails the request.
async fn touch(deps: &Deps, member: &Member, now: UnixTime) {
    let target = deps.config.expiry(now, MEMBER_TTL);
    if member.expires_at + DAY > target {
        return;
    }
    let set = |extra: bool| {
        let mut m = Map::from_iter([(EXPIRES_AT.into(), json!(target))]);
        if extra {
            m.insert("last_active_at".into(), json!(now));
        }
        m
    };
    let ops = vec![
        WriteOp::Update { key: keys::member(&member.id), set: set(true), cond: Cond::Live },
        WriteOp::Update { key: keys::email_marker(&member.email_hash), set: set(false), cond: Cond::Live },
    ];
    if let Err(e) = deps.store.transact(ops, now).await {
        warn!(member_id = %member.id, error = %e, "could not extend the member's expiry");
    }
}

/// `GET /api/me`: everything we hold about the member.
pub async fn export(deps: &Deps, member: &Member) -> Result<Value, AppError> {
    let now = deps.clock.now();
    let items = deps.store.query_prefix(&keys::member_pk(&member.id), "", now, MAX_MEMBER_ITEMS).await?;
    let marker = deps.store.get(&keys::email_marker(&member.email_hash), now).await?;
    let posts = crate::posts::of_member(deps, &member.id, now).await?;
    // Everything else we hold: the e-mail marker (with its mail quota) and any item of another type.
    // (AREA# and LISTED# items are the matching and search indexes' copies of the posts listed above.)
    let known = |i: &&Item| {
        i.key == keys::member(&member.id) || ["OFFER#", "REQUEST#", "PERK#", "AREA#", "LISTED#"].iter().any(|p| i.key.sk.starts_with(p))
    };
    let records: Vec<Value> = items
        .iter()
        .filter(|i| !known(i))
        .chain(marker.iter())
        .map(|i| {
            let mut attrs = i.attrs.clone();
            if let Some(e) = i.expires_at() {
                attrs.insert("expires_at".into(), json!(rfc3339(e)));
            }
            Value::Object(attrs)
        })
        .collect();
    Ok(json!({
        "profile": {
            "id": member.id,
            "email": member.email,
            "first_name": member.first_name,
            "postal_code": member.postal_code,
            "community": member.community,
            "role": member.role,
            "phone": member.phone,
            "locale": member.locale,
            "status": member.status,
            "created_at": rfc3339(member.created_at),
            "last_active_at": rfc3339(member.last_active_at),
            "expires_at": rfc3339(member.expires_at),
        },
        "offers": posts["offers"],
        "requests": posts["requests"],
        "perks": posts["perks"],
        "records": records,
        "exported_at": rfc3339(now),
    }))
}
