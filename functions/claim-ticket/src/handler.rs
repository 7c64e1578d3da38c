//! `POST /api/businesses/{id}/claims`: a signed-in member claims one ticket of a listed perk with a
//! quantity; answers `201 {id, code, perk, expires_at}` (`code`: six characters to show at the business).
//! Never oversold: the perk's count is limited by the claim's own transaction.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::{http, members, tickets};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let id = http::path_param(&req, "id").ok_or(AppError::from(Refusal::NotFound(Missing::Route)))?;
            Ok(http::json_of(201, &tickets::claim(deps, &member, &id).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::config::{Config, ReviewMode};
    use shared::testing::{TestDeps, event, read};

    /// A listed perk (auto review) with `quantity` tickets, or none.
    async fn perk(t: &TestDeps, quantity: Option<i64>) -> String {
        let member = shared::members::authenticate(&t.deps, Some(&t.session("bistrot@example.org").await)).await.unwrap();
        let body = json!({"kind": "perk", "business_name": "Café de la Gare", "postal_code": "75011", "category": "restaurant",
                          "perk": "Deux places pour le concert", "communities": ["health"], "quantity": quantity});
        shared::posts::post_offer(&t.deps, &member, body.try_into().unwrap()).await.unwrap().id
    }

    fn claim(session: &str, id: &str) -> Request {
        event("claim-ticket", &[("REPLACE_WITH_A_SESSION", session), ("REPLACE_WITH_AN_ID", id)])
    }

    #[tokio::test]
    async fn the_sample_event_claims_a_ticket_until_none_is_left() {
        let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
        let id = perk(&t, Some(2)).await;
        let (a, b, c) = (t.session("a@example.org").await, t.session("b@example.org").await, t.session("c@example.org").await);
        let (code, body) = read(handle(&t.deps, claim(&a, &id)).await);
        assert_eq!((code, body["code"].as_str().map(str::len), body["perk"]["id"].as_str()), (201, Some(6), Some(id.as_str())), "{body}");
        let (code, body) = read(handle(&t.deps, claim(&a, &id)).await);
        assert_eq!((code, body["error"]["code"].as_str()), (409, Some("already_claimed")));
        assert_eq!(read(handle(&t.deps, claim(&b, &id)).await).0, 201);
        let (code, body) = read(handle(&t.deps, claim(&c, &id)).await);
        assert_eq!((code, body["error"]["code"].as_str()), (409, Some("sold_out")));
    }

    #[tokio::test]
    async fn bad_claims_are_refused_and_write_nothing() {
        let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
        let unlimited = perk(&t, None).await;
        let a = t.session("a@example.org").await;
        let before = t.deps.store.dump().await.unwrap().len();
        for (id, status, error) in
            [(unlimited.as_str(), 422, "no_tickets"), ("not-an-id", 400, "invalid_id"), ("01J00000000000000000000000", 404, "not_found")]
        {
            let (code, body) = read(handle(&t.deps, claim(&a, id)).await);
            assert_eq!((code, body["error"]["code"].as_str()), (status, Some(error)), "{id}");
        }
        let anonymous = event("claim-ticket", &[("Bearer REPLACE_WITH_A_SESSION", ""), ("REPLACE_WITH_AN_ID", &unlimited)]);
        assert_eq!(read(handle(&t.deps, anonymous).await).0, 401);
        assert_eq!(t.deps.store.dump().await.unwrap().len(), before);
    }
}
