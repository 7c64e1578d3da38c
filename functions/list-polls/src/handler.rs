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
    use serde_json::json;
    use shared::clock::{DAY, rfc3339};
    use shared::config::Config;
    use shared::domain::Email;
    use shared::testing::{TestDeps, event, read};

    const MODERATOR: &str = "moderation@example.org";

    fn deps() -> TestDeps {
        TestDeps::with_config(Config { moderators: vec![Email::parse(MODERATOR).unwrap()], ..Config::default() })
    }

    /// A poll published through the library, closing in a week.
    async fn poll(t: &TestDeps) -> String {
        let moderator = shared::members::authenticate(&t.deps, Some(&t.session(MODERATOR).await)).await.unwrap();
        let closes_at = rfc3339(shared::clock::Clock::now(t.clock.as_ref()) + 7 * DAY);
        let body = json!({"question": "Quel bon plan ensuite ?", "options": ["Cinéma", "Librairie"], "closes_at": closes_at});
        shared::polls::publish(&t.deps, &moderator, serde_json::from_value(body).unwrap()).await.unwrap().id
    }

    #[tokio::test]
    async fn the_sample_event_lists_the_polls_with_their_counts() {
        let t = deps();
        let id = poll(&t).await;
        let (code, body) = read(handle(&t.deps, event("list-polls", &[])).await);
        assert_eq!((code, body["polls"][0]["id"].as_str(), body["polls"][0]["voters"].as_i64()), (200, Some(id.as_str()), Some(0)));
    }
}
