//! One email as the extractor sees it: a few headers, the readable body text, and the
//! attachments. Built from raw RFC 5322 bytes with mail-parser; never fails (mail that cannot be
//! parsed becomes a view with no text, which the decision sends to review).
//!
//! This module decides which part of a message is "the body" (plain text preferred, HTML made
//! safe as text otherwise) and which headers mark automatic mail, because both must be answered
//! the same way wherever a message comes from (CLI, Maildir, IMAP).

use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};

use crate::request::attachment::DocumentKind;
use crate::request::html_text::html_to_text;

/// What an attachment is, as far as extraction cares.
#[derive(Clone, PartialEq, Eq)]
pub enum AttachmentKind {
    /// A text attachment, decoded to a string (read as a possible text form).
    Text(String),
    /// A document a reader may open (PDF, DOCX): its bytes.
    Document(DocumentKind, Vec<u8>),
    Image,
    /// A forwarded message (`message/rfc822`): its readable text, read as the request.
    Message(String),
    /// Everything else (winmail.dat, archives, spreadsheets): listed, never read.
    Other,
}

/// Forwarded messages inside forwarded messages are read this deep, no deeper.
const MAX_FORWARD_DEPTH: usize = 3;

/// An attachment as listed for a clerk: its name and type are shown, its content only parsed.
#[derive(Clone)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: usize,
    pub kind: AttachmentKind,
}

impl std::fmt::Debug for Attachment {
    // The file name may itself be personal ("Virtanen_Matti_hetu.pdf"): never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The parts of a message that extraction and the decision use.
#[derive(Default)]
pub struct MailView {
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// The envelope-ish sender address (From), lower-cased.
    pub from_address: Option<String>,
    /// Year of the Date header, when it parses.
    pub date_year: Option<i32>,
    /// Message-IDs in In-Reply-To and References, without angle brackets.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// RFC 3834 and the other signs of mail that must never be answered.
    pub auto_submitted: bool,
    /// Every `Authentication-Results` header's value, topmost first (judged against the
    /// trusted server's authserv-id by `sender_auth`).
    pub authentication_results: Vec<String>,
    /// The readable body as plain text (HTML already converted).
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// The message was larger than the configured limit; its content was not read.
    pub too_large: bool,
    /// mail-parser could not make a message of the bytes at all.
    pub unparseable: bool,
    /// PGP/MIME encrypted (`multipart/encrypted`): the daemon decrypts what it can before
    /// parsing, so one that reaches the parser could not be decrypted.
    pub encrypted: bool,
}

impl std::fmt::Debug for MailView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailView")
            .field("body_len", &self.body.len())
            .field("attachments", &self.attachments)
            .field("auto_submitted", &self.auto_submitted)
            .field("too_large", &self.too_large)
            .finish_non_exhaustive()
    }
}

/// Headers of a too-large message are still read (for its Message-ID and the auto-reply
/// signs), but only this much of the start of the file.
const MAX_HEADER_BYTES: usize = 256 * 1024;

/// Reads a message. `max_bytes` is the configured size limit.
pub fn read_message(raw: &[u8], max_bytes: usize) -> MailView {
    if raw.len() > max_bytes {
        let head = header_block(raw);
        let mut view = MessageParser::default()
            .parse_headers(head)
            .map(|m| headers_view(&m))
            .unwrap_or_default();
        view.too_large = true;
        return view;
    }
    // mail-parser is well tested, but this is the one place hostile bytes meet foreign code:
    // a panic there (it has debug assertions on malformed part trees) must become a message
    // for review, not a crash of the daemon.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(raw));
    let Some(message) = parsed.ok().flatten() else {
        return MailView {
            unparseable: true,
            ..MailView::default()
        };
    };
    let mut view = headers_view(&message);
    if is_encrypted(&message) {
        view.encrypted = true;
        return view;
    }
    view.body = body_text(&message);
    view.attachments = attachments(&message, 0);
    if is_delivery_report(&message) {
        view.auto_submitted = true;
    }
    view
}

fn header_block(raw: &[u8]) -> &[u8] {
    let limit = raw.len().min(MAX_HEADER_BYTES);
    let window = &raw[..limit];
    let end = find(window, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(window, b"\n\n").map(|i| i + 2))
        .unwrap_or(limit);
    &raw[..end]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn headers_view(message: &mail_parser::Message<'_>) -> MailView {
    MailView {
        message_id: message.message_id().map(|id| format!("<{id}>")),
        subject: message.subject().map(str::to_string),
        from_address: message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase),
        date_year: message.date().map(|d| i32::from(d.year)),
        in_reply_to: id_list(message.in_reply_to()),
        references: id_list(message.references()),
        auto_submitted: is_automatic(message),
        authentication_results: raw_headers(message, "Authentication-Results")
            .map(str::to_string)
            .collect(),
        ..MailView::default()
    }
}

fn is_encrypted(message: &mail_parser::Message<'_>) -> bool {
    message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("encrypted"))
    })
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn raw_header<'a>(message: &'a mail_parser::Message<'_>, name: &'a str) -> Option<&'a str> {
    raw_headers(message, name).next()
}

/// The raw values of every header called `name`, in order.
fn raw_headers<'a>(
    message: &'a mail_parser::Message<'_>,
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    message
        .headers()
        .iter()
        .filter(move |h| h.name().eq_ignore_ascii_case(name))
        .filter_map(|h| {
            message
                .raw_message()
                .get(h.offset_start() as usize..h.offset_end() as usize)
        })
        .filter_map(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
}

