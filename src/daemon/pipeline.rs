//! The intake pipeline shared by `datareq ingest` and the daemon: files are read, parsed and
//! sealed on every core (by threads kept for the process), then committed in batches, each
//! batch one transaction; while one batch commits, the next is prepared. A file's outcome is reported only after its batch committed,
//! so nothing is acknowledged (moved, answered) that is not stored.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use crate::config::Config;
use crate::crypto::pgp_mime::{open_message, MailKeys, Opened};
use crate::request::RequestParser;
use crate::store::{Incoming, IngestOutcome, MailboxPosition, PreparedMessage, Store};

/// A message waiting to be stored: a file (a Maildir entry, a file given to `ingest`) or a
/// message fetched from IMAP. What the preparing threads get of it is its [`Input`].
pub trait Pending: Sync {
    fn input(&self) -> Input;
}

/// A message as a preparing thread receives it: owned, so the threads can outlive any one
/// batch.
pub struct Input {
    pub source: Source,
    /// Where it sits in an IMAP mailbox.
    pub position: Option<MailboxPosition>,
    /// Only the header block is here: the whole message was over the size limit.
    pub headers_only: bool,
}

/// Where a message's bytes are.
pub enum Source {
    File(String),
    Bytes(Arc<Vec<u8>>),
}

impl Input {
    /// Its bytes, at most `max_bytes + 1` of them (more tells the parser it is too large).
    fn read(&self, max_bytes: usize) -> Result<Cow<'_, [u8]>, String> {
        match &self.source {
            Source::File(path) => crate::cli::parse::read_limited(Path::new(path), max_bytes)
                .map(Cow::Owned)
                .map_err(|e| format!("cannot read: {}", crate::cli::parse::io_reason(&e))),
            Source::Bytes(raw) => Ok(Cow::Borrowed(raw.as_slice())),
        }
    }
}

/// A file path.
impl Pending for String {
    fn input(&self) -> Input {
        Input {
            source: Source::File(self.clone()),
            position: None,
            headers_only: false,
        }
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

/// The threads that parse and seal, one per core, started once and kept while the daemon (or
/// `ingest`) runs. Kept threads keep their caches (the regular expressions' lazy DFAs, malloc's
/// arenas) warm and few; an idle one blocks on its queue and costs nothing.
pub struct Preparers {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

struct Job {
    index: usize,
    input: Input,
    year: i32,
    done: mpsc::Sender<(usize, Result<PreparedMessage, String>)>,
}

/// A batch handed to the preparers; [`Preparers::collect`] waits for it.
struct Submitted {
    count: usize,
    done: mpsc::Receiver<(usize, Result<PreparedMessage, String>)>,
}

impl Preparers {
    /// Runs `work` with preparing threads for `intake`, started first and stopped when
    /// `work` returns.
    pub fn run<T>(store: &Store, intake: Intake<'_>, work: impl FnOnce(&Preparers) -> T) -> T {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Mutex::new(queue);
        std::thread::scope(|scope| {
            for n in 0..threads {
                let queue = &queue;
                std::thread::Builder::new()
                    .name(format!("datareq-prepare-{n}"))
                    .spawn_scoped(scope, move || prepare_jobs(store, intake, queue))
                    .expect("a preparing thread starts");
            }
            let preparers = Preparers {
                jobs: Mutex::new(Some(jobs)),
            };
            let result = work(&preparers);
            // Closing the queue ends the threads; the scope waits for them.
            preparers.stop();
            result
        })
    }

    fn stop(&self) {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    fn submit<P: Pending>(&self, files: &[P], year: i32) -> Submitted {
        let (done, results) = mpsc::channel();
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (index, file) in files.iter().enumerate() {
            let job = Job {
                index,
                input: file.input(),
                year,
                done: done.clone(),
            };
            // Without threads (stopped), the job's result never comes and collect says so.
            if let Some(jobs) = jobs.as_ref() {
                let _ = jobs.send(job);
            }
        }
        Submitted {
            count: files.len(),
            done: results,
        }
    }

    /// The batch's results in its order. A message whose thread died on it is an error by
    /// reason.
    fn collect(submitted: Submitted) -> Vec<Result<PreparedMessage, String>> {
        let mut results: Vec<Option<Result<PreparedMessage, String>>> =
            (0..submitted.count).map(|_| None).collect();
        for (index, result) in submitted.done.iter() {
            results[index] = Some(result);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err("internal error; not stored".to_string())))
            .collect()
    }
}

/// The preparing threads' nice value. 10 slowed the intake more than it helped the sender.
const PREPARER_NICE: i32 = 5;

/// A preparing thread: takes jobs until the queue closes.
fn prepare_jobs(store: &Store, intake: Intake<'_>, queue: &Mutex<mpsc::Receiver<Job>>) {
    // A little lower than the rest (on Linux this sets the calling thread's nice value): the
    // parsing keeps both cores busy during a burst, and at equal weight the sender, which
    // waits on the network between short bursts of work, fell behind and sent most replies
    // after the intake was over. Where it is refused (a seccomp filter), only speed is lost.
    let _ = rustix::process::setpriority_process(None, PREPARER_NICE);
    loop {
        let job = queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok(job) = job else { return };
        // prepare_one catches the parser's panics; one elsewhere (sealing) costs this
        // message, reported by reason, and neither the thread nor the run.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            prepare_one(store, &intake, &job.input, job.year)
        }))
        .unwrap_or_else(|_| Err("internal error; not stored".to_string()));
        let _ = job.done.send((job.index, result));
    }
}

/// Stores `files`, calling `each` with every message's outcome (or why it was not stored) in
/// order, after its batch committed. While one batch commits, the next is prepared. A
/// database error ends the run: what committed stays.
pub fn store_messages<P: Pending>(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    preparers: &Preparers,
    files: &[P],
    mut each: impl FnMut(&P, Result<IngestOutcome, String>),
) -> Result<(), crate::store::StoreError> {
    let year = crate::cli::current_year();
    let mut chunks = files.chunks(BATCH);
    let mut next = chunks.next().map(|c| (c, preparers.submit(c, year)));
    while let Some((chunk, submitted)) = next.take() {
        let preparing = std::time::Instant::now();
        let results = Preparers::collect(submitted);
        tracing::debug!(
            wait_ms = preparing.elapsed().as_millis() as u64,
            "batch prepared"
        );
        next = chunks.next().map(|c| (c, preparers.submit(c, year)));
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
    }
    Ok(())
}

fn prepare_one(
    store: &Store,
    intake: &Intake<'_>,
    message: &Input,
    year: i32,
) -> Result<PreparedMessage, String> {
    let max = intake.config.limits.max_message_bytes;
    let raw = message.read(max)?;
    let (raw, pgp) = if message.headers_only || !mentions_pgp(&raw) {
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
        position: message.position.as_ref(),
    };
    let max = if message.headers_only { 0 } else { max };
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
