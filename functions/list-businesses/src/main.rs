//! Lambda entry point: wiring only (logs, configuration, clients once per cold start).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init_lambda();
    let deps = shared::deps::Deps::from_env().await?;
    let deps = &deps;
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, std::convert::Infallible>(list_businesses::handler::handle(deps, req).await)
    }))
    .await
}
