//! Idempotent ingestion. A message is stored once: it is known by the keyed hash of its
//! Message-ID and the SHA-256 of its bytes, and, when it came from a mailbox, by the keyed hash
//! of mailbox, UIDVALIDITY and UID. Fetching it again finds it and changes nothing.
//!
//! Ingestion has two halves so that the costly one can run in parallel: [`Store::prepare`]
//! (parse, hash, seal: CPU only, no database) and [`Store::commit`] (one transaction for a
//! whole batch: request, message, outbox reply and audit events commit together or not at
//! all, and nothing is acknowledged before the commit).

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::audit::AuditLog;
use super::follow_up::{Answered, ClerkReason};
use super::new_requests::{insert_replies, plain_messages, NewReply, NewRequest};
use super::records::{ReplyContent, RequestContent};
use super::{Store, StoreError};
use crate::crypto::HashDomain;
use crate::request::calendar::year_of;
use crate::request::follow_up::answered_references;
use crate::request::lifecycle::RequestState;
use crate::request::message::read_message;
use crate::request::model::{Field, ParsedRequest};
use crate::request::reference::Reference;
use crate::request::RequestParser;

/// Where a message sits in an IMAP mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxPosition {
    pub mailbox: String,
    pub uid_validity: u32,
    pub uid: u32,
}

/// A message to ingest: its bytes, and its mailbox position when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub raw: &'a [u8],
    pub position: Option<&'a MailboxPosition>,
}

/// A parsed, hashed and sealed message, ready to commit. What is written to the database is
/// sealed or hashed; the parse itself stays in memory, for merging a follow-up.
pub struct PreparedMessage {
    pub(super) content_key: Vec<u8>,
    pub(super) mailbox_key: Option<Vec<u8>>,
    pub(super) state: RequestState,
    pub(super) personal_id_hash: Option<Vec<u8>>,
    pub(super) sender_hash: Option<Vec<u8>>,
    pub(super) sealed_request: Vec<u8>,
    pub(super) sealed_message: Vec<u8>,
    pub(super) sealed_reply: Option<Vec<u8>>,
    /// The kind of the automatic reply `sealed_reply` holds.
    pub(super) reply_kind: &'static str,
    /// Field names and reasons for the audit trail (no values).
    pub(super) detail: String,
    /// The requests this message answers, by the replies it cites.
    pub(super) answered: Vec<Reference>,
    pub(super) parsed: ParsedRequest,
    pub(super) required: Vec<Field>,
    /// Who discloses the records of the provider this message names, when it names one of
    /// ours.
    pub(super) organisation: Option<String>,
}

impl PreparedMessage {
    /// Adds a note (names and outcomes, never values) to what the audit trail records.
    pub fn note(&mut self, note: &str) {
        self.detail.push_str("; ");
        self.detail.push_str(note);
    }
}

impl std::fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("state", &self.state)
            .field("detail", &self.detail)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new request.
    Stored {
        reference: Reference,
        state: RequestState,
        reply_queued: bool,
    },
    /// A follow-up, attached to the request it answers.
    FollowUp {
        reference: String,
        state: RequestState,
        reply_queued: bool,
    },
    /// The message was already stored, for this request.
    Duplicate { reference: String },
}

impl Store {
    /// Parses a message and seals what will be stored. No database access: safe to run on
    /// many threads at once.
    pub fn prepare(
        &self,
        parser: &RequestParser,
        incoming: Incoming<'_>,
        current_year: i32,
    ) -> Result<PreparedMessage, StoreError> {
        self.prepare_within(
            parser,
            incoming,
            current_year,
            parser.rules().max_message_bytes,
        )
    }

