//! `POST /api/polls/{id}/vote {option}`: a signed-in member votes once per poll (once per address, even
//! after erasing and registering again); answers `201 {"status":"voted"}`. No ballot is stored.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::{http, members, polls};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let id = http::path_param(&req, "id").ok_or(AppError::from(Refusal::NotFound(Missing::Route)))?;
            let body: polls::NewVote = http::parse_json(&req)?;
            polls::vote(deps, &member, &id, body).await?;
            Ok(http::json(201, &serde_json::json!({ "status": "voted" })))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_votes_once() {
        let t = TestDeps::with_moderator();
        let id = t.published_poll().await;
        let s = t.session("membre@example.org").await;
        let request = || event("vote", &[("REPLACE_WITH_A_SESSION", &s), ("REPLACE_WITH_AN_ID", &id)]);
        let (code, body) = read(handle(&t.deps, request()).await);
        assert_eq!((code, body), (201, json!({"status": "voted"})));
        let (code, body) = read(handle(&t.deps, request()).await);
        assert_eq!((code, body["error"]["code"].as_str()), (409, Some("already_voted")));
    }
}
