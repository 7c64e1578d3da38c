//! The anonymous statistics at the seeds' scale, on the embedded store and on DynamoDB Local: a burst of
//! concurrent offers writes no item that another writer is writing (DynamoDB would cancel such
//! transactions), and the fold counts every event exactly once, even with folds running side by side.

mod common;

use serde_json::json;
use shared::clock::{Clock, ManualClock, SystemClock};
use shared::config::Config;
use shared::crypto::Secret;
use shared::deps::Deps;
use shared::mail::outbox::Outbox;
use shared::records::keys;
use shared::stats::{self, Event, Metric};
use shared::store::sqlite::SqliteStore;
use shared::store::{ItemStore, Key, StoreError, WriteOp};
use shared::testing::ContendedStore;
use std::sync::Arc;

/// Concurrent writers, as in the issue: 64.
const WRITERS: usize = 64;
/// Offers each writer posts, one after the other.
const OFFERS_EACH: usize = 5;

struct Setup {
    deps: Deps,
    outbox: Outbox,
    store: Arc<ContendedStore>,
}

fn setup(inner: Arc<dyn ItemStore>) -> Setup {
    let store = Arc::new(ContendedStore::new(inner));
    let outbox = Outbox::in_memory().unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let deps = Deps::new(Config::default(), store.clone(), Arc::new(outbox.clone()), &Secret::generate(), clock);
    Setup { deps, outbox, store }
}

fn embedded() -> Setup {
    setup(Arc::new(SqliteStore::in_memory().unwrap()))
}

#[cfg(feature = "services")]
async fn dynamodb() -> Setup {
    setup(Arc::new(common::dynamodb().await))
}

fn offer(i: usize) -> shared::posts::NewOffer {
    let help_type = if i.is_multiple_of(2) { "groceries" } else { "child-care" };
    let mut body = json!({"kind": "help", "help_type": help_type, "postal_codes": ["75011"], "radius_km": 5, "capacity": 1});
    if help_type == "child-care" {
        body["child_care"] = json!({"is_parent": true, "has_experience": true, "max_children": 2, "age_ranges": ["3-5"]});
    }
    shared::posts::NewOffer::from_body(body.to_string().as_bytes()).unwrap()
}

async fn tallies_left(s: &Setup) -> usize {
    s.store.dump().await.unwrap().iter().filter(|i| i.key.pk.starts_with("TALLY#")).count()
}

mod checks {
    use super::*;

