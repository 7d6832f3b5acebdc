//! Reading requests: lists (nothing personal, not audited) and a request's decrypted content
//! (audited before it is decrypted, so a read that fails half-way is still on record).

use sqlx::Row;

use super::audit::{append, Actor};
use super::records::{HistoryEntry, ReplyContent, RequestContent, RequestSummary, StoredRequest};
use super::{parse_state, Store, StoreError};
use crate::request::lifecycle::RequestState;

impl Store {
    /// Requests, oldest first, optionally in one state.
    pub async fn list_requests(
        &self,
        state: Option<RequestState>,
    ) -> Result<Vec<RequestSummary>, StoreError> {
        let rows = match state {
            Some(state) => {
                sqlx::query(
                    "SELECT reference, state, received_at, due_at, updated_at, purged_at \
                     FROM requests WHERE state = $1 ORDER BY id",
                )
                .bind(state.name())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT reference, state, received_at, due_at, updated_at, purged_at \
                     FROM requests ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(summary_of_row).collect()
    }

    /// A request with its content decrypted. The read is an audit event by `actor`,
    /// committed before anything is decrypted.
    pub async fn show_request(
        &self,
        reference: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<StoredRequest, StoreError> {
        self.settle_sent().await?;
        let row = sqlx::query(
            "SELECT reference, state, received_at, due_at, updated_at, purged_at, \
             sealed_request, id FROM requests WHERE reference = $1",
        )
        .bind(reference.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(reference.to_string()))?;
        let summary = summary_of_row(&row)?;
        let sealed: Option<Vec<u8>> = row.try_get(6)?;
        let id: i64 = row.try_get(7)?;
        let Some(sealed) = sealed else {
            return Err(StoreError::Purged(summary.reference));
        };
        self.record_read(reference, "request", actor, now).await?;
        let content: RequestContent = self.sealer.open_json(&sealed)?;
        let messages = sqlx::query("SELECT COUNT(*) FROM messages WHERE request_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>(0)? as usize;
        let history = history(&mut *self.pool.acquire().await?, reference).await?;
        Ok(StoredRequest {
            summary,
            content,
            messages,
            history,
        })
    }

    /// Replies not yet sent, oldest first: (outbox id, reference, Message-ID local part,
    /// decrypted reply). For the sender in the daemon.
    pub async fn pending_replies(
        &self,
    ) -> Result<Vec<(i64, String, String, ReplyContent)>, StoreError> {
        self.settle_sent().await?;
        let rows = sqlx::query(
            "SELECT o.id, r.reference, o.message_id, o.sealed_reply FROM outbox o \
             JOIN requests r ON r.id = o.request_id \
             WHERE o.sent_at IS NULL AND o.sealed_reply IS NOT NULL ORDER BY o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let sealed: Vec<u8> = row.try_get(3)?;
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    self.sealer.open_json(&sealed)?,
                ))
            })
            .collect()
    }

    /// How many replies the outbox holds for each reference (sent or not).
    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.reference, COUNT(*) FROM outbox o JOIN requests r ON r.id = o.request_id \
             GROUP BY r.reference ORDER BY r.reference",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect()
    }
}

pub(super) fn summary_of_row(row: &sqlx::any::AnyRow) -> Result<RequestSummary, StoreError> {
    let state: String = row.try_get(1)?;
    let purged_at: Option<i64> = row.try_get(5)?;
    Ok(RequestSummary {
        reference: row.try_get(0)?,
        state: parse_state(&state)?,
        received_at: row.try_get(2)?,
        due_at: row.try_get(3)?,
        updated_at: row.try_get(4)?,
        purged: purged_at.is_some(),
    })
}

/// A request's audit trail, oldest first.
pub(super) async fn history(
    conn: &mut sqlx::AnyConnection,
    reference: &str,
) -> Result<Vec<HistoryEntry>, StoreError> {
    sqlx::query(
        "SELECT at, actor, action, detail FROM audit_events WHERE reference = $1 ORDER BY seq",
    )
    .bind(reference.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(HistoryEntry {
            at: row.try_get(0)?,
            actor: row.try_get(1)?,
            action: row.try_get(2)?,
            detail: row.try_get(3)?,
        })
    })
    .collect()
}

/// What a search compares.
enum SearchKey {
    PersonalIdHash(Vec<u8>),
    Reference(String),
}

impl Store {
    /// Requests whose client has the identity code `code` (by its keyed hash), oldest first.
    /// The search is an audit event by `actor` (naming how it searched and how many it found,
    /// never the code), committed with nothing else.
    pub async fn find_by_personal_id(
        &self,
        code: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<RequestSummary>, StoreError> {
        let key = SearchKey::PersonalIdHash(self.hasher.personal_id(code).to_vec());
        self.search(key, actor, now).await
    }

    /// The request with `reference`, if any; the search is audited like any other.
    pub async fn find_by_reference(
        &self,
        reference: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<RequestSummary>, StoreError> {
        self.search(SearchKey::Reference(reference.to_string()), actor, now)
            .await
    }

    async fn search(
        &self,
        key: SearchKey,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<RequestSummary>, StoreError> {
        let (query, by, reference) = match &key {
            SearchKey::PersonalIdHash(hash) => (
                sqlx::query(
                    "SELECT reference, state, received_at, due_at, updated_at, purged_at \
                     FROM requests WHERE personal_id_hash = $1 ORDER BY id",
                )
                .bind(hash.clone()),
                "personal_id",
                None,
            ),
            SearchKey::Reference(r) => (
                sqlx::query(
                    "SELECT reference, state, received_at, due_at, updated_at, purged_at \
                     FROM requests WHERE reference = $1",
                )
                .bind(r.clone()),
                "reference",
                Some(r.as_str()),
            ),
        };
        let found: Vec<RequestSummary> = query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary_of_row)
            .collect::<Result<_, _>>()?;
        let mut tx = self.begin_write().await?;
        let detail = format!("by={by}; found={}", found.len());
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "search",
            reference,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }
}

impl Store {
    /// The stored messages of a request (it and its follow-ups, oldest first), decrypted.
    /// An audited read by `actor`, committed before anything is decrypted.
    pub async fn request_messages(
        &self,
        reference: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.sealed_message FROM messages m JOIN requests r ON r.id = m.request_id \
             WHERE r.reference = $1 ORDER BY m.id",
        )
        .bind(reference.to_string())
        .fetch_all(&self.pool)
        .await?;
        self.record_read(reference, "messages", actor, now).await?;
        rows.iter()
            .map(|row| {
                let sealed: Option<Vec<u8>> = row.try_get(0)?;
                let sealed = sealed.ok_or_else(|| StoreError::Purged(reference.to_string()))?;
                Ok(self.sealer.open(&sealed)?)
            })
            .collect()
    }
}

impl Store {
    /// An audited read of `what` (request, messages), committed on its own before anything
    /// is decrypted, so a read that fails half-way is still on record.
    async fn record_read(
        &self,
        reference: &str,
        what: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "read",
            Some(reference),
            what,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The look-up hash of a request's identity code, when it has a valid one.
    pub(super) fn personal_id_hash(&self, content: &RequestContent) -> Option<Vec<u8>> {
        content
            .fields
            .personal_id
            .as_deref()
            .filter(|_| {
                !content
                    .invalid
                    .iter()
                    .any(|i| i.field == crate::request::model::Field::PersonalId)
            })
            .map(|id| self.hasher.personal_id(id).to_vec())
    }
}
