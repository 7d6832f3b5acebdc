//! `datareq ingest FILE…`: parses and stores messages, queuing automatic replies. Storing is
//! idempotent: a file already stored is reported as such and changes nothing. Files are
//! parsed and sealed on every core, then committed in batches, each batch one transaction:
//! a file is reported stored only after its batch committed.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::request::RequestParser;
use crate::store::{Incoming, IngestOutcome, PreparedMessage, Store};

/// The files to ingest: each argument that is a file, and the messages in each argument that
/// is a directory (its `*.eml` files, or every file in a Maildir's `new/` and `cur/`), in
/// name order.
fn expand_directories(args: &[String]) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::with_capacity(args.len());
    for arg in args {
        let path = Path::new(arg);
        if !path.is_dir() {
            files.push(arg.clone());
            continue;
        }
        let maildir = path.join("cur").is_dir() || path.join("new").is_dir();
        let dirs = if maildir {
            vec![path.join("new"), path.join("cur")]
        } else {
            vec![path.to_path_buf()]
        };
        let mut found = Vec::new();
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            for entry in std::fs::read_dir(dir).map_err(|e| {
                anyhow::anyhow!("{}: {}", dir.display(), super::parse::io_reason(&e))
            })? {
                let entry_path = entry?.path();
                let is_eml = entry_path.extension().is_some_and(|e| e == "eml");
                if entry_path.is_file() && (maildir || is_eml) {
                    found.push(entry_path.to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Messages per transaction: large enough to amortise the commit's fsync, small enough that a
/// failed batch costs little to redo.
pub const BATCH: usize = 256;

pub fn run(config: &Config, args: &[String], quiet: bool) -> anyhow::Result<ExitCode> {
    let files = expand_directories(args)?;
    let files = files.as_slice();
    let rt = super::store::runtime()?;
    let store = rt.block_on(super::store::open(config))?;
    let parser = RequestParser::with_reader(
        config.rules(),
        crate::worker::configured_reader(&config.limits),
    );
    let year = super::current_year();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut tally = Tally::default();
    // While one batch commits on this thread, the next is parsed and sealed on the others.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut chunks = files.chunks(BATCH);
        let mut prepared = chunks
            .next()
            .map(|c| (c, prepare_all(&store, &parser, config, c, year, threads)));
        while let Some((chunk, results)) = prepared.take() {
            let next = chunks.next().map(|c| {
                let (store, parser) = (&store, &parser);
                (
                    c,
                    scope.spawn(move || prepare_all(store, parser, config, c, year, threads)),
                )
            });
            let (files, batch) = tally.split(chunk, results);
            let outcomes = rt.block_on(store.commit(&batch, super::now()))?;
            tally.report(&files, outcomes, quiet);
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
    })?;
    rt.block_on(store.close());
    if quiet {
        println!(
            "{} stored, {} already stored",
            tally.stored, tally.duplicates
        );
    }
    Ok(if tally.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What became of the files so far.
#[derive(Default)]
struct Tally {
    stored: usize,
    duplicates: usize,
    failed: bool,
}

impl Tally {
    /// The prepared messages of a chunk, with their files; failures are reported here.
    fn split<'f>(
        &mut self,
        chunk: &'f [String],
        results: Vec<Result<PreparedMessage, String>>,
    ) -> (Vec<&'f String>, Vec<PreparedMessage>) {
        let mut files = Vec::with_capacity(chunk.len());
        let mut batch = Vec::with_capacity(chunk.len());
        for (file, result) in chunk.iter().zip(results) {
            match result {
                Ok(p) => {
                    files.push(file);
                    batch.push(p);
                }
                Err(reason) => {
                    eprintln!("datareq: {file}: {reason}");
                    self.failed = true;
                }
            }
        }
        (files, batch)
    }

    fn report(&mut self, files: &[&String], outcomes: Vec<IngestOutcome>, quiet: bool) {
        for (file, outcome) in files.iter().zip(outcomes) {
            match outcome {
                IngestOutcome::Stored {
                    reference,
                    state,
                    reply_queued,
                } => {
                    self.stored += 1;
                    report(quiet, file, &reference.to_string(), state, reply_queued, "");
                }
                IngestOutcome::FollowUp {
                    reference,
                    state,
                    reply_queued,
                } => {
                    self.stored += 1;
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
                    self.duplicates += 1;
                    if !quiet {
                        println!("{file}: already stored as {reference}");
                    }
                }
            }
        }
    }
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
