//! Every function's real binary, run against a Lambda Runtime API emulator with its `events/*.json` and
//! DynamoDB Local (and the local SES) behind it: proof that `main.rs` wiring, configuration from the
//! environment and the cold start work — not only the handler.
//!
//! The emulator implements the runtime interface a Lambda execution environment gives a custom runtime
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`, `/init/error`). The
//! binaries are the ones last built in `target/debug/`: in the test command, the lean builds of
//! `scripts/check-lambda-packages.sh` (each from its `CodeUri`, as a Lambda is built).

#![cfg(feature = "services")]

use entraide::emulator::{LambdaProcess, Outcome};
use serde_json::{Value, json};
use shared::clock::SystemClock;
use shared::config::{Config, ReviewMode};
use shared::crypto::Secret;
use shared::deps::Deps;
use shared::domain::Email;
use shared::mail::outbox::Outbox;
use std::collections::HashMap;
use std::sync::Arc;

const SECRET: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
const MODERATOR: &str = "moderation.runtime@example.org";

/// Starts `target/debug/<name>` under its own emulator.
async fn start(name: &str, env: &[(&str, String)], dir: &std::path::Path) -> LambdaProcess {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debug").join(name);
    assert!(bin.exists(), "{} is not built: run `cargo build --workspace --bins` (scripts/test.sh does)", bin.display());
    LambdaProcess::start(&bin, name, env, &dir.join(format!("{name}.log"))).await.unwrap()
}

/// (binary, event file, placeholders, expected status).
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16);

/// The sample event `events/<file>.json` with its placeholders filled.
fn sample(file: &str, fill: &[(&str, &str)]) -> Value {
    let mut text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events").join(format!("{file}.json"))).unwrap();
    for (from, to) in fill {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

/// Everything the events need, written through the library on the same table and secret.
struct Fixture {
    session: String,
    other_session: String,
    link: String,
    offer_id: String,
    request_id: String,
    match_id: String,
    perk_id: String,
    listing_id: String,
    reported_contact_id: String,
    ticket_perk_id: String,
    ticket_id: String,
    poll_id: String,
    closes_at: String,
    secrets: Vec<String>,
}

async fn fixture(deps: &Deps, outbox: &Outbox) -> Fixture {
    use shared::testing::sign_in;
    let session = sign_in(deps, outbox, MODERATOR, "Rosalie", "75011").await;
    let other_session = sign_in(deps, outbox, "erase.runtime@example.org", "Eugène", "69003").await;
    let requester = sign_in(deps, outbox, "request.runtime@example.org", "Sidonie", "75012").await;
    let member = |s: &str| {
        let s = s.to_owned();
        async move { shared::members::authenticate(deps, Some(&s)).await.unwrap() }
    };
    let (m, r) = (member(&session).await, member(&requester).await);
    let offer = json!({"kind": "help", "help_type": "groceries", "postal_codes": ["75011"], "radius_km": 5});
    shared::posts::post_offer(deps, &m, offer.clone().try_into().unwrap()).await.unwrap();
    let offer_id = shared::posts::post_offer(deps, &m, offer.try_into().unwrap()).await.unwrap().id;
    let request = json!({"kind": "help", "help_type": "groceries", "postal_code": "75012"});
    shared::posts::post_request(deps, &r, request.try_into().unwrap()).await.unwrap();
    let request_id = shared::posts::post_request(
        deps,
        &m,
        json!({"kind": "help", "help_type": "child-care", "postal_code": "75011", "children": ["3-5"]}).try_into().unwrap(),
    )
    .await
    .unwrap()
    .id;
    shared::matching::run::run(deps).await.unwrap();
    let match_id = deps.store.dump().await.unwrap().into_iter().find(|i| i.key.sk == "MATCH").expect("a proposed match").attrs["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let perk = json!({"kind": "perk", "business_name": "Pharmacie du Canal", "postal_code": "75011", "category": "health-beauty",
                      "perk": "Conseils gratuits", "communities": ["health"]});
    let perk_id = shared::posts::post_offer(deps, &m, perk.try_into().unwrap()).await.unwrap().id;
    // Two listings of the requester: the contact event answers the first; a contact to the second, sent
    // by another member and reported by its owner, waits for the moderation event.
    let listing = |title: &str| {
        let body = json!({"kind": "listing", "domain": "agricole", "postal_code": "29830", "title": title,
                          "text": "Notre ferme cherche des bras pour la récolte."});
        let r = r.clone();
        async move { shared::posts::post_request(deps, &r, body.try_into().unwrap()).await.unwrap().id }
    };
    let listing_id = listing("Cueillette").await;
    let reported_listing = listing("Récolte").await;
    let other = member(&other_session).await;
    let message = "Un message signalé par son destinataire";
    let reported_contact_id =
        shared::contacts::contact_listing(deps, &other, &reported_listing, shared::contacts::NewContact { message: message.into() })
            .await
            .unwrap()
            .id;
    let report = shared::testing::latest_link(&outbox.list().unwrap(), "request.runtime@example.org", "report_contact").unwrap();
    shared::confirm::follow_link(deps, &report).await.unwrap();
    // A perk with tickets, approved, and one ticket of it: the return event gives it back, the claim
    // event claims it again.
    let tickets = json!({"kind": "perk", "business_name": "Théâtre du Canal", "postal_code": "75011", "category": "leisure",
                         "perk": "Deux places", "communities": ["health"], "quantity": 5});
    let ticket_perk_id = shared::posts::post_offer(deps, &m, tickets.try_into().unwrap()).await.unwrap().id;
    shared::moderation::decide_perk(deps, &m, &ticket_perk_id, shared::moderation::Decision::Approve).await.unwrap();
    let ticket_id = shared::tickets::claim(deps, &m, &ticket_perk_id).await.unwrap().id;
    // A poll open for a week: the vote event votes in it, the close event closes it.
    let closes_at = shared::clock::rfc3339(shared::clock::Clock::now(&SystemClock) + 7 * 86_400);
    let poll = json!({"question": "Quel bon plan ensuite ?", "options": ["Cinéma", "Librairie"], "closes_at": closes_at});
    let poll_id = shared::polls::publish(deps, &m, serde_json::from_value(poll).unwrap()).await.unwrap().id;
    // A fresh verify link for the confirm event.
    shared::members::register(
        deps,
        shared::members::RegisterBody {
            email: "link.runtime@example.org".into(),
            first_name: "Léon".into(),
            postal_code: "13001".into(),
            community: "citizen".into(),
            role: None,
            phone: None,
            locale: None,
            consent: true,
            website: None,
        },
    )
    .await
    .unwrap();
    let link = shared::testing::latest_link(&outbox.list().unwrap(), "link.runtime@example.org", "verify").unwrap();
    let secrets = vec![
        MODERATOR.into(),
        "Rosalie".into(),
        "Eugène".into(),
        "Sidonie".into(),
        session.clone(),
        other_session.clone(),
        link.clone(),
        message.into(),
        report,
    ];
    Fixture {
        session,
        other_session,
        link,
        offer_id,
        request_id,
        match_id,
        perk_id,
        listing_id,
        reported_contact_id,
        ticket_perk_id,
        ticket_id,
        poll_id,
        closes_at,
        secrets,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_its_sample_events_through_the_runtime_interface() {
    let endpoint = std::env::var("ENTRAIDE_TEST_DYNAMODB")
        .expect("ENTRAIDE_TEST_DYNAMODB is not set: run scripts/test.sh, which starts DynamoDB Local");
    let ses = std::env::var("ENTRAIDE_TEST_SES").expect("ENTRAIDE_TEST_SES is not set: run scripts/test.sh, which starts the local SES");
    let table = format!("rt-{}", ulid::Ulid::generate());
    let store = shared::testing::dynamodb_local_store(&endpoint, &table).await;
    let config = Config {
        review: ReviewMode::Manual,
        moderators: vec![Email::parse(MODERATOR).unwrap()],
        public_base_url: "https://entraide.example".into(),
        table_name: table.clone(),
        ..Config::default()
    };
    let outbox = Outbox::in_memory().unwrap();
    let deps = Deps::new(config, Arc::new(store), Arc::new(outbox.clone()), &Secret::from_hex(SECRET).unwrap(), Arc::new(SystemClock));
    let f = fixture(&deps, &outbox).await;

    let env: Vec<(&str, String)> = vec![
        ("DYNAMODB_ENDPOINT", endpoint),
        ("SES_ENDPOINT", ses),
        ("TABLE_NAME", table),
        ("ENTRAIDE_SECRET", SECRET.into()),
        ("PUBLIC_BASE_URL", "https://entraide.example".into()),
        ("MODERATOR_EMAILS", MODERATOR.into()),
        ("MATCH_REVIEW", "manual".into()),
        ("MAIL_FROM", "Entraide <no-reply@entraide.example>".into()),
        ("RUST_LOG", "info".into()),
    ];
    let s = f.session.as_str();
    // (binary, event file, placeholders, expected status) — in an order where each step's data exists.
    let cases: Vec<Case> = vec![
        ("taxonomy", "taxonomy", vec![], 200),
        ("openapi", "openapi", vec![], 200),
        ("register", "register", vec![], 202),
        ("confirm-and-purge", "confirm-and-purge", vec![("REPLACE_WITH_A_LINK_TOKEN", &f.link)], 200),
        ("me", "me-get", vec![("REPLACE_WITH_A_SESSION", s)], 200),
        ("verify-community", "verify-community", vec![("REPLACE_WITH_A_SESSION", s)], 202),
        ("post-offer", "post-offer-help", vec![("REPLACE_WITH_A_SESSION", s)], 201),
        ("post-offer", "post-offer-listing", vec![("REPLACE_WITH_A_SESSION", s)], 201),
        ("post-offer", "post-offer-perk", vec![("REPLACE_WITH_A_SESSION", s)], 201),
        ("post-request", "post-request-help", vec![("REPLACE_WITH_A_SESSION", s)], 201),
        ("post-request", "post-request-listing", vec![("REPLACE_WITH_A_SESSION", s)], 201),
        ("list-businesses", "list-businesses", vec![], 200),
        ("list-listings", "list-listings", vec![], 200),
        ("stats", "stats", vec![], 200),
        ("moderate", "moderation-queue", vec![("REPLACE_WITH_A_SESSION", s)], 200),
        ("moderate", "moderation-perk", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.perk_id)], 200),
        ("moderate", "moderation-match", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.match_id)], 200),
        ("moderate", "moderation-run", vec![("REPLACE_WITH_A_SESSION", s)], 200),
        ("moderate", "moderation-contact", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.reported_contact_id)], 200),
        ("contact-listing", "contact-listing", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.listing_id)], 201),
        ("return-ticket", "return-ticket", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.ticket_id)], 200),
        ("claim-ticket", "claim-ticket", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.ticket_perk_id)], 201),
        ("publish-poll", "publish-poll", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_A_TIME", &f.closes_at)], 201),
        ("list-polls", "list-polls", vec![], 200),
        ("vote", "vote", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.poll_id)], 201),
        ("close-poll", "close-poll", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.poll_id)], 200),
        ("withdraw", "withdraw-offer", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.offer_id)], 200),
        ("withdraw", "withdraw-request", vec![("REPLACE_WITH_A_SESSION", s), ("REPLACE_WITH_AN_ID", &f.request_id)], 200),
        ("me", "me-delete", vec![("REPLACE_WITH_A_SESSION", &f.other_session)], 200),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut running: HashMap<&str, LambdaProcess> = HashMap::new();
    let mut cold_starts: Vec<(String, u128)> = Vec::new();
    for (bin, file, fill, expected) in &cases {
        if !running.contains_key(bin) {
            running.insert(bin, start(bin, &env, dir.path()).await);
        }
        let function = &running[bin];
        let first = !cold_starts.iter().any(|(n, _)| n == bin);
        match function.invoke(sample(file, fill)).await.unwrap_or_else(|e| panic!("{e}")) {
            Outcome::Response(r) => {
                assert_eq!(r["statusCode"].as_u64(), Some(u64::from(*expected)), "{file}: {r}");
                let body: Value = serde_json::from_str(r["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
                assert!(body.is_object() || body.is_array(), "{file}: a JSON body: {r}");
            }
            Outcome::Error(e) => panic!("{file}: the function reported an error: {e}"),
        }
        if first {
            cold_starts.push((bin.to_string(), function.started().elapsed().as_millis()));
        }
    }
    // The scheduled function: the EventBridge sample event, answered with a run summary.
    let matcher = start("match", &env, dir.path()).await;
    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/match.json")).unwrap())
            .unwrap();
    match matcher.invoke(raw).await.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Response(summary) => {
            assert!(summary["open_requests"].is_u64() && summary["proposed"].is_u64(), "a run summary: {summary}");
        }
        Outcome::Error(e) => panic!("match reported an error: {e}"),
    }
    cold_starts.push(("match".into(), matcher.started().elapsed().as_millis()));
    // The other scheduled function: the fixture's registrations and posts left tallies to fold.
    let folder = start("fold-stats", &env, dir.path()).await;
    let raw: Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/fold-stats.json")).unwrap(),
    )
    .unwrap();
    match folder.invoke(raw).await.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Response(summary) => assert!(summary["counted"].as_u64() > Some(0), "a fold summary: {summary}"),
        Outcome::Error(e) => panic!("fold-stats reported an error: {e}"),
    }
    cold_starts.push(("fold-stats".into(), folder.started().elapsed().as_millis()));
    // Every function's logs: no personal data, no token.
    let mut logs = matcher.stop().await;
    logs.push_str(&folder.stop().await);
    for (_, function) in running.drain() {
        logs.push_str(&function.stop().await);
    }
    assert!(logs.contains("request") || logs.contains("matching run"), "the functions logged");
    for secret in &f.secrets {
        assert!(!logs.contains(secret.as_str()), "a function logged personal data or a token ({} chars)", secret.len());
    }
    assert!(!logs.contains("lea.martin@aphp.fr"), "a function logged the work address of verify-community.json");
    // Every binary in functions/ was exercised.
    let mut names: Vec<String> = cold_starts.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    let mut packages: Vec<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    packages.sort();
    assert_eq!(names, packages, "every function answered through the runtime interface");
    eprintln!("process start to first answer (debug build, under the emulator): {cold_starts:?}");
}
