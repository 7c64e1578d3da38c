//! Parsing one field of a body or a query into its domain type, the error naming the field.

use super::{PostalCode, Text, bounded};
use crate::error::AppError;

pub fn text(raw: Option<&str>, field: &str, min: usize, max: usize) -> Result<String, AppError> {
    Ok(Text::parse(raw.unwrap_or(""), min, max).map_err(|e| e.at(field))?.as_str().to_owned())
}

pub fn postal(raw: &str, field: &str) -> Result<PostalCode, AppError> {
    PostalCode::parse(raw).map_err(|e| e.at(field))
}

pub fn radius(raw: Option<i64>, default: i64, max: i64) -> Result<i64, AppError> {
    bounded(raw.unwrap_or(default), 1, max, "invalid_radius", "the radius must be between 1 and the maximum allowed km")
        .map_err(|e| e.at("radius_km"))
}
