//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API.

use lambda_http::{Body, Request, Response};

pub const DOCUMENT: &str = include_str!("../../../shared/data/openapi.json");

pub async fn handle(_req: Request) -> Response<Body> {
    shared::http::static_json(DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{event, read};

    #[tokio::test]
    async fn the_sample_event_gets_the_document() {
        let (status, doc) = read(handle(event("openapi", &[])).await);
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/businesses"]["get"].is_object());
    }
}
