//! Group commit on one SQLite connection: the embedded store's writes and the local outbox's.
//!
//! Writers hand a closure to one writer thread through a bounded queue. The thread takes every job
//! waiting (up to [`BATCH`]) into one `BEGIN IMMEDIATE` transaction, each job in its own savepoint — a
//! failed job rolls back only itself, and later jobs see exactly what earlier ones wrote, as if run one
//! after the other — and commits them with one fsync. A job is answered only once its batch is
//! committed. A full queue is refused at once rather than waited on.

use rusqlite::Connection;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// Jobs committed together at most.
pub const BATCH: usize = 256;
/// Jobs waiting for the writer at most; beyond, writes are refused.
pub const QUEUE: usize = 4096;

/// The errors of a group writer's user.
pub trait GroupError: Clone + Send + 'static {
    fn sqlite(e: rusqlite::Error) -> Self;
    /// The queue is full: try again shortly.
    fn busy() -> Self;
    /// The writer thread is gone.
    fn stopped() -> Self;
}

/// What a job computes inside its savepoint (a count it returns, e.g. rows deleted).
pub type Apply<E> = Box<dyn FnOnce(&Connection) -> Result<i64, E> + Send>;

struct Job<E> {
    apply: Apply<E>,
    reply: tokio::sync::oneshot::Sender<Result<i64, E>>,
}

/// The sending side of a writer thread. Cheap to clone; the thread ends with the last clone.
pub struct GroupWriter<E> {
    jobs: SyncSender<Job<E>>,
    commits: Arc<AtomicUsize>,
}

impl<E> Clone for GroupWriter<E> {
    fn clone(&self) -> Self {
        GroupWriter { jobs: self.jobs.clone(), commits: self.commits.clone() }
    }
}

impl<E: GroupError> GroupWriter<E> {
    /// Starts the writer thread on `conn` (which readers may share: it is locked per batch).
    pub fn start(name: &str, conn: Arc<Mutex<Connection>>) -> Self {
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE);
        let commits = Arc::new(AtomicUsize::new(0));
        let counted = commits.clone();
        std::thread::Builder::new().name(name.into()).spawn(move || write_loop(&conn, &queue, &counted)).expect("the writer thread starts");
        GroupWriter { jobs, commits }
    }

    /// Runs `apply` in the next batch; answers once that batch is committed.
    pub async fn write(&self, apply: Apply<E>) -> Result<i64, E> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        match self.jobs.try_send(Job { apply, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(E::busy()),
            Err(TrySendError::Disconnected(_)) => return Err(E::stopped()),
        }
        answer.await.map_err(|_| E::stopped())?
    }

    /// Batches written so far (one SQLite transaction and one fsync each), however many jobs each held.
    pub fn commits(&self) -> usize {
        self.commits.load(Relaxed)
    }
}

fn write_loop<E: GroupError>(conn: &Mutex<Connection>, queue: &Receiver<Job<E>>, commits: &AtomicUsize) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (applies, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.apply, j.reply)).unzip();
        let results = match conn.lock() {
            Ok(conn) => commit_batch(&conn, applies),
            Err(_) => replies.iter().map(|_| Err(E::stopped())).collect(),
        };
        commits.fetch_add(1, Relaxed);
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that gave up is no reason to stop.
            let _ = reply.send(result);
        }
    }
}

/// Each job in its own savepoint of one transaction, then the commit: each job's own result (a failed
/// one wrote nothing), or an error for every job if the transaction cannot be committed.
fn commit_batch<E: GroupError>(conn: &Connection, applies: Vec<Apply<E>>) -> Vec<Result<i64, E>> {
    let n = applies.len();
    let all_fail = |e: rusqlite::Error| {
        let e = E::sqlite(e);
        (0..n).map(|_| Err(e.clone())).collect()
    };
    if let Err(e) = run(conn, "BEGIN IMMEDIATE") {
        return all_fail(e);
    }
    let mut results = Vec::with_capacity(n);
    for apply in applies {
        if let Err(e) = run(conn, "SAVEPOINT one") {
            let _ = run(conn, "ROLLBACK");
            return all_fail(e);
        }
        let result = apply(conn);
        let closed =
            if result.is_ok() { run(conn, "RELEASE one") } else { run(conn, "ROLLBACK TO one").and_then(|()| run(conn, "RELEASE one")) };
        if let Err(e) = closed {
            // The transaction cannot go on: nothing of this batch is written.
            let _ = run(conn, "ROLLBACK");
            return all_fail(e);
        }
        results.push(result);
    }
    if let Err(e) = run(conn, "COMMIT") {
        let _ = run(conn, "ROLLBACK");
        let e = E::sqlite(e);
        return results.into_iter().map(|r| r.and(Err(e.clone()))).collect();
    }
    results
}

/// One statement of the batch's frame, prepared once per connection (parsing them for every job was a
/// tenth of a burst's CPU).
fn run(conn: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}
