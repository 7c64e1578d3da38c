//! Lambda entry point: wiring only. The document is compiled in; no client is needed.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_static(openapi::handler::handle).await
}
