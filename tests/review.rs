//! The core loop end to end (docs/PRODUCT.md §2.1, §3, §4), through the HTTP API of the local application, on
//! the embedded store and on DynamoDB Local: offer and request → matching run → moderator → the same
//! introduction to both → confirm → nothing personal left in the raw store; decline → another volunteer,
//! never the same; reminders, keep-open, the 14-day close; withdrawal and erasure release the other side.

mod common;

use common::TestApp;
use serde_json::{Value, json};
use shared::clock::DAY;
use shared::config::{Config, ReviewMode};
use shared::domain::Email;
use shared::mail::outbox::StoredMail;
use shared::mail::{MailError, Mailer, OutgoingMail};
use shared::testing::TestDeps;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const MODERATOR: &str = "moderation@example.org";

fn config(review: ReviewMode) -> Config {
    Config { review, moderators: vec![Email::parse(MODERATOR).unwrap()], ..Config::default() }
}

struct Person {
    email: &'static str,
    first_name: &'static str,
    postal_code: &'static str,
    phone: Option<&'static str>,
    locale: &'static str,
}

const VOLUNTEER: Person =
    Person { email: "capucine.volunteer@example.org", first_name: "Capucine", postal_code: "75011", phone: None, locale: "fr" };
const OTHER_VOLUNTEER: Person =
    Person { email: "barnabe.volunteer@example.org", first_name: "Barnabé", postal_code: "75011", phone: None, locale: "fr" };
const REQUESTER: Person =
    Person { email: "anatole.nurse@example.org", first_name: "Anatole", postal_code: "75012", phone: Some("06 12 34 56 78"), locale: "en" };
const OFFER_DETAILS: &str = "Je fais les courses le soir après le travail";
const REQUEST_DETAILS: &str = "Courses pour deux, de garde toute la semaine";

async fn sign_in(app: &TestApp, p: &Person) -> String {
    app.sign_in_with(json!({"email": p.email, "first_name": p.first_name, "postal_code": p.postal_code, "community": "health",
                            "role": "nurse", "phone": p.phone, "locale": p.locale, "consent": true, "website": ""}))
        .await
}

async fn moderator(app: &TestApp) -> String {
    sign_in(app, &Person { email: MODERATOR, first_name: "Modeste", postal_code: "13001", phone: None, locale: "fr" }).await
}

