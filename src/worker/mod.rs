//! Untrusted documents are read in a worker process: `datareq read-document` (this binary)
//! opens one attachment from stdin under the in-process limits, and first lowers its own
//! resource limits — address space and CPU time — so that what the in-process checks cannot
//! bound (lopdf's loader decoding many object streams, each just under the per-stream limit;
//! deep recursion) ends the worker, not the daemon. The parent adds a wall-clock deadline and
//! kills a worker that passes it. Either way the attachment is `unreadable_attachment` and the
//! message goes on to a clerk.
//!
//! The document and the fields read from it cross only the two pipes; nothing is written to
//! disk, and the worker's stderr is discarded (it could hold a parser's message).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Reads documents by running `exe read-document` once per document.
#[derive(Clone, Debug)]
pub struct WorkerReader {
    pub exe: PathBuf,
    pub limits: Limits,
    pub worker: WorkerLimits,
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
            return Box::new(WorkerReader {
                exe,
                worker: WorkerLimits::for_budget(
                    limits.time_budget,
                    config.attachment_memory_bytes as u64,
                ),
                limits,
            });
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

fn kind_arg(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Pdf => "pdf",
        DocumentKind::Docx => "docx",
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
    fn run(&self, kind: DocumentKind, bytes: &[u8]) -> Result<ReadOutcome, Unreadable> {
        let mut child = Command::new(&self.exe)
            .arg("read-document")
            .arg(kind_arg(kind))
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
        let mut stdout = child.stdout.take().ok_or(Unreadable::ReaderFailed)?;
        // The answer is read on its own thread so that a worker writing a large answer never
        // blocks on a full pipe while we wait for it.
        let collector = std::thread::spawn(move || {
            let mut answer = Vec::new();
            let _ = (&mut stdout)
                .take(MAX_ANSWER_BYTES + 1)
                .read_to_end(&mut answer);
            answer
        });
        if let Some(mut stdin) = child.stdin.take() {
            // A worker that died early closes its end: the write fails, the exit status tells.
            let _ = stdin.write_all(bytes);
        }
        let started = Instant::now();
        let status = loop {
            // The deadline is checked first: an answer that comes late is not taken.
            if started.elapsed() >= self.worker.deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(_) => break None,
            }
        };
        let answer = collector.join().unwrap_or_default();
        let Some(status) = status else {
            return Err(Unreadable::LimitExceeded);
        };
        if !status.success() {
            // Killed by its CPU limit, or aborted when its memory limit refused an allocation.
            return Err(Unreadable::LimitExceeded);
        }
        if answer.len() as u64 > MAX_ANSWER_BYTES {
            return Err(Unreadable::LimitExceeded);
        }
        serde_json::from_slice(&answer).map_err(|_| Unreadable::ReaderFailed)
    }
}

/// The worker side: `datareq read-document pdf|docx`. Sets its own limits, reads the document
/// from stdin, writes the outcome as JSON to stdout.
pub fn serve(kind: &str) -> std::process::ExitCode {
    let kind = match kind {
        "pdf" => DocumentKind::Pdf,
        "docx" => DocumentKind::Docx,
        _ => return std::process::ExitCode::from(2),
    };
    let env_u64 = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let defaults = WorkerLimits::default();
    let address_space = env_u64("DATAREQ_WORKER_AS").unwrap_or(defaults.address_space);
    let cpu = env_u64("DATAREQ_WORKER_CPU").unwrap_or(defaults.cpu_seconds);
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
    let mut bytes = Vec::new();
    if std::io::stdin()
        .lock()
        .take(reader.limits.max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return std::process::ExitCode::from(1);
    }
    let outcome = reader.read(kind, &bytes);
    let answer = serde_json::to_vec(&outcome).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(&answer)
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