    /// 64 members post offers at once: every offer lands, no transaction is cancelled, and once folded
    /// the statistics count each offer once.
    pub async fn a_burst_of_offers_writes_no_common_item(s: Setup) {
        let mut members = Vec::new();
        for w in 0..WRITERS {
            let session = shared::testing::sign_in(&s.deps, &s.outbox, &format!("v{w}@example.org"), "Léa", "75011").await;
            members.push(shared::members::authenticate(&s.deps, Some(&session)).await.unwrap());
        }
        let (cancelled_before, committed_before) = (s.store.cancelled(), s.store.committed());
        let deps = Arc::new(s.deps.clone());
        let writers: Vec<_> = members
            .into_iter()
            .enumerate()
            .map(|(w, member)| {
                let deps = deps.clone();
                tokio::spawn(async move {
                    for i in 0..OFFERS_EACH {
                        shared::posts::post_offer(&deps, &member, offer(w + i)).await.expect("every offer lands");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let offers = WRITERS * OFFERS_EACH;
        assert_eq!(s.store.committed() - committed_before, offers, "one transaction per offer");
        assert_eq!(s.store.cancelled() - cancelled_before, 0, "transactions cancelled during the burst");

        // Not counted until folded; then counted once, and no tally is left.
        let report = stats::report(&s.deps).await.unwrap();
        assert_eq!(report.totals.of(Metric::Offered), 0);
        assert_eq!(tallies_left(&s).await, offers + WRITERS, "a tally per offer and per registration");
        let folded = stats::fold(&s.deps).await.unwrap();
        assert_eq!((folded.counted, folded.left_over), (offers + WRITERS, false));
        let report = stats::report(&s.deps).await.unwrap();
        assert_eq!(report.totals.of(Metric::Offered), offers as i64);
        assert_eq!(report.totals.of(Metric::Registered), WRITERS as i64);
        let by_type: Vec<(String, i64)> = report
            .by_help_type
            .iter()
            .map(|r| (serde_json::to_value(&r.about).unwrap()["help_type"].as_str().unwrap().to_owned(), r.counts.of(Metric::Offered)))
            .collect();
        assert_eq!(by_type, [("child-care".to_owned(), offers as i64 / 2), ("groceries".to_owned(), offers as i64 / 2)]);
        assert_eq!(tallies_left(&s).await, 0);
        assert_eq!(stats::fold(&s.deps).await.unwrap().counted, 0, "nothing is counted twice");
    }

    /// Folds running side by side (an overlapping scheduled call) count every tally exactly once.
    pub async fn folds_side_by_side_count_each_tally_once(s: Setup) {
        let now = s.deps.clock.now();
        let events = 2_500;
        let mut ops = Vec::new();
        for i in 0..events {
            let department = format!("{:02}", 1 + i % 95);
            let event =
                Event { help_type: Some("groceries"), department: Some(&department), wait_secs: Some(60 * i as i64), ..Default::default() };
            ops.push(stats::count(Metric::Proposed, &event, now));
            if ops.len() == 100 {
                s.deps.store.transact(std::mem::take(&mut ops), now).await.unwrap();
            }
        }
        let folds: Vec<_> = (0..3).map(|_| stats::fold(&s.deps)).collect();
        let results = futures::future::join_all(folds).await;
        let counted: usize = results.into_iter().map(|r| r.unwrap().counted).sum();
        // Whatever a fold left to another shows up in the next one.
        let rest = stats::fold(&s.deps).await.unwrap();
        assert_eq!(counted + rest.counted, events);
        assert!(!rest.left_over);
        let report = stats::report(&s.deps).await.unwrap();
        assert_eq!(report.totals.of(Metric::Proposed), events as i64);
        let departments: i64 = report.by_department.iter().map(|r| r.counts.of(Metric::Proposed)).sum();
        assert_eq!((report.by_department.len(), departments), (95, events as i64));
        assert!(report.median_minutes_to_match.is_some());
        assert_eq!(tallies_left(&s).await, 0);
    }
}

/// The rule [`ContendedStore`] applies does catch a hot item: the former design, where every event
/// added to one of four counter items, has 64 writers cancel each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conflict_rule_catches_writers_of_one_item() {
    let s = embedded();
    let now = s.deps.clock.now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = s.store.clone();
            tokio::spawn(async move {
                let mut cancelled = 0;
                for i in 0..OFFERS_EACH {
                    let counter = WriteOp::Add {
                        key: keys::stats_counter("2027-01-15", "offered", ((w + i) % 4) as u32),
                        counters: vec![("total".into(), 1)],
                    };
                    let own = WriteOp::Put {
                        item: shared::store::Item::new(Key::new(format!("W#{w}"), format!("{i}")), Default::default()),
                        cond: shared::store::Cond::Absent,
                    };
                    match store.transact(vec![own, counter], now).await {
                        Ok(()) => {}
                        Err(StoreError::Conflict) => cancelled += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
                cancelled
            })
        })
        .collect();
    let mut cancelled = 0;
    for w in writers {
        cancelled += w.await.unwrap();
    }
    assert_eq!(cancelled, s.store.cancelled());
    assert!(cancelled > 0, "64 writers on four items: some transactions are cancelled");
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::checks::$name(super::embedded()).await } )* }
        #[cfg(feature = "services")]
        mod dynamodb_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::checks::$name(super::dynamodb().await).await } )* }
    };
}

on_both_stores!(a_burst_of_offers_writes_no_common_item, folds_side_by_side_count_each_tally_once);
