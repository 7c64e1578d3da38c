//! A member's own offers, requests and perks, as the export shows them.

use crate::clock::{UnixTime, rfc3339};
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::records::perk::perk_key;
use crate::store::{ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// A stored item as the export shows it: every attribute it has, times as RFC 3339, without the index
/// keys. Deliberately a map and not a struct: the right of access shows everything stored, and a type
/// could silently forget a field added later.
pub type Shown = Map<String, Value>;

/// A member's own posts.
#[derive(Debug, Serialize)]
pub struct Mine {
    pub offers: Vec<Shown>,
    pub requests: Vec<Shown>,
    pub perks: Vec<Shown>,
}

/// The member's offers, requests and perks, for `GET /api/me`.
pub async fn of_member(deps: &Deps, member_id: &str, now: UnixTime) -> Result<Mine, AppError> {
    let items = deps.store.query_prefix(&keys::member_pk(member_id), "", now, crate::records::member::MAX_MEMBER_ITEMS).await?;
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
            a
        };
        if item.key.sk.starts_with(keys::OFFER_PREFIX) {
            offers.push(shown(&item));
        } else if item.key.sk.starts_with(keys::REQUEST_PREFIX) {
            requests.push(shown(&item));
        } else if let Some(id) = item.key.sk.strip_prefix(keys::PERK_REF_PREFIX)
            && let Some(perk) = deps.store.get(&perk_key(id), now).await?
        {
            let mut p = shown(&perk);
            p.remove("submitted_by");
            perks.push(p);
        }
    }
    Ok(Mine { offers, requests, perks })
}
