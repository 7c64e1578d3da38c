//! The route table and the dispatcher from axum to the functions' `lambda_http` handlers.

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::routing::get;
use lambda_http::RequestExt;
use shared::deps::Deps;
use shared::error::AppError;
use shared::http::MAX_BODY_BYTES;
use shared::mail::outbox::Outbox;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Which function serves a route. Each is one Lambda in AWS (`functions/<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Register,
    ConfirmAndPurge,
    Me,
    Taxonomy,
    PostOffer,
    PostRequest,
    Withdraw,
    ListBusinesses,
    ListListings,
    OpenApi,
    Moderate,
    Stats,
}

impl Function {
    /// The function's package name under `functions/`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Register => "register",
            Function::ConfirmAndPurge => "confirm-and-purge",
            Function::Me => "me",
            Function::Taxonomy => "taxonomy",
            Function::PostOffer => "post-offer",
            Function::PostRequest => "post-request",
            Function::Withdraw => "withdraw",
            Function::ListBusinesses => "list-businesses",
            Function::ListListings => "list-listings",
            Function::OpenApi => "openapi",
            Function::Moderate => "moderate",
            Function::Stats => "stats",
        }
    }
}

/// A public API route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

/// Every public API route, as the HTTP API in AWS has them.
pub const ROUTES: &[Route] = &[
    Route { method: "POST", path: "/api/register", function: Function::Register },
    Route { method: "POST", path: "/api/confirm", function: Function::ConfirmAndPurge },
    Route { method: "GET", path: "/api/me", function: Function::Me },
    Route { method: "DELETE", path: "/api/me", function: Function::Me },
    Route { method: "GET", path: "/api/taxonomy", function: Function::Taxonomy },
    Route { method: "POST", path: "/api/offers", function: Function::PostOffer },
    Route { method: "DELETE", path: "/api/offers/{id}", function: Function::Withdraw },
    Route { method: "POST", path: "/api/requests", function: Function::PostRequest },
    Route { method: "DELETE", path: "/api/requests/{id}", function: Function::Withdraw },
    Route { method: "GET", path: "/api/businesses", function: Function::ListBusinesses },
    Route { method: "GET", path: "/api/listings", function: Function::ListListings },
    Route { method: "GET", path: "/api/openapi.json", function: Function::OpenApi },
    Route { method: "GET", path: "/api/stats", function: Function::Stats },
    Route { method: "GET", path: "/api/moderation", function: Function::Moderate },
    Route { method: "POST", path: "/api/moderation/run", function: Function::Moderate },
    Route { method: "POST", path: "/api/moderation/matches/{id}", function: Function::Moderate },
    Route { method: "POST", path: "/api/moderation/perks/{id}", function: Function::Moderate },
];

/// Every function, for checks that each has a route, an event and a place in the SAM template.
pub const FUNCTIONS: &[Function] = &[
    Function::Register,
    Function::ConfirmAndPurge,
    Function::Me,
    Function::Taxonomy,
    Function::PostOffer,
    Function::PostRequest,
    Function::Withdraw,
    Function::ListBusinesses,
    Function::ListListings,
    Function::OpenApi,
    Function::Moderate,
    Function::Stats,
];

/// Matches `path` against a pattern where `{name}` stands for one segment; returns the parameters.
fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let (p, a): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    if p.len() != a.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (p, a) in p.iter().zip(a.iter()) {
        if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            if a.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), (*a).to_owned());
        } else if p != a {
            return None;
        }
    }
    Some(params)
}

/// What the router shares with every request.
#[derive(Clone)]
pub struct AppState {
    pub deps: Arc<Deps>,
    /// The local outbox, when mail is not going to an SES endpoint.
    pub outbox: Option<Outbox>,
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
    resp
}

/// Sends an `/api/…` request to the function that owns its route.
async fn dispatch(State(state): State<AppState>, req: Request<AxumBody>) -> Response<AxumBody> {
    let started = Instant::now();
    let path = req.uri().path().to_owned();
    if !path.starts_with("/api/") {
        return crate::pages::not_found();
    }
    let matching: Vec<(&Route, HashMap<String, String>)> =
        ROUTES.iter().filter_map(|r| match_path(r.path, &path).map(|p| (r, p))).collect();
    let Some((route, params)) = matching.iter().find(|(r, _)| r.method == req.method().as_str()).cloned() else {
        let err = if matching.is_empty() {
            AppError::NotFound { code: "not_found", message: "no such API route".into() }
        } else {
            AppError::MethodNotAllowed
        };
        // The path may hold ids only, but it is not logged: a mistyped route could hold anything.
        tracing::info!(method = %req.method(), status = err.status(), "unknown route");
        let mut resp = json_error(&err);
        if err.status() == 405 {
            let allow: Vec<&str> = matching.iter().map(|(r, _)| r.method).collect();
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                resp.headers_mut().insert("allow", v);
            }
        }
        return resp;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(match_path("/api/me", "/api/me").is_some());
        assert!(match_path("/api/me", "/api/me/").is_none());
        assert!(match_path("/api/me", "/api/mex").is_none());
        let p = match_path("/api/offers/{id}", "/api/offers/01J").unwrap();
        assert_eq!(p["id"], "01J");
        assert!(match_path("/api/offers/{id}", "/api/offers/").is_none());
    }

    #[test]
    fn every_function_has_a_route() {
        for &f in FUNCTIONS {
            assert!(ROUTES.iter().any(|r| r.function == f), "{f:?}");
        }
    }
}
