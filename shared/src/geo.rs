//! Geographic cells: how the directory and listing searches read by key instead of scanning.
//!
//! France (with its overseas departments) is cut into cells of 0.25° of latitude by 0.25° of longitude
//! (about 28 km by 17–21 km). An item with a point is indexed under its cell (`gsi1pk = <PREFIX>#<cell>`);
//! a search reads every cell that intersects the bounding box of its circle, then keeps what is within
//! the radius by exact (haversine) distance. An item whose postal code has no point (123 overseas codes)
//! is indexed under its postal code and found only from that same code.

use crate::domain::PostalCode;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A postal code of a cell, with its point (`None` for the codes without one).
struct Located {
    code: PostalCode,
    point: Option<(f64, f64)>,
}

/// The postal codes of each cell with their points, from the reference table (immutable data, built
/// once per process).
static CODES_BY_CELL: LazyLock<HashMap<String, Vec<Located>>> = LazyLock::new(|| {
    let mut by_cell: HashMap<String, Vec<Located>> = HashMap::new();
    for code in crate::domain::postal::all_codes() {
        let point = code.info().point;
        by_cell.entry(cell_of(&code)).or_default().push(Located { code, point });
    }
    for codes in by_cell.values_mut() {
        codes.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    }
    by_cell
});

/// The postal codes whose items a cell's index partition holds, in code order.
pub fn codes_in(cell: &str) -> Vec<&'static PostalCode> {
    CODES_BY_CELL.get(cell).map_or_else(Vec::new, |codes| codes.iter().map(|l| &l.code).collect())
}

/// The postal codes of `cell` within `radius_km` of `center`, in code order, each with its distance
/// ([`PostalCode::distance_km`], exactly). A search measures every code of the cells it reads: the
/// points come with the cell, and the haversine runs only for codes within the circle's band of
/// latitude (no two points are closer than their difference in latitude).
pub fn codes_within(cell: &str, center: &PostalCode, radius_km: f64) -> Vec<(&'static PostalCode, f64)> {
    let Some(codes) = CODES_BY_CELL.get(cell) else { return Vec::new() };
    let from = center.info().point;
    codes
        .iter()
        .filter_map(|l| {
            let km = if l.code == *center {
                0.0
            } else {
                let ((lat0, lon0), (lat, lon)) = (from?, l.point?);
                if (lat - lat0).abs() * KM_PER_DEG_LAT > radius_km + 0.001 {
                    return None;
                }
                crate::domain::postal::haversine_km((lat0, lon0), (lat, lon))
            };
            (km <= radius_km).then_some((&l.code, km))
        })
        .collect()
}

/// Cell size in degrees.
pub const CELL_DEG: f64 = 0.25;
const KM_PER_DEG_LAT: f64 = 111.195;

/// The index partition suffix for a postal code: its cell, or the code itself when it has no point.
pub fn cell_of(code: &PostalCode) -> String {
    match code.info().point {
        Some((lat, lon)) => cell_at(lat, lon),
        None => format!("pc{}", code.as_str()),
    }
}

fn cell_at(lat: f64, lon: f64) -> String {
    format!("{}_{}", (lat / CELL_DEG).floor() as i64, (lon / CELL_DEG).floor() as i64)
}

/// Every cell a circle of `radius_km` around `center` can touch (a superset: the caller filters by
/// exact distance). A center without a point searches its own postal code only.
pub fn cells_within(center: &PostalCode, radius_km: f64) -> Vec<String> {
    let Some((lat, lon)) = center.info().point else {
        return vec![cell_of(center)];
    };
    let dlat = radius_km / KM_PER_DEG_LAT;
    // Longitude degrees shrink with latitude: use the bounding box's latitude farthest from the equator.
    let far = (lat.abs() + dlat).min(89.0).to_radians();
    let dlon = radius_km / (KM_PER_DEG_LAT * far.cos());
    let (lat0, lat1) = (((lat - dlat) / CELL_DEG).floor() as i64, ((lat + dlat) / CELL_DEG).floor() as i64);
    let (lon0, lon1) = (((lon - dlon) / CELL_DEG).floor() as i64, ((lon + dlon) / CELL_DEG).floor() as i64);
    let mut cells = Vec::new();
    for a in lat0..=lat1 {
        for o in lon0..=lon1 {
            cells.push(format!("{a}_{o}"));
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(s: &str) -> PostalCode {
        PostalCode::parse(s).unwrap()
    }

    #[test]
    fn every_code_is_in_the_list_of_its_own_cell() {
        let total: usize = crate::domain::postal::all_codes().map(|c| usize::from(codes_in(&cell_of(&c)).contains(&&c))).sum();
        assert_eq!(total, crate::domain::postal::directory_len());
        assert!(codes_in(&cell_of(&pc("75011"))).iter().any(|c| c.as_str() == "75012"), "Paris codes share a cell");
        assert!(codes_in("no_such_cell").is_empty());
    }

    #[test]
    fn every_code_within_the_radius_falls_in_a_searched_cell() {
        // Exhaustive over the whole table for a few centres and radii.
        let all: Vec<PostalCode> = ["75011", "29830", "13001", "67000", "97400", "20000", "59000", "64200"].iter().map(|c| pc(c)).collect();
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/fr-postal-codes.csv")).unwrap();
        let codes: Vec<PostalCode> = table.lines().skip(1).map(|l| pc(&l[..5])).collect();
        for center in &all {
            for radius in [1.0, 5.0, 27.0, 50.0, 100.0] {
                let cells = cells_within(center, radius);
                for code in &codes {
                    if let Some(d) = center.distance_km(code)
                        && d <= radius
                    {
                        assert!(
                            cells.contains(&cell_of(code)),
                            "{} within {radius} km of {} but its cell is not searched",
                            code.as_str(),
                            center.as_str()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn codes_within_a_radius_are_measured_as_distance_km_measures_them() {
        for center in ["75011", "29830", "97400", "20000", "64200"].map(pc) {
            for radius in [0.5, 5.0, 27.0, 100.0] {
                for cell in cells_within(&center, radius) {
                    let brute: Vec<(&PostalCode, f64)> = codes_in(&cell)
                        .into_iter()
                        .filter_map(|c| center.distance_km(c).filter(|d| *d <= radius).map(|d| (c, d)))
                        .collect();
                    assert_eq!(codes_within(&cell, &center, radius), brute, "{} {radius} km, cell {cell}", center.as_str());
                }
            }
        }
    }

    #[test]
    fn small_radii_read_few_cells() {
        assert!(cells_within(&pc("75011"), 5.0).len() <= 4);
        assert!(cells_within(&pc("75011"), 100.0).len() <= 130);
    }

    #[test]
    fn a_code_without_a_point_is_its_own_cell() {
        let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/fr-postal-codes.csv")).unwrap();
        let none = table.lines().find(|l| l.ends_with(",none")).map(|l| pc(&l[..5])).unwrap();
        assert_eq!(cells_within(&none, 50.0), vec![cell_of(&none)]);
        assert!(cell_of(&none).starts_with("pc"));
    }
}
