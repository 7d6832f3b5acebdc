//! Moving a stored request through its lifecycle: one event at a time, checked against the
//! state machine, audited in the same transaction, with the deadline clock paused while the
//! request waits for the citizen. Also expiry and deadline extensions.

use sqlx::{AnyConnection, Row};

use super::audit::{append, lock_chain, Actor};
use super::ingest::{queue_reply, set_state};
use super::records::{ReplyContent, RequestContent, RequestSummary};
use super::requests::summary_of_row;
use super::{parse_state, Backend, Store, StoreError};
use crate::request::calendar::{add_months, DAY};
use crate::request::lifecycle::{Event, RequestState};

/// A longer time to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// A demanding case: one month from receipt (Act on the Openness of Government
    /// Activities, section 14).
    OneMonth,
    /// GDPR Art. 12(3): one or two further months, with a reason the citizen is told.
    Gdpr { months: u32 },
}

impl Extension {
    fn name(self) -> String {
        match self {
            Extension::OneMonth => "one_month".into(),
            Extension::Gdpr { months } => format!("gdpr_{months}"),
        }
    }
}

/// The due date and pause after moving to `next`: paused while the request waits for the
/// citizen (when `pause` is configured), and pushed back by the pause when the wait ends.
pub(super) fn clock(
    due_at: i64,
    paused_at: Option<i64>,
    next: RequestState,
    now: i64,
    pause: bool,
) -> (i64, Option<i64>) {
    match (paused_at, next.waits_for_citizen() && pause) {
        (Some(paused), false) => (due_at + (now - paused).max(0), None),
        (None, true) => (due_at, Some(now)),
        (paused, _) => (due_at, paused),
    }
}

