//! `POST /api/listings/{id}/contact {message}`: a signed-in member answers a listing through the masked
//! relay. The owner receives the message by e-mail, with the sender's first name and generic community
//! and never their address; answers `201 {id, status: "sent", expires_at}`.

use lambda_http::{Body, Request, Response};
use shared::contacts::{self, NewContact};
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::{http, members};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let sender = members::authenticate(deps, http::bearer(&req)).await?;
            let id = http::path_param(&req, "id").ok_or(AppError::from(Refusal::NotFound(Missing::Route)))?;
            let body: NewContact = http::parse_json(&req)?;
            Ok(http::json_of(201, &contacts::contact_listing(deps, &sender, &id, body).await?))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    async fn listing(t: &TestDeps, owner_session: &str) -> String {
        let req = event("post-request-listing", &[("REPLACE_WITH_A_SESSION", owner_session)]);
        let (code, body) = read(post_request::handler::handle(&t.deps, req).await);
        assert_eq!(code, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    fn contact(session: &str, listing: &str) -> Request {
        event("contact-listing", &[("REPLACE_WITH_A_SESSION", session), ("REPLACE_WITH_AN_ID", listing)])
    }

    #[tokio::test]
    async fn the_sample_event_contacts_a_listing_and_the_owner_gets_the_message_without_the_sender_address() {
        let t = TestDeps::new();
        let owner = t.session("odile.owner@example.org").await;
        let sender = t.session("samir.sender@example.org").await;
        let id = listing(&t, &owner).await;
        let (code, body) = read(handle(&t.deps, contact(&sender, &id)).await);
        assert_eq!((code, body["status"].as_str()), (201, Some("sent")), "{body}");
        let mail = t.mails().into_iter().rev().find(|m| m.to == "odile.owner@example.org").expect("the owner's mail");
        assert!(!mail.text.contains("samir.sender") && !mail.html.contains("samir.sender"), "{}", mail.text);
        // The same sender cannot open a second contact on the same listing.
        let (code, body) = read(handle(&t.deps, contact(&sender, &id)).await);
        assert_eq!((code, body["error"]["code"].as_str()), (409, Some("already_contacted")));
    }

    #[tokio::test]
    async fn without_a_session_or_with_a_bad_id_nothing_is_written() {
        let t = TestDeps::new();
        let anonymous =
            event("contact-listing", &[("Bearer REPLACE_WITH_A_SESSION", ""), ("REPLACE_WITH_AN_ID", "01J0000000000000000000000A")]);
        let (code, body) = read(handle(&t.deps, anonymous).await);
        assert_eq!((code, body["error"]["code"].as_str()), (401, Some("missing_session")));
        let sender = t.session("samir.sender@example.org").await;
        let before = t.deps.store.dump().await.unwrap().len();
        let (code, body) = read(handle(&t.deps, contact(&sender, "not-an-id")).await);
        assert_eq!((code, body["error"]["code"].as_str()), (400, Some("invalid_id")));
        let (code, body) = read(handle(&t.deps, contact(&sender, "01J0000000000000000000000A")).await);
        assert_eq!((code, body["error"]["code"].as_str()), (404, Some("not_found")));
        assert_eq!(t.deps.store.dump().await.unwrap().len(), before);
    }
}
