//! `GET /api/listings?postal_code=&radius_km=&domain=&type=&cursor=&limit=`: published listings by
//! distance — domain, area, title, text and age, nothing personal. Public.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::directory::{self, Params};
use shared::http;

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let query = http::query(&req);
            Ok(http::json_of(200, &directory::search_listings(deps, Params(&query)).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_finds_a_listing_and_shows_nothing_personal() {
        let t = TestDeps::new();
        let session = t.session("lea.martin@example.org").await;
        let (code, _) =
            read(post_request::handler::handle(&t.deps, event("post-request-listing", &[("REPLACE_WITH_A_SESSION", &session)])).await);
        assert_eq!(code, 201);
        let (code, body) = read(handle(&t.deps, event("list-listings", &[])).await);
        assert_eq!(code, 200, "{body}");
        let item = &body["items"][0];
        assert_eq!(item["type"], "request");
        let shown = item.to_string();
        assert!(!shown.contains("lea.martin") && !shown.contains("member_id"), "{shown}");
    }
}
