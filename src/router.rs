//! The dispatcher from axum to the functions' `lambda_http` handlers, over the route table of
//! `shared::routes`.

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::routing::get;
use lambda_http::RequestExt;
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::http::MAX_BODY_BYTES;
use shared::mail::outbox::Outbox;
use shared::routes::{Resolved, resolve};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

pub use shared::routes::{FUNCTIONS, Function, ROUTES, Route};

/// API requests served at once at most: beyond, a request is refused at once (`503 overloaded`,
/// `Retry-After`) rather than queued, so that those accepted keep their latency.
pub const MAX_IN_FLIGHT: usize = 512;

/// How late the runtime may run a task before API requests are refused (`503 overloaded`): the in-flight
/// limit cannot see requests that wait for the CPU before they are even read (a burst of searches, each
/// running to its end without waiting for anything), the scheduler's lag can, in part. Only with more
/// than [`SATURATED_CONNECTIONS`] connections open: with a few, a late wake-up is a hiccup (a slow disk,
/// a busy neighbour on the machine) that refusing a lone visitor's search would not relieve.
pub const MAX_LAG: Duration = Duration::from_millis(100);

/// Open connections (tasks, in fact) beyond which a saturated runtime refuses API requests. A request that
/// waits for the CPU mostly waits in its socket, unseen by the runtime's queue; what predicts its wait is
/// how many connections the one core serves in turn. A closed loop of 64 clients never comes near; idle
/// keep-alive connections do not count while the core has time to spare. At 1,024, twice the capacity
/// of searches (12,000 a second) left requests waiting past 2 s in most runs: the gate closed too late
/// (docs/PERFORMANCE.md, "Searches").
pub const SATURATED_CONNECTIONS: usize = 256;
/// The share of the last window the runtime's workers were busy for, at which it is saturated.
const SATURATED_BUSY: f64 = 0.95;

/// What the router shares with every request.
#[derive(Clone)]
pub struct AppState {
    pub deps: Arc<Deps>,
    /// The local outbox, when mail is not going to an SES endpoint.
    pub outbox: Option<Outbox>,
    /// One permit per API request being served.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The runtime's last measured lag, in microseconds ([`watch_lag`]).
    pub lag_us: Arc<AtomicU64>,
}

impl AppState {
    pub fn new(deps: Arc<Deps>, outbox: Option<Outbox>) -> Self {
        AppState { deps, outbox, in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)), lag_us: Arc::default() }
    }
}

