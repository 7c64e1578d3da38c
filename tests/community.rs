//! A community verified by a work address that keeps no proof (docs/PRODUCT.md §2.3), through the HTTP API
//! of the local application, on the embedded store and on DynamoDB Local: the link goes to the work
//! address, which the raw store and the export never hold; one work address verifies one member at a time
//! (also when two follow their links at once); only the latest link works; a verification lapses after
//! twelve months; verified-only perks and polls for some communities need it; bad input is a 4xx.

mod common;

use common::TestApp;
use futures::future::join_all;
use serde_json::{Value, json};
use shared::clock::{Clock, DAY, day_of, rfc3339};
use shared::config::{Config, ReviewMode};
use shared::domain::Email;

const MODERATOR: &str = "moderation@example.org";

fn config() -> Config {
    Config { review: ReviewMode::Auto, moderators: vec![Email::parse(MODERATOR).unwrap()], ..Config::default() }
}

async fn sign_in(app: &TestApp, email: &str, community: &str) -> String {
    app.sign_in_with(json!({"email": email, "first_name": "Camille", "postal_code": "33000", "community": community,
                            "locale": "fr", "consent": true, "website": ""}))
        .await
}

async fn ask(app: &TestApp, session: &str, work_email: &str) -> (u16, Value) {
    app.call("POST", "/api/me/community-verification", Some(json!({ "work_email": work_email })), Some(session)).await
}

fn code(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"]["code"].as_str())
}

