//! One conformance suite for the store port, run against the embedded store (SQLite, in memory and on
//! disk) and against Amazon's DynamoDB Local: the same semantics, proven on the real things.

mod common;

use serde_json::{Map, Value, json};
use shared::store::sqlite::SqliteStore;
use shared::store::{Cond, INCLUDING_EXPIRED, Item, ItemStore, Key, StoreError, WriteOp};
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("attrs must be an object"),
    }
}

fn item(pk: &str, sk: &str, v: Value) -> Item {
    Item::new(Key::new(pk, sk), attrs(v))
}

fn put(i: Item, cond: Cond) -> WriteOp {
    WriteOp::Put { item: i, cond }
}

mod checks {
    use super::*;

    pub async fn a_put_item_reads_back_identically(s: Arc<dyn ItemStore>) {
        let v = json!({"entity": "t", "expires_at": NOW + 60, "name": "Zoë 美咲", "n": 42, "neg": -7, "f": 1.5, "ok": true,
                       "none": null, "list": [1, "a", {"x": 1}], "map": {"k": "v", "deep": {"z": [true]}}});
        s.transact(vec![put(item("P#1", "A", v.clone()), Cond::Always)], NOW).await.unwrap();
        let got = s.get(&Key::new("P#1", "A"), NOW).await.unwrap().expect("item");
        assert_eq!(Value::Object(got.attrs), v);
        assert!(s.get(&Key::new("P#1", "B"), NOW).await.unwrap().is_none());
    }

    pub async fn expired_items_are_invisible_to_every_read(s: Arc<dyn ItemStore>) {
        s.transact(
            vec![
                put(item("P#2", "OLD", json!({"expires_at": NOW})), Cond::Always),
                put(item("P#2", "NEW", json!({"expires_at": NOW + 1})), Cond::Always),
                put(item("P#2", "FOREVER", json!({"stat": 1})), Cond::Always),
            ],
            NOW - 10,
        )
        .await
        .unwrap();
        assert!(s.get(&Key::new("P#2", "OLD"), NOW).await.unwrap().is_none(), "expires_at == now is expired");
        assert!(s.get(&Key::new("P#2", "NEW"), NOW).await.unwrap().is_some());
        let sks: Vec<String> = s.query_prefix("P#2", "", NOW, 10).await.unwrap().into_iter().map(|i| i.key.sk).collect();
        assert_eq!(sks, ["FOREVER", "NEW"]);
        // Erasure asks for what is still physically there, expired or not, so as to delete it too.
        let all: Vec<String> = s.query_prefix("P#2", "", INCLUDING_EXPIRED, 10).await.unwrap().into_iter().map(|i| i.key.sk).collect();
        assert_eq!(all, ["FOREVER", "NEW", "OLD"]);
        // An expired item counts as absent for conditions, not as live.
        let live = s.transact(vec![WriteOp::Check { key: Key::new("P#2", "OLD"), cond: Cond::Live }], NOW).await;
        assert!(matches!(live, Err(StoreError::Conflict)));
        s.transact(vec![put(item("P#2", "OLD", json!({"expires_at": NOW + 5, "v": 2})), Cond::Absent)], NOW).await.unwrap();
        // A live item without expiry is not absent.
        let again = s.transact(vec![put(item("P#2", "FOREVER", json!({})), Cond::Absent)], NOW).await;
        assert!(matches!(again, Err(StoreError::Conflict)));
    }

