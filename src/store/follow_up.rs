//! Follow-ups and links between requests. A message that answers one of our replies (or, with
//! no citation, comes from the same sender with the same identity code as that sender's
//! incomplete request) is merged into the open request; any other request with the identity
//! code of an open one is stored on its own, linked to it, for a clerk (`possible_duplicate`):
//! never dropped, never handed off twice.

use sqlx::{AnyConnection, Row};

use super::audit::{Actor, AuditLog};
use super::ingest::{queue_reply, set_state, IngestOutcome, PreparedMessage};
use super::new_requests::insert_messages;
use super::records::{ReplyContent, RequestContent};
use super::transitions::clock;
use super::{parse_state, Store, StoreError};
use crate::request::follow_up::merge;
use crate::request::lifecycle::{Event, RequestState};
use crate::request::model::{Field, Status};

/// Why a clerk must look at a request, beyond the parse's own reasons. Not personal: kept
/// readable in `requests.clerk_reasons`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClerkReason {
    /// Another open request has the same identity code.
    PossibleDuplicate,
    /// A follow-up came from another address than the request.
    FollowUpFromOtherSender,
    /// A follow-up answers a request that is closed or already picked up.
    FollowUpToClosedRequest,
}

impl ClerkReason {
    pub fn name(self) -> &'static str {
        match self {
            ClerkReason::PossibleDuplicate => "possible_duplicate",
            ClerkReason::FollowUpFromOtherSender => "follow_up_from_other_sender",
            ClerkReason::FollowUpToClosedRequest => "follow_up_to_closed_request",
        }
    }
}

/// The request a message answers.
pub(super) enum Answered {
    Open(Target),
    /// Closed or picked up: the message becomes a new request, linked to this one.
    Closed(i64),
    None,
}

pub(super) struct Target {
    id: i64,
    reference: String,
    state: RequestState,
    sender_hash: Option<Vec<u8>>,
    sealed_request: Option<Vec<u8>>,
    paused_at: Option<i64>,
    due_at: i64,
    clerk_reasons: String,
}

fn target_of_row(row: &sqlx::any::AnyRow) -> Result<Target, StoreError> {
    let state: String = row.try_get(2)?;
    Ok(Target {
        id: row.try_get(0)?,
        reference: row.try_get(1)?,
        state: parse_state(&state)?,
        sender_hash: row.try_get(3)?,
        sealed_request: row.try_get(4)?,
        paused_at: row.try_get(5)?,
        due_at: row.try_get(6)?,
        clerk_reasons: row.try_get(7)?,
    })
}

