//! `POST /api/polls` (moderators): `{question, question_en?, options (2–10), options_en?, closes_at,
//! communities?}` → `201` the poll as `GET /api/polls` shows it.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, moderation, polls};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let moderator = moderation::moderator(deps, http::bearer(&req)).await?;
            let body: polls::NewPoll = http::parse_json(&req)?;
            Ok(http::json_of(201, &polls::publish(deps, &moderator, body).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::clock::{DAY, rfc3339};
    use shared::testing::{MODERATOR, TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_publishes_a_poll_for_moderators_only() {
        let t = TestDeps::with_moderator();
        let closes_at = rfc3339(shared::clock::Clock::now(t.clock.as_ref()) + 7 * DAY);
        let s = t.session(MODERATOR).await;
        let (code, body) =
            read(handle(&t.deps, event("publish-poll", &[("REPLACE_WITH_A_SESSION", &s), ("REPLACE_WITH_A_TIME", &closes_at)])).await);
        assert_eq!((code, body["options"].as_array().map(Vec::len), body["open"].as_bool()), (201, Some(3), Some(true)), "{body}");
        let other = t.session("membre@example.org").await;
        let (code, body) =
            read(handle(&t.deps, event("publish-poll", &[("REPLACE_WITH_A_SESSION", &other), ("REPLACE_WITH_A_TIME", &closes_at)])).await);
        assert_eq!((code, body["error"]["code"].as_str()), (403, Some("not_moderator")));
    }
}
