//! `POST /api/offers`: a signed-in member offers help, publishes a listing, or references a business
//! with a perk (`kind` = `help` | `listing` | `perk`). Answers `201 {id, kind, status, expires_at}`.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, members, posts};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let command = posts::NewOffer::from_body(req.body().as_ref())?;
            Ok(http::json_of(201, &posts::post_offer(deps, &member, command).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn each_sample_event_posts_its_kind() {
        let t = TestDeps::new();
        let session = t.session("lea.martin@example.org").await;
        for (name, kind, status) in
            [("post-offer-help", "help", "open"), ("post-offer-listing", "listing", "published"), ("post-offer-perk", "perk", "pending")]
        {
            let (code, body) = read(handle(&t.deps, event(name, &[("REPLACE_WITH_A_SESSION", &session)])).await);
            assert_eq!((code, body["kind"].as_str(), body["status"].as_str()), (201, Some(kind), Some(status)), "{name}: {body}");
        }
    }

    #[tokio::test]
    async fn without_a_session_nothing_is_posted() {
        let t = TestDeps::new();
        let (code, body) = read(handle(&t.deps, event("post-offer-help", &[("Bearer REPLACE_WITH_A_SESSION", "")])).await);
        assert_eq!((code, body["error"]["code"].as_str()), (401, Some("missing_session")));
        assert!(t.deps.store.dump().await.unwrap().is_empty());
    }
}
