//! Untrusted documents are read in worker processes: `datareq read-document` (this binary)
//! reads attachments from stdin, one after another, under the in-process limits, and first
//! lowers its own resource limits — address space and CPU time — so that what the in-process
//! checks cannot bound (lopdf's loader decoding many object streams, each just under the
//! per-stream limit; deep recursion) ends the worker, not the daemon. The parent gives each
//! document a wall-clock deadline and kills a worker that passes it. Either way the attachment
//! is `unreadable_attachment` and the message goes on to a clerk.
//!
//! Workers are kept and reused, as Postfix reuses its daemons: starting one costs milliseconds
//! of CPU (loading and linking the binary), far more than reading a form. A worker reads at
//! most [`DOCUMENTS_PER_WORKER`] documents and is then replaced, which bounds what one
//! document can leave behind for the next (memory, a parser's state); one that failed in any
//! way is never reused.
//!
//! The documents and the fields read from them cross only the two pipes; nothing is written
//! to disk, and the worker's stderr is discarded (it could hold a parser's message).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::attachment::{InProcessReader, Limits};
use crate::config::{AttachmentIsolation, LimitsConfig};
use crate::request::attachment::{DocumentKind, DocumentReader, ReadOutcome, Unreadable};

/// Resource limits the worker sets on itself.
#[derive(Clone, Debug)]
pub struct WorkerLimits {
    /// Address space (virtual memory), bytes.
    pub address_space: u64,
    /// CPU seconds.
    pub cpu_seconds: u64,
    /// Wall-clock time before the parent kills the worker.
    pub deadline: Duration,
}

impl Default for WorkerLimits {
    /// The limits for the default time budget and 512 MB.
    fn default() -> Self {
        WorkerLimits::for_budget(Limits::default().time_budget, 512 * 1024 * 1024)
    }
}

/// The worker's answer is bounded too: a document's fields and text are far less than this.
const MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// Documents one worker reads before it is replaced.
pub const DOCUMENTS_PER_WORKER: u32 = 100;

/// Reads documents in `exe read-document` worker processes, kept between documents.
#[derive(Clone, Debug)]
pub struct WorkerReader {
    pub exe: PathBuf,
    pub limits: Limits,
    pub worker: WorkerLimits,
    /// Workers waiting for a document.
    idle: Arc<Mutex<Vec<Worker>>>,
}

/// A running worker: the process, and the thread that talks to it, which takes a framed
/// document and gives back the answer's bytes (or nothing, when the worker failed).
struct Worker {
    child: Child,
    documents: mpsc::Sender<Vec<u8>>,
    answers: mpsc::Receiver<Option<Vec<u8>>>,
    used: u32,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("used", &self.used).finish()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // An idle worker would leave at the end of its input anyway; this also ends a busy one.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The document reader the configuration asks for: a worker process per document, or this
/// process. The worker is this very binary; when its path cannot be found, reading falls back
/// to this process rather than leaving every attachment unread.
pub fn configured_reader(config: &LimitsConfig) -> Box<dyn DocumentReader> {
    let limits = Limits {
        max_bytes: config.max_attachment_bytes,
        time_budget: Duration::from_secs(config.attachment_seconds),
        ..Limits::default()
    };
    if config.attachment_isolation == AttachmentIsolation::Worker {
        if let Ok(exe) = std::env::current_exe() {
            return Box::new(WorkerReader::new(
                exe,
                limits.clone(),
                WorkerLimits::for_budget(limits.time_budget, config.attachment_memory_bytes as u64),
            ));
        }
        tracing::warn!("cannot find this program's path; documents are read in process");
    }
    Box::new(InProcessReader { limits })
}

impl WorkerLimits {
    /// Room for the reader's own time budget: the CPU limit a little above it (the reader checks
    /// its budget between steps, not during one), the wall clock a little above that (a worker
    /// waiting on nothing uses no CPU).
    pub fn for_budget(budget: Duration, address_space: u64) -> WorkerLimits {
        let seconds = budget.as_secs().max(1);
        WorkerLimits {
            address_space,
            cpu_seconds: seconds + 2,
            deadline: Duration::from_secs(seconds + 3),
        }
    }
}

impl DocumentReader for WorkerReader {
    fn read(&self, kind: DocumentKind, bytes: &[u8]) -> ReadOutcome {
        if bytes.len() > self.limits.max_bytes {
            return ReadOutcome::Unreadable(Unreadable::TooLarge);
        }
        match self.run(kind, bytes) {
            Ok(outcome) => outcome,
            Err(why) => {
                tracing::warn!(reason = why.name(), "document worker gave no answer");
                ReadOutcome::Unreadable(why)
            }
        }
    }
}

impl WorkerReader {
    pub fn new(exe: PathBuf, limits: Limits, worker: WorkerLimits) -> WorkerReader {
        WorkerReader {
            exe,
            limits,
            worker,
            idle: Arc::default(),
        }
    }

    fn run(&self, kind: DocumentKind, bytes: &[u8]) -> Result<ReadOutcome, Unreadable> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut worker = match idle {
            Some(worker) => worker,
            None => self.start()?,
        };
        let mut document = Vec::with_capacity(bytes.len() + 9);
        document.push(kind_byte(kind));
        document.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        document.extend_from_slice(bytes);
        worker.used += 1;
        if worker.documents.send(document).is_err() {
            return Err(Unreadable::ReaderFailed);
        }
        // The deadline is the only wait: an answer that comes late is not taken, and the worker
        // is killed when dropped.
        let answer = match worker.answers.recv_timeout(self.worker.deadline) {
            Ok(Some(answer)) => answer,
            // Killed by its CPU limit, or aborted when its memory limit refused an allocation.
            Ok(None) | Err(_) => return Err(Unreadable::LimitExceeded),
        };
        let outcome = serde_json::from_slice(&answer).map_err(|_| Unreadable::ReaderFailed)?;
        if worker.used < DOCUMENTS_PER_WORKER {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(worker);
        }
        Ok(outcome)
    }

