//! What the store keeps for a request: the sealed content (personal data, stored encrypted)
//! and the plain row (state, dates, reference: nothing personal).

use serde::{Deserialize, Serialize};

use crate::request::lifecycle::RequestState;
use crate::request::model::{
    AttachmentReport, Field, Fields, InvalidField, Language, ParsedRequest, ReviewReason, Source,
};

/// A request's personal content, sealed as JSON in `requests.sealed_request`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestContent {
    pub fields: Fields,
    pub missing: Vec<Field>,
    pub invalid: Vec<InvalidField>,
    pub review_reasons: Vec<ReviewReason>,
    pub language: Language,
    pub source: Source,
    /// The sender's address, where replies go.
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub attachments: Vec<AttachmentReport>,
}

impl std::fmt::Debug for RequestContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContent")
            .field("fields", &self.fields)
            .field("missing", &self.missing)
            .field("review_reasons", &self.review_reasons)
            .finish_non_exhaustive()
    }
}

impl RequestContent {
    pub fn new(parsed: &ParsedRequest, sender: Option<String>, subject: Option<String>) -> Self {
        RequestContent {
            fields: parsed.fields.clone(),
            missing: parsed.missing.clone(),
            invalid: parsed.invalid.iter().map(InvalidField::from).collect(),
            review_reasons: parsed.review_reasons.clone(),
            language: parsed.language,
            source: parsed.source,
            sender,
            subject,
            message_id: parsed.message_id.clone(),
            attachments: parsed.attachments.clone(),
        }
    }
}

/// An automatic reply waiting in the outbox, sealed as JSON in `outbox.sealed_reply`. The
/// daemon renders and sends it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyContent {
    pub to: String,
    pub language: Language,
    /// The subject of the message answered.
    pub subject: Option<String>,
    /// The Message-ID of the message answered (for In-Reply-To).
    pub in_reply_to: Option<String>,
    pub missing: Vec<Field>,
    pub invalid: Vec<InvalidField>,
    /// A clerk's words to the citizen (why the deadline was extended).
    #[serde(default)]
    pub reason: Option<String>,
    /// The new due date of an extension notice.
    #[serde(default)]
    pub due_at: Option<i64>,
    /// A request handed to its organisation by email (`disclosure`): the bundle, already
    /// encrypted to the organisation's certificates, ASCII-armoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
}

impl std::fmt::Debug for ReplyContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyContent")
            .field("language", &self.language)
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

/// A request as listed: nothing personal, so listing is not an audited read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    pub reference: String,
    pub state: RequestState,
    pub received_at: i64,
    pub due_at: i64,
    pub updated_at: i64,
    pub purged: bool,
}

/// A request with its decrypted content (an audited read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub summary: RequestSummary,
    pub content: RequestContent,
    /// Messages stored for it (the request and its follow-ups).
    pub messages: usize,
    /// Its audit trail, oldest first (names and outcomes, no personal values).
    pub history: Vec<HistoryEntry>,
}

/// One audit event of a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}
