//! `datareq run` against a real Dovecot (IMAP, STARTTLS and implicit TLS) and a real SMTP
//! receiver on loopback: APPENDed messages become requests and move to the processed folder
//! only after they are stored; replies arrive over SMTP with the thread headers and in the
//! citizen's language; IDLE wakes the daemon; a Dovecot restart mid-run loses nothing; a
//! UIDVALIDITY change duplicates nothing; SMTP refusals are retried or parked.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::daemon::*;
use support::dovecot::Dovecot;
use support::smtp::SmtpSink;

#[test]
fn appended_mail_is_stored_moved_and_answered_over_smtp() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    dovecot.append("INBOX", &examples());
    let work = workdir(&[]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains("stored 6, not stored 0, replies sent 5"),
        "{}",
        stderr(&out)
    );
    assert_eq!(dovecot.count("INBOX"), 0, "stored mail left the inbox");
    assert_eq!(
        dovecot.count("Processed"),
        6,
        "and is in the processed folder"
    );
    let received = sink.received();
    // Two requests lack something; two are complete and one waits for a clerk (receipts);
    // the out-of-office notice gets nothing.
    let (missing, receipts): (Vec<_>, Vec<_>) = received.iter().partition(|(raw, _)| {
        let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
        let subject = parsed.subject().unwrap_or_default();
        subject.contains("needs more information") || subject.contains("tarvitsee lis")
    });
    assert_eq!(missing.len(), 2, "the two incomplete requests are answered");
    assert_eq!(receipts.len(), 3, "the others get a receipt");
    for (raw, _) in &receipts {
        let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
        let body = parsed.body_text(0).unwrap().to_lowercase();
        assert!(
            body.contains("dr-20"),
            "a receipt names the reference: {body}"
        );
        for word in ["vastaamo", "terap", "therap", "psyk"] {
            assert!(
                !body.contains(word),
                "a receipt never names the care: {body}"
            );
        }
    }
    for (raw, envelope) in &received {
        let text = String::from_utf8_lossy(raw);
        assert_eq!(header(&text, "Auto-Submitted"), Some("auto-replied"));
        assert!(header(&text, "In-Reply-To").is_some_and(|v| v.starts_with('<')));
        assert!(header(&text, "Subject").is_some_and(|s| s.contains("[DR-")));
        assert!(
            header(&text, "Message-ID").is_some_and(|m| m.ends_with("@kela.example>")),
            "{text}"
        );
        assert_eq!(
            envelope["tls"], true,
            "STARTTLS was used on loopback when offered"
        );
        assert_eq!(envelope["to"].as_array().unwrap().len(), 1);
    }
    let subjects: Vec<String> = missing
        .iter()
        .map(|(raw, _)| {
            let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
            parsed.subject().unwrap().to_string()
        })
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("needs more information")),
        "the English request is answered in English: {subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Pyyntö") || s.contains("pyyntö")),
        "the Finnish request in Finnish: {subjects:?}"
    );
    assert_eq!(references(work.path()).len(), 6, "every message is kept");

    // Nothing waits now; a second run stores and sends nothing.
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&again).contains("stored 0, not stored 0, replies sent 0"));
    assert_eq!(sink.received().len(), 5);
}

