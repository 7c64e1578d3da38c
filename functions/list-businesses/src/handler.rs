//! `GET /api/businesses?postal_code=&radius_km=&category=&community=&cursor=&limit=`: approved perks by
//! distance, each with `distance_km`, paginated with a signed cursor. Public.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::directory::{self, Params};
use shared::http;

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let query = http::query(&req);
            Ok(http::json_of(200, &directory::search_businesses(deps, Params(&query)).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::{Config, ReviewMode};
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_finds_an_approved_perk_nearby() {
        let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
        let session = t.session("lea.martin@example.org").await;
        let (code, _) = read(post_offer::handler::handle(&t.deps, event("post-offer-perk", &[("REPLACE_WITH_A_SESSION", &session)])).await);
        assert_eq!(code, 201);
        let (code, body) = read(handle(&t.deps, event("list-businesses", &[])).await);
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
        assert!(body["items"][0]["distance_km"].as_f64().unwrap() < 10.0);
        assert!(body["items"][0].get("submitted_by").is_none());
    }
}
