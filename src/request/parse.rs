//! The core's entry point: raw message bytes in, a decided [`ParsedRequest`] out. Never fails
//! and never panics on any input: unreadable mail is a request for review with a reason.

use regex::Regex;
use std::sync::LazyLock;

use crate::request::decision::decide;
use crate::request::extract::provider::ProviderMatcher;
use crate::request::extract::{extract, TextInput};
use crate::request::message::{read_message, AttachmentKind, MailView};
use crate::request::model::{Language, ParsedRequest, Source};
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
}

impl RequestParser {
    pub fn new(rules: Rules) -> RequestParser {
        let providers = ProviderMatcher::new(&rules);
        RequestParser { rules, providers }
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
        let mut inputs = vec![TextInput {
            text: &view.body,
            attachment: false,
            sender: view.from_address.as_deref(),
        }];
        for a in &view.attachments {
            if let AttachmentKind::Text(t) = &a.kind {
                inputs.push(TextInput {
                    text: t,
                    attachment: true,
                    sender: view.from_address.as_deref(),
                });
            }
        }
        // A message dated in the future must not make future years plausible.
        let reference_year = view
            .date_year
            .filter(|&y| y <= current_year && y >= 2000)
            .unwrap_or(current_year);
        let extracted = extract(&inputs, &self.providers, reference_year);
        let language = extracted.language.unwrap_or(Language::Fi);
        let source = if extracted.form_layout {
            Source::TextForm
        } else {
            Source::FreeText
        };
        let decision = decide(view, extracted, rules, follow_up);
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
        }
    }
}
