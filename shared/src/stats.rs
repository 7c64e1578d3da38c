//! Anonymous statistics: day counters incremented in the same transaction as the event they count, and
//! `GET /api/stats` built from them alone.
//!
//! A counter item holds no id, no name, no postal code: only a day, a metric, and counts by help type,
//! department (two or three characters), distance bucket and waiting time. This *is* the anonymous record
//! docs/PRODUCT.md §3 keeps after a purge — aggregated from the start, so no per-match row survives at all.
//! Counter items carry no `expires_at`: they survive every purge and every erasure.
//!
//! Each (day, metric) is spread over [`SHARDS`] items chosen at random, so that concurrent transactions
//! (two matching runs, a confirmation during a run) rarely touch the same counter item — DynamoDB
//! cancels transactions that write one item at the same time.

use crate::clock::{UnixTime, day_of, rfc3339};
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::store::WriteOp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counter items per (day, metric).
pub const SHARDS: u32 = 4;
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
    }
}

pub const METRICS: [Metric; 9] = [
    Metric::Registered,
    Metric::Offered,
    Metric::Requested,
    Metric::Proposed,
    Metric::Introduced,
    Metric::Confirmed,
    Metric::Declined,
    Metric::Rejected,
    Metric::Closed,
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
pub fn count(metric: Metric, event: &Event<'_>, now: UnixTime) -> WriteOp {
    let shard = (ulid::Ulid::generate().random() % u128::from(SHARDS)) as u32;
    let mut counters = vec![("total".to_owned(), 1)];
    if let Some(h) = event.help_type {
        counters.push((format!("type:{h}"), 1));
    }
    if let Some(d) = event.department {
        counters.push((format!("dept:{d}"), 1));
    }
    if let Some(km) = event.distance_km {
        counters.push((format!("dist:{}", distance_bucket(km)), 1));
    }
    if let Some(w) = event.wait_secs {
        counters.push((format!("wait:{}", wait_bucket(w)), 1));
    }
    WriteOp::Add { key: keys::stats_counter(&day_of(now), metric.as_str(), shard), counters }
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
        let WriteOp::Add { key, counters } = op else { panic!("an Add") };
        assert_eq!(key.pk, "STATS");
        assert!(key.sk.starts_with("DAY#2027-01-15#confirmed#"), "{}", key.sk);
        let names: Vec<&str> = counters.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["total", "type:groceries", "dept:75", "dist:2-5"]);
    }
}
