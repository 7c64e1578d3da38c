//! Logging setup. Lambda functions log JSON lines (CloudWatch); the local runner logs compact text.
//!
//! What is logged is ids, codes, counts and durations — never an e-mail, a name, a postal code, a phone
//! number or a token (domain types print `<redacted>`; a test scans a full run's output).
//!
//! The local runner writes its lines off the request path: a request formats its line and hands it to a
//! bounded queue; one thread writes whatever has queued up with one buffered write and flushes when the
//! queue is empty. Beyond [`LOG_QUEUE_LINES`] waiting lines (a disk or a terminal slower than a burst),
//! lines are dropped rather than making requests wait, and [`dropped_lines`] counts them. Lambda keeps
//! writing synchronously: a frozen execution environment must not hold lines that were never written.

use std::io::{BufWriter, IsTerminal};
use std::sync::OnceLock;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Log lines the local runner keeps waiting for its writer at most.
pub const LOG_QUEUE_LINES: usize = 65_536;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// JSON logs for Lambda.
pub fn init_lambda() {
    let _ =
        tracing_subscriber::fmt().json().with_env_filter(filter()).with_current_span(false).with_ansi(false).with_target(false).try_init();
}

/// Human-readable logs on stderr for the local runner, written by their own thread. Keep the guard for the
/// life of the process: dropping it writes what is still queued.
pub fn init_local() -> WorkerGuard {
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) =
        NonBlockingBuilder::default().buffered_lines_limit(LOG_QUEUE_LINES).lossy(true).finish(BufWriter::new(std::io::stderr()));
    let _ = DROPPED.set(writer.error_counter());
    let _ = tracing_subscriber::fmt().compact().with_env_filter(filter()).with_writer(writer).with_ansi(ansi).with_target(false).try_init();
    guard
}

/// Lines the local runner dropped because its log writer was behind (0 when logging is synchronous).
pub fn dropped_lines() -> usize {
    DROPPED.get().map_or(0, ErrorCounter::dropped_lines)
}