fn has_header(message: &mail_parser::Message<'_>, name: &str) -> bool {
    message
        .headers()
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case(name))
}

/// RFC 3834 and the de-facto signs of automatic mail. Any one of them means we must not answer.
fn is_automatic(message: &mail_parser::Message<'_>) -> bool {
    if let Some(v) = raw_header(message, "Auto-Submitted") {
        let token = v.split(';').next().unwrap_or("").trim();
        if !token.eq_ignore_ascii_case("no") {
            return true;
        }
    }
    if let Some(v) = raw_header(message, "Precedence") {
        let v = v.trim().to_ascii_lowercase();
        if ["bulk", "list", "junk", "auto_reply"].contains(&v.as_str()) {
            return true;
        }
    }
    const MARKERS: [&str; 6] = [
        "List-Id",
        "List-Unsubscribe",
        "X-Auto-Response-Suppress",
        "X-Autoreply",
        "X-Autorespond",
        "X-Autoresponse",
    ];
    if MARKERS.iter().any(|m| has_header(message, m)) {
        return true;
    }
    if let Some(rp) = raw_header(message, "Return-Path") {
        if rp
            .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
        {
            return true;
        }
    }
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address());
    match from {
        None => has_header(message, "From"),
        Some(addr) => {
            let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
            addr.trim().is_empty()
                || local == "mailer-daemon"
                || local == "postmaster"
                || local == "mail-daemon"
        }
    }
}

fn is_delivery_report(message: &mail_parser::Message<'_>) -> bool {
    message.parts.iter().any(|part| {
        part.content_type().is_some_and(|ct| {
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            let main = ct.ctype().to_ascii_lowercase();
            (main == "multipart" && sub == "report")
                || (main == "message"
                    && (sub == "delivery-status" || sub == "disposition-notification"))
        })
    })
}

/// The text a person reads: every inline text body in order, HTML converted only when a part
/// has no plain alternative (mail-parser's body lists already make that choice).
fn body_text(message: &mail_parser::Message<'_>) -> String {
    let mut out = String::new();
    for part in message.text_bodies() {
        let text = match &part.body {
            PartType::Text(t) => t.to_string(),
            PartType::Html(h) => html_to_text(h),
            _ => continue,
        };
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&text);
    }
    if out.trim().is_empty() {
        // HTML-only mail: mail-parser lists the HTML part among html bodies only.
        for part in message.html_bodies() {
            if let PartType::Html(h) = &part.body {
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                out.push_str(&html_to_text(h));
            }
        }
    }
    out
}

/// An attachment's name, type and bytes, to hand to a clerk as a download.
pub struct AttachmentFile {
    pub name: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for AttachmentFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentFile")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A message's own attachments (not those of forwarded messages inside), in order, with
/// their decoded bytes. Unparseable mail has none.
pub fn attachment_files(raw: &[u8]) -> Vec<AttachmentFile> {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    message
        .attachments()
        .map(|part| {
            let listed = attachment(part, MAX_FORWARD_DEPTH);
            let bytes = match &part.body {
                PartType::Message(inner) => inner.raw_message().to_vec(),
                _ => part.contents().to_vec(),
            };
            AttachmentFile {
                name: listed.name,
                content_type: listed.content_type,
                bytes,
            }
        })
        .collect()
}

fn attachments(message: &mail_parser::Message<'_>, depth: usize) -> Vec<Attachment> {
    let mut out = Vec::new();
    for part in message.attachments() {
        if let PartType::Message(inner) = &part.body {
            if depth < MAX_FORWARD_DEPTH {
                // A forwarded request's own attachments (its PDF form) are the request's too.
                out.extend(attachments(inner, depth + 1));
            }
        }
        out.push(attachment(part, depth));
    }
    out
}

fn attachment(part: &mail_parser::MessagePart<'_>, depth: usize) -> Attachment {
    let (main, sub) = part
        .content_type()
        .map(|ct| {
            (
                ct.ctype().to_ascii_lowercase(),
                ct.subtype().unwrap_or("").to_ascii_lowercase(),
            )
        })
        .unwrap_or_else(|| ("application".into(), "octet-stream".into()));
    let name = part.attachment_name().map(str::to_string);
    let lower_name = name.as_deref().unwrap_or("").to_ascii_lowercase();
    let kind = match &part.body {
        PartType::Message(inner) if depth < MAX_FORWARD_DEPTH => {
            AttachmentKind::Message(body_text(inner))
        }
        PartType::Message(_) => AttachmentKind::Other,
        PartType::Text(t) if sub != "html" => AttachmentKind::Text(t.to_string()),
        PartType::Html(h) => AttachmentKind::Text(html_to_text(h)),
        _ if sub == "pdf" || lower_name.ends_with(".pdf") => {
            AttachmentKind::Document(DocumentKind::Pdf, part.contents().to_vec())
        }
        _ if sub == "vnd.openxmlformats-officedocument.wordprocessingml.document"
            || lower_name.ends_with(".docx") =>
        {
            AttachmentKind::Document(DocumentKind::Docx, part.contents().to_vec())
        }
        _ if main == "image" => AttachmentKind::Image,
        _ if main == "text" || lower_name.ends_with(".txt") => {
            AttachmentKind::Text(String::from_utf8_lossy(part.contents()).into_owned())
        }
        _ => AttachmentKind::Other,
    };
    Attachment {
        name,
        content_type: format!("{main}/{sub}"),
        size: part.len(),
        kind,
    }
}
