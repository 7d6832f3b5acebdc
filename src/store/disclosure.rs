//! Hand-off to the disclosing organisations: a pick-up claims the oldest queued requests of
//! one organisation and hands each, decrypted, to the caller (who encrypts it to the
//! organisation and writes it); only when every one is written does the claim commit. A
//! failure anywhere leaves them all queued: nothing lost, nothing claimed twice. On
//! PostgreSQL, rows another pick-up holds are skipped (`SKIP LOCKED`), so two staff members
//! picking up at once never get the same request.

use sqlx::Row;

use super::audit::{append, lock_chain, Actor};
use super::ingest::queue_reply;
use super::records::{HistoryEntry, ReplyContent, RequestContent, RequestSummary};
use super::requests::{history, summary_of_row};
use super::{Backend, Store, StoreError};
use crate::request::lifecycle::{Event, RequestState};
use crate::request::model::ReviewReason;
use crate::request::rules::Rules;

/// The outbox kind of a request sent to its organisation by email.
pub const DISCLOSURE: &str = "disclosure";

/// Which queued requests a pick-up claims.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// The oldest, up to this many.
    Oldest(u32),
    /// These, by reference (those not queued for the organisation are left alone).
    These(&'a [String]),
}

/// One request as its organisation receives it: the content and every stored message (the
/// request and its follow-ups, oldest first), with its history.
pub struct Disclosure {
    pub summary: RequestSummary,
    pub organisation: String,
    pub content: RequestContent,
    pub messages: Vec<Vec<u8>>,
    pub history: Vec<HistoryEntry>,
}