/// Measures, forever, how much later than asked a short sleep wakes up — the time a task waits for the
/// CPU — and, every 100 ms, whether the workers were busy nearly all the time; records in `lag_us` the
/// lag that counts against admission: with at most [`SATURATED_CONNECTIONS`] tasks alive none beyond
/// [`MAX_LAG`]; with more, the lag, or, when saturated, a lag beyond [`MAX_LAG`] so that requests are
/// refused until the next window. Spawned by `serve`.
pub async fn watch_lag(lag_us: Arc<AtomicU64>) {
    const PERIOD: Duration = Duration::from_millis(5);
    const WINDOW: Duration = Duration::from_millis(100);
    let metrics = tokio::runtime::Handle::current().metrics();
    let busy = |m: &tokio::runtime::RuntimeMetrics| (0..m.num_workers()).map(|w| m.worker_total_busy_duration(w)).sum::<Duration>();
    let (mut window_start, mut busy_before, mut saturated) = (Instant::now(), busy(&metrics), false);
    loop {
        let asked = Instant::now();
        tokio::time::sleep(PERIOD).await;
        let late = asked.elapsed().saturating_sub(PERIOD);
        if window_start.elapsed() >= WINDOW {
            let busy_now = busy(&metrics);
            let share = (busy_now - busy_before).as_secs_f64() / (window_start.elapsed().as_secs_f64() * metrics.num_workers() as f64);
            saturated = share >= SATURATED_BUSY && metrics.num_alive_tasks() > SATURATED_CONNECTIONS;
            (window_start, busy_before) = (Instant::now(), busy_now);
        }
        let crowded = metrics.num_alive_tasks() > SATURATED_CONNECTIONS;
        let lag = match (crowded, saturated) {
            (false, _) => late.min(MAX_LAG),
            (true, true) => late.max(MAX_LAG + Duration::from_micros(1)),
            (true, false) => late,
        };
        lag_us.store(u64::try_from(lag.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }
}

/// The whole local application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(crate::pages::index))
        .route("/link", get(crate::pages::link))
        .route("/assets/{file}", get(crate::pages::asset))
        .route("/outbox", get(crate::pages::outbox_page))
        .route("/api/_local/outbox", get(crate::pages::outbox_json))
        .route("/api/_local/match", axum::routing::post(local_match))
        .fallback(dispatch)
        .with_state(state)
}

/// `POST /api/_local/match`: one matching run now; answers its summary.
async fn local_match(State(state): State<AppState>) -> Response<AxumBody> {
    match match_offers::handler::handle(&state.deps, serde_json::Value::Null).await {
        Ok(summary) => {
            let mut resp = Response::new(AxumBody::from(summary.to_string()));
            resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
            resp
        }
        Err(e) => {
            e.log();
            json_error(&e)
        }
    }
}

fn json_error(err: &AppError) -> Response<AxumBody> {
    let mut resp = Response::new(AxumBody::from(err.body().to_string()));
    *resp.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    if let Some(seconds) = err.retry_after() {
        resp.headers_mut().insert("retry-after", HeaderValue::from_static(seconds));
    }
    resp
}

/// Sends an `/api/…` request to the function that owns its route.
async fn dispatch(State(state): State<AppState>, req: Request<AxumBody>) -> Response<AxumBody> {
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    if !path.starts_with("/api/") {
        return crate::pages::not_found();
    }
    // Held until the answer is built; none left, or a runtime running late, means the server is at
    // capacity.
    let lagging = state.lag_us.load(Relaxed) > MAX_LAG.as_micros() as u64;
    let permit = if lagging { None } else { state.in_flight.clone().try_acquire_owned().ok() };
    let Some(_permit) = permit else {
        // The (small) body is read before refusing: a request left unread closes its connection, and
        // under overload every refused client reconnecting costs more than the refusal itself.
        let _ = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
        return json_error(&AppError::Overloaded);
    };
    let (route, params) = match resolve(req.method().as_str(), &path) {
        Resolved::Found(route, params) => (route, params),
        unknown => {
            let err = match unknown {
                Resolved::MethodNotAllowed(_) => AppError::MethodNotAllowed,
                _ => AppError::from(Refusal::NotFound(Missing::Route)),
            };
            // The path may hold ids only, but it is not logged: a mistyped route could hold anything.
            tracing::info!(method = %req.method(), status = err.status(), "unknown route");
            let mut resp = json_error(&err);
            if let Resolved::MethodNotAllowed(allow) = unknown
                && let Ok(v) = HeaderValue::from_str(&allow.join(", "))
            {
                resp.headers_mut().insert("allow", v);
            }
            return resp;
        }
    };
    let (parts, body) = req.into_parts();
    // Read one byte more than the limit to tell "at the limit" from "over it" without buffering more.
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
        Ok(b) if b.len() <= MAX_BODY_BYTES => b,
        _ => {
            return json_error(&AppError::PayloadTooLarge { limit: MAX_BODY_BYTES });
        }
    };
    let query: HashMap<String, Vec<String>> = parts.uri.query().map(parse_query).unwrap_or_default();
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(s) if s.is_empty() => lambda_http::Body::Empty,
        Ok(s) => lambda_http::Body::Text(s),
        Err(e) => lambda_http::Body::Binary(e.into_bytes()),
    };
    let lambda_req = lambda_http::Request::from_parts(parts, body).with_query_string_parameters(query).with_path_parameters(params);
    let deps = &state.deps;
    let resp = match route.function {
        Function::Register => register::handler::handle(deps, lambda_req).await,
        Function::ConfirmAndPurge => confirm_and_purge::handler::handle(deps, lambda_req).await,
        Function::Me => me::handler::handle(deps, lambda_req).await,
        Function::Taxonomy => taxonomy::handler::handle(lambda_req).await,
        Function::PostOffer => post_offer::handler::handle(deps, lambda_req).await,
        Function::PostRequest => post_request::handler::handle(deps, lambda_req).await,
        Function::Withdraw => withdraw::handler::handle(deps, lambda_req).await,
        Function::ListBusinesses => list_businesses::handler::handle(deps, lambda_req).await,
        Function::ListListings => list_listings::handler::handle(deps, lambda_req).await,
        Function::OpenApi => openapi::handler::handle(lambda_req).await,
        Function::Moderate => moderate::handler::handle(deps, lambda_req).await,
        Function::Stats => stats::handler::handle(deps, lambda_req).await,
    };
    let (parts, body) = resp.into_parts();
    tracing::info!(
        function = route.function.name(),
        method = route.method,
        route = route.path,
        status = parts.status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Response::from_parts(parts, AxumBody::from(body.to_vec()))
}

fn parse_query(q: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        map.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    map
}
