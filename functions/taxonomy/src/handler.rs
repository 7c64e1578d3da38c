//! `GET /api/taxonomy`: the fixed lists with French and English labels; the front end builds its forms
//! from it and the API accepts only its codes.

use lambda_http::{Body, Request, Response};

pub async fn handle(_req: Request) -> Response<Body> {
    shared::http::static_json(shared::domain::taxonomy::TAXONOMY_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{event, read};

    #[tokio::test]
    async fn serves_every_list_with_both_languages() {
        let (status, body) = read(handle(event("taxonomy", &[])).await);
        assert_eq!(status, 200);
        for list in ["communities", "help_types", "listing_domains", "business_categories", "child_age_ranges", "locales"] {
            let entries = body[list].as_array().unwrap_or_else(|| panic!("{list}"));
            assert!(!entries.is_empty(), "{list}");
            assert!(entries.iter().all(|e| e["label"]["fr"].is_string() && e["label"]["en"].is_string()), "{list}");
        }
    }
}
