//! Lambda entry point: wiring only. The document is compiled in; no client is needed.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init_lambda();
    lambda_http::run(lambda_http::service_fn(|req| async move { Ok::<_, std::convert::Infallible>(openapi::handler::handle(req).await) }))
        .await
}
