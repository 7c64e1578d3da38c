//! First contact through the masked relay (docs/PRODUCT.md §2.2), through the HTTP API of the local
//! application, on the embedded store and on DynamoDB Local: a member contacts a listing; its owner's
//! mail holds the message and no address of the sender; accept → both introductions hold both
//! addresses; confirm → nothing of the contact left in the raw store. Decline blocks the pair, a report
//! reaches the moderators, the eleventh contact of a day is refused, and every limit holds under a burst.

mod common;

use common::TestApp;
use futures::future::join_all;
use serde_json::{Value, json};
use shared::clock::DAY;
use shared::config::Config;
use shared::domain::Email;
use shared::mail::outbox::StoredMail;
use shared::mail::{MailError, Mailer, OutgoingMail};
use shared::testing::TestDeps;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const MODERATOR: &str = "moderation@example.org";

fn config() -> Config {
    Config { moderators: vec![Email::parse(MODERATOR).unwrap()], ..Config::default() }
}

struct Person {
    email: &'static str,
    first_name: &'static str,
    community: &'static str,
    phone: Option<&'static str>,
    locale: &'static str,
}

const OWNER: Person = Person { email: "odile.ferme@example.org", first_name: "Odile", community: "health", phone: None, locale: "fr" };
const SENDER: Person = Person {
    email: "samir.pompier@example.org",
    first_name: "Samir",
    community: "firefighters",
    phone: Some("06 11 22 33 44"),
    locale: "en",
};
const MESSAGE: &str = "Hello! <b>I can help</b> on Saturday mornings & \"weekends\".\nSee you soon.";

async fn sign_in(app: &TestApp, p: &Person) -> String {
    app.sign_in_with(json!({"email": p.email, "first_name": p.first_name, "postal_code": "29000", "community": p.community,
                            "phone": p.phone, "locale": p.locale, "consent": true, "website": ""}))
        .await
}

async fn someone(app: &TestApp, n: usize) -> String {
    let email: &'static str = Box::leak(format!("person{n}@example.org").into_boxed_str());
    sign_in(app, &Person { email, first_name: "Camille", community: "health", phone: None, locale: "fr" }).await
}

