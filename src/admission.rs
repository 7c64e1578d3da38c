//! What API work the local runner takes on when it cannot take it all: beyond its capacity a request is
//! refused at once (`503 overloaded`, `Retry-After`) so that those it accepts keep their latency.
//!
//! Three limits, each checked by the router before any work (`router::dispatch`):
//! - **in flight**: at most [`MAX_IN_FLIGHT`] API requests at once — work that waits (a write waiting for
//!   its group commit) fills it;
//! - **a late runtime**: with many connections open, a runtime that wakes a task more than [`MAX_LAG`]
//!   late refuses until it catches up;
//! - **a CPU budget**: with many connections open, the requests it serves may use only the share of the
//!   core that refusing the others and everything else leave free ([`WorkBudget`]). Work that never waits
//!   (a search) runs to its end inside one poll, so a burst of it never fills the in-flight limit: it
//!   waits in the sockets, unseen, and only a budget on the work served keeps that wait short.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// API requests served at once at most: beyond, a request is refused at once (`503 overloaded`,
/// `Retry-After`) rather than queued, so that those accepted keep their latency.
pub const MAX_IN_FLIGHT: usize = 512;

/// How late the runtime may run a task before API requests are refused (`503 overloaded`), when more than
/// [`CROWDED_CONNECTIONS`] connections are open. With a few, a late wake-up is a hiccup (a slow disk, a
/// busy neighbour on the machine) that refusing a lone visitor's search would not relieve.
pub const MAX_LAG: Duration = Duration::from_millis(100);

/// Open connections (tasks, in fact) beyond which the runner is crowded: the CPU budget and the lag
/// count against admission. A request that waits for the CPU mostly waits in its socket, unseen by the
/// runtime's queue; what predicts its wait is how many connections the one core serves in turn. A closed
/// loop of 64 clients never comes near.
pub const CROWDED_CONNECTIONS: usize = 256;

/// The share of the core the runner aims to keep busy while crowded: what is left absorbs a window's
/// surprises (the machine's noise, a wave of new connections) before the next window corrects. At 0.85
/// twice the capacity of offers served a quarter fewer than before the budget, at 0.92 about as many (a
/// few per cent fewer in the last paired rounds), and searches at twice their capacity were answered
/// within 2 s either way (docs/PERFORMANCE.md, "A CPU budget").
const TARGET_BUSY: f64 = 0.92;
/// The budget while crowding begins, until the first window has measured what refusing costs.
const ONSET_BUDGET: f64 = 0.5;
/// The least share of the core served requests keep, however costly refusing is.
const MIN_BUDGET: f64 = 0.05;
/// How much served work may run ahead of the budget: a few requests at once, not a window's worth.
const MAX_CREDIT: Duration = Duration::from_millis(2);
/// How often the watcher measures the runtime and sets the budget.
const WINDOW: Duration = Duration::from_millis(100);

/// The CPU time served API requests may use while the runner is crowded.
///
/// Every admitted request's polls are timed ([`WorkBudget::metered`]); a credit, refilled at the
/// budget's rate and spent by that work, admits a request only while positive. Every [`WINDOW`] the
/// watcher ([`watch`]) measures how busy the core was and how much of it went to served requests;
/// the rest (reading and refusing requests, accepting connections, the log and store threads, a
/// neighbour's load) is what refusing costs, and the budget is what it leaves below [`TARGET_BUSY`]. So
/// at twice the capacity the runner serves what it can beside the refusals, and the queue in the sockets
/// stays a window's worth at most, instead of flipping between serving everything and refusing
/// everything.
pub struct WorkBudget {
    epoch: Instant,
    crowded: AtomicBool,
    /// The share of the core served requests may use, in millionths.
    budget_ppm: AtomicU64,
    /// Nanoseconds of work that may still be admitted (negative: overspent).
    credit_ns: AtomicI64,
    /// When the credit was last refilled, in nanoseconds since `epoch`.
    refilled_ns: AtomicU64,
    /// Nanoseconds spent polling admitted requests, ever.
    served_ns: AtomicU64,
}

