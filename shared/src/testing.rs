//! Helpers for tests of the function crates and the runner: in-process dependencies with a clock the
//! test moves, the sample events of `events/`, and reading links back from the outbox.
//! Not used by production code paths.

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::Config;
use crate::deps::Deps;
use crate::mail::outbox::{Outbox, StoredMail};
use lambda_http::{Body, Request};
use std::sync::Arc;

/// The moderator of [`TestDeps::with_moderator`].
pub const MODERATOR: &str = "moderation@example.org";

/// In-process dependencies: an in-memory embedded store, an outbox, and a manual clock.
pub struct TestDeps {
    pub deps: Deps,
    pub outbox: Outbox,
    pub clock: Arc<ManualClock>,
}

impl TestDeps {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        let clock = Arc::new(ManualClock::new(SystemClock.now()));
        let (deps, outbox) = Deps::in_memory(config, clock.clone()).expect("in-memory dependencies");
        TestDeps { deps, outbox, clock }
    }

    /// Registers `email` (a health worker in 75011), follows the verify link, returns the session.
    pub async fn session(&self, email: &str) -> String {
        sign_in(&self.deps, &self.outbox, email, "Léa", "75011").await
    }

    /// Every mail sent so far.
    pub fn mails(&self) -> Vec<StoredMail> {
        self.outbox.list().expect("outbox readable")
    }

    /// Dependencies whose configuration names [`MODERATOR`] as the moderator.
    pub fn with_moderator() -> Self {
        let moderator = crate::domain::Email::parse(MODERATOR).expect("a valid address");
        Self::with_config(Config { moderators: vec![moderator], ..Config::default() })
    }

    /// A poll published by [`MODERATOR`] through the library, open for a week; its id.
    pub async fn published_poll(&self) -> String {
        let moderator = crate::members::authenticate(&self.deps, Some(&self.session(MODERATOR).await)).await.expect("the moderator");
        let closes_at = crate::clock::rfc3339(self.clock.now() + 7 * crate::clock::DAY);
        let body = serde_json::json!({"question": "Quel bon plan ensuite ?", "options": ["Cinéma", "Librairie"], "closes_at": closes_at});
        crate::polls::publish(&self.deps, &moderator, serde_json::from_value(body).expect("a poll body"))
            .await
            .expect("the poll is published")
            .id
    }

    /// The token of the latest e-mail link with this purpose sent to `to`.
    pub fn latest_link(&self, to: &str, purpose: &str) -> String {
        latest_link(&self.mails(), to, purpose).unwrap_or_else(|| panic!("no {purpose} link in the outbox"))
    }
}

/// Registers `email` (a health worker named `first_name` in `postal_code`) through the library, follows
/// the verify link read from `outbox`, returns the session.
pub async fn sign_in(deps: &Deps, outbox: &Outbox, email: &str, first_name: &str, postal_code: &str) -> String {
    let body = crate::members::RegisterBody {
        email: email.into(),
        first_name: first_name.into(),
        postal_code: postal_code.into(),
        community: "health".into(),
        role: Some("nurse".into()),
        phone: None,
        locale: None,
        consent: true,
        website: None,
    };
    crate::members::register(deps, body).await.expect("registration");
    let token = latest_link(&outbox.list().expect("outbox readable"), email, "verify").expect("a verify link in the outbox");
    match crate::confirm::follow_link(deps, &token).await.expect("verification") {
        crate::confirm::LinkOutcome::Verified { session, .. } => session.as_str().to_owned(),
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Dependencies on a fresh table of the DynamoDB Local the test command started
/// (`ENTRAIDE_TEST_DYNAMODB`), with an outbox for mail and a manual clock. Panics, naming the variable,
/// when the service is not there: a test that needs it must fail, not skip.
pub async fn dynamodb_test_deps(config: Config) -> TestDeps {
    dynamodb_test_deps_metered(config).await.0
}

/// [`dynamodb_test_deps`], with a clone of the adapter to read the capacity consumed.
pub async fn dynamodb_test_deps_metered(config: Config) -> (TestDeps, crate::store::dynamo::DynamoStore) {
    let endpoint = std::env::var("ENTRAIDE_TEST_DYNAMODB").unwrap_or_else(|_| {
        panic!("ENTRAIDE_TEST_DYNAMODB is not set: this test needs DynamoDB Local; run scripts/test.sh, which starts it")
    });
    let store = dynamodb_local_store(&endpoint, &format!("t-{}", ulid::Ulid::generate())).await;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let outbox = Outbox::in_memory().expect("outbox");
    let deps = Deps::new(config, Arc::new(store.clone()), Arc::new(outbox.clone()), &crate::crypto::Secret::generate(), clock.clone());
    (TestDeps { deps, outbox, clock }, store)
}

/// A table of its own on DynamoDB Local at `endpoint`, created if needed.
pub async fn dynamodb_local_store(endpoint: &str, table: &str) -> crate::store::dynamo::DynamoStore {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("eu-west-3"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "tests"))
        .build();
    let store = crate::store::dynamo::DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), table);
    store.ensure_table().await.expect("DynamoDB Local accepts CreateTable");
    store
}