impl std::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disclosure")
            .field("reference", &self.summary.reference)
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Claims up to `limit` of `organisation`'s queued requests, oldest first, and hands each
    /// to `write`, then calls `finish`; they become `picked_up` (audited with `actor`) when
    /// all of that succeeded. When `write` returns a message (delivery by email), it joins
    /// the outbox as a `disclosure` in the same transaction. Returns the requests picked up.
    pub async fn pick_up<E: From<StoreError>>(
        &self,
        organisation: &str,
        selection: Selection<'_>,
        actor: &Actor,
        now: i64,
        mut write: impl FnMut(Disclosure) -> Result<Option<ReplyContent>, E>,
        finish: impl FnOnce() -> Result<(), E>,
    ) -> Result<Vec<RequestSummary>, E> {
        let mut tx = self.begin_write().await.map_err(E::from)?;
        // The audit chain first, as every writer takes it: taking request rows before it
        // could deadlock with the daemon, which takes the chain and then a request.
        lock_chain(&mut tx).await.map_err(E::from)?;
        // Only this organisation's queued requests are ever claimed, whatever was selected.
        let (which, limit) = match selection {
            Selection::Oldest(limit) => (String::new(), i64::from(limit)),
            Selection::These(references) => {
                let which = if references.is_empty() {
                    " AND 1 = 0".to_string()
                } else {
                    format!(
                        " AND reference IN ({})",
                        super::placeholders(3, references.len())
                    )
                };
                (which, references.len() as i64)
            }
        };
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let claim = format!(
            "SELECT id, reference FROM requests WHERE state = 'queued' \
             AND organisation = $1{which} ORDER BY id LIMIT $2{lock}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(organisation.to_string())
            .bind(limit);
        if let Selection::These(references) = selection {
            for reference in references {
                query = query.bind(reference.clone());
            }
        }
        let rows = query
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| E::from(e.into()))?;
        let mut picked = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get(0).map_err(|e| E::from(e.into()))?;
            let reference: String = row.try_get(1).map_err(|e| E::from(e.into()))?;
            self.apply_event_in(&mut tx, &reference, Event::PickedUp, actor, now)
                .await
                .map_err(E::from)?;
            let disclosure = self
                .disclosure(&mut tx, id, &reference, organisation)
                .await
                .map_err(E::from)?;
            picked.push(disclosure.summary.clone());
            if let Some(message) = write(disclosure)? {
                let sealed = self
                    .sealer
                    .seal_json(&message)
                    .map_err(|e| E::from(e.into()))?;
                queue_reply(&mut tx, id, &reference, DISCLOSURE, &sealed, now)
                    .await
                    .map_err(E::from)?;
                let detail = format!("kind={DISCLOSURE}; organisation={organisation}");
                append(
                    &mut tx,
                    &self.hasher,
                    now,
                    actor,
                    "reply_queued",
                    Some(&reference),
                    &detail,
                )
                .await
                .map_err(E::from)?;
            }
        }
        finish()?;
        tx.commit().await.map_err(|e| E::from(e.into()))?;
        Ok(picked)
    }

    async fn disclosure(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        reference: &str,
        organisation: &str,
    ) -> Result<Disclosure, StoreError> {
        let row = sqlx::query(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at, \
             sealed_request FROM requests WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let summary = summary_of_row(&row)?;
        let sealed: Option<Vec<u8>> = row.try_get(6)?;
        let sealed = sealed.ok_or_else(|| StoreError::Purged(reference.to_string()))?;
        let content: RequestContent = self.sealer.open_json(&sealed)?;
        let mut messages = Vec::new();
        for row in
            sqlx::query("SELECT sealed_message FROM messages WHERE request_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
        {
            let sealed: Option<Vec<u8>> = row.try_get(0)?;
            let sealed = sealed.ok_or_else(|| StoreError::Purged(reference.to_string()))?;
            messages.push(self.sealer.open(&sealed)?);
        }
        Ok(Disclosure {
            summary,
            organisation: organisation.to_string(),
            content,
            messages,
            history: history(tx, reference).await?,
        })
    }

    /// Queued requests that know no organisation (stored before requests recorded theirs):
    /// each takes its organisation from its provider, or, when the provider has none now,
    /// goes back to the clerks (`unknown_service_provider`). Nothing stays queued where no
    /// pick-up would ever find it. Returns how many were routed and how many sent to review.
    pub async fn route_unrouted(
        &self,
        rules: &Rules,
        now: i64,
    ) -> Result<(usize, usize), StoreError> {
        let unrouted = sqlx::query(
            "SELECT id, reference FROM requests WHERE state = 'queued' AND organisation IS NULL \
             ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        if unrouted.is_empty() {
            return Ok((0, 0));
        }
        let (mut routed, mut to_review) = (0, 0);
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        for row in unrouted {
            let id: i64 = row.try_get(0)?;
            let reference: String = row.try_get(1)?;
            let content = self.content_in(&mut tx, id, &reference).await?;
            match rules.organisation_of(&content.fields) {
                Some(organisation) => {
                    sqlx::query("UPDATE requests SET organisation = $1 WHERE id = $2")
                        .bind(organisation.to_string())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    routed += 1;
                }
                None => {
                    let reason = ReviewReason::UnknownServiceProvider.name();
                    sqlx::query(
                        "UPDATE requests SET review_reasons = CASE WHEN review_reasons = '' \
                         THEN $1 ELSE review_reasons || ',' || $1 END WHERE id = $2",
                    )
                    .bind(reason)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    self.apply_event_in(
                        &mut tx,
                        &reference,
                        Event::SentToReview,
                        &Actor::Daemon,
                        now,
                    )
                    .await?;
                    to_review += 1;
                }
            }
        }
        tx.commit().await?;
        Ok((routed, to_review))
    }

    /// Marks picked-up requests `disclosed` (the organisation sent the records). All or
    /// nothing: one reference that is unknown or not picked up changes none; with
    /// `organisation`, neither does one that another organisation discloses.
    pub async fn mark_disclosed(
        &self,
        references: &[String],
        organisation: Option<&str>,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for reference in references {
            if let Some(organisation) = organisation {
                let theirs: Option<String> =
                    sqlx::query("SELECT organisation FROM requests WHERE reference = $1")
                        .bind(reference.clone())
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|row| row.try_get(0))
                        .transpose()?
                        .flatten();
                if theirs.as_deref() != Some(organisation) {
                    return Err(StoreError::NotFound(reference.clone()));
                }
            }
            self.apply_event_in(&mut tx, reference, Event::Disclosed, actor, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An organisation's requests waiting to be picked up or confirmed disclosed, the
    /// earliest due first (nothing personal: references, states and dates).
    pub async fn organisation_queue(
        &self,
        organisation: &str,
        state: RequestState,
        limit: u32,
    ) -> Result<(Vec<RequestSummary>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at FROM requests \
             WHERE state = $1 AND organisation = $2 ORDER BY due_at, id LIMIT $3",
        )
        .bind(state.name())
        .bind(organisation.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) FROM requests WHERE state = $1 AND organisation = $2")
                .bind(state.name())
                .bind(organisation.to_string())
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        Ok((
            rows.iter().map(summary_of_row).collect::<Result<_, _>>()?,
            total,
        ))
    }
}