impl Store {
    /// The request `m` answers: by the references it cites, else (a fresh message) the same
    /// sender's incomplete request with the same identity code.
    pub(super) async fn find_answered(
        &self,
        tx: &mut AnyConnection,
        m: &PreparedMessage,
    ) -> Result<Answered, StoreError> {
        for reference in &m.answered {
            let row = sqlx::query(
                "SELECT id, reference, state, sender_hash, sealed_request, paused_at, due_at, \
                 clerk_reasons FROM requests WHERE reference = $1",
            )
            .bind(reference.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let target = target_of_row(&row)?;
                let open = !target.state.is_closed()
                    && target.state != RequestState::PickedUp
                    && target.sealed_request.is_some();
                return Ok(if open {
                    Answered::Open(target)
                } else {
                    Answered::Closed(target.id)
                });
            }
        }
        if let (Some(id_hash), Some(sender_hash)) = (&m.personal_id_hash, &m.sender_hash) {
            let row = sqlx::query(
                "SELECT id, reference, state, sender_hash, sealed_request, paused_at, due_at, \
                 clerk_reasons FROM requests \
                 WHERE state = 'incomplete' AND personal_id_hash = $1 AND sender_hash = $2 \
                 AND sealed_request IS NOT NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(id_hash.clone())
            .bind(sender_hash.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                return Ok(Answered::Open(target_of_row(&row)?));
            }
        }
        Ok(Answered::None)
    }

    /// An open request (not closed) with the same identity code.
    pub(super) async fn find_same_person(
        &self,
        tx: &mut AnyConnection,
        m: &PreparedMessage,
    ) -> Result<Option<i64>, StoreError> {
        let Some(id_hash) = &m.personal_id_hash else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT id FROM requests WHERE personal_id_hash = $1 AND closed_at IS NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(id_hash.clone())
        .fetch_optional(&mut *tx)
        .await?;
        Ok(match row {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        })
    }

    /// Stores `m` under `target`, merges its fields and moves the request on.
    pub(super) async fn attach_follow_up(
        &self,
        tx: &mut AnyConnection,
        log: &mut AuditLog,
        m: &PreparedMessage,
        target: Target,
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        insert_messages(tx, &[(target.id, m)], now).await?;
        let sealed = target
            .sealed_request
            .as_deref()
            .ok_or_else(|| StoreError::Purged(target.reference.clone()))?;
        let mut content: RequestContent = self.sealer.open_json(sealed)?;
        let merged = merge(&content.fields, &content.invalid, &m.parsed, &m.required);
        let other_sender = m.sender_hash.is_none() || m.sender_hash != target.sender_hash;
        content.fields = merged.fields;
        content.missing = merged.missing;
        content.invalid = merged.invalid;
        content.review_reasons = merged.review_reasons;
        content
            .attachments
            .extend(m.parsed.attachments.iter().cloned());

        let mut events = Vec::new();
        let mut state = target.state;
        let mut step = |event: Event, state: &mut RequestState| -> Result<(), StoreError> {
            *state = state.apply(event)?;
            events.push(event);
            Ok(())
        };
        match (target.state, other_sender, merged.status) {
            (RequestState::Incomplete, true, _)
            | (RequestState::Incomplete, false, Status::NeedsReview) => {
                step(Event::SentToReview, &mut state)?
            }
            (RequestState::Incomplete, false, Status::Complete) => {
                step(Event::Completed, &mut state)?;
                step(Event::Queued, &mut state)?;
            }
            (RequestState::Incomplete, false, Status::Incomplete) => {
                step(Event::StillIncomplete, &mut state)?
            }
            // More from the citizen about a request a clerk or the City already has: a clerk
            // reads it before anything is disclosed.
            (RequestState::Complete | RequestState::Queued, _, _) => {
                step(Event::SentToReview, &mut state)?
            }
            _ => {}
        }
        let personal_id_hash = self.personal_id_hash(&content);
        // An identity code supplied now that another open request already has: the same
        // check a new request gets.
        let duplicate_of = match &personal_id_hash {
            Some(hash) if merged.supplied.contains(&Field::PersonalId) => sqlx::query(
                "SELECT id FROM requests WHERE personal_id_hash = $1 AND closed_at IS NULL \
                     AND id <> $2 ORDER BY id LIMIT 1",
            )
            .bind(hash.clone())
            .bind(target.id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()?,
            _ => None,
        };
        if duplicate_of.is_some() && events.last() == Some(&Event::Queued) {
            // Completed by this follow-up, but the person has another open request: a clerk
            // decides before anything is queued.
            events.retain(|e| *e != Event::Queued);
            state = RequestState::Complete.apply(Event::SentToReview)?;
            events.push(Event::SentToReview);
        }
        let mut clerk_reasons = target.clerk_reasons.clone();
        for (applies, reason) in [
            (other_sender, ClerkReason::FollowUpFromOtherSender),
            (duplicate_of.is_some(), ClerkReason::PossibleDuplicate),
        ] {
            let name = reason.name();
            if applies && !clerk_reasons.split(',').any(|r| r == name) {
                if !clerk_reasons.is_empty() {
                    clerk_reasons.push(',');
                }
                clerk_reasons.push_str(name);
            }
        }
        // The clock runs again once the request no longer waits for the citizen.
        let pause = self.settings.pause_while_incomplete;
        let (due_at, paused_at) = clock(target.due_at, target.paused_at, state, now, pause);
        sqlx::query(
            "UPDATE requests SET sealed_request = $1, personal_id_hash = $2, due_at = $3, \
             paused_at = $4, clerk_reasons = $5, linked_to = COALESCE($6, linked_to), \
             organisation = COALESCE($8, organisation), review_reasons = $9 WHERE id = $7",
        )
        .bind(self.sealer.seal_json(&content)?)
        .bind(personal_id_hash)
        .bind(due_at)
        .bind(paused_at)
        .bind(clerk_reasons)
        .bind(duplicate_of)
        .bind(target.id)
        .bind(m.organisation.as_deref())
        .bind(super::ingest::reason_names(&content.review_reasons))
        .execute(&mut *tx)
        .await?;
        set_state(tx, target.id, state, now).await?;

        let actor = Actor::Daemon;
        let reference = Some(target.reference.as_str());
        let supplied: Vec<&str> = merged.supplied.iter().map(|f| f.name()).collect();
        let detail = format!(
            "supplied={}; {}{}",
            if supplied.is_empty() {
                "-".to_string()
            } else {
                supplied.join(",")
            },
            m.detail,
            if other_sender {
                "; clerk=follow_up_from_other_sender"
            } else {
                ""
            }
        );
        log.record(&self.hasher, now, &actor, "follow_up", reference, &detail);
        for event in &events {
            log.record(&self.hasher, now, &actor, event.name(), reference, "");
        }
        // A follow-up that brings nothing new (the same text sent again) is not answered
        // again: the citizen already has our list of what is missing.
        let new_information = !merged.supplied.is_empty();
        let kind = match state {
            RequestState::Incomplete if new_information => Some("missing_fields"),
            // Completed by this answer: the citizen learns it is now on its way.
            RequestState::Queued if self.settings.receipts && !other_sender => Some("receipt"),
            _ => None,
        };
        let reply_queued = match (&content.sender, kind) {
            (Some(to), Some(kind)) if !m.parsed.auto_submitted => {
                let reply = self.sealer.seal_json(&ReplyContent {
                    to: to.clone(),
                    language: content.language,
                    subject: content.subject.clone(),
                    in_reply_to: m.parsed.message_id.clone(),
                    missing: content.missing.clone(),
                    invalid: content.invalid.clone(),
                    reason: None,
                    due_at: None,
                    encrypted: None,
                })?;
                queue_reply(tx, target.id, &target.reference, kind, &reply, now).await?;
                let detail = format!("kind={kind}");
                log.record(
                    &self.hasher,
                    now,
                    &actor,
                    "reply_queued",
                    reference,
                    &detail,
                );
                true
            }
            _ => false,
        };
        Ok(IngestOutcome::FollowUp {
            reference: target.reference,
            state,
            reply_queued,
        })
    }
}