#[test]
fn implicit_tls_and_a_message_over_the_size_limit() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    // 200 KiB of body under a 64 KiB limit: only its header block is fetched.
    let big = format!(
        "From: Iso Viesti <iso@example.fi>\r\nTo: tietopyynnot@kela.example\r\n\
         Subject: Tietopyyntö\r\nMessage-ID: <big-1@example.fi>\r\n\r\n{}\r\n",
        "liite ".repeat(35_000)
    );
    dovecot.append("INBOX", &[big.into_bytes(), examples()[0].clone()]);
    let work = workdir(&["max_message_size = \"64 KB\""]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imaps_url());
    assert!(
        stderr(&out).contains("stored 2, not stored 0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(dovecot.count("INBOX"), 0);
    let list = requests(work.path());
    let reviewed = list.iter().filter(|r| r["state"] == "needs_review").count();
    assert_eq!(reviewed, 1, "the large message waits for a clerk: {list:?}");
}

#[test]
fn idle_wakes_the_daemon_for_new_mail() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    // An hour between polls: only IDLE can make the daemon see the message soon.
    let work = workdir(&["poll_interval = 3600"]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    // The daemon has connected and made the processed folder: it is idling now.
    wait_until("the daemon connects", Duration::from_secs(20), || {
        dovecot
            .doveadm(&["mailbox", "list", "-u", support::dovecot::USER])
            .contains("Processed")
    });
    std::thread::sleep(Duration::from_millis(500));
    let incomplete = examples()[2].clone();
    let appended = Instant::now();
    dovecot.append("INBOX", &[incomplete]);
    wait_until(
        "the message is stored and moved",
        Duration::from_secs(5),
        || dovecot.count("Processed") == 1,
    );
    let stored = appended.elapsed();
    let replies = sink.wait_for(1, Duration::from_secs(5));
    let answered = appended.elapsed();
    assert_eq!(replies.len(), 1);
    eprintln!("IDLE: stored after {stored:?}, answered after {answered:?}");
    assert!(
        stored < Duration::from_secs(3),
        "IDLE, not the hourly poll, woke the daemon: {stored:?}"
    );
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
}

#[test]
fn a_dovecot_crash_mid_run_loses_and_duplicates_nothing() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    // Two fetch steps: Dovecot dies after the first, while its replies are being sent.
    let corpus = dev_corpus(300);
    dovecot.append("INBOX", &corpus);
    let work = workdir(&[]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    wait_until(
        "the daemon starts moving mail",
        Duration::from_secs(60),
        || dovecot.count("Processed") > 0,
    );
    dovecot.kill();
    std::thread::sleep(Duration::from_millis(1500));
    dovecot.run();
    wait_until("all mail is processed", Duration::from_secs(300), || {
        dovecot.count("INBOX") == 0
    });
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    // Depending on what the daemon was doing, the outage ends the round (and it reconnects)
    // or a fetch (and the step's messages are fetched again on a new connection).
    assert!(
        log.contains("trying again") || log.contains("fetching them one by one"),
        "the daemon saw the outage: {log}"
    );
    assert_eq!(dovecot.count("Processed"), corpus.len());
    let refs = references(work.path());
    let distinct: std::collections::BTreeSet<&String> = refs.iter().collect();
    assert_eq!(distinct.len(), refs.len());
    let requests = refs.len();
    // Every message is one request, or a follow-up of one: none is stored twice.
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&again).contains("stored 0"));
    assert_eq!(references(work.path()).len(), requests);
    assert_no_message_answered_twice(&sink);
}

#[test]
fn smtp_refusals_are_retried_or_parked() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    dovecot.append("INBOX", &examples());
    let work = workdir(&["send_retry_time = 1"]);
    sink.set_mode("451");
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains("stored 6, not stored 0, replies sent 0"),
        "{}",
        stderr(&out)
    );
    assert!(sink.received().is_empty());
    // Two lists of what is missing and three receipts wait. Accepted again: the deferred replies wait for their pause, then go out once.
    sink.set_mode("accept");
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains("replies sent 0"),
        "still pausing: {}",
        stderr(&out)
    );
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert_eq!(list.matches("deferred").count(), 5, "{list}");
    assert!(list.contains("451"), "the code is kept: {list}");
    // An operator's flush (as Postfix's postqueue -f) makes them due now.
    datareq_cli(work.path(), &["outbox", "flush"]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&out).contains("replies sent 5"), "{}", stderr(&out));
    assert_eq!(sink.received().len(), 5);
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert!(!list.contains("deferred"), "{list}");
}

#[test]
fn a_permanent_refusal_parks_the_reply() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    dovecot.append("INBOX", &[examples()[2].clone()]);
    let work = workdir(&[]);
    sink.set_mode("550");
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&out).contains("replies sent 0"), "{}", stderr(&out));
    assert!(stderr(&out).contains("parked"), "{}", stderr(&out));
    sink.set_mode("accept");
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains("replies sent 0"),
        "parked replies are not retried"
    );
    assert!(sink.received().is_empty());
    assert!(!stderr(&out).contains("@example"), "no address in the log");
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert!(list.contains("parked") && list.contains("550"), "{list}");
}

