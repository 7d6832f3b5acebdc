//! Reading form attachments (PDF, DOCX) into the core's plain [`FormContent`]: the one place
//! where hostile document formats meet a parser.
//!
//! Limits are enforced at two levels. Here, in-process: the attachment's size, each stream's
//! decompressed size (passed to lopdf for the streams it decodes while loading, and applied to
//! every stream we decode ourselves), the total we decode, the object count, page count,
//! field-tree depth and cycles, content operations, and a time budget checked between steps.
//! What cannot be bounded from outside lopdf's loader (many object streams each just under the
//! per-stream limit, its own recursion) is bounded by running this reader in a worker process
//! with memory and CPU limits (`crate::worker`), which the CLI and the daemon do by default.
//!
//! [`FormContent`]: crate::request::attachment::FormContent

pub mod docx;
pub mod pdf;

use std::time::{Duration, Instant};

use crate::request::attachment::{DocumentKind, DocumentReader, ReadOutcome, Unreadable};

/// The limits one attachment is read under.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Larger attachments are not opened.
    pub max_bytes: usize,
    /// What one stream may decompress to.
    pub max_stream_bytes: usize,
    /// What all the streams we decode may decompress to together.
    pub max_decoded_bytes: usize,
    pub max_objects: usize,
    /// Documents with more pages are not read (a request form has a few).
    pub max_pages: usize,
    /// Pages whose printed text is read.
    pub max_text_pages: usize,
    pub max_fields: usize,
    /// Depth of form-field trees and nested form XObjects.
    pub max_depth: usize,
    /// Content-stream operations read in all.
    pub max_operations: usize,
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_stream_bytes: 4 * 1024 * 1024,
            max_decoded_bytes: 16 * 1024 * 1024,
            max_objects: 50_000,
            max_pages: 200,
            max_text_pages: 20,
            max_fields: 2_000,
            max_depth: 16,
            max_operations: 400_000,
            time_budget: Duration::from_secs(2),
        }
    }
}

/// The running account of one attachment's reading against its limits.
pub(crate) struct Budget<'a> {
    pub limits: &'a Limits,
    started: Instant,
    decoded: usize,
    operations: usize,
}

/// A limit was reached: the attachment is not read any further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverBudget;

impl<'a> Budget<'a> {
    pub fn new(limits: &'a Limits) -> Budget<'a> {
        Budget {
            limits,
            started: Instant::now(),
            decoded: 0,
            operations: 0,
        }
    }

    pub fn check_time(&self) -> Result<(), OverBudget> {
        if self.started.elapsed() > self.limits.time_budget {
            Err(OverBudget)
        } else {
            Ok(())
        }
    }

    /// Accounts for decoded bytes; the remaining allowance for the next stream.
    pub fn decoded(&mut self, bytes: usize) -> Result<(), OverBudget> {
        self.decoded = self.decoded.saturating_add(bytes);
        if self.decoded > self.limits.max_decoded_bytes {
            return Err(OverBudget);
        }
        self.check_time()
    }

    pub fn stream_allowance(&self) -> usize {
        self.limits
            .max_stream_bytes
            .min(self.limits.max_decoded_bytes.saturating_sub(self.decoded))
    }

    pub fn operation(&mut self) -> Result<(), OverBudget> {
        self.operations += 1;
        if self.operations > self.limits.max_operations {
            return Err(OverBudget);
        }
        // The clock is read every few thousand operations, not on each.
        if self.operations.is_multiple_of(4096) {
            self.check_time()?;
        }
        Ok(())
    }
}

/// Reads documents in this process, under [`Limits`]. A panic inside a parser becomes
/// `ReaderFailed` for that attachment, never a crash.
#[derive(Clone, Debug, Default)]
pub struct InProcessReader {
    pub limits: Limits,
}

impl DocumentReader for InProcessReader {
    fn read(&self, kind: DocumentKind, bytes: &[u8]) -> ReadOutcome {
        if bytes.len() > self.limits.max_bytes {
            return ReadOutcome::Unreadable(Unreadable::TooLarge);
        }
        let limits = &self.limits;
        let result = std::panic::catch_unwind(|| match kind {
            DocumentKind::Pdf => pdf::read(bytes, limits),
            DocumentKind::Docx => docx::read(bytes, limits),
        });
        match result {
            Ok(Ok(content)) => ReadOutcome::Read(content),
            Ok(Err(why)) => ReadOutcome::Unreadable(why),
            Err(_) => ReadOutcome::Unreadable(Unreadable::ReaderFailed),
        }
    }
}
