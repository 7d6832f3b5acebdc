//! Proves that the `datareq` binary's memory stays bounded on a hostile 50 MB message: `parse
//! --json` reads at most the configured limit (25 MB) plus one byte, reports `too_large`, and its
//! peak resident set stays under 150 MB.
//!
//! The peak is measured after the child exits, from the kernel's `wait4` resource usage, through
//! GNU `time -f %M` (the same `ru_maxrss` that `getrusage(RUSAGE_CHILDREN)` gives; calling
//! `getrusage` directly needs `unsafe`, which the package's `unsafe_code = "forbid"` refuses even
//! in tests). Where GNU time is missing, the child's `VmHWM` (its peak RSS so far) is sampled from
//! `/proc` every millisecond until it exits. A control run on a 20 MB message that must be read
//! whole proves the measurement is not vacuous. This file is its own test process, so nothing
//! else is measured.

use std::io::Write;
use std::path::Path;

mod support;

use support::rss::measure;

const MIB: usize = 1024 * 1024;
/// The bound on the child's peak RSS, in KiB.
const LIMIT_KIB: u64 = 150 * 1024;

fn headers(id: &str, content_type: &str) -> String {
    format!(
        "From: lahettaja@example.fi\r\nTo: kirjaamo@kela.example\r\nSubject: Iso viesti\r\n\
         Date: Mon, 12 Jan 2026 10:00:00 +0200\r\nMessage-ID: <{id}@example.fi>\r\n\
         MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    )
}

/// A text/plain message whose body is `size` bytes of ordinary lines.
fn write_text_message(path: &Path, size: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    file.write_all(headers("big", "text/plain; charset=utf-8").as_bytes())
        .expect("write");
    let line = "Tämä on pitkä viesti, jossa ei ole mitään erityistä. Rivi toistuu.\r\n";
    let mut written = 0;
    while written < size {
        file.write_all(line.as_bytes()).expect("write");
        written += line.len();
    }
    file.flush().expect("flush");
}

/// A message of about `size` bytes that is parsed whole (under the limit) but quickly: a short
/// text and one large binary attachment.
fn write_attachment_message(path: &Path, size: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    file.write_all(headers("control", "multipart/mixed; boundary=\"B\"").as_bytes())
        .expect("write");
    file.write_all(
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLiitteen\xc3\xa4 tiedosto.\r\n\
          --B\r\nContent-Type: application/octet-stream\r\n\
          Content-Disposition: attachment; filename=\"data.bin\"\r\n\
          Content-Transfer-Encoding: base64\r\n\r\n",
    )
    .expect("write");
    let line = format!("{}\r\n", "QUJDRA".repeat(12) + "QUJD");
    let mut written = 0;
    while written < size {
        file.write_all(line.as_bytes()).expect("write");
        written += line.len();
    }
    file.write_all(b"--B--\r\n").expect("write");
    file.flush().expect("flush");
}

#[test]
fn fifty_megabyte_message_keeps_peak_rss_under_150_mb() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Control: a 20 MB message under the limit is read whole, so its peak must show it.
    let control = dir.path().join("control.eml");
    write_attachment_message(&control, 20 * MIB);
    let (control_kib, stdout, method) = measure(&control);
    println!("control, 20 MB read whole: peak RSS {control_kib} KiB ({method})");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert!(
        !line["review_reasons"]
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r == "too_large"),
        "the control must be under the limit"
    );
    assert!(
        control_kib >= 20 * 1024,
        "the measurement is vacuous: {control_kib} KiB for a 20 MB message read whole ({method})"
    );

    let big = dir.path().join("big.eml");
    write_text_message(&big, 50 * MIB);
    assert!(std::fs::metadata(&big).expect("stat").len() > 50 * MIB as u64);
    let (peak_kib, stdout, method) = measure(&big);
    println!("50 MB message: peak RSS {peak_kib} KiB ({method})");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(line["status"], "needs_review");
    assert!(
        line["review_reasons"]
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r == "too_large"),
        "{}",
        line["review_reasons"]
    );
    assert_eq!(line["message_id"], "<big@example.fi>");
    assert!(
        peak_kib < LIMIT_KIB,
        "peak RSS {peak_kib} KiB on a 50 MB message exceeds {LIMIT_KIB} KiB ({method})"
    );
}
