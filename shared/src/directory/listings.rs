//! `GET /api/listings`: listings for organisations, nothing personal shown.

use super::params::Params;
use super::search::{SearchPage, display_km, geo_search};
use crate::clock::{DAY, rfc3339};
use crate::deps::Deps;
use crate::domain::{ListingDomain, PostalCode};
use crate::error::AppError;
use crate::records::keys::CellIndex;
use crate::records::post::{Listing, Side};
use serde::Serialize;

/// A listing, as `GET /api/listings` shows it: nothing about who published it.
#[derive(Debug, Serialize)]
pub struct ListingResult {
    pub id: String,
    #[serde(rename = "type")]
    pub side: Side,
    pub domain: String,
    pub postal_code: String,
    pub department: String,
    pub title: String,
    pub text: String,
    pub published_at: String,
    pub age_days: i64,
    pub distance_km: f64,
}

/// `GET /api/listings`: published listings within `radius_km` (1–100, default 20) of `postal_code`,
/// optionally of one `domain` and one `type` (`offer` or `request`). Nothing personal is shown.
pub async fn search_listings(deps: &Deps, params: Params<'_>) -> Result<SearchPage<ListingResult>, AppError> {
    let q = params.geo_query(CellIndex::Listings, 20, &["domain", "type"])?;
    let domain = params.get("domain").map(ListingDomain::parse).transpose().map_err(|e| e.at("domain"))?;
    let side = match params.get("type") {
        None => None,
        Some("offer") => Some(Side::Offer),
        Some("request") => Some(Side::Request),
        Some(_) => return Err(AppError::invalid("invalid_type_filter", "type", "type must be offer or request")),
    };
    let now = deps.clock.now();
    let page = geo_search(deps, &q, now, |item| {
        let l: Listing = item.parse().ok()?;
        if domain.as_ref().is_some_and(|d| d.as_str() != l.domain) || side.is_some_and(|s| s != l.side) {
            return None;
        }
        Some((PostalCode::parse(&l.postal_code).ok()?, l.id))
    })
    .await?;
    let items = page
        .hits
        .iter()
        .filter_map(|h| {
            let l: Listing = h.item.parse().ok()?;
            let department = PostalCode::parse(&l.postal_code).ok()?.department().to_owned();
            Some(ListingResult {
                published_at: rfc3339(l.created_at),
                age_days: (now - l.created_at).max(0) / DAY,
                id: l.id,
                side: l.side,
                domain: l.domain,
                postal_code: l.postal_code,
                department,
                title: l.title,
                text: l.text,
                distance_km: display_km(h.distance_km),
            })
        })
        .collect();
    Ok(SearchPage { items, next_cursor: page.next_cursor })
}
