//! The embedded store: SQLite (bundled through `rusqlite`) in the data directory.
//!
//! Why SQLite: ACID transactions with a write-ahead log (`synchronous = FULL`: a committed transaction
//! survives a crash or power loss), a single file anyone can audit with the `sqlite3` shell, and decades of
//! hardening. The table mirrors the DynamoDB single table (`pk`, `sk`, attributes as JSON, `expires_at`
//! as a column so expired rows are filtered and swept by index).
//!
//! **Group commit** ([`super::group`]): writes go to one writer thread, which commits every transaction
//! waiting together, each in its own savepoint, with one fsync; a caller is answered only once its batch
//! is durable, and a full queue is refused at once ([`StoreError::Unavailable`], a `503`).
//!
//! **Reads** run on the blocking pool on connections of their own (WAL lets them read while the writer
//! writes); an in-memory database (tests) has one connection, shared with the writer. `BEGIN IMMEDIATE`
//! also serialises the writer with other processes, such as `entraide dump`.

use super::group::{GroupError, GroupWriter};
use super::{EntryPage, GSI1PK, GSI1SK, IndexEntry, IndexPage, Item, ItemStore, Key, StoreError, WriteOp, check_transaction, cond_holds};
use crate::clock::UnixTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Read connections of an on-disk database.
const READERS: usize = 4;
/// Rows a read may return and still run on the calling thread (see `SqliteStore::run`): a member's whole
/// partition (1,000 items at most, `records::member::MAX_MEMBER_ITEMS`), or a page of a search. The
/// matching run's reads of whole index partitions are longer.
pub const INLINE_ROWS: usize = 1_001;

/// The embedded adapter. Cheap to clone: clones share the writer and the read connections.
#[derive(Clone)]
pub struct SqliteStore {
    writer: GroupWriter<StoreError>,
    readers: Arc<Readers>,
    next_reader: Arc<AtomicUsize>,
}

impl GroupError for StoreError {
    fn sqlite(e: rusqlite::Error) -> Self {
        err(e)
    }
    fn busy() -> Self {
        StoreError::Unavailable("the embedded store has too many writes waiting".into())
    }
    fn stopped() -> Self {
        StoreError::Other("the sqlite writer stopped".into())
    }
}

enum Readers {
    /// Connections of their own (on disk, WAL).
    Own(Vec<Mutex<Connection>>),
    /// The writer's connection (in memory).
    Shared(Arc<Mutex<Connection>>),
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        expires_at INTEGER,
        attrs TEXT NOT NULL,
        gsi1pk TEXT,
        gsi1sk TEXT,
        PRIMARY KEY (pk, sk)
    ) WITHOUT ROWID;
";

/// Data directories created before the secondary index get its columns, filled from the attributes.
const MIGRATE_GSI1: &str = "
    ALTER TABLE items ADD COLUMN gsi1pk TEXT;
    ALTER TABLE items ADD COLUMN gsi1sk TEXT;
    UPDATE items SET gsi1pk = json_extract(attrs, '$.gsi1pk'), gsi1sk = json_extract(attrs, '$.gsi1sk');
";

// The index entries hold their item's key and expiry: index reads come in index order without a sort,
// and a search ranks live entries from the index alone.
const INDEXES: &str = "
    CREATE INDEX IF NOT EXISTS items_by_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
    DROP INDEX IF EXISTS items_by_gsi1;
    CREATE INDEX IF NOT EXISTS items_by_gsi1_live ON items (gsi1pk, gsi1sk, pk, sk, expires_at) WHERE gsi1pk IS NOT NULL;
";

/// Every connection keeps the plan it prepared. Without this, SQLite marks a statement whose plan could
/// depend on a bound value (here: every read with an `ORDER BY`) to be prepared again whenever a new value
/// is bound — on every call, a tenth of a burst's CPU. The plans are the same for every value here.
fn stable_plans(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map(|_| ())
}

// The reads, each prepared once per connection.
const GET: &str = "SELECT attrs FROM items WHERE pk = ?1 AND sk = ?2";
const QUERY_PREFIX: &str = "SELECT pk, sk, attrs FROM items
    WHERE pk = ?1 AND substr(sk, 1, length(?2)) = ?2 AND (expires_at IS NULL OR expires_at > ?3)
    ORDER BY sk";
const COUNT_PREFIX: &str = "SELECT count(*) FROM items
    WHERE pk = ?1 AND substr(sk, 1, length(?2)) = ?2 AND (expires_at IS NULL OR expires_at > ?3)";
