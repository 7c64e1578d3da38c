//! Searching indexed items by distance: read the cells around a postal code by key, keep what is within
//! the radius, sort by distance then id, and page with a signed cursor.
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
use crate::records::keys::CellIndex;
use crate::store::{Item, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// At most this many items are read from one cell; a denser cell is an error, never a silent cut.
pub const MAX_PER_CELL: usize = 5_000;
/// At most this many candidates per search.
pub const MAX_CANDIDATES: usize = 20_000;

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

/// Runs a search. `keep` filters candidates (category, community…) and gives each item's postal code
/// and id; items it returns `None` for are left out.
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
    let cells = geo::cells_within(&q.center, q.radius_km as f64);
    let reads = cells.iter().map(|cell| {
        let pk = q.index.partition(cell);
        let store = deps.store.clone();
        async move { store.query_index(&pk, now, MAX_PER_CELL).await }
    });
    let batches = futures::future::try_join_all(reads).await.map_err(|e| match e {
        StoreError::Limit(_) => too_broad(),
        other => other.into(),
    })?;
    if batches.iter().map(Vec::len).sum::<usize>() > MAX_CANDIDATES {
        return Err(too_broad());
    }
    let radius = q.radius_km as f64;
    let mut hits: Vec<(i64, String, Hit)> = Vec::new();
    for item in batches.into_iter().flatten() {
        let Some((code, id)) = keep(&item) else { continue };
        let Some(d) = q.center.distance_km(&code) else { continue };
        if d > radius {
            continue;
        }
        let metres = (d * 1000.0).round() as i64;
        if let Some((ad, aid)) = &after
            && (metres, &id) <= (*ad, aid)
        {
            continue;
        }
        hits.push((metres, id, Hit { item, distance_km: d }));
    }
    hits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let more = hits.len() > q.limit;
    hits.truncate(q.limit);
    let next_cursor = if more { hits.last().map(|(d, id, _)| encode_cursor(deps, &f, *d, id)) } else { None };
    Ok(Page { hits: hits.into_iter().map(|(_, _, h)| h).collect(), next_cursor })
}

fn too_broad() -> AppError {
    AppError::invalid("search_too_broad", "radius_km", "too many results around this place; use a smaller radius or a filter")
}

/// Distance for display: kilometres with two decimals.
pub fn display_km(d: f64) -> f64 {
    (d * 100.0).round() / 100.0
}
