//! An open-loop load generator for `scripts/load.sh`: requests leave at a fixed rate whatever the server
//! answers (unlike wrk's closed loop, where a slow server slows the generator down and hides its queue),
//! and each latency is measured from the moment the request was *due*, not from when it left.
//!
//!   cargo run --release --example pacer -- BASE_URL --rate 6000 --secs 10 [--method POST --path /api/offers
//!       --body JSON --sessions FILE --timeout-ms 2000 --max-open 8192]
//!
//! With `--sessions`, request n carries the bearer token on line n (round robin). It prints one line of
//! `key value` pairs: requests due, answered in time by status (2xx, 503, other), not answered within the
//! timeout, transport errors, requests not sent because `--max-open` were already waiting, and the
//! latency percentiles of the answers. With `--timeline-ms W` it first prints, to standard error, one
//! line per window of W ms of due times: what was due then and what became of it (served, refused,
//! late or failed, not sent) and the slowest answer — where in the run a queue built up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    base: String,
    rate: f64,
    secs: f64,
    method: reqwest::Method,
    path: String,
    body: Option<String>,
    sessions: Vec<String>,
    timeout: Duration,
    max_open: usize,
    timeline: Option<Duration>,
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        base: it.next().expect("usage: pacer BASE_URL --rate N --secs S [...]"),
        rate: 1000.0,
        secs: 10.0,
        method: reqwest::Method::GET,
        path: "/api/taxonomy".into(),
        body: None,
        sessions: Vec::new(),
        timeout: Duration::from_secs(2),
        max_open: 8192,
        timeline: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--rate" => a.rate = value.parse().expect("--rate: requests per second"),
            "--secs" => a.secs = value.parse().expect("--secs: seconds"),
            "--method" => a.method = value.parse().expect("--method: an HTTP method"),
            "--path" => a.path = value,
            "--body" => a.body = Some(value),
            "--sessions" => a.sessions = std::fs::read_to_string(&value).expect("--sessions: a file").lines().map(str::to_owned).collect(),
            "--timeout-ms" => a.timeout = Duration::from_millis(value.parse().expect("--timeout-ms: milliseconds")),
            "--max-open" => a.max_open = value.parse().expect("--max-open: a count"),
            "--timeline-ms" => a.timeline = Some(Duration::from_millis(value.parse().expect("--timeline-ms: milliseconds"))),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// What became of one request.
#[derive(Clone, Copy)]
enum Fate {
    /// Answered in time (2xx, 503, anything else), microseconds from due to answered.
    Ok(u64),
    Refused(u64),
    Other(u64),
    /// Not answered within the timeout.
    Late,
    /// A transport error.
    Error,
    /// Not sent: `--max-open` requests were already waiting.
    NotSent,
}

/// The fates of some requests, counted.
#[derive(Default)]
struct Counts {
    ok: u64,
    refused: u64,
    other: u64,
    late: u64,
    errors: u64,
    not_sent: u64,
    /// Microseconds from due to answered, for every answer in time.
    latencies: Vec<u64>,
}

impl Counts {
    fn of<'a>(fates: impl IntoIterator<Item = &'a Fate>) -> Self {
        let mut c = Counts::default();
        for fate in fates {
            match *fate {
                Fate::Ok(us) | Fate::Refused(us) | Fate::Other(us) => {
                    c.latencies.push(us);
                    match *fate {
                        Fate::Ok(_) => c.ok += 1,
                        Fate::Refused(_) => c.refused += 1,
                        _ => c.other += 1,
                    }
                }
                Fate::Late => c.late += 1,
                Fate::Error => c.errors += 1,
                Fate::NotSent => c.not_sent += 1,
            }
        }
        c.latencies.sort_unstable();
        c
    }

    /// The latency at percentile `p` (0–1), in milliseconds.
    fn pct_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i] as f64 / 1000.0
    }
}

fn main() {
    let a = args();
    // One worker thread: the generator runs on one core (taskset), the server on the other.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(run(a));
}

