//! Proves that real-world mail written by other projects to test their MIME parsers (client
//! output, bounces, delivery reports, malformed and hostile structure; see
//! `../shared/corpus/realworld/PROVENANCE.md`) never makes the core panic or hang, always gives a
//! result that serialises to JSON, and is never taken for a complete data request (none of these
//! messages is one). The whole folder must be read in under 20 s; the time is printed.
//!
//! Failures are collected and reported by file name only: the panic hook is silenced while the
//! corpus is parsed, so no message content reaches the test output.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use datareq::request::{parse_message, Rules, Status};

const YEAR: i32 = 2026;
const MIN_FILES: usize = 100;
/// The bound on the whole folder (generous: a debug build reads it in a few seconds).
const FOLDER_LIMIT: Duration = Duration::from_secs(20);
/// A hang guard for one message.
const FILE_DEADLINE: Duration = Duration::from_secs(60);

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        dir.is_dir(),
        "the real-world corpus {} is missing{}",
        dir.display(),
        if ci { " (CI=true: it is required)" } else { "" }
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the real-world corpus")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().is_some_and(|n| n != "PROVENANCE.md"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_FILES,
        "the real-world corpus holds {} files, fewer than {MIN_FILES}",
        files.len()
    );
    files
}

/// What went wrong with one file, by name only.
#[derive(Debug)]
enum Failure {
    Panicked,
    NotSerialisable,
    Complete,
}

#[test]
fn realworld_mail_is_never_a_complete_request_and_never_crashes() {
    let files = corpus_files();
    let total = files.len();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();

    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let worker = std::thread::spawn(move || {
        let rules = Rules::default();
        // Silence the default hook: a panic message may quote the message text.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        for (n, path) in files.iter().enumerate() {
            let raw = std::fs::read(path).expect("read a corpus file");
            let outcome =
                std::panic::catch_unwind(|| parse_message(&raw, &rules, YEAR)).map(|parsed| {
                    let serialised = serde_json::to_string(&parsed);
                    (parsed.status, serialised.is_ok())
                });
            if tx.send((n, outcome.ok())).is_err() {
                break;
            }
        }
        std::panic::set_hook(hook);
    });

    let mut failures: Vec<(String, Failure)> = Vec::new();
    let mut counts = [0usize; 3];
    for _ in 0..total {
        let (n, outcome) = match rx.recv_timeout(FILE_DEADLINE) {
            Ok(got) => got,
            Err(RecvTimeoutError::Timeout) => {
                let done = failures.len() + counts.iter().sum::<usize>();
                panic!(
                    "parse_message did not return within {FILE_DEADLINE:?} on {}",
                    names[done]
                );
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the corpus reader stopped"),
        };
        match outcome {
            None => failures.push((names[n].clone(), Failure::Panicked)),
            Some((_, false)) => failures.push((names[n].clone(), Failure::NotSerialisable)),
            Some((Status::Complete, true)) => failures.push((names[n].clone(), Failure::Complete)),
            Some((Status::Incomplete, true)) => counts[1] += 1,
            Some((Status::NeedsReview, true)) => counts[2] += 1,
        }
    }
    worker.join().expect("the corpus reader ends");
    let elapsed = start.elapsed();
    println!(
        "realworld: {total} files in {elapsed:.2?} ({} needs_review, {} incomplete, {} failed)",
        counts[2],
        counts[1],
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} real-world messages failed:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|(name, why)| format!("  {name}: {why:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        elapsed < FOLDER_LIMIT,
        "the real-world corpus took {elapsed:.2?}, over {FOLDER_LIMIT:?}"
    );
}
