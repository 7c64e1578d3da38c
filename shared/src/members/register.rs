//! `POST /api/register`: a pending member, or a sign-in link for a known address.

use super::{MAX_LINK_MAILS_PER_HOUR, PENDING_TTL, SIGN_IN_LINK_TTL, record};
use crate::clock::{HOUR, UnixTime};
use crate::deps::Deps;
use crate::domain::{Community, Email, FirstName, Locale, Phone, PostalCode, Role};
use crate::error::{AppError, Refusal};
use crate::links::Purpose;
use crate::mail::templates::SignIn;
use crate::records::keys;
use crate::records::member::{EmailMarker, MEMBER_TTL, Member, MemberStatus, load_member, parse_item};
use crate::store::{Cond, Item, StoreError, WriteOp};
use serde::Deserialize;
use serde_json::{Map, json};
use tracing::{info, instrument, warn};

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
        return Err(Refusal::PlatformClosed.into());
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
                Err(e) if e.is_conflict() => continue,
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
    // Three concurrent requests for this address each won a round and sent a link: like a quota
    // reached, this one sends nothing, and answers the same as every other case.
    info!(outcome = "contended", "registration");
    Ok(())
}

pub(crate) async fn create_pending(deps: &Deps, reg: &Registration, email_hash: &str, now: UnixTime) -> Result<Member, AppError> {
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
        community_verified_on: None,
        community_verified_until: None,
        work_email_hash: None,
    };
    let marker = EmailMarker { member_id: member.id.clone(), mail_window_start: now, mail_count: 1, expires_at };
    let ops = vec![
        WriteOp::Put { item: Item::new(keys::email_marker(email_hash), record("email_marker", &marker)?), cond: Cond::Absent },
        WriteOp::Put { item: Item::new(keys::member(&member.id), record("member", &member)?), cond: Cond::Absent },
    ];
    deps.store.transact(ops, now).await?;
    Ok(member)
}

pub(crate) async fn send_sign_in(deps: &Deps, member: &Member, now: UnixTime) -> Result<(), AppError> {
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
