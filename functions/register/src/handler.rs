//! `POST /api/register`: always `202 {"status":"pending"}` for a valid body; the e-mail link does the rest.

use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::deps::Deps;
use shared::{http, members};

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let body: members::RegisterBody = http::parse_json(&req)?;
            members::register(deps, body).await?;
            // Whatever happened (new, known, honeypot), the answer is the same: a pending registration.
            Ok(http::json(202, &json!({ "status": members::MemberStatus::Pending })))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read, with_body};

    #[tokio::test]
    async fn the_sample_event_registers_and_sends_one_link_email() {
        let t = TestDeps::new();
        let (status, body) = read(handle(&t.deps, event("register", &[])).await);
        assert_eq!((status, body), (202, json!({"status": "pending"})));
        let mails = t.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, "lea.martin@example.org");
        assert!(mails[0].subject.contains("Confirmez"), "French by the body's locale");
    }

    #[tokio::test]
    async fn a_known_address_gets_the_same_answer_and_a_sign_in_link() {
        let t = TestDeps::new();
        let first = read(handle(&t.deps, event("register", &[])).await);
        let second = read(handle(&t.deps, event("register", &[])).await);
        assert_eq!(first, second);
        assert_eq!(t.mails().len(), 2);
    }

    #[tokio::test]
    async fn at_most_three_link_emails_per_address_per_hour() {
        let t = TestDeps::new();
        for _ in 0..5 {
            assert_eq!(read(handle(&t.deps, event("register", &[])).await).0, 202);
        }
        assert_eq!(t.mails().len(), 3);
        t.clock.advance(3601);
        assert_eq!(read(handle(&t.deps, event("register", &[])).await).0, 202);
        assert_eq!(t.mails().len(), 4, "a new hour, a new allowance");
    }

    #[tokio::test]
    async fn a_filled_honeypot_is_accepted_and_dropped() {
        let t = TestDeps::new();
        let req = with_body(
            event("register", &[]),
            r#"{"email":"bot@example.org","first_name":"Bot","postal_code":"75011","community":"health","consent":true,"website":"http://spam"}"#,
        );
        assert_eq!(read(handle(&t.deps, req).await).0, 202);
        assert!(t.mails().is_empty());
        assert!(t.deps.store.dump().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn invalid_fields_are_named_and_nothing_is_written() {
        let t = TestDeps::new();
        let base = r#""email":"a@example.org","first_name":"Léa","community":"health","consent":true"#;
        let cases = [
            (format!(r#"{{{base},"postal_code":"99999"}}"#), 422, "invalid_postal_code", "postal_code"),
            (format!(r#"{{{base},"postal_code":"75011","role":"submariner"}}"#), 422, "invalid_role", "role"),
            (format!(r#"{{{base},"postal_code":75011}}"#), 400, "invalid_type", "postal_code"),
            (format!(r#"{{{base},"postal_code":"75011","admin":true}}"#), 400, "unknown_field", "admin"),
            (
                r#"{"email":"a@example.org","first_name":"Léa","postal_code":"75011","community":"health","consent":false}"#.into(),
                422,
                "consent_required",
                "consent",
            ),
        ];
        for (body, status, code, field) in cases {
            let (s, b) = read(handle(&t.deps, with_body(event("register", &[]), &body)).await);
            assert_eq!((s, b["error"]["code"].as_str(), b["error"]["field"].as_str()), (status, Some(code), Some(field)), "{body}");
        }
        assert!(t.mails().is_empty());
        assert!(t.deps.store.dump().await.unwrap().is_empty());
    }
}
