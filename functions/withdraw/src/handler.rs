//! `DELETE /api/offers/{id}` and `DELETE /api/requests/{id}`: a member withdraws their own post (or a
//! perk they referenced). Someone else's id is `404`, as is one that does not exist.

use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::deps::Deps;
use shared::error::{Missing, Refusal};
use shared::posts::{self, Side};
use shared::routes::Operation;
use shared::{http, members};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let side = match http::operation(&req) {
                Some(Operation::WithdrawRequest) => Side::Request,
                Some(Operation::WithdrawOffer) => Side::Offer,
                _ => return Err(Refusal::NotFound(Missing::Route).into()),
            };
            let id = http::path_param(&req, "id").ok_or(Refusal::NotFound(Missing::OwnPost))?;
            posts::withdraw(deps, &member, side, &id).await?;
            Ok(http::json(200, &json!({ "status": "withdrawn", "id": id })))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn a_member_withdraws_their_own_offer_and_not_someone_elses() {
        let t = TestDeps::new();
        let owner = t.session("owner@example.org").await;
        let other = t.session("other@example.org").await;
        let (_, created) =
            read(post_offer::handler::handle(&t.deps, event("post-offer-help", &[("REPLACE_WITH_A_SESSION", &owner)])).await);
        let id = created["id"].as_str().unwrap().to_owned();
        let request = |session: &str| event("withdraw-offer", &[("REPLACE_WITH_A_SESSION", session), ("REPLACE_WITH_AN_ID", &id)]);
        let (code, body) = read(handle(&t.deps, request(&other)).await);
        assert_eq!((code, body["error"]["code"].as_str()), (404, Some("not_found")));
        let (code, _) = read(handle(&t.deps, request(&owner)).await);
        assert_eq!(code, 200);
        let (code, _) = read(handle(&t.deps, request(&owner)).await);
        assert_eq!(code, 404, "already withdrawn");
    }

    #[tokio::test]
    async fn the_request_event_withdraws_a_request() {
        let t = TestDeps::new();
        let session = t.session("owner@example.org").await;
        let (_, created) =
            read(post_request::handler::handle(&t.deps, event("post-request-help", &[("REPLACE_WITH_A_SESSION", &session)])).await);
        let id = created["id"].as_str().unwrap().to_owned();
        let req = event("withdraw-request", &[("REPLACE_WITH_A_SESSION", &session), ("REPLACE_WITH_AN_ID", &id)]);
        let (code, body) = read(handle(&t.deps, req).await);
        assert_eq!((code, body["status"].as_str()), (200, Some("withdrawn")));
        // The offer route does not remove a request with the same id.
        let (_, again) =
            read(post_request::handler::handle(&t.deps, event("post-request-help", &[("REPLACE_WITH_A_SESSION", &session)])).await);
        let id = again["id"].as_str().unwrap().to_owned();
        let wrong = event("withdraw-offer", &[("REPLACE_WITH_A_SESSION", &session), ("REPLACE_WITH_AN_ID", &id)]);
        assert_eq!(read(handle(&t.deps, wrong).await).0, 404);
    }
}
