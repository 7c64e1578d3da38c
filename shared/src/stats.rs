//! Anonymous statistics: a tally written in the same transaction as the event it counts, folded into
//! day counters by a scheduled step, and `GET /api/stats` built from the counters alone.
//!
//! A tally or counter item holds no id, no name, no postal code: only a day, a metric, and counts by help
//! type, department (two or three characters), distance bucket and waiting time. This *is* the anonymous
//! record docs/PRODUCT.md §3 keeps after a purge — aggregated from the start, so no per-match row survives
//! at all. Counter items carry no `expires_at`: they survive every purge and every erasure.
//!
//! Why tallies: DynamoDB cancels a transaction that writes an item another transaction is writing
//! (`TransactionConflict`). When every offer's transaction added to one of four counter items, a burst
//! of offers fought over those four items and lost (docs/PERFORMANCE.md, "Hot items"). Now each event
//! writes an item of its own, under a unique sort key in one of [`TALLY_PARTITIONS`] partitions, so the
//! events of a burst never touch a common item, and no partition takes more than its share of writes.
//! [`fold`] (every minute on AWS, every few seconds in the local runner) adds tallies into the day
//! counters and deletes them in the same transaction, each delete conditioned on the tally still being
//! there: two folds running at once cannot count one tally twice. The report therefore lags the events
//! by at most one fold.

use crate::clock::{UnixTime, day_of, rfc3339};
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::store::{Cond, Item, MAX_TRANSACTION_OPS, StoreError, WriteOp};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Counter items per (day, metric): one per folder, so that folders running side by side never write
/// one counter item.
pub const SHARDS: u32 = 4;
/// Partitions the tallies are spread over. A DynamoDB partition takes 1,000 write units a second and a
/// transactional write of a small item costs 2: 16 partitions take 8,000 tallies a second.
pub const TALLY_PARTITIONS: u32 = 16;
/// Tallies read at a time by a folder.
const FOLD_READ: usize = 1_000;
/// Counter names one fold transaction adds to at most (DynamoDB caps an expression at 4 KB).
const MAX_COUNTERS: usize = 200;
/// The most tallies one fold counts; what is left waits for the next (a scheduled call has a timeout).
pub const FOLD_BUDGET: usize = 200_000;
/// The most counter items a stats answer reads (≈ 3 years of days × metrics × shards).
const MAX_ITEMS: usize = 40_000;

stored_enum! {
    /// What is counted.
    pub enum Metric {
        /// A member confirmed their e-mail address for the first time.
        Registered = "registered",
        /// A help offer was posted.
        Offered = "offered",
        /// A help request was posted.
        Requested = "requested",
        /// A matching run proposed a pair.
        Proposed = "proposed",
        /// The introduction e-mail went to both parties.
        Introduced = "introduced",
        /// One party confirmed that the help is arranged.
        Confirmed = "confirmed",
        /// One party said it did not work out.
        Declined = "declined",
        /// A moderator rejected the proposal.
        Rejected = "rejected",
        /// An introduced match got no answer within 14 days and was closed.
        Closed = "closed",
        /// A member contacted a listing through the relay.
        ContactSent = "contacts_sent",
        /// A listing's owner accepted a contact: both were introduced.
        ContactAccepted = "contacts_accepted",
        /// A listing's owner declined a contact.
        ContactDeclined = "contacts_declined",
        /// One party of an accepted contact confirmed they are in touch.
        ContactConfirmed = "contacts_confirmed",
        /// A member claimed a ticket of a perk.
        TicketsClaimed = "tickets_claimed",
        /// A member gave a ticket back.
        TicketsReturned = "tickets_returned",
        /// A member voted in a poll (which poll and which option are not counted here).
        Voted = "votes",
        /// A community verified by a work address (counted, never whose).
        CommunityVerified = "verifications",
    }
}

pub const METRICS: [Metric; 17] = [
    Metric::Registered,
    Metric::Offered,
    Metric::Requested,
    Metric::Proposed,
    Metric::Introduced,
    Metric::Confirmed,
    Metric::Declined,
    Metric::Rejected,
    Metric::Closed,
    Metric::ContactSent,
    Metric::ContactAccepted,
    Metric::ContactDeclined,
    Metric::ContactConfirmed,
    Metric::TicketsClaimed,
    Metric::TicketsReturned,
    Metric::Voted,
    Metric::CommunityVerified,
];

