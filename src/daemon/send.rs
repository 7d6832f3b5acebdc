//! The sender: claims queued replies in batches, checks a batch against the loop and abuse
//! limits with one look-up, renders each reply in the citizen's language and hands the batch
//! to the outbox on several connections at once (`mail.smtp_connections`). A reply is recorded
//! as sent right after the server accepted it and before its connection takes another, so a
//! crash repeats at most one reply per connection; the records of all connections are
//! committed together, sharing the disk's flush. A transient failure waits and is tried again
//! with growing pauses; a permanent one parks the reply for the clerks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lettre::Transport;
use tokio::sync::{mpsc, oneshot};

use super::{DaemonError, Services};
use crate::health::Part;
use crate::mail::reply::render;
use crate::mail::smtp::{SendFailure, SmtpSender};
use crate::store::{Claimed, ClaimedReply, Store, StoreError};

/// Replies claimed at a time, and how long a claim holds.
const REPLIES_PER_CLAIM: i64 = 256;
const REPLY_LEASE_SECONDS: i64 = 300;
/// The longest pause between tries of a reply that keeps failing transiently.
const MAX_RETRY_PAUSE_SECONDS: i64 = 3600;

/// Where replies go.
pub enum Outbox {
    Folder(lettre::FileTransport),
    /// One sender per connection used at once.
    Smtp(Vec<tokio::sync::Mutex<SmtpSender>>),
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
    /// How many replies can be handed over at once.
    fn lanes(&self) -> usize {
        match self {
            Outbox::Folder(_) => 1,
            Outbox::Smtp(senders) => senders.len(),
        }
    }

    async fn send(&self, lane: usize, message: &lettre::Message) -> Result<(), SendFailure> {
        match self {
            // Writing a file fails for local reasons (disk full, permissions): worth a retry.
            Outbox::Folder(folder) => folder
                .send(message)
                .map(|_| ())
                .map_err(|e| SendFailure::Transient(format!("outbox folder: {e}"))),
            Outbox::Smtp(senders) => senders[lane].lock().await.send(message).await,
        }
    }
}

/// Sends every reply that is due. Returns how many were sent.
///
/// The next batch is claimed while this one is sent: a claim waits for the write lock, behind
/// the intake's commits, and the lanes would idle meanwhile. Only the claim goes ahead; the
/// next batch is checked against the limits and rendered after this one is recorded, because
/// the limits count this batch's replies.
pub fn send_due(services: &Services<'_>, retry: Retry) -> Result<usize, DaemonError> {
    let mut sent = 0;
    let mut claimed = services.rt.block_on(claim(services.store))?;
    loop {
        let started = Instant::now();
        let full = claimed.taken() >= REPLIES_PER_CLAIM as usize;
        let (batch, next) = services.rt.block_on(async {
            tokio::join!(send_claimed(services, &claimed.replies, retry), async {
                match full {
                    true => claim(services.store).await.map(Some),
                    false => Ok(None),
                }
            })
        });
        let batch = batch?;
        sent += batch.sent;
        // Sending works when a reply went out; it fails when replies were tried and none did.
        match (batch.sent, &batch.failure) {
            (1.., _) => services.note(Part::Sending, Ok(())),
            (0, Some(reason)) => services.note(Part::Sending, Err(reason)),
            (0, None) => {}
        }
        tracing::debug!(
            replies = claimed.replies.len(),
            parked = claimed.parked,
            send_ms = started.elapsed().as_millis() as u64,
            "sender batch"
        );
        match next? {
            Some(next) => claimed = next,
            None => return Ok(sent),
        }
    }
}

/// Claims the next batch of replies.
async fn claim(store: &Store) -> Result<Claimed, StoreError> {
    store
        .claim_replies(REPLIES_PER_CLAIM, REPLY_LEASE_SECONDS, crate::cli::now())
        .await
}

/// What became of a claimed batch: how many replies were sent, and the kind of the last
/// failure to hand one over, if any failed.
struct Batch {
    sent: usize,
    failure: Option<String>,
}

/// A reply accepted by the server, and who waits for its record.
type Accepted<'r> = (&'r ClaimedReply, oneshot::Sender<()>);

