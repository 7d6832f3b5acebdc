//! Renders a queued reply as an email: the template in the citizen's language, the fields to
//! send by name, our Message-ID, the thread headers, and `Auto-Submitted: auto-replied`
//! (RFC 3834) so that well-behaved responders do not answer it.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;

use super::templates::{field_name, invalid_note, Templates};
use super::MailError;
use crate::request::calendar::iso_date;
use crate::store::{ClaimedReply, DISCLOSURE};

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
    if reply.kind == DISCLOSURE {
        return disclosure(reply, sender, now);
    }
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

/// A request for its organisation as PGP/MIME (RFC 3156): the bundle, encrypted to the
/// organisation's certificates when it was picked up. The subject carries the reference only.
fn disclosure(
    reply: &ClaimedReply,
    sender: &Sender,
    now: std::time::SystemTime,
) -> Result<Message, MailError> {
    use lettre::message::header::ContentDisposition;
    use lettre::message::{MultiPart, SinglePart};
    let encrypted = reply
        .content
        .encrypted
        .clone()
        .ok_or_else(|| MailError::Build("a disclosure without its encrypted bundle".into()))?;
    let to: Mailbox = reply
        .content
        .to
        .parse()
        .map_err(|_| MailError::BadRecipient)?;
    let content_type =
        |value: &str| ContentType::parse(value).map_err(|e| MailError::Build(e.to_string()));
    let version = SinglePart::builder()
        .header(content_type("application/pgp-encrypted")?)
        .body("Version: 1\r\n".to_string());
    let payload = SinglePart::builder()
        .header(content_type(
            "application/octet-stream; name=\"encrypted.asc\"",
        )?)
        .header(ContentDisposition::inline_with_name("encrypted.asc"))
        .body(encrypted);
    Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(format!(
            "[{}] Tietopyyntö / Begäran / Data request",
            reply.reference
        ))
        .date(now)
        .message_id(Some(format!(
            "<{}@{}>",
            reply.message_id, sender.message_id_domain
        )))
        .multipart(
            MultiPart::encrypted("application/pgp-encrypted".to_string())
                .singlepart(version)
                .singlepart(payload),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}