async fn listing(app: &TestApp, session: &str, title: &str) -> String {
    let body = json!({"kind": "listing", "domain": "agricole", "postal_code": "29830", "radius_km": 40, "title": title,
                      "text": "Notre ferme cherche des bras pour la récolte, deux matinées par semaine."});
    let (status, body) = app.call("POST", "/api/requests", Some(body), Some(session)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn contact(app: &TestApp, session: &str, listing: &str, message: &str) -> (u16, Value) {
    app.call("POST", &format!("/api/listings/{listing}/contact"), Some(json!({ "message": message })), Some(session)).await
}

fn mails_to(app: &TestApp, to: &str) -> Vec<StoredMail> {
    app.t.mails().into_iter().filter(|m| m.to == to).collect()
}

fn link(mail: &StoredMail, purpose: &str) -> String {
    let url = &mail.links.iter().find(|l| l.purpose == purpose).unwrap_or_else(|| panic!("no {purpose} link in {}", mail.subject)).url;
    url.split('#').nth(1).unwrap().to_owned()
}

async fn totals(app: &TestApp) -> Value {
    shared::stats::fold(&app.t.deps).await.unwrap();
    app.call("GET", "/api/stats", None, None).await.1["totals"].clone()
}

async fn the_relay_introduces_on_accept_and_confirm_leaves_nothing(app: TestApp) {
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let sender_id = app.me(&sender).await["profile"]["id"].as_str().unwrap().to_owned();
    let id = listing(&app, &owner, "Cueillette de légumes").await;

    let (status, body) = contact(&app, &sender, &id, MESSAGE).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("sent")), "{body}");
    let contact_id = body["id"].as_str().unwrap().to_owned();

    // The owner's mail: the message, the sender's first name and generic community; never their address,
    // phone or member id, anywhere in the raw mail.
    let to_owner = mails_to(&app, OWNER.email).pop().unwrap();
    let raw = format!("{}\n{}\n{}\n{:?}", to_owner.subject, to_owner.text, to_owner.html, to_owner.links);
    for secret in [SENDER.email, "samir.pompier", "06 11 22 33 44", "+33611223344", "611223344", sender_id.as_str()] {
        assert!(!raw.contains(secret), "the owner's mail holds {secret:?}");
    }
    assert!(to_owner.text.contains(MESSAGE.lines().next().unwrap()) && to_owner.text.contains("Samir"), "{}", to_owner.text);
    assert!(to_owner.text.contains("Pompiers") || to_owner.text.contains("pompiers"), "the generic community: {}", to_owner.text);
    // HTML shows the message, escaped: never interpreted.
    assert!(!to_owner.html.contains("<b>I can help</b>") && to_owner.html.contains("&lt;b&gt;I can help&lt;/b&gt;"));

    // Both see it in their space, with its state; the owner never sees the sender's id.
    let mine = app.me(&sender).await;
    assert_eq!((mine["contacts"][0]["direction"].as_str(), mine["contacts"][0]["status"].as_str()), (Some("sent"), Some("sent")));
    let theirs = app.me(&owner).await;
    assert_eq!(theirs["contacts"][0]["direction"], "received");
    assert!(!theirs.to_string().contains(&sender_id), "the owner's export names the sender: {theirs}");

    // Accept: both receive the same introduction, holding both addresses (and the phone the sender opted in).
    let (status, body) = app.follow(&link(&to_owner, "accept_contact")).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("contact_accepted")), "{body}");
    let intro_owner = mails_to(&app, OWNER.email).pop().unwrap();
    let intro_sender = mails_to(&app, SENDER.email).pop().unwrap();
    for mail in [&intro_owner, &intro_sender] {
        assert!(mail.text.contains(OWNER.email) && mail.text.contains(SENDER.email), "{}", mail.text);
        assert!(mail.text.contains("06 11 22 33 44") || mail.text.contains("+33"), "{}", mail.text);
        assert!(mail.links.iter().any(|l| l.purpose == "confirm_contact"));
    }
    let shared_part = |m: &StoredMail| m.text.split("\n--\n").next().unwrap().to_owned();
    assert_eq!(shared_part(&intro_owner), shared_part(&intro_sender), "the same introduction for both");
    // The accept link works once; a tampered confirm link does nothing.
    assert_eq!(app.follow(&link(&to_owner, "accept_contact")).await.1["error"]["code"], "link_used");
    let mut tampered = link(&intro_sender, "confirm_contact");
    tampered.insert(tampered.len() / 2, 'x');
    assert_eq!(app.follow(&tampered).await.0, 401);
    assert_eq!(app.me(&sender).await["contacts"][0]["status"], "accepted");

    // Confirm: the contact, its message and both references are gone from the raw store; the sender,
    // left with nothing open, is gone entirely; the owner keeps only their account and listing.
    let (status, body) = app.follow(&link(&intro_sender, "confirm_contact")).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("contact_confirmed")), "{body}");
    let dump = app.dump_text().await;
    for gone in ["I can help", "Saturday", SENDER.email, "Samir", &contact_id, &sender_id, "CONTACT", "06 11 22 33 44"] {
        assert!(!dump.contains(gone), "the raw store still holds {gone:?}:\n{dump}");
    }
    assert_eq!(app.follow(&link(&intro_owner, "confirm_contact")).await.1["error"]["code"], "link_used");
    let t = totals(&app).await;
    assert_eq!(
        (t["contacts_sent"].as_i64(), t["contacts_accepted"].as_i64(), t["contacts_confirmed"].as_i64(), t["contacts_declined"].as_i64()),
        (Some(1), Some(1), Some(1), Some(0)),
        "{t}"
    );
}

