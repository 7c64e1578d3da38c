//! The business directory over 2,000 businesses spread over France, on the embedded store and on
//! DynamoDB Local: every search returns exactly the approved businesses within the radius (and the
//! filters), in distance order, each exactly once across all pages — checked against brute force.

use serde_json::json;
use shared::config::{Config, ReviewMode};
use shared::directory::{self, Params};
use shared::domain::PostalCode;
use shared::posts;
use shared::testing::TestDeps;
use std::collections::{HashMap, HashSet};

const BUSINESSES: usize = 2_000;

/// A deterministic pseudo-random sequence (64-bit LCG), so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

struct Fixture {
    /// id → (postal code, category, communities)
    businesses: HashMap<String, (PostalCode, String, Vec<String>)>,
}

fn postal_codes() -> Vec<String> {
    let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/shared/data/fr-postal-codes.csv")).unwrap();
    csv.lines().skip(1).map(|l| l[..5].to_owned()).collect()
}

async fn fixture(t: &TestDeps) -> Fixture {
    // Referenced by several members, each within the per-member limit.
    let mut members = Vec::new();
    for n in 0..BUSINESSES.div_ceil(posts::MAX_PERKS_REFERENCED) {
        let session = t.session(&format!("directory{n}@example.org")).await;
        members.push(shared::members::authenticate(&t.deps, Some(&session)).await.unwrap());
    }
    let codes = postal_codes();
    let tax = shared::domain::Taxonomy::get();
    let categories: Vec<&str> = tax.business_categories.iter().map(|c| c.code.as_str()).collect();
    let communities: Vec<&str> = tax.communities.iter().map(|c| c.code.as_str()).collect();
    let mut rng = Lcg(2026);
    let mut businesses = HashMap::new();
    // A dense cluster around Paris too, so pages and ties are exercised where people live.
    let paris: Vec<&String> = codes.iter().filter(|c| c.starts_with("75") || c.starts_with("92") || c.starts_with("93")).collect();
    for i in 0..BUSINESSES {
        let code = if i % 4 == 0 { paris[rng.next(paris.len())].clone() } else { codes[rng.next(codes.len())].clone() };
        let category = categories[rng.next(categories.len())].to_owned();
        let mut for_ = vec![communities[rng.next(communities.len())].to_owned()];
        if rng.next(2) == 0 {
            for_.push(communities[rng.next(communities.len())].to_owned());
        }
        let body = json!({"kind": "perk", "business_name": format!("Commerce {i}"), "postal_code": code, "category": category,
                          "perk": "Une remise pour la communauté", "communities": for_});
        let member = &members[i / posts::MAX_PERKS_REFERENCED];
        let created = posts::post_offer(&t.deps, member, body.try_into().unwrap()).await.unwrap();
        for_.dedup();
        businesses.insert(created.id, (PostalCode::parse(&code).unwrap(), category, for_));
    }
    Fixture { businesses }
}

/// Pages through a search; returns (id, distance) in the order received.
async fn search_all(t: &TestDeps, params: &[(&str, String)]) -> Vec<(String, f64)> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut q: HashMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        if let Some(c) = &cursor {
            q.insert("cursor".into(), c.clone());
        }
        let page = directory::search_businesses(&t.deps, Params(&q)).await.unwrap_or_else(|e| panic!("{params:?}: {e}"));
        let page = serde_json::to_value(page).unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push((item["id"].as_str().unwrap().to_owned(), item["distance_km"].as_f64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return seen,
        }
    }
    panic!("more than 1000 pages");
}

