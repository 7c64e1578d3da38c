//! Polls (docs/PRODUCT.md §2.3), through the HTTP API of the local application, on the embedded store and
//! on DynamoDB Local: one vote per address — also after erasing and registering again —, no ballot in the
//! raw store, results by community only for groups of five, a poll's communities and its closing.

mod common;

use common::TestApp;
use futures::future::join_all;
use serde_json::{Value, json};
use shared::clock::{DAY, rfc3339};
use shared::config::Config;
use shared::domain::Email;

const MODERATOR: &str = "moderation@example.org";

fn config() -> Config {
    Config { moderators: vec![Email::parse(MODERATOR).unwrap()], ..Config::default() }
}

async fn sign_in(app: &TestApp, email: &str, community: &str) -> String {
    app.sign_in_with(json!({"email": email, "first_name": "Camille", "postal_code": "75011", "community": community,
                            "locale": "fr", "consent": true, "website": ""}))
        .await
}

fn now(app: &TestApp) -> i64 {
    shared::clock::Clock::now(app.t.clock.as_ref())
}

async fn publish(app: &TestApp, moderator: &str, communities: Value) -> String {
    let body = json!({"question": "Quel bon plan ensuite ?", "question_en": "Which perk next?",
                      "options": ["Cinéma", "Salle de sport", "Librairie"], "options_en": ["Cinema", "Gym", "Bookshop"],
                      "closes_at": rfc3339(now(app) + 7 * DAY), "communities": communities});
    let (status, body) = app.call("POST", "/api/polls", Some(body), Some(moderator)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn vote(app: &TestApp, session: &str, poll: &str, option: usize) -> (u16, Value) {
    app.call("POST", &format!("/api/polls/{poll}/vote"), Some(json!({ "option": option })), Some(session)).await
}

async fn results(app: &TestApp, poll: &str) -> Value {
    let (status, body) = app.call("GET", "/api/polls", None, None).await;
    assert_eq!(status, 200, "{body}");
    body["polls"].as_array().unwrap().iter().find(|p| p["id"] == poll).unwrap().clone()
}

async fn one_vote_per_address_and_no_ballot(app: TestApp) {
    let moderator = sign_in(&app, MODERATOR, "citizen").await;
    let poll = publish(&app, &moderator, json!([])).await;
    // Twenty members vote at once: 6 nurses, 6 firefighters, 8 citizens... spread over the options.
    let communities = ["health", "firefighters", "citizen"];
    let mut voters = Vec::new();
    for n in 0..20 {
        let email = format!("votant{n}@example.org");
        voters.push((email.clone(), sign_in(&app, &email, communities[n % 3]).await));
    }
    let answers = join_all(voters.iter().enumerate().map(|(n, (_, s))| vote(&app, s, &poll, n % 3))).await;
    assert!(answers.iter().all(|(s, b)| *s == 201 && b["status"] == "voted"), "{answers:?}");
    let r = results(&app, &poll).await;
    let votes: Vec<i64> = r["options"].as_array().unwrap().iter().map(|o| o["votes"].as_i64().unwrap()).collect();
    assert_eq!((votes, r["voters"].as_i64()), (vec![7, 7, 6], Some(20)), "{r}");
    // Every community here has 6 or 7 voters: shown. (A group under five is not: below.)
    assert_eq!(r["by_community"].as_array().unwrap().len(), 3, "{r}");

    // The raw store holds no ballot: no item names an option together with a member id, an address or
    // a hash of either; no timestamp per vote.
    let dump = app.t.deps.store.dump().await.unwrap();
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for (_, s) in &voters {
            ids.push(app.call("GET", "/api/me", None, Some(s)).await.1["profile"]["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    for item in &dump {
        let text = format!("{} {} {}", item.key.pk, item.key.sk, Value::Object(item.attrs.clone()));
        let names_an_option = item.attrs.keys().any(|k| k.starts_with("votes_")) || text.contains("\"option\"");
        let names_a_person = ids.iter().any(|id| text.contains(id.as_str()))
            || voters.iter().any(|(e, _)| text.contains(e.as_str()))
            || item.attrs.contains_key("email_hash")
            || item.key.pk.starts_with("VOTED#") && item.attrs.len() > 1;
        assert!(!(names_an_option && names_a_person), "an item links a vote to a person: {text}");
        if item.key.pk.starts_with("VOTED#") {
            assert_eq!(item.attrs.keys().collect::<Vec<_>>(), ["expires_at"], "a marker holds only its expiry: {text}");
        }
    }
    assert_eq!(dump.iter().filter(|i| i.key.pk.starts_with("VOTED#")).count(), 20);

    // A second vote: refused. Erased, registered again with the same address: still refused.
    let (email, session) = &voters[0];
    let (status, body) = vote(&app, session, &poll, 2).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_voted")));
    assert_eq!(app.call("DELETE", "/api/me", None, Some(session)).await.0, 200);
    let again = sign_in(&app, email, "health").await;
    let (status, body) = vote(&app, &again, &poll, 2).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_voted")), "{body}");
    assert_eq!(results(&app, &poll).await["voters"], 20);

    // Bad votes: each a JSON 4xx, nothing written.
    let before = app.dump_text().await;
    let fresh = sign_in(&app, "nouvelle@example.org", "police").await;
    let before_fresh = app.dump_text().await;
    assert_ne!(before, before_fresh);
    for (body, status) in [(json!({"option": 3}), 422), (json!({"option": -1}), 400), (json!({"choice": 0}), 400)] {
        let (s, b) = app.call("POST", &format!("/api/polls/{poll}/vote"), Some(body), Some(&fresh)).await;
        assert_eq!(s, status, "{b}");
    }
    assert_eq!(vote(&app, &fresh, "01J00000000000000000000000", 0).await.0, 404);
    assert_eq!(app.dump_text().await, before_fresh, "a refused vote wrote something");

    // A moderator closes it: no more votes; the results stay.
    let (status, body) = app.call("POST", &format!("/api/polls/{poll}/close"), None, Some(&moderator)).await;
    assert_eq!((status, body["open"].as_bool()), (200, Some(false)), "{body}");
    let (status, body) = vote(&app, &fresh, &poll, 0).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("poll_closed")));
    assert_eq!(results(&app, &poll).await["voters"], 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vote_per_address_and_no_ballot_embedded() {
    one_vote_per_address_and_no_ballot(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vote_per_address_and_no_ballot_dynamodb_local() {
    one_vote_per_address_and_no_ballot(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

#[tokio::test]
async fn communities_small_groups_closing_and_who_may_publish() {
    let app = TestApp::with_config(config());
    let moderator = sign_in(&app, MODERATOR, "citizen").await;
    let member = sign_in(&app, "infirmiere@example.org", "health").await;
    // Only moderators publish; a poll has 2 to 10 options and closes within a year.
    let good = json!({"question": "Quel bon plan ?", "options": ["A", "B"], "closes_at": rfc3339(now(&app) + DAY)});
    assert_eq!(app.call("POST", "/api/polls", Some(good.clone()), Some(&member)).await.0, 403);
    for (field, value) in [
        ("options", json!(["Seule"])),
        ("options", json!(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"])),
        ("closes_at", json!(rfc3339(now(&app) - 60))),
        ("closes_at", json!(rfc3339(now(&app) + 400 * DAY))),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let (status, body) = app.call("POST", "/api/polls", Some(body), Some(&moderator)).await;
        assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field)), "{body}");
    }
    // A poll for firefighters: a nurse cannot vote, nor a firefighter whose community no work address
    // verified.
    let poll = publish(&app, &moderator, json!(["firefighters"])).await;
    let (status, body) = vote(&app, &member, &poll, 0).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not_in_poll_communities")));
    let declared = sign_in(&app, "pompier-declare@example.org", "firefighters").await;
    let (status, body) = vote(&app, &declared, &poll, 0).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("community_not_verified")));
    // Four verified firefighters vote: counted, but their group (under five) is not shown apart.
    for n in 0..4 {
        let s = sign_in(&app, &format!("pompier{n}@example.org"), "firefighters").await;
        app.verify_community(&s, &format!("pompier{n}@sdis13.fr")).await;
        assert_eq!(vote(&app, &s, &poll, 1).await.0, 201);
    }
    let r = results(&app, &poll).await;
    assert_eq!((r["voters"].as_i64(), r["by_community"].as_array().unwrap().len()), (Some(4), 0), "{r}");
    // At its closing time, it closes by itself.
    app.t.clock.advance(7 * DAY + 1);
    let late = sign_in(&app, "pompier9@example.org", "firefighters").await;
    app.verify_community(&late, "pompier9@sdis13.fr").await;
    assert_eq!(vote(&app, &late, &poll, 0).await.1["error"]["code"], "poll_closed");
    assert_eq!(results(&app, &poll).await["open"], false);
}
