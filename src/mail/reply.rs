//! Renders a queued reply as an email: the template in the citizen's language, the fields to
//! send by name, our Message-ID, the thread headers, and `Auto-Submitted: auto-replied`
//! (RFC 3834) so that well-behaved responders do not answer it.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;

use super::templates::{field_name, invalid_note, Templates};
use super::MailError;
use crate::request::calendar::iso_date;
use crate::store::ClaimedReply;

/// `Auto-Submitted: auto-replied`.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_string())
    }
}

/// Where our replies come from.
#[derive(Debug)]
pub struct Sender {
    pub from: Mailbox,
    /// The domain of our Message-IDs.
    pub message_id_domain: String,
    /// The reply texts; replaced as a whole when a clerk's edits are reloaded.
    pub templates: std::sync::RwLock<Templates>,
}

/// The email for a claimed reply.
pub fn render(
    reply: &ClaimedReply,
    sender: &Sender,
    now: std::time::SystemTime,
) -> Result<Message, MailError> {
    let c = &reply.content;
    let templates = sender
        .templates
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let t = templates
        .get(&reply.kind, c.language)
        .ok_or(MailError::NoTemplate)?;
    let mut fields = String::new();
    for field in &c.missing {
        fields.push_str(&format!("- {}\n", field_name(*field, c.language)));
    }
    for invalid in &c.invalid {
        fields.push_str(&format!(
            "- {}: {}\n",
            field_name(invalid.field, c.language),
            invalid_note(c.language)
        ));
    }
    let fill = |text: &str| {
        text.replace("{reference}", &reply.reference)
            .replace("{fields}", fields.trim_end())
            .replace(
                "{due_date}",
                &iso_date(c.due_at.unwrap_or(reply.request_due_at)),
            )
            .replace("{reason}", c.reason.as_deref().unwrap_or_default())
    };
    let to: Mailbox = c.to.parse().map_err(|_| MailError::BadRecipient)?;
    let mut builder = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(fill(&t.subject))
        .date(now)
        .message_id(Some(format!(
            "<{}@{}>",
            reply.message_id, sender.message_id_domain
        )))
        .header(AutoSubmitted)
        .header(ContentType::TEXT_PLAIN);
    if let Some(original) = &c.in_reply_to {
        let id = if original.starts_with('<') {
            original.clone()
        } else {
            format!("<{original}>")
        };
        builder = builder.in_reply_to(id.clone()).references(id);
    }
    builder
        .body(fill(&t.body).trim_start().to_string())
        .map_err(|e| MailError::Build(e.to_string()))
}
