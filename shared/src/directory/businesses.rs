//! `GET /api/businesses`: the perks directory.

use super::params::Params;
use super::search::{SearchPage, display_km, geo_search};
use crate::deps::Deps;
use crate::domain::{BusinessCategory, Community, PostalCode};
use crate::error::AppError;
use crate::records::keys::CellIndex;
use crate::records::perk::Perk;
use crate::records::perk::PerkStatus;
use serde::Serialize;

/// A business in the directory, as `GET /api/businesses` shows it.
#[derive(Debug, Serialize)]
pub struct Business {
    pub id: String,
    pub name: String,
    pub address: String,
    pub postal_code: String,
    pub department: String,
    pub category: String,
    pub perk: String,
    pub communities: Vec<String>,
    /// Tickets only for members whose community a work address verified.
    pub verified_only: bool,
    pub quantity: Option<i64>,
    /// Tickets left to claim, for a perk with a quantity.
    pub remaining: Option<i64>,
    pub ends_on: Option<String>,
    pub distance_km: f64,
}

/// `GET /api/businesses`: approved perks within `radius_km` (1–100, default 10) of `postal_code`, by
/// distance, optionally of one `category` and for one `community`; `limit` 1–50 (default 20).
pub async fn search_businesses(deps: &Deps, params: Params<'_>) -> Result<SearchPage<Business>, AppError> {
    let q = params.geo_query(CellIndex::Perks, 10, &["category", "community"])?;
    let category = params.get("category").map(BusinessCategory::parse).transpose().map_err(|e| e.at("category"))?;
    let community = params.get("community").map(Community::parse).transpose().map_err(|e| e.at("community"))?;
    let now = deps.clock.now();
    let page = geo_search(deps, &q, now, |item| {
        let perk: Perk = item.parse().ok()?;
        if perk.status != PerkStatus::Approved
            || category.as_ref().is_some_and(|c| c.as_str() != perk.category)
            || community.as_ref().is_some_and(|c| !perk.communities.iter().any(|p| p == c.as_str()))
        {
            return None;
        }
        Some((PostalCode::parse(&perk.postal_code).ok()?, perk.id))
    })
    .await?;
    let items = page
        .hits
        .iter()
        .filter_map(|h| {
            let p: Perk = h.item.parse().ok()?;
            let department = PostalCode::parse(&p.postal_code).ok()?.department().to_owned();
            Some(Business {
                id: p.id,
                name: p.business_name,
                address: p.address,
                postal_code: p.postal_code,
                department,
                category: p.category,
                perk: p.perk,
                communities: p.communities,
                verified_only: p.verified_only,
                remaining: p.quantity.map(|q| (q - p.claimed).max(0)),
                quantity: p.quantity,
                ends_on: p.ends_on,
                distance_km: display_km(h.distance_km),
            })
        })
        .collect();
    Ok(SearchPage { items, next_cursor: page.next_cursor })
}
