//! `GET /api/me`: everything held about a member, their contacts through the relay included.

use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::domain::Locale;
use crate::error::AppError;
use crate::posts::mine::Shown;
use crate::records::keys;
use crate::records::member::MemberStatus;
use crate::records::member::{MAX_MEMBER_ITEMS, Member};
use crate::store::Item;
use serde::Serialize;
use serde_json::json;

/// The profile as the export shows it.
#[derive(Debug, Serialize)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub postal_code: String,
    pub community: String,
    pub role: Option<String>,
    pub phone: Option<String>,
    pub locale: Locale,
    pub status: MemberStatus,
    pub created_at: String,
    pub last_active_at: String,
    pub expires_at: String,
    /// Whether a work address verified the community and the verification holds.
    pub community_verified: bool,
    /// The day of that verification (a date only), and when it lapses.
    pub community_verified_on: Option<String>,
    pub community_verified_until: Option<String>,
}

/// A community verification waiting for its link: when the link expires, and how many were sent
/// today. (The work address is not kept; its keyed hash, which reveals nothing without the platform's
/// secret, is not shown.)
#[derive(Debug, Serialize)]
pub struct ShownCheck {
    pub link_expires_at: String,
    pub links_sent_today: i64,
}

/// `GET /api/me`: the profile, the member's posts, and every other item held about them (`records`:
/// the e-mail marker with its mail quota, match references…), each as stored.
#[derive(Debug, Serialize)]
pub struct Export {
    pub profile: Profile,
    pub offers: Vec<Shown>,
    pub requests: Vec<Shown>,
    pub perks: Vec<Shown>,
    /// Contacts through the relay, sent and received.
    pub contacts: Vec<ShownContact>,
    /// Tickets of perks the member holds, with their codes.
    pub tickets: Vec<crate::tickets::Ticket>,
    /// A community verification waiting for its link.
    pub community_check: Option<ShownCheck>,
    pub records: Vec<Shown>,
    pub exported_at: String,
}

/// Which side of a contact the member is on.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Sent,
    Received,
}

/// A contact as its sender or its listing's owner sees it: never the other party's id or address.
#[derive(Debug, Serialize)]
pub struct ShownContact {
    pub id: String,
    pub direction: Direction,
    pub listing_id: String,
    pub listing_title: String,
    pub message: String,
    pub status: crate::records::contact::ContactStatus,
    pub created_at: String,
    pub expires_at: String,
}

async fn contacts_of(deps: &Deps, items: &[Item], now: crate::clock::UnixTime) -> Result<Vec<ShownContact>, AppError> {
    let mut out = Vec::new();
    for item in items {
        let direction = if item.key.sk.starts_with(keys::CONTACT_SENT_PREFIX) {
            Direction::Sent
        } else if item.key.sk.starts_with(keys::CONTACT_IN_PREFIX) {
            Direction::Received
        } else {
            continue;
        };
        let Some(id) = item.attrs.get("contact_id").and_then(serde_json::Value::as_str) else { continue };
        let Some(c) = crate::records::load::<crate::records::contact::Contact>(deps, &keys::contact(id), now).await? else { continue };
        out.push(ShownContact {
            id: c.id,
            direction,
            listing_id: c.listing_id,
            listing_title: c.listing_title,
            message: c.message,
            status: c.status,
            created_at: rfc3339(c.created_at),
            expires_at: rfc3339(c.expires_at),
        });
    }
    Ok(out)
}

/// `GET /api/me`: everything we hold about the member.
pub async fn export(deps: &Deps, member: &Member) -> Result<Export, AppError> {
    let now = deps.clock.now();
    let items = deps.store.query_prefix(&keys::member_pk(&member.id), "", now, MAX_MEMBER_ITEMS).await?;
    let marker = deps.store.get(&keys::email_marker(&member.email_hash), now).await?;
    let posts = crate::posts::mine::of_member(deps, &member.id, now).await?;
    // Everything else we hold: the e-mail marker (with its mail quota) and any item of another type.
    // (AREA# and LISTED# items are the matching and search indexes' copies of the posts listed above;
    // CONTACT_SENT# and CONTACT_IN# items are the references of the contacts listed under `contacts`.)
    let contacts = contacts_of(deps, &items, now).await?;
    let tickets = crate::tickets::of_member(deps, &member.id, now).await?;
    let known = |i: &&Item| {
        i.key == keys::member(&member.id)
            || [
                keys::OFFER_PREFIX,
                keys::REQUEST_PREFIX,
                keys::PERK_REF_PREFIX,
                keys::AREA_PREFIX,
                keys::LISTED_PREFIX,
                keys::CONTACT_SENT_PREFIX,
                keys::CONTACT_IN_PREFIX,
                keys::CLAIM_PREFIX,
                keys::COMMUNITY_CHECK,
            ]
            .iter()
            .any(|p| i.key.sk.starts_with(p))
    };
    let records: Vec<Shown> = items
        .iter()
        .filter(|i| !known(i))
        .chain(marker.iter())
        .map(|i| {
            let mut attrs = i.attrs.clone();
            if let Some(e) = i.expires_at() {
                attrs.insert("expires_at".into(), json!(rfc3339(e)));
            }
            attrs
        })
        .collect();
    let community_check = match items.iter().find(|i| i.key == keys::community_check(&member.id)) {
        Some(i) => {
            let c: crate::members::community::PendingCheck = i.parse()?;
            Some(ShownCheck { link_expires_at: rfc3339(c.expires_at), links_sent_today: c.links_sent })
        }
        None => None,
    };
    let m = member.clone();
    let community_verified = m.verified_community(now).is_some();
    Ok(Export {
        profile: Profile {
            id: m.id,
            email: m.email,
            first_name: m.first_name,
            postal_code: m.postal_code,
            community: m.community,
            role: m.role,
            phone: m.phone,
            locale: m.locale,
            status: m.status,
            created_at: rfc3339(m.created_at),
            last_active_at: rfc3339(m.last_active_at),
            expires_at: rfc3339(m.expires_at),
            community_verified,
            community_verified_on: m.community_verified_on,
            community_verified_until: m.community_verified_until.map(rfc3339),
        },
        offers: posts.offers,
        requests: posts.requests,
        perks: posts.perks,
        contacts,
        tickets,
        community_check,
        records,
        exported_at: rfc3339(now),
    })
}
