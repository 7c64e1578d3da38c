//! Businesses with a perk referenced by members (docs/PRODUCT.md §2.3), and cutting the link to a member
//! who is erased.

use super::{Created, Limit, guarded_write, index_by_cell, record};
use crate::clock::{DAY, UnixTime, parse_rfc3339, rfc3339};
use crate::config::ReviewMode;
use crate::deps::Deps;
use crate::domain::{BusinessCategory, Community, bounded, postal, text};
use crate::error::AppError;
use crate::records::keys;
use crate::records::member::Member;
use crate::records::perk::PerkStatus;
use crate::records::perk::{PERK_TTL, Perk, perk_key};
use crate::store::{Cond, ENTITY, EXPIRES_AT, GSI1PK, GSI1SK, Item, WriteOp};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tracing::info;

/// A business with a perk, as referenced by a member (`kind: "perk"` on `POST /api/offers`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerk {
    #[allow(dead_code)]
    kind: String,
    pub business_name: String,
    pub address: Option<String>,
    pub postal_code: String,
    pub category: String,
    pub perk: String,
    pub communities: Vec<String>,
    /// Tickets only for members whose community a work address verified.
    #[serde(default)]
    pub verified_only: bool,
    pub quantity: Option<i64>,
    pub ends_on: Option<String>,
}

pub(crate) async fn post_perk(deps: &Deps, member: &Member, b: NewPerk, now: UnixTime) -> Result<Created, AppError> {
    let code = postal(&b.postal_code, "postal_code")?;
    let category = BusinessCategory::parse(&b.category).map_err(|e| e.at("category"))?;
    if b.communities.is_empty() {
        return Err(AppError::invalid("invalid_communities", "communities", "say which communities the perk is for"));
    }
    let mut communities = Vec::new();
    for (i, c) in b.communities.iter().enumerate() {
        let c = Community::parse(c).map_err(|e| e.at(&format!("communities[{i}]")))?.as_str().to_owned();
        if !communities.contains(&c) {
            communities.push(c);
        }
    }
    let quantity = match b.quantity {
        Some(q) => {
            Some(bounded(q, 1, 100_000, "invalid_quantity", "the quantity must be between 1 and 100000").map_err(|e| e.at("quantity"))?)
        }
        None => None,
    };
    let (ends_on, expires_at) = match b.ends_on.as_deref() {
        Some(d) => {
            let day = match parse_rfc3339(d) {
                Some(t) if d.len() == 10 => t,
                _ => return Err(AppError::invalid("invalid_date", "ends_on", "expected a date such as 2027-03-31")),
            };
            // The perk is valid through its last day.
            let end = day + DAY;
            if end <= now || end > now + PERK_TTL {
                return Err(AppError::invalid("invalid_date", "ends_on", "the end date must be within the next year"));
            }
            (Some(d.to_owned()), deps.config.expiry(now, end - now))
        }
        None => (None, deps.config.expiry(now, PERK_TTL)),
    };
    let approved = deps.config.review == ReviewMode::Auto;
    let perk = Perk {
        id: ulid::Ulid::generate().to_string(),
        submitted_by: Some(member.id.clone()),
        business_name: text(Some(&b.business_name), "business_name", 2, 120)?,
        address: text(b.address.as_deref(), "address", 0, 200)?,
        postal_code: code.as_str().to_owned(),
        category: category.as_str().to_owned(),
        perk: text(Some(&b.perk), "perk", 3, 300)?,
        communities,
        verified_only: b.verified_only,
        quantity,
        claimed: 0,
        ends_on,
        status: if approved { PerkStatus::Approved } else { PerkStatus::Pending },
        created_at: now,
        expires_at,
    };
    let mut attrs = record("perk", "perk", &perk)?;
    if approved {
        index_by_cell(&mut attrs, keys::CellIndex::Perks, &code, &perk.id);
    } else {
        // Waiting for a moderator: in the review queue's index partition.
        attrs.insert(GSI1PK.into(), json!(keys::PENDING_PERKS));
        attrs.insert(GSI1SK.into(), json!(perk.id));
    }
    let reference = Map::from_iter([
        (ENTITY.into(), json!("perk_ref")),
        ("perk_id".into(), json!(perk.id)),
        (EXPIRES_AT.into(), json!(perk.expires_at)),
    ]);
    let ops = vec![
        WriteOp::Put { item: Item::new(perk_key(&perk.id), attrs), cond: Cond::Absent },
        WriteOp::Put { item: Item::new(keys::perk_ref(&member.id, &perk.id), reference), cond: Cond::Absent },
    ];
    // The member is not kept alive by a perk (it is business data), but the write is counted.
    guarded_write(deps, member, Limit::PerksReferenced, None, ops, now).await?;
    info!(perk_id = %perk.id, status = perk.status.as_str(), "perk referenced");
    Ok(Created { id: perk.id, kind: "perk", status: perk.status.as_str(), expires_at: rfc3339(perk.expires_at) })
}

/// Operations that cut the link between an erased member and the perks they referenced.
pub async fn detach_perks(deps: &Deps, member_id: &str, items: &[Item], now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = Vec::new();
    for item in items {
        if let Some(id) = item.key.sk.strip_prefix(keys::PERK_REF_PREFIX)
            && deps.store.get(&perk_key(id), now).await?.is_some()
        {
            ops.push(WriteOp::Update {
                key: perk_key(id),
                set: Map::from_iter([("submitted_by".into(), Value::Null)]),
                cond: Cond::LiveWith(vec![("submitted_by".into(), json!(member_id))]),
            });
        }
    }
    Ok(ops)
}