    pub async fn only_one_of_concurrent_absent_writers_wins(s: Arc<dyn ItemStore>) {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.transact(vec![put(item("P#3", "ONE", json!({"writer": i, "expires_at": NOW + 60})), Cond::Absent)], NOW).await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Conflict) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 1);
    }

    pub async fn a_failed_condition_writes_nothing(s: Arc<dyn ItemStore>) {
        s.transact(vec![put(item("P#4", "TAKEN", json!({"v": 1})), Cond::Always)], NOW).await.unwrap();
        let r = s
            .transact(
                vec![
                    put(item("P#4", "A", json!({"v": 1})), Cond::Always),
                    WriteOp::Delete { key: Key::new("P#4", "TAKEN"), cond: Cond::Always },
                    put(item("P#4", "TAKEN", json!({"v": 2})), Cond::Absent),
                ],
                NOW,
            )
            .await;
        // Two operations on one key are refused before anything runs.
        assert!(matches!(r, Err(StoreError::Limit(_))), "{r:?}");
        let r = s
            .transact(
                vec![
                    put(item("P#4", "A", json!({"v": 1})), Cond::Always),
                    WriteOp::Update { key: Key::new("P#4", "B"), set: attrs(json!({"v": 1})), cond: Cond::Always },
                    put(item("P#4", "TAKEN", json!({"v": 2})), Cond::Absent),
                ],
                NOW,
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict)), "{r:?}");
        assert!(s.get(&Key::new("P#4", "A"), NOW).await.unwrap().is_none());
        assert!(s.get(&Key::new("P#4", "B"), NOW).await.unwrap().is_none());
        assert_eq!(s.get(&Key::new("P#4", "TAKEN"), NOW).await.unwrap().unwrap().attrs["v"], 1);
    }

    pub async fn live_with_compares_attribute_values(s: Arc<dyn ItemStore>) {
        let k = Key::new("P#5", "Q");
        s.transact(vec![put(item("P#5", "Q", json!({"count": 1, "window": NOW, "expires_at": NOW + 60})), Cond::Always)], NOW)
            .await
            .unwrap();
        let bump = |from: i64, to: i64| WriteOp::Update {
            key: k.clone(),
            set: attrs(json!({"count": to})),
            cond: Cond::LiveWith(vec![("count".into(), json!(from)), ("window".into(), json!(NOW))]),
        };
        s.transact(vec![bump(1, 2)], NOW).await.unwrap();
        assert!(matches!(s.transact(vec![bump(1, 3)], NOW).await, Err(StoreError::Conflict)));
        let got = s.get(&k, NOW).await.unwrap().unwrap();
        assert_eq!((got.attrs["count"].clone(), got.attrs["window"].clone()), (json!(2), json!(NOW)), "other attributes kept");
        // On an expired item, LiveWith fails even if the values match.
        assert!(matches!(s.transact(vec![bump(2, 3)], NOW + 60).await, Err(StoreError::Conflict)));
    }

    pub async fn update_creates_or_merges_and_delete_removes(s: Arc<dyn ItemStore>) {
        let k = Key::new("P#6", "U");
        s.transact(vec![WriteOp::Update { key: k.clone(), set: attrs(json!({"a": 1})), cond: Cond::Always }], NOW).await.unwrap();
        s.transact(vec![WriteOp::Update { key: k.clone(), set: attrs(json!({"b": "x"})), cond: Cond::Live }], NOW).await.unwrap();
        assert_eq!(Value::Object(s.get(&k, NOW).await.unwrap().unwrap().attrs), json!({"a": 1, "b": "x"}));
        let missing = Key::new("P#6", "MISSING");
        assert!(matches!(
            s.transact(vec![WriteOp::Update { key: missing.clone(), set: attrs(json!({"a": 1})), cond: Cond::Live }], NOW).await,
            Err(StoreError::Conflict)
        ));
        assert!(s.get(&missing, NOW).await.unwrap().is_none());
        s.transact(vec![WriteOp::Delete { key: k.clone(), cond: Cond::Live }], NOW).await.unwrap();
        assert!(s.get(&k, NOW).await.unwrap().is_none());
        // Deleting what is not there is a no-op unless a condition says otherwise.
        s.transact(vec![WriteOp::Delete { key: k.clone(), cond: Cond::Always }], NOW).await.unwrap();
        assert!(matches!(s.transact(vec![WriteOp::Delete { key: k, cond: Cond::Live }], NOW).await, Err(StoreError::Conflict)));
    }

    pub async fn queries_read_every_page_in_order_and_never_cut_silently(s: Arc<dyn ItemStore>) {
        // 300 items of ~4 KB: over DynamoDB's 1 MB page, so the adapter must follow LastEvaluatedKey.
        let pad = "x".repeat(4000);
        let mut ops = Vec::new();
        for i in 0..300 {
            ops.push(put(item("P#7", &format!("ITEM#{i:04}"), json!({"i": i, "pad": pad, "expires_at": NOW + 60})), Cond::Always));
            if ops.len() == 25 {
                s.transact(std::mem::take(&mut ops), NOW).await.unwrap();
            }
        }
        s.transact(
            vec![
                put(item("P#7", "OTHER#1", json!({})), Cond::Always),
                put(item("P#70", "ITEM#0000", json!({})), Cond::Always),
                put(item("P#7", "ITEM#9999", json!({"expires_at": NOW - 1})), Cond::Always),
            ],
            NOW,
        )
        .await
        .unwrap();
        let items = s.query_prefix("P#7", "ITEM#", NOW, 1000).await.unwrap();
        let idx: Vec<i64> = items.iter().map(|i| i.attrs["i"].as_i64().unwrap()).collect();
        assert_eq!(idx, (0..300).collect::<Vec<_>>());
        assert_eq!(s.query_prefix("P#7", "", NOW, 1000).await.unwrap().len(), 301);
        assert!(matches!(s.query_prefix("P#7", "ITEM#", NOW, 100).await, Err(StoreError::Limit(_))));
        // Counting reads the same pages and gives the same answers (live items only, and the same limit).
        assert_eq!(s.count_prefix("P#7", "ITEM#", NOW, 1000).await.unwrap(), 300);
        assert_eq!(s.count_prefix("P#7", "", NOW, 1000).await.unwrap(), 301);
        assert_eq!(s.count_prefix("P#7", "ITEM#", NOW - 10, 1000).await.unwrap(), 301, "the one expired since counts before");
        assert_eq!(s.count_prefix("P#7", "NONE#", NOW, 1000).await.unwrap(), 0);
        assert!(matches!(s.count_prefix("P#7", "ITEM#", NOW, 100).await, Err(StoreError::Limit(_))));
        // The first items of a partition, across a page boundary, skipping the expired one, never more.
        let sks = |items: Vec<Item>| items.into_iter().map(|i| i.key.sk).collect::<Vec<_>>();
        let first = sks(s.query_first("P#7", NOW, 290).await.unwrap());
        assert_eq!(first, (0..290).map(|i| format!("ITEM#{i:04}")).collect::<Vec<_>>());
        let all = sks(s.query_first("P#7", NOW, 302).await.unwrap());
        assert_eq!((all.len(), all.last().map(String::as_str)), (301, Some("OTHER#1")), "the expired ITEM#9999 is skipped");
        assert_eq!(s.query_first("P#7", NOW, 301).await.unwrap().len(), 301);
        assert!(s.query_first("P#8", NOW, 10).await.unwrap().is_empty());
    }

    pub async fn an_index_partition_reads_page_by_page_at_any_size(s: Arc<dyn ItemStore>) {
        // 600 items of ~4 KB in one index partition (over DynamoDB's 1 MB page twice), under two
        // sort-key prefixes, a few expired, spread over several table partitions.
        let pad = "x".repeat(4000);
        let mut ops = Vec::new();
        for i in 0..600 {
            let sub = if i % 3 == 0 { "B" } else { "A" };
            let exp = if i % 50 == 7 { NOW - 1 } else { NOW + 60 };
            let attrs = json!({"gsi1pk": "DENSE#1", "gsi1sk": format!("{sub}#{i:04}"), "i": i, "pad": pad, "expires_at": exp});
            ops.push(put(item(&format!("M#{}", i % 7), &format!("OFFER#{i:04}"), attrs), Cond::Always));
            if ops.len() == 25 {
                s.transact(std::mem::take(&mut ops), NOW).await.unwrap();
            }
        }
        let live = |sub: &str| -> Vec<i64> { (0..600).filter(|i| (if i % 3 == 0 { "B" } else { "A" }) == sub && i % 50 != 7).collect() };
        // Paged by 37 through each prefix: every live item exactly once, in order, and no page over 37.
        for (prefix, want) in [("A#", live("A")), ("B#", live("B"))] {
            let (mut got, mut after, mut pages) = (Vec::new(), None::<String>, 0);
            loop {
                let page = s.query_index_page("DENSE#1", prefix, after.as_deref(), NOW, 37).await.unwrap();
                assert!(page.items.len() <= 37);
                got.extend(page.items.iter().map(|i| i.attrs["i"].as_i64().unwrap()));
                pages += 1;
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            assert_eq!(got, want, "{prefix}");
            assert_eq!(pages, want.len().div_ceil(37), "{prefix}: no empty trailing page beyond the rounding");
        }
        // The whole partition, without a prefix: A…, then B…, in sort-key order; a bound past the end is empty.
        let all = s.query_index_page("DENSE#1", "", None, NOW, 1000).await.unwrap();
        assert_eq!(all.items.len(), live("A").len() + live("B").len());
        assert!(all.next.is_none());
        let first = s.query_index_page("DENSE#1", "", None, NOW, 1).await.unwrap();
        assert_eq!((first.items[0].attrs["i"].as_i64(), first.next.as_deref()), (Some(1), Some("A#0001")));
        let after_a = s.query_index_page("DENSE#1", "B#", Some("A#9999"), NOW, 2).await.unwrap();
        assert_eq!(after_a.items[0].attrs["i"], 0, "a bound before the prefix starts at the prefix");
        assert!(s.query_index_page("DENSE#1", "A#", Some("B#0000"), NOW, 5).await.unwrap().items.is_empty());
        assert!(s.query_index_page("NONE#1", "", None, NOW, 5).await.unwrap().items.is_empty());
    }

    pub async fn transactions_respect_the_operation_limit(s: Arc<dyn ItemStore>) {
        let ops: Vec<WriteOp> = (0..101).map(|i| put(item("P#8", &format!("{i}"), json!({})), Cond::Always)).collect();
        assert!(matches!(s.transact(ops, NOW).await, Err(StoreError::Limit(_))));
        assert!(s.query_prefix("P#8", "", NOW, 10).await.unwrap().is_empty());
        let ops: Vec<WriteOp> = (0..100).map(|i| put(item("P#8", &format!("{i:03}"), json!({})), Cond::Always)).collect();
        s.transact(ops, NOW).await.unwrap();
        assert_eq!(s.query_prefix("P#8", "", NOW, 1000).await.unwrap().len(), 100);
    }

    pub async fn the_index_lists_live_items_by_index_key_across_partitions(s: Arc<dyn ItemStore>) {
        s.transact(
            vec![
                put(item("M#1", "OFFER#b", json!({"gsi1pk": "CELL#1", "gsi1sk": "b", "expires_at": NOW + 60})), Cond::Always),
                put(item("M#2", "OFFER#a", json!({"gsi1pk": "CELL#1", "gsi1sk": "a", "n": 1})), Cond::Always),
                put(item("M#3", "OFFER#c", json!({"gsi1pk": "CELL#1", "gsi1sk": "c", "expires_at": NOW - 1})), Cond::Always),
                put(item("M#3", "OFFER#d", json!({"gsi1pk": "CELL#2", "gsi1sk": "d"})), Cond::Always),
                put(item("M#3", "OFFER#e", json!({"not": "indexed"})), Cond::Always),
            ],
            NOW,
        )
        .await
        .unwrap();
        let keys = |items: Vec<Item>| items.into_iter().map(|i| i.key.pk).collect::<Vec<_>>();
        assert_eq!(keys(s.query_index("CELL#1", NOW, 10).await.unwrap()), ["M#2", "M#1"], "sorted by gsi1sk, expired left out");
        assert_eq!(s.query_index("CELL#1", NOW, 10).await.unwrap()[0].attrs["n"], 1, "all attributes projected");
        assert!(s.query_index("CELL#9", NOW, 10).await.unwrap().is_empty());
        assert!(matches!(s.query_index("CELL#1", NOW, 1).await, Err(StoreError::Limit(_))));
        // Setting the index attribute to null takes the item out of the index (a sparse index).
        s.transact(
            vec![WriteOp::Update {
                key: Key::new("M#2", "OFFER#a"),
                set: attrs(json!({"gsi1pk": null, "gsi1sk": null})),
                cond: Cond::Live,
            }],
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(keys(s.query_index("CELL#1", NOW, 10).await.unwrap()), ["M#1"]);
        let moved = s.get(&Key::new("M#2", "OFFER#a"), NOW).await.unwrap().unwrap();
        assert!(!moved.attrs.contains_key("gsi1pk") && moved.attrs["n"] == 1);
        s.transact(
            vec![WriteOp::Update {
                key: Key::new("M#2", "OFFER#a"),
                set: attrs(json!({"gsi1pk": "CELL#2", "gsi1sk": "a"})),
                cond: Cond::Live,
            }],
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(keys(s.query_index("CELL#2", NOW, 10).await.unwrap()), ["M#2", "M#3"]);
    }

    pub async fn dump_shows_everything_physically_present(s: Arc<dyn ItemStore>) {
        s.transact(
            vec![
                put(item("P#9", "LIVE", json!({"expires_at": NOW + 5})), Cond::Always),
                put(item("P#9", "GONE", json!({"expires_at": NOW - 5})), Cond::Always),
            ],
            NOW,
        )
        .await
        .unwrap();
        let keys: Vec<String> = s.dump().await.unwrap().into_iter().filter(|i| i.key.pk == "P#9").map(|i| i.key.sk).collect();
        assert_eq!(keys, ["GONE", "LIVE"], "the audit shows expired items that are still stored");
    }

    pub async fn counters_add_up_and_only_with_their_transaction(s: Arc<dyn ItemStore>) {
        let add = |n: i64| WriteOp::Add { key: Key::new("S#1", "DAY"), counters: vec![("total".into(), n), ("type:groceries".into(), 1)] };
        s.transact(vec![add(1)], NOW).await.unwrap();
        s.transact(vec![add(2), put(item("S#1", "OTHER", json!({})), Cond::Absent)], NOW).await.unwrap();
        // The same counter in a transaction whose condition fails: not counted.
        let failed = s.transact(vec![add(100), put(item("S#1", "OTHER", json!({})), Cond::Absent)], NOW).await;
        assert!(matches!(failed, Err(StoreError::Conflict)));
        let got = s.get(&Key::new("S#1", "DAY"), NOW).await.unwrap().expect("counter item");
        assert_eq!(Value::Object(got.attrs), json!({"total": 3, "type:groceries": 2}));
        // Concurrent increments are never lost (a conflicting one fails whole, and is retried here).
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    loop {
                        match s.transact(vec![WriteOp::Add { key: Key::new("S#1", "DAY"), counters: vec![("total".into(), 1)] }], NOW).await
                        {
                            Ok(()) => break,
                            Err(StoreError::Conflict) => continue,
                            Err(e) => panic!("unexpected {e}"),
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let got = s.get(&Key::new("S#1", "DAY"), NOW).await.unwrap().unwrap();
        assert_eq!(got.attrs["total"], json!(11));
    }

    /// A counter limited by its own condition (`claimed < 10`): however many write at once, it stops at
    /// the limit, each write counts once, an absent counter is 0, and a decrement gives room back.
    pub async fn an_increment_holds_its_limit_under_concurrency(s: Arc<dyn ItemStore>) {
        let k = Key::new("T#1", "PERK");
        s.transact(vec![put(item("T#1", "PERK", json!({"status": "approved", "expires_at": NOW + 600})), Cond::Absent)], NOW)
            .await
            .unwrap();
        let below = |limit: i64| Cond::LiveBelow { equal: vec![("status".into(), json!("approved"))], counter: "claimed".into(), limit };
        let take = |limit: i64| WriteOp::Increment { key: k.clone(), counter: "claimed".into(), by: 1, cond: below(limit) };
        // The wrong status, or an expired item: refused.
        let wrong = WriteOp::Increment {
            key: k.clone(),
            counter: "claimed".into(),
            by: 1,
            cond: Cond::LiveBelow { equal: vec![("status".into(), json!("pending"))], counter: "claimed".into(), limit: 10 },
        };
        assert!(matches!(s.transact(vec![wrong], NOW).await, Err(StoreError::Conflict)));
        assert!(matches!(s.transact(vec![take(10)], NOW + 600).await, Err(StoreError::Conflict)));
        assert!(matches!(s.transact(vec![take(0)], NOW).await, Err(StoreError::Conflict)), "an absent counter is 0, not below 0");
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let (s, k) = (s.clone(), k.clone());
                tokio::spawn(async move {
                    loop {
                        let op = WriteOp::Increment {
                            key: k.clone(),
                            counter: "claimed".into(),
                            by: 1,
                            cond: Cond::LiveBelow {
                                equal: vec![("status".into(), json!("approved"))],
                                counter: "claimed".into(),
                                limit: 10,
                            },
                        };
                        match s.transact(vec![op], NOW).await {
                            Ok(()) => return true,
                            // Full, or another writer of the item won this time (DynamoDB): read and see.
                            Err(StoreError::Conflict) => {
                                let got = s.get(&k, NOW).await.unwrap().unwrap();
                                if got.attrs.get("claimed").and_then(Value::as_i64).unwrap_or(0) >= 10 {
                                    return false;
                                }
                            }
                            Err(e) => panic!("unexpected {e}"),
                        }
                    }
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            won += usize::from(t.await.unwrap());
        }
        assert_eq!(won, 10);
        let got = s.get(&k, NOW).await.unwrap().unwrap();
        assert_eq!((got.attrs["claimed"].clone(), got.attrs["status"].clone()), (json!(10), json!("approved")), "other attributes kept");
        s.transact(vec![WriteOp::Increment { key: k.clone(), counter: "claimed".into(), by: -1, cond: Cond::Live }], NOW).await.unwrap();
        s.transact(vec![take(10)], NOW).await.unwrap();
        assert!(matches!(s.transact(vec![take(10)], NOW).await, Err(StoreError::Conflict)));
    }

    /// Hundreds of transactions at once, of every kind, some of them bound to fail: each gets its own
    /// outcome, and the store holds exactly what was acknowledged (the embedded store commits them in
    /// groups, each in its own savepoint).
    pub async fn a_burst_of_writes_keeps_each_outcome(s: Arc<dyn ItemStore>) {
        let tasks: Vec<_> = (0..300)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let ops = match i % 3 {
                        // An increment of one shared counter.
                        0 => vec![WriteOp::Add { key: Key::new("B#1", "COUNT"), counters: vec![("n".into(), 1)] }],
                        // A claim on one of ten keys: one writer each.
                        1 => vec![put(item("B#1", &format!("CLAIM{}", i % 10), json!({"by": i})), Cond::Absent)],
                        // Two items of its own, the second write conditioned on an item that is never there.
                        _ => vec![
                            put(item("B#2", &format!("OWN{i}"), json!({"v": i})), Cond::Always),
                            WriteOp::Check {
                                key: Key::new("B#2", format!("MISSING{i}")),
                                cond: if i % 2 == 0 { Cond::Live } else { Cond::Absent },
                            },
                        ],
                    };
                    (i, s.transact(ops, NOW).await)
                })
            })
            .collect();
        let (mut counted, mut claimed, mut own) = (0, Vec::new(), Vec::new());
        for t in tasks {
            match t.await.unwrap() {
                (i, Ok(())) if i % 3 == 0 => counted += 1,
                (i, Ok(())) if i % 3 == 1 => claimed.push(i),
                (i, Ok(())) => {
                    assert_eq!(i % 2, 1, "a write conditioned on a live item that is not there succeeded");
                    own.push(i)
                }
                // DynamoDB cancels transactions that touch an item another one is writing.
                (i, Err(StoreError::Conflict)) => assert!(i % 3 != 2 || i % 2 == 0, "writer {i}: an unconditioned own write failed"),
                (_, Err(e)) => panic!("unexpected {e}"),
            }
        }
        let count = s.get(&Key::new("B#1", "COUNT"), NOW).await.unwrap().map(|i| i.attrs["n"].clone());
        assert_eq!(count.unwrap_or(json!(0)), json!(counted), "the counter holds exactly the acknowledged increments");
        let claims = s.query_prefix("B#1", "CLAIM", NOW, 100).await.unwrap();
        assert!(claims.len() <= 10 && claims.len() == claimed.len(), "{} claims stored, {} acknowledged", claims.len(), claimed.len());
        for c in &claims {
            assert!(claimed.contains(&(c.attrs["by"].as_i64().unwrap() as i32)), "a claim nobody was told they won");
        }
        let mut stored: Vec<i32> =
            s.query_prefix("B#2", "OWN", NOW, 1000).await.unwrap().iter().map(|i| i.attrs["v"].as_i64().unwrap() as i32).collect();
        stored.sort_unstable();
        own.sort_unstable();
        assert_eq!(stored, own, "exactly the acknowledged own writes are stored, the refused ones not at all");
    }
}

async fn embedded() -> Arc<dyn ItemStore> {
    Arc::new(SqliteStore::in_memory().unwrap())
}

async fn embedded_on_disk() -> Arc<dyn ItemStore> {
    let dir = tempfile::tempdir().unwrap().keep();
    Arc::new(SqliteStore::open(&dir).unwrap())
}

#[cfg(feature = "services")]
async fn dynamodb() -> Arc<dyn ItemStore> {
    Arc::new(common::dynamodb().await)
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod embedded { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::checks::$name(super::embedded().await).await } )* }
        mod embedded_on_disk { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::checks::$name(super::embedded_on_disk().await).await } )* }
        #[cfg(feature = "services")]
        mod dynamodb_local { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::checks::$name(super::dynamodb().await).await } )* }
    };
}

