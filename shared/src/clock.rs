//! Time as the domain sees it: whole seconds since the Unix epoch, from an injectable clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (UTC). DynamoDB TTL reads the same unit from `expires_at`.
pub type UnixTime = i64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Where "now" comes from; tests move it forward to expire things.
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock that starts at the system time and moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: UnixTime) -> Self {
        ManualClock(AtomicI64::new(start))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

/// RFC 3339 (UTC, seconds) for a Unix time, e.g. `2026-11-21T20:07:45Z`.
/// The UTC day of `t`, `YYYY-MM-DD`.
pub fn day_of(t: UnixTime) -> String {
    rfc3339(t.div_euclid(DAY) * DAY)[..10].to_owned()
}

pub fn rfc3339(t: UnixTime) -> String {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD` (midnight UTC).
pub fn parse_rfc3339(s: &str) -> Option<UnixTime> {
    let s = s.trim();
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = 0;
    if let Some(time) = time {
        let mut hms = time.splitn(3, ':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next()?.parse().ok()?;
        let se: i64 = hms.next().unwrap_or("0").parse().ok()?;
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        secs = h * 3600 + mi * 60 + se;
    }
    Some(days_from_civil(y, m, d) * DAY + secs)
}

// Howard Hinnant's algorithms (public domain): proleptic Gregorian calendar <-> days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_291_665), "2026-11-21T20:07:45Z");
        assert_eq!(parse_rfc3339("2026-11-21T20:07:45Z"), Some(1_795_291_665));
        assert_eq!(parse_rfc3339("2027-01-01"), Some(1_798_761_600));
        assert_eq!(parse_rfc3339("2027-13-01"), None);
        assert_eq!(parse_rfc3339("soon"), None);
    }

    proptest::proptest! {
        #[test]
        fn rfc3339_round_trips(t in -10_000_000_000i64..10_000_000_000i64) {
            proptest::prop_assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
    }
}
