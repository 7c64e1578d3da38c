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
use super::{GSI1PK, GSI1SK, IndexPage, Item, ItemStore, Key, StoreError, WriteOp, check_transaction, cond_holds};
use crate::clock::UnixTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Read connections of an on-disk database.
const READERS: usize = 4;

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
    CREATE INDEX IF NOT EXISTS items_by_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
";

/// Data directories created before the secondary index get its columns, filled from the attributes.
const MIGRATE_GSI1: &str = "
    ALTER TABLE items ADD COLUMN gsi1pk TEXT;
    ALTER TABLE items ADD COLUMN gsi1sk TEXT;
    UPDATE items SET gsi1pk = json_extract(attrs, '$.gsi1pk'), gsi1sk = json_extract(attrs, '$.gsi1sk');
";

const INDEXES: &str = "CREATE INDEX IF NOT EXISTS items_by_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;";

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
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;").map_err(err)?;
        Self::prepare(&conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open(&path).map_err(err)?;
                c.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;").map_err(err)?;
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

    /// A read, on the blocking pool, on one of the read connections.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        let (readers, n) = (self.readers.clone(), self.next_reader.fetch_add(1, Relaxed));
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

fn row_to_item(pk: String, sk: String, attrs: String) -> Result<Item, StoreError> {
    let attrs: Map<String, Value> = serde_json::from_str(&attrs).map_err(|e| StoreError::Corrupt(format!("sqlite row: {e}")))?;
    Ok(Item::new(Key { pk, sk }, attrs))
}

fn load(tx: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let row = tx
        .query_row("SELECT attrs FROM items WHERE pk = ?1 AND sk = ?2", params![key.pk, key.sk], |r| r.get::<_, String>(0))
        .optional()
        .map_err(err)?;
    row.map(|attrs| row_to_item(key.pk.clone(), key.sk.clone(), attrs)).transpose()
}

fn save(tx: &Connection, item: &Item) -> Result<(), StoreError> {
    let attrs = serde_json::to_string(&item.attrs).map_err(|e| StoreError::Other(e.to_string()))?;
    let index = |name: &str| item.attrs.get(name).and_then(Value::as_str).map(str::to_owned);
    tx.execute(
        "INSERT INTO items (pk, sk, expires_at, attrs, gsi1pk, gsi1sk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (pk, sk) DO UPDATE SET expires_at = excluded.expires_at, attrs = excluded.attrs,
             gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk",
        params![item.key.pk, item.key.sk, item.expires_at(), attrs, index(GSI1PK), index(GSI1SK)],
    )
    .map_err(err)?;
    Ok(())
}

#[async_trait::async_trait]
impl ItemStore for SqliteStore {
    async fn get(&self, key: &Key, now: UnixTime) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.run(move |c| Ok(load(c, &key)?.filter(|i| i.is_live(now)))).await
    }

    async fn query_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let (pk, prefix) = (pk.to_owned(), sk_prefix.to_owned());
        self.run(move |c| {
            // substr() rather than LIKE: sort keys may contain `%` or `_`.
            let mut stmt = c
                .prepare(
                    "SELECT pk, sk, attrs FROM items
                     WHERE pk = ?1 AND substr(sk, 1, length(?2)) = ?2 AND (expires_at IS NULL OR expires_at > ?3)
                     ORDER BY sk LIMIT ?4",
                )
                .map_err(err)?;
            let rows =
                stmt.query_map(params![pk, prefix, now, (limit + 1) as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?;
            let mut items = Vec::new();
            for row in rows {
                let (pk, sk, attrs) = row.map_err(err)?;
                items.push(row_to_item(pk, sk, attrs)?);
            }
            if items.len() > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one partition")));
            }
            Ok(items)
        })
        .await
    }

    async fn query_index(&self, index_pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let index_pk = index_pk.to_owned();
        self.run(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT pk, sk, attrs FROM items
                     WHERE gsi1pk = ?1 AND (expires_at IS NULL OR expires_at > ?2)
                     ORDER BY gsi1sk, pk, sk LIMIT ?3",
                )
                .map_err(err)?;
            let rows =
                stmt.query_map(params![index_pk, now, (limit + 1) as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?;
            let mut items = Vec::new();
            for row in rows {
                let (pk, sk, attrs) = row.map_err(err)?;
                items.push(row_to_item(pk, sk, attrs)?);
            }
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
        self.run(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT pk, sk, attrs FROM items
                     WHERE gsi1pk = ?1 AND substr(gsi1sk, 1, length(?2)) = ?2 AND gsi1sk > ?3
                       AND (expires_at IS NULL OR expires_at > ?4)
                     ORDER BY gsi1sk, pk, sk LIMIT ?5",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map(params![index_pk, prefix, after, now, (limit + 1) as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(err)?;
            let mut items = Vec::new();
            for row in rows {
                let (pk, sk, attrs) = row.map_err(err)?;
                items.push(row_to_item(pk, sk, attrs)?);
            }
            Ok(IndexPage::of(items, limit))
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
                            tx.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", params![key.pk, key.sk]).map_err(err)?;
                        }
                        WriteOp::Check { .. } => {}
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
        self.run(|c| {
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