const QUERY_INDEX: &str = "SELECT pk, sk, attrs FROM items
    WHERE gsi1pk = ?1 AND (expires_at IS NULL OR expires_at > ?2)
    ORDER BY gsi1sk, pk, sk";
// The range on `gsi1sk` lets SQLite seek to the prefix rather than scan a dense cell (keys are ASCII, so
// each key with the prefix sorts below the prefix followed by the highest code point); substr() keeps it
// exact, rather than LIKE, as sort keys may contain `%` or `_`.
const QUERY_INDEX_PAGE: &str = "SELECT pk, sk, attrs FROM items
    WHERE gsi1pk = ?1 AND gsi1sk >= ?2 AND gsi1sk < ?2 || char(1114111)
    AND substr(gsi1sk, 1, length(?2)) = ?2 AND gsi1sk > ?3
    AND (expires_at IS NULL OR expires_at > ?4)
    ORDER BY gsi1sk, pk, sk";
// From the index alone (it holds the expiry, and a table's index holds its primary key): reading each
// entry's attributes meant a lookup in the table per entry, a third of a search's CPU.
const QUERY_INDEX_ENTRIES: &str = "SELECT pk, sk, gsi1sk FROM items
    WHERE gsi1pk = ?1 AND gsi1sk >= ?2 AND gsi1sk < ?2 || char(1114111)
    AND substr(gsi1sk, 1, length(?2)) = ?2 AND gsi1sk > ?3
    AND (expires_at IS NULL OR expires_at > ?4)
    ORDER BY gsi1sk, pk, sk";
const QUERY_INDEX_ENTRIES_FIRST: &str = "SELECT pk, sk, gsi1sk FROM items
    WHERE gsi1pk = ?1 AND (expires_at IS NULL OR expires_at > ?2)
    ORDER BY gsi1sk, pk, sk";

fn err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            StoreError::Unavailable("database busy".into())
        }
        other => StoreError::Other(format!("sqlite: {other}")),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `entraide.sqlite` in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(format!("creating the data directory: {e}")))?;
        let path = dir.join("entraide.sqlite");
        let conn = Connection::open(&path).map_err(err)?;
        // Savepoints' sub-journals in memory: a batch of writes is one transaction, and what each of its
        // savepoints would roll back need not go through a temporary file.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;")
            .map_err(err)?;
        Self::prepare(&conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open(&path).map_err(err)?;
                // Pages read through a map of the file: a read transaction after a commit starts with an
                // empty page cache, and copying each page in again was a burst's largest kernel cost.
                c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; PRAGMA mmap_size = 268435456;").map_err(err)?;
                stable_plans(&c).map_err(err)?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self::start(Arc::new(Mutex::new(conn)), Readers::Own(readers)))
    }

    /// A private in-memory database (tests): one connection, for the writer and the reads.
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(err)?;
        Self::prepare(&conn)?;
        let shared = Arc::new(Mutex::new(conn));
        Ok(Self::start(shared.clone(), Readers::Shared(shared)))
    }

    fn prepare(conn: &Connection) -> Result<(), StoreError> {
        stable_plans(conn).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let has_gsi1: i64 =
            conn.query_row("SELECT count(*) FROM pragma_table_info('items') WHERE name = 'gsi1pk'", [], |r| r.get(0)).map_err(err)?;
        if has_gsi1 == 0 {
            conn.execute_batch(&format!("BEGIN; {MIGRATE_GSI1} COMMIT;")).map_err(err)?;
        }
        conn.execute_batch(INDEXES).map_err(err)?;
        Ok(())
    }

    fn start(writer_conn: Arc<Mutex<Connection>>, readers: Readers) -> Self {
        SqliteStore { writer: GroupWriter::start("sqlite-writer", writer_conn), readers: Arc::new(readers), next_reader: Arc::default() }
    }

    /// Batches the writer has written so far (one SQLite transaction and one fsync each), however many
    /// writes each held.
    pub fn commits(&self) -> usize {
        self.writer.commits()
    }

    /// A read of at most `rows` rows. A short one runs at once on the calling thread, on a read
    /// connection nobody holds: from the page cache it takes microseconds, less than handing it to
    /// another thread and back (two context switches, which dominated a burst's profile). A long one, or
    /// one finding every connection taken, goes to the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        rows: usize,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (readers, n) = (self.readers.clone(), self.next_reader.fetch_add(1, Relaxed));
        if rows <= INLINE_ROWS {
            let free = match &*readers {
                Readers::Own(pool) => (0..pool.len()).find_map(|i| pool[(n + i) % pool.len()].try_lock().ok()),
                Readers::Shared(conn) => conn.try_lock().ok(),
            };
            if let Some(conn) = free {
                return f(&conn);
            }
        }
        tokio::task::spawn_blocking(move || {
            let conn = match &*readers {
                Readers::Own(pool) => &pool[n % pool.len()],
                Readers::Shared(conn) => conn,
            };
            let guard = conn.lock().map_err(|_| StoreError::Other("sqlite connection poisoned".into()))?;
            f(&guard)
        })
        .await
        .map_err(|e| StoreError::Other(format!("blocking task: {e}")))?
    }
}

