//! `POST /api/me/community-verification {work_email}`: a signed-in member asks to verify their community
//! with a work address on one of its domains; answers `202 {"status":"verification_sent","link_expires_at":…}`
//! and mails a `verify_community` link (24 h) to that address, which is kept nowhere.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, members};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let member = members::authenticate(deps, http::bearer(&req)).await?;
            let body: members::VerificationBody = http::parse_json(&req)?;
            Ok(http::json_of(202, &members::request_community_check(deps, &member, body).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read, with_body};

    #[tokio::test]
    async fn the_sample_event_sends_a_link_to_the_work_address_and_the_link_verifies() {
        let t = TestDeps::new();
        let s = t.session("lea.martin@example.org").await;
        let (code, body) = read(handle(&t.deps, event("verify-community", &[("REPLACE_WITH_A_SESSION", &s)])).await);
        assert_eq!((code, body["status"].as_str()), (202, Some("verification_sent")), "{body}");
        let token = t.latest_link("lea.martin@aphp.fr", "verify_community");
        match shared::confirm::follow_link(&t.deps, &token).await.unwrap() {
            shared::confirm::LinkOutcome::CommunityVerified { community, .. } => assert_eq!(community, "health"),
            other => panic!("{other:?}"),
        }
        let member = members::authenticate(&t.deps, Some(&s)).await.unwrap();
        assert_eq!(member.verified_community(t.deps.clock.now()), Some("health"));
    }

    #[tokio::test]
    async fn an_address_off_the_community_s_domains_is_a_422_and_sends_nothing() {
        let t = TestDeps::new();
        let s = t.session("lea.martin@example.org").await;
        let sent = t.mails().len();
        for (work, code) in [
            ("lea@gmail.com", "work_domain_not_listed"),
            ("lea@aphp.fr.example", "work_domain_not_listed"),
            ("lea@intradef.gouv.fr", "work_domain_not_listed"),
            ("not-an-address", "invalid_email"),
        ] {
            let req = with_body(event("verify-community", &[("REPLACE_WITH_A_SESSION", &s)]), &format!(r#"{{"work_email":"{work}"}}"#));
            let (status, body) = read(handle(&t.deps, req).await);
            assert_eq!((status, body["error"]["code"].as_str(), body["error"]["field"].as_str()), (422, Some(code), Some("work_email")));
            assert!(!body.to_string().contains(work), "the error echoes no address");
        }
        let req = with_body(event("verify-community", &[("REPLACE_WITH_A_SESSION", &s)]), r#"{"work_email":"a@aphp.fr","x":1}"#);
        assert_eq!(read(handle(&t.deps, req).await).0, 400);
        assert_eq!(t.mails().len(), sent);
    }
}