/// `raw` with header `name` set to `value` (each line that starts with it replaced).
fn with_header(raw: &[u8], name: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut out = String::new();
    let (mut in_header, mut replacing) = (true, false);
    for line in text.split_inclusive('\n') {
        if in_header && line.trim_end().is_empty() {
            in_header = false;
        }
        // A replaced field's folded lines go with it.
        if replacing && (line.starts_with(' ') || line.starts_with('\t')) {
            continue;
        }
        replacing = in_header && line.to_ascii_lowercase().starts_with(&prefix);
        if replacing {
            // The line keeps its own ending: a CR in a file of bare LFs would be part of
            // the value.
            let ending = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
            out.push_str(&format!("{name}: {value}{ending}"));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// `raw` with its Message-ID replaced (the same text sent again is a new message).
fn with_message_id(raw: &[u8], id: &str) -> Vec<u8> {
    with_header(raw, "Message-ID", &format!("<{id}>"))
}

/// `raw` with its From replaced.
fn with_from(raw: &[u8], from: &str) -> Vec<u8> {
    with_header(raw, "From", from)
}

const BOUNCE: &str = "From: Mail Delivery System <MAILER-DAEMON@mx.mailbox.example>\r\n\
To: tietopyynnot@kela.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <bounce-1@mx.mailbox.example>\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
I'm sorry to have to inform you that your message could not be delivered.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.mailbox.example\r\n\
\r\n\
Final-Recipient: rfc822; j.example@mailbox.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
--b1--\r\n";

#[test]
fn no_reply_to_responders_bounces_repeats_ourselves_or_floods() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let all = examples();
    let (incomplete, out_of_office) = (all[2].clone(), all[5].clone());
    let mut messages = vec![
        out_of_office,
        BOUNCE.as_bytes().to_vec(),
        incomplete.clone(),
        // The same citizen sends the same text again, before or after our reply.
        with_message_id(&incomplete, "again-1@mailbox.example"),
        // Mail that claims to come from our own address.
        with_from(
            &with_message_id(&incomplete, "own-1@kela.example"),
            "Kela <tietopyynnot@kela.example>",
        ),
    ];
    // One address sending many different incomplete requests: answered up to the daily limit.
    for n in 0..4 {
        let raw = with_message_id(&incomplete, &format!("flood-{n}@flood.example"));
        let raw = String::from_utf8_lossy(&with_from(&raw, "Flood <f@flood.example>")).replace(
            "090263-923E",
            ["010101A123N", "311299-999R", "121212A899H", "020202A202X"][n],
        );
        messages.push(raw.into_bytes());
    }
    dovecot.append("INBOX", &messages);
    let work = workdir(&["replies_per_address_per_day = 2"]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains(&format!("stored {}", messages.len())),
        "{}",
        stderr(&out)
    );
    let received = sink.received();
    let recipients: Vec<String> = received
        .iter()
        .map(|(_, envelope)| envelope["to"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        recipients
            .iter()
            .filter(|r| *r == "j.example@mailbox.example")
            .count(),
        1,
        "the citizen is answered once, not for the repeat: {recipients:?}"
    );
    assert!(
        !recipients.iter().any(|r| r.contains("kela.example")),
        "{recipients:?}"
    );
    assert!(
        !recipients.iter().any(|r| r.contains("MAILER-DAEMON")),
        "{recipients:?}"
    );
    assert_eq!(
        recipients
            .iter()
            .filter(|r| *r == "f@flood.example")
            .count(),
        2,
        "at most the daily limit to one address: {recipients:?}"
    );
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert_eq!(list.matches("rate_limited").count(), 2, "{list}");
    // A second run sends nothing more.
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&again).contains("replies sent 0"),
        "{}",
        stderr(&again)
    );
}

/// The recipients of the replies the receiver got.
fn recipients(sink: &SmtpSink) -> Vec<String> {
    sink.received()
        .iter()
        .map(|(_, envelope)| envelope["to"][0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn five_hundred_requests_from_one_sender_get_the_daily_number_of_replies() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let messages: Vec<Vec<u8>> = generated(500, 11)
        .iter()
        .map(|raw| with_from(raw, "Same Sender <same@many.example>"))
        .collect();
    dovecot.append("INBOX", &messages);
    let work = workdir(&["replies_per_address_per_day = 5"]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&out).contains("stored 500"), "{}", stderr(&out));
    let to = recipients(&sink);
    assert_eq!(to.len(), 5, "the daily number, and no more: {to:?}");
    assert!(to.iter().all(|r| r == "same@many.example"), "{to:?}");
    // Each request is stored and kept; the withheld replies wait, parked, for the clerks.
    assert_eq!(references(work.path()).len(), 500);
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    let withheld = list.matches("rate_limited").count();
    assert!(withheld >= 400, "{withheld} withheld");
    let status: serde_json::Value =
        serde_json::from_str(&datareq_cli(work.path(), &["status", "--json"])).unwrap();
    assert_eq!(
        status["outbox"]["parked"].as_u64().unwrap() as usize,
        withheld
    );
    assert_eq!(status["outbox"]["waiting"], 0);
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&again).contains("replies sent 0"),
        "{}",
        stderr(&again)
    );
    assert_eq!(sink.received().len(), 5);
}

