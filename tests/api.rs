//! The whole local application in process (router → the functions' handlers → embedded store and
//! outbox), driven like a browser would: the full register → link → session → export → erase flow, and
//! a table of bad requests that must each get their JSON error, never a 5xx, and write nothing.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};
use shared::config::Config;

#[tokio::test]
async fn a_member_registers_clicks_the_link_sees_their_data_and_erases_it() {
    let a = TestApp::new();
    assert_eq!(a.register("theo@example.org").await, 202);
    let mails = a.t.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "theo@example.org");
    assert!(mails[0].subject.starts_with("Confirm your e-mail address"), "English by the member's locale");
    assert!(mails[0].links.iter().all(|l| l.url.starts_with("http://127.0.0.1:3000/link#")));

    let token = a.t.latest_link("theo@example.org", "verify");
    let (status, body) = a.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("verified")));
    let session = body["session"].as_str().unwrap().to_owned();

    let (status, me) = a.call("GET", "/api/me", None, Some(&session)).await;
    assert_eq!(status, 200);
    assert_eq!(me["profile"]["first_name"], "Théodorine");
    assert_eq!(me["profile"]["role"], "nurse");

    let (status, body) = a.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("link_used")));

    assert!(a.dump_text().await.contains("theo@example.org"), "the audit sees the member before erasure");
    let erase = a.t.latest_link("theo@example.org", "erase");
    let (status, body) = a.call("POST", "/api/confirm", Some(json!({ "token": erase })), None).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("erased")));
    let dump = a.dump_text().await;
    for trace in ["theo@example.org", "Théodorine", "\"75011\"", "nurse", "MEMBER#", "EMAIL#"] {
        assert!(!dump.contains(trace), "{trace} left in the store:\n{dump}");
    }
    let (status, body) = a.call("GET", "/api/me", None, Some(&session)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("session_revoked")));
}

#[tokio::test]
async fn registering_again_answers_the_same_and_signs_in_the_existing_member() {
    let a = TestApp::new();
    let first = a.sign_in("same@example.org").await;
    assert_eq!(a.register("SAME@example.org").await, 202, "same answer, case-insensitive address");
    let mails = a.t.mails();
    assert_eq!(mails.len(), 2);
    assert!(mails[1].subject.contains("sign-in link"));
    let token = a.t.latest_link("same@example.org", "verify");
    let (_, body) = a.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await;
    let second = body["session"].as_str().unwrap();
    let (_, me1) = a.call("GET", "/api/me", None, Some(&first)).await;
    let (_, me2) = a.call("GET", "/api/me", None, Some(second)).await;
    assert_eq!(me1["profile"]["id"], me2["profile"]["id"], "one member per address");
}

#[tokio::test]
async fn an_unconfirmed_registration_disappears_after_a_day() {
    let a = TestApp::new();
    assert_eq!(a.register("late@example.org").await, 202);
    let token = a.t.latest_link("late@example.org", "verify");
    a.t.clock.advance(24 * 3600);
    let (status, body) = a.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("link_expired")));
    // The address is free again: a new registration creates a new pending member and sends a new link.
    assert_eq!(a.register("late@example.org").await, 202);
    assert_eq!(a.t.mails().len(), 2);
    let token = a.t.latest_link("late@example.org", "verify");
    assert_eq!(a.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await.0, 200);
}

#[tokio::test]
async fn after_the_sunset_nothing_is_collected() {
    let a = TestApp::with_config(Config { sunset_at: Some(1_000), ..Config::default() });
    let body = json!({"email": "x@example.org", "first_name": "X", "postal_code": "75011", "community": "health", "consent": true});
    let (status, body) = a.call("POST", "/api/register", Some(body), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (410, Some("platform_closed")));
    assert!(a.dump_text().await.is_empty());
}

