//! Lambda entry point: wiring only. Dependencies are built once per cold start.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init_lambda();
    let deps: &'static shared::deps::Deps = Box::leak(Box::new(shared::deps::Deps::from_env().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // An error makes EventBridge retry: safe, a tally is deleted in the transaction that counts it.
        fold_stats::handler::handle(deps, event.payload).await.map_err(|e| {
            e.log();
            lambda_runtime::Error::from(e.to_string())
        })
    }))
    .await
}