async fn run(a: Args) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(a.max_open).build().unwrap();
    let fates = Arc::new(Mutex::new(Vec::<(u64, Fate)>::new()));
    let open = Arc::new(tokio::sync::Semaphore::new(a.max_open));
    let total = (a.rate * a.secs) as u64;
    let start = Instant::now();
    let mut sent = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    while sent < total {
        // Every request due by now leaves now: at 1 ms ticks, a few requests leave together.
        let due_by_now = ((start.elapsed().as_secs_f64() * a.rate) as u64 + 1).min(total);
        while sent < due_by_now {
            let due = start + Duration::from_secs_f64(sent as f64 / a.rate);
            let Ok(permit) = open.clone().try_acquire_owned() else {
                fates.lock().unwrap().push((sent, Fate::NotSent));
                sent += 1;
                continue;
            };
            let mut req = client.request(a.method.clone(), format!("{}{}", a.base, a.path)).timeout(a.timeout);
            if let Some(body) = &a.body {
                req = req.header("content-type", "application/json").body(body.clone());
            }
            if !a.sessions.is_empty() {
                req = req.bearer_auth(&a.sessions[(sent as usize) % a.sessions.len()]);
            }
            let fates = fates.clone();
            let timeout = a.timeout;
            let n = sent;
            tasks.spawn(async move {
                let answer = tokio::time::timeout(timeout, async {
                    let resp = req.send().await?;
                    let status = resp.status().as_u16();
                    resp.bytes().await?;
                    Ok::<u16, reqwest::Error>(status)
                })
                .await;
                let elapsed = due.elapsed();
                let fate = match answer {
                    Ok(Ok(status)) if elapsed <= timeout => {
                        let us = elapsed.as_micros() as u64;
                        match status {
                            200..=299 => Fate::Ok(us),
                            503 => Fate::Refused(us),
                            _ => Fate::Other(us),
                        }
                    }
                    Ok(Ok(_)) | Err(_) => Fate::Late,
                    Ok(Err(e)) if e.is_timeout() => Fate::Late,
                    Ok(Err(_)) => Fate::Error,
                };
                fates.lock().unwrap().push((n, fate));
                drop(permit);
            });
            sent += 1;
        }
        // Reap what has finished, so that the set does not grow with the run.
        while tasks.try_join_next().is_some() {}
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let sending = start.elapsed().as_secs_f64();
    while tasks.join_next().await.is_some() {}
    let mut fates = fates.lock().unwrap();
    if let Some(window) = a.timeline {
        print_timeline(&mut fates, a.rate, window);
    }
    let t = Counts::of(fates.iter().map(|(_, fate)| fate));
    println!(
        "rate {} secs {:.1} due {} ok {} refused_503 {} other {} late {} errors {} not_sent {} ok_per_s {:.0} median_ms {:.2} p99_ms {:.2} max_ms {:.2}",
        a.rate,
        sending,
        total,
        t.ok,
        t.refused,
        t.other,
        t.late,
        t.errors,
        t.not_sent,
        t.ok as f64 / sending,
        t.pct_ms(0.5),
        t.pct_ms(0.99),
        t.pct_ms(1.0)
    );
}

/// One line per window of due times, to standard error: `t_ms due ok refused other failed not_sent
/// slowest_ms` (failed: late or a transport error; slowest: of the answers in time).
fn print_timeline(fates: &mut [(u64, Fate)], rate: f64, window: Duration) {
    fates.sort_unstable_by_key(|(n, _)| *n);
    let per_window = ((rate * window.as_secs_f64()) as u64).max(1);
    eprintln!("t_ms due ok refused other failed not_sent slowest_ms");
    for chunk in fates.chunk_by(|a, b| a.0 / per_window == b.0 / per_window) {
        let c = Counts::of(chunk.iter().map(|(_, fate)| fate));
        let t_ms = chunk[0].0 / per_window * window.as_millis() as u64;
        let failed = c.late + c.errors;
        eprintln!("{t_ms} {} {} {} {} {failed} {} {:.1}", chunk.len(), c.ok, c.refused, c.other, c.not_sent, c.pct_ms(1.0));
    }
}