#[test]
fn a_spoofed_flood_of_incomplete_requests_meets_the_hourly_limit() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    // Incomplete requests, each forged to come from another address: every one would earn a
    // list of what is missing.
    let messages: Vec<Vec<u8>> = generated_with_expected(1800, 12)
        .into_iter()
        .filter(|(_, expected)| expected["status"] == "incomplete" && expected["follow_up"] != true)
        .take(500)
        .enumerate()
        .map(|(n, (raw, _))| with_from(&raw, &format!("<victim{n}@spoofed.example>")))
        .collect();
    assert_eq!(
        messages.len(),
        500,
        "the generator gave 500 incomplete requests"
    );
    dovecot.append("INBOX", &messages);
    let work = workdir(&["replies_per_hour = 100"]);
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(stderr(&out).contains("stored 500"), "{}", stderr(&out));
    let to = recipients(&sink);
    assert_eq!(to.len(), 100, "the hourly limit holds the rest back");
    let distinct: std::collections::BTreeSet<&String> = to.iter().collect();
    assert_eq!(distinct.len(), 100, "one reply per forged address");
    // The rest wait for a later hour: none is lost, none is sent now.
    let status: serde_json::Value =
        serde_json::from_str(&datareq_cli(work.path(), &["status", "--json"])).unwrap();
    let outbox = &status["outbox"];
    let later = outbox["waiting"].as_u64().unwrap() + outbox["deferred"].as_u64().unwrap();
    assert_eq!(later, 400, "{outbox}");
    assert_eq!(outbox["parked"], 0, "{outbox}");
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert_eq!(list.matches("hourly_limit").count(), 400);
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&again).contains("replies sent 0"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_uidvalidity_change_is_noticed_and_duplicates_nothing() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let all = examples();
    dovecot.append("INBOX", &all[..3]);
    let work = workdir(&[]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    wait_until(
        "the first messages are processed",
        Duration::from_secs(30),
        || dovecot.count("Processed") == 3,
    );
    let before = dovecot.uid_validity("INBOX");
    // The server renumbers the mailbox while the daemon is connected; then a message it has
    // already stored reappears (as after a crash between commit and move), and a new one comes.
    dovecot.doveadm(&[
        "mailbox",
        "update",
        "-u",
        support::dovecot::USER,
        "--uid-validity",
        &(before + 1000).to_string(),
        "INBOX",
    ]);
    assert_ne!(dovecot.uid_validity("INBOX"), before);
    // The third is the English request that was answered for what it lacks.
    dovecot.copy("Processed", 3, "INBOX");
    dovecot.append("INBOX", &all[3..4]);
    // Within one IDLE renewal (a minute) even if the server's notice of the change is lost
    // in the renumbering; how fast IDLE is, is the IDLE test's concern.
    let deadline = Instant::now() + Duration::from_secs(150);
    while !(dovecot.count("INBOX") == 0 && dovecot.count("Processed") == 5) {
        if Instant::now() > deadline {
            let (_, log) = daemon.stop();
            panic!("the inbox is not empty again: {log}\n{}", dovecot.log());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert_eq!(
        references(work.path()).len(),
        4,
        "the reappearing message is no new request"
    );
    assert_eq!(
        sink.received().len(),
        4,
        "two receipts and two lists of what is missing, the English request's only once"
    );
    assert!(
        log.contains("UIDVALIDITY changed"),
        "the daemon noticed: {log}"
    );
}

#[test]
fn sigterm_mid_run_exits_cleanly_and_a_restart_finishes_without_loss_or_repeat() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    // Five fetch steps of 1,024: SIGTERM after the first has moved, and at most the step in
    // flight finishes.
    let messages = generated(5000, 11);
    dovecot.append("INBOX", &messages);
    let work = workdir(&[]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    wait_until("the daemon is under way", Duration::from_secs(120), || {
        dovecot.count("Processed") > 0
    });
    let signalled = Instant::now();
    let (status, log) = daemon.stop();
    let stopping = signalled.elapsed();
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}\n{log}");
    assert!(
        stopping < Duration::from_secs(30),
        "stopped within the deadline: {stopping:?}"
    );
    let left = dovecot.count("INBOX");
    eprintln!("SIGTERM: stopped in {stopping:?} with {left} of 5000 messages left");
    assert!(
        left > 0,
        "stopped before the end (else this test shows nothing)"
    );
    assert_eq!(dovecot.count("Processed") + left, 5000);

    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains(&format!("stored {left}, not stored 0")),
        "{}",
        stderr(&out)
    );
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("Processed"), 5000);
    assert_eq!(
        datareq_cli(work.path(), &["outbox", "list"]),
        "",
        "every reply went out"
    );
    let replies = assert_no_message_answered_twice(&sink);
    assert!(replies > 100, "the requests were answered: {replies}");
}

