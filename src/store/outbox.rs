//! The outbox, as the sending side sees it: replies are claimed for a while (a lease), sent,
//! then marked sent. On PostgreSQL several daemons claim at once without waiting on each other
//! or taking the same reply (`FOR UPDATE SKIP LOCKED`); a reply whose sender died is claimed
//! again when its lease runs out. On SQLite there is one daemon, and its write lock serialises
//! claims.

use sqlx::Row;

use super::audit::{append, lock_chain, Actor};
use super::records::ReplyContent;
use super::sent_journal::SentEntry;
use super::{Backend, Store, StoreError};

/// A reply claimed for sending.
#[derive(Debug)]
pub struct ClaimedReply {
    pub outbox_id: i64,
    pub reference: String,
    /// The keyed hash of the citizen's address, for the per-address reply limit.
    pub sender_hash: Option<Vec<u8>>,
    /// The request's due date now (a receipt names it).
    pub request_due_at: i64,
    pub kind: String,
    /// Our Message-ID's local part (the mail layer adds `@domain`).
    pub message_id: String,
    pub content: ReplyContent,
    /// Failed hand-overs so far.
    pub attempts: i64,
}

/// The failure of a parked reply that the keyring cannot open.
pub const UNOPENABLE: &str = "the stored reply cannot be decrypted";

/// What one claim took: the replies to send, and how many it parked because they could not
/// be opened.
#[derive(Debug, Default)]
pub struct Claimed {
    pub replies: Vec<ClaimedReply>,
    pub parked: usize,
}

impl Claimed {
    /// Replies this claim took from the outbox, sendable or parked.
    pub fn taken(&self) -> usize {
        self.replies.len() + self.parked
    }
}

/// Addresses per look-up of sent replies: far below the databases' limits on bound values.
const HASHES_PER_QUERY: usize = 500;

