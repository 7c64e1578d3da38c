//! `POST /api/polls/{id}/close` (moderators): the poll closes now; answers `200` the poll with its results.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::{http, moderation, polls};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let moderator = moderation::moderator(deps, http::bearer(&req)).await?;
            let id = http::path_param(&req, "id").ok_or(AppError::from(Refusal::NotFound(Missing::Route)))?;
            Ok(http::json_of(200, &polls::close(deps, &moderator, &id).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{MODERATOR, TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_closes_a_poll_once() {
        let t = TestDeps::with_moderator();
        let id = t.published_poll().await;
        let s = t.session(MODERATOR).await;
        let request = || event("close-poll", &[("REPLACE_WITH_A_SESSION", &s), ("REPLACE_WITH_AN_ID", &id)]);
        let (code, body) = read(handle(&t.deps, request()).await);
        assert_eq!((code, body["open"].as_bool()), (200, Some(false)), "{body}");
        let (code, body) = read(handle(&t.deps, request()).await);
        assert_eq!((code, body["error"]["code"].as_str()), (410, Some("poll_closed")));
    }
}
