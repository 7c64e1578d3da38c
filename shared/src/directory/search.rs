//! Searching indexed items by distance: read the cells around a postal code by key (a dense cell one
//! postal code at a time), keep what is within the radius, sort by distance then id, and page with a
//! signed cursor.
//!
//! The cursor names the last item returned (its distance in metres and its id) and a fingerprint of the
//! query; it is signed with a key derived from the deployment's secret, so an edited cursor, or one
//! taken from another query, is refused (`400 invalid_cursor`). Results are exact: every item within the
//! radius appears exactly once across the pages (checked against a brute-force computation in tests).

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::domain::PostalCode;
use crate::error::AppError;
use crate::geo;
use crate::records::keys;
use crate::records::keys::CellIndex;
use crate::store::{IndexPage, Item};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// A search around a postal code.
pub struct GeoQuery {
    /// The index searched.
    pub index: CellIndex,
    pub center: PostalCode,
    pub radius_km: i64,
    pub limit: usize,
    /// Everything else that shapes the result (filters), bound into the cursor.
    pub fingerprint: String,
    pub cursor: Option<String>,
}

/// One result: the item, its distance, and the sort position.
pub struct Hit {
    pub item: Item,
    pub distance_km: f64,
}

/// What a search answers: a page of results, nearest first, and the cursor of the next page.
#[derive(Debug, Serialize)]
pub struct SearchPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A page of results and the cursor of the next one.
pub struct Page {
    pub hits: Vec<Hit>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CursorPayload {
    v: u8,
    f: String,
    d: i64,
    id: String,
}

fn invalid_cursor() -> AppError {
    AppError::bad_request("invalid_cursor", Some("cursor".into()), "this cursor is not valid for this search; start again without it")
}

fn fingerprint(q: &GeoQuery) -> String {
    format!("{}|{}|{}|{}|{}", q.index.name(), q.center.as_str(), q.radius_km, q.limit, q.fingerprint)
}

fn encode_cursor(deps: &Deps, f: &str, d: i64, id: &str) -> String {
    let payload = serde_json::to_vec(&CursorPayload { v: 1, f: f.to_owned(), d, id: id.to_owned() }).unwrap_or_default();
    let tag = deps.cursor_signer.tag(&payload);
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&tag[..16]))
}

fn decode_cursor(deps: &Deps, cursor: &str, f: &str) -> Result<(i64, String), AppError> {
    let (payload, tag) = cursor.split_once('.').ok_or_else(invalid_cursor)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid_cursor())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid_cursor())?;
    let full = deps.cursor_signer.tag(&payload);
    // Constant-time comparison of the truncated tag.
    if tag.len() != 16 || aws_lc_rs::constant_time::verify_slices_are_equal(&full[..16], &tag).is_err() {
        return Err(invalid_cursor());
    }
    let p: CursorPayload = serde_json::from_slice(&payload).map_err(|_| invalid_cursor())?;
    if p.v != 1 || p.f != f {
        return Err(invalid_cursor());
    }
    Ok((p.d, p.id))
}

/// A cell whose items fit in one read of this many is read whole; a denser cell is read postal code by
/// postal code, nearest first, and only as far as the page needs.
pub const CELL_PAGE: usize = 500;
/// Items read at least per page of one postal code (a filter may reject some of them).
const CODE_PAGE_MIN: usize = 50;
/// Cells read at once.
const CONCURRENT_CELLS: usize = 16;

/// One postal code within the radius, and its distance (every item of a code is at its point).
#[derive(Clone)]
struct Place {
    cell: String,
    code: PostalCode,
    metres: i64,
}

