//! The local outbox: e-mails land in `outbox.sqlite` in the data directory (or in memory in tests) and are
//! listed at `GET /outbox` and `GET /api/_local/outbox`.
//!
//! The outbox stands for the recipients' mailboxes, so it is kept apart from the store and is not part of
//! `entraide dump`. In AWS we never keep sent mail.
//!
//! Mails are written like the store's writes ([`crate::store::group`]): one writer thread commits every
//! mail waiting in one transaction, off the async workers; on disk the list reads on a WAL connection
//! of its own.

use super::{MailError, Mailer, OutgoingMail};
use crate::store::group::{GroupError, GroupWriter};
use rusqlite::{Connection, params};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A message as the outbox shows it (docs/PRODUCT.md §7: `{id, to, subject, text, html, links}`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub links: Vec<super::MailLink>,
    pub sent_at: i64,
}

/// The outbox adapter. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    writer: GroupWriter<MailError>,
    /// For the list: a connection of its own on disk, the writer's in memory.
    reader: Arc<Mutex<Connection>>,
}

impl GroupError for MailError {
    fn sqlite(e: rusqlite::Error) -> Self {
        MailError(e.to_string())
    }
    fn busy() -> Self {
        MailError("the outbox has too many mails waiting".into())
    }
    fn stopped() -> Self {
        MailError("the outbox writer stopped".into())
    }
}

fn sqlite(e: rusqlite::Error) -> MailError {
    MailError(e.to_string())
}

impl Outbox {
    pub fn open(dir: &Path) -> Result<Self, MailError> {
        std::fs::create_dir_all(dir).map_err(|e| MailError(format!("creating the data directory: {e}")))?;
        let path = dir.join("outbox.sqlite");
        let conn = Connection::open(&path).map_err(sqlite)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;").map_err(sqlite)?;
        Self::prepare(&conn)?;
        let reader = Connection::open(&path).map_err(sqlite)?;
        reader.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;").map_err(sqlite)?;
        Ok(Outbox { writer: GroupWriter::start("outbox-writer", Arc::new(Mutex::new(conn))), reader: Arc::new(Mutex::new(reader)) })
    }

    pub fn in_memory() -> Result<Self, MailError> {
        let conn = Connection::open_in_memory().map_err(sqlite)?;
        Self::prepare(&conn)?;
        let shared = Arc::new(Mutex::new(conn));
        Ok(Outbox { writer: GroupWriter::start("outbox-writer", shared.clone()), reader: shared })
    }

    fn prepare(conn: &Connection) -> Result<(), MailError> {
        conn.execute_batch(
            "PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, subject TEXT NOT NULL,
                text TEXT NOT NULL, html TEXT NOT NULL, links TEXT NOT NULL, sent_at INTEGER NOT NULL)",
        )
        .map_err(sqlite)
    }

    /// Every message, oldest first.
    pub fn list(&self) -> Result<Vec<StoredMail>, MailError> {
        let conn = self.reader.lock().map_err(|_| MailError("outbox poisoned".into()))?;
        let mut stmt = conn
            .prepare("SELECT id, recipient, subject, text, html, links, sent_at FROM outbox ORDER BY id")
            .map_err(|e| MailError(e.to_string()))?;
        let rows = stmt
            .query_map([], |r| {
                let links: String = r.get(5)?;
                Ok(StoredMail {
                    id: r.get(0)?,
                    to: r.get(1)?,
                    subject: r.get(2)?,
                    text: r.get(3)?,
                    html: r.get(4)?,
                    links: serde_json::from_str(&links).unwrap_or_default(),
                    sent_at: r.get(6)?,
                })
            })
            .map_err(|e| MailError(e.to_string()))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| MailError(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        let links = serde_json::to_string(&mail.links).map_err(|e| MailError(e.to_string()))?;
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let (to, subject, text, html) = (mail.to.as_str().to_owned(), mail.subject.clone(), mail.text.clone(), mail.html.clone());
        let id = self
            .writer
            .write(Box::new(move |c| {
                c.prepare_cached("INSERT INTO outbox (recipient, subject, text, html, links, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    .and_then(|mut stmt| stmt.execute(params![to, subject, text, html, links, now]))
                    .map_err(sqlite)?;
                Ok(c.last_insert_rowid())
            }))
            .await?;
        Ok(format!("outbox-{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_mails_are_all_kept_with_ids_of_their_own_and_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let sends: Vec<_> = (0..200)
            .map(|i| {
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let mail = OutgoingMail {
                        to: crate::domain::Email::parse(&format!("m{i}@example.org")).unwrap(),
                        subject: format!("n°{i}"),
                        text: "texte".into(),
                        html: "<p>texte</p>".into(),
                        links: vec![],
                    };
                    outbox.send(&mail).await.unwrap()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for s in sends {
            ids.push(s.await.unwrap());
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 200, "each mail its own id");
        assert!(outbox.writer.commits() < 200, "{} commits for 200 mails at once", outbox.writer.commits());
        drop(outbox);
        let reopened = Outbox::open(dir.path()).unwrap();
        let listed = reopened.list().unwrap();
        assert_eq!(listed.len(), 200);
        assert!(listed.iter().all(|m| m.subject == format!("n°{}", &m.to[1..m.to.find('@').unwrap()])), "each mail whole");
    }
}
