//! The intake pipeline shared by `datareq ingest` and the daemon: files are read, parsed and
//! sealed on every core, then committed in batches, each batch one transaction; while one batch
//! commits, the next is prepared. A file's outcome is reported only after its batch committed,
//! so nothing is acknowledged (moved, answered) that is not stored.

use std::borrow::Cow;
use std::path::Path;

use crate::config::Config;
use crate::crypto::pgp_mime::{open_message, MailKeys, Opened};
use crate::request::RequestParser;
use crate::store::{Incoming, IngestOutcome, MailboxPosition, PreparedMessage, Store};

/// A message waiting to be stored: a file (a Maildir entry, a file given to `ingest`) or a
/// message fetched from IMAP.
pub trait Pending: Sync {
    /// Its bytes, at most `max_bytes + 1` of them (more tells the parser it is too large).
    fn read(&self, max_bytes: usize) -> Result<Cow<'_, [u8]>, String>;
    /// Where it sits in an IMAP mailbox.
    fn position(&self) -> Option<&MailboxPosition> {
        None
    }
    /// Only the header block is here: the whole message was over the size limit.
    fn headers_only(&self) -> bool {
        false
    }
}

/// A file path.
impl Pending for String {
    fn read(&self, max_bytes: usize) -> Result<Cow<'_, [u8]>, String> {
        crate::cli::parse::read_limited(Path::new(self), max_bytes)
            .map(Cow::Owned)
            .map_err(|e| format!("cannot read: {}", crate::cli::parse::io_reason(&e)))
    }
}

/// Messages per transaction: large enough to amortise the commit's fsync, small enough that a
/// failed batch costs little to redo.
pub const BATCH: usize = 256;

/// What turns bytes into a prepared request: the parser, the configuration, and Kela's keys
/// for PGP/MIME mail when configured.
#[derive(Clone, Copy)]
pub struct Intake<'a> {
    pub parser: &'a RequestParser,
    pub config: &'a Config,
    pub mail_keys: Option<&'a MailKeys>,
}

/// Stores `files`, calling `each` with every message's outcome (or why it was not stored) in
/// order, after its batch committed. A database error ends the run: what committed stays.
pub fn store_messages<P: Pending>(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    intake: &Intake<'_>,
    files: &[P],
    mut each: impl FnMut(&P, Result<IngestOutcome, String>),
) -> Result<(), crate::store::StoreError> {
    let year = crate::cli::current_year();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| -> Result<(), crate::store::StoreError> {
        let mut chunks = files.chunks(BATCH);
        let preparing = std::time::Instant::now();
        let mut prepared = chunks
            .next()
            .map(|c| (c, prepare_all(store, intake, c, year, threads)));
        tracing::debug!(
            prepare_ms = preparing.elapsed().as_millis() as u64,
            "first batch prepared"
        );
        while let Some((chunk, results)) = prepared.take() {
            let next = chunks.next().map(|c| {
                (
                    c,
                    scope.spawn(move || prepare_all(store, intake, c, year, threads)),
                )
            });
            let mut ok_files = Vec::with_capacity(chunk.len());
            let mut batch = Vec::with_capacity(chunk.len());
            for (file, result) in chunk.iter().zip(results) {
                match result {
                    Ok(p) => {
                        ok_files.push(file);
                        batch.push(p);
                    }
                    Err(reason) => each(file, Err(reason)),
                }
            }
            let committing = std::time::Instant::now();
            let outcomes = rt.block_on(store.commit(&batch, crate::cli::now()))?;
            tracing::debug!(
                messages = batch.len(),
                commit_ms = committing.elapsed().as_millis() as u64,
                "batch committed"
            );
            for (file, outcome) in ok_files.into_iter().zip(outcomes) {
                each(file, Ok(outcome));
            }
            prepared = match next {
                // prepare_all catches its threads' panics; one here is a bug worth a crash.
                Some((c, handle)) => Some((c, handle.join().expect("preparing a batch panicked"))),
                None => None,
            };
        }
        Ok(())
    })
}

/// Reads, parses and seals `files` on `threads` threads, in order. A file that cannot be read
/// or sealed is an error by reason (never by content).
fn prepare_all<P: Pending>(
    store: &Store,
    intake: &Intake<'_>,
    files: &[P],
    year: i32,
    threads: usize,
) -> Vec<Result<PreparedMessage, String>> {
    let per_thread = files.len().div_ceil(threads.max(1)).max(1);
    if threads <= 1 {
        // No thread to start: this one does the work.
        return files
            .iter()
            .map(|file| prepare_one(store, intake, file, year))
            .collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|part| {
                let handle = scope.spawn(move || {
                    part.iter()
                        .map(|file| prepare_one(store, intake, file, year))
                        .collect::<Vec<_>>()
                });
                (part.len(), handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| match h.join() {
                Ok(results) => results,
                // prepare_one catches the parser's panics; one here would be in sealing, and
                // costs this thread's files (reported), not the run.
                Err(_) => (0..n)
                    .map(|_| Err("internal error; not stored".to_string()))
                    .collect(),
            })
            .collect()
    })
}

fn prepare_one<P: Pending>(
    store: &Store,
    intake: &Intake<'_>,
    message: &P,
    year: i32,
) -> Result<PreparedMessage, String> {
    let max = intake.config.limits.max_message_bytes;
    let raw = message.read(max)?;
    let (raw, pgp) = if message.headers_only() || !mentions_pgp(&raw) {
        (raw, None)
    } else {
        match open_message(&raw, intake.mail_keys, max) {
            Opened::AsIs { signature } => (raw, Some(format!("signature={}", signature.name()))),
            Opened::Decrypted { raw, signature } => (
                Cow::Owned(raw),
                Some(format!("pgp=decrypted; signature={}", signature.name())),
            ),
            Opened::Undecryptable => (raw, Some("pgp=undecryptable".to_string())),
        }
    };
    let incoming = Incoming {
        raw: &raw,
        position: message.position(),
    };
    let max = if message.headers_only() { 0 } else { max };
    let mut prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.prepare_within(intake.parser, incoming, year, max)
    }))
    .map_err(|_| "internal error while parsing; not stored".to_string())?
    .map_err(|e| format!("not stored: {e}"))?;
    if let Some(note) = pgp {
        prepared.note(&note);
    }
    Ok(prepared)
}

/// Whether the header block names a PGP/MIME protocol (`application/pgp-encrypted` or
/// `-signature`): only then is the message parsed for PGP/MIME, which costs a second parse.
fn mentions_pgp(raw: &[u8]) -> bool {
    let head = &raw[..raw.len().min(64 * 1024)];
    let end = [
        head.windows(2).position(|w| w == b"\n\n"),
        head.windows(3).position(|w| w == b"\n\r\n"),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(head.len());
    head[..end]
        .windows(16)
        .any(|w| w.eq_ignore_ascii_case(b"application/pgp-"))
}
