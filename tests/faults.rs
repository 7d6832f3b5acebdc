//! The daemon through the faults of its surroundings, each with real servers: Dovecot stopped
//! for 30 s, the SMTP receiver refusing (4xx) and then failing (5xx) replies, PostgreSQL
//! restarted, and the disk of the SQLite file full (a small tmpfs the test mounts). In each,
//! `datareq run` keeps running, `/healthz` and `datareq status` say what fails while it fails,
//! and when the fault ends the daemon recovers by itself and every message becomes exactly
//! one request, none lost.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::daemon::*;
use support::dovecot::{free_port, missing, Dovecot};
use support::smtp::SmtpSink;
use support::web::Client;

/// A working directory whose daemon also serves `/healthz` on a free port (returned).
fn workdir_with_health(settings: &[&str]) -> (tempfile::TempDir, std::net::SocketAddr) {
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let listen = format!("listen = \"127.0.0.1:{}\"", free_port());
    let metrics_listen = format!("metrics_listen = \"{metrics}\"");
    let mut all = vec!["enabled = true", &listen, &metrics_listen];
    all.extend_from_slice(settings);
    (workdir(&all), metrics)
}

/// `/healthz`: the status code and the text; 0 while the listener is not up yet.
fn health(metrics: std::net::SocketAddr) -> (u16, String) {
    if std::net::TcpStream::connect(metrics).is_err() {
        return (0, String::new());
    }
    let response = Client::new(metrics).get("/healthz");
    (response.status, response.text())
}

