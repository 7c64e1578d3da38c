//! French postal codes and their coordinates, compiled in from `shared/data/fr-postal-codes.csv`
//! (GeoNames CC BY 4.0 and Etalab/INSEE Licence Ouverte 2.0; see `shared/data/README.md`).

use super::{ParseError, redacted_debug};
use std::collections::HashMap;
use std::sync::LazyLock;

const CSV: &str = include_str!("../../data/fr-postal-codes.csv");

/// What we know of a postal code: its department and, for most, a representative point.
#[derive(Debug, Clone, PartialEq)]
pub struct PostalInfo {
    pub department: String,
    /// `(latitude, longitude)` in degrees; `None` for the overseas collectivities the table has no point for.
    pub point: Option<(f64, f64)>,
}

/// The reference table, parsed once per process (it is immutable data, not a client).
static DIRECTORY: LazyLock<HashMap<String, PostalInfo>> = LazyLock::new(|| {
    CSV.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split(',');
            let (cp, lat, lon, dept) = (f.next()?, f.next()?, f.next()?, f.next()?);
            let point = match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(la), Ok(lo)) => Some((la, lo)),
                _ => None,
            };
            Some((cp.to_owned(), PostalInfo { department: dept.to_owned(), point }))
        })
        .collect()
});

/// A French postal code that exists in the reference table.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PostalCode(String);
redacted_debug!(PostalCode);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<PostalCode, ParseError> {
        let s: String = raw.trim().chars().filter(|c| *c != ' ').collect();
        if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("invalid_postal_code", "a French postal code has five digits"));
        }
        if !DIRECTORY.contains_key(&s) {
            return Err(ParseError::new("invalid_postal_code", "this postal code does not exist"));
        }
        Ok(PostalCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn info(&self) -> &'static PostalInfo {
        // Present by construction: `parse` checked the directory.
        &DIRECTORY[&self.0]
    }

    pub fn department(&self) -> &'static str {
        &self.info().department
    }

    /// Great-circle distance in kilometres between two codes' points; `None` if either has no point.
    pub fn distance_km(&self, other: &PostalCode) -> Option<f64> {
        if self == other {
            return Some(0.0);
        }
        Some(haversine_km(self.info().point?, other.info().point?))
    }
}

/// Number of postal codes in the table.
pub fn directory_len() -> usize {
    DIRECTORY.len()
}

/// Every postal code of the table, in no particular order.
pub fn all_codes() -> impl Iterator<Item = PostalCode> {
    DIRECTORY.keys().map(|k| PostalCode(k.clone()))
}

/// Haversine distance on a sphere of the Earth's mean radius (6,371 km).
pub fn haversine_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table_is_loaded() {
        assert_eq!(directory_len(), 6310);
    }

    #[test]
    fn existing_codes_parse_with_their_department() {
        for (raw, dept) in [("75011", "75"), ("01000", "01"), (" 13 001", "13"), ("20000", "2A"), ("97400", "974")] {
            assert_eq!(PostalCode::parse(raw).unwrap().department(), dept, "{raw}");
        }
    }

    #[test]
    fn malformed_or_unknown_codes_are_refused() {
        for raw in ["", "7501", "750111", "7501a", "99999", "00000", "2A000", "75 01 1 1"] {
            assert!(PostalCode::parse(raw).is_err(), "accepted {raw:?}");
        }
    }

    #[test]
    fn neighbouring_arrondissements_are_a_few_kilometres_apart() {
        let a = PostalCode::parse("75011").unwrap();
        let b = PostalCode::parse("75012").unwrap();
        let d = a.distance_km(&b).unwrap();
        assert!((0.5..5.0).contains(&d), "{d}");
        let marseille = PostalCode::parse("13001").unwrap();
        let d = a.distance_km(&marseille).unwrap();
        assert!((600.0..700.0).contains(&d), "{d}");
    }

    proptest::proptest! {
        #[test]
        fn five_digit_strings_parse_only_if_listed(n in 0u32..100_000) {
            let s = format!("{n:05}");
            proptest::prop_assert_eq!(PostalCode::parse(&s).is_ok(), DIRECTORY.contains_key(&s));
        }
    }
}
