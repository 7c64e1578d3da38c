//! The route table: every public API route, the function that serves it in AWS, and the operation it
//! names. Everything that routes derives from [`ROUTES`]:
//! - the local runner's dispatcher (`src/router.rs`) resolves a request with [`resolve`];
//! - a function serving several routes (`me`, `withdraw`, `moderate`) picks its operation with
//!   [`Operation::of`], never by comparing path strings;
//! - tests check that `infra/template.yaml` has exactly these routes, each on its function, and that
//!   the OpenAPI document describes exactly these (`tests/infra.rs`, `tests/api.rs`).

use std::collections::HashMap;

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
    ContactListing,
    ClaimTicket,
    ReturnTicket,
    PublishPoll,
    ListPolls,
    Vote,
    ClosePoll,
    VerifyCommunity,
}

impl Function {
    /// The function's package folder under `functions/`.
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
            Function::ContactListing => "contact-listing",
            Function::ClaimTicket => "claim-ticket",
            Function::ReturnTicket => "return-ticket",
            Function::PublishPoll => "publish-poll",
            Function::ListPolls => "list-polls",
            Function::Vote => "vote",
            Function::ClosePoll => "close-poll",
            Function::VerifyCommunity => "verify-community",
        }
    }
}

/// What a route does: one per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Register,
    Confirm,
    ExportMe,
    EraseMe,
    Taxonomy,
    PostOffer,
    WithdrawOffer,
    PostRequest,
    WithdrawRequest,
    SearchBusinesses,
    SearchListings,
    OpenApi,
    Stats,
    ModerationQueue,
    ModerationRun,
    DecideMatch,
    DecidePerk,
    DecideContact,
    ContactListing,
    ClaimTicket,
    ReturnTicket,
    PublishPoll,
    ListPolls,
    Vote,
    ClosePoll,
    VerifyCommunity,
}

/// A public API route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// `{name}` stands for one path segment, as in the template and the OpenAPI document.
    pub path: &'static str,
    pub function: Function,
    pub operation: Operation,
}

const fn route(method: &'static str, path: &'static str, function: Function, operation: Operation) -> Route {
    Route { method, path, function, operation }
}

/// Every public API route, as the HTTP API in AWS has them.
pub const ROUTES: &[Route] = &[
    route("POST", "/api/register", Function::Register, Operation::Register),
    route("POST", "/api/confirm", Function::ConfirmAndPurge, Operation::Confirm),
    route("GET", "/api/me", Function::Me, Operation::ExportMe),
    route("DELETE", "/api/me", Function::Me, Operation::EraseMe),
    route("POST", "/api/me/community-verification", Function::VerifyCommunity, Operation::VerifyCommunity),
    route("GET", "/api/taxonomy", Function::Taxonomy, Operation::Taxonomy),
    route("POST", "/api/offers", Function::PostOffer, Operation::PostOffer),
    route("DELETE", "/api/offers/{id}", Function::Withdraw, Operation::WithdrawOffer),
    route("POST", "/api/requests", Function::PostRequest, Operation::PostRequest),
    route("DELETE", "/api/requests/{id}", Function::Withdraw, Operation::WithdrawRequest),
    route("GET", "/api/businesses", Function::ListBusinesses, Operation::SearchBusinesses),
    route("POST", "/api/businesses/{id}/claims", Function::ClaimTicket, Operation::ClaimTicket),
    route("DELETE", "/api/claims/{id}", Function::ReturnTicket, Operation::ReturnTicket),
    route("GET", "/api/polls", Function::ListPolls, Operation::ListPolls),
    route("POST", "/api/polls", Function::PublishPoll, Operation::PublishPoll),
    route("POST", "/api/polls/{id}/vote", Function::Vote, Operation::Vote),
    route("POST", "/api/polls/{id}/close", Function::ClosePoll, Operation::ClosePoll),
    route("GET", "/api/listings", Function::ListListings, Operation::SearchListings),
    route("POST", "/api/listings/{id}/contact", Function::ContactListing, Operation::ContactListing),
    route("GET", "/api/openapi.json", Function::OpenApi, Operation::OpenApi),
    route("GET", "/api/stats", Function::Stats, Operation::Stats),
    route("GET", "/api/moderation", Function::Moderate, Operation::ModerationQueue),
    route("POST", "/api/moderation/run", Function::Moderate, Operation::ModerationRun),
    route("POST", "/api/moderation/matches/{id}", Function::Moderate, Operation::DecideMatch),
    route("POST", "/api/moderation/perks/{id}", Function::Moderate, Operation::DecidePerk),
    route("POST", "/api/moderation/contacts/{id}", Function::Moderate, Operation::DecideContact),
];

/// Every function that serves a route (the scheduled `match` serves none).
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
    Function::ContactListing,
    Function::ClaimTicket,
    Function::ReturnTicket,
    Function::PublishPoll,
    Function::ListPolls,
    Function::Vote,
    Function::ClosePoll,
    Function::VerifyCommunity,
];

/// Where a request goes.
#[derive(Debug)]
pub enum Resolved {
    /// The route, and the path's parameters (`id` for `/api/offers/{id}`).
    Found(&'static Route, HashMap<String, String>),
    /// The path exists with other methods (for `405` and its `Allow` header).
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

/// Resolves a method and a path against [`ROUTES`].
pub fn resolve(method: &str, path: &str) -> Resolved {
    let mut allowed = Vec::new();
    for r in ROUTES {
        if let Some(params) = match_path(r.path, path) {
            if r.method.eq_ignore_ascii_case(method) {
                return Resolved::Found(r, params);
            }
            allowed.push(r.method);
        }
    }
    if allowed.is_empty() { Resolved::NotFound } else { Resolved::MethodNotAllowed(allowed) }
}

impl Operation {
    /// The operation a request names, from its method and path (the same in AWS, where the HTTP API
    /// passes the path unchanged, and in the local runner).
    pub fn of(method: &str, path: &str) -> Option<Operation> {
        match resolve(method, path) {
            Resolved::Found(r, _) => Some(r.operation),
            _ => None,
        }
    }
}

/// Matches `path` against a pattern where `{name}` stands for one non-empty segment; returns the parameters.
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
    fn every_function_has_a_route_and_every_route_one_operation() {
        for &f in FUNCTIONS {
            assert!(ROUTES.iter().any(|r| r.function == f), "{f:?}");
        }
        for (i, r) in ROUTES.iter().enumerate() {
            assert!(ROUTES[i + 1..].iter().all(|o| o.operation != r.operation && (o.method, o.path) != (r.method, r.path)), "{r:?}");
        }
    }

    #[test]
    fn requests_resolve_to_their_operation() {
        assert_eq!(Operation::of("POST", "/api/moderation/matches/01J"), Some(Operation::DecideMatch));
        assert_eq!(Operation::of("POST", "/api/moderation/run"), Some(Operation::ModerationRun));
        assert_eq!(Operation::of("DELETE", "/api/requests/01J"), Some(Operation::WithdrawRequest));
        assert_eq!(Operation::of("DELETE", "/api/me"), Some(Operation::EraseMe));
        assert!(matches!(resolve("PUT", "/api/me"), Resolved::MethodNotAllowed(m) if m == ["GET", "DELETE"]));
        assert!(matches!(resolve("GET", "/api/nothing"), Resolved::NotFound));
    }
}