/// Sends one claimed batch: the guard, then the lanes, with one recorder beside them.
async fn send_claimed(
    services: &Services<'_>,
    claimed: &[ClaimedReply],
    retry: Retry,
) -> Result<Batch, DaemonError> {
    let guards = guard_all(services, claimed).await?;
    let mut ready = Vec::with_capacity(claimed.len());
    for (reply, guard) in claimed.iter().zip(guards) {
        let now = crate::cli::now();
        match guard {
            Guard::Send => match render(reply, services.sender, std::time::SystemTime::now()) {
                Ok(message) => ready.push((reply, message)),
                Err(e) => {
                    // A template or address problem will not mend itself: park it.
                    tracing::error!(reference = %reply.reference, error = %e, "reply cannot be rendered");
                    let reason = format!("render: {}", render_kind(&e));
                    services.store.park_reply(reply, &reason, now).await?;
                }
            },
            Guard::Suppress(reason) => {
                tracing::warn!(reference = %reply.reference, reason, "automatic reply withheld; parked");
                services.store.park_reply(reply, reason, now).await?;
            }
            Guard::Wait => {
                tracing::warn!(reference = %reply.reference, "hourly reply limit reached; reply waits");
                services
                    .store
                    .retry_later(reply, "hourly_limit", now + 300)
                    .await?;
            }
        }
    }
    let queue = std::sync::Mutex::new(ready.into_iter());
    let (accepted, to_record) = mpsc::channel::<Accepted<'_>>(services.outbox.lanes());
    let lanes: Vec<_> = (0..services.outbox.lanes())
        .map(|lane_no| {
            let accepted = accepted.clone();
            let queue = &queue;
            async move {
                let mut lane = Batch {
                    sent: 0,
                    failure: None,
                };
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some((reply, message)) = next else {
                        return Ok::<Batch, DaemonError>(lane);
                    };
                    match deliver(services, lane_no, reply, &message, retry, &accepted).await? {
                        Delivered::Recorded => lane.sent += 1,
                        Delivered::Failed(reason) => lane.failure = Some(reason),
                        // The recorder failed; its error ends the batch.
                        Delivered::Unrecorded => return Ok(lane),
                    }
                }
            }
        })
        .collect();
    drop(accepted);
    let (sent, recorded) = tokio::join!(
        futures_util::future::try_join_all(lanes),
        record_sent(services.store, to_record)
    );
    recorded?;
    Ok(sent?.into_iter().fold(
        Batch {
            sent: 0,
            failure: None,
        },
        |all, lane| Batch {
            sent: all.sent + lane.sent,
            failure: lane.failure.or(all.failure),
        },
    ))
}

/// How long the recorder waits, after a reply was accepted, for the other lanes' replies to
/// share its commit. Each lane waits for its own record before it takes another reply, so
/// without the wait most commits would hold one reply.
const GATHER: Duration = Duration::from_millis(3);

/// Records accepted replies as sent, as many at once as the lanes deliver within [`GATHER`],
/// in one transaction, and lets each lane go on only after its reply's record committed.
async fn record_sent(
    store: &Store,
    mut to_record: mpsc::Receiver<Accepted<'_>>,
) -> Result<(), StoreError> {
    let mut batch = Vec::new();
    while to_record
        .recv_many(&mut batch, REPLIES_PER_CLAIM as usize)
        .await
        > 0
    {
        // Lanes still sending hold a handle each; none has more than one reply waiting.
        let deadline = tokio::time::Instant::now() + GATHER;
        while batch.len() < to_record.sender_strong_count() {
            match tokio::time::timeout_at(deadline, to_record.recv()).await {
                Ok(Some(accepted)) => batch.push(accepted),
                Ok(None) | Err(_) => break,
            }
        }
        let replies: Vec<&ClaimedReply> = batch.iter().map(|(reply, _)| *reply).collect();
        let started = Instant::now();
        store.mark_all_sent(&replies, crate::cli::now()).await?;
        tracing::debug!(
            replies = replies.len(),
            record_us = started.elapsed().as_micros() as u64,
            "sent replies recorded"
        );
        for (reply, done) in batch.drain(..) {
            tracing::info!(reference = %reply.reference, kind = %reply.kind, "reply sent");
            let _ = done.send(());
        }
    }
    Ok(())
}

/// What became of one reply in a lane.
enum Delivered {
    Recorded,
    /// Refused or failed: parked or left for later, for this kind of reason.
    Failed(String),
    /// Accepted by the server, but the record failed: it will be sent again.
    Unrecorded,
}

