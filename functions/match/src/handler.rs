//! The scheduled matching run (EventBridge, every few minutes): proposes pairs and returns a summary
//! (also logged, with no personal data). A run that fails is retried by EventBridge; a retried run is
//! safe because every proposal is written under conditions.

use serde_json::Value;
use shared::deps::Deps;
use shared::matching::run;

pub async fn handle(deps: &Deps, _event: Value) -> Result<Value, shared::error::AppError> {
    let summary = run::run(deps).await?;
    Ok(serde_json::to_value(summary).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::TestDeps;

    #[tokio::test]
    async fn the_scheduled_event_runs_a_matching_pass() {
        let t = TestDeps::new();
        let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/match.json")).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(event["detail-type"], "Scheduled Event");
        let summary = handle(&t.deps, event).await.unwrap();
        assert_eq!(summary["proposed"], 0);
        assert_eq!(summary["open_requests"], 0);
    }
}