/// `raw` with its Authentication-Results headers replaced by `results`.
fn with_auth_results(raw: &[u8], results: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\n\n")
        .or_else(|| text.split_once("\r\n\r\n"))
        .unwrap();
    let mut out = format!("Authentication-Results: {results}\r\n");
    let mut skipping = false;
    for line in head.split('\n') {
        if line
            .to_ascii_lowercase()
            .starts_with("authentication-results:")
        {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with(' ') || line.starts_with('\t')) {
            continue;
        }
        skipping = false;
        out.push_str(line.trim_end_matches('\r'));
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

#[test]
fn an_unauthenticated_sender_goes_to_a_clerk_unanswered() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let incomplete = examples()[2].clone();
    let failed = with_auth_results(
        &with_message_id(&incomplete, "forged-1@mailbox.example"),
        "mx1.kela.example; dkim=none; spf=fail smtp.mailfrom=mailbox.example; dmarc=fail header.from=mailbox.example",
    );
    // The same verdict from a server we do not trust is the sender's own claim: ignored.
    let other = String::from_utf8_lossy(&incomplete).replace("090263-923E", "010101A123N");
    let claimed = with_auth_results(
        &with_from(
            &with_message_id(other.as_bytes(), "claimed-1@other.example"),
            "Other <o@other.example>",
        ),
        "mx.other.example; dmarc=fail",
    );
    dovecot.append("INBOX", &[failed, claimed]);
    let work = workdir(&["# authserv_id = \"mx1.kela.example\""]);
    let config = work.path().join("datareq.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "# authserv_id = \"mx1.kela.example\"",
        "authserv_id = \"mx1.kela.example\"",
    );
    std::fs::write(&config, text).unwrap();
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&out).contains("stored 2, not stored 0, replies sent 1"),
        "{}",
        stderr(&out)
    );
    let received = sink.received();
    assert_eq!(received[0].1["to"][0], "o@other.example");
    let states: Vec<String> = requests(work.path())
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["needs_review", "incomplete"]);
}

/// A server that offers neither MOVE nor IDLE (nor UIDPLUS's UID EXPUNGE, so EXPUNGE), and
/// an SMTP receiver.
fn plain_imap_server() -> Option<(Dovecot, SmtpSink)> {
    let dovecot = Dovecot::start_with("imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID")?;
    let sink = SmtpSink::start(&dovecot.cert(), &dovecot.dir.path().join("key.pem"))?;
    Some((dovecot, sink))
}

