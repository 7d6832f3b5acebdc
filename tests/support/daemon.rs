//! Running `datareq` against the real mail servers the tests start: a working directory with
//! the example configuration, `datareq run` in the background with its log read as it comes,
//! the CLI on the same directory, and the dev corpus's messages.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::dovecot::Dovecot;
use super::smtp::SmtpSink;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn examples() -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// The first `n` messages of the shared dev corpus.
pub fn dev_corpus(n: usize) -> Vec<Vec<u8>> {
    let dir = root().join("../shared/corpus/dev");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("../shared/corpus/dev (copy ../shared next to the clone)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names.truncate(n);
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Both servers, or `None` when (outside CI) one is not installed.
pub fn servers() -> Option<(Dovecot, SmtpSink)> {
    let dovecot = Dovecot::start()?;
    let sink = SmtpSink::start(&dovecot.cert(), &dovecot.dir.path().join("key.pem"))?;
    Some((dovecot, sink))
}

/// A working directory with the example config, each `key = value` of `settings` replacing
/// the example's line for that key.
pub fn workdir(settings: &[&str]) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let mut config = std::fs::read_to_string(root().join("config/datareq.example.toml")).unwrap();
    for setting in settings {
        let key = setting.split(" = ").next().unwrap();
        let line = config
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("the example config sets {key}"))
            .to_string();
        config = config.replace(&line, setting);
    }
    std::fs::write(work.path().join("datareq.toml"), config).unwrap();
    work
}

pub fn datareq(work: &Path, dovecot: &Dovecot, sink: &SmtpSink, mailbox_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
    c.current_dir(work)
        .env_remove("DATAREQ_DATABASE_URL")
        .env("DATAREQ_MAILBOX_URL", mailbox_url)
        .env("DATAREQ_OUTBOX_URL", sink.url())
        .env("DATAREQ_TLS_CA_FILE", dovecot.cert())
        .env("DATAREQ_LOG", "info")
        .arg("--config")
        .arg(work.join("datareq.toml"));
    c
}

pub fn run_once(work: &Path, dovecot: &Dovecot, sink: &SmtpSink, url: &str) -> Output {
    let out = datareq(work, dovecot, sink, url)
        .args(["run", "--once"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The stored requests (`requests list --json`, one object per line).
pub fn requests(work: &Path) -> Vec<serde_json::Value> {
    datareq_cli(work, &["requests", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn references(work: &Path) -> Vec<String> {
    requests(work)
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect()
}

pub fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next().unwrap();
    head.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// A daemon in the background, stopped with SIGTERM when dropped.
/// A running `datareq run`, its log read as it comes (a full stderr pipe would stop it).
pub struct Daemon {
    pub child: Child,
    log: Option<std::thread::JoinHandle<String>>,
}

impl Daemon {
    pub fn start(mut command: Command) -> Daemon {
        let mut child = command
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut log = String::new();
            use std::io::Read;
            let _ = stderr.read_to_string(&mut log);
            log
        });
        Daemon {
            child,
            log: Some(log),
        }
    }

    /// Fails the test, with the daemon's log, when the daemon has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let log = self
                .log
                .take()
                .map(|l| l.join().unwrap())
                .unwrap_or_default();
            panic!("the daemon exited ({status}) instead of running on:\n{log}");
        }
    }

    /// SIGTERM, then the exit status and the log.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        terminate(&self.child);
        let status = self.child.wait().unwrap();
        let log = self.log.take().unwrap().join().unwrap();
        (status, log)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `datareq` on `work`'s configuration and database, as an operator runs it.
pub fn datareq_command(work: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
    c.current_dir(work)
        .env_remove("DATAREQ_DATABASE_URL")
        .arg("--config")
        .arg(work.join("datareq.toml"));
    c
}

/// `datareq ARGS`, which must succeed; its output.
pub fn datareq_cli(work: &Path, args: &[&str]) -> String {
    let out = datareq_command(work).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `count` freshly generated dev-family messages (the shared generator, seed `seed`).
pub fn generated(count: usize, seed: u32) -> Vec<Vec<u8>> {
    generated_with_expected(count, seed)
        .into_iter()
        .map(|(raw, _)| raw)
        .collect()
}

/// Generated messages, each with its expected parse (the contract's JSON: `status`,
/// `follow_up`, …).
pub fn generated_with_expected(count: usize, seed: u32) -> Vec<(Vec<u8>, serde_json::Value)> {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(root().join("../shared/corpus/gen_corpus.py"))
        .args(["--family", "dev", "--quiet", "--seed", &seed.to_string()])
        .args(["--count", &count.to_string(), "--out"])
        .arg(out.path())
        .status()
        .expect("python3");
    assert!(
        status.success(),
        "the generator failed (is ../shared there?)"
    );
    let mut names: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let expected: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p.with_extension("expected.json")).unwrap())
                    .unwrap();
            (std::fs::read(p).unwrap(), expected)
        })
        .collect()
}

/// Every reply answers a different message; returns how many replies came.
pub fn assert_no_message_answered_twice(sink: &SmtpSink) -> usize {
    let replies = sink.received();
    let answered: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|(raw, _)| {
            header(&String::from_utf8_lossy(raw), "In-Reply-To")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(answered.len(), replies.len(), "no message answered twice");
    replies.len()
}