#[tokio::test]
async fn bad_requests_get_a_json_error_never_a_5xx_and_write_nothing() {
    let a = TestApp::new();
    let ok = json!({"email": "ok@example.org", "first_name": "Léa", "postal_code": "75011", "community": "health", "consent": true});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b.to_string().into_bytes()
    };
    let without = |k: &str| {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(k);
        b.to_string().into_bytes()
    };
    let long = "a".repeat(17 * 1024);
    // (method, path, body, expected status, expected code, expected field)
    type Case<'a> = (&'a str, &'a str, Vec<u8>, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("POST", "/api/register", b"{not json".to_vec(), 400, "invalid_json", None),
        ("POST", "/api/register", b"".to_vec(), 400, "invalid_json", None),
        ("POST", "/api/register", b"[]".to_vec(), 400, "invalid_json", None),
        ("POST", "/api/register", b"\"text\"".to_vec(), 400, "invalid_json", None),
        ("POST", "/api/register", vec![0xff, 0xfe, 0x00], 400, "invalid_json", None),
        ("POST", "/api/register", with("email", json!(42)), 400, "invalid_type", Some("email")),
        ("POST", "/api/register", with("consent", json!("yes")), 400, "invalid_type", Some("consent")),
        ("POST", "/api/register", with("role", json!(["nurse"])), 400, "invalid_type", Some("role")),
        ("POST", "/api/register", with("is_admin", json!(true)), 400, "unknown_field", Some("is_admin")),
        ("POST", "/api/register", with("last_name", json!("Martin")), 400, "unknown_field", Some("last_name")),
        ("POST", "/api/register", without("email"), 400, "missing_field", Some("email")),
        ("POST", "/api/register", without("consent"), 400, "missing_field", Some("consent")),
        ("POST", "/api/register", with("consent", json!(false)), 422, "consent_required", Some("consent")),
        ("POST", "/api/register", with("email", json!("not-an-address")), 422, "invalid_email", Some("email")),
        ("POST", "/api/register", with("email", json!("")), 422, "invalid_email", Some("email")),
        ("POST", "/api/register", with("first_name", json!("a".repeat(500))), 422, "invalid_first_name", Some("first_name")),
        ("POST", "/api/register", with("first_name", json!("Léa\u{0007}")), 422, "invalid_first_name", Some("first_name")),
        ("POST", "/api/register", with("first_name", json!("Léa\u{202E}")), 422, "invalid_first_name", Some("first_name")),
        ("POST", "/api/register", with("first_name", json!("  ")), 422, "invalid_first_name", Some("first_name")),
        ("POST", "/api/register", with("postal_code", json!("99999")), 422, "invalid_postal_code", Some("postal_code")),
        ("POST", "/api/register", with("postal_code", json!("7501")), 422, "invalid_postal_code", Some("postal_code")),
        ("POST", "/api/register", with("postal_code", json!("75O11")), 422, "invalid_postal_code", Some("postal_code")),
        ("POST", "/api/register", with("community", json!("navy-seals")), 422, "invalid_community", Some("community")),
        ("POST", "/api/register", with("role", json!("colonel")), 422, "invalid_role", Some("role")),
        ("POST", "/api/register", with("phone", json!("call me maybe")), 422, "invalid_phone", Some("phone")),
        ("POST", "/api/register", with("locale", json!("de")), 422, "invalid_locale", Some("locale")),
        ("POST", "/api/register", format!(r#"{{"email":"{long}"}}"#).into_bytes(), 413, "payload_too_large", None),
        ("POST", "/api/confirm", b"{}".to_vec(), 400, "missing_field", Some("token")),
        ("POST", "/api/confirm", br#"{"token": 1}"#.to_vec(), 400, "invalid_type", Some("token")),
        ("POST", "/api/confirm", br#"{"token": "abc"}"#.to_vec(), 401, "invalid_token", None),
        ("POST", "/api/confirm", br#"{"token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}"#.to_vec(), 401, "invalid_token", None),
        ("POST", "/api/confirm", br#"{"token": "", "extra": 1}"#.to_vec(), 400, "unknown_field", Some("extra")),
        ("GET", "/api/me", vec![], 401, "missing_session", None),
        ("DELETE", "/api/me", vec![], 401, "missing_session", None),
        ("PUT", "/api/me", vec![], 405, "method_not_allowed", None),
        ("GET", "/api/register", vec![], 405, "method_not_allowed", None),
        ("GET", "/api/does-not-exist", vec![], 404, "not_found", None),
    ];
    assert!(cases.len() >= 35);
    for (method, path, body, status, code, field) in cases {
        let shown = String::from_utf8_lossy(&body).chars().take(80).collect::<String>();
        let (s, bytes, headers) = a.raw(method, path, body, None).await;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{method} {path} {shown}: not JSON"));
        assert_eq!(headers["content-type"], "application/json", "{method} {path} {shown}");
        assert_eq!(s, status, "{method} {path} {shown}: {json}");
        assert_eq!(json["error"]["code"], code, "{method} {path} {shown}");
        assert_eq!(json["error"]["field"].as_str(), field, "{method} {path} {shown}");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert!(a.dump_text().await.is_empty(), "nothing written");
    assert!(a.t.mails().is_empty(), "nothing sent");
}

#[tokio::test]
async fn bad_sessions_are_refused() {
    let a = TestApp::new();
    let session = a.sign_in("s@example.org").await;
    let erase_link = a.t.latest_link("s@example.org", "erase");
    let mut tampered = session.clone();
    tampered.insert(session.len() / 2, 'x');
    for (token, code) in [(erase_link.as_str(), "wrong_purpose"), (tampered.as_str(), "invalid_token"), ("x", "invalid_token")] {
        let (status, body) = a.call("GET", "/api/me", None, Some(token)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some(code)));
    }
    a.t.clock.advance(24 * 3600);
    let (status, body) = a.call("GET", "/api/me", None, Some(&session)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("session_expired")));
}

#[tokio::test]
async fn the_local_pages_and_the_outbox_are_served() {
    let a = TestApp::new();
    assert_eq!(a.register("page@example.org").await, 202);
    for path in ["/", "/link"] {
        let (status, body, headers) = a.raw("GET", path, vec![], None).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(status, 200);
        assert!(html.contains("<html lang=\"fr\">") && html.matches("<h1").count() == 1, "{path}");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
    let (status, body, _) = a.raw("GET", "/outbox", vec![], None).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("page@example.org") && html.contains("href=\"http://127.0.0.1:3000/link#"));
    let (status, list) = a.call("GET", "/api/_local/outbox", None, None).await;
    assert_eq!(status, 200);
    let first = &list[0];
    for k in ["id", "to", "subject", "text", "html", "links"] {
        assert!(!first[k].is_null(), "{k}");
    }
    for asset in ["app.js", "i18n.js", "charts.js", "france-departments.json", "style.css"] {
        assert_eq!(a.raw("GET", &format!("/assets/{asset}"), vec![], None).await.0, 200, "{asset}");
    }
    assert_eq!(a.raw("GET", "/assets/nope.js", vec![], None).await.0, 404);
    let (status, tax) = a.call("GET", "/api/taxonomy", None, None).await;
    assert_eq!(status, 200);
    assert!(tax["communities"].as_array().unwrap().iter().any(|c| c["code"] == "defense"));
    assert_eq!(StatusCode::OK.as_u16(), 200);
}

#[tokio::test]
async fn the_app_files_are_served_with_their_types_and_the_shell_is_revalidated() {
    let a = TestApp::new();
    for (path, content_type, revalidated) in [
        ("/", "text/html; charset=utf-8", true),
        ("/link", "text/html; charset=utf-8", true),
        ("/sw.js", "text/javascript; charset=utf-8", true),
        ("/manifest.webmanifest", "application/manifest+json", true),
        ("/manifest-en.webmanifest", "application/manifest+json", true),
        ("/favicon.ico", "image/x-icon", false),
        ("/assets/icons/icon-192.png", "image/png", true),
        ("/assets/icons/icon-512.png", "image/png", true),
        ("/assets/icons/apple-touch-icon.png", "image/png", true),
        ("/assets/app.js", "text/javascript; charset=utf-8", true),
    ] {
        let (status, body, headers) = a.raw("GET", path, vec![], None).await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, content_type), "{path}");
        assert_eq!(headers.get("cache-control").map(|v| v.to_str().unwrap()), revalidated.then_some("no-cache"), "{path}");
        assert!(!body.is_empty(), "{path}");
    }
    // The service worker carries the shell's fingerprint, and every file it keeps exists.
    let (_, sw, _) = a.raw("GET", "/sw.js", vec![], None).await;
    let sw = String::from_utf8(sw).unwrap();
    assert!(!sw.contains("__SHELL_VERSION__"), "the version is filled in");
    let list = sw.split("const SHELL = [").nth(1).unwrap().split("];").next().unwrap();
    for file in list.split(',').map(|f| f.trim().trim_matches('"')).filter(|f| !f.is_empty()) {
        assert_eq!(a.raw("GET", file, vec![], None).await.0, 200, "the service worker keeps {file}");
    }
    // The manifests name icons that exist, in French and in English.
    for (path, lang) in [("/manifest.webmanifest", "fr"), ("/manifest-en.webmanifest", "en")] {
        let (_, body, _) = a.raw("GET", path, vec![], None).await;
        let m: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (m["lang"].as_str(), m["display"].as_str(), m["start_url"].as_str()),
            (Some(lang), Some("standalone"), Some("/#accueil"))
        );
        for icon in m["icons"].as_array().unwrap() {
            assert_eq!(a.raw("GET", icon["src"].as_str().unwrap(), vec![], None).await.0, 200, "{icon}");
        }
    }
    assert_eq!(a.raw("GET", "/assets/icons/nope.png", vec![], None).await.0, 404);
    // The pages name their script, styles and icons under the shell's version: kept a year, never asked
    // again; another version's name gets today's file, checked again.
    for page in ["/", "/link"] {
        let (_, html, _) = a.raw("GET", page, vec![], None).await;
        let html = String::from_utf8(html).unwrap();
        let names: Vec<&str> = html.split('"').filter(|s| s.starts_with("/assets/")).collect();
        assert!(names.len() >= 4, "{page}: {names:?}");
        for name in names {
            let version = name.split('/').nth(2).unwrap();
            assert!(version.len() == 16 && version.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
            let (status, _, headers) = a.raw("GET", name, vec![], None).await;
            assert_eq!((status, headers["cache-control"].to_str().unwrap()), (200, "public, max-age=31536000, immutable"), "{name}");
            let old = name.replace(version, "0123456789abcdef");
            let (status, _, headers) = a.raw("GET", &old, vec![], None).await;
            assert_eq!((status, headers["cache-control"].to_str().unwrap()), (200, "no-cache"), "{old}");
        }
    }
    // The shell is compressed as the browser accepts; the API is not.
    use tower::ServiceExt;
    for (path, accept, expected) in [
        ("/assets/app.js", "br, gzip", Some("br")),
        ("/assets/app.js", "gzip", Some("gzip")),
        ("/", "gzip, deflate, br", Some("br")),
        ("/assets/app.js", "identity", None),
        ("/api/taxonomy", "br, gzip", None),
    ] {
        let req = axum::http::Request::builder().uri(path).header("accept-encoding", accept).body(axum::body::Body::empty()).unwrap();
        let resp = a.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers().get("content-encoding").map(|v| v.to_str().unwrap()), expected, "{path} with {accept}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes_that_exist() {
    let a = TestApp::new();
    let (status, doc) = a.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in shared::routes::ROUTES {
        let op = &paths.get(route.path).unwrap_or_else(|| panic!("{} is not documented", route.path))[route.method.to_lowercase()];
        assert!(op.is_object(), "{} {} is not documented", route.method, route.path);
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{} {} has no responses", route.method, route.path);
    }
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            let exists = shared::routes::ROUTES.iter().any(|r| r.path == path && r.method.eq_ignore_ascii_case(method));
            assert!(exists, "the document describes {method} {path}, which no function serves");
        }
    }
}