/// The first `n` rows of a read, in its order (stepping stops there).
fn first_rows(c: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql], n: usize) -> Result<Vec<Item>, StoreError> {
    let mut stmt = c.prepare_cached(sql).map_err(err)?;
    let mut rows = stmt.query(params).map_err(err)?;
    let mut items = Vec::new();
    while items.len() < n {
        let Some(row) = rows.next().map_err(err)? else { break };
        items.push(row_to_item(row.get(0).map_err(err)?, row.get(1).map_err(err)?, row.get(2).map_err(err)?)?);
    }
    Ok(items)
}

fn row_to_item(pk: String, sk: String, attrs: String) -> Result<Item, StoreError> {
    let attrs: Map<String, Value> = serde_json::from_str(&attrs).map_err(|e| StoreError::Corrupt(format!("sqlite row: {e}")))?;
    Ok(Item::new(Key { pk, sk }, attrs))
}

fn load(tx: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let row = tx
        .prepare_cached(GET)
        .and_then(|mut stmt| stmt.query_row(params![key.pk, key.sk], |r| r.get::<_, String>(0)))
        .optional()
        .map_err(err)?;
    row.map(|attrs| row_to_item(key.pk.clone(), key.sk.clone(), attrs)).transpose()
}

fn save(tx: &Connection, item: &Item) -> Result<(), StoreError> {
    let attrs = serde_json::to_string(&item.attrs).map_err(|e| StoreError::Other(e.to_string()))?;
    let index = |name: &str| item.attrs.get(name).and_then(Value::as_str).map(str::to_owned);
    tx.prepare_cached(
        "INSERT INTO items (pk, sk, expires_at, attrs, gsi1pk, gsi1sk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (pk, sk) DO UPDATE SET expires_at = excluded.expires_at, attrs = excluded.attrs,
             gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk",
    )
    .and_then(|mut stmt| stmt.execute(params![item.key.pk, item.key.sk, item.expires_at(), attrs, index(GSI1PK), index(GSI1SK)]))
    .map_err(err)?;
    Ok(())
}

