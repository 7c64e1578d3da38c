//! `GET /api/me` exports everything we hold about the signed-in member; `DELETE /api/me` erases it all.

use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::deps::Deps;
use shared::error::AppError;
use shared::routes::Operation;
use shared::{http, members, privacy};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            match http::operation(&req) {
                Some(Operation::ExportMe) => Ok(http::json_of(200, &privacy::export(deps, &member).await?)),
                Some(Operation::EraseMe) => {
                    privacy::erase(deps, &member.id, None, deps.clock.now()).await?;
                    Ok(http::json(200, &json!({ "status": "erased" })))
                }
                _ => Err(AppError::MethodNotAllowed),
            }
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    async fn session(t: &TestDeps) -> String {
        let body: members::RegisterBody = http::parse_json(&event("register", &[])).unwrap();
        members::register(&t.deps, body).await.unwrap();
        let token = t.latest_link("lea.martin@example.org", "verify");
        match shared::confirm::follow_link(&t.deps, &token).await.unwrap() {
            shared::confirm::LinkOutcome::Verified { session, .. } => session.as_str().to_owned(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn export_returns_the_profile() {
        let t = TestDeps::new();
        let s = session(&t).await;
        let (status, body) = read(handle(&t.deps, event("me-get", &[("REPLACE_WITH_A_SESSION", &s)])).await);
        assert_eq!(status, 200);
        assert_eq!(body["profile"]["email"], "lea.martin@example.org");
        assert_eq!(body["profile"]["first_name"], "Léa");
        assert_eq!(body["profile"]["postal_code"], "75011");
        assert_eq!(body["profile"]["community"], "health");
        assert_eq!(body["profile"]["status"], "active");
        assert_eq!(body["records"][0]["entity"], "email_marker");
    }

    #[tokio::test]
    async fn delete_erases_everything_and_revokes_the_session() {
        let t = TestDeps::new();
        let s = session(&t).await;
        let (status, _) = read(handle(&t.deps, event("me-delete", &[("REPLACE_WITH_A_SESSION", &s)])).await);
        assert_eq!(status, 200);
        let dump = t.deps.store.dump().await.unwrap();
        // What remains: used-link markers and the anonymous counts (the registration's tally, until folded).
        assert!(dump.iter().all(|i| i.key.pk.starts_with("LINK#") || i.key.pk.starts_with("TALLY#")), "{dump:?}");
        let (status, body) = read(handle(&t.deps, event("me-get", &[("REPLACE_WITH_A_SESSION", &s)])).await);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("session_revoked")));
    }

    #[tokio::test]
    async fn no_session_or_a_link_token_is_unauthorized() {
        let t = TestDeps::new();
        let (status, body) = read(handle(&t.deps, event("me-get", &[("Bearer REPLACE_WITH_A_SESSION", "")])).await);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_session")));
        let _ = session(&t).await;
        let link = t.latest_link("lea.martin@example.org", "erase");
        let (status, body) = read(handle(&t.deps, event("me-get", &[("REPLACE_WITH_A_SESSION", &link)])).await);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("wrong_purpose")));
    }
}