#[tokio::test]
async fn the_openapi_enums_are_the_taxonomy_codes() {
    let a = TestApp::new();
    let (_, doc) = a.call("GET", "/api/openapi.json", None, None).await;
    let (_, tax) = a.call("GET", "/api/taxonomy", None, None).await;
    let codes = |list: &str| tax[list].as_array().unwrap().iter().map(|e| e["code"].clone()).collect::<Vec<_>>();
    let s = &doc["components"]["schemas"];
    assert_eq!(s["HelpOffer"]["properties"]["help_type"]["enum"].as_array().unwrap(), &codes("help_types"));
    assert_eq!(s["ListingOffer"]["properties"]["domain"]["enum"].as_array().unwrap(), &codes("listing_domains"));
    assert_eq!(s["Perk"]["properties"]["category"]["enum"].as_array().unwrap(), &codes("business_categories"));
    assert_eq!(s["Perk"]["properties"]["communities"]["items"]["enum"].as_array().unwrap(), &codes("communities"));
    assert_eq!(s["RegisterBody"]["properties"]["community"]["enum"].as_array().unwrap(), &codes("communities"));
    assert_eq!(s["ChildCareOffer"]["properties"]["age_ranges"]["items"]["enum"].as_array().unwrap(), &codes("child_age_ranges"));
}