/// A message for the citizen that a transition queues.
pub(super) enum Notice<'a> {
    /// What is missing or invalid (a clerk returned the request).
    Missing,
    /// A clerk's own words (a clerk returned the request).
    ClerkText(&'a str),
    /// The request was rejected, why, and the right to complain.
    Rejection(&'a str),
    /// The request expired unanswered, and the right to complain.
    Expired,
    /// The deadline was extended, and why.
    Extension { reason: &'a str, due_at: i64 },
}

/// The row a transition works on, locked for the transaction.
pub(super) struct Locked {
    pub(super) id: i64,
    pub(super) state: RequestState,
    received_at: i64,
    due_at: i64,
    paused_at: Option<i64>,
    extension: Option<String>,
}

impl Store {
    pub(super) async fn lock_request(
        &self,
        tx: &mut AnyConnection,
        reference: &str,
    ) -> Result<Locked, StoreError> {
        // SQLite has no FOR UPDATE: its write transaction already holds the database lock.
        let query = match self.backend {
            Backend::Sqlite => {
                "SELECT id, state, received_at, due_at, paused_at, extension FROM requests \
                 WHERE reference = $1"
            }
            Backend::Postgres => {
                "SELECT id, state, received_at, due_at, paused_at, extension FROM requests \
                 WHERE reference = $1 FOR UPDATE"
            }
        };
        let row = sqlx::query(query)
            .bind(reference.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(reference.to_string()))?;
        let state: String = row.try_get(1)?;
        Ok(Locked {
            id: row.try_get(0)?,
            state: parse_state(&state)?,
            received_at: row.try_get(2)?,
            due_at: row.try_get(3)?,
            paused_at: row.try_get(4)?,
            extension: row.try_get(5)?,
        })
    }

    /// Applies `event` to the request, or fails with the illegal transition (nothing changes).
    pub async fn apply_event(
        &self,
        reference: &str,
        event: Event,
        actor: &Actor,
        now: i64,
    ) -> Result<RequestState, StoreError> {
        let mut tx = self.begin_write().await?;
        let state = self
            .apply_event_in(&mut tx, reference, event, actor, now)
            .await?;
        // A request sent back to the citizen tells them what is missing.
        if event == Event::ReturnedToCitizen {
            self.queue_notice(&mut tx, reference, Notice::Missing, now)
                .await?;
        }
        tx.commit().await?;
        Ok(state)
    }

    pub(super) async fn apply_event_in(
        &self,
        tx: &mut AnyConnection,
        reference: &str,
        event: Event,
        actor: &Actor,
        now: i64,
    ) -> Result<RequestState, StoreError> {
        lock_chain(tx).await?;
        let row = self.lock_request(tx, reference).await?;
        let next = row.state.apply(event)?;
        let (due_at, paused_at) = clock(
            row.due_at,
            row.paused_at,
            next,
            now,
            self.settings.pause_while_incomplete,
        );
        sqlx::query("UPDATE requests SET due_at = $1, paused_at = $2 WHERE id = $3")
            .bind(due_at)
            .bind(paused_at)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        set_state(tx, row.id, next, now).await?;
        let detail = format!("from={}; to={next}", row.state);
        append(
            tx,
            &self.hasher,
            now,
            actor,
            event.name(),
            Some(reference),
            &detail,
        )
        .await?;
        Ok(next)
    }

    /// Incomplete requests unanswered for `after_days` expire. Returns their references.
    pub async fn expire_incomplete(
        &self,
        now: i64,
        after_days: u32,
        dry_run: bool,
    ) -> Result<Vec<String>, StoreError> {
        let cutoff = now - i64::from(after_days) * DAY;
        let rows = sqlx::query(
            "SELECT reference FROM requests WHERE state = 'incomplete' AND updated_at <= $1 \
             ORDER BY id",
        )
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?;
        let references: Vec<String> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        if !dry_run {
            let mut tx = self.begin_write().await?;
            for reference in &references {
                self.apply_event_in(&mut tx, reference, Event::Expired, &Actor::Daemon, now)
                    .await?;
                self.queue_notice(&mut tx, reference, Notice::Expired, now)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(references)
    }

    /// Extends a request's deadline. `OneMonth` once, before any GDPR extension; a GDPR
    /// extension once. The reason is sealed into the reply that tells the citizen; the audit
    /// trail records only the kind of extension.
    pub async fn extend_deadline(
        &self,
        reference: &str,
        extension: Extension,
        reason: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<i64, StoreError> {
        if let Extension::Gdpr { months } = extension {
            if !(1..=2).contains(&months) {
                return Err(StoreError::Refused(
                    "a GDPR extension is one or two further months".into(),
                ));
            }
            if reason.trim().is_empty() {
                return Err(StoreError::Refused(
                    "a GDPR extension needs a reason for the citizen".into(),
                ));
            }
        }
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        let row = self.lock_request(&mut tx, reference).await?;
        if row.state.is_closed() {
            return Err(StoreError::Refused(format!(
                "{reference} is {}: nothing to extend",
                row.state
            )));
        }
        let earlier = row.extension.as_deref().unwrap_or("");
        let due_at = match extension {
            _ if earlier.starts_with("gdpr") => {
                return Err(StoreError::Refused(format!(
                    "{reference} has had its GDPR extension already"
                )))
            }
            Extension::OneMonth if !earlier.is_empty() => {
                return Err(StoreError::Refused(format!(
                    "{reference} is extended already"
                )))
            }
            // The base deadline moves to a month from receipt; pauses already added stay.
            Extension::OneMonth => {
                let base = row.received_at + i64::from(self.settings.due_days) * DAY;
                row.due_at + (add_months(row.received_at, 1) - base).max(0)
            }
            Extension::Gdpr { months } => add_months(row.due_at, months),
        };
        sqlx::query(
            "UPDATE requests SET due_at = $1, extension = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(due_at)
        .bind(extension.name())
        .bind(now)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
        let detail = format!("extension={}; due_at={due_at}", extension.name());
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "deadline_extended",
            Some(reference),
            &detail,
        )
        .await?;
        if let Extension::Gdpr { .. } = extension {
            let notice = Notice::Extension { reason, due_at };
            self.queue_notice(&mut tx, reference, notice, now).await?;
        }
        tx.commit().await?;
        Ok(due_at)
    }

    /// Open requests past their due date whose clock runs (not waiting for the citizen),
    /// most overdue first.
    pub async fn list_overdue(&self, now: i64) -> Result<Vec<RequestSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at FROM requests \
             WHERE closed_at IS NULL AND due_at < $1 AND (state <> 'incomplete' OR $2 = 0) \
             ORDER BY due_at, id",
        )
        .bind(now)
        .bind(i64::from(self.settings.pause_while_incomplete))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary_of_row).collect()
    }

    /// Queues a message to the citizen in the outbox: what is still missing (`Notice::Missing`)
    /// or a deadline extension with its reason.
    pub(super) async fn queue_notice(
        &self,
        tx: &mut AnyConnection,
        reference: &str,
        notice: Notice<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT id, sealed_request FROM requests WHERE reference = $1")
            .bind(reference.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let request_id: i64 = row.try_get(0)?;
        let sealed: Option<Vec<u8>> = row.try_get(1)?;
        let sealed = sealed.ok_or_else(|| StoreError::Purged(reference.to_string()))?;
        let content: RequestContent = self.sealer.open_json(&sealed)?;
        let Some(to) = content.sender else {
            // Nobody to tell: the clerk sees that no notice was queued.
            return Ok(());
        };
        let (kind, missing, invalid, reason, due_at) = match notice {
            Notice::Missing => (
                "missing_fields",
                content.missing,
                content.invalid,
                None,
                None,
            ),
            Notice::ClerkText(text) => (
                "clerk_reply",
                Vec::new(),
                Vec::new(),
                Some(text.to_string()),
                None,
            ),
            Notice::Rejection(note) => (
                "rejection",
                Vec::new(),
                Vec::new(),
                Some(note.to_string()),
                None,
            ),
            Notice::Expired => ("expired", Vec::new(), Vec::new(), None, None),
            Notice::Extension { reason, due_at } => (
                "extension",
                Vec::new(),
                Vec::new(),
                Some(reason.to_string()),
                Some(due_at),
            ),
        };
        let sealed = self.sealer.seal_json(&ReplyContent {
            to,
            language: content.language,
            subject: content.subject,
            in_reply_to: content.message_id,
            missing,
            invalid,
            reason,
            due_at,
            encrypted: None,
        })?;
        queue_reply(tx, request_id, reference, kind, &sealed, now).await?;
        let detail = format!("kind={kind}");
        append(
            tx,
            &self.hasher,
            now,
            &Actor::Daemon,
            "reply_queued",
            Some(reference),
            &detail,
        )
        .await?;
        Ok(())
    }
}