    /// As [`Store::prepare`], with the size limit given: 0 for a message of which only the
    /// header block was fetched, because the whole was over the limit (`too_large`).
    pub fn prepare_within(
        &self,
        parser: &RequestParser,
        incoming: Incoming<'_>,
        current_year: i32,
        max_message_bytes: usize,
    ) -> Result<PreparedMessage, StoreError> {
        let view = read_message(incoming.raw, max_message_bytes);
        let parsed = parser.parse_view(&view, current_year);
        let digest = Sha256::digest(incoming.raw);
        let content_key = self.hasher.hash(
            HashDomain::Content,
            &[
                parsed.message_id.as_deref().unwrap_or("").as_bytes(),
                digest.as_slice(),
            ],
        );
        let mailbox_key = incoming.position.map(|p| self.mailbox_key(p));
        let state = RequestState::received(parsed.status);
        let sender = view.from_address.clone();
        let content = RequestContent::new(&parsed, sender.clone(), view.subject.clone());
        let reply_kind = reply_kind(&parsed, state, self.settings.receipts);
        let sealed_reply = match (&sender, reply_kind) {
            (Some(to), Some(_)) => Some(self.sealer.seal_json(&ReplyContent {
                to: to.clone(),
                language: parsed.language,
                subject: view.subject.clone(),
                in_reply_to: parsed.message_id.clone(),
                missing: content.missing.clone(),
                invalid: content.invalid.clone(),
                reason: None,
                due_at: None,
                encrypted: None,
            })?),
            _ => None,
        };
        Ok(PreparedMessage {
            content_key: content_key.to_vec(),
            mailbox_key,
            state,
            personal_id_hash: valid_personal_id(&parsed)
                .map(|id| self.hasher.personal_id(id).to_vec()),
            sender_hash: sender.as_deref().map(|s| self.hasher.sender(s).to_vec()),
            sealed_request: self.sealer.seal_json(&content)?,
            sealed_message: self.sealer.seal(incoming.raw)?,
            sealed_reply,
            reply_kind: reply_kind.unwrap_or_default(),
            detail: audit_detail(&parsed),
            answered: answered_references(&view),
            required: parser.rules().required.clone(),
            organisation: parser
                .rules()
                .organisation_of(&parsed.fields)
                .map(str::to_string),
            parsed,
        })
    }

    /// The keyed hash a message is found by from its place in a mailbox.
    fn mailbox_key(&self, p: &MailboxPosition) -> Vec<u8> {
        self.mailbox_key_of(&p.mailbox, p.uid_validity, p.uid)
    }

