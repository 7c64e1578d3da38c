//! `GET /api/me`: everything held about a member.

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
}

/// `GET /api/me`: the profile, the member's posts, and every other item held about them (`records`:
/// the e-mail marker with its mail quota, match references…), each as stored.
#[derive(Debug, Serialize)]
pub struct Export {
    pub profile: Profile,
    pub offers: Vec<Shown>,
    pub requests: Vec<Shown>,
    pub perks: Vec<Shown>,
    pub records: Vec<Shown>,
    pub exported_at: String,
}

/// `GET /api/me`: everything we hold about the member.
pub async fn export(deps: &Deps, member: &Member) -> Result<Export, AppError> {
    let now = deps.clock.now();
    let items = deps.store.query_prefix(&keys::member_pk(&member.id), "", now, MAX_MEMBER_ITEMS).await?;
    let marker = deps.store.get(&keys::email_marker(&member.email_hash), now).await?;
    let posts = crate::posts::mine::of_member(deps, &member.id, now).await?;
    // Everything else we hold: the e-mail marker (with its mail quota) and any item of another type.
    // (AREA# and LISTED# items are the matching and search indexes' copies of the posts listed above.)
    let known = |i: &&Item| {
        i.key == keys::member(&member.id)
            || [keys::OFFER_PREFIX, keys::REQUEST_PREFIX, keys::PERK_REF_PREFIX, keys::AREA_PREFIX, keys::LISTED_PREFIX]
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
    let m = member.clone();
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
        },
        offers: posts.offers,
        requests: posts.requests,
        perks: posts.perks,
        records,
        exported_at: rfc3339(now),
    })
}