async fn offer(app: &TestApp, session: &str, postal_code: &str) -> String {
    let body = json!({"kind": "help", "help_type": "groceries", "postal_codes": [postal_code], "radius_km": 5,
                      "availability": "le soir", "details": OFFER_DETAILS});
    let (status, body) = app.call("POST", "/api/offers", Some(body), Some(session)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn request(app: &TestApp, session: &str) -> String {
    let body = json!({"kind": "help", "help_type": "groceries", "postal_code": "75012", "details": REQUEST_DETAILS});
    let (status, body) = app.call("POST", "/api/requests", Some(body), Some(session)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn run(app: &TestApp) -> Value {
    let (status, body) = app.call("POST", "/api/_local/match", None, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The totals once what happened so far is counted (the runner folds every few seconds).
async fn stats(app: &TestApp) -> Value {
    shared::stats::fold(&app.t.deps).await.unwrap();
    let (status, body) = app.call("GET", "/api/stats", None, None).await;
    assert_eq!(status, 200);
    body["totals"].clone()
}

fn intros(app: &TestApp, to: &str) -> Vec<StoredMail> {
    app.t.mails().into_iter().filter(|m| m.to == to && m.links.iter().any(|l| l.purpose == "confirm_match")).collect()
}

/// The text shared by both copies: everything before the recipient's own erase link, tokens masked
/// (both copies carry the same confirm and decline links, but this keeps the comparison about words).
fn shared_part(mail: &StoredMail) -> String {
    mail.text.split("\n--\n").next().unwrap().to_owned()
}

async fn the_whole_loop_leaves_nothing_personal(app: TestApp) {
    let mod_session = moderator(&app).await;
    let v = sign_in(&app, &VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    offer(&app, &v, "75011").await;
    request(&app, &r).await;

    let summary = run(&app).await;
    assert_eq!((summary["proposed"].as_u64(), summary["introductions"]["introduced"].as_u64()), (Some(1), Some(0)), "{summary}");
    assert!(intros(&app, REQUESTER.email).is_empty(), "manual review: nothing is sent before a moderator approves");

    // Only moderators see the queue.
    let (status, body) = app.call("GET", "/api/moderation", None, Some(&v)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not_moderator")));
    let (status, queue) = app.call("GET", "/api/moderation", None, Some(&mod_session)).await;
    assert_eq!(status, 200, "{queue}");
    let matches = queue["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["request"]["first_name"], "Anatole");
    assert_eq!(matches[0]["offer"]["first_name"], "Capucine");
    let id = matches[0]["id"].as_str().unwrap().to_owned();
    let (status, body) =
        app.call("POST", &format!("/api/moderation/matches/{id}"), Some(json!({"decision": "approve"})), Some(&mod_session)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("introduced")), "{body}");
    // Deciding twice is a conflict, not a second introduction.
    let (status, _) =
        app.call("POST", &format!("/api/moderation/matches/{id}"), Some(json!({"decision": "reject"})), Some(&mod_session)).await;
    assert_eq!(status, 409);

    // The same introduction for both: first names, area, help, details, the phone given, safety advice.
    let (to_r, to_v) = (intros(&app, REQUESTER.email), intros(&app, VOLUNTEER.email));
    assert_eq!((to_r.len(), to_v.len()), (1, 1));
    assert_eq!(to_r[0].subject, to_v[0].subject);
    assert_eq!(shared_part(&to_r[0]), shared_part(&to_v[0]));
    let text = shared_part(&to_r[0]);
    for expected in ["Anatole", "Capucine", "75012", OFFER_DETAILS, REQUEST_DETAILS, "+33612345678", "video", "vidéo", VOLUNTEER.email] {
        assert!(text.contains(expected), "the introduction lacks {expected:?}:\n{text}");
    }
    // Each copy's erase link is its recipient's own.
    let erase = |m: &StoredMail| m.links.iter().find(|l| l.purpose == "erase").unwrap().url.clone();
    assert_ne!(erase(&to_r[0]), erase(&to_v[0]));
    let totals = stats(&app).await;
    assert_eq!((totals["proposed"].as_i64(), totals["introduced"].as_i64()), (Some(1), Some(1)));

    // One confirms: the match's personal data is purged at once.
    let token = app.t.latest_link(REQUESTER.email, "confirm_match");
    let (status, body) = app.follow(&token).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("match_confirmed")), "{body}");
    assert_eq!(app.follow(&token).await.0, 410, "single use");
    let other = app.t.latest_link(VOLUNTEER.email, "decline_match");
    let (status, body) = app.follow(&other).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("match_closed")), "a later answer finds it closed");

    let dump = app.dump_text().await;
    for p in [&VOLUNTEER, &REQUESTER] {
        for needle in [p.email, p.first_name, p.postal_code] {
            assert!(!dump.contains(needle), "the raw store still holds {needle:?}:\n{dump}");
        }
    }
    for needle in [OFFER_DETAILS, REQUEST_DETAILS, "06 12 34 56 78", "0612345678", "+33612345678", "Anatole", "Capucine"] {
        assert!(!dump.contains(needle), "the raw store still holds {needle:?}:\n{dump}");
    }
    // Both sessions are revoked: nobody is left to sign in as.
    assert_eq!(app.call("GET", "/api/me", None, Some(&r)).await.0, 401);
    assert_eq!(app.call("GET", "/api/me", None, Some(&v)).await.0, 401);
    let totals = stats(&app).await;
    assert_eq!(totals["confirmed"], 1, "{totals}");
    let (_, full) = app.call("GET", "/api/stats", None, None).await;
    assert_eq!(full["by_department"].as_array().unwrap().iter().find(|d| d["department"] == "75").unwrap()["confirmed"], 1);
    assert!(full["median_minutes_to_match"].is_i64(), "{full}");
}

#[tokio::test]
async fn the_whole_loop_leaves_nothing_personal_embedded() {
    the_whole_loop_leaves_nothing_personal(TestApp::with_config(config(ReviewMode::Manual))).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn the_whole_loop_leaves_nothing_personal_dynamodb_local() {
    the_whole_loop_leaves_nothing_personal(TestApp::on(shared::testing::dynamodb_test_deps(config(ReviewMode::Manual)).await)).await;
}

async fn a_declined_request_goes_to_another_volunteer_never_the_same(app: TestApp) {
    let v1 = sign_in(&app, &VOLUNTEER).await;
    let v2 = sign_in(&app, &OTHER_VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    offer(&app, &v1, "75011").await;
    offer(&app, &v2, "75011").await;
    request(&app, &r).await;
    let mut volunteers = Vec::new();
    for _ in 0..2 {
        let summary = run(&app).await;
        assert_eq!((summary["proposed"].as_u64(), summary["introductions"]["introduced"].as_u64()), (Some(1), Some(1)), "{summary}");
        let latest =
            app.t.mails().into_iter().rev().find(|m| m.links.iter().any(|l| l.purpose == "confirm_match") && m.to != REQUESTER.email);
        volunteers.push(latest.unwrap().to);
        let (status, body) = app.follow(&app.t.latest_link(REQUESTER.email, "decline_match")).await;
        assert_eq!((status, body["action"].as_str()), (200, Some("match_declined")), "{body}");
    }
    assert_ne!(volunteers[0], volunteers[1], "a declined volunteer is never proposed again");
    let summary = run(&app).await;
    assert_eq!(summary["proposed"], 0, "both pairs are blocked: {summary}");
    // Each volunteer's capacity came back.
    for s in [&v1, &v2] {
        let (_, me) = app.call("GET", "/api/me", None, Some(s)).await;
        assert_eq!(me["offers"][0]["active_matches"], 0, "{me}");
    }
    let (_, me) = app.call("GET", "/api/me", None, Some(&r)).await;
    assert_eq!(me["requests"][0]["status"], "open");
    assert_eq!(stats(&app).await["declined"], 2);
}

#[tokio::test]
async fn a_declined_request_goes_to_another_volunteer_never_the_same_embedded() {
    a_declined_request_goes_to_another_volunteer_never_the_same(TestApp::with_config(config(ReviewMode::Auto))).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn a_declined_request_goes_to_another_volunteer_never_the_same_dynamodb_local() {
    a_declined_request_goes_to_another_volunteer_never_the_same(TestApp::on(
        shared::testing::dynamodb_test_deps(config(ReviewMode::Auto)).await,
    ))
    .await;
}

#[tokio::test]
async fn a_rejected_proposal_reopens_the_request_and_blocks_the_pair() {
    let app = TestApp::with_config(config(ReviewMode::Manual));
    let m = moderator(&app).await;
    let v = sign_in(&app, &VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    offer(&app, &v, "75011").await;
    request(&app, &r).await;
    assert_eq!(run(&app).await["proposed"], 1);
    let (_, queue) = app.call("GET", "/api/moderation", None, Some(&m)).await;
    let id = queue["matches"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app.call("POST", &format!("/api/moderation/matches/{id}"), Some(json!({"decision": "reject"})), Some(&m)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("rejected")));
    assert!(intros(&app, REQUESTER.email).is_empty());
    assert_eq!(run(&app).await["proposed"], 0, "the pair never comes back");
    let (_, me) = app.call("GET", "/api/me", None, Some(&v)).await;
    assert_eq!(me["offers"][0]["active_matches"], 0);
    // The manual trigger is the moderators' too.
    let (status, _) = app.call("POST", "/api/moderation/run", None, Some(&v)).await;
    assert_eq!(status, 403);
    let (status, body) = app.call("POST", "/api/moderation/run", None, Some(&m)).await;
    assert_eq!((status, body["proposed"].as_u64()), (200, Some(0)));
    // Bad decisions are clear errors.
    for (body, code) in [(json!({"decision": "maybe"}), 422), (json!({}), 422), (json!({"decision": "approve", "x": 1}), 422)] {
        let (status, answer) = app.call("POST", &format!("/api/moderation/matches/{id}"), Some(body.clone()), Some(&m)).await;
        assert!(status == code || status == 400, "{body} → {status} {answer}");
        assert!(answer["error"]["code"].is_string());
    }
    let (status, _) = app.call("POST", "/api/moderation/matches/not-an-id", Some(json!({"decision": "approve"})), Some(&m)).await;
    assert_eq!(status, 400);
    let (status, _) = app.call("POST", &format!("/api/moderation/matches/{id}"), Some(json!({"decision": "approve"})), Some(&m)).await;
    assert_eq!(status, 404, "a rejected match no longer exists");
}

#[tokio::test]
async fn a_perk_waits_for_a_moderator_before_it_is_listed() {
    let app = TestApp::with_config(config(ReviewMode::Manual));
    let m = moderator(&app).await;
    let v = sign_in(&app, &VOLUNTEER).await;
    let body = json!({"kind": "perk", "business_name": "Café des Sapeurs", "postal_code": "75011", "category": "restaurant",
                      "perk": "Un café offert aux soignants", "communities": ["health"]});
    let (status, created) = app.call("POST", "/api/offers", Some(body), Some(&v)).await;
    assert_eq!((status, created["status"].as_str()), (201, Some("pending")), "{created}");
    let search = || app.call("GET", "/api/businesses?postal_code=75011", None, None);
    assert_eq!(search().await.1["items"].as_array().unwrap().len(), 0);
    let (_, queue) = app.call("GET", "/api/moderation", None, Some(&m)).await;
    assert_eq!(queue["perks"][0]["business_name"], "Café des Sapeurs");
    let id = created["id"].as_str().unwrap();
    let (status, body) = app.call("POST", &format!("/api/moderation/perks/{id}"), Some(json!({"decision": "approve"})), Some(&m)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("approved")));
    assert_eq!(search().await.1["items"].as_array().unwrap().len(), 1);
    let (_, queue) = app.call("GET", "/api/moderation", None, Some(&m)).await;
    assert_eq!(queue["perks"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn withdrawing_or_erasing_releases_the_other_side() {
    let app = TestApp::with_config(config(ReviewMode::Auto));
    let v = sign_in(&app, &VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    let offer_id = offer(&app, &v, "75011").await;
    request(&app, &r).await;
    assert_eq!(run(&app).await["proposed"], 1);
    // The volunteer withdraws: the request is open again.
    assert_eq!(app.call("DELETE", &format!("/api/offers/{offer_id}"), None, Some(&v)).await.0, 200);
    let (_, me) = app.call("GET", "/api/me", None, Some(&r)).await;
    assert_eq!(me["requests"][0]["status"], "open", "{me}");
    // Another offer takes it; then the requester erases everything: the offer's capacity comes back.
    offer(&app, &v, "75011").await;
    assert_eq!(run(&app).await["proposed"], 1);
    let (_, me) = app.call("GET", "/api/me", None, Some(&v)).await;
    assert_eq!(me["offers"][0]["active_matches"], 1);
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&r)).await.0, 200);
    let (_, me) = app.call("GET", "/api/me", None, Some(&v)).await;
    assert_eq!(me["offers"][0]["active_matches"], 0, "{me}");
    let dump = app.dump_text().await;
    assert!(!dump.contains("MATCH#"), "no match is left behind:\n{dump}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_keep_open_and_the_fourteen_day_close() {
    let app = TestApp::with_config(config(ReviewMode::Auto));
    let v = sign_in(&app, &VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    // Far apart: no match; at day 25 both get a "keep it open" reminder, once.
    offer(&app, &v, "29200").await;
    request(&app, &r).await;
    app.t.clock.advance(25 * DAY + 60);
    // Two runs at once still send each reminder once.
    let (a, b) = tokio::join!(shared::matching::run::run(&app.t.deps), shared::matching::run::run(&app.t.deps));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.proposed, a.housekeeping.post_reminders + b.housekeeping.post_reminders), (0, 2), "{a:?} {b:?}");
    let reminders = app.t.mails().into_iter().filter(|m| m.links.iter().any(|l| l.purpose == "keep_open")).count();
    assert_eq!(reminders, 2);
    assert_eq!(run(&app).await["housekeeping"]["post_reminders"], 0, "one reminder, not one per run");
    let (status, body) = app.follow(&app.t.latest_link(REQUESTER.email, "keep_open")).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("kept_open")), "{body}");
    app.t.clock.advance(10 * DAY);
    // Sessions last a day: both sign in again.
    let r = sign_in(&app, &REQUESTER).await;
    let (_, me) = app.call("GET", "/api/me", None, Some(&r)).await;
    assert_eq!(me["requests"].as_array().unwrap().len(), 1, "the request was kept open: {me}");
    let v = sign_in(&app, &VOLUNTEER).await;
    let (_, me) = app.call("GET", "/api/me", None, Some(&v)).await;
    assert_eq!(me["offers"].as_array().unwrap().len(), 0, "the offer that was not kept open expired: {me}");
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&v)).await.0, 200);

    // An introduction nobody answers: a reminder at day 7, closed and purged at day 14.
    let v = sign_in(&app, &OTHER_VOLUNTEER).await;
    offer(&app, &v, "75011").await;
    assert_eq!(run(&app).await["introductions"]["introduced"], 1);
    app.t.clock.advance(7 * DAY + 60);
    assert_eq!(run(&app).await["housekeeping"]["match_reminders"], 1);
    assert_eq!(intros(&app, OTHER_VOLUNTEER.email).len(), 2, "introduction and its reminder");
    assert!(intros(&app, REQUESTER.email).last().unwrap().subject.contains("Reminder"));
    app.t.clock.advance(7 * DAY);
    assert_eq!(run(&app).await["housekeeping"]["closed"], 1);
    let dump = app.dump_text().await;
    for needle in [OTHER_VOLUNTEER.email, REQUESTER.email, REQUEST_DETAILS, "Anatole", "Barnabé"] {
        assert!(!dump.contains(needle), "the raw store still holds {needle:?}:\n{dump}");
    }
    assert_eq!(stats(&app).await["closed"], 1);
}

/// A run can propose thousands of pairs at once: the moderator sees the oldest fifty and how many wait,
/// and each decision makes room for the next.
#[tokio::test]
async fn a_long_queue_shows_the_oldest_fifty_and_how_many_wait() {
    let app = TestApp::with_config(config(ReviewMode::Manual));
    let m = moderator(&app).await;
    for k in 0..6 {
        let v = app.sign_in(&format!("volunteer{k}@example.org")).await;
        let body = json!({"kind": "help", "help_type": "groceries", "postal_codes": ["75011"], "radius_km": 5, "capacity": 10});
        assert_eq!(app.call("POST", "/api/offers", Some(body), Some(&v)).await.0, 201);
    }
    for k in 0..55 {
        let r = app.sign_in(&format!("requester{k}@example.org")).await;
        request(&app, &r).await;
    }
    assert_eq!(run(&app).await["proposed"], 55);
    let queue = async |app: &TestApp| {
        let (status, body) = app.call("GET", "/api/moderation", None, Some(&m)).await;
        assert_eq!(status, 200, "{body}");
        body
    };
    let first = queue(&app).await;
    let shown = first["matches"].as_array().unwrap();
    assert_eq!((shown.len(), first["matches_waiting"].as_u64()), (50, Some(55)));
    let ids: Vec<&str> = shown.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first (ids are time-ordered ULIDs): {ids:?}");
    for (k, id) in ids.iter().take(6).enumerate() {
        let decision = if k == 0 { "approve" } else { "reject" };
        let (status, body) =
            app.call("POST", &format!("/api/moderation/matches/{id}"), Some(json!({ "decision": decision })), Some(&m)).await;
        assert_eq!(status, 200, "{body}");
    }
    let next = queue(&app).await;
    let shown: Vec<&str> = next["matches"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!((shown.len(), next["matches_waiting"].as_u64()), (49, Some(49)));
    assert_eq!(&shown[..44], &ids[6..], "the decided ones left, the rest moved up");
    assert_eq!((next["perks"].as_array().unwrap().len(), next["perks_waiting"].as_u64()), (0, Some(0)));
}

async fn found(app: &TestApp) -> Vec<String> {
    let (status, body) = app.call("GET", "/api/listings?postal_code=29830&radius_km=20", None, None).await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

/// Listings follow the same 30-day rule as help posts (docs/PRODUCT.md §3): a reminder at day 25 with a "keep it
/// open" link, which keeps the listing found by the search; one not kept open disappears at day 30, and a
/// withdrawn or erased one leaves nothing behind, its search copy included.
async fn listings_are_reminded_kept_open_and_leave_nothing(app: TestApp) {
    let s = sign_in(&app, &VOLUNTEER).await;
    let listing = |side: &str, title: &str| {
        json!({"kind": "listing", "domain": "agricole", "postal_code": "29830", "radius_km": 30, "title": title,
               "text": format!("{side}: trois matinées par semaine, dès que possible")})
    };
    let mut ids = Vec::new();
    for (path, title) in
        [("/api/offers", "Bénévole pour la traite"), ("/api/requests", "Ferme cherche des bras"), ("/api/offers", "Tracteur et chauffeur")]
    {
        let (status, body) = app.call("POST", path, Some(listing(path, title)), Some(&s)).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let mut all = ids.clone();
    all.sort();
    assert_eq!(found(&app).await, all);

    // Day 24: nothing yet. Day 25: one reminder per listing, whichever side, once.
    app.t.clock.advance(24 * DAY);
    assert_eq!(run(&app).await["housekeeping"]["post_reminders"], 0);
    app.t.clock.advance(DAY + 60);
    let (a, b) = tokio::join!(shared::matching::run::run(&app.t.deps), shared::matching::run::run(&app.t.deps));
    assert_eq!(a.unwrap().housekeeping.post_reminders + b.unwrap().housekeeping.post_reminders, 3);
    assert_eq!(run(&app).await["housekeeping"]["post_reminders"], 0, "one reminder, not one per run");
    let reminders: Vec<StoredMail> =
        app.t.mails().into_iter().filter(|m| m.to == VOLUNTEER.email && m.links.iter().any(|l| l.purpose == "keep_open")).collect();
    assert_eq!(reminders.len(), 3);
    let need = reminders.iter().find(|m| m.text.contains("Ferme cherche des bras")).expect("the reminder names the listing");
    assert!(need.text.contains("Votre annonce « Ferme cherche des bras »"), "{}", need.text);
    let keep = need.links.iter().find(|l| l.purpose == "keep_open").unwrap().url.rsplit_once('#').unwrap().1.to_owned();
    let (status, body) = app.follow(&keep).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("kept_open")), "{body}");
    assert_eq!(app.follow(&keep).await.0, 410, "a keep-open link works once");

    // Day 35: only the listing kept open is still there, and still found by place.
    app.t.clock.advance(10 * DAY);
    assert_eq!(found(&app).await, vec![ids[1].clone()]);
    let s = sign_in(&app, &VOLUNTEER).await;
    let (_, me) = app.call("GET", "/api/me", None, Some(&s)).await;
    assert_eq!((me["offers"].as_array().unwrap().len(), me["requests"].as_array().unwrap().len()), (0, 1), "{me}");
    // Kept open, it is reminded again five days before its new end.
    app.t.clock.advance(15 * DAY);
    assert_eq!(run(&app).await["housekeeping"]["post_reminders"], 1);

    // Withdrawn: neither it nor its search copy is left; a new one, erased with its member, neither.
    let s = sign_in(&app, &VOLUNTEER).await;
    assert_eq!(app.call("DELETE", &format!("/api/requests/{}", ids[1]), None, Some(&s)).await.0, 200);
    assert!(found(&app).await.is_empty());
    let dump = app.dump_text().await;
    assert!(!dump.contains(&ids[1]) && !dump.contains("Ferme cherche"), "the withdrawn listing is gone:\n{dump}");
    let (status, body) = app.call("POST", "/api/offers", Some(listing("offre", "Menuisier le samedi")), Some(&s)).await;
    assert_eq!(status, 201, "{body}");
    let (_, me) = app.call("GET", "/api/me", None, Some(&s)).await;
    assert_eq!(me["records"].as_array().unwrap().len(), 1, "the search copy is not a record of its own, only the e-mail marker is: {me}");
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&s)).await.0, 200);
    assert!(found(&app).await.is_empty());
    let dump = app.dump_text().await;
    for needle in ["Menuisier", "LISTED#", VOLUNTEER.email, VOLUNTEER.first_name] {
        assert!(!dump.contains(needle), "the raw store still holds {needle:?}:\n{dump}");
    }
}

#[tokio::test]
async fn listings_are_reminded_kept_open_and_leave_nothing_embedded() {
    listings_are_reminded_kept_open_and_leave_nothing(TestApp::with_config(config(ReviewMode::Auto))).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn listings_are_reminded_kept_open_and_leave_nothing_dynamodb_local() {
    listings_are_reminded_kept_open_and_leave_nothing(TestApp::on(shared::testing::dynamodb_test_deps(config(ReviewMode::Auto)).await))
        .await;
}

/// A mailer that lets `pass` sends through, then fails `failures` sends, then delivers again.
struct Flaky {
    inner: Arc<dyn Mailer>,
    pass: AtomicUsize,
    failures: AtomicUsize,
}

#[async_trait::async_trait]
impl Mailer for Flaky {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        if self.pass.load(Ordering::SeqCst) > 0 {
            self.pass.fetch_sub(1, Ordering::SeqCst);
        } else if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(MailError("Throttling".into()));
        }
        self.inner.send(mail).await
    }
}

