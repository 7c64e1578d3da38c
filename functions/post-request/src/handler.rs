//! `POST /api/requests`: a signed-in member asks for help or publishes an organisation's need
//! (`kind` = `help` | `listing`). Answers `201 {id, kind, status, expires_at}`.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, members, posts};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let command = posts::NewRequest::from_body(req.body().as_ref())?;
            Ok(http::json_of(201, &posts::post_request(deps, &member, command).await?))
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
        for (name, kind) in [("post-request-help", "help"), ("post-request-listing", "listing")] {
            let (code, body) = read(handle(&t.deps, event(name, &[("REPLACE_WITH_A_SESSION", &session)])).await);
            assert_eq!((code, body["kind"].as_str()), (201, Some(kind)), "{name}: {body}");
        }
    }
}