#[async_trait::async_trait]
impl ItemStore for SqliteStore {
    async fn get(&self, key: &Key, now: UnixTime) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.run(1, move |c| Ok(load(c, &key)?.filter(|i| i.is_live(now)))).await
    }

    async fn get_many(&self, keys: Vec<Key>, now: UnixTime) -> Result<Vec<Option<Item>>, StoreError> {
        self.run(keys.len(), move |c| {
            // One read transaction for all: each statement on its own would take the file's read lock again.
            let own = c.is_autocommit();
            if own {
                c.execute_batch("BEGIN").map_err(err)?;
            }
            let items = keys.into_iter().map(|key| Ok(load(c, &key)?.filter(|i| i.is_live(now)))).collect::<Result<Vec<_>, StoreError>>();
            if own {
                c.execute_batch("COMMIT").map_err(err)?;
            }
            items
        })
        .await
    }

    async fn query_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let (pk, prefix) = (pk.to_owned(), sk_prefix.to_owned());
        self.run(limit.saturating_add(1), move |c| {
            // substr() rather than LIKE: sort keys may contain `%` or `_` (a member's partition is small).
            let items = first_rows(c, QUERY_PREFIX, params![pk, prefix, now], limit.saturating_add(1))?;
            if items.len() > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one partition")));
            }
            Ok(items)
        })
        .await
    }

    async fn count_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        let (pk, prefix) = (pk.to_owned(), sk_prefix.to_owned());
        self.run(1, move |c| {
            let n: i64 =
                c.prepare_cached(COUNT_PREFIX).and_then(|mut stmt| stmt.query_row(params![pk, prefix, now], |r| r.get(0))).map_err(err)?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one partition")));
            }
            Ok(n)
        })
        .await
    }

    async fn query_first(&self, pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let pk = pk.to_owned();
        self.run(limit, move |c| first_rows(c, QUERY_PREFIX, params![pk, "", now], limit)).await
    }

    async fn query_index(&self, index_pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let index_pk = index_pk.to_owned();
        self.run(limit.saturating_add(1), move |c| {
            let items = first_rows(c, QUERY_INDEX, params![index_pk, now], limit.saturating_add(1))?;
            if items.len() > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one index partition")));
            }
            Ok(items)
        })
        .await
    }

    async fn query_index_page(
        &self,
        index_pk: &str,
        sk_prefix: &str,
        after: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<IndexPage, StoreError> {
        let (index_pk, prefix, after) = (index_pk.to_owned(), sk_prefix.to_owned(), after.unwrap_or("").to_owned());
        self.run(limit.saturating_add(1), move |c| {
            let items = first_rows(c, QUERY_INDEX_PAGE, params![index_pk, prefix, after, now], limit.saturating_add(1))?;
            Ok(IndexPage::of(items, limit))
        })
        .await
    }

    async fn query_index_entries(
        &self,
        index_pk: &str,
        sk_prefix: &str,
        after: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<EntryPage, StoreError> {
        let whole = sk_prefix.is_empty() && after.is_none();
        let (index_pk, prefix, after) = (index_pk.to_owned(), sk_prefix.to_owned(), after.unwrap_or("").to_owned());
        self.run(limit.saturating_add(1), move |c| {
            // A page from the start of the partition compares no sort key at all.
            let (mut stmt, mut rows);
            if whole {
                stmt = c.prepare_cached(QUERY_INDEX_ENTRIES_FIRST).map_err(err)?;
                rows = stmt.query(params![index_pk, now]).map_err(err)?;
            } else {
                stmt = c.prepare_cached(QUERY_INDEX_ENTRIES).map_err(err)?;
                rows = stmt.query(params![index_pk, prefix, after, now]).map_err(err)?;
            }
            let mut entries = Vec::new();
            while entries.len() <= limit {
                let Some(row) = rows.next().map_err(err)? else { break };
                let key = Key { pk: row.get(0).map_err(err)?, sk: row.get(1).map_err(err)? };
                entries.push(IndexEntry::unread(key, row.get(2).map_err(err)?));
            }
            let more = entries.len() > limit;
            entries.truncate(limit);
            let next = if more { entries.last().map(|e| e.index_sk.clone()) } else { None };
            Ok(EntryPage { entries, next })
        })
        .await
    }

    async fn transact(&self, ops: Vec<WriteOp>, now: UnixTime) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        if ops.is_empty() {
            return Ok(());
        }
        self.writer
            .write(Box::new(move |tx| {
                // Conditions are all checked against the state before the transaction, as DynamoDB does
                // (keys are distinct, so checking as we go is equivalent).
                for op in &ops {
                    let current = load(tx, op.key())?;
                    let cond = op.cond();
                    if !cond_holds(cond, current.as_ref(), now) {
                        // The savepoint rolls back.
                        return Err(StoreError::Conflict);
                    }
                    match op {
                        WriteOp::Put { item, .. } => save(tx, item)?,
                        WriteOp::Update { key, set, .. } => {
                            let mut item = current.unwrap_or_else(|| Item::new(key.clone(), Map::new()));
                            for (k, v) in set {
                                if v.is_null() {
                                    item.attrs.remove(k);
                                } else {
                                    item.attrs.insert(k.clone(), v.clone());
                                }
                            }
                            save(tx, &item)?;
                        }
                        WriteOp::Delete { key, .. } => {
                            tx.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                                .and_then(|mut stmt| stmt.execute(params![key.pk, key.sk]))
                                .map_err(err)?;
                        }
                        WriteOp::Check { .. } => {}
                        WriteOp::Increment { key, counter, by, .. } => {
                            let mut item = current.unwrap_or_else(|| Item::new(key.clone(), Map::new()));
                            let was = item.attrs.get(counter).and_then(serde_json::Value::as_i64).unwrap_or(0);
                            item.attrs.insert(counter.clone(), serde_json::json!(was + by));
                            save(tx, &item)?;
                        }
                        WriteOp::Add { key, counters } => {
                            let mut item = current.unwrap_or_else(|| Item::new(key.clone(), Map::new()));
                            for (k, by) in counters {
                                let was = item.attrs.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
                                item.attrs.insert(k.clone(), serde_json::json!(was + by));
                            }
                            save(tx, &item)?;
                        }
                    }
                }
                Ok(0)
            }))
            .await
            .map(|_| ())
    }

    async fn dump(&self) -> Result<Vec<Item>, StoreError> {
        self.run(usize::MAX, |c| {
            let mut stmt = c.prepare("SELECT pk, sk, attrs FROM items ORDER BY pk, sk").map_err(err)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?;
            let mut items = Vec::new();
            for row in rows {
                let (pk, sk, attrs) = row.map_err(err)?;
                items.push(row_to_item(pk, sk, attrs)?);
            }
            Ok(items)
        })
        .await
    }

    async fn sweep_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        let deleted = self.writer.write(Box::new(move |c| {
            c.execute("DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?1", params![now]).map(|n| n as i64).map_err(err)
        }));
        deleted.await.map(|n| n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cond;
    use rusqlite::StatementStatus;

    /// Reads keep the statements they prepared whatever the values bound (a partial index once made
    /// SQLite prepare them again on every call).
    #[tokio::test]
    async fn reads_are_not_prepared_again_for_new_values() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        for i in 0..12 {
            let attrs =
                Map::from_iter([(GSI1PK.into(), Value::from(format!("G#{}", i % 3))), (GSI1SK.into(), Value::from(format!("{i:02}")))]);
            let item = Item::new(Key::new(format!("P#{i}"), "S#1"), attrs);
            store.transact(vec![WriteOp::Put { item, cond: Cond::Absent }], 100).await.unwrap();
        }
        for i in 0..12 {
            assert!(store.get(&Key::new(format!("P#{i}"), "S#1"), 100 + i).await.unwrap().is_some());
            assert_eq!(store.query_prefix(&format!("P#{i}"), "S#", 100 + i, 10).await.unwrap().len(), 1);
            assert_eq!(store.count_prefix(&format!("P#{i}"), "S#", 100 + i, 10).await.unwrap(), 1);
            assert_eq!(store.query_index(&format!("G#{}", i % 3), 100 + i, 10).await.unwrap().len(), 4);
            // Sort keys 00–09 start with "0": four of them in partition G#0, three in each other.
            let in_page = if i % 3 == 0 { 4 } else { 3 };
            assert_eq!(store.query_index_page(&format!("G#{}", i % 3), "0", None, 100 + i, 10).await.unwrap().items.len(), in_page);
            assert_eq!(store.query_index_entries(&format!("G#{}", i % 3), "0", None, 100 + i, 10).await.unwrap().entries.len(), in_page);
            assert_eq!(store.query_index_entries(&format!("G#{}", i % 3), "", None, 100 + i, 10).await.unwrap().entries.len(), 4);
        }
        let Readers::Own(pool) = &*store.readers else { panic!("an on-disk store has read connections of its own") };
        for sql in [GET, QUERY_PREFIX, COUNT_PREFIX, QUERY_INDEX, QUERY_INDEX_PAGE, QUERY_INDEX_ENTRIES, QUERY_INDEX_ENTRIES_FIRST] {
            let mut steps = 0;
            for conn in pool {
                let conn = conn.lock().unwrap();
                let stmt = conn.prepare_cached(sql).unwrap();
                assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "prepared again: {sql}");
                steps += stmt.get_status(StatementStatus::VmStep);
            }
            assert!(steps > 0, "the cached statement was the one that ran: {sql}");
        }
    }

    /// A search ranks index entries from the index alone: no lookup in the table per entry.
    #[test]
    fn index_entries_are_read_from_the_index_alone() {
        let conn = Connection::open_in_memory().unwrap();
        SqliteStore::prepare(&conn).unwrap();
        let plan = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Vec<String> {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            stmt.query_map(args, |r| r.get::<_, String>(3)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        for p in [plan(QUERY_INDEX_ENTRIES, params!["G#1", "", "", 0]), plan(QUERY_INDEX_ENTRIES_FIRST, params!["G#1", 0])] {
            // A covering index, and no sort (the index order is the order asked for).
            assert!(p.iter().any(|s| s.contains("USING COVERING INDEX items_by_gsi1_live")), "{p:?}");
            assert!(!p.iter().any(|s| s.contains("TEMP B-TREE")), "{p:?}");
        }
        for p in [plan(QUERY_INDEX, params!["G#1", 0]), plan(QUERY_INDEX_PAGE, params!["G#1", "", "", 0])] {
            assert!(!p.iter().any(|s| s.contains("TEMP B-TREE")), "{p:?}");
        }
    }
}
