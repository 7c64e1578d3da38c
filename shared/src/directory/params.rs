//! Query parameters of the searches, as received (strings), checked against the names a route accepts.

use super::search::GeoQuery;
use crate::domain::{bounded, postal, radius};
use crate::error::AppError;
use crate::records::keys::CellIndex;

/// Query parameters, as received (strings), checked against the names a route accepts.
pub struct Params<'a>(pub &'a std::collections::HashMap<String, String>);

impl Params<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, AppError> {
        match self.get(name) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| AppError::bad_request("invalid_type", Some(name.into()), "this parameter must be a whole number")),
        }
    }

    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), AppError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(AppError::bad_request("unknown_field", Some(k.clone()), "this parameter is not accepted")),
            None => Ok(()),
        }
    }

    pub(crate) fn limit(&self) -> Result<usize, AppError> {
        Ok(bounded(self.int("limit")?.unwrap_or(20), 1, 50, "invalid_limit", "the limit must be between 1 and 50")
            .map_err(|e| e.at("limit"))? as usize)
    }

    /// The parameters every search shares (`postal_code`, `radius_km`, `limit`, `cursor`), after
    /// refusing any name that is neither one of them nor one of `filters`.
    pub(crate) fn geo_query(&self, index: CellIndex, default_radius: i64, filters: &[&str]) -> Result<GeoQuery, AppError> {
        let mut allowed = vec!["postal_code", "radius_km", "cursor", "limit"];
        allowed.extend_from_slice(filters);
        self.only(&allowed)?;
        let code = self
            .get("postal_code")
            .ok_or_else(|| AppError::bad_request("missing_field", Some("postal_code".into()), "this parameter is required"))?;
        Ok(GeoQuery {
            index,
            center: postal(code, "postal_code")?,
            radius_km: radius(self.int("radius_km")?, default_radius, 100)?,
            limit: self.limit()?,
            fingerprint: filters.iter().map(|f| self.get(f).unwrap_or("")).collect::<Vec<_>>().join("|"),
            cursor: self.get("cursor").map(str::to_owned),
        })
    }
}