#[tokio::test]
async fn a_failed_introduction_is_sent_by_a_later_run_and_never_twice() {
    let t = TestDeps::with_config(config(ReviewMode::Auto));
    let flaky = Arc::new(Flaky { inner: t.deps.mailer.clone(), pass: AtomicUsize::new(0), failures: AtomicUsize::new(0) });
    let deps = shared::deps::Deps { mailer: flaky.clone(), ..t.deps.clone() };
    let app = TestApp::on(TestDeps { deps, outbox: t.outbox.clone(), clock: t.clock.clone() });
    let v = sign_in(&app, &VOLUNTEER).await;
    let r = sign_in(&app, &REQUESTER).await;
    offer(&app, &v, "75011").await;
    request(&app, &r).await;
    // The requester's copy goes, the volunteer's fails (the mail service throttles).
    flaky.pass.store(1, Ordering::SeqCst);
    flaky.failures.store(1, Ordering::SeqCst);
    let summary = run(&app).await;
    assert_eq!((summary["proposed"].as_u64(), summary["introductions"]["pending"].as_u64()), (Some(1), Some(1)), "{summary}");
    assert_eq!((intros(&app, REQUESTER.email).len(), intros(&app, VOLUNTEER.email).len()), (1, 0));
    // Still pending: the next run sends the missing copy only, and the one after sends nothing more.
    let summary = run(&app).await;
    assert_eq!(summary["introductions"]["introduced"], 1, "{summary}");
    let summary = run(&app).await;
    assert_eq!((summary["introductions"]["introduced"].as_u64(), summary["introductions"]["pending"].as_u64()), (Some(0), Some(0)));
    assert_eq!((intros(&app, REQUESTER.email).len(), intros(&app, VOLUNTEER.email).len()), (1, 1));
}
