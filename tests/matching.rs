//! Matching runs against the store: proposals follow the rules, a second run proposes nothing twice,
//! and eight runs started at once over 1,000 offers and 2,000 requests on DynamoDB Local never give an
//! offer more matches than its capacity nor a request two matches.

use serde_json::{Value, json};
use shared::config::{Config, ReviewMode};
use shared::matching::run::run;
use shared::members::{Member, authenticate};
use shared::posts::{NewOffer, NewRequest, post_offer, post_request};
use shared::testing::TestDeps;
use std::collections::HashMap;

/// `n` signed-in members, registered 16 at a time.
async fn members(t: &TestDeps, n: usize, prefix: &str) -> Vec<Member> {
    use futures::StreamExt;
    futures::stream::iter(0..n)
        .map(|i| async move {
            let s = t.session(&format!("{prefix}{i}@example.org")).await;
            authenticate(&t.deps, Some(&s)).await.unwrap()
        })
        .buffered(16)
        .collect()
        .await
}

fn groceries_offer(code: &str, capacity: i64) -> NewOffer {
    offer(json!({"kind": "help", "help_type": "groceries", "postal_codes": [code], "radius_km": 10, "capacity": capacity}))
}

fn groceries_request(code: &str) -> NewRequest {
    request(json!({"kind": "help", "help_type": "groceries", "postal_code": code, "details": "Courses"}))
}

fn offer(body: Value) -> NewOffer {
    body.try_into().unwrap()
}

fn request(body: Value) -> NewRequest {
    body.try_into().unwrap()
}

