//! `GET /api/polls`: the newest polls, open and closed, with their results (counts only; by community only
//! for groups of at least five voters).

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, polls};

pub async fn handle(deps: &Deps, _req: Request) -> Response<Body> {
    http::respond(async { Ok(http::json_of(200, &polls::list(deps).await?)) }.await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn the_sample_event_lists_the_polls_with_their_counts() {
        let t = TestDeps::with_moderator();
        let id = t.published_poll().await;
        let (code, body) = read(handle(&t.deps, event("list-polls", &[])).await);
        assert_eq!((code, body["polls"][0]["id"].as_str(), body["polls"][0]["voters"].as_i64()), (200, Some(id.as_str()), Some(0)));
    }
}
