//! The scheduled statistics fold (EventBridge, every minute): adds the tallies the events of the last
//! minute wrote into the anonymous day counters `GET /api/stats` reads, and deletes them in the same
//! transactions. Returns what it did (also logged; counts only).

use serde_json::Value;
use shared::deps::Deps;
use shared::stats;

pub async fn handle(deps: &Deps, _event: Value) -> Result<Value, shared::error::AppError> {
    let folded = stats::fold(deps).await?;
    tracing::info!(counted = folded.counted, transactions = folded.transactions, left_over = folded.left_over, "statistics folded");
    Ok(serde_json::to_value(folded).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::stats::{Event, Metric};
    use shared::testing::TestDeps;

    #[tokio::test]
    async fn the_scheduled_event_folds_the_tallies_into_the_counters() {
        let t = TestDeps::new();
        let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/fold-stats.json")).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(event["detail-type"], "Scheduled Event");
        let now = t.deps.clock.now();
        let ops: Vec<_> =
            (0..100).map(|_| stats::count(Metric::Offered, &Event { help_type: Some("groceries"), ..Default::default() }, now)).collect();
        t.deps.store.transact(ops, now).await.unwrap();
        let summary = handle(&t.deps, event.clone()).await.unwrap();
        assert_eq!((summary["counted"].as_u64(), summary["left_over"].as_bool()), (Some(100), Some(false)));
        assert_eq!(stats::report(&t.deps).await.unwrap().totals.of(Metric::Offered), 100);
        assert_eq!(handle(&t.deps, event).await.unwrap()["counted"], 0, "a second run finds nothing left");
    }
}
