//! `datareq ingest FILE…`: parses and stores messages, queuing automatic replies. Storing is
//! idempotent: a file already stored is reported as such and changes nothing. Files are
//! parsed and sealed on every core, then committed in batches, each batch one transaction:
//! a file is reported stored only after its batch committed.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::daemon::pipeline::{store_messages, Intake, Preparers};
use crate::request::RequestParser;
use crate::store::IngestOutcome;

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

pub fn run(config: &Config, args: &[String], quiet: bool) -> anyhow::Result<ExitCode> {
    let files = expand_directories(args)?;
    let files = files.as_slice();
    let rt = super::store::runtime()?;
    let store = rt.block_on(super::store::open(config))?;
    let parser = RequestParser::with_reader(
        config.rules(),
        crate::worker::configured_reader(&config.limits),
    );
    let mut tally = Tally::default();
    let mail_keys = super::store::mail_keys(config)?;
    let intake = Intake {
        parser: &parser,
        config,
        mail_keys: mail_keys.as_ref(),
    };
    Preparers::run(&store, intake, |preparers| {
        store_messages(&rt, &store, preparers, files, |file, outcome| {
            tally.record(file, outcome, quiet)
        })
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
    fn record(&mut self, file: &str, outcome: Result<IngestOutcome, String>, quiet: bool) {
        match outcome {
            Err(reason) => {
                eprintln!("datareq: {file}: {reason}");
                self.failed = true;
            }
            Ok(IngestOutcome::Stored {
                reference,
                state,
                reply_queued,
            }) => {
                self.stored += 1;
                report(quiet, file, &reference.to_string(), state, reply_queued, "");
            }
            Ok(IngestOutcome::FollowUp {
                reference,
                state,
                reply_queued,
            }) => {
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
            Ok(IngestOutcome::Duplicate { reference }) => {
                self.duplicates += 1;
                if !quiet {
                    println!("{file}: already stored as {reference}");
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
