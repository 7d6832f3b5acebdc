//! The document worker (`datareq read-document`, started by `WorkerReader`): it reads a real
//! form the same way as the in-process reader, and its limits are really applied — a worker
//! given too little address space cannot read, one past its deadline is killed — and each
//! failure is an unreadable attachment, never an error of the caller.

use std::path::PathBuf;
use std::time::Duration;

use datareq::attachment::{InProcessReader, Limits};
use datareq::request::attachment::{DocumentKind, DocumentReader, ReadOutcome, Unreadable};
use datareq::worker::{WorkerLimits, WorkerReader};

/// The PDF attached to a fixture mail (the first base64 part after the PDF's headers).
fn fixture_pdf() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms/001.eml");
    let mail = std::fs::read_to_string(path).expect("fixture");
    let start = mail
        .find("Content-Type: application/pdf")
        .expect("pdf part");
    let body = &mail[start..];
    let body = &body[body.find("\n\n").expect("part body") + 2..];
    let b64: String = body
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .concat();
    decode_base64(&b64)
}

fn decode_base64(text: &str) -> Vec<u8> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let vals: Vec<u32> = text
        .bytes()
        .filter_map(|b| T.iter().position(|&t| t == b).map(|p| p as u32))
        .collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let n = chunk.iter().fold(0u32, |acc, v| acc << 6 | v) << (6 * (4 - chunk.len()));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

fn worker(worker: WorkerLimits) -> WorkerReader {
    WorkerReader::new(
        PathBuf::from(env!("CARGO_BIN_EXE_datareq")),
        Limits::default(),
        worker,
    )
}

#[test]
fn the_worker_reads_what_the_in_process_reader_reads() {
    let pdf = fixture_pdf();
    let in_process = InProcessReader::default().read(DocumentKind::Pdf, &pdf);
    let ReadOutcome::Read(content) = &in_process else {
        panic!("the fixture must be readable");
    };
    assert!(
        content.fields.len() >= 10,
        "{} fields",
        content.fields.len()
    );
    let by_worker = worker(WorkerLimits::default()).read(DocumentKind::Pdf, &pdf);
    assert!(by_worker == in_process, "the worker's answer differs");
}

#[test]
fn a_worker_without_enough_memory_gives_up_cleanly() {
    let tight = WorkerLimits {
        address_space: 4 * 1024 * 1024,
        ..WorkerLimits::default()
    };
    let outcome = worker(tight).read(DocumentKind::Pdf, &fixture_pdf());
    assert!(outcome == ReadOutcome::Unreadable(Unreadable::LimitExceeded));
}

#[test]
fn a_worker_past_its_deadline_is_killed() {
    let hurried = WorkerLimits {
        deadline: Duration::ZERO,
        ..WorkerLimits::default()
    };
    let outcome = worker(hurried).read(DocumentKind::Pdf, &fixture_pdf());
    assert!(outcome == ReadOutcome::Unreadable(Unreadable::LimitExceeded));
}

#[test]
fn a_missing_worker_binary_is_a_reader_failure() {
    let missing = WorkerReader::new(
        PathBuf::from("/nonexistent/datareq"),
        Limits::default(),
        WorkerLimits::default(),
    );
    let outcome = missing.read(DocumentKind::Pdf, &fixture_pdf());
    assert!(outcome == ReadOutcome::Unreadable(Unreadable::ReaderFailed));
}