/// Waits until `/healthz` answers `code` with a text that holds `text`; returns the text.
fn wait_for_health(
    metrics: std::net::SocketAddr,
    code: u16,
    text: &str,
    daemon: &mut Daemon,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        daemon.assert_running();
        let (status, body) = health(metrics);
        if status == code && body.contains(text) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/healthz never said {code} {text:?}; last: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `datareq status --json`, from another process, as an operator would run it.
fn status_json(work: &Path) -> serde_json::Value {
    serde_json::from_str(&datareq_cli(work, &["status", "--json"])).unwrap()
}

/// The failing parts `status` names, with their reasons.
fn failing(status: &serde_json::Value) -> Vec<(String, String)> {
    status["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["part"].as_str().unwrap().to_string(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every message of `corpus` became exactly one request or a follow-up of one: the mailbox
/// is empty, the processed folder holds them all, no reference twice, no message answered
/// twice, and a further round stores nothing.
fn assert_each_stored_once(work: &Path, dovecot: &Dovecot, sink: &SmtpSink, corpus: usize) {
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("Processed"), corpus);
    let refs = references(work);
    let distinct: std::collections::BTreeSet<&String> = refs.iter().collect();
    assert_eq!(distinct.len(), refs.len(), "no request stored twice");
    let again = run_once(work, dovecot, sink, &dovecot.imap_url());
    assert!(stderr(&again).contains("stored 0"), "{}", stderr(&again));
    assert_eq!(references(work).len(), refs.len());
    assert_no_message_answered_twice(sink);
}

/// The fault is over: the mailbox empties, `/healthz` and `status` say nothing fails, and
/// the daemon stops cleanly; returns its log.
fn assert_recovered(
    work: &Path,
    dovecot: &Dovecot,
    metrics: std::net::SocketAddr,
    mut daemon: Daemon,
) -> String {
    wait_until("all mail is processed", Duration::from_secs(180), || {
        dovecot.count("INBOX") == 0
    });
    let after = wait_for_health(metrics, 200, "mailbox: read", &mut daemon);
    assert!(!after.contains("failing"), "{after}");
    assert!(failing(&status_json(work)).is_empty());
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    log
}

#[test]
fn dovecot_stopped_for_thirty_seconds() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let corpus = dev_corpus(400);
    dovecot.append("INBOX", &corpus[..200]);
    let (work, metrics) = workdir_with_health(&[]);
    let mut daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    wait_for_health(metrics, 200, "mailbox: read", &mut daemon);
    wait_until(
        "the first mail is processed",
        Duration::from_secs(60),
        || dovecot.count("Processed") > 0,
    );
    dovecot.kill();
    let stopped = Instant::now();
    // The cut connection may first show as a broken IMAP exchange; the reconnections that
    // follow fail to connect.
    let during = wait_for_health(metrics, 503, "(connection)", &mut daemon);
    assert!(during.contains("mailbox: failing for"), "{during}");
    let said = failing(&status_json(work.path()));
    assert_eq!(said, vec![("mailbox".into(), "connection".into())]);
    let text = datareq_cli(work.path(), &["status"]);
    assert!(text.contains("Failing        mailbox since"), "{text}");
    while stopped.elapsed() < Duration::from_secs(30) {
        daemon.assert_running();
        std::thread::sleep(Duration::from_millis(500));
    }
    dovecot.run();
    // Mail that came during the outage is read too.
    dovecot.append("INBOX", &corpus[200..]);
    let log = assert_recovered(work.path(), &dovecot, metrics, daemon);
    assert!(log.contains("recovered"), "{log}");
    assert_each_stored_once(work.path(), &dovecot, &sink, corpus.len());
}

#[test]
fn smtp_refusing_then_failing_then_accepting() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let corpus = dev_corpus(30);
    let (work, metrics) = workdir_with_health(&[]);
    sink.set_mode("451");
    dovecot.append("INBOX", &corpus[..10]);
    let mut daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    let refusing = wait_for_health(metrics, 503, "sending: failing for", &mut daemon);
    assert!(refusing.contains("451"), "{refusing}");
    assert!(
        refusing.contains("mailbox: read"),
        "the mailbox is fine: {refusing}"
    );
    let said = failing(&status_json(work.path()));
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].0, "sending");
    assert!(said[0].1.contains("451"), "{said:?}");
    let deferred = status_json(work.path())["outbox"]["deferred"]
        .as_u64()
        .unwrap();
    assert!(deferred > 0, "the refused replies wait for another try");
    // Now the receiver fails for good: new replies are parked for the clerks, not retried.
    sink.set_mode("550");
    dovecot.append("INBOX", &corpus[10..20]);
    let failing_now = wait_for_health(metrics, 503, "550", &mut daemon);
    assert!(
        failing_now.contains("sending: failing for"),
        "{failing_now}"
    );
    wait_until("the mail is stored", Duration::from_secs(60), || {
        dovecot.count("INBOX") == 0
    });
    let outbox = &status_json(work.path())["outbox"];
    let parked = outbox["parked"].as_u64().unwrap();
    assert!(parked > 0, "{outbox}");
    assert!(sink.received().is_empty());
    // The receiver is back. An operator's flush makes the deferred replies due, and the
    // daemon's next round (a look soon after stored mail, or the next mail's wake-up) sends
    // them: sending is well again, and the new mail is stored too.
    sink.set_mode("accept");
    datareq_cli(work.path(), &["outbox", "flush"]);
    dovecot.append("INBOX", &corpus[20..]);
    wait_until("the last mail is stored", Duration::from_secs(60), || {
        dovecot.count("INBOX") == 0
    });
    let well = wait_for_health(metrics, 200, "mailbox: read", &mut daemon);
    assert!(!well.contains("failing"), "{well}");
    assert!(failing(&status_json(work.path())).is_empty());
    wait_until(
        "the deferred and the new replies go out",
        Duration::from_secs(60),
        || {
            let outbox = &status_json(work.path())["outbox"];
            outbox["deferred"] == 0 && outbox["waiting"] == 0
        },
    );
    let outbox = status_json(work.path())["outbox"].clone();
    assert_eq!(
        outbox["parked"].as_u64().unwrap(),
        parked,
        "parked replies stay parked"
    );
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(!sink.received().is_empty());
    assert_each_stored_once(work.path(), &dovecot, &sink, corpus.len());
}

