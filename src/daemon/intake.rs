//! One look at the mailbox: everything waiting is stored in batches, and each stored message
//! leaves the mailbox only after its batch committed. A message that cannot be stored stays
//! where it is (and is passed over until the next connection), so it holds up nothing else.

use std::sync::Arc;

use super::pipeline::{self, Input, Pending, Source};
use super::{DaemonError, Services};
use crate::mail::imap::{ImapInbox, Waiting};
use crate::mail::maildir::Maildir;
use crate::store::MailboxPosition;

/// Where requests arrive.
pub enum Inbox {
    Maildir(Maildir),
    Imap(Box<ImapInbox>),
}

/// Messages per IMAP fetch, and the bytes one fetch may bring at most: enough to keep the
/// pipeline busy, little enough to bound memory.
const FETCH_MESSAGES: usize = pipeline::BATCH * 4;
const FETCH_BYTES: u64 = 64 * 1024 * 1024;
/// Maildir files per step between looks at the stop flag.
const MAILDIR_STEP: usize = pipeline::BATCH * 4;

/// What a look at the mailbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Intake {
    pub stored: usize,
    pub not_stored: usize,
}

/// Stores what waits, in steps; after each step `between` runs (the sender), and a stop
/// request ends the look after the step in flight.
pub fn take_in(
    services: &Services<'_>,
    inbox: &mut Inbox,
    mut between: impl FnMut() -> Result<(), DaemonError>,
) -> Result<Intake, DaemonError> {
    let mut done = Intake::default();
    match inbox {
        Inbox::Maildir(maildir) => {
            let waiting: Vec<String> = maildir
                .waiting()
                .map_err(DaemonError::Mailbox)?
                .into_iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            services.expect_messages(waiting.len());
            for step in waiting.chunks(MAILDIR_STEP) {
                services.store_step(step, &mut done, |file: &String| {
                    maildir
                        .processed(std::path::Path::new(file))
                        .map_err(DaemonError::Mailbox)
                })?;
                between()?;
                if services.stopping() {
                    break;
                }
            }
        }
        Inbox::Imap(imap) => take_in_imap(services, imap, &mut done, between)?,
    }
    Ok(done)
}

/// The IMAP intake, overlapped: while one step's messages are stored (parsed on the
/// preparing threads, committed on another thread), this thread moves the step before it out
/// of the inbox and fetches the next, so the connection's round trips cost no time of their
/// own. A message still leaves the inbox only after its batch committed.
fn take_in_imap(
    services: &Services<'_>,
    imap: &mut ImapInbox,
    done: &mut Intake,
    mut between: impl FnMut() -> Result<(), DaemonError>,
) -> Result<(), DaemonError> {
    let max = services.config.limits.max_message_bytes;
    let waiting = services
        .rt
        .block_on(imap.waiting())
        .map_err(DaemonError::Mailbox)?;
    services.expect_messages(waiting.len());
    let waiting = move_stored_before(services, imap, waiting, done)?;
    let mut steps = fetch_steps(&waiting, max).into_iter();
    let mut fetched = match steps.next() {
        Some(step) => {
            let (messages, not_fetched) = fetch_step(services, imap, step, max)?;
            services.not_stored(done, not_fetched);
            Some(messages)
        }
        None => None,
    };
    let mut to_move: Vec<u32> = Vec::new();
    while let Some(messages) = fetched.take() {
        let started = std::time::Instant::now();
        let next = if services.stopping() {
            None
        } else {
            steps.next()
        };
        let (stored, alongside) = std::thread::scope(|scope| {
            let storing = scope.spawn(|| {
                let mut step = StoredStep::default();
                services
                    .store_outcomes(&messages, &mut step.counts, |m, ok| {
                        if ok {
                            step.stored.push(m.uid);
                        } else {
                            step.failed.push(m.uid);
                        }
                    })
                    .map(|()| step)
            });
            let alongside = (|| -> Result<_, DaemonError> {
                let moving = std::time::Instant::now();
                services
                    .rt
                    .block_on(imap.processed(&to_move))
                    .map_err(DaemonError::Mailbox)?;
                let moved = moving.elapsed();
                let next = match next {
                    Some(step) => Some(fetch_step(services, imap, step, max)?),
                    None => None,
                };
                Ok((moved, next))
            })();
            // The storing thread catches what it can; a panic there is a bug worth a crash.
            (storing.join().expect("storing a step panicked"), alongside)
        });
        let stored = stored?;
        done.stored += stored.counts.stored;
        done.not_stored += stored.counts.not_stored;
        for uid in &stored.failed {
            imap.skip(*uid);
        }
        // The stored step's replies are in the outbox: the sender need not wait for the move.
        between()?;
        let (move_time, next) = alongside?;
        tracing::debug!(
            messages = stored.stored.len(),
            store_ms = started.elapsed().as_millis() as u64,
            move_ms = move_time.as_millis() as u64,
            "intake step"
        );
        to_move = stored.stored;
        if let Some((messages, not_fetched)) = next {
            services.not_stored(done, not_fetched);
            fetched = Some(messages);
        }
    }
    services
        .rt
        .block_on(imap.processed(&to_move))
        .map_err(DaemonError::Mailbox)
}