#[test]
fn every_route_has_a_sample_event() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let keys: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            if path.extension()? != "json" {
                return None;
            }
            // Scheduled events (EventBridge) have no route: only HTTP API events count here.
            serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap()).unwrap()["routeKey"].as_str().map(str::to_owned)
        })
        .collect();
    for route in shared::routes::ROUTES {
        let key = format!("{} {}", route.method, route.path);
        assert!(keys.contains(&key), "no event in events/ for {key}");
    }
}

#[tokio::test]
async fn the_local_trigger_runs_a_matching_pass_and_the_request_shows_it() {
    let a = TestApp::new();
    let volunteer = a.sign_in("volunteer@example.org").await;
    let requester = a.sign_in("requester@example.org").await;
    let offer = json!({"kind": "help", "help_type": "groceries", "postal_codes": ["75011"], "radius_km": 5});
    assert_eq!(a.call("POST", "/api/offers", Some(offer), Some(&volunteer)).await.0, 201);
    let request = json!({"kind": "help", "help_type": "groceries", "postal_code": "75012"});
    assert_eq!(a.call("POST", "/api/requests", Some(request), Some(&requester)).await.0, 201);
    let (status, summary) = a.call("POST", "/api/_local/match", None, None).await;
    assert_eq!((status, summary["proposed"].as_i64()), (200, Some(1)), "{summary}");
    let (_, me) = a.call("GET", "/api/me", None, Some(&requester)).await;
    assert_eq!(me["requests"][0]["status"], "proposed");
    assert!(me["records"].as_array().unwrap().iter().all(|r| r["entity"] != "offer_area"), "index copies are not listed as records");
    let (_, again) = a.call("POST", "/api/_local/match", None, None).await;
    assert_eq!(again["proposed"], 0);
}