#[test]
fn postgresql_restarted_mid_run() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let Some(postgres) = support::postgres_server::PostgresServer::start() else {
        return;
    };
    let corpus = dev_corpus(600);
    dovecot.append("INBOX", &corpus[..300]);
    let (work, metrics) = workdir_with_health(&[]);
    let with_db = |mut c: Command| {
        c.env("DATAREQ_DATABASE_URL", postgres.url());
        c
    };
    let mut daemon = Daemon::start(with_db(datareq(
        work.path(),
        &dovecot,
        &sink,
        &dovecot.imap_url(),
    )));
    wait_until(
        "the first mail is processed",
        Duration::from_secs(60),
        || dovecot.count("Processed") > 0,
    );
    postgres.down();
    let down = Instant::now();
    // While the server is down, the health check says the store is unavailable and
    // `status` fails with the reason: neither claims what it cannot know.
    wait_for_health(metrics, 503, "store: unavailable", &mut daemon);
    let status = with_db(datareq_command(work.path()))
        .args(["status"])
        .output()
        .unwrap();
    assert!(!status.status.success());
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("database"),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    dovecot.append("INBOX", &corpus[300..]);
    while down.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(200));
    }
    daemon.assert_running();
    postgres.up();
    wait_until("all mail is processed", Duration::from_secs(180), || {
        dovecot.count("INBOX") == 0
    });
    wait_for_health(metrics, 200, "mailbox: read", &mut daemon);
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("part=\"store\"") || log.contains("part=store"),
        "the daemon saw the store fail: {log}"
    );
    // The checks of the SQLite case, on this database.
    assert_eq!(dovecot.count("Processed"), corpus.len());
    let refs: Vec<String> = with_db(datareq_command(work.path()))
        .args(["requests", "list", "--json"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["reference"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        })
        .unwrap();
    assert!(!refs.is_empty());
    let distinct: std::collections::BTreeSet<&String> = refs.iter().collect();
    assert_eq!(distinct.len(), refs.len(), "no request stored twice");
}

/// Mounts a tmpfs of `size` at `dir`; false (and a notice) where mounting is not allowed,
/// which fails the test under CI=true.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
        ])
        .arg(dir)
        .output();
    match out {
        Ok(out) if out.status.success() => true,
        _ => !missing("permission to mount a tmpfs (root)"),
    }
}

/// Unmounts on drop, so that a failing test leaves no mount behind.
struct Mounted<'a>(&'a Path);

impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

#[test]
fn the_disk_of_the_sqlite_file_full() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let (work, metrics) = workdir_with_health(&["database = \"sqlite://db/datareq.sqlite\""]);
    let db = work.path().join("db");
    // Room for the empty database and a few batches, not for 1,500 messages.
    if !mount_tmpfs(&db, "3m") {
        return;
    }
    let _mounted = Mounted(&db);
    let (corpus, expected): (Vec<Vec<u8>>, Vec<serde_json::Value>) =
        generated_with_expected(1500, 21).into_iter().unzip();
    let follow_ups = expected.iter().filter(|e| e["follow_up"] == true).count();
    dovecot.append("INBOX", &corpus);
    let mut daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    let full = wait_for_health(metrics, 503, "store: failing for", &mut daemon);
    assert!(full.contains("disk full"), "{full}");
    // A one-row record still fits where a batch of requests does not (SQLite reuses its
    // write-ahead log's space), so `status` can say it too.
    let said = failing(&status_json(work.path()));
    assert_eq!(said, vec![("store".into(), "disk full".into())]);
    let left = dovecot.count("INBOX");
    assert!(left > 0, "the disk filled before all mail was stored");
    // Nothing left the mailbox that is not stored: each message moved is a request, or a
    // follow-up kept with one.
    let stored = references(work.path()).len();
    assert!(stored > 0);
    assert!(
        corpus.len() - left <= stored + follow_ups,
        "{stored} stored, {left} left"
    );
    std::thread::sleep(Duration::from_secs(3));
    daemon.assert_running();
    // The operator makes room: the daemon goes on by itself.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=256m"])
        .arg(&db)
        .status()
        .unwrap();
    assert!(grown.success());
    assert_recovered(work.path(), &dovecot, metrics, daemon);
    assert_each_stored_once(work.path(), &dovecot, &sink, corpus.len());
}
