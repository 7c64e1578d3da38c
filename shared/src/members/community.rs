//! A community verified by a work address that keeps no proof (docs/PRODUCT.md §2.3, §3).
//!
//! `POST /api/me/community-verification {work_email}`: the address must be on a domain of the member's
//! community ([`crate::domain::WorkEmail`]); a `verify_community` link (24 h) goes to it, and the member's
//! partition keeps only what the link needs: the link's id and a keyed hash of the address
//! (`COMMUNITY_CHECK`). Following the link marks the community verified — the day only, for twelve
//! months — and writes the work-address marker (`WORK_EMAIL#<keyed hash>`, the member's id) so that one
//! work address verifies one member at a time. The address itself is stored nowhere, logged nowhere, and
//! never shown back.
//!
//! Invariants: each check's limit (3 links a day) is counted by the check item's own conditional write;
//! only the latest link works; the marker, the member's verification and the used-link marker are written
//! in one transaction; the marker lives as long as the member and never beyond the verification
//! ([`Member::keep_markers`]), and goes with the member.

use crate::clock::{DAY, UnixTime, day_of, parse_rfc3339, rfc3339};
use crate::deps::Deps;
use crate::domain::{Community, FirstName, Taxonomy, WorkEmail};
use crate::error::{AppError, Refusal};
use crate::links::{Claims, Purpose};
use crate::mail::community::CommunityCheck;
use crate::records::keys;
use crate::records::member::{Member, WorkEmailMarker, load_member, used_link_op};
use crate::stats::{self, Metric};
use crate::store::{Cond, StoreError, WriteOp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use tracing::{info, instrument};

/// How long a verification holds.
pub const VERIFICATION_TTL: i64 = 365 * DAY;

/// How long a verification link is valid.
pub const CHECK_LINK_TTL: i64 = DAY;

/// Verification links a member may ask for per rolling day.
pub const MAX_CHECKS_PER_DAY: i64 = 3;

/// The body of `POST /api/me/community-verification`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationBody {
    pub work_email: String,
}

/// `202`: the link is on its way to the work address.
#[derive(Debug, Serialize)]
pub struct CheckSent {
    pub status: &'static str,
    pub link_expires_at: String,
}

/// A verification waiting for its link (`MEMBER#<id>`/`COMMUNITY_CHECK`): never the address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingCheck {
    pub(crate) jti: String,
    pub(crate) work_hash: String,
    pub(crate) community: String,
    pub(crate) window_start: UnixTime,
    pub(crate) links_sent: i64,
    pub(crate) expires_at: UnixTime,
}

/// A community verified, until when.
#[derive(Debug)]
pub struct Verified {
    pub community: String,
    pub valid_until: UnixTime,
}

/// The keyed hash of a work address: its own label, so it never equals the hash of the same address
/// used as a member's contact address.
fn work_hash(deps: &Deps, work: &WorkEmail) -> String {
    deps.email_hasher.hash(&format!("work:{}", work.as_str()))
}

fn label(community: &str, locale: crate::domain::Locale) -> String {
    let entry = Taxonomy::get().communities.iter().find(|c| c.code == community);
    entry.map(|c| if locale == crate::domain::Locale::En { c.label.en.clone() } else { c.label.fr.clone() }).unwrap_or_default()
}

