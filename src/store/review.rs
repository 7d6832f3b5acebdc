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

/// Which part of the exception queue to show.
#[derive(Debug, Clone, Default)]
pub struct ReviewQuery {
    /// Only requests with this reason.
    pub reason: Option<String>,
    /// The latest due date first (default: the earliest).
    pub latest_due_first: bool,
    pub offset: u32,
    /// At most this many (default: all).
    pub limit: Option<u32>,
}

/// The requests in review counted per combination of reasons.
#[derive(Debug, Clone, Default)]
pub struct ReviewCounts(Vec<(Vec<String>, i64)>);

impl ReviewCounts {
    /// How many have `reason` (all, without one).
    pub fn total(&self, reason: Option<&str>) -> i64 {
        self.0
            .iter()
            .filter(|(reasons, _)| reason.is_none_or(|r| reasons.iter().any(|x| x == r)))
            .map(|(_, n)| n)
            .sum()
    }

    /// Every reason with its number of requests, by name.
    pub fn per_reason(&self) -> Vec<(String, i64)> {
        let mut per: std::collections::BTreeMap<&str, i64> = Default::default();
        for (reasons, n) in &self.0 {
            for r in reasons {
                *per.entry(r).or_default() += n;
            }
        }
        per.into_iter().map(|(r, n)| (r.to_string(), n)).collect()
    }
}

fn reason_list(parsed: &str, clerk: &str) -> Vec<String> {
    let mut reasons: Vec<String> = parsed
        .split(',')
        .chain(clerk.split(','))
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    reasons.dedup();
    reasons
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
    /// Requests in review, the earliest due first (all of them; the CLI's list). The look is
    /// audited with `actor` (how many it showed): the list holds no personal data, but which
    /// reasons someone at the command line saw is part of who did what.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<ReviewItem>, StoreError> {
        let items = self.review_items(&ReviewQuery::default()).await?;
        let mut tx = self.begin_write().await?;
        let detail = format!("view=review_list; count={}", items.len());
        append(&mut tx, &self.hasher, now, actor, "read", None, &detail).await?;
        tx.commit().await?;
        Ok(items)
    }

    /// One page of the requests in review. A read only (references, reason names and
    /// dates: nothing personal), so that clerks paging through the queue never wait for the
    /// database's write lock.
    pub async fn review_items(&self, query: &ReviewQuery) -> Result<Vec<ReviewItem>, StoreError> {
        let order = if query.latest_due_first {
            "due_at DESC, id DESC"
        } else {
            "due_at, id"
        };
        // The reasons are comma-separated names: a reason matches as ",name," inside both
        // lists joined with commas.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at, \
             review_reasons, clerk_reasons FROM requests WHERE state = 'needs_review' \
             AND ($1 = '' OR (',' || review_reasons || ',' || clerk_reasons || ',') \
             LIKE ('%,' || $1 || ',%')) ORDER BY {order} LIMIT $2 OFFSET $3"
        )))
        .bind(query.reason.clone().unwrap_or_default())
        .bind(query.limit.map_or(i64::MAX, i64::from))
        .bind(i64::from(query.offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let parsed: String = row.try_get(6)?;
                let clerk: String = row.try_get(7)?;
                Ok(ReviewItem {
                    summary: summary_of_row(row)?,
                    reasons: reason_list(&parsed, &clerk),
                })
            })
            .collect()
    }

    /// How many requests in review have each combination of reasons. Few combinations
    /// exist, and they are counted from an index alone, however long the queue is.
    pub async fn review_counts(&self) -> Result<ReviewCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT review_reasons, clerk_reasons, COUNT(*) FROM requests \
             WHERE state = 'needs_review' GROUP BY review_reasons, clerk_reasons",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let reasons =
                    reason_list(&row.try_get::<String, _>(0)?, &row.try_get::<String, _>(1)?);
                Ok((reasons, row.try_get::<i64, _>(2)?))
            })
            .collect::<Result<_, StoreError>>()
            .map(ReviewCounts)
    }

    /// Why a request was sent to the clerks: the parse's reasons and the clerk reasons
    /// (names only).
    pub async fn review_reasons(&self, reference: &str) -> Result<Vec<String>, StoreError> {
        let row =
            sqlx::query("SELECT review_reasons, clerk_reasons FROM requests WHERE reference = $1")
                .bind(reference.to_string())
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound(reference.to_string()))?;
        Ok(reason_list(
            &row.try_get::<String, _>(0)?,
            &row.try_get::<String, _>(1)?,
        ))
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
