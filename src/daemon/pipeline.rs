//! The intake pipeline shared by `datareq ingest` and the daemon: files are read, parsed and
//! sealed on every core, then committed in batches, each batch one transaction; while one batch
//! commits, the next is prepared. A file's outcome is reported only after its batch committed,
//! so nothing is acknowledged (moved, answered) that is not stored.

use std::path::Path;

use crate::config::Config;
use crate::request::RequestParser;
use crate::store::{Incoming, IngestOutcome, PreparedMessage, Store};

/// Messages per transaction: large enough to amortise the commit's fsync, small enough that a
/// failed batch costs little to redo.
pub const BATCH: usize = 256;

/// Stores `files`, calling `each` with every file's outcome (or why it was not stored) in
/// order, after its batch committed. A database error ends the run: what committed stays.
pub fn store_files(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    parser: &RequestParser,
    config: &Config,
    files: &[String],
    mut each: impl FnMut(&str, Result<IngestOutcome, String>),
) -> anyhow::Result<()> {
    let year = crate::cli::current_year();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut chunks = files.chunks(BATCH);
        let mut prepared = chunks
            .next()
            .map(|c| (c, prepare_all(store, parser, config, c, year, threads)));
        while let Some((chunk, results)) = prepared.take() {
            let next = chunks.next().map(|c| {
                (
                    c,
                    scope.spawn(move || prepare_all(store, parser, config, c, year, threads)),
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
            let outcomes = rt.block_on(store.commit(&batch, crate::cli::now()))?;
            for (file, outcome) in ok_files.into_iter().zip(outcomes) {
                each(file, Ok(outcome));
            }
            prepared = match next {
                Some((c, handle)) => Some((
                    c,
                    handle
                        .join()
                        .map_err(|_| anyhow::anyhow!("internal error while parsing"))?,
                )),
                None => None,
            };
        }
        Ok(())
    })
}

/// Reads, parses and seals `files` on `threads` threads, in order. A file that cannot be read
/// or sealed is an error by reason (never by content).
fn prepare_all(
    store: &Store,
    parser: &RequestParser,
    config: &Config,
    files: &[String],
    year: i32,
    threads: usize,
) -> Vec<Result<PreparedMessage, String>> {
    let per_thread = files.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|part| {
                let handle = scope.spawn(move || {
                    part.iter()
                        .map(|file| prepare_one(store, parser, config, file, year))
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

fn prepare_one(
    store: &Store,
    parser: &RequestParser,
    config: &Config,
    file: &str,
    year: i32,
) -> Result<PreparedMessage, String> {
    let raw = crate::cli::parse::read_limited(Path::new(file), config.limits.max_message_bytes)
        .map_err(|e| format!("cannot read: {}", crate::cli::parse::io_reason(&e)))?;
    let incoming = Incoming {
        raw: &raw,
        position: None,
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.prepare(parser, incoming, year)
    }))
    .map_err(|_| "internal error while parsing; not stored".to_string())?
    .map_err(|e| format!("not stored: {e}"))
}
