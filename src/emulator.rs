//! A Lambda Runtime API emulator: what a Lambda execution environment offers a custom runtime
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`, `/init/error`), so a
//! function's real binary can be started and fed events on this machine. Used by
//! `tests/runtime_interface.rs` (every function answers its sample events) and by the cold-start
//! benchmark (`benches/cold_start.rs`). Not part of the local runner's serving path.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};

/// What the function answered to one event.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

#[derive(Clone)]
struct Emulator {
    queue: Arc<Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    results: Arc<Mutex<HashMap<String, Outcome>>>,
    init_error: Arc<Mutex<Option<String>>>,
    /// When the function first asked for an event: its initialisation (Lambda's "Init Duration") ended.
    first_next: Arc<std::sync::OnceLock<Instant>>,
}

async fn next(State(e): State<Emulator>) -> impl IntoResponse {
    let _ = e.first_next.set(Instant::now());
    let Some((id, event)) = e.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() + 30_000;
    if let (Ok(id), Ok(deadline)) = (HeaderValue::from_str(&id), HeaderValue::from_str(&deadline.to_string())) {
        headers.insert("lambda-runtime-aws-request-id", id);
        headers.insert("lambda-runtime-deadline-ms", deadline);
    }
    headers
        .insert("lambda-runtime-invoked-function-arn", HeaderValue::from_static("arn:aws:lambda:eu-west-3:123456789012:function:entraide"));
    headers.insert("lambda-runtime-trace-id", HeaderValue::from_static("Root=1-00000000-000000000000000000000000;Sampled=0"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, event.to_string())
}

async fn response(State(e): State<Emulator>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into_owned()));
    e.results.lock().await.insert(id, Outcome::Response(value));
    StatusCode::ACCEPTED
}

async fn error(State(e): State<Emulator>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    e.results.lock().await.insert(id, Outcome::Error(value));
    StatusCode::ACCEPTED
}

async fn init_error(State(e): State<Emulator>, body: Bytes) -> StatusCode {
    *e.init_error.lock().await = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One function process with its own emulator.
pub struct LambdaProcess {
    name: String,
    child: tokio::process::Child,
    events: mpsc::UnboundedSender<(String, Value)>,
    emulator: Emulator,
    started: Instant,
    log: std::path::PathBuf,
}

impl LambdaProcess {
    /// Starts `bin` as Lambda would: the runtime API address and the function's settings in its
    /// environment (only those and `env`), its output in `log`.
    pub async fn start(bin: &std::path::Path, name: &str, env: &[(&str, String)], log: &std::path::Path) -> std::io::Result<LambdaProcess> {
        let (tx, rx) = mpsc::unbounded_channel();
        let emulator =
            Emulator { queue: Arc::new(Mutex::new(rx)), results: Arc::default(), init_error: Arc::default(), first_next: Arc::default() };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(emulator.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api = listener.local_addr()?.to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut cmd = tokio::process::Command::new(bin);
        cmd.env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/21/[$LATEST]local")
            .env("AWS_REGION", "eu-west-3");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let file = std::fs::File::create(log)?;
        let started = Instant::now();
        let child = cmd.stdout(Stdio::from(file.try_clone()?)).stderr(Stdio::from(file)).kill_on_drop(true).spawn()?;
        Ok(LambdaProcess { name: name.to_owned(), child, events: tx, emulator, started, log: log.to_owned() })
    }

    /// When the process was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// When the process first asked for an event (its initialisation was over), if it has.
    pub fn initialised(&self) -> Option<Instant> {
        self.emulator.first_next.get().copied()
    }

    /// The process's peak resident memory so far in MiB (Linux `VmHWM`), if it can be read.
    pub fn peak_memory_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb / 1024.0)
    }

    /// Sends one event and waits (up to a minute) for the answer; `Err` with the function's log if it
    /// failed to start or did not answer.
    pub async fn invoke(&self, event: Value) -> Result<Outcome, String> {
        let id = format!("req-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        self.events.send((id.clone(), event)).map_err(|_| format!("{}: the emulator stopped", self.name))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(o) = self.emulator.results.lock().await.remove(&id) {
                return Ok(o);
            }
            let log = || std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(e) = self.emulator.init_error.lock().await.clone() {
                return Err(format!("{} failed to start: {e}\n{}", self.name, log()));
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not answer; its log:\n{}", self.name, log()));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stops the process; returns everything it logged.
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
