//! The store port: a small single-table item store with conditional, all-or-nothing writes.
//!
//! Both adapters — [`dynamo::DynamoStore`] (DynamoDB) and [`sqlite::SqliteStore`] (embedded) — implement
//! [`ItemStore`] with the same semantics, proven by one conformance suite (`shared/tests/store.rs`):
//! - an item whose `expires_at` is not in the future does not exist: no read returns it, and
//!   [`Cond::Absent`] holds for it (DynamoDB deletes expired items only within days, DynamoDB Local never);
//! - [`ItemStore::transact`] applies all operations or none; a failed condition is [`StoreError::Conflict`];
//! - keys are built only in [`crate::records::keys`], so no key ever carries personal data.
//!
//! Business rules live above this port (e.g. [`crate::members`]), written once for both stores.

pub mod dynamo;
#[cfg(feature = "embedded")]
pub mod group;
#[cfg(feature = "embedded")]
pub mod sqlite;

use crate::clock::UnixTime;
use serde_json::{Map, Value};

/// The attribute every personal item carries: Unix seconds after which the item is gone (DynamoDB TTL).
pub const EXPIRES_AT: &str = "expires_at";
/// The attribute naming an item's type (`member`, `email_marker`, …).
pub const ENTITY: &str = "entity";
/// The secondary index's partition attribute. Sparse: only items that set it are in the index.
pub const GSI1PK: &str = "gsi1pk";
/// The secondary index's sort attribute.
pub const GSI1SK: &str = "gsi1sk";

/// An item's primary key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// A stored item: its key and its attributes (JSON values; numbers, strings, booleans, lists, maps).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub attrs: Map<String, Value>,
}

impl Item {
    pub fn new(key: Key, attrs: Map<String, Value>) -> Self {
        Item { key, attrs }
    }

    /// `expires_at`, if the item has one.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.attrs.get(EXPIRES_AT).and_then(Value::as_i64)
    }

    /// True if the item exists at `now` (no expiry, or an expiry in the future).
    pub fn is_live(&self, now: UnixTime) -> bool {
        self.expires_at().is_none_or(|e| e > now)
    }

    /// Deserialises the attributes into a record type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Read from the attributes in place: cloning them into a `Value` first was a search's largest cost.
        T::deserialize(&self.attrs).map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.key.pk_prefix())))
    }
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key { pk: pk.into(), sk: sk.into() }
    }

    /// The entity part of the partition key (`MEMBER`, `EMAIL`…), safe to log.
    pub fn pk_prefix(&self) -> &str {
        self.pk.split('#').next().unwrap_or("")
    }
}

/// A condition on the item an operation targets, evaluated at the transaction's `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// No condition.
    Always,
    /// The item does not exist, or it has expired.
    Absent,
    /// The item exists and has not expired.
    Live,
    /// The item exists, has not expired, and each attribute equals the given value.
    LiveWith(Vec<(String, Value)>),
    /// The item exists, has not expired, each attribute of `equal` equals its value, and the number
    /// `counter` (0 when absent) is below `limit`: a limit many writers can approach at once without
    /// conflicting, as `claimed < quantity` for tickets.
    LiveBelow { equal: Vec<(String, Value)>, counter: String, limit: i64 },
}

/// One write in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Replaces the whole item.
    Put { item: Item, cond: Cond },
    /// Sets the given attributes (creating the item if it does not exist and the condition allows);
    /// an attribute set to `null` is removed (so an item can leave the sparse index).
    Update { key: Key, set: Map<String, Value>, cond: Cond },
    /// Removes the item (a no-op if it does not exist and the condition allows).
    Delete { key: Key, cond: Cond },
    /// Only checks a condition.
    Check { key: Key, cond: Cond },
    /// Adds to numeric counters, creating the item and any missing counter at zero (no condition):
    /// the anonymous statistics, incremented in the same transaction as the event they count.
    Add { key: Key, counters: Vec<(String, i64)> },
    /// Adds `by` (which may be negative) to the number `counter` of an item (0 when absent), on a
    /// condition: the write of a counter whose limit is checked by the condition itself, not by a value
    /// read before ([`Cond::LiveBelow`]).
    Increment { key: Key, counter: String, by: i64, cond: Cond },
}

static NO_CONDITION: Cond = Cond::Always;