impl Metric {
    fn parse(s: &str) -> Option<Metric> {
        METRICS.into_iter().find(|m| m.as_str() == s)
    }
}

/// One event to count, with the anonymous dimensions it has.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub help_type: Option<&'a str>,
    /// A French department code (`75`, `2A`, `971`): never a postal code.
    pub department: Option<&'a str>,
    pub distance_km: Option<f64>,
    /// Seconds from the request being posted to its match being proposed.
    pub wait_secs: Option<i64>,
}

/// The distance buckets (upper bounds in km) of confirmed matches.
const DISTANCE_BUCKETS: [(f64, &str); 6] = [(1.0, "0-1"), (2.0, "1-2"), (5.0, "2-5"), (10.0, "5-10"), (20.0, "10-20"), (f64::MAX, "20+")];

fn distance_bucket(km: f64) -> &'static str {
    DISTANCE_BUCKETS.iter().find(|(max, _)| km < *max).map_or("20+", |(_, b)| b)
}

/// Minutes rounded to two significant digits (37, 120, 1,400…): a median read from these is within 5 %.
pub fn wait_bucket(secs: i64) -> i64 {
    let minutes = (secs.max(0) + 30) / 60;
    let mut scale = 1;
    while minutes / scale >= 100 {
        scale *= 10;
    }
    (minutes + scale / 2) / scale * scale
}

/// The write that counts `event` for `metric` at `now`; put it in the transaction of the event itself.
/// It creates an item of its own (a tally), so concurrent events never write one item.
pub fn count(metric: Metric, event: &Event<'_>, now: UnixTime) -> WriteOp {
    let random = ulid::Ulid::generate().random();
    let partition = (random % u128::from(TALLY_PARTITIONS)) as u32;
    let mut counters = Map::from_iter([("total".to_owned(), Value::from(1))]);
    if let Some(h) = event.help_type {
        counters.insert(format!("type:{h}"), 1.into());
    }
    if let Some(d) = event.department {
        counters.insert(format!("dept:{d}"), 1.into());
    }
    if let Some(km) = event.distance_km {
        counters.insert(format!("dist:{}", distance_bucket(km)), 1.into());
    }
    if let Some(w) = event.wait_secs {
        counters.insert(format!("wait:{}", wait_bucket(w)), 1.into());
    }
    // A sequence number of this process, then random bits: the sort key says nothing of when, or of
    // whom, and a process's tallies go to the end of their partition instead of each to a random page.
    let seq = TALLY_SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = keys::tally(partition, &day_of(now), metric.as_str(), &format!("{seq:016x}{:012x}", random >> 32));
    WriteOp::Put { item: Item::new(key, counters), cond: Cond::Always }
}

/// Orders one process's tallies within their partitions.
static TALLY_SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// What one [`fold`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Folded {
    /// Tallies added into the day counters (and deleted).
    pub counted: usize,
    /// Transactions that did it.
    pub transactions: usize,
    /// Tallies left for the next fold: the budget ran out, or another fold was counting the same ones.
    pub left_over: bool,
}

/// Adds the pending tallies into the day counters, deleting each in the same transaction (conditioned
/// on its being there, so a tally is counted exactly once whatever runs beside this). [`SHARDS`] folders
/// run side by side, folder `k` reading partitions `k, k + SHARDS, …` into counter shard `k`.
pub async fn fold(deps: &Deps) -> Result<Folded, AppError> {
    let now = deps.clock.now();
    let folders = (0..SHARDS).map(|shard| fold_shard(deps, shard, now));
    let mut total = Folded::default();
    for folded in futures::future::join_all(folders).await {
        let f = folded?;
        total.counted += f.counted;
        total.transactions += f.transactions;
        total.left_over |= f.left_over;
    }
    Ok(total)
}

