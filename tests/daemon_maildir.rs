//! `datareq run` on its embedded default: a Maildir inbox, SQLite, replies as .eml files.
//! Messages leave new/ only once stored; replies go out once, in the citizen's language, with
//! the thread headers and Auto-Submitted; an answer to a reply completes its request; a second
//! daemon on the same database is refused; SIGTERM stops the daemon cleanly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn datareq(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
    c.current_dir(dir)
        .env_remove("DATAREQ_DATABASE_URL")
        .env_remove("DATAREQ_MAILBOX_URL")
        .env_remove("DATAREQ_OUTBOX_URL")
        .arg("--config")
        .arg(root().join("config/datareq.example.toml"));
    c
}

fn run_once(dir: &Path) -> Output {
    let out = datareq(dir).args(["run", "--once"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn deliver(work: &Path, name: &str, raw: &[u8]) {
    let new = work.join("var/inbox/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(new.join(name), raw).unwrap();
}

/// The replies in the outbox, parsed: (headers text, decoded body).
fn replies(work: &Path) -> Vec<(String, String)> {
    files(&work.join("var/outbox"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let text = String::from_utf8_lossy(&raw);
            let headers = text.split("\r\n\r\n").next().unwrap().to_string();
            (headers, parsed.body_text(0).unwrap().into_owned())
        })
        .collect()
}

#[test]
fn a_round_stores_moves_and_answers_once() {
    let work = tempfile::tempdir().unwrap();
    for example in files(&root().join("examples")) {
        let name = example.file_name().unwrap().to_str().unwrap().to_string();
        deliver(work.path(), &name, &std::fs::read(&example).unwrap());
    }
    let out = run_once(work.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stored 6, not stored 0, replies sent 5"));
    assert!(files(&work.path().join("var/inbox/new")).is_empty());
    assert_eq!(files(&work.path().join("var/inbox/cur")).len(), 6);
    let sent = replies(work.path());
    assert_eq!(
        sent.len(),
        5,
        "two lists of what is missing, three receipts"
    );
    let receipts = sent
        .iter()
        .filter(|(h, _)| {
            h.contains("has been received")
                || h.contains("on vastaanotettu")
                || h.contains("har tagits emot")
        })
        .count();
    assert_eq!(receipts, 3, "complete and reviewed requests get a receipt");
    let english = sent
        .iter()
        .find(|(h, _)| h.contains("Your request needs more information"))
        .expect("the English request is answered in English");
    let finnish = sent
        .iter()
        .find(|(_, body)| body.starts_with("Hei,") && body.contains("seuraavat tiedot"))
        .expect("the Finnish request is answered in Finnish");
    assert!(english.1.contains("- phone number") && english.1.contains("- postal address"));
    assert!(
        finnish.1.contains("henkilötunnus: annettu tieto ei kelpaa"),
        "{}",
        finnish.1
    );
    for (headers, body) in &sent {
        assert!(headers.contains("Auto-Submitted: auto-replied"));
        assert!(headers.contains("In-Reply-To: <") && headers.contains("References: <"));
        assert!(headers.contains("Message-ID: <datareq.DR-"));
        assert!(headers.contains("@kela.example>"));
        let lower = body.to_lowercase();
        for word in ["vastaamo", "psykoterap", "psychotherap"] {
            assert!(!lower.contains(word), "a reply names the kind of care");
        }
    }
    // The examples' personal values never appear in a reply.
    for secret in [
        "Example",
        "090263-923E",
        "Virheellinen",
        "170491-958L",
        "044 987",
        "Testitie",
    ] {
        assert!(sent.iter().all(|(_, b)| !b.contains(secret)), "{secret}");
    }

    // Again, and again with the same messages delivered anew: no new replies.
    run_once(work.path());
    for example in files(&root().join("examples")) {
        let name = format!("again-{}", example.file_name().unwrap().to_str().unwrap());
        deliver(work.path(), &name, &std::fs::read(&example).unwrap());
    }
    let out = run_once(work.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("replies sent 0"));
    assert_eq!(replies(work.path()).len(), 5);
}

#[test]
fn an_answer_to_a_reply_completes_the_request() {
    let work = tempfile::tempdir().unwrap();
    let example = std::fs::read(root().join("examples/03-en-missing-phone-address.eml")).unwrap();
    deliver(work.path(), "request.eml", &example);
    run_once(work.path());
    let (headers, _) = replies(work.path()).pop().unwrap();
    let header = |name: &str| {
        headers
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap()
    };
    let ours = header("Message-ID:");
    let to = header("To:");
    let subject = header("Subject:");
    let answer = format!(
        "From: {to}\r\nTo: tietopyynnot@kela.example\r\nSubject: Re: {subject}\r\n\
         Message-ID: <answer-1@mailbox.example>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\n\
         Date: Wed, 02 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello,\r\n\r\nPhone: +358 40 765 4321\r\nPostal address: Fredrikinkatu 12 B 4, 00120 Helsinki\r\n\r\n\
         Best regards\r\n"
    );
    deliver(work.path(), "answer.eml", answer.as_bytes());
    let out = run_once(work.path());
    // Now complete: the citizen gets a receipt, in English, with the same reference.
    assert!(String::from_utf8_lossy(&out.stderr).contains("replies sent 1"));
    let receipt = replies(work.path())
        .into_iter()
        .find(|(h, _)| h.contains("has been received"))
        .expect("a receipt");
    let reference = subject.split(']').next().unwrap().trim_start_matches('[');
    assert!(receipt.0.contains(reference), "{}", receipt.0);
    let list = datareq(work.path())
        .args(["requests", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(
        list.lines().count(),
        1,
        "the answer joined the request: {list}"
    );
    assert!(list.contains("queued"), "{list}");
}

#[test]
fn one_daemon_per_database_and_sigterm_stops_it() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("var/inbox/new")).unwrap();
    let log = std::fs::File::create(work.path().join("daemon.log")).unwrap();
    // Where systemd would listen for sd_notify datagrams.
    let notify_path = work.path().join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify.set_nonblocking(true).unwrap();
    let mut daemon = datareq(work.path())
        .arg("run")
        .env("DATAREQ_LOG", "info")
        .env("NO_COLOR", "1")
        .env("NOTIFY_SOCKET", &notify_path)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    // Wait until it holds the database.
    let started = Instant::now();
    while !work.path().join("var/datareq.sqlite.lock").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let second = datareq(work.path())
        .args(["run", "--once"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another datareq daemon"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    // A message delivered while it runs is stored within a poll interval or two.
    let example = std::fs::read(root().join("examples/01-fi-complete-free-text.eml")).unwrap();
    deliver(work.path(), "late.eml", &example);
    let delivered = Instant::now();
    while !files(&work.path().join("var/inbox/new")).is_empty() {
        assert!(
            delivered.elapsed() < Duration::from_secs(30),
            "not picked up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let term = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // systemd heard: ready, a status with counts, watchdog pings, stopping.
    let mut heard = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n) = notify.recv(&mut buf) {
        heard.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(
        heard.first().map(String::as_str),
        Some("READY=1"),
        "{heard:?}"
    );
    assert!(heard.iter().any(|h| h == "WATCHDOG=1"), "{heard:?}");
    assert!(
        heard.iter().any(|h| h.starts_with("STATUS=stored 1,")),
        "{heard:?}"
    );
    assert_eq!(
        heard.last().map(String::as_str),
        Some("STOPPING=1"),
        "{heard:?}"
    );
    // The daily housekeeping ran at start and put the audit head in the log; the log names
    // requests by reference only.
    let log = std::fs::read_to_string(work.path().join("daemon.log")).unwrap();
    assert!(log.contains("daily housekeeping"), "{log}");
    assert!(log.contains("audit_hash"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    for secret in [
        "Meikäläinen",
        "040 123 4567",
        "posti.example",
        "Esimerkki",
        "040378",
    ] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
    // The database is free again.
    run_once(work.path());
}

#[test]
fn sighup_reloads_the_clerks_templates_and_refuses_a_bad_edit() {
    let work = tempfile::tempdir().unwrap();
    let templates = work.path().join("templates");
    std::fs::create_dir_all(templates.join("en")).unwrap();
    let edited = templates.join("en/missing_fields.txt");
    std::fs::write(
        &edited,
        "[{reference}] First wording\nPlease send:\n{fields}\n",
    )
    .unwrap();
    let example = std::fs::read_to_string(root().join("config/datareq.example.toml")).unwrap();
    let config = work.path().join("datareq.toml");
    std::fs::write(
        &config,
        example
            .replace(
                "# templates_dir = \"/etc/datareq/templates\"",
                &format!("templates_dir = \"{}\"", templates.display()),
            )
            .replace("poll_interval = 5", "poll_interval = 1"),
    )
    .unwrap();
    let log = std::fs::File::create(work.path().join("daemon.log")).unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_datareq"))
        .current_dir(work.path())
        .env_remove("DATAREQ_DATABASE_URL")
        .env_remove("DATAREQ_MAILBOX_URL")
        .env_remove("DATAREQ_OUTBOX_URL")
        .env("DATAREQ_LOG", "info")
        .arg("--config")
        .arg(&config)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let incomplete =
        std::fs::read_to_string(root().join("examples/03-en-missing-phone-address.eml")).unwrap();
    let wait_for_replies = |n: usize| {
        let start = Instant::now();
        while replies(work.path()).len() < n {
            assert!(start.elapsed() < Duration::from_secs(30), "no reply {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let hup = || {
        let status = Command::new("kill")
            .args(["-HUP", &daemon.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(300));
    };
    deliver(work.path(), "1.eml", incomplete.as_bytes());
    wait_for_replies(1);
    // Edited and reloaded: the next reply has the new wording.
    std::fs::write(
        &edited,
        "[{reference}] Second wording\nPlease send:\n{fields}\n",
    )
    .unwrap();
    hup();
    let second = incomplete
        .replace("090263-923E", "010101A123N")
        .replace(
            "<20261119183102.4417.9c2e@mailbox.example>",
            "<second@mailbox.example>",
        )
        .replace("j.example@mailbox.example", "k.example@mailbox.example");
    deliver(work.path(), "2.eml", second.as_bytes());
    wait_for_replies(2);
    // A bad edit (it names the care) is refused; the second wording stays.
    std::fs::write(&edited, "[{reference}] About your therapy\n{fields}\n").unwrap();
    hup();
    let third = second
        .replace("010101A123N", "311299-999R")
        .replace("<second@mailbox.example>", "<third@mailbox.example>")
        .replace("k.example@mailbox.example", "l.example@mailbox.example");
    deliver(work.path(), "3.eml", third.as_bytes());
    wait_for_replies(3);
    let status = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        daemon.wait().unwrap().success(),
        "SIGHUP did not end the daemon"
    );
    let subjects: Vec<String> = replies(work.path())
        .iter()
        .map(|(h, _)| {
            h.lines()
                .find(|l| l.starts_with("Subject:"))
                .unwrap()
                .to_string()
        })
        .collect();
    let wordings: Vec<&str> = subjects
        .iter()
        .map(|s| {
            if s.contains("First") {
                "first"
            } else if s.contains("Second") {
                "second"
            } else {
                "other"
            }
        })
        .collect();
    let mut sorted = wordings.clone();
    sorted.sort();
    assert_eq!(sorted, ["first", "second", "second"], "{subjects:?}");
    let log = std::fs::read_to_string(work.path().join("daemon.log")).unwrap();
    assert!(log.contains("reply templates reloaded"), "{log}");
    assert!(log.contains("not reloaded"), "{log}");
}

#[test]
fn run_once_on_a_terminal_shows_progress() {
    let work = tempfile::tempdir().unwrap();
    for example in files(&root().join("examples")) {
        let name = example.file_name().unwrap().to_str().unwrap().to_string();
        deliver(work.path(), &name, &std::fs::read(&example).unwrap());
    }
    // `script` runs the command on a pseudo-terminal, as an operator's shell would.
    let command = format!(
        "{} --config {} run --once",
        env!("CARGO_BIN_EXE_datareq"),
        root().join("config/datareq.example.toml").display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(work.path())
        .env_remove("DATAREQ_DATABASE_URL")
        .env_remove("DATAREQ_MAILBOX_URL")
        .env_remove("DATAREQ_OUTBOX_URL")
        .output()
        .expect("script (util-linux)");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("messages stored"), "a progress bar: {text}");
    assert!(text.contains("stored 6, not stored 0"), "{text}");
    // Without a terminal there is no bar (logs and pipes stay clean).
    let plain = run_once(work.path());
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("messages stored"));
}

#[test]
fn json_logs_when_configured_and_never_a_personal_value() {
    let work = tempfile::tempdir().unwrap();
    for example in files(&root().join("examples")) {
        let name = example.file_name().unwrap().to_str().unwrap().to_string();
        deliver(work.path(), &name, &std::fs::read(&example).unwrap());
    }
    let example = std::fs::read_to_string(root().join("config/datareq.example.toml")).unwrap();
    let config = work.path().join("datareq.toml");
    std::fs::write(
        &config,
        example.replace("format = \"human\"", "format = \"json\""),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_datareq"))
        .current_dir(work.path())
        .env_remove("DATAREQ_DATABASE_URL")
        .env_remove("DATAREQ_MAILBOX_URL")
        .env_remove("DATAREQ_OUTBOX_URL")
        .env("DATAREQ_LOG", "info")
        .arg("--config")
        .arg(&config)
        .args(["run", "--once"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| !l.starts_with("stored "))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let sent: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "reply sent")
        .collect();
    assert_eq!(sent.len(), 5, "{stderr}");
    assert!(sent.iter().all(|e| e["fields"]["reference"]
        .as_str()
        .is_some_and(|r| r.starts_with("DR-"))));
    for secret in [
        "Meikäläinen",
        "090263-923E",
        "040378",
        "posti.example",
        "Example",
    ] {
        assert!(!stderr.contains(secret), "the log holds {secret}");
    }
}
