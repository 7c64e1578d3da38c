//! Limited tickets of a perk (docs/PRODUCT.md §2.3), through the HTTP API of the local application, on
//! the embedded store and on DynamoDB Local: 120 members claim a 50-ticket perk at once and exactly 50
//! get one; a give-back lets one more claim; the directory shows what remains; erasure gives a ticket
//! back; the perk counts tickets, never who holds them.

mod common;

use common::TestApp;
use futures::future::join_all;
use serde_json::{Value, json};
use shared::config::{Config, ReviewMode};
use shared::testing::TestDeps;

fn config() -> Config {
    Config { review: ReviewMode::Auto, ..Config::default() }
}

async fn perk(app: &TestApp, session: &str, quantity: Option<i64>) -> String {
    let body = json!({"kind": "perk", "business_name": "Théâtre du Port", "postal_code": "33000", "category": "leisure",
                      "perk": "Deux places pour la première", "communities": ["health", "firefighters"], "quantity": quantity});
    let (status, body) = app.call("POST", "/api/offers", Some(body), Some(session)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn claim(app: &TestApp, session: &str, perk: &str) -> (u16, Value) {
    app.call("POST", &format!("/api/businesses/{perk}/claims"), None, Some(session)).await
}

async fn remaining(app: &TestApp, perk: &str) -> Value {
    let (status, body) = app.call("GET", "/api/businesses?postal_code=33000&radius_km=5", None, None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().iter().find(|b| b["id"] == perk).expect("the perk is listed")["remaining"].clone()
}

async fn a_hundred_and_twenty_claim_fifty_tickets_at_once(app: TestApp) {
    let owner = app.sign_in("theatre@example.org").await;
    let id = perk(&app, &owner, Some(50)).await;
    assert_eq!(remaining(&app, &id).await, 50);
    let mut members = Vec::new();
    for n in 0..120 {
        members.push(app.sign_in(&format!("spectateur{n}@example.org")).await);
    }
    let answers = join_all(members.iter().map(|s| claim(&app, s, &id))).await;
    let won: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    assert_eq!(won.len(), 50, "{:?}", answers.iter().filter(|(s, _)| *s != 201 && *s != 409).collect::<Vec<_>>());
    assert!(answers.iter().filter(|(s, _)| *s != 201).all(|(s, b)| *s == 409 && b["error"]["code"] == "sold_out"), "{answers:?}");
    assert_eq!(remaining(&app, &id).await, 0);
    // The perk counts 50 and names nobody: no member id in it.
    let stored =
        app.t.deps.store.get(&shared::records::keys::perk(&id), shared::clock::Clock::now(app.t.clock.as_ref())).await.unwrap().unwrap();
    assert_eq!(stored.attrs["claimed"], 50);
    let holders: Vec<usize> = answers.iter().enumerate().filter(|(_, (s, _))| *s == 201).map(|(i, _)| i).collect();
    for &i in &holders {
        let me = app.call("GET", "/api/me", None, Some(&members[i])).await.1;
        assert!(!stored.attrs.values().any(|v| v.to_string().contains(me["profile"]["id"].as_str().unwrap())));
    }
    // A give-back lets exactly one more claim.
    let first = &members[holders[0]];
    let ticket = app.call("GET", "/api/me", None, Some(first)).await.1["tickets"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app.call("DELETE", &format!("/api/claims/{ticket}"), None, Some(first)).await;
    assert_eq!((status, body), (200, json!({"status": "returned"})));
    assert_eq!(remaining(&app, &id).await, 1);
    let losers: Vec<&String> = members.iter().enumerate().filter(|(i, _)| !holders.contains(i)).map(|(_, s)| s).collect();
    let again = join_all(losers.iter().take(10).map(|s| claim(&app, s, &id))).await;
    assert_eq!(again.iter().filter(|(s, _)| *s == 201).count(), 1, "{again:?}");
    assert_eq!(remaining(&app, &id).await, 0);
    // Erasing a holder gives their ticket back.
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&members[holders[1]])).await.0, 200);
    assert_eq!(remaining(&app, &id).await, 1);
    // The referencing member sees how many are claimed, never by whom.
    let mine = app.call("GET", "/api/me", None, Some(&owner)).await.1;
    assert_eq!(mine["perks"][0]["claimed"], 49, "{mine}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_and_twenty_claim_fifty_tickets_at_once_embedded() {
    a_hundred_and_twenty_claim_fifty_tickets_at_once(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_and_twenty_claim_fifty_tickets_at_once_dynamodb_local() {
    a_hundred_and_twenty_claim_fifty_tickets_at_once(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

#[tokio::test]
async fn a_ticket_is_exported_and_bad_claims_write_nothing() {
    let app = TestApp::on(TestDeps::with_config(Config { review: ReviewMode::Manual, ..Config::default() }));
    let owner = app.sign_in("theatre@example.org").await;
    let member = app.sign_in("spectatrice@example.org").await;
    // A perk waiting for a moderator cannot be claimed.
    let pending = perk(&app, &owner, Some(5)).await;
    let before = app.dump_text().await;
    let (status, body) = claim(&app, &member, &pending).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = app.call("DELETE", "/api/claims/01J00000000000000000000000", None, Some(&member)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(app.dump_text().await, before);
    // Approved, claimed: the ticket is in the export with its code; someone else cannot give it back.
    let moderator_free = shared::moderation::decide_perk(
        &app.t.deps,
        &shared::members::authenticate(&app.t.deps, Some(&owner)).await.unwrap(),
        &pending,
        shared::moderation::Decision::Approve,
    )
    .await;
    assert!(moderator_free.is_ok());
    let (status, ticket) = claim(&app, &member, &pending).await;
    assert_eq!(status, 201, "{ticket}");
    let me = app.call("GET", "/api/me", None, Some(&member)).await.1;
    assert_eq!((me["tickets"][0]["code"].clone(), me["tickets"][0]["perk"]["id"].clone()), (ticket["code"].clone(), json!(pending)));
    let path = format!("/api/claims/{}", ticket["id"].as_str().unwrap());
    assert_eq!(app.call("DELETE", &path, None, Some(&owner)).await.0, 404);
    assert_eq!(app.call("DELETE", &path, None, Some(&member)).await.0, 200);
    let t = {
        shared::stats::fold(&app.t.deps).await.unwrap();
        app.call("GET", "/api/stats", None, None).await.1["totals"].clone()
    };
    assert_eq!((t["tickets_claimed"].as_i64(), t["tickets_returned"].as_i64()), (Some(1), Some(1)), "{t}");
}