#[test]
fn without_move_or_idle_it_copies_deletes_and_polls_and_old_processed_mail_goes() {
    let Some((dovecot, sink)) = plain_imap_server() else {
        return;
    };
    // Mail stored long ago and yesterday waits in the processed folder.
    let all = examples();
    dovecot.append_dated("Processed", &all[0], "01-Jan-2020 10:00:00 +0000");
    let yesterday = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 86_400;
        let (y, m, d) = datareq::request::calendar::civil_date(now);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!("{d:02}-{}-{y} 10:00:00 +0000", MONTHS[m as usize - 1])
    };
    dovecot.append_dated("Processed", &all[1], &yesterday);
    let work = workdir(&["poll_interval = 1"]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    // The daily housekeeping at start removes the old one only.
    wait_until(
        "old processed mail is deleted",
        Duration::from_secs(30),
        || dovecot.count("Processed") == 1,
    );
    dovecot.append("INBOX", &all[2..3]);
    wait_until(
        "new mail is polled, copied and deleted",
        Duration::from_secs(30),
        || dovecot.count("INBOX") == 0 && dovecot.count("Processed") == 2,
    );
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("old mail deleted from the processed folder purged=1"),
        "{log}"
    );
    assert_eq!(sink.received().len(), 1);
}

#[test]
fn mail_that_follows_stored_mail_closely_is_taken_without_waiting_for_the_poll() {
    // No IDLE and an hour's poll: only the looks that follow a round which stored mail can
    // take the second message in time.
    let Some((dovecot, sink)) = plain_imap_server() else {
        return;
    };
    let all = examples();
    dovecot.append("INBOX", &all[2..3]);
    let work = workdir(&["poll_interval = 3600"]);
    let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
    wait_until(
        "the first message is stored",
        Duration::from_secs(30),
        || dovecot.count("INBOX") == 0,
    );
    dovecot.append("INBOX", &all[3..4]);
    wait_until(
        "the second message is stored within the burst, not after the poll",
        Duration::from_secs(30),
        || dovecot.count("INBOX") == 0 && dovecot.count("Processed") == 2,
    );
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
}