#[tokio::test]
async fn at_capacity_the_runner_refuses_at_once_with_a_503_to_retry_and_serves_again_after() {
    let app = TestApp::new();
    // Every permit taken, as by that many requests being served.
    let busy = app.in_flight.clone().try_acquire_many_owned(entraide::router::MAX_IN_FLIGHT as u32).unwrap();
    let (status, body, headers) = app.raw("GET", "/api/taxonomy", vec![], None).await;
    assert_eq!(status, 503);
    assert_eq!(headers["retry-after"], "1");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    // Pages and assets are not API work: still served.
    assert_eq!(app.raw("GET", "/", vec![], None).await.0, 200);
    drop(busy);
    assert_eq!(app.raw("GET", "/api/taxonomy", vec![], None).await.0, 200);
    assert_eq!(app.in_flight.available_permits(), entraide::router::MAX_IN_FLIGHT, "every permit is given back");
}

#[tokio::test]
async fn a_runtime_running_late_refuses_api_work_until_it_catches_up() {
    use std::sync::atomic::Ordering::Relaxed;
    let app = TestApp::new();
    let limit = entraide::router::MAX_LAG.as_micros() as u64;
    app.lag_us.store(limit + 1, Relaxed);
    let body = br#"{"email":"a@example.org"}"#.to_vec();
    let (status, answer, headers) = app.raw("POST", "/api/register", body.clone(), None).await;
    assert_eq!((status, &headers["retry-after"]), (503, &"1".parse().unwrap()));
    assert_eq!(serde_json::from_slice::<Value>(&answer).unwrap()["error"]["code"], "overloaded");
    assert_eq!(app.raw("GET", "/", vec![], None).await.0, 200, "pages are not API work");
    app.lag_us.store(limit, Relaxed);
    assert_eq!(app.raw("POST", "/api/register", body, None).await.0, 400, "served again (and refused on its merits)");
}

