//! New requests, written several at a time. Most messages of a batch are new requests from
//! people who have no other request: for those there is nothing to look up one by one. One
//! look-up for the whole batch tells which messages are such *plain* ones (no copy of the
//! message stored, no reply of ours cited, no request with the same identity code, and none
//! of these earlier in the batch); they are written with a few multi-row statements. Every
//! other message goes the careful way, one by one, in the batch's order, after everything
//! before it was written, so its look-ups see the rows they would have seen in a batch
//! written message by message.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::audit::{Actor, AuditLog};
use super::follow_up::ClerkReason;
use super::ingest::{reply_message_id, IngestOutcome, PreparedMessage};
use super::{multi_row, Store, StoreError};
use crate::request::calendar::{year_of, DAY};
use crate::request::lifecycle::{Event, RequestState};
use crate::request::reference::{Reference, MAX_NUMBER};

/// A message that becomes a new request, and the request it is linked to (for a clerk to
/// decide on), if any.
pub(super) type NewRequest<'m> = (&'m PreparedMessage, Option<(i64, ClerkReason)>);

/// Messages per look-up statement.
const LOOKUP_CHUNK: usize = 256;

/// Which messages of `batch` are plain new requests (see the module's comment): two
/// statements per 256 messages, whatever the batch holds.
pub(super) async fn plain_messages(
    tx: &mut AnyConnection,
    batch: &[PreparedMessage],
) -> Result<Vec<bool>, StoreError> {
    let mut stored_keys: HashSet<Vec<u8>> = HashSet::new();
    let mut known_ids: HashSet<Vec<u8>> = HashSet::new();
    for chunk in batch.chunks(LOOKUP_CHUNK) {
        let keys: Vec<&[u8]> = chunk.iter().flat_map(message_keys).collect();
        // The same numbered placeholders serve both lists: each key is bound once.
        let list = super::placeholders(1, keys.len());
        let sql = format!(
            "SELECT content_key, mailbox_key FROM messages \
             WHERE content_key IN ({list}) OR mailbox_key IN ({list})"
        );
        // Only placeholders are formatted into the statement; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in &keys {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&mut *tx).await? {
            stored_keys.insert(row.try_get(0)?);
            if let Some(key) = row.try_get::<Option<Vec<u8>>, _>(1)? {
                stored_keys.insert(key);
            }
        }
        let ids: Vec<&[u8]> = chunk
            .iter()
            .filter_map(|m| m.personal_id_hash.as_deref())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT DISTINCT personal_id_hash FROM requests WHERE personal_id_hash IN ({})",
            super::placeholders(1, ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *tx).await? {
            known_ids.insert(row.try_get(0)?);
        }
    }
    let mut seen_keys: HashSet<&[u8]> = HashSet::new();
    let mut seen_ids: HashSet<&[u8]> = HashSet::new();
    Ok(batch
        .iter()
        .map(|m| {
            let keys_new =
                message_keys(m).all(|key| !stored_keys.contains(key) && !seen_keys.contains(key));
            let id = m.personal_id_hash.as_deref();
            let id_new = id.is_none_or(|id| !known_ids.contains(id) && !seen_ids.contains(id));
            seen_keys.extend(message_keys(m));
            seen_ids.extend(id);
            m.answered.is_empty() && keys_new && id_new
        })
        .collect())
}

/// The keys a stored copy of the message would be found by.
fn message_keys(m: &PreparedMessage) -> impl Iterator<Item = &[u8]> {
    std::iter::once(m.content_key.as_slice()).chain(m.mailbox_key.as_deref())
}

impl Store {
    /// Writes `new` as new requests, with their messages, automatic replies and audit
    /// events, in their order; outcomes in the same order.
    pub(super) async fn insert_new_requests(
        &self,
        tx: &mut AnyConnection,
        log: &mut AuditLog,
        new: &[NewRequest<'_>],
        now: i64,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let year = year_of(now);
        let first = reserve_references(tx, year, new.len()).await?;
        let due_at = now + i64::from(self.settings.due_days) * DAY;
        let mut rows = Vec::with_capacity(new.len());
        for (number, (m, link)) in (first..).zip(new) {
            // A request linked to another goes to a clerk, who decides; it is never answered
            // automatically nor queued on its own.
            let initial = if link.is_some() {
                RequestState::NeedsReview
            } else {
                m.state
            };
            // A complete request goes straight to the disclosing organisation's queue: the
            // row is written in its final state, and both steps are in the audit trail.
            let stored = match initial {
                RequestState::Complete => initial.apply(Event::Queued)?,
                other => other,
            };
            let paused_at = (initial.waits_for_citizen() && self.settings.pause_while_incomplete)
                .then_some(now);
            rows.push(NewRow {
                message: m,
                link: *link,
                reference: Reference { year, number },
                initial,
                stored,
                paused_at,
            });
        }
        let ids = insert_request_rows(tx, &rows, now, due_at).await?;
        let messages: Vec<(i64, &PreparedMessage)> = rows
            .iter()
            .zip(&ids)
            .map(|(row, id)| (*id, row.message))
            .collect();
        insert_messages(tx, &messages, now).await?;
        let replies: Vec<NewReply<'_>> = rows
            .iter()
            .zip(&ids)
            .filter(|(row, _)| row.link.is_none())
            .filter_map(|(row, id)| {
                Some(NewReply {
                    request_id: *id,
                    kind: row.message.reply_kind,
                    message_id: reply_message_id(&row.reference.to_string(), 1),
                    sealed: row.message.sealed_reply.as_deref()?,
                })
            })
            .collect();
        insert_replies(tx, &replies, now).await?;
        let actor = Actor::Daemon;
        Ok(rows
            .iter()
            .map(|row| {
                let reference = row.reference.to_string();
                let at = Some(reference.as_str());
                let linked = row
                    .link
                    .map_or(String::new(), |(_, why)| format!("; clerk={}", why.name()));
                let detail = format!("state={}; {}{linked}", row.initial, row.message.detail);
                log.record(&self.hasher, now, &actor, "received", at, &detail);
                if row.stored != row.initial {
                    log.record(&self.hasher, now, &actor, Event::Queued.name(), at, "");
                }
                let reply_queued = row.link.is_none() && row.message.sealed_reply.is_some();
                if reply_queued {
                    let detail = format!("kind={}", row.message.reply_kind);
                    log.record(&self.hasher, now, &actor, "reply_queued", at, &detail);
                }
                IngestOutcome::Stored {
                    reference: row.reference,
                    state: row.stored,
                    reply_queued,
                }
            })
            .collect())
    }
}

/// A new request's row, before it is written.
struct NewRow<'m> {
    message: &'m PreparedMessage,
    link: Option<(i64, ClerkReason)>,
    reference: Reference,
    /// The state the message put it in, and the state it is written in.
    initial: RequestState,
    stored: RequestState,
    paused_at: Option<i64>,
}

