//! JSON bodies into typed structs with field-level errors: what a body's shape may be, before any rule
//! of the domain applies. No HTTP type here, so the use cases may decode the part of a body they own.

use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest request body accepted (docs/PRODUCT.md §6: 413 above).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Parses a JSON body into `T` (which should `deny_unknown_fields`).
///
/// Errors: `413 payload_too_large`; `400 invalid_json` (not JSON, or not an object); `400 unknown_field`,
/// `400 missing_field`, `400 invalid_type` with the offending `field`.
pub fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    from_value(parse_object(bytes)?)
}

/// The body as a JSON object, for handlers that pick a shape from one of its fields (e.g. `kind`).
pub fn parse_object(bytes: &[u8]) -> Result<Value, AppError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    // Parse to a value first so that syntax errors and shape errors get distinct codes.
    let value: Value =
        serde_json::from_slice(bytes).map_err(|_| AppError::bad_request("invalid_json", None, "the body must be a JSON object"))?;
    if !value.is_object() {
        return Err(AppError::bad_request("invalid_json", None, "the body must be a JSON object"));
    }
    Ok(value)
}

/// Deserialises a parsed body into `T`, naming the offending field on failure.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if let Some(name) = between(&msg, "unknown field `", "`") {
            // The path already ends at the unknown key.
            let field = if path == "." { name.to_owned() } else { path };
            AppError::bad_request("unknown_field", Some(field), "this field is not accepted")
        } else if let Some(name) = between(&msg, "missing field `", "`") {
            let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
            AppError::bad_request("missing_field", Some(field), "this field is required")
        } else {
            AppError::bad_request("invalid_type", Some(path), "this field has the wrong type")
        }
    })
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}