impl Default for WorkBudget {
    fn default() -> Self {
        WorkBudget {
            epoch: Instant::now(),
            crowded: AtomicBool::new(false),
            budget_ppm: AtomicU64::new(to_ppm(TARGET_BUSY)),
            credit_ns: AtomicI64::new(0),
            refilled_ns: AtomicU64::new(0),
            served_ns: AtomicU64::new(0),
        }
    }
}

fn to_ppm(share: f64) -> u64 {
    (share.clamp(0.0, 1.0) * 1e6) as u64
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl WorkBudget {
    /// Whether one more API request may be served now.
    pub fn admit(&self) -> bool {
        if !self.crowded.load(Relaxed) {
            return true;
        }
        let now = nanos(self.epoch.elapsed());
        let since = now.saturating_sub(self.refilled_ns.swap(now, Relaxed));
        let refill = i64::try_from(since.saturating_mul(self.budget_ppm.load(Relaxed)) / 1_000_000).unwrap_or(i64::MAX);
        let cap = nanos(MAX_CREDIT) as i64;
        let credit = self.credit_ns.fetch_add(refill, Relaxed).saturating_add(refill);
        if credit > cap {
            self.credit_ns.store(cap, Relaxed);
        }
        credit > 0
    }

    /// The share of the core served requests may use now (1.0 while not crowded).
    pub fn budget(&self) -> f64 {
        if self.crowded.load(Relaxed) { self.budget_ppm.load(Relaxed) as f64 / 1e6 } else { 1.0 }
    }

    /// The time spent serving admitted requests, ever.
    pub fn served(&self) -> Duration {
        Duration::from_nanos(self.served_ns.load(Relaxed))
    }

    /// Runs `work`, charging the time spent in its polls to the budget.
    pub async fn metered<F: Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        std::future::poll_fn(|cx| {
            let started = Instant::now();
            let poll = work.as_mut().poll(cx);
            self.charge(started.elapsed());
            poll
        })
        .await
    }

    fn charge(&self, spent: Duration) {
        let ns = nanos(spent);
        self.served_ns.fetch_add(ns, Relaxed);
        self.credit_ns.fetch_sub(i64::try_from(ns).unwrap_or(i64::MAX), Relaxed);
    }

    /// Sets the budget for the next window from the last one's measures: `busy`, the share of the core
    /// used, and `served`, the share that went to admitted requests ([`watch`] calls it every window).
    pub fn set(&self, busy: f64, served: f64) {
        let budget = (TARGET_BUSY - (busy - served).max(0.0)).max(MIN_BUDGET);
        self.budget_ppm.store(to_ppm(budget), Relaxed);
    }

    /// Whether many connections are open ([`watch`] tells it every few milliseconds). Crowding starts
    /// with no credit saved up and at most [`ONSET_BUDGET`]: what refusing will cost is not measured yet,
    /// and a wave of new connections costs more than requests on open ones.
    pub fn crowd(&self, crowded: bool) {
        if crowded && !self.crowded.load(Relaxed) {
            self.credit_ns.store(0, Relaxed);
            self.refilled_ns.store(nanos(self.epoch.elapsed()), Relaxed);
            self.budget_ppm.fetch_min(to_ppm(ONSET_BUDGET), Relaxed);
        }
        self.crowded.store(crowded, Relaxed);
    }
}

/// CPU time used by the whole process (every thread: the runtime's, the store writer's, the log
/// writer's).
fn process_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the clock id is a constant the kernel knows.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}

