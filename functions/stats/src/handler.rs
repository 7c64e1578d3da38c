//! `GET /api/stats`: public numbers from the anonymous day counters only (no personal data is read):
//! registrations, offers, requests, matches proposed / introduced / confirmed / declined / rejected /
//! closed, by day, help type and department; confirmed matches by distance; the median time from a
//! request to its match. They survive every purge.

use lambda_http::{Body, Request, Response};
use shared::deps::Deps;
use shared::{http, stats};

pub async fn handle(deps: &Deps, _req: Request) -> Response<Body> {
    http::respond(async { Ok(http::json_of(200, &stats::report(deps).await?)) }.await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{TestDeps, event, read};

    #[tokio::test]
    async fn counts_registrations_and_posts_and_starts_at_zero() {
        let t = TestDeps::new();
        let (status, body) = read(handle(&t.deps, event("stats", &[])).await);
        assert_eq!(status, 200);
        assert_eq!(body["totals"]["registered"], 0);
        assert_eq!(body["median_minutes_to_match"], serde_json::Value::Null);
        let buckets: Vec<&str> =
            body["confirmed_by_distance_km"].as_array().unwrap().iter().map(|b| b["bucket"].as_str().unwrap()).collect();
        assert_eq!(buckets, ["0-1", "1-2", "2-5", "5-10", "10-20", "20+"], "in distance order");
        let session = t.session("lea@example.org").await;
        read(post_request::handler::handle(&t.deps, event("post-request-help", &[("REPLACE_WITH_A_SESSION", &session)])).await);
        let (_, body) = read(handle(&t.deps, event("stats", &[])).await);
        assert_eq!(body["totals"]["registered"], 0, "counted by the next fold, not before");
        stats::fold(&t.deps).await.unwrap();
        let (_, body) = read(handle(&t.deps, event("stats", &[])).await);
        assert_eq!(body["totals"]["registered"], 1);
        assert_eq!(body["totals"]["requested"], 1);
        assert_eq!(body["by_day"].as_array().unwrap().len(), 1);
        assert_eq!(body["by_help_type"][0]["help_type"], "groceries");
        assert_eq!(body["by_department"][0]["department"], "75");
        // Signing in again is not a new registration.
        t.session("lea@example.org").await;
        stats::fold(&t.deps).await.unwrap();
        let (_, body) = read(handle(&t.deps, event("stats", &[])).await);
        assert_eq!(body["totals"]["registered"], 1);
    }
}