async fn directory_matches_brute_force(t: TestDeps) {
    let f = fixture(&t).await;
    let codes = postal_codes();
    let mut rng = Lcg(11);
    let mut centers: Vec<String> = vec!["75011".into(), "13001".into(), "29830".into(), "97400".into(), "20000".into()];
    centers.extend((0..5).map(|_| codes[rng.next(codes.len())].clone()));
    let mut searches = 0;
    let mut found = 0;
    for (n, center) in centers.iter().enumerate() {
        let c = PostalCode::parse(center).unwrap();
        for (radius, limit) in [(3, 7), (25, 20), (80, 50)] {
            for filter in 0..3 {
                let mut params = vec![("postal_code", center.clone()), ("radius_km", radius.to_string()), ("limit", limit.to_string())];
                let (cat, com) = match filter {
                    1 => (Some(["restaurant", "leisure", "sport"][n % 3].to_owned()), None),
                    2 => (None, Some(["defense", "health", "gendarmerie"][n % 3].to_owned())),
                    _ => (None, None),
                };
                if let Some(cat) = &cat {
                    params.push(("category", cat.clone()));
                }
                if let Some(com) = &com {
                    params.push(("community", com.clone()));
                }
                let got = search_all(&t, &params).await;
                let expected: HashSet<&String> = f
                    .businesses
                    .iter()
                    .filter(|(_, (code, category, communities))| {
                        c.distance_km(code).is_some_and(|d| d <= radius as f64)
                            && cat.as_ref().is_none_or(|x| x == category)
                            && com.as_ref().is_none_or(|x| communities.contains(x))
                    })
                    .map(|(id, _)| id)
                    .collect();
                let ids: Vec<&String> = got.iter().map(|(id, _)| id).collect();
                let unique: HashSet<&String> = ids.iter().copied().collect();
                assert_eq!(unique.len(), ids.len(), "{params:?}: an item appeared twice across pages");
                assert_eq!(unique, expected, "{params:?}: not exactly the businesses within the radius");
                assert!(got.windows(2).all(|w| w[0].1 <= w[1].1), "{params:?}: not in distance order");
                for (id, d) in &got {
                    let exact = c.distance_km(&f.businesses[id].0).unwrap();
                    assert!((exact - d).abs() <= 0.005 + 1e-9, "{params:?}: {id} at {d} km, brute force says {exact}");
                }
                searches += 1;
                found += got.len();
            }
        }
    }
    assert_eq!(searches, 90);
    assert!(found > 1000, "the searches must actually find businesses ({found})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_store_the_directory_matches_brute_force() {
    directory_matches_brute_force(TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() })).await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_local_the_directory_matches_brute_force() {
    directory_matches_brute_force(shared::testing::dynamodb_test_deps(Config { review: ReviewMode::Auto, ..Config::default() }).await)
        .await;
}

#[tokio::test]
async fn an_edited_or_foreign_cursor_is_refused_and_pending_perks_are_not_listed() {
    let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
    let session = t.session("cursor@example.org").await;
    let member = shared::members::authenticate(&t.deps, Some(&session)).await.unwrap();
    for i in 0..5 {
        let body = json!({"kind": "perk", "business_name": format!("Boulangerie {i}"), "postal_code": "75011", "category": "food",
                          "perk": "Une viennoiserie offerte", "communities": ["health"]});
        posts::post_offer(&t.deps, &member, body.try_into().unwrap()).await.unwrap();
    }
    let q = |extra: &[(&str, &str)]| {
        let mut m: HashMap<String, String> = HashMap::from([("postal_code".into(), "75011".into()), ("limit".into(), "2".into())]);
        m.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        m
    };
    let first = directory::search_businesses(&t.deps, Params(&q(&[]))).await.unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    let mut edited = cursor.clone().into_bytes();
    edited[3] = if edited[3] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap();
    for (name, params) in [
        ("edited", q(&[("cursor", &edited)])),
        ("other query", q(&[("cursor", &cursor), ("radius_km", "20")])),
        ("garbage", q(&[("cursor", "x")])),
    ] {
        let err = directory::search_businesses(&t.deps, Params(&params)).await.unwrap_err();
        assert_eq!((err.status(), err.code()), (400, "invalid_cursor"), "{name}");
    }
    // Manual review: a new perk waits for a moderator and is not listed.
    let manual = TestDeps::new();
    let session = manual.session("manual@example.org").await;
    let member = shared::members::authenticate(&manual.deps, Some(&session)).await.unwrap();
    let body = json!({"kind": "perk", "business_name": "En attente", "postal_code": "75011", "category": "food", "perk": "Pas encore", "communities": ["health"]});
    assert_eq!(posts::post_offer(&manual.deps, &member, body.try_into().unwrap()).await.unwrap().status, "pending");
    let page = directory::search_businesses(&manual.deps, Params(&q(&[]))).await.unwrap();
    assert!(page.items.is_empty());
}