impl Store {
    /// Claims up to `limit` unsent replies for `lease_seconds`, oldest first.
    pub async fn claim_replies(
        &self,
        limit: i64,
        lease_seconds: i64,
        now: i64,
    ) -> Result<Claimed, StoreError> {
        self.settle_sent().await?;
        let query = match self.backend {
            Backend::Postgres => {
                "UPDATE outbox SET claimed_until = $1, failure = NULL WHERE id IN (\
                 SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND sealed_reply IS NOT NULL \
                 AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id"
            }
            Backend::Sqlite => {
                "UPDATE outbox SET claimed_until = $1, failure = NULL WHERE id IN (\
                 SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND sealed_reply IS NOT NULL \
                 AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY id LIMIT $3) \
                 RETURNING id"
            }
        };
        let mut tx = self.begin_write().await?;
        let ids = sqlx::query(query)
            .bind(now + lease_seconds)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<Vec<i64>, _>>()?;
        let mut rows = Vec::new();
        if !ids.is_empty() {
            let placeholders = super::placeholders(1, ids.len());
            // Only placeholders are formatted into the statement; every value is bound.
            let sql = format!(
                "SELECT o.id, r.reference, r.sender_hash, r.due_at, o.kind, o.message_id, \
                 o.sealed_reply, CAST(o.attempts AS BIGINT) FROM outbox o \
                 JOIN requests r ON r.id = o.request_id WHERE o.id IN ({placeholders}) ORDER BY o.id"
            );
            let mut select = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                select = select.bind(*id);
            }
            rows = select.fetch_all(&mut *tx).await?;
        }
        tx.commit().await?;
        // Opened after the commit: decrypting a batch inside the transaction held SQLite's
        // write lock, and the intake waited for it. A reply that cannot be opened (a damaged
        // value, a key no longer in the keyring) would fail the same way on every claim, so it
        // is parked for the clerks, by reference and reason, and the rest of the batch goes on.
        let mut claimed = Claimed {
            replies: Vec::with_capacity(rows.len()),
            parked: 0,
        };
        for row in &rows {
            let outbox_id: i64 = row.try_get(0)?;
            let reference: String = row.try_get(1)?;
            let kind: String = row.try_get(4)?;
            let content = match self.sealer.open_json(&row.try_get::<Vec<u8>, _>(6)?) {
                Ok(content) => content,
                Err(e) => {
                    tracing::error!(reference = %reference, kind = %kind, error = %e, "claimed reply cannot be opened; parked");
                    self.park(outbox_id, &reference, &kind, UNOPENABLE, now)
                        .await?;
                    claimed.parked += 1;
                    continue;
                }
            };
            claimed.replies.push(ClaimedReply {
                outbox_id,
                reference,
                sender_hash: row.try_get(2)?,
                request_due_at: row.try_get(3)?,
                kind,
                message_id: row.try_get(5)?,
                content,
                attempts: row.try_get(7)?,
            });
        }
        Ok(claimed)
    }

    /// Releases the claims of replies being sent (a claim clears the last failure, which tells
    /// them from deferred ones). Only for a daemon that holds the database alone (SQLite, under
    /// its lock): the claims can only be those of a daemon that died, and waiting out their
    /// lease would hold those replies back. Returns how many were released.
    pub async fn release_claims(&self) -> Result<u64, StoreError> {
        self.settle_sent().await?;
        let mut tx = self.begin_write().await?;
        let released = sqlx::query(
            "UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND failed_at IS NULL \
             AND failure IS NULL AND claimed_until IS NOT NULL",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(released)
    }

    /// Records that a claimed reply was handed to the mail server.
    pub async fn mark_sent(&self, reply: &ClaimedReply, now: i64) -> Result<(), StoreError> {
        self.mark_all_sent(&[reply], now).await
    }

    /// Records that claimed replies were handed to the mail server, with one audit event for
    /// each reply not already recorded. On SQLite the record goes to the sent journal and
    /// reaches the outbox when it is next settled (see `sent_journal`).
    ///
    /// The commit is not flushed to disk (SQLite `synchronous=NORMAL` in WAL mode,
    /// PostgreSQL `synchronous_commit=off`): it survives a crash of this process, and only a
    /// power cut or an operating-system crash can lose it, which sends those replies once more.
    /// Nothing is lost that way, and the flush per reply would bound how fast replies go.
    pub async fn mark_all_sent(
        &self,
        replies: &[&ClaimedReply],
        now: i64,
    ) -> Result<(), StoreError> {
        let entries: Vec<SentEntry> = replies
            .iter()
            .map(|reply| SentEntry {
                outbox_id: reply.outbox_id,
                message_id: reply.message_id.clone(),
                reference: reply.reference.clone(),
                kind: reply.kind.clone(),
                sent_at: now,
            })
            .collect();
        match &self.sent_journal {
            Some(journal) => journal.record(&entries).await,
            None => self.record_in_outbox(&entries).await,
        }
    }

    /// Records a transient failure: the reply stays claimed until `retry_at`, then is tried
    /// again.
    pub async fn retry_later(
        &self,
        reply: &ClaimedReply,
        reason: &str,
        retry_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, claimed_until = $1, failure = $2 \
             WHERE id = $3 AND sent_at IS NULL",
        )
        .bind(retry_at)
        .bind(reason)
        .bind(reply.outbox_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Parks a reply that cannot be delivered (a permanent failure) for the clerks; it is not
    /// tried again.
    pub async fn park_reply(
        &self,
        reply: &ClaimedReply,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.park(reply.outbox_id, &reply.reference, &reply.kind, reason, now)
            .await
    }

    async fn park(
        &self,
        outbox_id: i64,
        reference: &str,
        kind: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        let updated = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, failed_at = $1, failure = $2, \
             claimed_until = NULL WHERE id = $3 AND sent_at IS NULL AND failed_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(outbox_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            let detail = format!("kind={kind} failure={reason}");
            append(
                &mut tx,
                &self.hasher,
                now,
                &Actor::Daemon,
                "reply_failed",
                Some(reference),
                &detail,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replies of either of `kinds` sent since `since`, to anyone.
    pub async fn replies_sent_since(
        &self,
        kinds: [&str; 2],
        since: i64,
    ) -> Result<i64, StoreError> {
        self.settle_sent().await?;
        let row =
            sqlx::query("SELECT COUNT(*) FROM outbox WHERE sent_at >= $1 AND kind IN ($2, $3)")
                .bind(since)
                .bind(kinds[0])
                .bind(kinds[1])
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get(0)?)
    }

    /// Replies of either of `kinds` sent since `since` to each of the addresses with
    /// `sender_hashes`, in one query; an address with none is left out.
    pub async fn replies_sent_to(
        &self,
        kinds: [&str; 2],
        sender_hashes: &[&[u8]],
        since: i64,
    ) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
        self.settle_sent().await?;
        let mut counts = Vec::new();
        for chunk in sender_hashes.chunks(HASHES_PER_QUERY) {
            let placeholders = super::placeholders(4, chunk.len());
            // Only placeholders are formatted into the statement; every value is bound.
            let sql = format!(
                "SELECT r.sender_hash, COUNT(*) FROM requests r JOIN outbox o ON o.request_id = r.id \
                 WHERE r.sender_hash IN ({placeholders}) AND o.sent_at >= $1 AND o.kind IN ($2, $3) \
                 GROUP BY r.sender_hash"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(since)
                .bind(kinds[0])
                .bind(kinds[1]);
            for hash in chunk {
                query = query.bind(hash.to_vec());
            }
            for row in query.fetch_all(&self.pool).await? {
                counts.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        Ok(counts)
    }

    /// The replies not sent, oldest first (no personal data: references, kinds, codes).
    pub async fn unsent_replies(&self, now: i64) -> Result<Vec<UnsentReply>, StoreError> {
        self.settle_sent().await?;
        let rows = sqlx::query(
            "SELECT r.reference, o.kind, o.created_at, CAST(o.attempts AS BIGINT), \
             o.claimed_until, o.failed_at, o.failure FROM outbox o \
             JOIN requests r ON r.id = o.request_id \
             WHERE o.sent_at IS NULL AND o.sealed_reply IS NOT NULL ORDER BY o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let claimed_until: Option<i64> = row.try_get(4)?;
                let failed_at: Option<i64> = row.try_get(5)?;
                let failure: Option<String> = row.try_get(6)?;
                let state = match (failed_at, &failure, claimed_until) {
                    (Some(_), _, _) => OutboxState::Parked,
                    (None, Some(_), Some(until)) if until > now => OutboxState::Deferred { until },
                    (None, _, Some(until)) if until > now => OutboxState::Sending,
                    _ => OutboxState::Due,
                };
                Ok(UnsentReply {
                    reference: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                    attempts: row.try_get(3)?,
                    state,
                    failure,
                })
            })
            .collect()
    }

    /// How many unsent replies are waiting (due or being sent), deferred after a failure,
    /// and parked, counted in the database (the same states as [`Store::unsent_replies`]).
    pub async fn outbox_state_counts(&self, now: i64) -> Result<[usize; 3], StoreError> {
        self.settle_sent().await?;
        let row = sqlx::query(
            "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN failed_at IS NULL AND failure IS NOT NULL \
                 AND claimed_until > $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
             FROM outbox WHERE sent_at IS NULL AND sealed_reply IS NOT NULL",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let count = |i: usize| -> Result<usize, StoreError> {
            Ok(usize::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        let (all, deferred, parked) = (count(0)?, count(1)?, count(2)?);
        Ok([all - deferred - parked, deferred, parked])
    }

    /// Makes every deferred reply due now (as Postfix's `postqueue -f`); parked ones stay
    /// parked. Returns how many.
    pub async fn flush_deferred(&self, now: i64) -> Result<u64, StoreError> {
        self.settle_sent().await?;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND failed_at IS NULL \
             AND failure IS NOT NULL AND claimed_until > $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

/// A reply not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnsentReply {
    pub reference: String,
    pub kind: String,
    pub created_at: i64,
    pub attempts: i64,
    pub state: OutboxState,
    /// The last failure: its kind and SMTP code only.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OutboxState {
    /// Waiting for the sender.
    Due,
    /// Claimed by a sender now.
    Sending,
    /// Failed for now; tried again after `until`.
    Deferred { until: i64 },
    /// Refused for good; a clerk decides.
    Parked,
}

impl OutboxState {
    pub fn name(&self) -> &'static str {
        match self {
            OutboxState::Due => "due",
            OutboxState::Sending => "sending",
            OutboxState::Deferred { .. } => "deferred",
            OutboxState::Parked => "parked",
        }
    }
}