/// Measures, forever, how much later than asked a short sleep wakes up — the time a task waits for the
/// CPU — and records in `lag_us` the lag that counts against admission (none beyond [`MAX_LAG`] with at
/// most [`CROWDED_CONNECTIONS`] tasks alive); and, every [`WINDOW`], how busy the core was and how much
/// of it served requests took, from which it sets `budget` for the next window. Spawned by `serve`.
pub async fn watch(lag_us: Arc<AtomicU64>, budget: Arc<WorkBudget>) {
    const PERIOD: Duration = Duration::from_millis(5);
    let metrics = tokio::runtime::Handle::current().metrics();
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let busy = |m: &tokio::runtime::RuntimeMetrics| (0..m.num_workers()).map(|w| m.worker_total_busy_duration(w)).sum::<Duration>();
    let (mut window_start, mut busy_before, mut cpu_before, mut served_before) =
        (Instant::now(), busy(&metrics), process_cpu(), budget.served());
    loop {
        let asked = Instant::now();
        tokio::time::sleep(PERIOD).await;
        let late = asked.elapsed().saturating_sub(PERIOD);
        let crowded = metrics.num_alive_tasks() > CROWDED_CONNECTIONS;
        budget.crowd(crowded);
        let elapsed = window_start.elapsed();
        if elapsed >= WINDOW {
            let (busy_now, cpu_now, served_now) = (busy(&metrics), process_cpu(), budget.served());
            let wall = elapsed.as_secs_f64();
            // The runtime's workers count the time they were busy, taken from them or not; the process's
            // CPU time counts its other threads too. Whichever is larger is how loaded the core was.
            let workers = (busy_now - busy_before).as_secs_f64() / (wall * metrics.num_workers() as f64);
            let process = (cpu_now - cpu_before).as_secs_f64() / (wall * cores);
            let served = served_now.saturating_sub(served_before).as_secs_f64() / (wall * cores);
            let load = workers.max(process).min(1.0);
            let was = budget.budget();
            budget.set(load, served);
            if crowded && (budget.budget() - was).abs() >= 0.1 {
                tracing::debug!(load, served, budget = budget.budget(), tasks = metrics.num_alive_tasks(), "admission budget");
            }
            (window_start, busy_before, cpu_before, served_before) = (Instant::now(), busy_now, cpu_now, served_now);
        }
        let lag = if crowded { late } else { late.min(MAX_LAG) };
        lag_us.store(u64::try_from(lag.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_quiet_everything_is_admitted() {
        let b = WorkBudget::default();
        for _ in 0..1000 {
            b.charge(Duration::from_millis(1));
            assert!(b.admit());
        }
    }

    #[test]
    fn while_crowded_the_served_work_follows_the_budget() {
        let b = WorkBudget::default();
        // Crowding begins: at most the onset budget until a window is measured.
        b.crowd(true);
        assert!((b.budget() - ONSET_BUDGET).abs() < 1e-9, "{}", b.budget());
        // A core fully busy, none of it serving: refusing costs it all, the least budget is left.
        b.set(1.0, 0.0);
        assert!((b.budget() - MIN_BUDGET).abs() < 1e-9, "{}", b.budget());
        // Half busy, a quarter serving: the target less the 0.25 that was not serving.
        b.set(0.5, 0.25);
        assert!((b.budget() - (TARGET_BUSY - 0.25)).abs() < 1e-9, "{}", b.budget());
        // Work of 200 µs each over about 50 ms: what the budget's rate allows, no more.
        let started = Instant::now();
        let mut admitted = Duration::ZERO;
        while started.elapsed() < Duration::from_millis(50) {
            if b.admit() {
                b.charge(Duration::from_micros(200));
                admitted += Duration::from_micros(200);
            }
        }
        let allowed = started.elapsed().mul_f64(TARGET_BUSY - 0.25) + MAX_CREDIT + Duration::from_micros(200);
        assert!(admitted <= allowed, "admitted {admitted:?}, allowed {allowed:?}");
        assert!(admitted >= Duration::from_millis(5), "the budget admits work: {admitted:?}");
        // Not crowded any more: everything again.
        b.crowd(false);
        b.charge(Duration::from_secs(1));
        assert!(b.admit() && b.budget() == 1.0);
    }

    #[tokio::test]
    async fn metered_work_is_charged_for_its_polls_only() {
        let b = WorkBudget::default();
        b.metered(async {
            std::thread::sleep(Duration::from_millis(3));
            tokio::time::sleep(Duration::from_millis(300)).await;
            std::thread::sleep(Duration::from_millis(3));
        })
        .await;
        // The two busy spells, not the 300 ms spent waiting between them.
        let served = b.served();
        assert!(served >= Duration::from_millis(6) && served < Duration::from_millis(200), "{served:?}");
    }
}
