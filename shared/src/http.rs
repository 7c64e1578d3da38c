//! HTTP plumbing for `lambda_http` handlers: bodies parsed into typed structs with field-level errors,
//! JSON responses, the one place where an [`AppError`] becomes a response.

use crate::error::AppError;
use crate::json;
pub use crate::json::{MAX_BODY_BYTES, from_value, parse_json_bytes, parse_object};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses the JSON body into `T` (which should `deny_unknown_fields`).
///
/// Errors: `413 payload_too_large`; `400 invalid_json` (not JSON, or not an object); `400 unknown_field`,
/// `400 missing_field`, `400 invalid_type` with the offending `field`.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    json::parse_json_bytes(req.body().as_ref())
}

/// A JSON response with the headers every API answer carries.
pub fn json(status: u16, value: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::Text(value.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A response whose body is a use case's answer (a `Serialize` struct), with the headers of [`json`].
pub fn json_of<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_value(value) {
        Ok(v) => json(status, &v),
        Err(e) => respond(Err(AppError::unexpected(e))),
    }
}

/// A document compiled into the function (taxonomy, OpenAPI), cacheable for an hour: it changes only
/// with a deployment.
pub fn static_json(body: &'static str) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "public, max-age=3600")
        .header("x-content-type-options", "nosniff")
        .body(Body::Text(body.to_owned()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// Turns a handler's result into a response; errors are logged (safely) and mapped here only.
pub fn respond(result: Result<Response<Body>, AppError>) -> Response<Body> {
    match result {
        Ok(r) => r,
        Err(e) => {
            e.log();
            let mut response = json(e.status(), &e.body());
            if let Some(seconds) = e.retry_after() {
                response.headers_mut().insert("retry-after", lambda_http::http::HeaderValue::from_static(seconds));
            }
            response
        }
    }
}

/// The query string parameters (the first value of each).
pub fn query(req: &Request) -> std::collections::HashMap<String, String> {
    use lambda_http::RequestExt;
    let params = req.query_string_parameters();
    params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// A path parameter (`{id}` in `/api/offers/{id}`).
pub fn path_param(req: &Request, name: &str) -> Option<String> {
    use lambda_http::RequestExt;
    req.path_parameters().first(name).map(str::to_owned)
}

/// The operation a request names in [`crate::routes::ROUTES`], for functions that serve several routes.
pub fn operation(req: &Request) -> Option<crate::routes::Operation> {
    crate::routes::Operation::of(req.method().as_str(), req.uri().path())
}

/// The bearer token of the `Authorization` header, if any.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body_ {
        name: String,
        count: Option<u8>,
    }

    #[test]
    fn an_unavailable_store_is_a_503_to_retry_shortly() {
        let busy = crate::store::StoreError::Unavailable("the embedded store has too many writes waiting".into());
        let r = respond(Err(busy.into()));
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
        let Body::Text(text) = r.body() else { panic!("a JSON body") };
        assert_eq!(serde_json::from_str::<serde_json::Value>(text).unwrap()["error"]["code"], "unavailable");
        let refused = respond(Err(AppError::TooManyRequests));
        assert!(refused.headers().get("retry-after").is_none(), "a quota is not a matter of seconds");
    }

    fn err(bytes: &[u8]) -> (u16, String, Option<String>) {
        let e = parse_json_bytes::<Body_>(bytes).unwrap_err();
        let body = e.body();
        (e.status(), body["error"]["code"].as_str().unwrap().to_owned(), body["error"]["field"].as_str().map(str::to_owned))
    }

    #[test]
    fn shape_errors_name_their_field() {
        assert_eq!(err(b"{"), (400, "invalid_json".into(), None));
        assert_eq!(err(b"[1]"), (400, "invalid_json".into(), None));
        assert_eq!(err(b""), (400, "invalid_json".into(), None));
        assert_eq!(err(br#"{"name":"a","extra":1}"#), (400, "unknown_field".into(), Some("extra".into())));
        assert_eq!(err(br#"{}"#), (400, "missing_field".into(), Some("name".into())));
        assert_eq!(err(br#"{"name":5}"#), (400, "invalid_type".into(), Some("name".into())));
        assert_eq!(err(br#"{"name":"a","count":300}"#), (400, "invalid_type".into(), Some("count".into())));
        let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(err(big.as_bytes()).0, 413);
    }
}