#[tokio::test]
async fn the_relay_introduces_on_accept_and_confirm_leaves_nothing_embedded() {
    the_relay_introduces_on_accept_and_confirm_leaves_nothing(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn the_relay_introduces_on_accept_and_confirm_leaves_nothing_dynamodb_local() {
    the_relay_introduces_on_accept_and_confirm_leaves_nothing(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

async fn decline_blocks_the_pair_and_a_report_reaches_the_moderators(app: TestApp) {
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let moderator =
        sign_in(&app, &Person { email: MODERATOR, first_name: "Modeste", community: "health", phone: None, locale: "fr" }).await;
    let id = listing(&app, &owner, "Cueillette de légumes").await;
    let other = listing(&app, &owner, "Livraison de paniers").await;

    // Decline: the sender is told, without a reason and without anything of the owner; the pair is blocked.
    assert_eq!(contact(&app, &sender, &id, "Bonjour, je peux aider.").await.0, 201);
    let (status, body) = app.follow(&link(&mails_to(&app, OWNER.email).pop().unwrap(), "decline_contact")).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("contact_declined")), "{body}");
    let told = mails_to(&app, SENDER.email).pop().unwrap();
    assert!(told.text.contains("Cueillette de légumes"), "{}", told.text);
    for owner_detail in [OWNER.email, "odile", "Odile"] {
        assert!(!told.text.contains(owner_detail) && !told.html.contains(owner_detail), "{}", told.text);
    }
    for listing_id in [&id, &other] {
        let (status, body) = contact(&app, &sender, listing_id, "Encore moi").await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("contact_declined")), "{body}");
    }
    assert!(app.me(&sender).await["contacts"].as_array().unwrap().is_empty());

    // Report: the contact waits for a moderator, who sees the message and the sender's labels, no address.
    let reporter_target = someone(&app, 1).await;
    let elsewhere = listing(&app, &someone(&app, 3).await, "Ailleurs").await;
    assert_eq!(contact(&app, &reporter_target, &elsewhere, "Achetez mes cryptos, ici aussi !").await.0, 201);
    assert_eq!(contact(&app, &reporter_target, &id, "Achetez mes cryptos !").await.0, 201);
    let to_owner = mails_to(&app, OWNER.email).pop().unwrap();
    let (status, body) = app.follow(&link(&to_owner, "report_contact")).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("contact_reported")), "{body}");
    // Reported, it can no longer be accepted.
    assert_eq!(app.follow(&link(&to_owner, "accept_contact")).await.1["error"]["code"], "contact_closed");
    let (_, queue) = app.call("GET", "/api/moderation", None, Some(&moderator)).await;
    assert_eq!((queue["contacts_waiting"].as_u64(), queue["contacts"][0]["message"].as_str()), (Some(1), Some("Achetez mes cryptos !")));
    assert!(!queue.to_string().contains("person1@"), "{queue}");
    let reported = queue["contacts"][0]["id"].as_str().unwrap().to_owned();
    // Not a moderator: refused. A moderator suspends: the sender can contact nobody.
    let decide = |session: String, decision: &'static str| {
        let (app, reported) = (&app, reported.clone());
        async move {
            app.call("POST", &format!("/api/moderation/contacts/{reported}"), Some(json!({ "decision": decision })), Some(&session)).await
        }
    };
    assert_eq!(decide(owner.clone(), "suspend").await.0, 403);
    let (status, body) = decide(moderator.clone(), "suspend").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("suspended")), "{body}");
    assert_eq!(decide(moderator.clone(), "dismiss").await.1["error"]["code"], "not_found");
    let (status, body) = contact(&app, &reporter_target, &other, "Et ici ?").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("suspended")), "{body}");
    // Its other message, not accepted yet, went with it.
    assert!(app.me(&reporter_target).await["contacts"].as_array().unwrap().is_empty());
    assert!(!app.dump_text().await.contains("cryptos"));

    // A dismissed report puts the contact back before its owner, who can then accept it.
    let third = someone(&app, 2).await;
    assert_eq!(contact(&app, &third, &id, "Je suis disponible le soir.").await.0, 201);
    let to_owner = mails_to(&app, OWNER.email).pop().unwrap();
    app.follow(&link(&to_owner, "report_contact")).await;
    let (_, queue) = app.call("GET", "/api/moderation", None, Some(&moderator)).await;
    let reported = queue["contacts"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) =
        app.call("POST", &format!("/api/moderation/contacts/{reported}"), Some(json!({"decision": "dismiss"})), Some(&moderator)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("dismissed")), "{body}");
    assert_eq!(app.follow(&link(&to_owner, "accept_contact")).await.1["action"], "contact_accepted");
    assert_eq!(totals(&app).await["contacts_declined"], 1);
}