/// Writes the request rows; their ids in the rows' order.
async fn insert_request_rows(
    tx: &mut AnyConnection,
    rows: &[NewRow<'_>],
    now: i64,
    due_at: i64,
) -> Result<Vec<i64>, StoreError> {
    let references: Vec<String> = rows.iter().map(|row| row.reference.to_string()).collect();
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    let mut pending = references.as_slice();
    for (chunk, values) in multi_row(rows, 13) {
        let sql = format!(
            "INSERT INTO requests (reference, state, personal_id_hash, sender_hash, \
             received_at, updated_at, due_at, paused_at, sealed_request, clerk_reasons, \
             linked_to, organisation, review_reasons) VALUES {values} RETURNING id, reference"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        let (chunk_references, rest) = pending.split_at(chunk.len());
        pending = rest;
        for (row, reference) in chunk.iter().zip(chunk_references) {
            let m = row.message;
            query = query
                .bind(reference.as_str())
                .bind(row.stored.name())
                .bind(m.personal_id_hash.as_deref())
                .bind(m.sender_hash.as_deref())
                .bind(now)
                .bind(now)
                .bind(due_at)
                .bind(row.paused_at)
                .bind(m.sealed_request.as_slice())
                .bind(row.link.map_or("", |(_, why)| why.name()))
                .bind(row.link.map(|(id, _)| id))
                .bind(m.organisation.as_deref())
                .bind(super::ingest::reason_names(&m.parsed.review_reasons));
        }
        // Neither database promises RETURNING's order for several rows: ids are matched by
        // reference.
        for returned in query.fetch_all(&mut *tx).await? {
            ids.insert(returned.try_get(1)?, returned.try_get(0)?);
        }
    }
    references
        .iter()
        .map(|reference| {
            ids.get(reference)
                .copied()
                .ok_or_else(|| StoreError::Corrupt("a new request's id was not returned".into()))
        })
        .collect()
}

/// Takes `count` consecutive numbers of `year`'s references; returns the first. The counter
/// row is locked until the transaction ends, so numbers are unique and, within a year,
/// without gaps among committed requests.
async fn reserve_references(
    tx: &mut AnyConnection,
    year: i32,
    count: usize,
) -> Result<u32, StoreError> {
    let exhausted = || StoreError::Corrupt(format!("reference counter of {year} is exhausted"));
    let count = i64::try_from(count).map_err(|_| exhausted())?;
    let row = sqlx::query(
        "INSERT INTO reference_counters (year, next) VALUES ($1, $2) \
         ON CONFLICT (year) DO UPDATE SET next = reference_counters.next + $2 RETURNING next",
    )
    .bind(i64::from(year))
    .bind(count)
    .fetch_one(&mut *tx)
    .await?;
    let last: i64 = row.try_get(0)?;
    u32::try_from(last - count + 1)
        .ok()
        .filter(|_| last <= i64::from(MAX_NUMBER))
        .ok_or_else(exhausted)
}

/// Stores messages' sealed bytes, each under its request.
pub(super) async fn insert_messages(
    tx: &mut AnyConnection,
    messages: &[(i64, &PreparedMessage)],
    now: i64,
) -> Result<(), StoreError> {
    for (chunk, values) in multi_row(messages, 5) {
        let sql = format!(
            "INSERT INTO messages (request_id, content_key, mailbox_key, received_at, \
             sealed_message) VALUES {values}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (request_id, m) in chunk {
            query = query
                .bind(*request_id)
                .bind(m.content_key.as_slice())
                .bind(m.mailbox_key.as_deref())
                .bind(now)
                .bind(m.sealed_message.as_slice());
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A sealed reply to queue.
pub(super) struct NewReply<'a> {
    pub request_id: i64,
    pub kind: &'a str,
    pub message_id: String,
    pub sealed: &'a [u8],
}

/// Queues sealed replies in the outbox.
pub(super) async fn insert_replies(
    tx: &mut AnyConnection,
    replies: &[NewReply<'_>],
    now: i64,
) -> Result<(), StoreError> {
    for (chunk, values) in multi_row(replies, 5) {
        let sql = format!(
            "INSERT INTO outbox (request_id, kind, message_id, created_at, sealed_reply) \
             VALUES {values}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for reply in chunk {
            query = query
                .bind(reply.request_id)
                .bind(reply.kind.to_string())
                .bind(reply.message_id.clone())
                .bind(now)
                .bind(reply.sealed);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}