impl WriteOp {
    pub fn cond(&self) -> &Cond {
        match self {
            WriteOp::Put { cond, .. }
            | WriteOp::Update { cond, .. }
            | WriteOp::Delete { cond, .. }
            | WriteOp::Check { cond, .. }
            | WriteOp::Increment { cond, .. } => cond,
            WriteOp::Add { .. } => &NO_CONDITION,
        }
    }

    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Update { key, .. }
            | WriteOp::Delete { key, .. }
            | WriteOp::Check { key, .. }
            | WriteOp::Add { key, .. }
            | WriteOp::Increment { key, .. } => key,
        }
    }
}

/// Store failures. Messages carry key prefixes and SDK codes, never attribute values.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold (or a concurrent transaction touched the same items); nothing was written.
    #[error("a condition failed; nothing was written")]
    Conflict,
    /// The store is unreachable or throttling.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The operation is outside the store's limits (e.g. more than 100 operations in a transaction).
    #[error("store limit: {0}")]
    Limit(String),
    /// An item could not be read back into its type.
    #[error("corrupt item: {0}")]
    Corrupt(String),
    /// Anything else.
    #[error("store error: {0}")]
    Other(String),
}

impl From<StoreError> for crate::error::AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => crate::error::Refusal::ConcurrentChange.into(),
            StoreError::Unavailable(_) => crate::error::AppError::Unavailable(Box::new(e)),
            other => crate::error::AppError::unexpected(other),
        }
    }
}

/// The most operations one transaction may hold (DynamoDB's `TransactWriteItems` limit).
pub const MAX_TRANSACTION_OPS: usize = 100;

/// A `now` before every expiry: reads with it also return items whose expiry has passed but that TTL
/// (which lags by days) or the embedded store's sweep has not removed yet. Erasure reads this way, so
/// that "erase my data" removes everything physically present, not only what is still live.
pub const INCLUDING_EXPIRED: UnixTime = 0;

/// A page of [`ItemStore::query_index_page`].
#[derive(Debug, Clone, Default)]
pub struct IndexPage {
    pub items: Vec<Item>,
    /// Where the next page starts (the last item's [`GSI1SK`]), if there is more.
    pub next: Option<String>,
}

impl IndexPage {
    /// The page from up to `limit + 1` items read in order: the extra one only says there is more.
    pub(crate) fn of(mut items: Vec<Item>, limit: usize) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().and_then(|i| i.attrs.get(GSI1SK)).and_then(|v| v.as_str()).map(str::to_owned) } else { None };
        IndexPage { items, next }
    }
}

/// An entry of an index read for a search: its item's key, its index sort key, and the item's
/// attributes when the store read them with the entry. A search ranks hundreds of entries by their index
/// sort key (a postal code and an id) and needs the items of the few it keeps: the embedded store reads
/// entries from its index alone and the search reads those few by key; DynamoDB's query returns whole
/// items anyway, so its entries carry them (docs/PERFORMANCE.md, "Searches").
#[derive(Debug, Clone)]
pub struct IndexEntry {
    pub key: Key,
    pub index_sk: String,
    attrs: Option<Map<String, Value>>,
}

impl IndexEntry {
    /// The entry of an item read whole.
    pub fn of_item(item: Item) -> Self {
        let index_sk = item.attrs.get(GSI1SK).and_then(Value::as_str).unwrap_or_default().to_owned();
        IndexEntry { key: item.key, index_sk, attrs: Some(item.attrs) }
    }

    /// An entry read without its item.
    pub fn unread(key: Key, index_sk: String) -> Self {
        IndexEntry { key, index_sk, attrs: None }
    }

    /// True if the item was read with the entry.
    pub fn has_item(&self) -> bool {
        self.attrs.is_some()
    }

    /// The item, if it was read with the entry.
    pub fn item(self) -> Result<Item, Key> {
        match self.attrs {
            Some(attrs) => Ok(Item { key: self.key, attrs }),
            None => Err(self.key),
        }
    }
}

/// A page of [`IndexEntry`]s and where the next one starts (as in [`IndexPage`]).
#[derive(Debug, Default)]
pub struct EntryPage {
    pub entries: Vec<IndexEntry>,
    pub next: Option<String>,
}

/// The first `limit` items of an index partition, page by page (at most 1,000 a read), in index order;
/// `next` is set when there are more. For work done in bounded batches: what is left waits for the
/// next run instead of failing this one.
pub async fn first_of_index(store: &dyn ItemStore, pk: &str, now: UnixTime, limit: usize) -> Result<IndexPage, StoreError> {
    let mut out = IndexPage::default();
    while out.items.len() < limit {
        let want = (limit - out.items.len()).min(1_000);
        let page = store.query_index_page(pk, "", out.next.as_deref(), now, want).await?;
        out.items.extend(page.items);
        out.next = page.next;
        if out.next.is_none() {
            break;
        }
    }
    Ok(out)
}

