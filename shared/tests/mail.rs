//! The mailer port against its two adapters: the local outbox, and the SES adapter against a local SES
//! server (aws-ses-v2-local), read back from the server's store.

mod common;

use shared::domain::{Email, FirstName, Locale};
use shared::mail::Mailer;
use shared::mail::outbox::Outbox;
use shared::mail::ses::SesMailer;
use shared::mail::templates::SignIn;

fn sample(to: &str, marker: &str) -> shared::mail::OutgoingMail {
    let to = Email::parse(to).unwrap();
    let name = FirstName::parse("Élodie").unwrap();
    let mut m = SignIn {
        to: &to,
        first_name: &name,
        locale: Locale::Fr,
        first_time: true,
        verify_url: "http://127.0.0.1:3000/link#verify-token",
        erase_url: "http://127.0.0.1:3000/link#erase-token",
        valid_hours: 24,
    }
    .render();
    m.subject = format!("{} {marker}", m.subject);
    m
}

#[tokio::test]
async fn the_outbox_keeps_every_message_with_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    outbox.send(&sample("a@example.org", "1")).await.unwrap();
    outbox.send(&sample("b@example.org", "2")).await.unwrap();
    // A second handle on the same directory (another process, e.g. after a restart) sees them.
    let again = Outbox::open(dir.path()).unwrap().list().unwrap();
    assert_eq!(again.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["a@example.org", "b@example.org"]);
    assert_eq!(again[0].links.len(), 2);
    assert!(again[0].html.contains("Élodie") && again[0].text.contains("http://127.0.0.1:3000/link#verify-token"));
}

#[cfg(feature = "services")]
#[tokio::test]
async fn ses_delivers_text_and_html_in_utf8_to_the_recipient() {
    let marker = ulid::Ulid::generate().to_string();
    let mailer = SesMailer::new(common::ses_client(), "Entraide <no-reply@entraide.example>", None);
    let id = mailer.send(&sample("elodie@example.org", &marker)).await.expect("the local SES accepts SendEmail");
    assert!(!id.is_empty());

    let store: serde_json::Value = reqwest::get(format!("{}/store", common::ses_endpoint())).await.unwrap().json().await.unwrap();
    let mail = store["emails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.ends_with(&marker)))
        .expect("the message is in the SES store");
    assert_eq!(mail["destination"]["to"][0], "elodie@example.org");
    assert!(mail["from"].as_str().unwrap().contains("no-reply@entraide.example"));
    assert!(mail["subject"].as_str().unwrap().starts_with("Confirmez votre adresse e-mail – Entraide"));
    assert!(mail["body"]["text"].as_str().unwrap().contains("Bonjour Élodie,"));
    assert!(mail["body"]["html"].as_str().unwrap().contains("href=\"http://127.0.0.1:3000/link#erase-token\""));
}

#[tokio::test]
async fn an_unreachable_ses_is_an_error_without_the_recipient_in_it() {
    let conf = aws_sdk_ses::Config::builder()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_sdk_ses::config::Region::new("eu-west-3"))
        .credentials_provider(common::local_credentials())
        .build();
    let mailer = SesMailer::new(aws_sdk_ses::Client::from_conf(conf), "no-reply@entraide.example", None);
    let err = mailer.send(&sample("secret.person@example.org", "x")).await.unwrap_err();
    assert!(!err.to_string().contains("secret.person"), "{err}");
}
