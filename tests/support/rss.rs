//! Peak resident memory of one `datareq parse --json FILE` run, worker processes included:
//! wait4's `ru_maxrss` through GNU `time -f %M` (it covers the waited-for descendants too), or,
//! without GNU time, the child's `VmHWM` sampled from `/proc` (which sees the parent only).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak RSS (KiB) of `datareq parse --json FILE`, its stdout, and how it was measured.
pub fn measure(file: &Path) -> (u64, String, &'static str) {
    let bin = env!("CARGO_BIN_EXE_datareq");
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("rss.txt");
    let gnu_time = Path::new("/usr/bin/time");
    if gnu_time.is_file() {
        let out = Command::new(gnu_time)
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(bin)
            .args(["parse", "--json"])
            .arg(file)
            .env_remove("DATAREQ_LOG")
            .output()
            .expect("run datareq under time");
        let measured = std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse::<u64>().ok()));
        if let Some(kib) = measured {
            assert!(out.status.success(), "exit {:?}", out.status);
            let stdout = String::from_utf8(out.stdout).expect("UTF-8 stdout");
            return (kib, stdout, "wait4 ru_maxrss via GNU time");
        }
        // Not GNU time (no -f/-o): fall through to /proc sampling.
    }
    let mut child = Command::new(bin)
        .args(["parse", "--json"])
        .arg(file)
        .env_remove("DATAREQ_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run datareq");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let start = Instant::now();
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "datareq did not finish"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(status.success(), "exit {status:?}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut stdout)
        .expect("read stdout");
    (peak, stdout, "VmHWM sampled from /proc")
}