/// Every match in the raw store, and the offers' and requests' state, checked for the invariants.
async fn check_invariants(t: &TestDeps) -> usize {
    let dump = t.deps.store.dump().await.unwrap();
    let mut per_offer: HashMap<String, i64> = HashMap::new();
    let mut per_request: HashMap<String, i64> = HashMap::new();
    for item in dump.iter().filter(|i| i.key.pk.starts_with("MATCH#")) {
        *per_offer.entry(item.attrs["offer_id"].as_str().unwrap().to_owned()).or_default() += 1;
        *per_request.entry(item.attrs["request_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    for item in dump.iter().filter(|i| i.attrs.get("entity") == Some(&json!("offer")) && i.attrs["kind"] == "help") {
        let id = item.attrs["id"].as_str().unwrap();
        let matches = per_offer.get(id).copied().unwrap_or(0);
        assert!(matches <= item.attrs["capacity"].as_i64().unwrap(), "offer {id} has {matches} matches, above its capacity");
        assert_eq!(item.attrs["active_matches"].as_i64().unwrap(), matches, "offer {id}: the counter and the matches disagree");
    }
    for item in dump.iter().filter(|i| i.attrs.get("entity") == Some(&json!("request")) && i.attrs["kind"] == "help") {
        let id = item.attrs["id"].as_str().unwrap();
        let matches = per_request.get(id).copied().unwrap_or(0);
        assert!(matches <= 1, "request {id} matched {matches} times");
        assert_eq!(item.attrs["status"] == "proposed", matches == 1, "request {id}: status and matches disagree");
        assert_eq!(item.attrs.contains_key("gsi1pk"), matches == 0, "request {id}: only open requests are in the open index");
    }
    per_request.len()
}

#[tokio::test]
async fn a_run_proposes_within_the_rules_and_a_second_run_proposes_nothing_twice() {
    let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
    let m = members(&t, 3, "run").await;
    post_offer(&t.deps, &m[0], groceries_offer("75011", 1)).await.unwrap();
    post_offer(
        &t.deps,
        &m[1],
        offer(json!({"kind": "help", "help_type": "child-care", "postal_codes": ["13001"], "radius_km": 5,
        "child_care": {"is_parent": true, "has_experience": false, "max_children": 1, "age_ranges": ["3-5"]}})),
    )
    .await
    .unwrap();
    post_request(&t.deps, &m[2], groceries_request("75012")).await.unwrap(); // ~2 km from 75011: matched
    post_request(&t.deps, &m[2], groceries_request("69001")).await.unwrap(); // Lyon: no volunteer near
    post_request(
        &t.deps,
        &m[2],
        request(json!({"kind": "help", "help_type": "child-care", "postal_code": "13001", "children": ["3-5", "6-9"]})),
    )
    .await
    .unwrap(); // two children: refused
    let first = run(&t.deps).await.unwrap();
    assert_eq!((first.open_requests, first.proposed, first.unserved, first.conflicts), (3, 1, 2, 0), "{first:?}");
    let second = run(&t.deps).await.unwrap();
    assert_eq!((second.open_requests, second.proposed), (2, 0), "{second:?}");
    assert_eq!(check_invariants(&t).await, 1);
    let matched = t.deps.store.dump().await.unwrap().into_iter().find(|i| i.key.pk.starts_with("MATCH#")).unwrap();
    assert_eq!(matched.attrs["status"], "introduced", "auto review: the same run sends the introduction");
    assert!(matched.attrs["distance_km"].as_f64().unwrap() < 5.0);
    // Erasing one party removes the match and every reference to it.
    shared::privacy::erase(&t.deps, &m[2].id, None, t.deps.clock.now()).await.unwrap();
    let dump = t.deps.store.dump().await.unwrap();
    let id = matched.attrs["id"].as_str().unwrap();
    assert!(dump.iter().all(|i| !i.key.pk.contains(id) && !i.key.sk.contains(id)), "the match outlived the erasure");
    assert!(dump.iter().all(|i| !i.key.pk.contains(&m[2].id)), "the requester's items outlived the erasure");
}

async fn eight_concurrent_runs_never_overfill(t: TestDeps, offers: usize, requests: usize) {
    // Offers and requests around three cities so that runs compete for the same volunteers.
    let cities = ["75011", "75012", "75020", "92100", "93100", "69003", "13005"];
    let volunteers = members(&t, offers.div_ceil(20), "v").await;
    let requesters = members(&t, requests.div_ceil(20), "r").await;
    // Each member's posts in order (they update the member), members 16 at a time.
    use futures::StreamExt;
    let deps = &t.deps;
    futures::stream::iter(volunteers.iter().enumerate())
        .for_each_concurrent(16, |(v, member)| async move {
            for i in (v * 20..(v + 1) * 20).filter(|i| *i < offers) {
                post_offer(deps, member, groceries_offer(cities[i % cities.len()], 1 + (i % 3) as i64)).await.unwrap();
            }
        })
        .await;
    futures::stream::iter(requesters.iter().enumerate())
        .for_each_concurrent(16, |(r, member)| async move {
            for i in (r * 20..(r + 1) * 20).filter(|i| *i < requests) {
                post_request(deps, member, groceries_request(cities[(i * 3) % cities.len()])).await.unwrap();
            }
        })
        .await;
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let deps = t.deps.clone();
            tokio::spawn(async move { run(&deps).await })
        })
        .collect();
    let mut proposed = 0;
    let mut conflicts = 0;
    for r in runs {
        let s = r.await.unwrap().unwrap();
        proposed += s.proposed;
        conflicts += s.conflicts;
    }
    let matched = check_invariants(&t).await;
    assert_eq!(matched, proposed, "every proposal a run reported is in the store, once");
    assert!(conflicts > 0, "the runs really competed");
    // A calm run afterwards fills what the competing runs left.
    let after = run(&t.deps).await.unwrap();
    let total = check_invariants(&t).await;
    assert_eq!(total, proposed + after.proposed);
    assert_eq!(after.conflicts, 0, "a run alone meets no conflict: {after:?}");
    let fixed = run(&t.deps).await.unwrap();
    assert_eq!(fixed.proposed, 0, "nothing can be proposed any more: {fixed:?}");
    assert_eq!(check_invariants(&t).await, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_the_embedded_store_eight_concurrent_runs_never_overfill() {
    eight_concurrent_runs_never_overfill(TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() }), 200, 400).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_dynamodb_local_eight_concurrent_runs_over_1000_offers_and_2000_requests_never_overfill() {
    eight_concurrent_runs_never_overfill(
        shared::testing::dynamodb_test_deps(Config { review: ReviewMode::Auto, ..Config::default() }).await,
        1_000,
        2_000,
    )
    .await;
}

/// The seeds' density: 6,000 groceries offers in one Paris postal code (300 volunteers at the 20-post
/// limit), through the write path, one request nearby and one in Lyon. The run reads the dense cell
/// page by page and proposes both; with a budget too small for that cell, the Paris request waits
/// (logged, counted) while Lyon is still proposed, and the next run with room proposes Paris.
async fn a_dense_postal_code_neither_fails_the_run_nor_stops_the_rest(t: TestDeps) {
    const DENSE: usize = 6_000;
    let volunteers = members(&t, DENSE / 20, "dense").await;
    let others = members(&t, 2, "elsewhere").await;
    use futures::StreamExt;
    let deps = &t.deps;
    futures::stream::iter(volunteers.iter())
        .for_each_concurrent(16, |member| async move {
            for _ in 0..20 {
                post_offer(deps, member, groceries_offer("75011", 1)).await.unwrap();
            }
        })
        .await;
    post_offer(deps, &others[0], groceries_offer("69003", 1)).await.unwrap();
    let paris = post_request(deps, &others[1], groceries_request("75012")).await.unwrap();
    let lyon_requester = members(&t, 1, "lyon").await;
    let lyon = post_request(deps, &lyon_requester[0], groceries_request("69003")).await.unwrap();
    let status_of = |dump: &[shared::store::Item], id: &str| {
        dump.iter().find(|i| i.attrs.get("id") == Some(&json!(id))).map(|i| i.attrs["status"].clone()).unwrap()
    };

    // A budget below the dense cell: that cell waits with the Paris request; Lyon goes through.
    let tight = Config {
        review: ReviewMode::Auto,
        run_budget: shared::config::RunBudget { areas_per_cell: 5_000, ..Default::default() },
        ..Config::default()
    };
    let small = shared::deps::Deps { config: tight, ..t.deps.clone() };
    let first = run(&small).await.unwrap();
    assert_eq!((first.proposed, first.cells_deferred, first.requests_deferred), (1, 1, 1), "{first:?}");
    let dump = t.deps.store.dump().await.unwrap();
    assert_eq!((status_of(&dump, &paris.id), status_of(&dump, &lyon.id)), (json!("open"), json!("proposed")));

    // The default budget reads all 6,000 and proposes the Paris request to one of them.
    let second = run(&t.deps).await.unwrap();
    assert_eq!((second.proposed, second.cells_deferred, second.requests_deferred), (1, 0, 0), "{second:?}");
    assert!(second.candidate_offers >= DENSE, "{second:?}");
    let dump = t.deps.store.dump().await.unwrap();
    assert_eq!(status_of(&dump, &paris.id), json!("proposed"));
    assert_eq!(check_invariants(&t).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_the_embedded_store_a_dense_postal_code_neither_fails_the_run_nor_stops_the_rest() {
    a_dense_postal_code_neither_fails_the_run_nor_stops_the_rest(TestDeps::with_config(Config {
        review: ReviewMode::Auto,
        ..Config::default()
    }))
    .await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_dynamodb_local_a_dense_postal_code_neither_fails_the_run_nor_stops_the_rest() {
    a_dense_postal_code_neither_fails_the_run_nor_stops_the_rest(
        shared::testing::dynamodb_test_deps(Config { review: ReviewMode::Auto, ..Config::default() }).await,
    )
    .await;
}

/// More open requests and approved matches than one run handles: each run takes the oldest within its
/// budget and the rest waits, without an error; three runs with a budget of 2 serve all 5.
#[tokio::test]
async fn what_one_run_cannot_handle_waits_for_the_next_one() {
    let budget = shared::config::RunBudget { requests_per_run: 2, matches_per_run: 2, ..Default::default() };
    let t = TestDeps::with_config(Config { review: ReviewMode::Auto, run_budget: budget, ..Config::default() });
    let people = members(&t, 2, "backlog").await;
    for _ in 0..5 {
        post_offer(&t.deps, &people[0], groceries_offer("75011", 1)).await.unwrap();
        post_request(&t.deps, &people[1], groceries_request("75012")).await.unwrap();
    }
    let mut served = Vec::new();
    for _ in 0..3 {
        let s = run(&t.deps).await.unwrap();
        served.push((s.proposed, s.introductions.introduced, s.request_backlog));
    }
    assert_eq!(served, [(2, 2, true), (2, 2, true), (1, 1, false)]);
    assert_eq!(check_invariants(&t).await, 5);
    assert_eq!(run(&t.deps).await.unwrap().proposed, 0);
}
