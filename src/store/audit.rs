//! The audit trail: an append-only, hash-chained list of events (when, who, what, which
//! request; never a personal value). Each event's hash covers the previous event's hash, keyed
//! with the HMAC secret, so an edited, deleted or reordered event breaks the chain, and
//! someone with only the database cannot forge a new chain. Cutting off the newest events is
//! caught by comparing `datareq audit head` with a copy kept elsewhere (the daemon logs it
//! daily).

use std::fmt;

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::crypto::{HashDomain, KeyedHasher, HASH_LEN};

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The daemon or an automatic command.
    Daemon,
    /// A person at the command line, by OS user name.
    OsUser(String),
    /// A person signed in to the web interface, by account name.
    WebUser(String),
}

impl Actor {
    /// The person running this process, from the environment or, failing that, the uid.
    pub fn current_os_user() -> Actor {
        let name = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|n| !n.is_empty() && n.len() <= 64);
        Actor::OsUser(name.unwrap_or_else(|| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self")
                .map(|m| format!("uid {}", m.uid()))
                .unwrap_or_else(|_| "unknown".into())
        }))
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Daemon => f.write_str("daemon"),
            Actor::OsUser(name) => write!(f, "os:{name}"),
            Actor::WebUser(name) => write!(f, "web:{name}"),
        }
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub reference: Option<String>,
    pub detail: String,
}

/// The newest event's number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// The first thing wrong with the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit event {seq}: {reason}")]
pub struct AuditProblem {
    pub seq: i64,
    pub reason: String,
}

fn chain_hash(hasher: &KeyedHasher, previous: &[u8], event: &AuditEvent) -> [u8; HASH_LEN] {
    hasher.hash(
        HashDomain::Audit,
        &[
            previous,
            &event.seq.to_be_bytes(),
            &event.at.to_be_bytes(),
            event.actor.as_bytes(),
            event.action.as_bytes(),
            event.reference.as_deref().unwrap_or("").as_bytes(),
            // Whether there is a reference at all, so None and Some("") differ.
            &[u8::from(event.reference.is_some())],
            event.detail.as_bytes(),
        ],
    )
}

/// The events of one transaction, chained in memory and written at its end. Taking the log
/// updates the head row first: that takes its row lock, so concurrent writers (several
/// daemons on PostgreSQL) wait for each other and the chain stays one line.
pub(super) struct AuditLog {
    seq: i64,
    previous: Vec<u8>,
    pending: Vec<(AuditEvent, [u8; HASH_LEN])>,
}

impl AuditLog {
    pub(super) async fn begin(tx: &mut AnyConnection) -> Result<AuditLog, StoreError> {
        let row = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        Ok(AuditLog {
            seq: row.try_get(0)?,
            previous: row.try_get(1)?,
            pending: Vec::new(),
        })
    }

    /// Adds an event to the chain.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &mut self,
        hasher: &KeyedHasher,
        at: i64,
        actor: &Actor,
        action: &str,
        reference: Option<&str>,
        detail: &str,
    ) {
        self.seq += 1;
        let event = AuditEvent {
            seq: self.seq,
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            reference: reference.map(str::to_string),
            detail: detail.to_string(),
        };
        let hash = chain_hash(hasher, &self.previous, &event);
        self.previous = hash.to_vec();
        self.pending.push((event, hash));
    }

    /// Writes the events and the new head, inside the caller's transaction.
    pub(super) async fn finish(self, tx: &mut AnyConnection) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        for (chunk, values) in super::multi_row(&self.pending, 7) {
            let sql = format!(
                "INSERT INTO audit_events (seq, at, actor, action, reference, detail, hash) \
                 VALUES {values}"
            );
            // Only placeholders are formatted into the statement; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (event, hash) in chunk {
                query = query
                    .bind(event.seq)
                    .bind(event.at)
                    .bind(event.actor.clone())
                    .bind(event.action.clone())
                    .bind(event.reference.clone())
                    .bind(event.detail.clone())
                    .bind(hash.to_vec());
            }
            query.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(self.previous)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

/// Takes the audit chain's lock for the rest of the transaction. Every writer takes it before
/// any request row (ingest does, by beginning its log first), so two writers never wait for
/// each other the other way round (no deadlock between daemons on PostgreSQL).
pub(super) async fn lock_chain(tx: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Appends one event inside the caller's transaction.
pub(super) async fn append(
    tx: &mut AnyConnection,
    hasher: &KeyedHasher,
    at: i64,
    actor: &Actor,
    action: &str,
    reference: Option<&str>,
    detail: &str,
) -> Result<i64, StoreError> {
    let mut log = AuditLog::begin(tx).await?;
    log.record(hasher, at, actor, action, reference, detail);
    let seq = log.seq;
    log.finish(tx).await?;
    Ok(seq)
}

impl Store {
    /// Records an event on its own (a read, a command), committed at once.
    pub async fn audit(
        &self,
        at: i64,
        actor: &Actor,
        action: &str,
        reference: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        append(&mut tx, &self.hasher, at, actor, action, reference, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest event's number and hash, to keep somewhere else.
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        self.settle_sent().await?;
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let hash: Vec<u8> = row.try_get(1)?;
        Ok(AuditHead {
            seq: row.try_get(0)?,
            hash: hex::encode(hash),
        })
    }

    /// Events, oldest first (for a request, or all).
    pub async fn audit_events(
        &self,
        reference: Option<&str>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.settle_sent().await?;
        let rows = match reference {
            Some(r) => {
                sqlx::query(
                    "SELECT seq, at, actor, action, reference, detail FROM audit_events \
                     WHERE reference = $1 ORDER BY seq",
                )
                .bind(r.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT seq, at, actor, action, reference, detail FROM audit_events \
                     ORDER BY seq",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(event_of_row).collect()
    }

    /// Walks the whole chain. `Ok(n)`: n events, all intact and ending at the head.
    /// `Err(problem)`: the first bad event.
    pub async fn verify_audit(&self) -> Result<Result<i64, AuditProblem>, StoreError> {
        self.settle_sent().await?;
        use futures_util::TryStreamExt;
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_seq: i64 = head.try_get(0)?;
        let head_hash: Vec<u8> = head.try_get(1)?;
        let mut rows = sqlx::query(
            "SELECT seq, at, actor, action, reference, detail, hash FROM audit_events ORDER BY seq",
        )
        .fetch(&self.pool);
        let mut previous = vec![0u8; HASH_LEN];
        let mut expected = 1i64;
        while let Some(row) = rows.try_next().await? {
            let event = event_of_row(&row)?;
            let stored: Vec<u8> = row.try_get(6)?;
            if event.seq != expected {
                return Ok(Err(AuditProblem {
                    seq: expected,
                    reason: if event.seq > expected {
                        "missing (deleted)".into()
                    } else {
                        "out of order".into()
                    },
                }));
            }
            if chain_hash(&self.hasher, &previous, &event).as_slice() != stored.as_slice() {
                return Ok(Err(AuditProblem {
                    seq: event.seq,
                    reason: "hash does not match its content and the event before it \
                             (edited, reordered or inserted)"
                        .into(),
                }));
            }
            previous = stored;
            expected += 1;
        }
        let last = expected - 1;
        if last != head_seq || previous != head_hash {
            return Ok(Err(AuditProblem {
                seq: last + 1,
                reason: format!(
                    "the chain ends at event {last} but the head records event {head_seq} \
                     (newest events deleted, or the head edited)"
                ),
            }));
        }
        Ok(Ok(last))
    }
}

fn event_of_row(row: &sqlx::any::AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        reference: row.try_get(4)?,
        detail: row.try_get(5)?,
    })
}
