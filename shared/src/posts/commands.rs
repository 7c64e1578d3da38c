//! The commands `POST /api/offers` and `POST /api/requests` carry, decoded from the body at the edge: the
//! body's `kind` picks the shape (`help`, `listing`, `perk`), the shape is decoded with field-level errors,
//! and the use cases receive the typed command, never JSON. The rules of the domain (a postal code that
//! exists, a help type, bounds) are checked by the use case each command goes to.
//!
//! Errors: `400 missing_field` / `400 invalid_type` on `kind`, `422 invalid_kind` for an unknown kind, and
//! [`crate::json::from_value`]'s errors for the shape.

use super::help::{NewHelpOffer, NewHelpRequest};
use super::listing::NewListing;
use super::perk::NewPerk;
use crate::error::AppError;
use crate::json::{from_value, parse_object};
use serde_json::Value;

/// What `POST /api/offers` accepts.
pub enum NewOffer {
    Help(NewHelpOffer),
    Listing(NewListing),
    Perk(NewPerk),
}

/// What `POST /api/requests` accepts.
pub enum NewRequest {
    Help(NewHelpRequest),
    /// An organisation's need.
    Listing(NewListing),
}

impl NewOffer {
    /// Decodes a request body (size, JSON syntax, `kind`, then the shape).
    pub fn from_body(bytes: &[u8]) -> Result<Self, AppError> {
        parse_object(bytes)?.try_into()
    }
}

impl NewRequest {
    /// Decodes a request body (size, JSON syntax, `kind`, then the shape).
    pub fn from_body(bytes: &[u8]) -> Result<Self, AppError> {
        parse_object(bytes)?.try_into()
    }
}

impl TryFrom<Value> for NewOffer {
    type Error = AppError;

    fn try_from(body: Value) -> Result<Self, AppError> {
        match kind_of(&body)?.as_str() {
            "help" => Ok(Self::Help(from_value(body)?)),
            "listing" => Ok(Self::Listing(from_value(body)?)),
            "perk" => Ok(Self::Perk(from_value(body)?)),
            _ => Err(AppError::invalid("invalid_kind", "kind", "kind must be help, listing or perk")),
        }
    }
}

impl TryFrom<Value> for NewRequest {
    type Error = AppError;

    fn try_from(body: Value) -> Result<Self, AppError> {
        match kind_of(&body)?.as_str() {
            "help" => Ok(Self::Help(from_value(body)?)),
            "listing" => Ok(Self::Listing(from_value(body)?)),
            _ => Err(AppError::invalid("invalid_kind", "kind", "kind must be help or listing")),
        }
    }
}

fn kind_of(body: &Value) -> Result<String, AppError> {
    match body.get("kind") {
        None => Err(AppError::bad_request("missing_field", Some("kind".into()), "this field is required")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(AppError::bad_request("invalid_type", Some("kind".into()), "this field has the wrong type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(r: Result<impl Sized, AppError>) -> (u16, String) {
        match r {
            Ok(_) => (0, String::new()),
            Err(e) => (e.status(), e.body()["error"]["code"].as_str().unwrap_or_default().to_owned()),
        }
    }

    #[test]
    fn the_kind_picks_the_shape() {
        let help = json!({"kind": "help", "help_type": "groceries", "postal_codes": ["75011"]});
        assert!(matches!(NewOffer::try_from(help.clone()), Ok(NewOffer::Help(_))));
        assert!(matches!(
            NewRequest::try_from(json!({"kind": "help", "help_type": "groceries", "postal_code": "75011"})),
            Ok(NewRequest::Help(_))
        ));
        // A perk is offered, never requested.
        let perk = json!({"kind": "perk", "business_name": "Café", "postal_code": "75011", "category": "food", "perk": "-10 %", "communities": ["health"]});
        assert!(matches!(NewOffer::try_from(perk.clone()), Ok(NewOffer::Perk(_))));
        assert_eq!(code(NewRequest::try_from(perk)), (422, "invalid_kind".into()));
        assert_eq!(code(NewOffer::try_from(json!({"help_type": "groceries"}))), (400, "missing_field".into()));
        assert_eq!(code(NewOffer::try_from(json!({"kind": 3}))), (400, "invalid_type".into()));
        // The shape of the chosen kind is decoded strictly.
        let mut extra = help;
        extra["postal_code"] = json!("75011");
        assert_eq!(code(NewOffer::try_from(extra)), (400, "unknown_field".into()));
        assert_eq!(code(NewOffer::from_body(b"[1]")), (400, "invalid_json".into()));
    }
}
