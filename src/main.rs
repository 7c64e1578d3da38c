//! `cargo run`: Entraide on http://127.0.0.1:3000 with no AWS — every function behind one router, the
//! front end, the outbox, the embedded store. `cargo run -- dump` prints every stored item.

use clap::{Parser, Subcommand};
use entraide::router::{AppState, app};
use entraide::setup::{local_config, local_deps, local_store};
use shared::config::ReviewMode;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "entraide", version, about = "Entraide, locally: every function behind one router, on an embedded store")]
struct Cli {
    /// Port to listen on (127.0.0.1 only).
    #[arg(long, env = "PORT", default_value_t = 3000, global = true)]
    port: u16,
    /// Where the embedded store, the outbox and the secret live.
    #[arg(long, default_value = ".entraide", global = true)]
    data_dir: PathBuf,
    /// How perks and matches are reviewed: `auto` (the local default) approves at once,
    /// `manual` waits for a moderator. Overrides MATCH_REVIEW.
    #[arg(long, value_parser = ["auto", "manual"], global = true)]
    review: Option<String>,
    /// Seconds between matching runs (0: only on demand, `POST /api/_local/match`).
    #[arg(long, default_value_t = 60, global = true)]
    match_every: u64,
    /// Load synthetic but realistic data (volunteers, requests, listings, perks) once into this data directory.
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform (the default).
    Serve,
    /// Print every stored item as one JSON line each (a privacy audit). The outbox is not part of it.
    Dump,
}

/// A request allocates and frees many small buffers (JSON values, keys, headers): with the system
/// allocator that was a fifth of a burst's CPU (docs/PERFORMANCE.md, "The write path under a burst").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Held to the end: dropping it writes the log lines still queued.
    let _log = shared::telemetry::init_local();
    let cli = Cli::parse();
    let review = cli.review.as_deref().map(|r| if r == "manual" { ReviewMode::Manual } else { ReviewMode::Auto });
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.port, cli.data_dir, review, cli.match_every, cli.demo).await,
        Command::Dump => dump(cli.port, cli.data_dir).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("entraide: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    port: u16,
    data_dir: PathBuf,
    review: Option<ReviewMode>,
    match_every: u64,
    demo: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    // Bind first: with `--port 0` the links in e-mails must carry the port actually chosen.
    let listener = listen(port)?;
    let addr = listener.local_addr()?;
    let (deps, outbox) = local_deps(&data_dir, addr.port(), review).await?;
    let deps = Arc::new(deps);
    if demo {
        let created = entraide::demo::load(&deps, &entraide::demo::DEFAULT_SIZE).await?;
        println!("Demo data: {created} synthetic members loaded (0: already there)");
    }
    // The embedded store's stand-in for DynamoDB TTL: expired items are physically removed every minute
    // (reads already ignore them).
    let sweeper = deps.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut dropped = 0;
        loop {
            tick.tick().await;
            let now_dropped = shared::telemetry::dropped_lines();
            if now_dropped > dropped {
                tracing::warn!(lines = now_dropped - dropped, "log lines dropped: the log writer fell behind");
                dropped = now_dropped;
            }
            match sweeper.store.sweep_expired(sweeper.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired items swept"),
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
    });
    // The local stand-in for the fold-stats schedule (every minute on AWS): the statistics page counts
    // events a few seconds after they happen.
    let folder = deps.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FOLD_EVERY);
        loop {
            tick.tick().await;
            match shared::stats::fold(&folder).await {
                Ok(f) if f.counted > 0 => tracing::debug!(counted = f.counted, "statistics folded"),
                Ok(_) => {}
                Err(e) => e.log(),
            }
        }
    });
    // The local stand-in for the EventBridge schedule.
    if match_every > 0 {
        let runner = deps.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(match_every));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = shared::matching::run::run(&runner).await {
                    e.log();
                }
            }
        });
    }
    let store_kind = if std::env::var("DYNAMODB_ENDPOINT").is_ok() { "dynamodb" } else { "embedded" };
    let mail_kind = if outbox.is_some() { "outbox" } else { "ses" };
    tracing::info!(store = store_kind, mail = mail_kind, "ready");
    // Tests read this line to learn the port when started with --port 0.
    println!("Entraide is listening on http://{addr} (outbox: http://{addr}/outbox)");
    let state = AppState::new(deps, outbox);
    tokio::spawn(entraide::admission::watch(state.lag_us.clone(), state.budget.clone()));
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// How often the runner folds the statistics tallies into the day counters.
const FOLD_EVERY: Duration = Duration::from_secs(2);

/// Connections waiting to be accepted at most. Beyond the listen queue the kernel drops a new connection's
/// handshake and the client tries again a second later, so a burst of new clients would wait seconds
/// before the server could even refuse them: the queue is as long as the kernel allows by default
/// (`net.core.somaxconn`, 4,096), not tokio's 1,024.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(LISTEN_BACKLOG)
}

async fn dump(port: u16, data_dir: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let config = local_config(port, None)?;
    let store = local_store(&data_dir, &config).await?;
    let mut out = std::io::stdout().lock();
    for item in store.dump().await? {
        let mut line = serde_json::Map::new();
        line.insert("pk".into(), item.key.pk.into());
        line.insert("sk".into(), item.key.sk.into());
        line.extend(item.attrs);
        std::io::Write::write_all(&mut out, format!("{}\n", serde_json::Value::Object(line)).as_bytes())?;
    }
    Ok(())
}