/// The store port.
#[async_trait::async_trait]
pub trait ItemStore: Send + Sync {
    /// The live item at `key`, if any.
    async fn get(&self, key: &Key, now: UnixTime) -> Result<Option<Item>, StoreError>;

    /// The live item at each key, in the order of `keys` (a search's few results, read together).
    async fn get_many(&self, keys: Vec<Key>, now: UnixTime) -> Result<Vec<Option<Item>>, StoreError> {
        let mut items = Vec::with_capacity(keys.len());
        for key in &keys {
            items.push(self.get(key, now).await?);
        }
        Ok(items)
    }

    /// Every live item of partition `pk` whose sort key starts with `sk_prefix`, in sort-key order.
    /// Reads page by page until done, up to `limit` items (more is [`StoreError::Limit`], never a silent cut).
    async fn query_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError>;

    /// How many items [`ItemStore::query_prefix`] would return, without reading them into items (a
    /// per-member limit counts on every write). More than `limit` is [`StoreError::Limit`].
    async fn count_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        Ok(self.query_prefix(pk, sk_prefix, now, limit).await?.len())
    }

    /// The first `limit` live items of partition `pk` in sort-key order (all of them when it holds fewer;
    /// more is no error). For work that consumes a partition in bounded batches, deleting what it read:
    /// the next call starts again from the first item left.
    async fn query_first(&self, pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError>;

    /// Every live item whose [`GSI1PK`] equals `index_pk`, in [`GSI1SK`] order, reading page by page up
    /// to `limit` items (more is [`StoreError::Limit`]). Eventually consistent on DynamoDB (a GSI).
    async fn query_index(&self, index_pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError>;

    /// One page of an index partition: the live items whose [`GSI1SK`] starts with `sk_prefix` and
    /// comes after `after` (if given), in [`GSI1SK`] order, at most `limit` of them; `next` is the
    /// [`GSI1SK`] to pass as `after` for the following page, `None` when there is no more. Index sort keys
    /// are unique within a partition (every index's sort key ends with an id), which is what makes the
    /// position a sort key. Reads are proportional to the page, whatever the partition holds.
    async fn query_index_page(
        &self,
        index_pk: &str,
        sk_prefix: &str,
        after: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<IndexPage, StoreError>;

    /// [`ItemStore::query_index_page`], each item an [`IndexEntry`] decoded only when asked.
    async fn query_index_entries(
        &self,
        index_pk: &str,
        sk_prefix: &str,
        after: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<EntryPage, StoreError> {
        let page = self.query_index_page(index_pk, sk_prefix, after, now, limit).await?;
        Ok(EntryPage { entries: page.items.into_iter().map(IndexEntry::of_item).collect(), next: page.next })
    }

    /// Applies all operations atomically, or none. At most [`MAX_TRANSACTION_OPS`], each on a distinct key.
    async fn transact(&self, ops: Vec<WriteOp>, now: UnixTime) -> Result<(), StoreError>;

    /// Every item physically present, expired or not, in key order: the privacy audit (`cargo run -- dump`).
    async fn dump(&self) -> Result<Vec<Item>, StoreError>;

    /// Physically removes expired items (the embedded store's stand-in for DynamoDB TTL). Returns how many.
    async fn sweep_expired(&self, now: UnixTime) -> Result<usize, StoreError>;
}

/// Checks the rules shared by both adapters before a transaction runs.
pub(crate) fn check_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Ok(());
    }
    if ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::Limit(format!("{} operations in one transaction (max {MAX_TRANSACTION_OPS})", ops.len())));
    }
    let mut keys: Vec<&Key> = ops.iter().map(WriteOp::key).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(StoreError::Limit("two operations on one item in a transaction".into()));
    }
    Ok(())
}

/// Evaluates a condition against the current item (shared by the embedded store and its tests).
#[cfg(feature = "embedded")]
pub(crate) fn cond_holds(cond: &Cond, current: Option<&Item>, now: UnixTime) -> bool {
    let live = current.filter(|i| i.is_live(now));
    match cond {
        Cond::Always => true,
        Cond::Absent => live.is_none(),
        Cond::Live => live.is_some(),
        Cond::LiveWith(pairs) => live.is_some_and(|i| pairs.iter().all(|(k, v)| i.attrs.get(k) == Some(v))),
        Cond::LiveBelow { equal, counter, limit } => live.is_some_and(|i| {
            equal.iter().all(|(k, v)| i.attrs.get(k) == Some(v)) && i.attrs.get(counter).and_then(Value::as_i64).unwrap_or(0) < *limit
        }),
    }
}
