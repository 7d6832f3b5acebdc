//! The sender: claims queued replies, renders each in the citizen's language, hands it to the
//! outbox (a folder of .eml files, or SMTP), and marks it sent. A transient failure waits and
//! is tried again with growing pauses; a permanent one parks the reply for the clerks.

use std::time::{Duration, Instant};

use lettre::Transport;

use super::{DaemonError, Services};
use crate::mail::reply::render;
use crate::mail::smtp::{SendFailure, SmtpSender};
use crate::store::ClaimedReply;

/// Replies claimed at a time, and how long a claim holds.
const REPLIES_PER_CLAIM: i64 = 256;
const REPLY_LEASE_SECONDS: i64 = 300;
/// The longest pause between tries of a reply that keeps failing transiently.
const MAX_RETRY_PAUSE_SECONDS: i64 = 3600;

/// Where replies go.
pub enum Outbox {
    Folder(lettre::FileTransport),
    Smtp(Box<tokio::sync::Mutex<SmtpSender>>),
}

/// How the sender treats transient failures.
#[derive(Debug, Clone, Copy)]
pub enum Retry {
    /// Try again in this process until the deadline (`run --once`), then leave it queued.
    Until(Instant),
    /// Leave it queued for a later round, after a pause that grows with each failure.
    Later,
}

impl Outbox {
    async fn send(&self, message: &lettre::Message) -> Result<(), SendFailure> {
        match self {
            // Writing a file fails for local reasons (disk full, permissions): worth a retry.
            Outbox::Folder(folder) => folder
                .send(message)
                .map(|_| ())
                .map_err(|e| SendFailure::Transient(format!("outbox folder: {e}"))),
            Outbox::Smtp(sender) => sender.lock().await.send(message).await,
        }
    }
}

/// Sends every reply that is due. Returns how many were sent.
pub fn send_due(services: &Services<'_>, retry: Retry) -> Result<usize, DaemonError> {
    let mut sent = 0;
    loop {
        let claimed = services.rt.block_on(services.store.claim_replies(
            REPLIES_PER_CLAIM,
            REPLY_LEASE_SECONDS,
            crate::cli::now(),
        ))?;
        for reply in &claimed {
            if send_one(services, reply, retry)? {
                sent += 1;
            }
        }
        if claimed.len() < REPLIES_PER_CLAIM as usize {
            return Ok(sent);
        }
    }
}

/// What the guard says about an automatic reply.
#[derive(Debug, PartialEq, Eq)]
enum Guard {
    Send,
    /// Never sent: parked with this reason for the clerks.
    Suppress(&'static str),
    /// Not now: the overall hourly limit is reached.
    Wait,
}

/// The kinds of reply sent without a person deciding; only these are limited. Notices a clerk
/// caused (extensions) are the clerk's decision and always go.
const AUTOMATIC: [&str; 2] = ["missing_fields", "receipt"];

/// Loop and abuse protection: no reply to our own address, none to mail systems' own
/// addresses, at most so many per address per day and so many per hour overall.
fn guard(services: &Services<'_>, reply: &ClaimedReply) -> Result<Guard, DaemonError> {
    let to = reply.content.to.trim().to_ascii_lowercase();
    if to == services.sender.from.email.to_string().to_ascii_lowercase() {
        return Ok(Guard::Suppress("own_address"));
    }
    let local = to.split('@').next().unwrap_or_default();
    if MAIL_SYSTEM_LOCAL_PARTS.contains(&local) {
        return Ok(Guard::Suppress("mail_system_address"));
    }
    if !AUTOMATIC.contains(&reply.kind.as_str()) {
        return Ok(Guard::Send);
    }
    let sent_since = |hash: Option<&[u8]>, since: i64| -> Result<i64, DaemonError> {
        Ok(services
            .rt
            .block_on(services.store.replies_sent_since(AUTOMATIC, hash, since))?)
    };
    let limits = &services.config.mail;
    let now = crate::cli::now();
    if let Some(hash) = &reply.sender_hash {
        let today = sent_since(Some(hash), now - crate::request::calendar::DAY)?;
        if today >= i64::from(limits.replies_per_address_per_day) {
            return Ok(Guard::Suppress("rate_limited"));
        }
    }
    let hour = sent_since(None, now - 3600)?;
    if hour >= i64::from(limits.replies_per_hour) {
        return Ok(Guard::Wait);
    }
    Ok(Guard::Send)
}

/// Addresses of mail systems, which must never get an automatic reply (RFC 3834 section 2).
const MAIL_SYSTEM_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "do-not-reply",
    "donotreply",
    "bounce",
    "bounces",
];

fn send_one(
    services: &Services<'_>,
    reply: &ClaimedReply,
    retry: Retry,
) -> Result<bool, DaemonError> {
    match guard(services, reply)? {
        Guard::Send => {}
        Guard::Suppress(reason) => {
            tracing::warn!(reference = %reply.reference, reason, "automatic reply withheld; parked");
            services
                .rt
                .block_on(services.store.park_reply(reply, reason, crate::cli::now()))?;
            return Ok(false);
        }
        Guard::Wait => {
            tracing::warn!(reference = %reply.reference, "hourly reply limit reached; reply waits");
            services.rt.block_on(services.store.retry_later(
                reply,
                "hourly_limit",
                crate::cli::now() + 300,
            ))?;
            return Ok(false);
        }
    }
    let message = match render(reply, services.sender, std::time::SystemTime::now()) {
        Ok(m) => m,
        Err(e) => {
            // A template or address problem will not mend itself: park it for the clerks.
            tracing::error!(reference = %reply.reference, error = %e, "reply cannot be rendered");
            let reason = format!("render: {}", render_kind(&e));
            services
                .rt
                .block_on(services.store.park_reply(reply, &reason, crate::cli::now()))?;
            return Ok(false);
        }
    };
    let mut pause = Duration::from_millis(500);
    loop {
        let failure = match services.rt.block_on(services.outbox.send(&message)) {
            Ok(()) => {
                services
                    .rt
                    .block_on(services.store.mark_sent(reply, crate::cli::now()))?;
                tracing::info!(reference = %reply.reference, kind = %reply.kind, "reply sent");
                return Ok(true);
            }
            Err(f) => f,
        };
        match (&failure, retry) {
            (SendFailure::Permanent(reason), _) => {
                tracing::error!(reference = %reply.reference, %reason, "reply refused for good; parked");
                services.rt.block_on(services.store.park_reply(
                    reply,
                    reason,
                    crate::cli::now(),
                ))?;
                return Ok(false);
            }
            (SendFailure::Transient(_), Retry::Until(deadline))
                if Instant::now() + pause < deadline =>
            {
                tracing::warn!(reference = %reply.reference, reason = failure.reason(), "reply not sent; trying again");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            (SendFailure::Transient(reason), _) => {
                let wait = (60i64 << reply.attempts.clamp(0, 10)).min(MAX_RETRY_PAUSE_SECONDS);
                tracing::warn!(reference = %reply.reference, %reason, wait, "reply not sent; queued for later");
                services.rt.block_on(services.store.retry_later(
                    reply,
                    reason,
                    crate::cli::now() + wait,
                ))?;
                return Ok(false);
            }
        }
    }
}

/// The kind of a rendering failure, without the values it concerns.
fn render_kind(e: &crate::mail::MailError) -> &'static str {
    match e {
        crate::mail::MailError::NoTemplate => "no template",
        crate::mail::MailError::BadRecipient => "bad recipient",
        _ => "build",
    }
}