async fn a_work_address_verifies_one_member_and_is_kept_nowhere(app: TestApp) {
    let work = "c.dupont-urgences@aphp.fr";
    let lea = sign_in(&app, "lea@example.org", "health").await;
    assert_eq!(app.me(&lea).await["profile"]["community_verified"], false);
    let (status, body) = ask(&app, &lea, work).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("verification_sent")), "{body}");
    // The link went to the work address, and only there.
    let token = app.t.latest_link(work, "verify_community");
    assert!(app.t.mails().iter().filter(|m| m.links.iter().any(|l| l.purpose == "verify_community")).all(|m| m.to == work));
    let (status, body) = app.follow(&token).await;
    assert_eq!((status, body["action"].as_str(), body["community"].as_str()), (200, Some("community_verified"), Some("health")), "{body}");
    let today = day_of(app.t.clock.now());
    assert!(body["valid_until"].as_str().unwrap() > rfc3339(app.t.clock.now() + 364 * DAY).as_str(), "{body}");
    assert_eq!(code(&app.follow(&token).await), (410, Some("link_used")));
    let export = app.me(&lea).await;
    assert_eq!(
        (export["profile"]["community_verified"].as_bool(), export["profile"]["community_verified_on"].as_str()),
        (Some(true), Some(today.as_str()))
    );

    // The work address is nowhere: not in the raw store, not in the export (the address, its local part
    // or its domain).
    let dump = app.dump_text().await;
    for trace in [work, "c.dupont-urgences", "aphp"] {
        assert!(!dump.to_lowercase().contains(trace), "the raw store holds {trace}:\n{dump}");
        assert!(!export.to_string().to_lowercase().contains(trace), "the export holds {trace}: {export}");
    }
    assert_eq!(dump.matches("WORK_EMAIL#").count(), 1, "one marker, keyed by a keyed hash:\n{dump}");

    // Another member with the same work address: the link is sent (nothing tells the asker the address
    // is taken), but following it is refused.
    let zoe = sign_in(&app, "zoe@example.org", "health").await;
    assert_eq!(ask(&app, &zoe, work).await.0, 202);
    let zoe_token = app.t.latest_link(work, "verify_community");
    assert_eq!(code(&app.follow(&zoe_token).await), (409, Some("work_email_in_use")));
    assert_eq!(app.me(&zoe).await["profile"]["community_verified"], false);
    // Once Léa erases her data, the address is free: Zoé's link (not used) now works.
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&lea)).await.0, 200);
    assert_eq!(app.follow(&zoe_token).await.0, 200);
    assert_eq!(app.me(&zoe).await["profile"]["community_verified"], true);
    let dump = app.dump_text().await;
    assert_eq!(dump.matches("WORK_EMAIL#").count(), 1, "Léa's marker went with her:\n{dump}");

    // A verified-only perk: a member of its community whose community is not verified may not claim it,
    // nor a member of another community; Zoé may.
    let body = json!({"kind": "perk", "business_name": "Cinéma du Port", "postal_code": "33000", "category": "leisure",
                      "perk": "Une place offerte", "communities": ["health"], "verified_only": true, "quantity": 10});
    let (status, body) = app.call("POST", "/api/offers", Some(body), Some(&zoe)).await;
    assert_eq!(status, 201, "{body}");
    let perk = body["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.call("GET", "/api/businesses?postal_code=33000&radius_km=5", None, None).await;
    assert_eq!(listed["items"][0]["verified_only"], true, "{listed}");
    let path = format!("/api/businesses/{perk}/claims");
    let nurse = sign_in(&app, "infirmier@example.org", "health").await;
    assert_eq!(code(&app.call("POST", &path, None, Some(&nurse)).await), (403, Some("community_not_verified")));
    let citizen = sign_in(&app, "citoyen@example.org", "citizen").await;
    assert_eq!(code(&app.call("POST", &path, None, Some(&citizen)).await), (403, Some("not_in_perk_communities")));
    assert_eq!(app.call("POST", &path, None, Some(&zoe)).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_address_verifies_one_member_and_is_kept_nowhere_embedded() {
    a_work_address_verifies_one_member_and_is_kept_nowhere(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_address_verifies_one_member_and_is_kept_nowhere_dynamodb_local() {
    let app = TestApp::on(shared::testing::dynamodb_test_deps(config()).await);
    a_work_address_verifies_one_member_and_is_kept_nowhere(app).await;
}

/// Two members follow their links for one work address at once, eight times over: each time exactly one
/// is verified.
async fn two_links_for_one_address_at_once(app: TestApp) {
    for round in 0..8 {
        let work = format!("agent{round}@gendarmerie.interieur.gouv.fr");
        let mut tokens = Vec::new();
        for side in ["a", "b"] {
            let s = sign_in(&app, &format!("gendarme{round}{side}@example.org"), "gendarmerie").await;
            assert_eq!(ask(&app, &s, &work).await.0, 202);
            tokens.push(app.t.latest_link(&work, "verify_community"));
        }
        let answers = join_all(tokens.iter().map(|t| app.follow(t))).await;
        let mut statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
        statuses.sort();
        assert!(statuses == [200, 409] || statuses == [200, 410], "round {round}: {answers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_links_for_one_address_at_once_embedded() {
    two_links_for_one_address_at_once(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_links_for_one_address_at_once_dynamodb_local() {
    two_links_for_one_address_at_once(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

#[tokio::test]
async fn only_the_latest_link_works_three_a_day_and_bad_input_is_a_4xx() {
    let app = TestApp::with_config(config());
    let s = sign_in(&app, "pompier@example.org", "firefighters").await;
    let before = app.t.mails().len();
    for (work, expected) in [
        ("pompier@gmail.com", "work_domain_not_listed"),
        ("pompier@evilsdis13.fr", "work_domain_not_listed"),
        ("pompier@sdis13.fr.example", "work_domain_not_listed"),
        ("pompier@aphp.fr", "work_domain_not_listed"),
        ("pas une adresse", "invalid_email"),
    ] {
        let answer = ask(&app, &s, work).await;
        assert_eq!(
            (answer.0, answer.1["error"]["code"].as_str(), answer.1["error"]["field"].as_str()),
            (422, Some(expected), Some("work_email"))
        );
    }
    let citizen = sign_in(&app, "citoyenne@example.org", "citizen").await;
    assert_eq!(code(&ask(&app, &citizen, "a@sdis13.fr").await), (422, Some("community_not_verifiable")));
    let (status, _) =
        app.call("POST", "/api/me/community-verification", Some(json!({"work_email": "a@sdis13.fr", "x": 1})), Some(&s)).await;
    assert_eq!(status, 400);
    assert_eq!(code(&app.call("POST", "/api/me/community-verification", Some(json!({"work_email": "a@sdis13.fr"})), None).await).0, 401);
    assert_eq!(app.t.mails().len(), before + 1, "nothing sent but the citizen's sign-in");

    // Three links a day; only the latest works.
    for n in 0..3 {
        assert_eq!(ask(&app, &s, &format!("p{n}@sdis33.fr")).await.0, 202);
    }
    assert_eq!(code(&ask(&app, &s, "p3@sdis33.fr").await), (429, Some("too_many_verifications")));
    let first = app.t.latest_link("p0@sdis33.fr", "verify_community");
    assert_eq!(code(&app.follow(&first).await), (410, Some("link_replaced")));
    // A link is not a session, a session is not a link.
    assert_eq!(code(&app.call("GET", "/api/me", None, Some(&first)).await), (401, Some("wrong_purpose")));
    assert_eq!(code(&app.follow(&s).await), (401, Some("wrong_purpose")));
    let latest = app.t.latest_link("p2@sdis33.fr", "verify_community");
    assert_eq!(app.follow(&latest).await.0, 200);
    let export = app.me(&s).await;
    assert!(export["community_check"].is_null(), "{export}");
    assert_eq!(code(&app.follow(&first).await), (410, Some("link_replaced")));
    // A day later, three more.
    app.t.clock.advance(DAY + 1);
    let s = sign_in(&app, "pompier@example.org", "firefighters").await;
    assert_eq!(ask(&app, &s, "p3@sdis33.fr").await.0, 202);
    let export = app.me(&s).await;
    assert_eq!(export["community_check"]["links_sent_today"], 1, "{export}");
    assert!(!export.to_string().contains("sdis33"), "{export}");
}

/// A verification lasts twelve months: a member who stays active keeps it until then, then it lapses
/// (polls for some communities refuse them again) and the address may verify someone else.
#[tokio::test]
async fn a_verification_lapses_after_twelve_months() {
    let app = TestApp::with_config(config());
    let work = "marin@intradef.gouv.fr";
    let mut s = sign_in(&app, "marin@example.org", "defense").await;
    app.verify_community(&s, work).await;
    let until = app.me(&s).await["profile"]["community_verified_until"].as_str().unwrap().to_owned();
    // Active every 20 days (each sign-in keeps the member, and the marker, alive).
    for _ in 0..18 {
        app.t.clock.advance(20 * DAY);
        s = sign_in(&app, "marin@example.org", "defense").await;
        assert_eq!(app.me(&s).await["profile"]["community_verified"], true);
    }
    app.t.clock.advance(10 * DAY);
    s = sign_in(&app, "marin@example.org", "defense").await;
    let profile = app.me(&s).await["profile"].clone();
    assert!(rfc3339(app.t.clock.now()) > until);
    assert_eq!(
        (profile["community_verified"].as_bool(), profile["community_verified_until"].as_str()),
        (Some(false), Some(until.as_str()))
    );
    let moderator = sign_in(&app, MODERATOR, "citizen").await;
    let poll = json!({"question": "Quel bon plan ?", "options": ["A", "B"], "closes_at": rfc3339(app.t.clock.now() + DAY),
                      "communities": ["defense"]});
    let (status, poll) = app.call("POST", "/api/polls", Some(poll), Some(&moderator)).await;
    assert_eq!(status, 201, "{poll}");
    let vote = app.call("POST", &format!("/api/polls/{}/vote", poll["id"].as_str().unwrap()), Some(json!({"option": 0})), Some(&s)).await;
    assert_eq!(code(&vote), (403, Some("community_not_verified")));
    // The lapsed address verifies someone else; the first member verifies again with another.
    let other = sign_in(&app, "matelot@example.org", "defense").await;
    app.verify_community(&other, work).await;
    app.verify_community(&s, "marin.bis@def.gouv.fr").await;
    let vote = app.call("POST", &format!("/api/polls/{}/vote", poll["id"].as_str().unwrap()), Some(json!({"option": 0})), Some(&s)).await;
    assert_eq!(vote.0, 201, "{vote:?}");
}
