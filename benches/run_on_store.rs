//! One whole matching run against a store (not a test): open help offers and requests placed over
//! France by population, written through the real write path (`posts::post_offer`/`post_request`, 20
//! posts per member, 16 members at a time), then one run timed: reading requests and candidate areas
//! page by page, the assignment, one conditional transaction per proposal. Manual review, so the run
//! stops at proposals (introductions are e-mail, not store work).
//!
//! Embedded store (in-memory SQLite), 100,000 offers × 10,000 requests by default:
//!   cargo bench --bench run_on_store
//! DynamoDB Local (started as the test command starts it), smaller by default:
//!   ENTRAIDE_TEST_DYNAMODB=http://127.0.0.1:18000 cargo bench --bench run_on_store -- --dynamodb
//! `--offers N --requests M` change the sizes. Figures go to docs/PERFORMANCE.md.

use serde_json::json;
use shared::config::{Config, ReviewMode};
use shared::testing::{CountingStore, TestDeps};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// Postal codes sampled in proportion to their population.
struct France {
    codes: Vec<String>,
    cumulative: Vec<u64>,
    state: u64,
}

impl France {
    fn load() -> France {
        let csv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/shared/data/fr-postal-population.csv")).unwrap();
        let (mut codes, mut cumulative, mut total) = (Vec::new(), Vec::new(), 0);
        for line in csv.lines().skip(1) {
            let (code, n) = line.split_once(',').unwrap();
            if shared::domain::PostalCode::parse(code).is_err() {
                continue;
            }
            total += n.parse::<u64>().unwrap();
            codes.push(code.to_owned());
            cumulative.push(total);
        }
        France { codes, cumulative, state: 2026 }
    }
    fn next(&mut self, n: u64) -> u64 {
        self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.state >> 33) % n
    }
    fn sample(&mut self) -> String {
        let x = self.next(*self.cumulative.last().unwrap());
        self.codes[self.cumulative.partition_point(|&c| c <= x)].clone()
    }
}

fn status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    use futures::StreamExt;
    let args: Vec<String> = std::env::args().collect();
    let dynamodb = args.iter().any(|a| a == "--dynamodb");
    let offers = arg(&args, "--offers", if dynamodb { 10_000 } else { 100_000 });
    let requests = arg(&args, "--requests", offers / 10);
    let config = Config { review: ReviewMode::Manual, ..Config::default() };
    let (t, metered) = if dynamodb {
        let (t, store) = shared::testing::dynamodb_test_deps_metered(config).await;
        (t, Some(store))
    } else {
        (TestDeps::with_config(config), None)
    };
    let mut france = France::load();
    let mut posts: Vec<(bool, String, u64)> = Vec::with_capacity(offers + requests);
    for n in 0..offers + requests {
        let code = france.sample();
        posts.push((n < offers, code, france.next(10)));
    }
    let started = Instant::now();
    let deps = &t.deps;
    let t_ref = &t;
    futures::stream::iter(posts.chunks(20).enumerate())
        .for_each_concurrent(16, |(n, chunk)| async move {
            let session = t_ref.session(&format!("bench{n}@example.org")).await;
            let member = shared::members::authenticate(deps, Some(&session)).await.unwrap();
            for (offer, code, r) in chunk {
                let help = if *r < 5 { "groceries" } else { "child-care" };
                if *offer {
                    let radius = [2, 5, 5, 5, 5, 5, 10, 10, 20, 50][*r as usize];
                    let mut body = json!({"kind": "help", "help_type": help, "postal_codes": [code],
                        "radius_km": radius, "capacity": 1 + (*r % 3)});
                    if help == "child-care" {
                        body["child_care"] = json!({"is_parent": r % 2 == 0, "has_experience": r % 3 == 0, "max_children": 2,
                                                     "age_ranges": ["0-1", "1-2", "3-5", "6-9", "10-12", "13+"]});
                    }
                    shared::posts::post_offer(deps, &member, body.try_into().unwrap()).await.unwrap();
                } else {
                    let mut body = json!({"kind": "help", "help_type": help, "postal_code": code, "details": "Courses"});
                    if help == "child-care" {
                        body["children"] = json!(["3-5"]);
                    }
                    shared::posts::post_request(deps, &member, body.try_into().unwrap()).await.unwrap();
                }
            }
        })
        .await;
    let load_s = started.elapsed().as_secs_f64();
    let counting = Arc::new(CountingStore::new(t.deps.store.clone()));
    let run_deps = shared::deps::Deps { store: counting.clone(), ..t.deps.clone() };
    let before_kib = status("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let consumed_before = metered.as_ref().map(|s| s.consumed()).unwrap_or_default();
    let started = Instant::now();
    let summary = shared::matching::run::run(&run_deps).await.unwrap();
    let run_s = started.elapsed().as_secs_f64();
    let consumed = metered.as_ref().map(|s| s.consumed()).unwrap_or_default();
    println!(
        "| store | offers | requests | load (write path) | run | proposed | unserved | cells read | store reads | items read | transactions | RSS before | peak RSS during the run |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {offers} | {requests} | {load_s:.1} s | {run_s:.2} s | {} | {} | {} | {} | {} | {} | {} MiB | {} MiB |",
        if dynamodb { "DynamoDB Local" } else { "embedded (in-memory SQLite)" },
        summary.proposed,
        summary.unserved,
        summary.cells_read,
        counting.reads.load(Relaxed),
        counting.items_read.load(Relaxed),
        counting.transactions.load(Relaxed),
        before_kib / 1024,
        status("VmHWM:") / 1024,
    );
    if metered.is_some() {
        // On-demand list prices in us-east-1 (USD per million request units), as of the November 2024
        // price change; other regions differ a little (docs/PERFORMANCE.md).
        const PER_MILLION_READ: f64 = 0.125;
        const PER_MILLION_WRITE: f64 = 0.625;
        let (read, write) = (consumed.read_units - consumed_before.read_units, consumed.write_units - consumed_before.write_units);
        let run_usd = (read * PER_MILLION_READ + write * PER_MILLION_WRITE) / 1e6;
        println!();
        println!("| read capacity units (run) | write capacity units (run) | cost of the run | a day of runs every 5 minutes (288) |");
        println!("|---:|---:|---:|---:|");
        println!("| {read:.1} | {write:.1} | ${run_usd:.5} | ${:.3} |", run_usd * 288.0);
    }
}
