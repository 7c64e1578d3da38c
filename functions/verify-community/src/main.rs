//! Lambda entry point: wiring only (logs, configuration and clients once per cold start, in `shared::lambda`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::run_http(verify_community::handler::handle).await
}