#[tokio::test]
async fn decline_blocks_the_pair_and_a_report_reaches_the_moderators_embedded() {
    decline_blocks_the_pair_and_a_report_reaches_the_moderators(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn decline_blocks_the_pair_and_a_report_reaches_the_moderators_dynamodb_local() {
    decline_blocks_the_pair_and_a_report_reaches_the_moderators(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

async fn every_limit_holds_inside_the_write(app: TestApp) {
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let mut listings = Vec::new();
    for n in 0..12 {
        listings.push(listing(&app, &owner, &format!("Annonce {n}")).await);
    }
    // Bad input: each a JSON 4xx, nothing written.
    let before = app.dump_text().await;
    for (message, status, code) in [
        ("", 422, "text_too_short"),
        ("   ", 422, "text_too_short"),
        (&"é".repeat(1_001)[..], 422, "text_too_long"),
        ("bonjour\u{0007}", 422, "invalid_text"),
    ] {
        let (s, body) = contact(&app, &sender, &listings[0], message).await;
        assert_eq!((s, body["error"]["code"].as_str()), (status, Some(code)), "{message:?}: {body}");
    }
    let path = format!("/api/listings/{}/contact", listings[0]);
    let (s, body) = app.call("POST", &path, Some(json!({"message": "hi", "to": "x@example.org"})), Some(&sender)).await;
    assert_eq!((s, body["error"]["code"].is_string()), (400, true), "{body}");
    assert_eq!(app.call("POST", &path, Some(json!({"message": "hi"})), None).await.0, 401);
    let (s, body) = contact(&app, &owner, &listings[0], "Moi-même").await;
    assert_eq!((s, body["error"]["code"].as_str()), (422, Some("own_listing")));
    let (s, body) = contact(&app, &sender, "01J00000000000000000000000", "Bonjour").await;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, body) = contact(&app, &sender, "../../me", "Bonjour").await;
    assert!(s == 400 || s == 404, "{s} {body}");
    assert_eq!(app.dump_text().await, before, "bad input wrote something");

    // A withdrawn listing cannot be contacted.
    let withdrawn = listings.pop().unwrap();
    assert_eq!(app.call("DELETE", &format!("/api/requests/{withdrawn}"), None, Some(&owner)).await.0, 200);
    assert_eq!(contact(&app, &sender, &withdrawn, "Bonjour").await.0, 404);

    // Ten a day, then 429; a burst of twelve at once gets exactly ten through.
    let burst = join_all(listings.iter().map(|l| contact(&app, &sender, l, "Je peux aider."))).await;
    let sent = burst.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(sent, 10, "{burst:?}");
    for (s, body) in burst.iter().filter(|(s, _)| *s != 201) {
        assert_eq!((*s, body["error"]["code"].as_str()), (429, Some("too_many_contacts")), "{body}");
    }
    assert_eq!(app.me(&sender).await["contacts"].as_array().unwrap().len(), 10);
    let unsent = burst.iter().zip(&listings).find(|((s, _), _)| *s != 201).map(|(_, l)| l.clone()).unwrap();
    // One open contact per sender and listing.
    let taken = burst.iter().zip(&listings).find(|((s, _), _)| *s == 201).map(|(_, l)| l.clone()).unwrap();
    app.t.clock.advance(DAY);
    let (owner, sender) = (sign_in(&app, &OWNER).await, sign_in(&app, &SENDER).await);
    let (s, body) = contact(&app, &sender, &taken, "Encore").await;
    assert_eq!((s, body["error"]["code"].as_str()), (409, Some("already_contacted")));
    // The next day, room again.
    assert_eq!(contact(&app, &sender, &unsent, "Un nouveau jour").await.0, 201);

    // Twenty contacts wait on one listing at most, however many arrive at once.
    let busy = listing(&app, &owner, "Très demandée").await;
    let mut people = Vec::new();
    for n in 0..24 {
        people.push(someone(&app, 100 + n).await);
    }
    let answers = join_all(people.iter().map(|p| contact(&app, p, &busy, "Je suis là"))).await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 20, "{answers:?}");
    assert!(answers.iter().filter(|(s, _)| *s != 201).all(|(s, b)| *s == 409 && b["error"]["code"] == "listing_busy"), "{answers:?}");

    // A sender many owners declined lately may send no more (and their partition stays bounded).
    let declined = someone(&app, 600).await;
    let declined_id = app.me(&declined).await["profile"]["id"].as_str().unwrap().to_owned();
    let now = shared::clock::Clock::now(app.t.clock.as_ref());
    for chunk in (0..shared::contacts::MAX_DECLINES_HELD).collect::<Vec<_>>().chunks(50) {
        let ops = chunk
            .iter()
            .map(|n| {
                let attrs = serde_json::Map::from_iter([("expires_at".to_owned(), json!(now + 30 * DAY))]);
                let item = shared::store::Item::new(shared::records::keys::contact_block(&declined_id, &format!("h{n}")), attrs);
                shared::store::WriteOp::Put { item, cond: shared::store::Cond::Absent }
            })
            .collect();
        app.t.deps.store.transact(ops, now).await.unwrap();
    }
    let (s, body) = contact(&app, &declined, &busy, "Encore un").await;
    assert_eq!((s, body["error"]["code"].as_str()), (403, Some("too_many_declines")), "{body}");

    // An expired listing: 410 for a day, then unknown.
    app.t.clock.advance(30 * DAY + 3_600);
    let late = someone(&app, 500).await;
    let (s, body) = contact(&app, &late, &busy, "Trop tard ?").await;
    assert_eq!((s, body["error"]["code"].as_str()), (410, Some("listing_expired")), "{body}");
    app.t.clock.advance(DAY + 1);
    let late = someone(&app, 500).await;
    assert_eq!(contact(&app, &late, &busy, "Trop tard ?").await.0, 404);
}

#[tokio::test]
async fn every_limit_holds_inside_the_write_embedded() {
    every_limit_holds_inside_the_write(TestApp::with_config(config())).await;
}

#[cfg(feature = "services")]
#[tokio::test]
async fn every_limit_holds_inside_the_write_dynamodb_local() {
    every_limit_holds_inside_the_write(TestApp::on(shared::testing::dynamodb_test_deps(config()).await)).await;
}

#[tokio::test]
async fn a_reminder_at_day_seven_and_nothing_left_at_day_fourteen() {
    let app = TestApp::with_config(config());
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let id = listing(&app, &owner, "Cueillette de légumes").await;
    assert_eq!(contact(&app, &sender, &id, "Bonjour, je peux aider le samedi.").await.0, 201);
    let first = mails_to(&app, OWNER.email).len();
    app.t.clock.advance(6 * DAY);
    assert_eq!(app.call("POST", "/api/_local/match", None, None).await.1["contact_reminders"], 0);
    app.t.clock.advance(DAY);
    assert_eq!(app.call("POST", "/api/_local/match", None, None).await.1["contact_reminders"], 1);
    assert_eq!(app.call("POST", "/api/_local/match", None, None).await.1["contact_reminders"], 0, "one reminder only");
    let owner_mails = mails_to(&app, OWNER.email);
    assert_eq!(owner_mails.len(), first + 1);
    let reminder = owner_mails.last().unwrap();
    assert!(reminder.subject.starts_with("Rappel") && !reminder.text.contains(SENDER.email), "{}", reminder.text);
    // Unanswered at day 14: gone, and the reminder's links with it.
    app.t.clock.advance(7 * DAY);
    app.t.deps.store.sweep_expired(shared::clock::Clock::now(app.t.clock.as_ref())).await.unwrap();
    let dump = app.dump_text().await;
    assert!(!dump.contains("CONTACT#") && !dump.contains("CONTACT_SENT#") && !dump.contains("samedi"), "{dump}");
    assert_eq!(app.follow(&link(reminder, "accept_contact")).await.0, 410);
}

#[tokio::test]
async fn erasing_either_party_removes_the_contact_and_tells_the_other_nothing() {
    let app = TestApp::with_config(config());
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let id = listing(&app, &owner, "Cueillette de légumes").await;
    assert_eq!(contact(&app, &sender, &id, "Bonjour de Samir").await.0, 201);
    let owner_mails = mails_to(&app, OWNER.email).len();
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&sender)).await.0, 200);
    assert!(app.me(&owner).await["contacts"].as_array().unwrap().is_empty());
    assert_eq!(mails_to(&app, OWNER.email).len(), owner_mails, "the owner is told nothing");
    assert!(!app.dump_text().await.contains("Samir"));
    // The other way round: the owner goes, the sender's reference and the listing's owner pointer with them.
    let sender = sign_in(&app, &SENDER).await;
    assert_eq!(contact(&app, &sender, &id, "Bonjour encore").await.0, 201);
    assert_eq!(app.call("DELETE", "/api/me", None, Some(&owner)).await.0, 200);
    assert!(app.me(&sender).await["contacts"].as_array().unwrap().is_empty());
    let dump = app.dump_text().await;
    for gone in ["CONTACT#", "CONTACT_SENT#", "CONTACT_IN#", "LISTING_OWNER#", "Odile"] {
        assert!(!dump.contains(gone), "{gone}: {dump}");
    }
    assert_eq!(contact(&app, &sender, &id, "Toujours là ?").await.0, 404);
}

