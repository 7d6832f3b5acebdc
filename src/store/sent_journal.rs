//! On SQLite, replies handed over are first recorded in a small database file of their own
//! (`DATABASE.sent`), then settled into the outbox in batches.
//!
//! Why: a connection takes its next reply only once the last one's record committed (that is
//! what bounds the replies a crash can repeat). SQLite has one writer per file, and in the main
//! file that record queued behind the intake's commits of hundreds of messages; the sender
//! spent most of a burst waiting there. The journal's own file has no other writer, and an
//! entry is one small row.
//!
//! What it holds: the outbox row's id and Message-ID, the request's reference, the reply's
//! kind and when it was handed over; no personal data. Settling marks the outbox rows sent with
//! one audit event each, in one transaction, and only then deletes the entries. Settling twice
//! records nothing twice, and an entry whose id and Message-ID no longer name an unsent reply
//! (a database restored from a backup beside a newer journal) is dropped, never applied to
//! another reply.

use std::path::{Path, PathBuf};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

use super::audit::{Actor, AuditLog};
use super::{Durability, Store, StoreError, WriteTx};

/// Entries settled per transaction.
const SETTLE_AT_ONCE: i64 = 256;

/// The journal file of an SQLite database.
pub(super) struct SentJournal {
    pool: AnyPool,
}

/// One reply handed over, as the journal keeps it.
#[derive(Debug, Clone)]
pub(super) struct SentEntry {
    pub outbox_id: i64,
    pub message_id: String,
    pub reference: String,
    pub kind: String,
    pub sent_at: i64,
}

impl SentJournal {
    /// The journal beside the SQLite database at `database`, created private if missing.
    pub async fn open(database: &Path) -> Result<SentJournal, StoreError> {
        let mut path = database.as_os_str().to_owned();
        path.push(".sent");
        let path = PathBuf::from(path);
        if !path.exists() {
            crate::private_fs::create_new_file(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        }
        let options: AnyConnectOptions = format!("sqlite://{}?mode=rw", path.display())
            .parse()
            .map_err(|_| StoreError::Url("cannot parse the sent journal's path".into()))?;
        // One connection: this process's entries queue in the pool, other processes' (a CLI
        // settling) on the busy timeout. NORMAL: an entry survives a crash of the process;
        // a power cut can lose the last ones, which sends those replies again, never loses one.
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 30000;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS sent (outbox_id INTEGER PRIMARY KEY, \
             message_id TEXT NOT NULL, reference TEXT NOT NULL, kind TEXT NOT NULL, \
             sent_at INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await?;
        Ok(SentJournal { pool })
    }

    /// Records replies as handed over; one recorded before stays as it was.
    pub async fn record(&self, entries: &[SentEntry]) -> Result<(), StoreError> {
        for (chunk, values) in super::multi_row(entries, 5) {
            // Only placeholders are formatted into the statement; every value is bound.
            let sql = format!(
                "INSERT OR IGNORE INTO sent (outbox_id, message_id, reference, kind, sent_at) \
                 VALUES {values}"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                query = query
                    .bind(e.outbox_id)
                    .bind(e.message_id.as_str())
                    .bind(e.reference.as_str())
                    .bind(e.kind.as_str())
                    .bind(e.sent_at);
            }
            query.execute(&self.pool).await?;
        }
        Ok(())
    }

    /// The oldest entries, up to `limit`.
    async fn oldest(&self, limit: i64) -> Result<Vec<SentEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT outbox_id, message_id, reference, kind, sent_at FROM sent \
             ORDER BY sent_at, outbox_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SentEntry {
                    outbox_id: row.try_get(0)?,
                    message_id: row.try_get(1)?,
                    reference: row.try_get(2)?,
                    kind: row.try_get(3)?,
                    sent_at: row.try_get(4)?,
                })
            })
            .collect()
    }

    /// Deletes entries once the outbox holds them.
    async fn forget(&self, entries: &[SentEntry]) -> Result<(), StoreError> {
        let placeholders = super::placeholders(1, entries.len());
        let sql = format!("DELETE FROM sent WHERE outbox_id IN ({placeholders})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in entries {
            query = query.bind(e.outbox_id);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Store {
    /// Settles the sent journal into the outbox (SQLite; nothing to do on PostgreSQL). Every
    /// reader and claimer of the outbox calls this first, so none sees a reply handed over as
    /// unsent. Returns how many entries were settled.
    pub async fn settle_sent(&self) -> Result<usize, StoreError> {
        let Some(journal) = &self.sent_journal else {
            return Ok(0);
        };
        let mut settled = 0;
        loop {
            let entries = journal.oldest(SETTLE_AT_ONCE).await?;
            if entries.is_empty() {
                return Ok(settled);
            }
            self.record_in_outbox(&entries).await?;
            journal.forget(&entries).await?;
            settled += entries.len();
        }
    }

    /// Marks the outbox rows of `entries` sent, each with one audit event, in one
    /// transaction. An entry whose id and Message-ID do not name an unsent reply changes
    /// nothing: it was recorded before, or it belongs to another copy of the database.
    pub(super) async fn record_in_outbox(&self, entries: &[SentEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let turn = self.write_turn().await;
        let conn = self.pool.acquire().await?;
        let mut tx = WriteTx::begin(conn, self.backend, turn, Durability::Relaxed).await?;
        let mut log = AuditLog::begin(&mut tx).await?;
        let placeholders = super::placeholders(1, entries.len());
        // Only placeholders are formatted into the statement; every value is bound.
        let sql = format!(
            "SELECT id, message_id FROM outbox WHERE id IN ({placeholders}) AND sent_at IS NULL"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in entries {
            query = query.bind(e.outbox_id);
        }
        let unsent = query
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?)))
            .collect::<Result<std::collections::HashMap<i64, String>, StoreError>>()?;
        let due: Vec<&SentEntry> = entries
            .iter()
            .filter(|e| unsent.get(&e.outbox_id) == Some(&e.message_id))
            .collect();
        // One statement per second of hand-over: an entry keeps its own time. The events follow
        // what the statement changed: on PostgreSQL another daemon may have recorded the same
        // reply since the look-up (its lease ran out while this one sent it).
        for group in due.chunk_by(|a, b| a.sent_at == b.sent_at) {
            let placeholders = super::placeholders(2, group.len());
            let sql = format!(
                "UPDATE outbox SET sent_at = $1, claimed_until = NULL \
                 WHERE id IN ({placeholders}) AND sent_at IS NULL RETURNING id"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(group[0].sent_at);
            for e in group {
                query = query.bind(e.outbox_id);
            }
            let updated = query
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| row.try_get::<i64, _>(0))
                .collect::<Result<std::collections::HashSet<i64>, _>>()?;
            for e in group.iter().filter(|e| updated.contains(&e.outbox_id)) {
                log.record(
                    &self.hasher,
                    e.sent_at,
                    &Actor::Daemon,
                    "reply_sent",
                    Some(&e.reference),
                    &format!("kind={}", e.kind),
                );
            }
        }
        log.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