    fn mailbox_key_of(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Vec<u8> {
        self.hasher
            .hash(
                HashDomain::Mailbox,
                &[
                    mailbox.as_bytes(),
                    &uid_validity.to_be_bytes(),
                    &uid.to_be_bytes(),
                ],
            )
            .to_vec()
    }

    /// Which of `uids` (in `mailbox` under `uid_validity`) are stored already: a daemon
    /// stopped between a commit and the move out of the inbox left them there.
    pub async fn stored_uids(
        &self,
        mailbox: &str,
        uid_validity: u32,
        uids: &[u32],
    ) -> Result<std::collections::HashSet<u32>, StoreError> {
        let mut stored = std::collections::HashSet::new();
        for chunk in uids.chunks(500) {
            let mut by_key: std::collections::HashMap<Vec<u8>, u32> = chunk
                .iter()
                .map(|&uid| (self.mailbox_key_of(mailbox, uid_validity, uid), uid))
                .collect();
            // Only placeholders are formatted into the statement; every value is bound.
            let sql = format!(
                "SELECT mailbox_key FROM messages WHERE mailbox_key IN ({})",
                super::placeholders(1, by_key.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for key in by_key.keys() {
                query = query.bind(key.as_slice());
            }
            for row in query.fetch_all(&self.pool).await? {
                let key: Vec<u8> = row.try_get(0)?;
                stored.extend(by_key.remove(&key));
            }
        }
        Ok(stored)
    }

    /// Stores a batch in one transaction; outcomes in the batch's order.
    pub async fn commit(
        &self,
        batch: &[PreparedMessage],
        now: i64,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        match self.commit_once(batch, now).await {
            // Another daemon stored one of these messages between our look-up and insert:
            // the batch is retried message by message, and the look-up then finds it.
            Err(StoreError::Database(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                let mut outcomes = Vec::with_capacity(batch.len());
                for one in batch {
                    outcomes.extend(self.commit_once(std::slice::from_ref(one), now).await?);
                }
                Ok(outcomes)
            }
            other => other,
        }
    }

    /// Prepares and commits one message.
    pub async fn ingest(
        &self,
        parser: &RequestParser,
        incoming: Incoming<'_>,
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        let prepared = self.prepare(parser, incoming, year_of(now))?;
        let mut outcomes = self.commit(std::slice::from_ref(&prepared), now).await?;
        Ok(outcomes.pop().expect("one outcome per message"))
    }

    async fn commit_once(
        &self,
        batch: &[PreparedMessage],
        now: i64,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut log = AuditLog::begin(&mut tx).await?;
        let plain = plain_messages(&mut tx, batch).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut waiting: Vec<NewRequest<'_>> = Vec::new();
        for (message, plain) in batch.iter().zip(plain) {
            if plain {
                waiting.push((message, None));
                continue;
            }
            // What waits is written first: this message's look-ups must see it.
            outcomes.extend(
                self.insert_new_requests(&mut tx, &mut log, &waiting, now)
                    .await?,
            );
            waiting.clear();
            outcomes.push(self.store_one(&mut tx, &mut log, message, now).await?);
        }
        outcomes.extend(
            self.insert_new_requests(&mut tx, &mut log, &waiting, now)
                .await?,
        );
        log.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Stores one message that may be a copy, a follow-up or from someone with another
    /// request: each is looked up before it is written.
    async fn store_one(
        &self,
        tx: &mut AnyConnection,
        log: &mut AuditLog,
        m: &PreparedMessage,
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        let existing = sqlx::query(
            "SELECT r.reference FROM messages m JOIN requests r ON r.id = m.request_id \
             WHERE m.content_key = $1 OR m.mailbox_key = $2 LIMIT 1",
        )
        .bind(m.content_key.as_slice())
        .bind(m.mailbox_key.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return Ok(IngestOutcome::Duplicate {
                reference: row.try_get(0)?,
            });
        }
        let link = match self.find_answered(tx, m).await? {
            Answered::Open(target) => return self.attach_follow_up(tx, log, m, target, now).await,
            Answered::Closed(id) => Some((id, ClerkReason::FollowUpToClosedRequest)),
            Answered::None => self
                .find_same_person(tx, m)
                .await?
                .map(|id| (id, ClerkReason::PossibleDuplicate)),
        };
        let mut outcomes = self.insert_new_requests(tx, log, &[(m, link)], now).await?;
        Ok(outcomes.pop().expect("one outcome per new request"))
    }
}

/// The automatic reply a new message gets: the list of what is missing when its request
/// lacks something; a receipt (when configured) when it is complete or waits for a clerk for
/// a reason the citizen may know of. Never one to automatic mail (a loop), and no receipt for
/// what may not be a request at all, or not from whom it claims.
pub(super) fn reply_kind(
    parsed: &ParsedRequest,
    state: RequestState,
    receipts: bool,
) -> Option<&'static str> {
    use crate::request::model::ReviewReason as R;
    if parsed.auto_submitted {
        return None;
    }
    let doubtful = parsed.review_reasons.iter().any(|r| {
        matches!(
            r,
            R::NoRequestFound
                | R::NoText
                | R::TooLarge
                | R::AutoSubmitted
                | R::EncryptedUndecryptable
                | R::UnauthenticatedSender
        )
    });
    match state {
        RequestState::Incomplete => Some("missing_fields"),
        RequestState::Complete | RequestState::Queued | RequestState::NeedsReview
            if receipts && !doubtful =>
        {
            Some("receipt")
        }
        _ => None,
    }
}

/// The identity code, when present and valid: only a valid code may link requests.
fn valid_personal_id(parsed: &ParsedRequest) -> Option<&str> {
    let invalid = parsed.invalid.iter().any(|i| i.field == Field::PersonalId);
    parsed.fields.personal_id.as_deref().filter(|_| !invalid)
}

/// Review reasons as stored in `requests.review_reasons`: names, comma-separated.
pub(super) fn reason_names(reasons: &[crate::request::model::ReviewReason]) -> String {
    reasons
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn audit_detail(parsed: &ParsedRequest) -> String {
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(",")
        }
    };
    format!(
        "missing={}; invalid={}; review={}",
        names(parsed.missing.iter().map(|f| f.name()).collect()),
        names(parsed.invalid.iter().map(|i| i.field.name()).collect()),
        names(parsed.review_reasons.iter().map(|r| r.name()).collect()),
    )
}

pub(super) async fn set_state(
    tx: &mut AnyConnection,
    request_id: i64,
    state: RequestState,
    now: i64,
) -> Result<(), StoreError> {
    let closed_at = state.is_closed().then_some(now);
    sqlx::query(
        "UPDATE requests SET state = $1, updated_at = $2, closed_at = COALESCE($3, closed_at) \
         WHERE id = $4",
    )
    .bind(state.name())
    .bind(now)
    .bind(closed_at)
    .bind(request_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Our reply's Message-ID local part: it names the request, so an answer's In-Reply-To leads
/// back to it; the mail layer adds the domain.
pub(super) fn reply_message_id(reference: &str, number: i64) -> String {
    format!(
        "{}{reference}.{number}",
        crate::request::parse::OUR_MESSAGE_ID_PREFIX
    )
}

/// Queues a sealed reply as the request's next one.
pub(super) async fn queue_reply(
    tx: &mut AnyConnection,
    request_id: i64,
    reference: &str,
    kind: &str,
    sealed: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE request_id = $1")
        .bind(request_id)
        .fetch_one(&mut *tx)
        .await?;
    let count: i64 = row.try_get(0)?;
    let message_id = reply_message_id(reference, count + 1);
    let reply = NewReply {
        request_id,
        kind,
        message_id,
        sealed,
    };
    insert_replies(tx, &[reply], now).await
}
