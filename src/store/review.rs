//! The clerks' exception queue: what waits for a person, and the three ways out of it —
//! queued for the organisation (only when every required field is present and valid, and the
//! provider has an organisation), back to the citizen with a reply, or rejected with a notice
//! that names the right to complain. Corrections go through the same checks as extraction.
//! Every step is audited with the clerk's identity; clerks' words are sealed in the reply,
//! never written to the audit trail.

use sqlx::Row;

use super::audit::{append, lock_chain, Actor};
use super::records::{RequestContent, RequestSummary};
use super::requests::summary_of_row;
use super::transitions::Notice;
use super::{Store, StoreError};
use crate::request::edit::{missing, Edit};
use crate::request::lifecycle::{Event, RequestState};
use crate::request::model::Field;
use crate::request::personal_id::PersonalId;
use crate::request::rules::Rules;

/// A request waiting for a clerk, and why (reason names; nothing personal).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub reasons: Vec<String>,
}

/// How a clerk resolves a request in review.
#[derive(Clone, Copy)]
pub enum Resolution<'a> {
    /// To the disclosing organisation's queue.
    Queue,
    /// Back to the citizen with the list of what is missing or invalid.
    ReplyMissing,
    /// Back to the citizen with the clerk's words.
    ReplyText(&'a str),
    /// Rejected; the note (the reason) goes to the citizen with the right to complain.
    Reject(&'a str),
}

impl Resolution<'_> {
    fn name(self) -> &'static str {
        match self {
            Resolution::Queue => "queue",
            Resolution::ReplyMissing => "reply_missing_fields",
            Resolution::ReplyText(_) => "reply_text",
            Resolution::Reject(_) => "reject",
        }
    }
}

impl Store {
    /// Requests in review, the earliest due first. The look at the queue is audited with
    /// `actor` (how many it showed; the list holds no personal data, but which reasons a
    /// clerk saw is part of who did what).
    pub async fn review_queue(
        &self,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<ReviewItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at, \
             review_reasons, clerk_reasons FROM requests WHERE state = 'needs_review' \
             ORDER BY due_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|row| {
                let parsed: String = row.try_get(6)?;
                let clerk: String = row.try_get(7)?;
                let reasons = parsed
                    .split(',')
                    .chain(clerk.split(','))
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect();
                Ok(ReviewItem {
                    summary: summary_of_row(row)?,
                    reasons,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut tx = self.begin_write().await?;
        let detail = format!("view=review_list; count={}", items.len());
        append(&mut tx, &self.hasher, now, actor, "read", None, &detail).await?;
        tx.commit().await?;
        Ok(items)
    }

    /// Resolves a request in review. Queuing is refused (nothing changes) while a required
    /// field is missing or invalid, the identity code is not valid, or the provider has no
    /// organisation: the clerk edits or replies instead.
    pub async fn resolve_review(
        &self,
        reference: &str,
        resolution: Resolution<'_>,
        rules: &Rules,
        actor: &Actor,
        now: i64,
    ) -> Result<RequestState, StoreError> {
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        let row = self.lock_request(&mut tx, reference).await?;
        if row.state != RequestState::NeedsReview {
            return Err(StoreError::Refused(format!(
                "{reference} is {}, not in review",
                row.state
            )));
        }
        let content = self.content_in(&mut tx, row.id, reference).await?;
        let event = match resolution {
            Resolution::Queue => {
                let lacking = missing(&content.fields, &content.invalid, rules);
                let invalid: Vec<Field> = content.invalid.iter().map(|i| i.field).collect();
                if !lacking.is_empty() || !invalid.is_empty() {
                    return Err(StoreError::Refused(format!(
                        "{reference} cannot be queued: missing {}; invalid {} \
                         (correct it with `review edit`, or reply to the citizen)",
                        field_names(&lacking),
                        field_names(&invalid)
                    )));
                }
                let id_valid = content
                    .fields
                    .personal_id
                    .as_deref()
                    .is_some_and(|id| PersonalId::parse(id).is_ok());
                if !id_valid {
                    return Err(StoreError::Refused(format!(
                        "{reference} cannot be queued: its identity code is not valid"
                    )));
                }
                let organisation = rules.organisation_of(&content.fields).ok_or_else(|| {
                    StoreError::Refused(format!(
                        "{reference} cannot be queued: its service provider has no organisation"
                    ))
                })?;
                sqlx::query("UPDATE requests SET organisation = $1 WHERE id = $2")
                    .bind(organisation.to_string())
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                Event::Queued
            }
            Resolution::ReplyMissing => {
                if content.missing.is_empty() && content.invalid.is_empty() {
                    return Err(StoreError::Refused(format!(
                        "{reference} lacks nothing: reply with your own text instead"
                    )));
                }
                Event::ReturnedToCitizen
            }
            Resolution::ReplyText(_) => Event::ReturnedToCitizen,
            Resolution::Reject(_) => Event::Rejected,
        };
        let detail = format!("resolution={}", resolution.name());
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "review_resolved",
            Some(reference),
            &detail,
        )
        .await?;
        let state = self
            .apply_event_in(&mut tx, reference, event, actor, now)
            .await?;
        let notice = match resolution {
            Resolution::Queue => None,
            Resolution::ReplyMissing => Some(Notice::Missing),
            Resolution::ReplyText(text) => Some(Notice::ClerkText(text)),
            Resolution::Reject(note) => Some(Notice::Rejection(note)),
        };
        if let Some(notice) = notice {
            self.queue_notice(&mut tx, reference, notice, now).await?;
        }
        tx.commit().await?;
        Ok(state)
    }

    /// Applies a clerk's corrections to a request in review, all or none, and returns the
    /// required fields still missing or invalid. The audit trail names the fields changed.
    pub async fn edit_request(
        &self,
        reference: &str,
        edits: &[Edit],
        rules: &Rules,
        current_year: i32,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<Field>, StoreError> {
        let mut tx = self.begin_write().await?;
        lock_chain(&mut tx).await?;
        let row = self.lock_request(&mut tx, reference).await?;
        if row.state != RequestState::NeedsReview {
            return Err(StoreError::Refused(format!(
                "{reference} is {}: only requests in review are edited",
                row.state
            )));
        }
        let mut content = self.content_in(&mut tx, row.id, reference).await?;
        for edit in edits {
            edit.apply(
                &mut content.fields,
                &mut content.invalid,
                rules,
                current_year,
            )
            .map_err(|e| StoreError::Refused(format!("{reference}: {e}; nothing changed")))?;
        }
        content.missing = missing(&content.fields, &content.invalid, rules);
        let personal_id_hash = self.personal_id_hash(&content);
        sqlx::query(
            "UPDATE requests SET sealed_request = $1, personal_id_hash = $2, organisation = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(self.sealer.seal_json(&content)?)
        .bind(personal_id_hash)
        .bind(rules.organisation_of(&content.fields).map(str::to_string))
        .bind(now)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
        let changed: Vec<Field> = edits.iter().map(|e| e.field).collect();
        let detail = format!(
            "fields={}; missing={}",
            field_names(&changed),
            field_names(&content.missing)
        );
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "edited",
            Some(reference),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(content.missing)
    }

    pub(super) async fn content_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        reference: &str,
    ) -> Result<RequestContent, StoreError> {
        let row = sqlx::query("SELECT sealed_request FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let sealed: Option<Vec<u8>> = row.try_get(0)?;
        let sealed = sealed.ok_or_else(|| StoreError::Purged(reference.to_string()))?;
        Ok(self.sealer.open_json(&sealed)?)
    }
}

fn field_names(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "-".into();
    }
    fields
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(",")
}
