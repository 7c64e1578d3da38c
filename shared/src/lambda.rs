//! The Lambda entry point every HTTP function shares: logs, configuration and clients built once per
//! cold start, then the handler for each event.

use crate::deps::Deps;
use lambda_http::{Body, Request, Response};
use std::future::Future;

/// Runs an HTTP handler on the Lambda runtime. `Deps` lives for the whole process (it is built once per
/// cold start), hence the `'static` borrow handed to each invocation.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static Deps, Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::telemetry::init_lambda();
    let deps: &'static Deps = Box::leak(Box::new(Deps::from_env().await?));
    lambda_http::run(lambda_http::service_fn(move |req| {
        let response = handler(deps, req);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    }))
    .await
}

/// Runs a handler that needs no dependencies (static documents).
pub async fn run_static<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::telemetry::init_lambda();
    lambda_http::run(lambda_http::service_fn(move |req| {
        let response = handler(req);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    }))
    .await
}
