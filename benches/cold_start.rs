//! Cold starts: each function's release binary (and a hello-world Lambda built with the same profile),
//! from process start to its first answer under the Lambda Runtime API emulator, several rounds each,
//! in one run. Figures go to docs/PERFORMANCE.md; this is a benchmark, never a pass/fail test.
//!
//! Needs DynamoDB Local and the local SES (the functions open their clients at start), and the release
//! binaries:
//!   cargo build --release --workspace --bins --examples
//!   ENTRAIDE_TEST_DYNAMODB=http://127.0.0.1:18000 ENTRAIDE_TEST_SES=http://127.0.0.1:18005 \
//!     cargo bench --bench cold_start

use entraide::emulator::{LambdaProcess, Outcome};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const ROUNDS: usize = 15;
const SECRET: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

/// (binary, sample event): the event each function gets first (placeholders left in: a function behind
/// a session answers 401 after checking the token; the cold start is the same up to that point).
const FUNCTIONS: &[(&str, &str)] = &[
    ("hello-lambda", "taxonomy"),
    ("taxonomy", "taxonomy"),
    ("openapi", "openapi"),
    ("register", "register"),
    ("confirm-and-purge", "confirm-and-purge"),
    ("me", "me-get"),
    ("post-offer", "post-offer-help"),
    ("post-request", "post-request-help"),
    ("withdraw", "withdraw-offer"),
    ("list-businesses", "list-businesses"),
    ("list-listings", "list-listings"),
    ("stats", "stats"),
    ("moderate", "moderation-queue"),
    ("match", "match"),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ddb = std::env::var("ENTRAIDE_TEST_DYNAMODB").expect("ENTRAIDE_TEST_DYNAMODB (DynamoDB Local) is needed");
    let ses = std::env::var("ENTRAIDE_TEST_SES").expect("ENTRAIDE_TEST_SES (the local SES) is needed");
    let table = format!("cold-{}", std::process::id());
    shared::testing::dynamodb_local_store(&ddb, &table).await;
    let env: Vec<(&str, String)> = vec![
        ("DYNAMODB_ENDPOINT", ddb),
        ("SES_ENDPOINT", ses),
        ("TABLE_NAME", table),
        ("ENTRAIDE_SECRET", SECRET.into()),
        ("PUBLIC_BASE_URL", "https://entraide.example".into()),
        ("RUST_LOG", "info".into()),
    ];
    let dir = tempfile::tempdir().unwrap();
    println!("{ROUNDS} rounds per function; ms from process start; printed as a Markdown table");
    println!("| function | init, median | first answer, median | first answer, min | first answer, max | peak RSS | binary |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, event) in FUNCTIONS {
        let bin = if *name == "hello-lambda" {
            root.join("target/release/examples/hello-lambda")
        } else {
            root.join("target/release").join(name)
        };
        assert!(bin.exists(), "{} is not built: cargo build --release --workspace --bins --examples", bin.display());
        let sample: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("events").join(format!("{event}.json"))).unwrap()).unwrap();
        let (mut init, mut answer, mut memory) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let p = LambdaProcess::start(&bin, name, &env, &dir.path().join(format!("{name}.log"))).await.unwrap();
            match p.invoke(sample.clone()).await {
                Ok(Outcome::Response(_)) => {
                    answer.push(p.started().elapsed().as_secs_f64() * 1000.0);
                    let ready = p.initialised().expect("the function asked for its event");
                    init.push(ready.duration_since(p.started()).as_secs_f64() * 1000.0);
                    memory.push(p.peak_memory_mib().unwrap_or(f64::NAN));
                }
                Ok(Outcome::Error(e)) => panic!("{name}: {e}"),
                Err(e) => panic!("{e}"),
            }
            p.stop().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let size = std::fs::metadata(&bin).unwrap().len() as f64 / 1e6;
        let (min, max) = (answer.iter().copied().fold(f64::MAX, f64::min), answer.iter().copied().fold(0.0, f64::max));
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {min:.1} ms | {max:.1} ms | {:.1} MiB | {size:.1} MB |",
            median(init),
            median(answer),
            median(memory)
        );
    }
}