/// Runs a search. `keep` filters candidates (category, community…) and gives each item's postal code
/// and id; items it returns `None` for are left out.
///
/// Reads are proportional to the page and to the local density, never to everything in a cell: every
/// cell around the centre is read at most [`CELL_PAGE`] items deep (at once); a cell holding more is
/// then read one postal code at a time, in distance order, each only as far as the page needs (the
/// index sort key is `<postal code>#<id>`), and the walk stops as soon as no unread place can come
/// before the page's last item.
pub async fn geo_search(
    deps: &Deps,
    q: &GeoQuery,
    now: UnixTime,
    keep: impl Fn(&Item) -> Option<(PostalCode, String)>,
) -> Result<Page, AppError> {
    let f = fingerprint(q);
    let after = match &q.cursor {
        Some(c) => Some(decode_cursor(deps, c, &f)?),
        None => None,
    };
    let radius = q.radius_km as f64;
    let need = q.limit + 1;
    // The places within the radius and not wholly before the cursor, by cell: static data, no read.
    let mut cells: Vec<(String, Vec<Place>)> = Vec::new();
    for cell in geo::cells_within(&q.center, radius) {
        let places: Vec<Place> = geo::codes_in(&cell)
            .iter()
            .filter_map(|code| {
                let km = q.center.distance_km(code)?;
                let metres = (km * 1000.0).round() as i64;
                (km <= radius && after.as_ref().is_none_or(|(d, _)| metres >= *d)).then(|| Place {
                    cell: cell.clone(),
                    code: code.clone(),
                    metres,
                })
            })
            .collect();
        if !places.is_empty() {
            cells.push((cell, places));
        }
    }
    let mut hits: Vec<(i64, String, Hit)> = Vec::new();
    let before_cursor = |metres: i64, id: &str| after.as_ref().is_some_and(|(d, aid)| (metres, id) <= (*d, aid.as_str()));
    let take = |item: Item, hits: &mut Vec<(i64, String, Hit)>| {
        let Some((code, id)) = keep(&item) else { return };
        let Some(km) = q.center.distance_km(&code) else { return };
        let metres = (km * 1000.0).round() as i64;
        if km <= radius && !before_cursor(metres, &id) {
            hits.push((metres, id, Hit { item, distance_km: km }));
        }
    };
    // 1. One read per cell, at most CELL_PAGE deep: sparse cells are done; dense ones give their places.
    let reads: Vec<_> = cells
        .iter()
        .map(|(cell, _)| {
            let (store, pk) = (deps.store.clone(), q.index.partition(cell));
            async move { store.query_index_page(&pk, "", None, now, CELL_PAGE).await }
        })
        .collect();
    let pages: Vec<IndexPage> = futures::stream::iter(reads).buffered(CONCURRENT_CELLS).try_collect().await?;
    let mut places: Vec<Place> = Vec::new();
    for ((_, cell_places), page) in cells.into_iter().zip(pages) {
        if page.next.is_some() {
            places.extend(cell_places);
        } else {
            for item in page.items {
                take(item, &mut hits);
            }
        }
    }
    keep_best(&mut hits, need);
    // 2. The dense cells' places, nearest first, each read in id order as far as needed.
    places.sort_by(|a, b| (a.metres, a.code.as_str()).cmp(&(b.metres, b.code.as_str())));
    for place in places {
        if hits.iter().filter(|(m, _, _)| *m < place.metres).count() >= need {
            break;
        }
        let pk = q.index.partition(&place.cell);
        let prefix = keys::located_prefix(place.code.as_str());
        let mut from = match &after {
            Some((d, id)) if *d == place.metres => Some(keys::located_order(place.code.as_str(), id)),
            _ => None,
        };
        let mut found = 0;
        loop {
            let page = deps.store.query_index_page(&pk, &prefix, from.as_deref(), now, need.max(CODE_PAGE_MIN)).await?;
            let before = hits.len();
            for item in page.items {
                take(item, &mut hits);
            }
            found += hits.len() - before;
            match page.next {
                Some(next) if found < need => from = Some(next),
                _ => break,
            }
        }
        keep_best(&mut hits, need);
    }
    hits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let more = hits.len() > q.limit;
    hits.truncate(q.limit);
    let next_cursor = if more { hits.last().map(|(d, id, _)| encode_cursor(deps, &f, *d, id)) } else { None };
    Ok(Page { hits: hits.into_iter().map(|(_, _, h)| h).collect(), next_cursor })
}

/// Keeps the `n` first hits in page order: what a search holds stays bounded by its page.
fn keep_best(hits: &mut Vec<(i64, String, Hit)>, n: usize) {
    if hits.len() > n {
        hits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        hits.truncate(n);
    }
}

/// Distance for display: kilometres with two decimals.
pub fn display_km(d: f64) -> f64 {
    (d * 100.0).round() / 100.0
}