impl Default for TestDeps {
    fn default() -> Self {
        Self::new()
    }
}

/// The token (the URL fragment) of the latest link with `purpose` among mails to `to`.
pub fn latest_link(mails: &[StoredMail], to: &str, purpose: &str) -> Option<String> {
    mails
        .iter()
        .rev()
        .filter(|m| m.to == to)
        .flat_map(|m| m.links.iter())
        .find(|l| l.purpose == purpose)
        .and_then(|l| l.url.split_once('#').map(|(_, t)| t.to_owned()))
}

/// Loads `events/<name>.json` (an API Gateway HTTP API v2 event) as a `lambda_http::Request`, replacing
/// each `(placeholder, value)` in the raw JSON first.
pub fn event(name: &str, replacements: &[(&str, &str)]) -> Request {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{name}.json"));
    let mut raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in replacements {
        raw = raw.replace(from, to);
    }
    lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}.json is not an HTTP API event: {e}"))
}

/// Replaces a request's body.
pub fn with_body(mut req: Request, body: &str) -> Request {
    *req.body_mut() = Body::Text(body.to_owned());
    req
}

/// A response's status and JSON body.
pub fn read(resp: lambda_http::Response<Body>) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// A store that counts what is asked of it (reads, items read, transactions), in front of a real one:
/// for tests and benchmarks that check how much a use case reads.
pub struct CountingStore {
    pub inner: Arc<dyn crate::store::ItemStore>,
    pub items_read: std::sync::atomic::AtomicUsize,
    pub reads: std::sync::atomic::AtomicUsize,
    pub transactions: std::sync::atomic::AtomicUsize,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn crate::store::ItemStore>) -> Self {
        CountingStore { inner, items_read: Default::default(), reads: Default::default(), transactions: Default::default() }
    }

    fn saw(&self, items: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.reads.fetch_add(1, Relaxed);
        self.items_read.fetch_add(items, Relaxed);
    }
}

#[async_trait::async_trait]
impl crate::store::ItemStore for CountingStore {
    async fn get(&self, key: &crate::store::Key, now: i64) -> Result<Option<crate::store::Item>, crate::store::StoreError> {
        let item = self.inner.get(key, now).await?;
        self.saw(usize::from(item.is_some()));
        Ok(item)
    }
    async fn get_many(&self, keys: Vec<crate::store::Key>, now: i64) -> Result<Vec<Option<crate::store::Item>>, crate::store::StoreError> {
        let items = self.inner.get_many(keys, now).await?;
        self.saw(items.iter().flatten().count());
        Ok(items)
    }
    async fn query_prefix(&self, pk: &str, p: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        let items = self.inner.query_prefix(pk, p, now, limit).await?;
        self.saw(items.len());
        Ok(items)
    }
    async fn query_first(&self, pk: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        let items = self.inner.query_first(pk, now, limit).await?;
        self.saw(items.len());
        Ok(items)
    }
    async fn query_index(&self, pk: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        let items = self.inner.query_index(pk, now, limit).await?;
        self.saw(items.len());
        Ok(items)
    }
    async fn query_index_page(
        &self,
        pk: &str,
        p: &str,
        after: Option<&str>,
        now: i64,
        limit: usize,
    ) -> Result<crate::store::IndexPage, crate::store::StoreError> {
        let page = self.inner.query_index_page(pk, p, after, now, limit).await?;
        self.saw(page.items.len());
        Ok(page)
    }
    async fn query_index_entries(
        &self,
        pk: &str,
        p: &str,
        after: Option<&str>,
        now: i64,
        limit: usize,
    ) -> Result<crate::store::EntryPage, crate::store::StoreError> {
        let page = self.inner.query_index_entries(pk, p, after, now, limit).await?;
        self.saw(page.entries.len());
        Ok(page)
    }
    async fn transact(&self, ops: Vec<crate::store::WriteOp>, now: i64) -> Result<(), crate::store::StoreError> {
        self.transactions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.transact(ops, now).await
    }
    async fn dump(&self) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        self.inner.dump().await
    }
    async fn sweep_expired(&self, now: i64) -> Result<usize, crate::store::StoreError> {
        self.inner.sweep_expired(now).await
    }
}

