//! Listings: skills offered to organisations, or an organisation's need (docs/PRODUCT.md §2.2).

use super::{Created, MAX_DETAILS, index_by_cell, record, save_post};
use crate::clock::{UnixTime, rfc3339};
use crate::deps::Deps;
use crate::domain::{ListingDomain, postal, radius, text};
use crate::error::AppError;
use crate::records::keys;
use crate::records::member::Member;
use crate::records::post::ListingStatus;
use crate::records::post::{Listing, POST_TTL, Side};
use crate::store::{Cond, GSI1PK, GSI1SK, Item, Key, WriteOp};
use serde::Deserialize;
use serde_json::json;
use tracing::info;

/// A listing as posted (`kind: "listing"`), offering skills or stating an organisation's need.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    #[allow(dead_code)]
    kind: String,
    pub domain: String,
    pub postal_code: String,
    pub radius_km: Option<i64>,
    pub title: String,
    pub text: String,
}

pub(crate) async fn post_listing(deps: &Deps, member: &Member, side: Side, b: NewListing, now: UnixTime) -> Result<Created, AppError> {
    let domain = ListingDomain::parse(&b.domain).map_err(|e| e.at("domain"))?;
    let code = postal(&b.postal_code, "postal_code")?;
    let listing = Listing {
        id: ulid::Ulid::generate().to_string(),
        member_id: member.id.clone(),
        side,
        domain: domain.as_str().to_owned(),
        postal_code: code.as_str().to_owned(),
        radius_km: radius(b.radius_km, 20, 100)?,
        title: text(Some(&b.title), "title", 3, 120)?,
        text: text(Some(&b.text), "text", 10, MAX_DETAILS)?,
        status: ListingStatus::Published,
        reminded_at: 0,
        contacts_rev: 0,
        created_at: now,
        expires_at: deps.config.expiry(now, POST_TTL),
    };
    let mut attrs = record(side.entity(), "listing", &listing)?;
    // The search reads a copy indexed by place; the listing itself is indexed by its reminder day.
    let mut copy = attrs.clone();
    index_by_cell(&mut copy, keys::CellIndex::Listings, &code, &listing.id);
    let listed = WriteOp::Put { item: Item::new(keys::listed(&member.id, &listing.id), copy), cond: Cond::Absent };
    attrs.insert(GSI1PK.into(), json!(crate::records::post::reminder_partition(listing.expires_at)));
    attrs.insert(GSI1SK.into(), json!(listing.id));
    let item = Item::new(Key::new(keys::member_pk(&member.id), format!("{}{}", side.sk_prefix(), listing.id)), attrs);
    // Who owns it, so that a member can contact it by its id without learning whose it is.
    let owner = WriteOp::Put {
        item: crate::records::contact::listing_owner_item(&listing.id, &member.id, side, listing.expires_at)?,
        cond: Cond::Absent,
    };
    save_post(deps, member, item, listing.expires_at, now, vec![listed, owner]).await?;
    info!(listing_id = %listing.id, side = side.entity(), "listing published");
    Ok(Created { id: listing.id, kind: "listing", status: listing.status.as_str(), expires_at: rfc3339(listing.expires_at) })
}
