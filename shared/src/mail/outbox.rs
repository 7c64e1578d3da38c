//! The local outbox: e-mails land in `outbox.sqlite` in the data directory (or in memory in tests) and are
//! listed at `GET /outbox` and `GET /api/_local/outbox`.
//!
//! The outbox stands for the recipients' mailboxes, so it is kept apart from the store and is not part of
//! `entraide dump`. In AWS we never keep sent mail.

use super::{MailError, Mailer, OutgoingMail};
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

/// The outbox adapter.
#[derive(Clone)]
pub struct Outbox {
    conn: Arc<Mutex<Connection>>,
}

impl Outbox {
    pub fn open(dir: &Path) -> Result<Self, MailError> {
        std::fs::create_dir_all(dir).map_err(|e| MailError(format!("creating the data directory: {e}")))?;
        Self::with(Connection::open(dir.join("outbox.sqlite")).map_err(|e| MailError(e.to_string()))?)
    }

    pub fn in_memory() -> Result<Self, MailError> {
        Self::with(Connection::open_in_memory().map_err(|e| MailError(e.to_string()))?)
    }

    fn with(conn: Connection) -> Result<Self, MailError> {
        conn.execute_batch(
            "PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, subject TEXT NOT NULL,
                text TEXT NOT NULL, html TEXT NOT NULL, links TEXT NOT NULL, sent_at INTEGER NOT NULL)",
        )
        .map_err(|e| MailError(e.to_string()))?;
        Ok(Outbox { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Every message, oldest first.
    pub fn list(&self) -> Result<Vec<StoredMail>, MailError> {
        let conn = self.conn.lock().map_err(|_| MailError("outbox poisoned".into()))?;
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
        let conn = self.conn.lock().map_err(|_| MailError("outbox poisoned".into()))?;
        conn.execute(
            "INSERT INTO outbox (recipient, subject, text, html, links, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![mail.to.as_str(), mail.subject, mail.text, mail.html, links, now],
        )
        .map_err(|e| MailError(e.to_string()))?;
        Ok(format!("outbox-{}", conn.last_insert_rowid()))
    }
}
