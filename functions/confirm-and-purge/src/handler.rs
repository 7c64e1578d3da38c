//! `POST /api/confirm {token}`: carries out what an e-mailed link says, once.
//! `verify` → `{"action":"verified","session":…}`; `erase` → `{"action":"erased"}`;
//! `confirm_match` → `{"action":"match_confirmed"}` (the match's personal data is purged);
//! `decline_match` → `{"action":"match_declined"}`; `keep_open` → `{"action":"kept_open","expires_at":…}`;
//! `accept_contact` → `{"action":"contact_accepted"}` (both are introduced); `decline_contact` →
//! `{"action":"contact_declined"}`; `report_contact` → `{"action":"contact_reported"}`;
//! `confirm_contact` → `{"action":"contact_confirmed"}` (the contact's personal data is purged);
//! `verify_community` → `{"action":"community_verified","community":…,"valid_until":…}`.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::clock::rfc3339;
use shared::confirm::{self, LinkOutcome};
use shared::deps::Deps;
use shared::http;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    token: String,
}

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let body: ConfirmBody = http::parse_json(&req)?;
            let answer = match confirm::follow_link(deps, &body.token).await? {
                LinkOutcome::Verified { session, session_expires_at } => json!({
                    "action": "verified",
                    "session": session.as_str(),
                    "session_expires_at": rfc3339(session_expires_at),
                }),
                LinkOutcome::Erased => json!({ "action": "erased" }),
                LinkOutcome::MatchConfirmed => json!({ "action": "match_confirmed" }),
                LinkOutcome::MatchDeclined => json!({ "action": "match_declined" }),
                LinkOutcome::KeptOpen { expires_at } => json!({ "action": "kept_open", "expires_at": rfc3339(expires_at) }),
                LinkOutcome::ContactAccepted => json!({ "action": "contact_accepted" }),
                LinkOutcome::ContactDeclined => json!({ "action": "contact_declined" }),
                LinkOutcome::ContactReported => json!({ "action": "contact_reported" }),
                LinkOutcome::ContactConfirmed => json!({ "action": "contact_confirmed" }),
                LinkOutcome::CommunityVerified { community, valid_until } => {
                    json!({ "action": "community_verified", "community": community, "valid_until": rfc3339(valid_until) })
                }
            };
            Ok(http::json(200, &answer))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::members;
    use shared::testing::{TestDeps, event, read};

    async fn registered(t: &TestDeps) {
        let req = event("register", &[]);
        let body: members::RegisterBody = http::parse_json(&req).unwrap();
        members::register(&t.deps, body).await.unwrap();
    }

    fn confirm(token: &str) -> lambda_http::Request {
        event("confirm-and-purge", &[("REPLACE_WITH_A_LINK_TOKEN", token)])
    }

    #[tokio::test]
    async fn a_verify_link_signs_in_once_and_then_is_gone() {
        let t = TestDeps::new();
        registered(&t).await;
        let token = t.latest_link("lea.martin@example.org", "verify");
        let (status, body) = read(handle(&t.deps, confirm(&token)).await);
        assert_eq!((status, body["action"].as_str()), (200, Some("verified")));
        assert!(body["session"].as_str().is_some_and(|s| s.len() > 40));
        let (status, body) = read(handle(&t.deps, confirm(&token)).await);
        assert_eq!((status, body["error"]["code"].as_str()), (410, Some("link_used")));
    }

    #[tokio::test]
    async fn an_expired_link_is_gone_and_a_tampered_one_unauthorized() {
        let t = TestDeps::new();
        registered(&t).await;
        let token = t.latest_link("lea.martin@example.org", "verify");
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(read(handle(&t.deps, confirm(&tampered)).await).0, 401);
        t.clock.advance(25 * 3600);
        let (status, body) = read(handle(&t.deps, confirm(&token)).await);
        assert_eq!((status, body["error"]["code"].as_str()), (410, Some("link_expired")));
    }

    #[tokio::test]
    async fn an_erase_link_removes_everything_and_only_once() {
        let t = TestDeps::new();
        registered(&t).await;
        let token = t.latest_link("lea.martin@example.org", "erase");
        let (status, body) = read(handle(&t.deps, confirm(&token)).await);
        assert_eq!((status, body), (200, json!({"action": "erased"})));
        let left = t.deps.store.dump().await.unwrap();
        assert!(left.iter().all(|i| i.key.pk.starts_with("LINK#")), "only the used-link marker remains: {left:?}");
        assert_eq!(read(handle(&t.deps, confirm(&token)).await).0, 410);
    }

    #[tokio::test]
    async fn a_session_token_is_not_a_link() {
        let t = TestDeps::new();
        registered(&t).await;
        let token = t.latest_link("lea.martin@example.org", "verify");
        let (_, body) = read(handle(&t.deps, confirm(&token)).await);
        let session = body["session"].as_str().unwrap();
        let (status, body) = read(handle(&t.deps, confirm(session)).await);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("wrong_purpose")));
    }
}