    fn start(&self) -> Result<Worker, Unreadable> {
        let mut child = Command::new(&self.exe)
            .arg("read-document")
            .env("DATAREQ_WORKER_AS", self.worker.address_space.to_string())
            .env("DATAREQ_WORKER_CPU", self.worker.cpu_seconds.to_string())
            .env(
                "DATAREQ_WORKER_MAX_BYTES",
                self.limits.max_bytes.to_string(),
            )
            .env(
                "DATAREQ_WORKER_BUDGET_MS",
                self.limits.time_budget.as_millis().to_string(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|_| Unreadable::ReaderFailed)?;
        let (mut stdin, mut stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(stdin), Some(stdout)) => (stdin, stdout),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Unreadable::ReaderFailed);
            }
        };
        let (documents, to_worker) = mpsc::channel::<Vec<u8>>();
        let (answered, answers) = mpsc::channel();
        // Writing and reading happen on this thread, so that a worker that stops reading (or
        // writes a large answer into a full pipe) blocks only it; the caller waits with a
        // deadline and kills the worker, which ends the thread's I/O.
        std::thread::spawn(move || {
            for document in to_worker {
                let answer = stdin
                    .write_all(&document)
                    .and_then(|_| stdin.flush())
                    .ok()
                    .and_then(|_| read_answer(&mut stdout));
                let failed = answer.is_none();
                if answered.send(answer).is_err() || failed {
                    return;
                }
            }
        });
        Ok(Worker {
            child,
            documents,
            answers,
            used: 0,
        })
    }
}

/// One framed answer: its length (8 bytes, big-endian), then the JSON.
fn read_answer(stdout: &mut impl Read) -> Option<Vec<u8>> {
    let mut length = [0u8; 8];
    stdout.read_exact(&mut length).ok()?;
    let length = u64::from_be_bytes(length);
    if length > MAX_ANSWER_BYTES {
        return None;
    }
    let mut answer = vec![0u8; length as usize];
    stdout.read_exact(&mut answer).ok()?;
    Some(answer)
}

fn kind_byte(kind: DocumentKind) -> u8 {
    match kind {
        DocumentKind::Pdf => b'p',
        DocumentKind::Docx => b'd',
    }
}

/// The worker side: `datareq read-document`. Sets its own limits, then reads framed
/// documents from stdin (a kind byte, the length as 8 bytes big-endian, the bytes) and writes
/// each outcome framed to stdout (the length, then JSON), until its input ends.
///
/// The CPU limit covers the worker's whole life (its documents at their time budget each);
/// one document is bounded by the parent's deadline.
pub fn serve() -> std::process::ExitCode {
    let env_u64 = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let defaults = WorkerLimits::default();
    let address_space = env_u64("DATAREQ_WORKER_AS").unwrap_or(defaults.address_space);
    let cpu = env_u64("DATAREQ_WORKER_CPU")
        .unwrap_or(defaults.cpu_seconds)
        .saturating_mul(u64::from(DOCUMENTS_PER_WORKER));
    if rlimit::setrlimit(rlimit::Resource::AS, address_space, address_space).is_err()
        || rlimit::setrlimit(rlimit::Resource::CPU, cpu, cpu).is_err()
        || rlimit::setrlimit(rlimit::Resource::CORE, 0, 0).is_err()
    {
        // Never read hostile input without the limits in place.
        return std::process::ExitCode::from(3);
    }
    let mut reader = InProcessReader::default();
    if let Some(max_bytes) = env_u64("DATAREQ_WORKER_MAX_BYTES") {
        reader.limits.max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    }
    if let Some(budget) = env_u64("DATAREQ_WORKER_BUDGET_MS") {
        reader.limits.time_budget = Duration::from_millis(budget);
    }
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    loop {
        let mut head = [0u8; 9];
        match stdin.read_exact(&mut head) {
            Ok(()) => {}
            // The parent closed our input: done.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return std::process::ExitCode::SUCCESS
            }
            Err(_) => return std::process::ExitCode::from(1),
        }
        let kind = match head[0] {
            b'p' => DocumentKind::Pdf,
            b'd' => DocumentKind::Docx,
            _ => return std::process::ExitCode::from(2),
        };
        let length = u64::from_be_bytes(head[1..].try_into().expect("8 bytes"));
        if length > reader.limits.max_bytes as u64 {
            return std::process::ExitCode::from(2);
        }
        let mut bytes = vec![0u8; length as usize];
        if stdin.read_exact(&mut bytes).is_err() {
            return std::process::ExitCode::from(1);
        }
        let outcome = reader.read(kind, &bytes);
        drop(bytes);
        let answer = serde_json::to_vec(&outcome).unwrap_or_default();
        let written = stdout
            .write_all(&(answer.len() as u64).to_be_bytes())
            .and_then(|_| stdout.write_all(&answer))
            .and_then(|_| stdout.flush());
        if written.is_err() {
            return std::process::ExitCode::from(1);
        }
    }
}
