//! Offers, requests, listings and perks end to end, through the router and the functions' handlers,
//! on the embedded store and on DynamoDB Local; and a table of bad requests to the new routes.

mod common;

use common::TestApp;
use serde_json::{Value, json};
use shared::clock::DAY;
use shared::config::{Config, ReviewMode};
use shared::testing::TestDeps;

fn auto() -> Config {
    Config { review: ReviewMode::Auto, ..Config::default() }
}

fn help_offer() -> Value {
    json!({"kind": "help", "help_type": "child-care", "postal_codes": ["75011", "75012"], "radius_km": 5, "capacity": 2,
           "availability": "Le soir", "details": "Parent de deux enfants.",
           "child_care": {"is_parent": true, "has_experience": true, "max_children": 2, "age_ranges": ["3-5", "6-9"]}})
}
fn listing(kind_title: &str) -> Value {
    json!({"kind": "listing", "domain": "agricole", "postal_code": "29830", "radius_km": 30, "title": kind_title,
           "text": "Deux matinées par semaine pour la récolte."})
}
fn perk() -> Value {
    json!({"kind": "perk", "business_name": "Café de la Gare", "address": "1 place de la Gare", "postal_code": "75011",
           "category": "restaurant", "perk": "Café offert avec un menu", "communities": ["defense", "health"], "quantity": 20,
           "ends_on": null})
}
fn help_request() -> Value {
    json!({"kind": "help", "help_type": "groceries", "postal_code": "75012", "details": "Courses pour quatre."})
}