#[test]
fn smtps_with_auth_and_passwords_from_files() {
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let key = dovecot.dir.path().join("key.pem");
    let Some(sink) = SmtpSink::start_with(&dovecot.cert(), &key, "tls", Some("relay:smtp-secret"))
    else {
        return;
    };
    dovecot.append("INBOX", &examples()[2..3]);
    let secrets = tempfile::tempdir().unwrap();
    let imap_password = secrets.path().join("imap-password");
    let smtp_password = secrets.path().join("smtp-password");
    std::fs::write(&imap_password, format!("{}\n", support::dovecot::PASSWORD)).unwrap();
    // A wrong SMTP password first: the reply waits (a login problem is no reason to park it).
    std::fs::write(&smtp_password, "wrong\n").unwrap();
    let work = workdir(&[]);
    let config = work.path().join("datareq.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(
            "# imap_password_file = \"/run/credentials/datareq.service/imap-password\"",
            &format!("imap_password_file = \"{}\"", imap_password.display()),
        )
        .replace(
            "# smtp_password_file = \"/run/credentials/datareq.service/smtp-password\"",
            &format!("smtp_password_file = \"{}\"", smtp_password.display()),
        )
        .replace("send_retry_time = 60", "send_retry_time = 1");
    std::fs::write(&config, text).unwrap();
    let run = || {
        let out = datareq(work.path(), &dovecot, &sink, "unused")
            .env(
                "DATAREQ_MAILBOX_URL",
                format!(
                    "imaps://{}@localhost:{}/INBOX",
                    support::dovecot::USER,
                    dovecot.imaps_port
                ),
            )
            .env(
                "DATAREQ_OUTBOX_URL",
                format!("smtps://relay@localhost:{}", sink.port),
            )
            .args(["run", "--once"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let first = run();
    assert!(
        first.contains("stored 1, not stored 0, replies sent 0"),
        "{first}"
    );
    assert!(
        !first.contains("smtp-secret") && !first.contains("wrong"),
        "{first}"
    );
    let list = datareq_cli(work.path(), &["outbox", "list"]);
    assert!(list.contains("deferred"), "{list}");
    std::fs::write(&smtp_password, "smtp-secret\n").unwrap();
    datareq_cli(work.path(), &["outbox", "flush"]);
    let second = run();
    assert!(second.contains("replies sent 1"), "{second}");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].1["tls"], true, "implicit TLS");
    assert_eq!(received[0].1["authenticated"], true, "AUTH");
}

#[test]
fn a_message_the_server_cannot_deliver_holds_up_no_other() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    dovecot.append("INBOX", &examples());
    // Dovecot keeps each message as one file; one it cannot read is a message the server
    // cannot deliver (a damaged file, a bad disk block).
    let maildir = dovecot.dir.path().join("mail/kela/Maildir");
    let mut files: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(maildir.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&files[2], std::fs::Permissions::from_mode(0o000)).unwrap();
    let work = workdir(&[]);
    let out = datareq(work.path(), &dovecot, &sink, &dovecot.imap_url())
        .args(["run", "--once"])
        .output()
        .unwrap();
    let log = format!("{}\n{}", stderr(&out), dovecot.log());
    assert_eq!(out.status.code(), Some(75), "{log}");
    assert!(
        stderr(&out).contains("stored 5, not stored 1, replies sent"),
        "{log}"
    );
    assert_eq!(dovecot.count("INBOX"), 1, "the unreadable message stays");
    assert_eq!(dovecot.count("Processed"), 5, "the others went on");
    assert!(
        stderr(&out).contains("cannot hand over a message"),
        "and the operator is told: {log}"
    );

    // Once the server can read it again, the next run stores it; nothing was lost.
    // (Dovecot may have renamed the file meanwhile: it is the one nobody can read.)
    let unreadable: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(maildir.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::metadata(p).unwrap().permissions().mode() & 0o777 == 0)
        .collect();
    assert_eq!(unreadable.len(), 1);
    std::fs::set_permissions(&unreadable[0], std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert!(
        stderr(&again).contains("stored 1, not stored 0"),
        "{}",
        stderr(&again)
    );
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(references(work.path()).len(), 6);
    assert_eq!(
        assert_no_message_answered_twice(&sink),
        5,
        "as without the fault"
    );
}

/// An out-of-office answer from `from` to a message datareq sent (`ours`), as a second
/// auto-responder writes it: quoting the subject, answering the Message-ID, and with RFC 3834's
/// headers or (as many do) without them.
fn out_of_office(ours: &[u8], from: &str, n: usize, rfc3834: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(ours);
    let message_id = header(&text, "Message-ID").unwrap().trim().to_string();
    let subject = header(&text, "Subject").unwrap_or("").trim().to_string();
    let marks = if rfc3834 {
        "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\nPrecedence: auto_reply\r\n"
    } else {
        ""
    };
    format!(
        "From: {from}\r\nTo: tietopyynnot@kela.example\r\nSubject: Out of office: {subject}\r\n\
         Message-ID: <ooo-{n}@responder.example>\r\nIn-Reply-To: {message_id}\r\n\
         References: {message_id}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0200\r\n{marks}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         I am out of the office until 14 December and will read your message then.\r\n"
    )
    .into_bytes()
}

#[test]
fn a_second_auto_responder_exchanges_at_most_one_message() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    let incomplete = examples()[2].clone();
    let responders = [
        ("ooo-marked@responder.example", true, "090263-923E"),
        ("ooo-bare@responder.example", false, "010101A123N"),
    ];
    for (i, (address, _, code)) in responders.iter().enumerate() {
        let raw = with_message_id(&incomplete, &format!("start-{i}@responder.example"));
        let raw = String::from_utf8_lossy(&with_from(&raw, address)).replace("090263-923E", code);
        dovecot.append("INBOX", &[raw.into_bytes()]);
    }
    let work = workdir(&[]);
    let mut answered = 0;
    for round in 0..4 {
        run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
        // Each responder answers everything datareq sent it since the last round.
        let received = sink.received();
        let mut answers = Vec::new();
        for (n, (raw, envelope)) in received.iter().enumerate().skip(answered) {
            let to = envelope["to"][0].as_str().unwrap();
            if let Some((address, marked, _)) = responders.iter().find(|(a, _, _)| *a == to) {
                answers.push(out_of_office(raw, address, round * 100 + n, *marked));
            }
        }
        answered = received.len();
        if answers.is_empty() {
            break;
        }
        dovecot.append("INBOX", &answers);
    }
    let received = sink.received();
    for (address, marked, _) in responders {
        let sent = received
            .iter()
            .filter(|(_, envelope)| envelope["to"][0] == address)
            .count();
        assert_eq!(
            sent, 1,
            "one message to the responder (RFC 3834 headers: {marked}), not a loop"
        );
    }
    assert_eq!(dovecot.count("INBOX"), 0, "every answer was stored");
    // The answers are kept with their requests, which still wait for the citizen.
    let states: Vec<String> = requests(work.path())
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        states.len(),
        2,
        "the answers are follow-ups, not new requests: {states:?}"
    );
}

