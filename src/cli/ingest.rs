//! `datareq ingest FILE…`: parses and stores messages, queuing automatic replies. Storing is
//! idempotent: a file already stored is reported as such and changes nothing. Files are
//! parsed and sealed on every core, then committed in batches, each batch one transaction:
//! a file is reported stored only after its batch committed.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::request::RequestParser;
use crate::store::{Incoming, IngestOutcome, PreparedMessage, Store};

/// Messages per transaction: large enough to amortise the commit's fsync, small enough that a
/// failed batch costs little to redo.
pub const BATCH: usize = 256;

pub fn run(config: &Config, files: &[String], quiet: bool) -> anyhow::Result<ExitCode> {
    let rt = super::store::runtime()?;
    let store = rt.block_on(super::store::open(config))?;
    let parser = RequestParser::with_reader(
        config.rules(),
        crate::worker::configured_reader(&config.limits),
    );
    let year = super::current_year();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut failed = false;
    let (mut stored, mut duplicates) = (0usize, 0usize);
    for chunk in files.chunks(BATCH) {
        let prepared = prepare_all(&store, &parser, config, chunk, year, threads);
        let mut ok_files = Vec::with_capacity(chunk.len());
        let mut batch = Vec::with_capacity(chunk.len());
        for (file, result) in chunk.iter().zip(prepared) {
            match result {
                Ok(p) => {
                    ok_files.push(file);
                    batch.push(p);
                }
                Err(reason) => {
                    eprintln!("datareq: {file}: {reason}");
                    failed = true;
                }
            }
        }
        let outcomes = rt.block_on(store.commit(&batch, super::now()))?;
        for (file, outcome) in ok_files.into_iter().zip(outcomes) {
            match outcome {
                IngestOutcome::Stored {
                    reference,
                    state,
                    reply_queued,
                } => {
                    stored += 1;
                    report(quiet, file, &reference.to_string(), state, reply_queued, "");
                }
                IngestOutcome::FollowUp {
                    reference,
                    state,
                    reply_queued,
                } => {
                    stored += 1;
                    report(
                        quiet,
                        file,
                        &reference,
                        state,
                        reply_queued,
                        "follow-up to ",
                    );
                }
                IngestOutcome::Duplicate { reference } => {
                    duplicates += 1;
                    if !quiet {
                        println!("{file}: already stored as {reference}");
                    }
                }
            }
        }
    }
    rt.block_on(store.close());
    if quiet {
        println!("{stored} stored, {duplicates} already stored");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(
    quiet: bool,
    file: &str,
    reference: &str,
    state: crate::request::lifecycle::RequestState,
    reply_queued: bool,
    what: &str,
) {
    if !quiet {
        let reply = if reply_queued { ", reply queued" } else { "" };
        println!("{file}: {what}{reference} {state}{reply}");
    }
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
    let raw = super::parse::read_limited(Path::new(file), config.limits.max_message_bytes)
        .map_err(|e| format!("cannot read: {}", super::parse::io_reason(&e)))?;
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
