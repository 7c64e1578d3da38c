//! Logging setup. Lambda functions log JSON lines (CloudWatch); the local runner logs compact text.
//!
//! What is logged is ids, codes, counts and durations — never an e-mail, a name, a postal code, a phone
//! number or a token (domain types print `<redacted>`; a test scans a full run's output).

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// JSON logs for Lambda.
pub fn init_lambda() {
    let _ =
        tracing_subscriber::fmt().json().with_env_filter(filter()).with_current_span(false).with_ansi(false).with_target(false).try_init();
}

/// Human-readable logs on stderr for the local runner.
pub fn init_local() {
    let _ = tracing_subscriber::fmt()
        .compact()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
