//! Retention: the personal data of requests closed more than the retention time ago is
//! deleted, leaving the non-personal rows (reference, states, dates), the idempotency keys
//! (so an old message fetched again is still recognised) and the audit trail.

use sqlx::Row;

use super::audit::{append, lock_chain, Actor};
use super::{Backend, Store, StoreError};
use crate::request::calendar::DAY;

impl Store {
    /// Purges requests closed at least `retention_days` ago; returns their references. With
    /// `dry_run`, only lists them.
    pub async fn purge(
        &self,
        now: i64,
        retention_days: u32,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<Vec<String>, StoreError> {
        let cutoff = now - i64::from(retention_days) * DAY;
        let rows = sqlx::query(
            "SELECT id, reference FROM requests WHERE closed_at IS NOT NULL \
             AND closed_at <= $1 AND purged_at IS NULL ORDER BY id",
        )
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?;
        let due: Vec<(i64, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        if dry_run || due.is_empty() {
            return Ok(due.into_iter().map(|(_, r)| r).collect());
        }
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        for (id, reference) in &due {
            sqlx::query(
                "UPDATE requests SET sealed_request = NULL, personal_id_hash = NULL, \
                 sender_hash = NULL, purged_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE messages SET sealed_message = NULL WHERE request_id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE outbox SET sealed_reply = NULL WHERE request_id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                &self.hasher,
                now,
                actor,
                "purged",
                Some(reference),
                "",
            )
            .await?;
        }
        tx.commit().await?;
        self.reclaim().await?;
        Ok(due.into_iter().map(|(_, r)| r).collect())
    }

    /// Makes deleted data unrecoverable from the files. SQLite overwrites freed space itself
    /// (`secure_delete`), but the old pages stay in the WAL until a checkpoint; PostgreSQL
    /// keeps old row versions until a vacuum.
    async fn reclaim(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&self.pool)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::raw_sql("VACUUM requests, messages, outbox")
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}