/// Hands one reply to the outbox on `lane`, trying again while `retry` allows.
async fn deliver<'r>(
    services: &Services<'_>,
    lane: usize,
    reply: &'r ClaimedReply,
    message: &lettre::Message,
    retry: Retry,
    accepted: &mpsc::Sender<Accepted<'r>>,
) -> Result<Delivered, DaemonError> {
    let mut pause = Duration::from_millis(500);
    loop {
        let failure = match services.outbox.send(lane, message).await {
            Ok(()) => {
                let (done, recorded) = oneshot::channel();
                if accepted.send((reply, done)).await.is_err() {
                    return Ok(Delivered::Unrecorded);
                }
                return Ok(match recorded.await {
                    Ok(()) => Delivered::Recorded,
                    Err(_) => Delivered::Unrecorded,
                });
            }
            Err(f) => f,
        };
        let now = crate::cli::now();
        match (&failure, retry) {
            (SendFailure::Permanent(reason), _) => {
                tracing::error!(reference = %reply.reference, %reason, "reply refused for good; parked");
                services.store.park_reply(reply, reason, now).await?;
                return Ok(Delivered::Failed(reason.clone()));
            }
            (SendFailure::Transient(_), Retry::Until(deadline))
                if Instant::now() + pause < deadline =>
            {
                tracing::warn!(reference = %reply.reference, reason = failure.reason(), "reply not sent; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            (SendFailure::Transient(reason), _) => {
                let wait = (60i64 << reply.attempts.clamp(0, 10)).min(MAX_RETRY_PAUSE_SECONDS);
                tracing::warn!(reference = %reply.reference, %reason, wait, "reply not sent; queued for later");
                services
                    .store
                    .retry_later(reply, reason, now + wait)
                    .await?;
                return Ok(Delivered::Failed(reason.clone()));
            }
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

/// Loop and abuse protection for a claimed batch, in its order: no reply to our own address,
/// none to mail systems' own addresses, at most so many per address per day and so many per
/// hour overall. The counts are read once and carried through the batch, so two replies to
/// one address in the same batch count as two.
async fn guard_all(
    services: &Services<'_>,
    claimed: &[ClaimedReply],
) -> Result<Vec<Guard>, DaemonError> {
    let is_automatic = |reply: &ClaimedReply| AUTOMATIC.contains(&reply.kind.as_str());
    if !claimed.iter().any(is_automatic) {
        return Ok(claimed
            .iter()
            .map(|reply| fixed_guard(services, reply).unwrap_or(Guard::Send))
            .collect());
    }
    let store = services.store;
    let now = crate::cli::now();
    let mut hashes: Vec<&[u8]> = claimed
        .iter()
        .filter(|reply| is_automatic(reply))
        .filter_map(|reply| reply.sender_hash.as_deref())
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut today: HashMap<Vec<u8>, i64> = store
        .replies_sent_to(AUTOMATIC, &hashes, now - crate::request::calendar::DAY)
        .await?
        .into_iter()
        .collect();
    let mut hour = store.replies_sent_since(AUTOMATIC, now - 3600).await?;
    let limits = &services.config.mail;
    Ok(claimed
        .iter()
        .map(|reply| {
            if let Some(fixed) = fixed_guard(services, reply) {
                return fixed;
            }
            if !is_automatic(reply) {
                return Guard::Send;
            }
            let to_address = reply
                .sender_hash
                .as_ref()
                .map(|hash| today.entry(hash.clone()).or_default());
            if to_address
                .as_ref()
                .is_some_and(|n| **n >= i64::from(limits.replies_per_address_per_day))
            {
                return Guard::Suppress("rate_limited");
            }
            if hour >= i64::from(limits.replies_per_hour) {
                return Guard::Wait;
            }
            hour += 1;
            if let Some(n) = to_address {
                *n += 1;
            }
            Guard::Send
        })
        .collect())
}

/// The guard's answer that needs no count: never our own address, never a mail system's.
fn fixed_guard(services: &Services<'_>, reply: &ClaimedReply) -> Option<Guard> {
    let to = reply.content.to.trim().to_ascii_lowercase();
    if to == services.sender.from.email.to_string().to_ascii_lowercase() {
        return Some(Guard::Suppress("own_address"));
    }
    let local = to.split('@').next().unwrap_or_default();
    MAIL_SYSTEM_LOCAL_PARTS
        .contains(&local)
        .then_some(Guard::Suppress("mail_system_address"))
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

/// The kind of a rendering failure, without the values it concerns.
fn render_kind(e: &crate::mail::MailError) -> &'static str {
    match e {
        crate::mail::MailError::NoTemplate => "no template",
        crate::mail::MailError::BadRecipient => "bad recipient",
        _ => "build",
    }
}