#[tokio::test]
async fn a_crowded_runner_whose_cpu_budget_is_spent_refuses_api_work_until_it_is_not_crowded() {
    let app = TestApp::new();
    // Crowded, with a core fully busy and nothing of it serving: the least budget, then overspent.
    app.budget.crowd(true);
    app.budget.set(1.0, 0.0);
    app.budget.metered(async { std::thread::sleep(std::time::Duration::from_millis(50)) }).await;
    let (status, answer, headers) = app.raw("GET", "/api/taxonomy", vec![], None).await;
    assert_eq!((status, &headers["retry-after"]), (503, &"1".parse().unwrap()));
    assert_eq!(serde_json::from_slice::<Value>(&answer).unwrap()["error"]["code"], "overloaded");
    assert_eq!(app.raw("GET", "/", vec![], None).await.0, 200, "pages are not API work");
    // Not crowded any more: served again, and a served request is charged to the budget.
    app.budget.crowd(false);
    let served = app.budget.served();
    assert_eq!(app.raw("GET", "/api/taxonomy", vec![], None).await.0, 200);
    assert!(app.budget.served() > served);
}

/// The lag watcher sees a runtime whose only thread is held: the time a request arriving then would wait
/// — but only counts it against admission when many connections are open. With a few, a held thread
/// is a hiccup, and refusing the lone visitor who clicks then would relieve nothing.
#[test]
fn the_lag_watcher_measures_how_long_tasks_wait_for_the_cpu_when_many_connections_wait() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let lag = std::sync::Arc::new(AtomicU64::new(0));
    let limit = entraide::router::MAX_LAG.as_micros() as u64;
    let hold = || tokio::spawn(async { std::thread::sleep(std::time::Duration::from_millis(300)) });
    rt.block_on(async {
        tokio::spawn(entraide::admission::watch(lag.clone(), std::sync::Arc::default()));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(lag.load(Relaxed) < 300_000, "an idle runtime is not 300 ms late");
        // Hold the only thread for 300 ms with a handful of tasks alive: measured, never past the limit.
        hold().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert!(lag.load(Relaxed) <= limit, "a hiccup with few connections refuses nothing: {} µs", lag.load(Relaxed));
        // The same with more tasks alive than the crowding threshold (connections, in the runner).
        let (release, wait) = tokio::sync::watch::channel(());
        let crowd: Vec<_> = (0..entraide::router::CROWDED_CONNECTIONS + 10)
            .map(|_| {
                let mut wait = wait.clone();
                tokio::spawn(async move { wait.changed().await.ok() })
            })
            .collect();
        hold().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert!(lag.load(Relaxed) >= 250_000, "the watcher saw the held thread: {} µs", lag.load(Relaxed));
        release.send(()).unwrap();
        for t in crowd {
            t.await.unwrap();
        }
    });
}