async fn fold_shard(deps: &Deps, shard: u32, now: UnixTime) -> Result<Folded, StoreError> {
    let mut out = Folded::default();
    let budget = FOLD_BUDGET / SHARDS as usize;
    for partition in (shard..TALLY_PARTITIONS).step_by(SHARDS as usize) {
        let pk = keys::tally_partition(partition);
        'partition: loop {
            if out.counted >= budget {
                out.left_over = true;
                return Ok(out);
            }
            let tallies = deps.store.query_first(&pk, now, FOLD_READ).await?;
            if tallies.is_empty() {
                break;
            }
            for (n, ops) in fold_transactions(tallies, shard) {
                match deps.store.transact(ops, now).await {
                    Ok(()) => {
                        out.counted += n;
                        out.transactions += 1;
                    }
                    // Another fold deleted (counted) one of these first, or is writing the counter: this
                    // partition waits for the next fold rather than read the same tallies again now.
                    Err(StoreError::Conflict) => {
                        out.left_over = true;
                        break 'partition;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(out)
}

/// The transactions that fold `tallies` into counter shard `shard`: per (day, metric), tallies deleted
/// and their sum added, within the store's operation limit and [`MAX_COUNTERS`].
/// Each comes with the number of tallies it deletes.
fn fold_transactions(tallies: Vec<Item>, shard: u32) -> Vec<(usize, Vec<WriteOp>)> {
    let mut by_counter: BTreeMap<(String, String), Vec<Item>> = BTreeMap::new();
    for t in tallies {
        let mut parts = t.key.sk.splitn(3, '#');
        let (Some(day), Some(metric), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            // Not a tally this code wrote: counted as nothing, deleted so that it cannot block the folds.
            by_counter.entry((String::new(), String::new())).or_default().push(t);
            continue;
        };
        by_counter.entry((day.to_owned(), metric.to_owned())).or_default().push(t);
    }
    let mut transactions = Vec::new();
    for ((day, metric), tallies) in by_counter {
        let mut deletes = Vec::new();
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        let mut flush = |deletes: &mut Vec<WriteOp>, sums: &mut BTreeMap<String, i64>| {
            let mut ops = std::mem::take(deletes);
            let counters: Vec<(String, i64)> = std::mem::take(sums).into_iter().collect();
            let n = ops.len();
            if !day.is_empty() {
                ops.push(WriteOp::Add { key: keys::stats_counter(&day, &metric, shard), counters });
            }
            transactions.push((n, ops));
        };
        for t in tallies {
            let names: BTreeSet<&String> = t.attrs.keys().collect();
            let new_names = names.iter().filter(|n| !sums.contains_key(n.as_str())).count();
            if deletes.len() + 1 >= MAX_TRANSACTION_OPS || (sums.len() + new_names > MAX_COUNTERS && !deletes.is_empty()) {
                flush(&mut deletes, &mut sums);
            }
            for (name, v) in &t.attrs {
                if let Some(n) = v.as_i64() {
                    *sums.entry(name.clone()).or_default() += n;
                }
            }
            deletes.push(WriteOp::Delete { key: t.key, cond: Cond::Live });
        }
        if !deletes.is_empty() {
            flush(&mut deletes, &mut sums);
        }
    }
    transactions
}

/// Counts per metric (every metric present, zero when nothing happened).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counts(BTreeMap<&'static str, i64>);

impl Counts {
    fn zero() -> Self {
        Counts(METRICS.iter().map(|m| (m.as_str(), 0)).collect())
    }
    fn add(&mut self, metric: Metric, n: i64) {
        *self.0.entry(metric.as_str()).or_default() += n;
    }
    /// The count of one metric.
    pub fn of(&self, metric: Metric) -> i64 {
        self.0.get(metric.as_str()).copied().unwrap_or(0)
    }
}

/// One row of a breakdown: what it is about (`day`, `help_type`, `department`) and its counts.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub about: RowKey,
    #[serde(flatten)]
    pub counts: Counts,
}

/// What a [`Row`] counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKey {
    Day(String),
    HelpType(String),
    Department(String),
}

/// Confirmed matches in one distance bucket.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub bucket: &'static str,
    pub count: i64,
}

/// `GET /api/stats`: the anonymous report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub totals: Counts,
    pub by_day: Vec<Row>,
    pub by_help_type: Vec<Row>,
    pub by_department: Vec<Row>,
    /// In distance order.
    pub confirmed_by_distance_km: Vec<Bucket>,
    pub median_minutes_to_match: Option<i64>,
    pub generated_at: String,
}

