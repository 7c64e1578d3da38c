//! `DELETE /api/claims/{id}`: a member gives their ticket back, and someone else may claim it; answers
//! `200 {"status":"returned"}`. Someone else's ticket, or an unknown one, is `404`.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::{http, members, tickets};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let id = http::path_param(&req, "id").ok_or(AppError::from(Refusal::NotFound(Missing::Route)))?;
            tickets::give_back(deps, &member, &id).await?;
            Ok(http::json(200, &serde_json::json!({ "status": "returned" })))
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

    #[tokio::test]
    async fn the_sample_event_gives_a_ticket_back_once() {
        let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
        let owner = shared::members::authenticate(&t.deps, Some(&t.session("bistrot@example.org").await)).await.unwrap();
        let body = json!({"kind": "perk", "business_name": "Café de la Gare", "postal_code": "75011", "category": "restaurant",
                          "perk": "Deux places pour le concert", "communities": ["health"], "quantity": 1});
        let perk = shared::posts::post_offer(&t.deps, &owner, body.try_into().unwrap()).await.unwrap().id;
        let a = t.session("a@example.org").await;
        let member = shared::members::authenticate(&t.deps, Some(&a)).await.unwrap();
        let ticket = tickets::claim(&t.deps, &member, &perk).await.unwrap();
        let give_back = || event("return-ticket", &[("REPLACE_WITH_A_SESSION", &a), ("REPLACE_WITH_AN_ID", &ticket.id)]);
        let (code, body) = read(handle(&t.deps, give_back()).await);
        assert_eq!((code, body), (200, json!({"status": "returned"})));
        let (code, body) = read(handle(&t.deps, give_back()).await);
        assert_eq!((code, body["error"]["code"].as_str()), (404, Some("not_found")));
        // Given back, it can be claimed again.
        assert!(tickets::claim(&t.deps, &member, &perk).await.is_ok());
    }
}
