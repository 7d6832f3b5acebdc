//! The core's entry point: raw message bytes in, a decided [`ParsedRequest`] out. Never fails
//! and never panics on any input: unreadable mail is a request for review with a reason.

use regex::Regex;
use std::sync::LazyLock;

use crate::request::attachment::{DocumentReader, FormContent, NoDocumentReader, ReadOutcome};
use crate::request::decision::decide;
use crate::request::extract::pdf_form::reading_order_text;
use crate::request::extract::provider::ProviderMatcher;
use crate::request::extract::{extract, TextInput};
use crate::request::message::{read_message, AttachmentKind, MailView};
use crate::request::model::{AttachmentOutcome, AttachmentReport, Language, ParsedRequest, Source};
use crate::request::rules::Rules;

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[DR-\d{4}-\d{6}\]").expect("static regex"));

/// Our automatic replies' Message-IDs all begin with this.
pub const OUR_MESSAGE_ID_PREFIX: &str = "datareq.";

/// Parses messages under one set of rules; builds the rules' matchers once, so parsing many
/// messages costs only the parsing.
pub struct RequestParser {
    rules: Rules,
    providers: ProviderMatcher,
    documents: Box<dyn DocumentReader>,
}

impl RequestParser {
    /// A parser that opens no documents: every PDF or DOCX attachment is unread (and a
    /// request that has one goes to review). Callers that read forms use [`Self::with_reader`].
    pub fn new(rules: Rules) -> RequestParser {
        RequestParser::with_reader(rules, Box::new(NoDocumentReader))
    }

    pub fn with_reader(rules: Rules, documents: Box<dyn DocumentReader>) -> RequestParser {
        let providers = ProviderMatcher::new(&rules);
        RequestParser {
            rules,
            providers,
            documents,
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Parses one message. `current_year` bounds plausible treatment years when the message
    /// has no usable Date header.
    pub fn parse(&self, raw: &[u8], current_year: i32) -> ParsedRequest {
        let view = read_message(raw, self.rules.max_message_bytes);
        self.parse_view(&view, current_year)
    }
}

/// Parses one message (building the rules' matchers for this call only).
pub fn parse_message(raw: &[u8], rules: &Rules, current_year: i32) -> ParsedRequest {
    RequestParser::new(rules.clone()).parse(raw, current_year)
}

/// Whether the message answers one of our automatic replies.
pub fn is_follow_up(view: &MailView) -> bool {
    let ours = |id: &String| {
        id.trim_start_matches('<')
            .starts_with(OUR_MESSAGE_ID_PREFIX)
    };
    view.in_reply_to.iter().any(ours)
        || view.references.iter().any(ours)
        || view
            .subject
            .as_deref()
            .is_some_and(|s| REFERENCE.is_match(s))
}

impl RequestParser {
    pub fn parse_view(&self, view: &MailView, current_year: i32) -> ParsedRequest {
        let rules = &self.rules;
        let follow_up = is_follow_up(view);
        // Documents are opened first: their text must outlive the inputs that borrow it.
        let mut reports = Vec::with_capacity(view.attachments.len());
        let mut forms: Vec<FormContent> = Vec::new();
        let mut document_texts: Vec<Option<String>> = Vec::new();
        for a in &view.attachments {
            let mut text = None;
            let outcome = match &a.kind {
                AttachmentKind::Text(_) => AttachmentOutcome::Text,
                AttachmentKind::Message(_) => AttachmentOutcome::Forwarded,
                AttachmentKind::Image => AttachmentOutcome::ImageOnly,
                AttachmentKind::Other => AttachmentOutcome::NotRead,
                AttachmentKind::Document(kind, bytes) => match self.documents.read(*kind, bytes) {
                    ReadOutcome::Unreadable(why) => AttachmentOutcome::Unreadable(why),
                    ReadOutcome::Read(content) => {
                        if content.is_image_only() {
                            AttachmentOutcome::ImageOnly
                        } else if has_filled_fields(&content) {
                            forms.push(content);
                            AttachmentOutcome::FormFields
                        } else if !content.fields.is_empty() {
                            // A fillable form left blank: its printed text is the form's own
                            // (captions such as "an SMS may be sent"), never the sender's.
                            AttachmentOutcome::BlankForm
                        } else {
                            // No filled-in fields: a flattened or printed form, read as text.
                            text = Some(if content.text.is_empty() {
                                reading_order_text(&content.runs)
                            } else {
                                content.text
                            });
                            AttachmentOutcome::Text
                        }
                    }
                },
            };
            document_texts.push(text);
            reports.push(AttachmentReport {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: a.size,
                outcome,
            });
        }
        let sender = view.from_address.as_deref();
        let mut inputs = vec![TextInput {
            text: &view.body,
            attachment: false,
            sender,
            printed: false,
        }];
        for (a, document_text) in view.attachments.iter().zip(&document_texts) {
            let (text, attachment, printed) = match (&a.kind, document_text) {
                (AttachmentKind::Text(t), _) => (t, true, false),
                // A forwarded request is read as the request itself.
                (AttachmentKind::Message(t), _) => (t, false, false),
                (_, Some(t)) => (t, true, true),
                _ => continue,
            };
            inputs.push(TextInput {
                text,
                attachment,
                sender,
                printed,
            });
        }
        let form_refs: Vec<&FormContent> = forms.iter().collect();
        // A message dated in the future must not make future years plausible.
        let reference_year = view
            .date_year
            .filter(|&y| y <= current_year && y >= 2000)
            .unwrap_or(current_year);
        let extracted = extract(&inputs, &form_refs, &self.providers, reference_year);
        let language = extracted.language.unwrap_or(Language::Fi);
        let source = if extracted.from_form_fields {
            Source::PdfForm
        } else if extracted.form_layout {
            Source::TextForm
        } else {
            Source::FreeText
        };
        let decision = decide(view, &reports, extracted, rules, follow_up);
        ParsedRequest {
            message_id: view.message_id.clone(),
            language,
            source,
            fields: decision.fields,
            missing: decision.missing,
            invalid: decision.invalid,
            review_reasons: decision.review_reasons,
            status: decision.status,
            auto_submitted: view.auto_submitted,
            follow_up,
            attachments: reports,
        }
    }
}

/// A form with at least one field filled in (a blank form's values are its printed text).
fn has_filled_fields(content: &FormContent) -> bool {
    use crate::request::attachment::FieldValue;
    content.fields.iter().any(|f| match &f.value {
        FieldValue::Text(t) => !t.trim().is_empty(),
        FieldValue::Checked(ticked) => *ticked,
        FieldValue::Choice(choice) => choice.is_some(),
    })
}
