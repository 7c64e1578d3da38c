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
use std::time::Instant;

pub use shared::routes::{FUNCTIONS, Function, ROUTES, Route};

use crate::admission::WorkBudget;
pub use crate::admission::{CROWDED_CONNECTIONS, MAX_IN_FLIGHT, MAX_LAG};

/// What the router shares with every request.
#[derive(Clone)]
pub struct AppState {
    pub deps: Arc<Deps>,
    /// The local outbox, when mail is not going to an SES endpoint.
    pub outbox: Option<Outbox>,
    /// One permit per API request being served.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The runtime's last measured lag, in microseconds ([`crate::admission::watch`]).
    pub lag_us: Arc<AtomicU64>,
    /// The CPU time served requests may use while the runner is crowded ([`crate::admission::watch`]).
    pub budget: Arc<WorkBudget>,
}

impl AppState {
    pub fn new(deps: Arc<Deps>, outbox: Option<Outbox>) -> Self {
        AppState {
            deps,
            outbox,
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            lag_us: Arc::default(),
            budget: Arc::default(),
        }
    }
}

/// The whole local application.
pub fn app(state: AppState) -> Router {
    // The front end's files, compressed (brotli or gzip, as the browser accepts; images as they are),
    // as CloudFront compresses them in AWS. The API is not: its answers are small, and its CPU is for
    // the crisis-day burst.
    let shell = Router::new()
        .route("/", get(crate::pages::index))
        .route("/link", get(crate::pages::link))
        .route("/assets/{file}", get(crate::pages::asset))
        .route("/assets/icons/{file}", get(crate::pages::icon))
        .route("/assets/{version}/{file}", get(crate::pages::versioned_asset))
        .route("/assets/{version}/icons/{file}", get(crate::pages::versioned_icon))
        .route("/sw.js", get(crate::pages::service_worker))
        .route("/manifest.webmanifest", get(crate::pages::manifest_fr))
        .route("/manifest-en.webmanifest", get(crate::pages::manifest_en))
        .route("/favicon.ico", get(crate::pages::favicon))
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .merge(shell)
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
    // Held until the answer is built; none left, a runtime running late, or a spent CPU budget means the
    // server is at capacity (crate::admission).
    let admitted = state.lag_us.load(Relaxed) <= MAX_LAG.as_micros() as u64 && state.budget.admit();
    let permit = if admitted { state.in_flight.clone().try_acquire_owned().ok() } else { None };
    let Some(_permit) = permit else {
        // The (small) body is read before refusing: a request left unread closes its connection, and
        // under overload every refused client reconnecting costs more than the refusal itself.
        let _ = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
        return json_error(&AppError::Overloaded);
    };
    state.budget.metered(serve_api(&state, req, path, started)).await
}

/// Serves an admitted `/api/…` request.
async fn serve_api(state: &AppState, req: Request<AxumBody>, path: String, started: Instant) -> Response<AxumBody> {
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
        Function::ContactListing => contact_listing::handler::handle(deps, lambda_req).await,
        Function::ClaimTicket => claim_ticket::handler::handle(deps, lambda_req).await,
        Function::ReturnTicket => return_ticket::handler::handle(deps, lambda_req).await,
        Function::PublishPoll => publish_poll::handler::handle(deps, lambda_req).await,
        Function::ListPolls => list_polls::handler::handle(deps, lambda_req).await,
        Function::Vote => vote::handler::handle(deps, lambda_req).await,
        Function::VerifyCommunity => verify_community::handler::handle(deps, lambda_req).await,
        Function::ClosePoll => close_poll::handler::handle(deps, lambda_req).await,
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