/// `POST /api/me/community-verification`: sends the verification link to the work address.
///
/// Refusals: `422 invalid_email`, `422 community_not_verifiable`, `422 work_domain_not_listed`,
/// `429 too_many_verifications`, `410 platform_closed`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn request(deps: &Deps, member: &Member, body: VerificationBody) -> Result<CheckSent, AppError> {
    let now = deps.clock.now();
    if deps.config.is_sunset(now) {
        return Err(Refusal::PlatformClosed.into());
    }
    let community = Community::parse(&member.community).map_err(|e| e.at("community"))?;
    let work = WorkEmail::parse(&body.work_email, &community, &deps.config.work_domains).map_err(|e| e.at("work_email"))?;
    let key = keys::community_check(&member.id);
    let previous = deps.store.get(&key, now).await?;
    let (window_start, links_sent, cond) = match &previous {
        None => (now, 1, Cond::Absent),
        Some(item) => {
            let p: PendingCheck = item.parse()?;
            let unchanged = Cond::LiveWith(vec![("jti".into(), json!(p.jti))]);
            if p.window_start + DAY <= now {
                (now, 1, unchanged)
            } else if p.links_sent < MAX_CHECKS_PER_DAY {
                (p.window_start, p.links_sent + 1, unchanged)
            } else {
                return Err(Refusal::TooManyVerifications.into());
            }
        }
    };
    let link_expires_at = deps.config.expiry(now, CHECK_LINK_TTL);
    let (token, claims) = deps.links.issue(Purpose::VerifyCommunity, &member.id, now, link_expires_at)?;
    let pending = PendingCheck {
        jti: claims.jti.clone(),
        work_hash: work_hash(deps, &work),
        community: community.as_str().to_owned(),
        window_start,
        links_sent,
        expires_at: link_expires_at,
    };
    // The limit is this write's own condition: two requests that both read room for one more cannot both
    // write (the second finds the check changed).
    let put = WriteOp::Put { item: crate::records::item_of(&pending, "community_check", key.clone(), [])?, cond };
    deps.store.transact(vec![put], now).await.map_err(|e| match e {
        StoreError::Conflict => AppError::from(Refusal::ConcurrentChange),
        e => e.into(),
    })?;
    let first_name = FirstName::parse(&member.first_name).map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))?;
    let mail = CommunityCheck {
        to: work.email(),
        first_name: &first_name,
        locale: member.locale,
        community: &label(community.as_str(), member.locale),
        verify_url: &deps.config.link_url(token.as_str()),
    }
    .render();
    if let Err(e) = deps.mailer.send(&mail).await {
        // Put the check back as it was, so a mail that never left neither counts nor replaces a link.
        let mine = Cond::LiveWith(vec![("jti".into(), json!(claims.jti))]);
        let undo = match previous {
            Some(item) => WriteOp::Put { item, cond: mine },
            None => WriteOp::Delete { key, cond: mine },
        };
        let _ = deps.store.transact(vec![undo], now).await;
        return Err(e.into());
    }
    info!(community = community.as_str(), "community verification link sent");
    Ok(CheckSent { status: "verification_sent", link_expires_at: rfc3339(link_expires_at) })
}

/// Following a `verify_community` link: the member's community is verified for twelve months.
///
/// Refusals: `410 link_used`, `410 link_replaced` (a newer link was sent), `410 link_expired` (the
/// member is gone), `409 work_email_in_use`.
pub(crate) async fn confirm(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<Verified, AppError> {
    if deps.store.get(&keys::used_link(&claims.jti), now).await?.is_some() {
        return Err(Refusal::LinkUsed.into());
    }
    let Some(member) = load_member(deps, &claims.sub, now).await? else {
        return Err(Refusal::RegistrationExpired.into());
    };
    let check_key = keys::community_check(&member.id);
    let pending: PendingCheck = match deps.store.get(&check_key, now).await? {
        Some(item) => item.parse()?,
        None => return Err(Refusal::LinkReplaced.into()),
    };
    if pending.jti != claims.jti || pending.community != member.community {
        return Err(Refusal::LinkReplaced.into());
    }
    let marker_key = keys::work_email_marker(&pending.work_hash);
    let marker_cond = match deps.store.get(&marker_key, now).await? {
        None => Cond::Absent,
        Some(item) if item.parse::<WorkEmailMarker>()?.member_id == member.id => {
            Cond::LiveWith(vec![("member_id".into(), json!(member.id))])
        }
        Some(_) => return Err(Refusal::WorkEmailInUse.into()),
    };
    let day = day_of(now);
    let valid_until = parse_rfc3339(&format!("{day}T00:00:00Z")).unwrap_or(now) + VERIFICATION_TTL;
    let marker = WorkEmailMarker { member_id: member.id.clone(), expires_at: member.expires_at.min(valid_until) };
    let mut ops = vec![
        used_link_op(claims),
        WriteOp::Delete { key: check_key, cond: Cond::LiveWith(vec![("jti".into(), json!(claims.jti))]) },
        WriteOp::Put { item: crate::records::item_of(&marker, "work_email_marker", marker_key, [])?, cond: marker_cond },
    ];
    // A member verified before with another address frees it.
    if member.work_email_hash.as_ref().is_some_and(|h| *h != pending.work_hash) {
        ops.extend(member.release_work_email(deps, now).await?);
    }
    ops.push(WriteOp::Update {
        key: keys::member(&member.id),
        set: Map::from_iter([
            ("community_verified_on".into(), json!(day)),
            ("community_verified_until".into(), json!(valid_until)),
            ("work_email_hash".into(), json!(pending.work_hash)),
            ("revision".into(), json!(member.revision + 1)),
        ]),
        cond: Cond::LiveWith(vec![("revision".into(), json!(member.revision))]),
    });
    ops.push(stats::count(Metric::CommunityVerified, &stats::Event::default(), now));
    deps.store.transact(ops, now).await?;
    info!(member_id = %member.id, community = %member.community, "community verified");
    Ok(Verified { community: member.community, valid_until })
}

/// The write that checks, inside a transaction, that the member's verification is the one read (not
/// lapsed since, not replaced, the member not erased).
pub(crate) fn still_verified(member: &Member) -> WriteOp {
    WriteOp::Check {
        key: keys::member(&member.id),
        cond: Cond::LiveWith(vec![("community_verified_until".into(), json!(member.community_verified_until))]),
    }
}
