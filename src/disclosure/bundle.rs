//! One request as a MIME message (before encryption): the request as JSON (the parse
//! contract's fields with the reference, dates and the audit summary), then every stored
//! message whole, as `message/rfc822` with its attachments. A mail client or `munpack`
//! opens it once GnuPG has decrypted it.

use serde::Serialize;

use crate::request::calendar::{iso_date, iso_time};
use crate::request::model::{
    AttachmentReport, Field, Fields, InvalidField, Language, ReviewReason, Source,
};
use crate::store::Disclosure;

/// The request's JSON as the organisation reads it.
#[derive(Serialize)]
pub struct BundleRequest<'a> {
    pub reference: &'a str,
    pub organisation: &'a str,
    pub organisation_name: &'a str,
    pub received_at: String,
    pub due_date: String,
    pub picked_up_at: String,
    pub message_id: Option<&'a str>,
    pub language: Language,
    pub source: Source,
    pub fields: &'a Fields,
    pub missing: &'a [Field],
    pub invalid: &'a [InvalidField],
    pub review_reasons: &'a [ReviewReason],
    pub status: &'static str,
    pub attachments: &'a [AttachmentReport],
    /// How many messages follow (the request and its follow-ups).
    pub messages: usize,
    pub history: Vec<HistoryLine<'a>>,
}

#[derive(Serialize)]
pub struct HistoryLine<'a> {
    pub at: String,
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
}

impl<'a> BundleRequest<'a> {
    pub fn new(d: &'a Disclosure, organisation_name: &'a str, now: i64) -> BundleRequest<'a> {
        BundleRequest {
            reference: &d.summary.reference,
            organisation: &d.organisation,
            organisation_name,
            received_at: iso_time(d.summary.received_at),
            due_date: iso_date(d.summary.due_at),
            picked_up_at: iso_time(now),
            message_id: d.content.message_id.as_deref(),
            language: d.content.language,
            source: d.content.source,
            fields: &d.content.fields,
            missing: &d.content.missing,
            invalid: &d.content.invalid,
            review_reasons: &d.content.review_reasons,
            status: "complete",
            attachments: &d.content.attachments,
            messages: d.messages.len(),
            history: d
                .history
                .iter()
                .map(|h| HistoryLine {
                    at: iso_time(h.at),
                    actor: &h.actor,
                    action: &h.action,
                    detail: &h.detail,
                })
                .collect(),
        }
    }
}

/// The bundle's MIME bytes. The boundary is made longer until no part contains it, so no
/// message, however crafted, can end its part early.
pub fn bundle(d: &Disclosure, organisation_name: &str, now: i64) -> Vec<u8> {
    let json = serde_json::to_vec_pretty(&BundleRequest::new(d, organisation_name, now))
        .expect("a request serialises");
    let mut boundary = format!("datareq-bundle-{}-", d.summary.reference);
    let parts: Vec<&[u8]> = std::iter::once(json.as_slice())
        .chain(d.messages.iter().map(Vec::as_slice))
        .collect();
    while parts.iter().any(|p| contains(p, boundary.as_bytes())) {
        boundary.push('x');
    }
    let reference = &d.summary.reference;
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 256).sum::<usize>() + 512);
    out.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\nSubject: {reference}\r\n\
             Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             This is a request handed over by datareq, as MIME.\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Disposition: attachment; filename=\"{reference}.json\"\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(&json);
    for (i, message) in d.messages.iter().enumerate() {
        // message/rfc822 may not be base64-encoded (RFC 2046 5.2.1); the bundle is a file,
        // never sent as mail, so the message goes in as it arrived.
        out.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: message/rfc822\r\n\
                 Content-Disposition: attachment; filename=\"{reference}-{n}.eml\"\r\n\
                 Content-Transfer-Encoding: binary\r\n\r\n",
                n = i + 1
            )
            .as_bytes(),
        );
        out.extend_from_slice(message);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
