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
use crate::store::{EntryPage, IndexEntry, Item, Key};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// Its cell's index partition.
    partition: std::sync::Arc<str>,
    code: &'static PostalCode,
    metres: i64,
    km: f64,
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
    let mut cells: Vec<(std::sync::Arc<str>, Vec<Place>)> = Vec::new();
    for cell in geo::cells_within(&q.center, radius) {
        let partition: std::sync::Arc<str> = q.index.partition(&cell).into();
        let places: Vec<Place> = geo::codes_within(&cell, &q.center, radius)
            .into_iter()
            .filter_map(|(code, km)| {
                let metres = (km * 1000.0).round() as i64;
                after.as_ref().is_none_or(|(d, _)| metres >= *d).then(|| Place { partition: partition.clone(), code, metres, km })
            })
            .collect();
        if !places.is_empty() {
            cells.push((partition, places));
        }
    }
    let mut hits: Vec<Candidate> = Vec::new();
    let before_cursor = |metres: i64, id: &str| after.as_ref().is_some_and(|(d, aid)| (metres, id) <= (*d, aid.as_str()));
    let take = |item: Item, hits: &mut Vec<Candidate>| {
        let Some((code, id)) = keep(&item) else { return };
        let Some(km) = q.center.distance_km(&code) else { return };
        let metres = (km * 1000.0).round() as i64;
        if km <= radius && !before_cursor(metres, &id) {
            hits.push(Candidate { metres, id, km, held: Held::Item(item) });
        }
    };
    // 1. One read per cell, at most CELL_PAGE deep: sparse cells are done; dense ones give their places.
    let reads: Vec<_> = cells
        .iter()
        .map(|(partition, _)| {
            let (store, pk) = (deps.store.clone(), partition.to_string());
            async move { store.query_index_entries(&pk, "", None, now, CELL_PAGE).await }
        })
        .collect();
    let pages: Vec<EntryPage> = futures::stream::iter(reads).buffered(CONCURRENT_CELLS).try_collect().await?;
    let mut places: Vec<Place> = Vec::new();
    for ((_, cell_places), page) in cells.into_iter().zip(pages) {
        if page.next.is_some() {
            places.extend(cell_places);
        } else {
            // Where an entry stands, from its index sort key alone (`<postal code>#<id>`) and the cell's
            // places within the radius, already measured.
            let near: HashMap<&str, &Place> = cell_places.iter().map(|p| (p.code.as_str(), p)).collect();
            for entry in page.entries {
                let Some((code, id)) = entry.index_sk.split_once('#') else { continue };
                let Some(place) = near.get(code) else { continue };
                if !before_cursor(place.metres, id) {
                    let id = id.to_owned();
                    hits.push(Candidate { metres: place.metres, id, km: place.km, held: Held::Entry(entry) });
                }
            }
        }
    }
    keep_best(deps, now, &mut hits, need, &keep).await?;
    // 2. The dense cells' places, nearest first, each read in id order as far as needed.
    places.sort_by(|a, b| (a.metres, a.code.as_str()).cmp(&(b.metres, b.code.as_str())));
    for place in places {
        if hits.iter().filter(|c| c.metres < place.metres).count() >= need {
            break;
        }
        let pk = &*place.partition;
        let prefix = keys::located_prefix(place.code.as_str());
        let mut from = match &after {
            Some((d, id)) if *d == place.metres => Some(keys::located_order(place.code.as_str(), id)),
            _ => None,
        };
        let mut found = 0;
        loop {
            let page = deps.store.query_index_page(pk, &prefix, from.as_deref(), now, need.max(CODE_PAGE_MIN)).await?;
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
        keep_best(deps, now, &mut hits, need, &keep).await?;
    }
    let more = hits.len() > q.limit;
    hits.truncate(q.limit);
    let next_cursor = if more { hits.last().map(|c| encode_cursor(deps, &f, c.metres, &c.id)) } else { None };
    let hits = hits
        .into_iter()
        .filter_map(|c| match c.held {
            Held::Item(item) => Some(Hit { item, distance_km: c.km }),
            Held::Entry(_) => None,
        })
        .collect();
    Ok(Page { hits, next_cursor })
}

/// A search candidate: its place in the page order (distance in metres, id), and its item, read (and
/// filtered) only once it ranks among the first of the page.
struct Candidate {
    metres: i64,
    id: String,
    km: f64,
    held: Held,
}

impl Candidate {
    /// The key of its item if the item is still to be read.
    fn unread_key(&self) -> Option<Key> {
        match &self.held {
            Held::Entry(e) if e.has_item() => None,
            Held::Entry(e) => Some(e.key.clone()),
            Held::Item(_) => None,
        }
    }
}

enum Held {
    /// Ranked by its index sort key; its item not looked at yet.
    Entry(IndexEntry),
    /// Read and kept by the filter.
    Item(Item),
}

/// Keeps the `n` first candidates in page order that the filter keeps, reading entries' items in that
/// order only until `n` are kept: what a search holds stays bounded by its page, and what it reads too
/// (without a filter, the page itself, in one read).
async fn keep_best(
    deps: &Deps,
    now: UnixTime,
    hits: &mut Vec<Candidate>,
    n: usize,
    keep: &impl Fn(&Item) -> Option<(PostalCode, String)>,
) -> Result<(), AppError> {
    hits.sort_by(|a, b| (a.metres, &a.id).cmp(&(b.metres, &b.id)));
    let mut rest = std::mem::take(hits).into_iter().peekable();
    let mut kept: Vec<Candidate> = Vec::with_capacity(n);
    while kept.len() < n && rest.peek().is_some() {
        // The next candidates in order, as many as are still missing; their unread items in one read.
        let batch: Vec<Candidate> = rest.by_ref().take(n - kept.len()).collect();
        let unread: Vec<Key> = batch.iter().filter_map(|c| c.unread_key()).collect();
        let mut read = deps.store.get_many(unread, now).await?.into_iter();
        for mut c in batch {
            if let Held::Entry(entry) = c.held {
                let index_sk = entry.index_sk.clone();
                let item = match entry.item() {
                    Ok(item) => Some(item),
                    Err(_) => read.next().flatten(),
                };
                // Gone since the index was read, filtered out, or moved since (then found at its new place).
                match item {
                    Some(item) if keep(&item).is_some_and(|(code, id)| keys::located_order(code.as_str(), &id) == index_sk) => {
                        c.held = Held::Item(item);
                    }
                    _ => continue,
                }
            }
            kept.push(c);
        }
    }
    *hits = kept;
    Ok(())
}

/// Distance for display: kilometres with two decimals.
pub fn display_km(d: f64) -> f64 {
    (d * 100.0).round() / 100.0
}