/// Moves out of the inbox, without fetching them, the messages stored before (a daemon
/// stopped between a commit and the move left them); returns the others.
fn move_stored_before(
    services: &Services<'_>,
    imap: &mut ImapInbox,
    waiting: Vec<Waiting>,
    done: &mut Intake,
) -> Result<Vec<Waiting>, DaemonError> {
    let uids: Vec<u32> = waiting.iter().map(|w| w.uid).collect();
    let uid_validity = imap.uid_validity().unwrap_or(0);
    let stored = services.rt.block_on(services.store.stored_uids(
        imap.folder(),
        uid_validity,
        &uids,
    ))?;
    if stored.is_empty() {
        return Ok(waiting);
    }
    let mut known: Vec<u32> = stored.iter().copied().collect();
    known.sort_unstable();
    tracing::info!(
        messages = known.len(),
        "messages stored before are moved out of the inbox"
    );
    services
        .rt
        .block_on(imap.processed(&known))
        .map_err(DaemonError::Mailbox)?;
    done.stored += known.len();
    if let Some(bar) = &services.progress {
        bar.inc(known.len() as u64);
    }
    Ok(waiting
        .into_iter()
        .filter(|w| !stored.contains(&w.uid))
        .collect())
}

/// What storing one step did: the UIDs stored and those that were not, and the counts.
#[derive(Default)]
struct StoredStep {
    stored: Vec<u32>,
    failed: Vec<u32>,
    counts: Intake,
}

/// Fetches a step's messages; returns them with the number the server failed to hand over.
fn fetch_step(
    services: &Services<'_>,
    imap: &mut ImapInbox,
    step: &[Waiting],
    max: usize,
) -> Result<(Vec<FetchedMessage>, usize), DaemonError> {
    let fetch = services
        .rt
        .block_on(imap.fetch(step, max))
        .map_err(DaemonError::Mailbox)?;
    let mailbox = imap.folder().to_string();
    let uid_validity = imap.uid_validity().unwrap_or(0);
    let messages = fetch
        .messages
        .into_iter()
        .map(|fetched| FetchedMessage {
            position: MailboxPosition {
                mailbox: mailbox.clone(),
                uid_validity,
                uid: fetched.uid,
            },
            uid: fetched.uid,
            raw: Arc::new(fetched.raw),
            headers_only: fetched.headers_only,
        })
        .collect();
    Ok((messages, fetch.undeliverable.len()))
}

/// Splits the waiting messages into fetches of bounded count and size (a message over the
/// limit counts only its header block, which is all that is fetched of it).
fn fetch_steps(waiting: &[Waiting], max_bytes: usize) -> Vec<&[Waiting]> {
    let mut steps = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, w) in waiting.iter().enumerate() {
        let size = if w.size as usize > max_bytes {
            0
        } else {
            u64::from(w.size)
        };
        if i > start && (i - start >= FETCH_MESSAGES || bytes + size > FETCH_BYTES) {
            steps.push(&waiting[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < waiting.len() {
        steps.push(&waiting[start..]);
    }
    steps
}

struct FetchedMessage {
    uid: u32,
    raw: Arc<Vec<u8>>,
    headers_only: bool,
    position: MailboxPosition,
}

impl Pending for FetchedMessage {
    fn input(&self) -> Input {
        Input {
            source: Source::Bytes(self.raw.clone()),
            position: Some(self.position.clone()),
            headers_only: self.headers_only,
        }
    }
}

impl Services<'_> {
    fn expect_messages(&self, n: usize) {
        if let Some(bar) = &self.progress {
            bar.inc_length(n as u64);
            bar.tick();
        }
    }

    /// Counts messages left in the mailbox without being read.
    fn not_stored(&self, done: &mut Intake, n: usize) {
        done.not_stored += n;
        if let Some(bar) = &self.progress {
            bar.inc(n as u64);
        }
    }

    /// Stores `messages`, handing each to `processed` once its batch committed.
    fn store_step<P: Pending>(
        &self,
        messages: &[P],
        done: &mut Intake,
        mut processed: impl FnMut(&P) -> Result<(), DaemonError>,
    ) -> Result<(), DaemonError> {
        self.store_outcomes(messages, done, |m, stored| {
            if stored {
                if let Err(e) = processed(m) {
                    tracing::error!(error = %e, "cannot move a stored message out of the inbox");
                }
            }
        })
    }

    /// Stores `messages`, telling `each` whether each one was stored.
    fn store_outcomes<P: Pending>(
        &self,
        messages: &[P],
        done: &mut Intake,
        mut each: impl FnMut(&P, bool),
    ) -> Result<(), DaemonError> {
        pipeline::store_messages(
            self.rt,
            self.store,
            self.preparers,
            messages,
            |m, outcome| {
                if let Some(bar) = &self.progress {
                    bar.inc(1);
                }
                match outcome {
                    Ok(_) => {
                        done.stored += 1;
                        each(m, true);
                    }
                    // Left where it is; the reason names no content.
                    Err(reason) => {
                        done.not_stored += 1;
                        tracing::warn!(%reason, "a message was not stored");
                        each(m, false);
                    }
                }
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_steps_bound_count_and_bytes() {
        let waiting: Vec<Waiting> = (1..=600)
            .map(|uid| Waiting {
                uid,
                size: if uid == 10 { 1_000_000_000 } else { 1000 },
            })
            .collect();
        let steps = fetch_steps(&waiting, 25 * 1024 * 1024);
        assert_eq!(steps.iter().map(|s| s.len()).sum::<usize>(), 600);
        assert!(steps.iter().all(|s| s.len() <= FETCH_MESSAGES));
        let big: Vec<Waiting> = (1..=10)
            .map(|uid| Waiting {
                uid,
                size: 20 * 1024 * 1024,
            })
            .collect();
        let steps = fetch_steps(&big, 25 * 1024 * 1024);
        assert!(steps.len() >= 4, "{}", steps.len());
        assert!(fetch_steps(&[], 1).is_empty());
    }
}
