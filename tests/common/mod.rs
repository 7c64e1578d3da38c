//! The in-process application shared by the end-to-end test files.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::Request;
use entraide::router::{AppState, app};
use serde_json::{Value, json};
use shared::config::Config;
use shared::testing::TestDeps;
use std::sync::Arc;
use tower::ServiceExt;

pub struct TestApp {
    pub t: TestDeps,
    pub router: axum::Router,
    /// The router's permits for requests in flight.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The runtime lag the router sees (nothing measures it here: a test sets it).
    pub lag_us: Arc<std::sync::atomic::AtomicU64>,
    /// The router's CPU budget (nothing sets it here: a test does).
    pub budget: Arc<entraide::admission::WorkBudget>,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        Self::on(TestDeps::with_config(config))
    }

    /// The application over given dependencies (e.g. DynamoDB Local's).
    pub fn on(t: TestDeps) -> Self {
        let state = AppState::new(Arc::new(t.deps.clone()), Some(t.outbox.clone()));
        let (in_flight, lag_us, budget) = (state.in_flight.clone(), state.lag_us.clone(), state.budget.clone());
        TestApp { t, router: app(state), in_flight, lag_us, budget }
    }

    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>, session: Option<&str>) -> (u16, Vec<u8>, axum::http::HeaderMap) {
        let mut req = Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(s) = session {
            req = req.header("authorization", format!("Bearer {s}"));
        }
        let resp = self.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap().to_vec();
        (status, bytes, headers)
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, session: Option<&str>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (status, body, _) = self.raw(method, path, bytes, session).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn register(&self, email: &str) -> u16 {
        let body = json!({"email": email, "first_name": "Théodorine", "postal_code": "75011", "community": "health",
                          "role": "nurse", "locale": "en", "consent": true, "website": ""});
        self.call("POST", "/api/register", Some(body), None).await.0
    }

    pub async fn sign_in(&self, email: &str) -> String {
        assert_eq!(self.register(email).await, 202);
        self.follow_verify_link(email).await
    }

    /// Registers with this `POST /api/register` body, follows the verify link, returns the session.
    pub async fn sign_in_with(&self, registration: Value) -> String {
        let email = registration["email"].as_str().expect("an e-mail in the registration").to_owned();
        let (status, answer) = self.call("POST", "/api/register", Some(registration), None).await;
        assert_eq!(status, 202, "{answer}");
        self.follow_verify_link(&email).await
    }

    async fn follow_verify_link(&self, email: &str) -> String {
        let (status, body) = self.follow(&self.t.latest_link(email, "verify")).await;
        assert_eq!(status, 200, "{body}");
        body["session"].as_str().unwrap().to_owned()
    }

    /// Follows an e-mailed link (`POST /api/confirm`).
    pub async fn follow(&self, token: &str) -> (u16, Value) {
        self.call("POST", "/api/confirm", Some(json!({ "token": token })), None).await
    }

    /// `GET /api/me`, which must answer 200.
    pub async fn me(&self, session: &str) -> Value {
        let (status, body) = self.call("GET", "/api/me", None, Some(session)).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Verifies the community of the member signed in with `session` by `work_email`, through the API:
    /// the request, then the link read from the mail to the work address.
    pub async fn verify_community(&self, session: &str, work_email: &str) -> Value {
        let (status, body) =
            self.call("POST", "/api/me/community-verification", Some(json!({ "work_email": work_email })), Some(session)).await;
        assert_eq!(status, 202, "{body}");
        let (status, body) = self.follow(&self.t.latest_link(work_email, "verify_community")).await;
        assert_eq!((status, body["action"].as_str()), (200, Some("community_verified")), "{body}");
        body
    }

    pub async fn dump_text(&self) -> String {
        self.t
            .deps
            .store
            .dump()
            .await
            .unwrap()
            .iter()
            .map(|i| format!("{} {} {}\n", i.key.pk, i.key.sk, Value::Object(i.attrs.clone())))
            .collect()
    }
}