async fn post(a: &TestApp, path: &str, body: Value, s: &str) -> String {
    let (status, created) = a.call("POST", path, Some(body), Some(s)).await;
    assert_eq!(status, 201, "{path}: {created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn every_kind_can_be_posted_seen_withdrawn_and_expires(a: TestApp) {
    let s = a.sign_in("poster@example.org").await;
    let help = post(&a, "/api/offers", help_offer(), &s).await;
    let skills = post(&a, "/api/offers", listing("Bénévole disponible"), &s).await;
    let cafe = post(&a, "/api/offers", perk(), &s).await;
    let groceries = post(&a, "/api/requests", help_request(), &s).await;
    let need = post(&a, "/api/requests", listing("Ferme cherche des bras"), &s).await;

    let (_, me) = a.call("GET", "/api/me", None, Some(&s)).await;
    let ids = |list: &str| me[list].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids("offers").len(), 2, "{me}");
    assert!(ids("offers").contains(&help) && ids("offers").contains(&skills));
    assert_eq!(ids("requests").len(), 2);
    assert!(ids("requests").contains(&groceries) && ids("requests").contains(&need));
    assert_eq!(ids("perks"), vec![cafe.clone()]);
    assert_eq!(
        me["offers"].as_array().unwrap().iter().find(|o| o["id"] == help.as_str()).unwrap()["child_care"]["age_ranges"],
        json!(["3-5", "6-9"])
    );

    let (_, listings) = a.call("GET", "/api/listings?postal_code=29830&radius_km=10", None, None).await;
    let found: Vec<&str> = listings["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(found.len(), 2, "{listings}");
    assert!(!listings.to_string().contains("poster@example.org") && !listings.to_string().contains("member_id"));
    let (_, needs) = a.call("GET", "/api/listings?postal_code=29830&type=request&domain=agricole", None, None).await;
    assert_eq!(needs["items"][0]["id"], need.as_str());
    let (_, biz) = a.call("GET", "/api/businesses?postal_code=75012&radius_km=5&community=health", None, None).await;
    assert_eq!(biz["items"][0]["id"], cafe.as_str(), "{biz}");
    assert_eq!(biz["items"][0]["quantity"], 20);

    assert_eq!(a.call("DELETE", &format!("/api/offers/{help}"), None, Some(&s)).await.0, 200);
    assert_eq!(a.call("DELETE", &format!("/api/requests/{need}"), None, Some(&s)).await.0, 200);
    assert_eq!(a.call("DELETE", &format!("/api/offers/{cafe}"), None, Some(&s)).await.0, 200);
    assert_eq!(a.call("DELETE", &format!("/api/offers/{help}"), None, Some(&s)).await.0, 404, "already withdrawn");
    let (_, me) = a.call("GET", "/api/me", None, Some(&s)).await;
    assert_eq!(
        (me["offers"].as_array().unwrap().len(), me["requests"].as_array().unwrap().len(), me["perks"].as_array().unwrap().len()),
        (1, 1, 0)
    );
    let (_, biz) = a.call("GET", "/api/businesses?postal_code=75011", None, None).await;
    assert!(biz["items"].as_array().unwrap().is_empty());
    let (_, listings) = a.call("GET", "/api/listings?postal_code=29830", None, None).await;
    assert_eq!(listings["items"].as_array().unwrap().len(), 1, "the withdrawn need is gone");

    // Day 29: sign in again and post once more; day 31: the first posts have expired, the new one has not.
    a.t.clock.advance(29 * DAY);
    let s = a.sign_in("poster@example.org").await;
    let fresh = post(&a, "/api/offers", listing("Toujours disponible"), &s).await;
    a.t.clock.advance(2 * DAY);
    // Sessions last a day: sign in once more.
    let s = a.sign_in("poster@example.org").await;
    let (status, me) = a.call("GET", "/api/me", None, Some(&s)).await;
    assert_eq!(status, 200, "the member lives on with an open post: {me}");
    assert_eq!(ids_of(&me["offers"]), vec![fresh.clone()]);
    assert!(me["requests"].as_array().unwrap().is_empty());
    let (_, listings) = a.call("GET", "/api/listings?postal_code=29830", None, None).await;
    assert_eq!(ids_of(&listings["items"]), [fresh], "expired listings vanish from searches");
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn on_the_embedded_store_every_kind_can_be_posted_seen_withdrawn_and_expires() {
    every_kind_can_be_posted_seen_withdrawn_and_expires(TestApp::with_config(auto())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_local_every_kind_can_be_posted_seen_withdrawn_and_expires() {
    every_kind_can_be_posted_seen_withdrawn_and_expires(TestApp::on(shared::testing::dynamodb_test_deps(auto()).await)).await;
}

async fn erasing_a_member_keeps_their_perks_listed_without_them(a: TestApp) {
    let s = a.sign_in("referrer@example.org").await;
    let cafe = post(&a, "/api/offers", perk(), &s).await;
    post(&a, "/api/requests", help_request(), &s).await;
    let (_, me) = a.call("GET", "/api/me", None, Some(&s)).await;
    let member_id = me["profile"]["id"].as_str().unwrap().to_owned();
    assert!(a.dump_text().await.contains(&member_id));
    assert_eq!(a.call("DELETE", "/api/me", None, Some(&s)).await.0, 200);
    let dump = a.dump_text().await;
    for trace in [member_id.as_str(), "referrer@example.org", "Courses pour quatre"] {
        assert!(!dump.contains(trace), "{trace} left after erasure:\n{dump}");
    }
    let (_, biz) = a.call("GET", "/api/businesses?postal_code=75011", None, None).await;
    assert_eq!(biz["items"][0]["id"], cafe.as_str(), "the business stays in the directory");
}

#[tokio::test]
async fn on_the_embedded_store_erasing_a_member_keeps_their_perks_listed_without_them() {
    erasing_a_member_keeps_their_perks_listed_without_them(TestApp::with_config(auto())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_local_erasing_a_member_keeps_their_perks_listed_without_them() {
    erasing_a_member_keeps_their_perks_listed_without_them(TestApp::on(shared::testing::dynamodb_test_deps(auto()).await)).await;
}

/// The member's items in the raw store whose sort key starts with one of `prefixes`.
async fn held(a: &TestApp, prefixes: &[&str]) -> usize {
    let dump = a.t.deps.store.dump().await.unwrap();
    dump.iter().filter(|i| i.key.pk.starts_with("MEMBER#") && prefixes.iter().any(|p| i.key.sk.starts_with(p))).count()
}

/// A burst of 40 posts by one member at once (a double click, a client retrying): the limit holds inside
/// the write, every refusal is a 409, and the member is not locked out afterwards.
async fn forty_concurrent_posts_by_one_member_give_exactly_twenty(a: TestApp) {
    let s = a.sign_in("burst@example.org").await;
    let calls = (0..40).map(|i| {
        let (path, body) = if i % 2 == 0 { ("/api/offers", listing("Rafale")) } else { ("/api/requests", help_request()) };
        a.call("POST", path, Some(body), Some(&s))
    });
    let answers = futures::future::join_all(calls).await;
    let accepted = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<&(u16, Value)> = answers.iter().filter(|(status, _)| *status != 201).collect();
    assert_eq!(accepted, 20, "{refused:?}");
    assert!(refused.iter().all(|(status, b)| *status == 409 && b["error"]["code"] == "too_many_open"), "{refused:?}");
    assert_eq!(held(&a, &["OFFER#", "REQUEST#"]).await, 20, "the raw store holds exactly the accepted posts");

    // Not locked out: export, withdraw one, post again, and the limit still holds.
    let (status, me) = a.call("GET", "/api/me", None, Some(&s)).await;
    assert_eq!(status, 200, "{me}");
    let offers = ids_of(&me["offers"]);
    assert_eq!(offers.len() + me["requests"].as_array().unwrap().len(), 20);
    assert_eq!(a.call("DELETE", &format!("/api/offers/{}", offers[0]), None, Some(&s)).await.0, 200);
    post(&a, "/api/requests", help_request(), &s).await;
    let (status, body) = a.call("POST", "/api/offers", Some(listing("Encore")), Some(&s)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("too_many_open")));

    // Perks referenced have their own limit (100), enforced the same way: 95 one by one, then a burst
    // of 10 at once gets exactly the 5 that are left.
    for _ in 0..95 {
        post(&a, "/api/offers", perk(), &s).await;
    }
    let calls = (0..10).map(|_| a.call("POST", "/api/offers", Some(perk()), Some(&s)));
    let answers = futures::future::join_all(calls).await;
    let accepted = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<&(u16, Value)> = answers.iter().filter(|(status, _)| *status != 201).collect();
    assert_eq!(accepted, 5, "{refused:?}");
    assert!(refused.iter().all(|(status, b)| *status == 409 && b["error"]["code"] == "too_many_perks"), "{refused:?}");
    assert_eq!(held(&a, &["PERK#"]).await, 100);
    assert_eq!(a.call("GET", "/api/me", None, Some(&s)).await.0, 200);
    assert_eq!(a.call("DELETE", "/api/me", None, Some(&s)).await.0, 200, "erasure works at the limits");
    assert_eq!(held(&a, &[""]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_store_forty_concurrent_posts_by_one_member_give_exactly_twenty() {
    forty_concurrent_posts_by_one_member_give_exactly_twenty(TestApp::with_config(auto())).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_local_forty_concurrent_posts_by_one_member_give_exactly_twenty() {
    forty_concurrent_posts_by_one_member_give_exactly_twenty(TestApp::on(shared::testing::dynamodb_test_deps(auto()).await)).await;
}

#[tokio::test]
async fn a_member_has_at_most_twenty_open_posts() {
    let a = TestApp::with_config(auto());
    let s = a.sign_in("busy@example.org").await;
    for _ in 0..20 {
        post(&a, "/api/requests", help_request(), &s).await;
    }
    let (status, body) = a.call("POST", "/api/offers", Some(listing("Encore une")), Some(&s)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("too_many_open")));
}

#[tokio::test]
async fn bad_requests_to_the_post_and_search_routes_get_their_error_and_write_nothing() {
    let a = TestApp::on(TestDeps::with_config(auto()));
    let s = a.sign_in("bad@example.org").await;
    let other = a.sign_in("other@example.org").await;
    let theirs = post(&a, "/api/offers", listing("Une annonce à eux"), &other).await;
    let before = a.dump_text().await;
    let with = |base: Value, k: &str, v: Value| {
        let mut b = base;
        if v.is_null() && k.contains('.') {
            let (outer, inner) = k.split_once('.').unwrap();
            b[outer].as_object_mut().unwrap().remove(inner);
        } else if let Some((outer, inner)) = k.split_once('.') {
            b[outer][inner] = v;
        } else {
            b[k] = v;
        }
        b
    };
    let without = |base: Value, k: &str| {
        let mut b = base;
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let o = "/api/offers";
    let r = "/api/requests";
    let too_long = "x".repeat(1001);
    // (method, path, body, expected status, expected code, expected field)
    type Case<'a> = (&'a str, String, Option<Value>, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("POST", o.into(), Some(json!({})), 400, "missing_field", Some("kind")),
        ("POST", o.into(), Some(json!({"kind": 3})), 400, "invalid_type", Some("kind")),
        ("POST", o.into(), Some(json!({"kind": "donation"})), 422, "invalid_kind", Some("kind")),
        ("POST", r.into(), Some(json!({"kind": "perk"})), 422, "invalid_kind", Some("kind")),
        ("POST", o.into(), Some(with(help_offer(), "help_type", json!("plumbing"))), 422, "invalid_help_type", Some("help_type")),
        ("POST", o.into(), Some(with(help_offer(), "postal_codes", json!([]))), 422, "invalid_postal_codes", Some("postal_codes")),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "postal_codes", json!(["75011", "75012", "75013", "75014"]))),
            422,
            "invalid_postal_codes",
            Some("postal_codes"),
        ),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "postal_codes", json!(["75011", "99999"]))),
            422,
            "invalid_postal_code",
            Some("postal_codes[1]"),
        ),
        ("POST", o.into(), Some(with(help_offer(), "postal_codes", json!("75011"))), 400, "invalid_type", Some("postal_codes")),
        ("POST", o.into(), Some(with(help_offer(), "radius_km", json!(0))), 422, "invalid_radius", Some("radius_km")),
        ("POST", o.into(), Some(with(help_offer(), "radius_km", json!(51))), 422, "invalid_radius", Some("radius_km")),
        ("POST", o.into(), Some(with(help_offer(), "radius_km", json!(5.5))), 400, "invalid_type", Some("radius_km")),
        ("POST", o.into(), Some(with(help_offer(), "radius_km", json!("5"))), 400, "invalid_type", Some("radius_km")),
        ("POST", o.into(), Some(with(help_offer(), "capacity", json!(0))), 422, "invalid_capacity", Some("capacity")),
        ("POST", o.into(), Some(with(help_offer(), "capacity", json!(11))), 422, "invalid_capacity", Some("capacity")),
        ("POST", o.into(), Some(with(help_offer(), "details", json!(too_long))), 422, "text_too_long", Some("details")),
        ("POST", o.into(), Some(with(help_offer(), "details", json!("a\u{0000}b"))), 422, "invalid_text", Some("details")),
        ("POST", o.into(), Some(with(help_offer(), "last_name", json!("Martin"))), 400, "unknown_field", Some("last_name")),
        ("POST", o.into(), Some(without(help_offer(), "child_care")), 422, "child_care_required", Some("child_care")),
        (
            "POST",
            o.into(),
            Some(with(with(help_offer(), "help_type", json!("groceries")), "radius_km", json!(5))),
            422,
            "child_care_not_applicable",
            Some("child_care"),
        ),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "child_care.max_children", json!(7))),
            422,
            "invalid_max_children",
            Some("child_care.max_children"),
        ),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "child_care.age_ranges", json!(["3-5", "14-16"]))),
            422,
            "invalid_age_range",
            Some("child_care.age_ranges[1]"),
        ),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "child_care.age_ranges", json!([]))),
            422,
            "invalid_age_ranges",
            Some("child_care.age_ranges"),
        ),
        (
            "POST",
            o.into(),
            Some(with(help_offer(), "child_care.is_parent", json!("yes"))),
            400,
            "invalid_type",
            Some("child_care.is_parent"),
        ),
        ("POST", o.into(), Some(with(listing("Titre correct"), "domain", json!("plumbing"))), 422, "invalid_domain", Some("domain")),
        ("POST", o.into(), Some(with(listing("Titre correct"), "title", json!("ab"))), 422, "text_too_short", Some("title")),
        ("POST", o.into(), Some(with(listing("Titre correct"), "radius_km", json!(101))), 422, "invalid_radius", Some("radius_km")),
        ("POST", o.into(), Some(without(listing("Titre correct"), "text")), 400, "missing_field", Some("text")),
        ("POST", o.into(), Some(with(perk(), "quantity", json!(0))), 422, "invalid_quantity", Some("quantity")),
        ("POST", o.into(), Some(with(perk(), "quantity", json!(1_000_000_000))), 422, "invalid_quantity", Some("quantity")),
        ("POST", o.into(), Some(with(perk(), "quantity", json!(-3))), 422, "invalid_quantity", Some("quantity")),
        ("POST", o.into(), Some(with(perk(), "category", json!("casino"))), 422, "invalid_category", Some("category")),
        ("POST", o.into(), Some(with(perk(), "communities", json!([]))), 422, "invalid_communities", Some("communities")),
        (
            "POST",
            o.into(),
            Some(with(perk(), "communities", json!(["health", "navy-seals"]))),
            422,
            "invalid_community",
            Some("communities[1]"),
        ),
        ("POST", o.into(), Some(with(perk(), "ends_on", json!("2020-01-01"))), 422, "invalid_date", Some("ends_on")),
        ("POST", o.into(), Some(with(perk(), "ends_on", json!("next week"))), 422, "invalid_date", Some("ends_on")),
        ("POST", o.into(), Some(with(perk(), "postal_code", json!("00000"))), 422, "invalid_postal_code", Some("postal_code")),
        ("POST", r.into(), Some(with(help_request(), "postal_code", json!(75012))), 400, "invalid_type", Some("postal_code")),
        ("POST", r.into(), Some(with(help_request(), "children", json!(["3-5"]))), 422, "children_not_applicable", Some("children")),
        ("POST", r.into(), Some(with(help_request(), "help_type", json!("child-care"))), 422, "invalid_children", Some("children")),
        (
            "POST",
            r.into(),
            Some(with(
                with(help_request(), "help_type", json!("child-care")),
                "children",
                json!(["3-5", "3-5", "3-5", "3-5", "3-5", "3-5", "3-5"]),
            )),
            422,
            "invalid_children",
            Some("children"),
        ),
        ("DELETE", format!("{o}/{theirs}"), None, 404, "not_found", None),
        ("DELETE", format!("{r}/{theirs}"), None, 404, "not_found", None),
        ("DELETE", format!("{o}/not-an-id"), None, 400, "invalid_id", Some("id")),
        ("DELETE", format!("{o}/01ARZ3NDEKTSV4RRFFQ69G5FAV"), None, 404, "not_found", None),
        ("GET", "/api/businesses".into(), None, 400, "missing_field", Some("postal_code")),
        ("GET", "/api/businesses?postal_code=99999".into(), None, 422, "invalid_postal_code", Some("postal_code")),
        ("GET", "/api/businesses?postal_code=75011&radius_km=0".into(), None, 422, "invalid_radius", Some("radius_km")),
        ("GET", "/api/businesses?postal_code=75011&radius_km=101".into(), None, 422, "invalid_radius", Some("radius_km")),
        ("GET", "/api/businesses?postal_code=75011&radius_km=ten".into(), None, 400, "invalid_type", Some("radius_km")),
        ("GET", "/api/businesses?postal_code=75011&category=casino".into(), None, 422, "invalid_category", Some("category")),
        ("GET", "/api/businesses?postal_code=75011&community=aliens".into(), None, 422, "invalid_community", Some("community")),
        ("GET", "/api/businesses?postal_code=75011&limit=0".into(), None, 422, "invalid_limit", Some("limit")),
        ("GET", "/api/businesses?postal_code=75011&limit=51".into(), None, 422, "invalid_limit", Some("limit")),
        ("GET", "/api/businesses?postal_code=75011&cursor=abc.def".into(), None, 400, "invalid_cursor", Some("cursor")),
        ("GET", "/api/businesses?postal_code=75011&sort=name".into(), None, 400, "unknown_field", Some("sort")),
        ("GET", "/api/listings?postal_code=29830&domain=plumbing".into(), None, 422, "invalid_domain", Some("domain")),
        ("GET", "/api/listings?postal_code=29830&type=both".into(), None, 422, "invalid_type_filter", Some("type")),
        ("GET", "/api/listings?postal_code=29830&radius_km=-1".into(), None, 422, "invalid_radius", Some("radius_km")),
    ];
    assert!(cases.len() >= 40, "{}", cases.len());
    for (method, path, body, status, code, field) in &cases {
        let shown = body.as_ref().map(|b| b.to_string().chars().take(100).collect::<String>()).unwrap_or_default();
        let (got, json) = a.call(method, path, body.clone(), Some(&s)).await;
        assert_eq!(got, *status, "{method} {path} {shown}: {json}");
        assert_eq!(json["error"]["code"].as_str(), Some(*code), "{method} {path} {shown}: {json}");
        assert_eq!(json["error"]["field"].as_str(), *field, "{method} {path} {shown}: {json}");
    }
    // Without a session, posting and withdrawing are refused.
    for (method, path) in [("POST", o.to_owned()), ("POST", r.to_owned()), ("DELETE", format!("{o}/{theirs}"))] {
        let (got, json) = a.call(method, &path, Some(listing("Titre correct")), None).await;
        assert_eq!((got, json["error"]["code"].as_str()), (401, Some("missing_session")), "{method} {path}");
    }
    assert_eq!(a.dump_text().await, before, "nothing was written");
}