struct FailingMailer {
    failures: AtomicUsize,
    inner: Arc<dyn Mailer>,
}

#[async_trait::async_trait]
impl Mailer for FailingMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(MailError("Throttling".into()));
        }
        self.inner.send(mail).await
    }
}

#[tokio::test]
async fn a_contact_whose_mail_fails_is_undone_and_can_be_sent_again() {
    let t = TestDeps::with_config(config());
    let mailer = Arc::new(FailingMailer { failures: AtomicUsize::new(0), inner: t.deps.mailer.clone() });
    let deps = shared::deps::Deps { mailer: mailer.clone(), ..t.deps.clone() };
    let app = TestApp::on(TestDeps { deps, outbox: t.outbox.clone(), clock: t.clock.clone() });
    let owner = sign_in(&app, &OWNER).await;
    let sender = sign_in(&app, &SENDER).await;
    let id = listing(&app, &owner, "Cueillette de légumes").await;
    mailer.failures.store(1, Ordering::SeqCst);
    let (status, body) = contact(&app, &sender, &id, "Bonjour").await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("unavailable")), "{body}");
    assert!(app.me(&sender).await["contacts"].as_array().unwrap().is_empty());
    let dump = app.dump_text().await;
    assert!(["CONTACT#", "CONTACT_SENT#", "CONTACT_IN#", "CONTACTS_ON#"].iter().all(|k| !dump.contains(k)), "nothing half-written: {dump}");
    assert_eq!(contact(&app, &sender, &id, "Bonjour").await.0, 201);
    // An acceptance whose introduction cannot be sent is undone too: the link works again.
    mailer.failures.store(1, Ordering::SeqCst);
    let accept = link(&mails_to(&app, OWNER.email).pop().unwrap(), "accept_contact");
    assert_eq!(app.follow(&accept).await.0, 503);
    assert_eq!(app.me(&sender).await["contacts"][0]["status"], "sent");
    assert_eq!(app.follow(&accept).await.1["action"], "contact_accepted");
}
