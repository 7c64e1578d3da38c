//! `GET /api/me`: everything held about a member.

use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::records::member::{MAX_MEMBER_ITEMS, Member};
use crate::store::Item;
use serde_json::{Value, json};

/// `GET /api/me`: everything we hold about the member.
pub async fn export(deps: &Deps, member: &Member) -> Result<Value, AppError> {
    let now = deps.clock.now();
    let items = deps.store.query_prefix(&keys::member_pk(&member.id), "", now, MAX_MEMBER_ITEMS).await?;
    let marker = deps.store.get(&keys::email_marker(&member.email_hash), now).await?;
    let posts = crate::posts::mine::of_member(deps, &member.id, now).await?;
    // Everything else we hold: the e-mail marker (with its mail quota) and any item of another type.
    // (AREA# and LISTED# items are the matching and search indexes' copies of the posts listed above.)
    let known = |i: &&Item| {
        i.key == keys::member(&member.id) || [keys::OFFER_PREFIX, keys::REQUEST_PREFIX, keys::PERK_REF_PREFIX, keys::AREA_PREFIX, keys::LISTED_PREFIX].iter().any(|p| i.key.sk.starts_with(p))
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