/// `GET /api/stats`: totals, and counts by day, help type and department; confirmed matches by distance;
/// the median time from a request to its match.
pub async fn report(deps: &Deps) -> Result<Report, AppError> {
    let now = deps.clock.now();
    let items = deps.store.query_prefix(keys::STATS_PK, keys::STATS_DAY_PREFIX, now, MAX_ITEMS).await?;
    let mut totals = Counts::zero();
    let mut by_day: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_type: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_dept: BTreeMap<String, Counts> = BTreeMap::new();
    let mut distance: BTreeMap<&'static str, i64> = DISTANCE_BUCKETS.iter().map(|(_, b)| (*b, 0)).collect();
    let mut waits: BTreeMap<i64, i64> = BTreeMap::new();
    for item in &items {
        // DAY#<yyyy-mm-dd>#<metric>#<shard>
        let mut parts = item.key.sk.split('#').skip(1);
        let (Some(d), Some(metric)) = (parts.next(), parts.next().and_then(Metric::parse)) else { continue };
        for (name, v) in &item.attrs {
            let Some(n) = v.as_i64() else { continue };
            if name == "total" {
                totals.add(metric, n);
                by_day.entry(d.to_owned()).or_insert_with(Counts::zero).add(metric, n);
            } else if let Some(h) = name.strip_prefix("type:") {
                by_type.entry(h.to_owned()).or_insert_with(Counts::zero).add(metric, n);
            } else if let Some(dep) = name.strip_prefix("dept:") {
                by_dept.entry(dep.to_owned()).or_insert_with(Counts::zero).add(metric, n);
            } else if let Some(b) = name.strip_prefix("dist:")
                && metric == Metric::Confirmed
                && let Some((_, bucket)) = DISTANCE_BUCKETS.iter().find(|(_, x)| *x == b)
            {
                *distance.entry(bucket).or_default() += n;
            } else if let Some(w) = name.strip_prefix("wait:").and_then(|w| w.parse::<i64>().ok())
                && metric == Metric::Proposed
            {
                *waits.entry(w).or_default() += n;
            }
        }
    }
    let rows = |m: BTreeMap<String, Counts>, about: fn(String) -> RowKey| -> Vec<Row> {
        m.into_iter().map(|(k, counts)| Row { about: about(k), counts }).collect()
    };
    Ok(Report {
        totals,
        by_day: rows(by_day, RowKey::Day),
        by_help_type: rows(by_type, RowKey::HelpType),
        by_department: rows(by_dept, RowKey::Department),
        confirmed_by_distance_km: DISTANCE_BUCKETS
            .iter()
            .map(|(_, b)| Bucket { bucket: b, count: distance.get(b).copied().unwrap_or(0) })
            .collect(),
        median_minutes_to_match: median(&waits),
        generated_at: rfc3339(now),
    })
}

/// The lower median of a histogram of minutes.
fn median(hist: &BTreeMap<i64, i64>) -> Option<i64> {
    let n: i64 = hist.values().sum();
    if n == 0 {
        return None;
    }
    let mut seen = 0;
    for (value, count) in hist {
        seen += count;
        if seen * 2 >= n {
            return Some(*value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_keep_two_significant_digits() {
        assert_eq!(wait_bucket(0), 0);
        assert_eq!(wait_bucket(37 * 60 + 10), 37);
        assert_eq!(wait_bucket(99 * 60), 99);
        assert_eq!(wait_bucket(123 * 60), 120);
        assert_eq!(wait_bucket(1_449 * 60), 1_400);
        assert_eq!(wait_bucket(1_450 * 60), 1_500);
    }

    #[test]
    fn buckets_and_median() {
        assert_eq!(distance_bucket(0.4), "0-1");
        assert_eq!(distance_bucket(4.99), "2-5");
        assert_eq!(distance_bucket(49.0), "20+");
        assert_eq!(median(&BTreeMap::new()), None);
        assert_eq!(median(&BTreeMap::from([(5, 1), (30, 1), (600, 1)])), Some(30));
        assert_eq!(median(&BTreeMap::from([(5, 3), (600, 1)])), Some(5));
    }

    #[test]
    fn a_counter_write_names_a_day_and_a_metric_and_nothing_else() {
        let op = count(
            Metric::Confirmed,
            &Event { help_type: Some("groceries"), department: Some("75"), distance_km: Some(3.2), wait_secs: None },
            1_800_000_000,
        );
        let WriteOp::Put { item, cond: Cond::Always } = op else { panic!("a Put") };
        assert!(item.key.pk.starts_with("TALLY#"), "{}", item.key.pk);
        assert!(item.key.sk.starts_with("2027-01-15#confirmed#"), "{}", item.key.sk);
        let names: BTreeSet<&str> = item.attrs.keys().map(String::as_str).collect();
        assert_eq!(names, BTreeSet::from(["total", "type:groceries", "dept:75", "dist:2-5"]));
        assert!(item.attrs.values().all(|v| v == &Value::from(1)));
    }
}