/// DynamoDB's transaction-conflict rule, applied in front of a store that does not apply it: a
/// transaction that writes (or checks) an item another transaction is still writing is cancelled, as
/// DynamoDB cancels it with `TransactionConflict` (which the DynamoDB adapter maps to
/// [`crate::store::StoreError::Conflict`]). DynamoDB Local serialises transactions instead (1,280
/// transactions from 64 writers on one item: no cancellation), and SQLite has a single writer, so
/// without this a test cannot see a hot item. Counts what it cancelled and what committed.
pub struct ContendedStore {
    pub inner: Arc<dyn crate::store::ItemStore>,
    in_flight: std::sync::Mutex<std::collections::HashSet<crate::store::Key>>,
    pub cancelled: std::sync::atomic::AtomicUsize,
    pub committed: std::sync::atomic::AtomicUsize,
}

impl ContendedStore {
    pub fn new(inner: Arc<dyn crate::store::ItemStore>) -> Self {
        ContendedStore { inner, in_flight: Default::default(), cancelled: Default::default(), committed: Default::default() }
    }

    /// Transactions cancelled so far because another one was writing one of their items.
    pub fn cancelled(&self) -> usize {
        self.cancelled.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn committed(&self) -> usize {
        self.committed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Releases a transaction's items when it ends, however it ends.
struct InFlight<'a> {
    set: &'a std::sync::Mutex<std::collections::HashSet<crate::store::Key>>,
    keys: Vec<crate::store::Key>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut set = self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for k in &self.keys {
            set.remove(k);
        }
    }
}

#[async_trait::async_trait]
impl crate::store::ItemStore for ContendedStore {
    async fn get(&self, key: &crate::store::Key, now: i64) -> Result<Option<crate::store::Item>, crate::store::StoreError> {
        self.inner.get(key, now).await
    }
    async fn get_many(&self, keys: Vec<crate::store::Key>, now: i64) -> Result<Vec<Option<crate::store::Item>>, crate::store::StoreError> {
        self.inner.get_many(keys, now).await
    }
    async fn query_prefix(&self, pk: &str, p: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        self.inner.query_prefix(pk, p, now, limit).await
    }
    async fn count_prefix(&self, pk: &str, p: &str, now: i64, limit: usize) -> Result<usize, crate::store::StoreError> {
        self.inner.count_prefix(pk, p, now, limit).await
    }
    async fn query_first(&self, pk: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        self.inner.query_first(pk, now, limit).await
    }
    async fn query_index(&self, pk: &str, now: i64, limit: usize) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        self.inner.query_index(pk, now, limit).await
    }
    async fn query_index_page(
        &self,
        pk: &str,
        p: &str,
        after: Option<&str>,
        now: i64,
        limit: usize,
    ) -> Result<crate::store::IndexPage, crate::store::StoreError> {
        self.inner.query_index_page(pk, p, after, now, limit).await
    }
    async fn query_index_entries(
        &self,
        pk: &str,
        p: &str,
        after: Option<&str>,
        now: i64,
        limit: usize,
    ) -> Result<crate::store::EntryPage, crate::store::StoreError> {
        self.inner.query_index_entries(pk, p, after, now, limit).await
    }
    async fn transact(&self, ops: Vec<crate::store::WriteOp>, now: i64) -> Result<(), crate::store::StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let keys: Vec<crate::store::Key> = ops.iter().map(|op| op.key().clone()).collect();
        let guard = {
            let mut set = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if keys.iter().any(|k| set.contains(k)) {
                self.cancelled.fetch_add(1, Relaxed);
                return Err(crate::store::StoreError::Conflict);
            }
            set.extend(keys.iter().cloned());
            InFlight { set: &self.in_flight, keys }
        };
        let result = self.inner.transact(ops, now).await;
        drop(guard);
        if result.is_ok() {
            self.committed.fetch_add(1, Relaxed);
        }
        result
    }
    async fn dump(&self) -> Result<Vec<crate::store::Item>, crate::store::StoreError> {
        self.inner.dump().await
    }
    async fn sweep_expired(&self, now: i64) -> Result<usize, crate::store::StoreError> {
        self.inner.sweep_expired(now).await
    }
}