/// The seeds' density in the directory: 6,000 businesses in one Paris postal code (all at one
/// distance: ties broken by id across pages), a few hundred in the codes around it and farther out,
/// through the write path. Searches with and without a filter page through every one of them nearest
/// first, exactly once, as brute force says.
async fn a_dense_postal_code_pages_through_all_of_it_nearest_first(t: TestDeps) {
    const DENSE: usize = 6_000;
    let referrers = DENSE.div_ceil(posts::MAX_PERKS_REFERENCED) + 3;
    let mut members = Vec::new();
    for n in 0..referrers {
        let session = t.session(&format!("dense{n}@example.org")).await;
        members.push(shared::members::authenticate(&t.deps, Some(&session)).await.unwrap());
    }
    let around = ["75012", "75020", "75004", "92100", "93100", "94300", "77300", "95000"];
    let mut plan: Vec<(String, &str)> = (0..DENSE).map(|i| ("75011".to_owned(), ["food", "leisure"][i % 2])).collect();
    plan.extend((0..240).map(|i| (around[i % around.len()].to_owned(), ["food", "leisure", "sport"][i % 3])));
    use futures::StreamExt;
    let deps = &t.deps;
    let created: Vec<(String, PostalCode, String)> = futures::stream::iter(plan.iter().enumerate())
        .map(|(i, (code, category))| {
            // Round robin: concurrent posts come from different members, as they would.
            let member = &members[i % members.len()];
            async move {
                let body = json!({"kind": "perk", "business_name": format!("Commerce {i}"), "postal_code": code,
                                  "category": category, "perk": "Une remise", "communities": ["health"]});
                let id = posts::post_offer(deps, member, body.try_into().unwrap()).await.unwrap().id;
                (id, PostalCode::parse(code).unwrap(), category.to_string())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let center = PostalCode::parse("75011").unwrap();
    for (radius, limit, category) in [(10, 50, None), (3, 37, Some("leisure")), (60, 50, Some("sport"))] {
        let mut params = vec![("postal_code", "75011".to_owned()), ("radius_km", radius.to_string()), ("limit", limit.to_string())];
        if let Some(c) = category {
            params.push(("category", c.to_owned()));
        }
        let got = search_all(&t, &params).await;
        let mut expected: Vec<(i64, &String)> = created
            .iter()
            .filter(|(_, code, cat)| center.distance_km(code).unwrap() <= radius as f64 && category.is_none_or(|c| c == cat))
            .map(|(id, code, _)| (((center.distance_km(code).unwrap()) * 1000.0).round() as i64, id))
            .collect();
        expected.sort();
        let ids: Vec<&String> = got.iter().map(|(id, _)| id).collect();
        let want: Vec<&String> = expected.iter().map(|(_, id)| *id).collect();
        // "sport" is nowhere in the dense code: the search reads through it and keeps none.
        let from_dense = if category == Some("sport") { 0 } else { DENSE / 2 };
        assert!(want.len() >= from_dense && !want.is_empty(), "{params:?}: {} expected", want.len());
        assert_eq!(ids, want, "{params:?}: every business within the radius, once, nearest first then by id");
    }
    // One page reads what the page needs and what the sparse cells around hold, not the dense cell.
    let counting = std::sync::Arc::new(shared::testing::CountingStore::new(t.deps.store.clone()));
    let deps = shared::deps::Deps { store: counting.clone(), ..t.deps.clone() };
    let q: HashMap<String, String> =
        HashMap::from([("postal_code".into(), "75011".into()), ("radius_km".into(), "10".into()), ("limit".into(), "50".into())]);
    let page = directory::search_businesses(&deps, Params(&q)).await.unwrap();
    assert_eq!(page.items.len(), 50);
    let read = counting.items_read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read <= 1_000, "one page of 50 read {read} index items out of {}", created.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_store_a_dense_postal_code_pages_through_all_of_it_nearest_first() {
    a_dense_postal_code_pages_through_all_of_it_nearest_first(TestDeps::with_config(Config {
        review: ReviewMode::Auto,
        ..Config::default()
    }))
    .await;
}

#[cfg(feature = "services")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_local_a_dense_postal_code_pages_through_all_of_it_nearest_first() {
    a_dense_postal_code_pages_through_all_of_it_nearest_first(
        shared::testing::dynamodb_test_deps(Config { review: ReviewMode::Auto, ..Config::default() }).await,
    )
    .await;
}