/// A small deterministic random sequence (xorshift), so a failing run can be repeated.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, from: u64, to: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        from + self.0 % (to - from)
    }
}

#[test]
fn sigkill_at_twenty_moments_loses_nothing_and_repeats_at_most_a_bounded_few_replies() {
    let Some((dovecot, sink)) = servers() else {
        return;
    };
    const MESSAGES: usize = 5000;
    const KILLS: usize = 20;
    // Each SMTP connection can have one reply accepted and not yet recorded when the process
    // dies: the most a kill can repeat.
    const CONNECTIONS: usize = 4;
    let messages = generated(MESSAGES, 23);
    dovecot.append("INBOX", &messages);
    let work = workdir(&[
        &format!("smtp_connections = {CONNECTIONS}"),
        // The burst is the point; the hourly limit must not hold replies back.
        "replies_per_hour = 1000000",
    ]);
    let mut moments = Moments(0x5eed_2026);
    let mut kills = 0;
    while kills < KILLS && dovecot.count("INBOX") > 0 {
        let daemon = Daemon::start(datareq(work.path(), &dovecot, &sink, &dovecot.imap_url()));
        std::thread::sleep(Duration::from_millis(moments.next_millis(300, 800)));
        drop(daemon); // SIGKILL, then reaped
        kills += 1;
        // Nothing left the inbox before its request was committed.
        let processed = dovecot.count("Processed");
        let stored = requests(work.path()).len();
        eprintln!("kill {kills}: {stored} stored, {processed} moved");
        assert!(
            processed <= stored,
            "kill {kills}: {processed} messages moved, only {stored} requests stored"
        );
    }
    eprintln!(
        "SIGKILL: {kills} kills, {} of {MESSAGES} messages left after them",
        dovecot.count("INBOX")
    );
    assert!(kills >= KILLS * 3 / 4, "most kills fell inside the run");
    let out = run_once(work.path(), &dovecot, &sink, &dovecot.imap_url());
    assert_eq!(dovecot.count("INBOX"), 0, "{}", stderr(&out));
    assert_eq!(dovecot.count("Processed"), MESSAGES);
    // Every message became exactly one request.
    let stored = requests(work.path());
    assert_eq!(stored.len(), MESSAGES);
    assert_eq!(
        datareq_cli(work.path(), &["outbox", "list"]),
        "",
        "every reply went out"
    );
    // Every incomplete request got its reply (our Message-ID names the request).
    let replies = sink.received();
    let mut per_reply: std::collections::BTreeMap<String, usize> = Default::default();
    for (raw, _) in &replies {
        let id = header(&String::from_utf8_lossy(raw), "Message-ID")
            .unwrap()
            .to_string();
        *per_reply.entry(id).or_default() += 1;
    }
    for request in stored.iter().filter(|r| r["state"] == "incomplete") {
        let reference = request["reference"].as_str().unwrap();
        assert!(
            per_reply
                .keys()
                .any(|id| id.contains(&format!(".{reference}."))),
            "{reference} is incomplete and got no reply"
        );
    }
    // A reply is repeated only when a kill fell between the server's acceptance and the
    // record: at most one per connection per kill.
    let repeated: usize = per_reply.values().map(|n| n - 1).sum();
    eprintln!(
        "SIGKILL: {} replies, {} distinct, {repeated} repeated (bound {})",
        replies.len(),
        per_reply.len(),
        kills * CONNECTIONS
    );
    assert!(repeated <= kills * CONNECTIONS);
}