conformance!(
    a_put_item_reads_back_identically,
    expired_items_are_invisible_to_every_read,
    only_one_of_concurrent_absent_writers_wins,
    a_failed_condition_writes_nothing,
    live_with_compares_attribute_values,
    update_creates_or_merges_and_delete_removes,
    queries_read_every_page_in_order_and_never_cut_silently,
    an_index_partition_reads_page_by_page_at_any_size,
    transactions_respect_the_operation_limit,
    the_index_lists_live_items_by_index_key_across_partitions,
    dump_shows_everything_physically_present,
    counters_add_up_and_only_with_their_transaction,
    an_increment_holds_its_limit_under_concurrency,
    a_burst_of_writes_keeps_each_outcome,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_commits_concurrent_writes_together() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.transact(vec![put(item("G#1", &format!("I{i:03}"), json!({"v": i})), Cond::Absent)], NOW).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(s.query_prefix("G#1", "", NOW, 1000).await.unwrap().len(), 400);
    // One fsync per commit: concurrent writers shared them.
    assert!(s.commits() < 200, "{} commits for 400 concurrent transactions", s.commits());
}

#[tokio::test]
async fn a_data_directory_from_before_the_index_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = rusqlite::Connection::open(dir.path().join("entraide.sqlite")).unwrap();
        old.execute_batch(
            "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, expires_at INTEGER, attrs TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
             INSERT INTO items VALUES ('M#1', 'P', NULL, '{\"gsi1pk\":\"C#1\",\"gsi1sk\":\"x\"}');",
        )
        .unwrap();
    }
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.query_index("C#1", NOW, 10).await.unwrap().len(), 1);
    drop(s);
    let again = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(again.query_index("C#1", NOW, 10).await.unwrap().len(), 1, "opening twice does not migrate twice");
}

#[tokio::test]
async fn the_embedded_store_sweeps_expired_items_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.transact(
            vec![
                put(item("S#1", "OLD", json!({"expires_at": NOW - 1})), Cond::Always),
                put(item("S#1", "NEW", json!({"expires_at": NOW + 1})), Cond::Always),
            ],
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(s.sweep_expired(NOW).await.unwrap(), 1);
    }
    let reopened = SqliteStore::open(dir.path()).unwrap();
    let keys: Vec<String> = reopened.dump().await.unwrap().into_iter().map(|i| i.key.sk).collect();
    assert_eq!(keys, ["NEW"]);
}
