//! Hand-off to the City of Helsinki, as City staff do it: the dev corpus is ingested, the
//! queue picked up into encrypted bundles, and the bundles opened with GnuPG (Debian's `gpg`,
//! the tool City staff have) using the organisation's secret key. Every complete request
//! arrives exactly once, nothing else does, the index holds no personal data, and nobody
//! without the key reads a bundle. Two pick-ups racing on PostgreSQL never share a request.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mail_parser::MimeHeaders;
use support::cli::ok;
use support::db::TestDb;
use support::gpg::{city_key, gpg};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Vec<String> {
    support::cli::dev_corpus_files()
}

/// A working directory whose configuration gives Helsinki `cert`.
fn workdir(cert: &Path) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(root().join("config/datareq.example.toml"))
        .unwrap()
        .replacen(
            "certificates = []",
            &format!("certificates = [\"{}\"]", cert.display()),
            1,
        );
    std::fs::write(work.path().join("datareq.toml"), config).unwrap();
    work
}

fn datareq(work: &Path, db: Option<&str>, user: &str, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
    c.current_dir(work).env("USER", user);
    match db {
        Some(url) => c.env("DATAREQ_DATABASE_URL", url),
        None => c.env_remove("DATAREQ_DATABASE_URL"),
    };
    c.arg("--config")
        .arg(work.join("datareq.toml"))
        .args(args)
        .output()
        .unwrap()
}

/// `datareq disclosure pickup --org ORG --out OUT [--limit N]` as `user`.
fn pickup(
    work: &Path,
    db: Option<&str>,
    user: &str,
    org: &str,
    out: &Path,
    limit: Option<u32>,
) -> Output {
    let limit = limit.map(|n| n.to_string());
    let mut args = vec![
        "disclosure",
        "pickup",
        "--org",
        org,
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(limit) = &limit {
        args.extend(["--limit", limit.as_str()]);
    }
    datareq(work, db, user, &args)
}

/// The stored requests by reference: state.
fn states(work: &Path, db: Option<&str>) -> BTreeMap<String, String> {
    ok(datareq(work, db, "tester", &["requests", "list", "--json"]))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["reference"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn in_state(states: &BTreeMap<String, String>, state: &str) -> BTreeSet<String> {
    states
        .iter()
        .filter(|(_, s)| s.as_str() == state)
        .map(|(r, _)| r.clone())
        .collect()
}

fn bundles(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".pgp").map(str::to_string)
        })
        .collect()
}

fn decrypt(home: &Path, bundle: &Path) -> Output {
    gpg(home).arg("--decrypt").arg(bundle).output().unwrap()
}

#[test]
fn the_queue_reaches_helsinki_once_encrypted_and_only_complete_requests() {
    let key = city_key();
    let work = workdir(&key.cert);
    let files = corpus();
    let mut args = vec!["ingest", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    ok(datareq(work.path(), None, "tester", &args));
    let before = states(work.path(), None);
    let queued = in_state(&before, "queued");
    assert!(
        queued.len() >= 50,
        "the dev corpus has complete requests: {}",
        queued.len()
    );

    // The stored content of each queued request, to compare with what Helsinki receives.
    let stored: BTreeMap<String, serde_json::Value> = queued
        .iter()
        .map(|r| {
            let shown = ok(datareq(
                work.path(),
                None,
                "tester",
                &["requests", "show", r, "--json"],
            ));
            (r.clone(), serde_json::from_str(&shown).unwrap())
        })
        .collect();

    // A file in the way of one bundle: its batch (the first 50) fails and nothing is
    // claimed.
    let out = work.path().join("pickup");
    std::fs::create_dir(&out).unwrap();
    // A pick-up of everything with someone else's file where the n-th bundle goes.
    let blocked_at = |n: usize| {
        let blocked = queued.iter().nth(n).unwrap().clone();
        std::fs::write(out.join(format!("{blocked}.pgp")), b"someone else's file").unwrap();
        let failed = pickup(
            work.path(),
            None,
            "helsinki-staff",
            "helsinki",
            &out,
            Some(10000),
        );
        assert!(!failed.status.success());
        (failed, blocked)
    };
    let (_, blocked) = blocked_at(3);
    assert_eq!(
        states(work.path(), None),
        before,
        "every request is still queued"
    );
    assert_eq!(
        bundles(&out),
        BTreeSet::from([blocked.clone()]),
        "no bundle left behind"
    );
    assert!(!out.join("index.csv").exists());
    std::fs::remove_file(out.join(format!("{blocked}.pgp"))).unwrap();

    // In the second batch: the first batch stays picked up (and was listed), the second
    // stays queued.
    let (failed, blocked) = blocked_at(59);
    assert!(String::from_utf8_lossy(&failed.stderr).contains("50 request(s) were picked up before"));
    let zeroth: Vec<String> = String::from_utf8_lossy(&failed.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    let first_batch: BTreeSet<String> = queued.iter().take(50).cloned().collect();
    assert_eq!(zeroth.iter().cloned().collect::<BTreeSet<_>>(), first_batch);
    assert_eq!(
        in_state(&states(work.path(), None), "picked_up"),
        first_batch
    );
    let mut expected_files = first_batch.clone();
    expected_files.insert(blocked.clone());
    assert_eq!(
        bundles(&out),
        expected_files,
        "the failed batch left nothing behind"
    );
    std::fs::remove_file(out.join(format!("{blocked}.pgp"))).unwrap();

    // Two more pick-ups, in parts: together they hold the queue, each request once.
    let first = ok(pickup(
        work.path(),
        None,
        "helsinki-staff",
        "helsinki",
        &out,
        Some(20),
    ));
    assert_eq!(first.lines().count(), 20);
    let second = ok(pickup(
        work.path(),
        None,
        "helsinki-staff",
        "helsinki",
        &out,
        Some(10000),
    ));
    let picked: BTreeSet<String> = zeroth
        .iter()
        .map(String::as_str)
        .chain(first.lines())
        .chain(second.lines())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(picked, queued, "every complete request, and nothing else");
    assert_eq!(bundles(&out), queued, "one bundle per request");
    let after = states(work.path(), None);
    assert_eq!(in_state(&after, "picked_up"), queued);
    assert!(in_state(&after, "queued").is_empty());
    for state in ["incomplete", "needs_review"] {
        assert_eq!(
            in_state(&after, state),
            in_state(&before, state),
            "{state} untouched"
        );
    }
    let third = ok(pickup(
        work.path(),
        None,
        "helsinki-staff",
        "helsinki",
        &out,
        None,
    ));
    assert_eq!(third, "", "nothing is picked up twice");

    // The index: references and due dates, nothing else.
    let index = std::fs::read_to_string(out.join("index.csv")).unwrap();
    let mut lines = index.lines();
    assert_eq!(lines.next(), Some("reference,due_date"));
    let indexed: BTreeSet<String> = lines
        .map(|l| {
            let (reference, due) = l.split_once(',').unwrap();
            assert!(reference.len() == 14 && reference.starts_with("DR-"), "{l}");
            assert!(
                due.len() == 10 && due.chars().all(|c| c.is_ascii_digit() || c == '-'),
                "{l}"
            );
            reference.to_string()
        })
        .collect();
    assert_eq!(indexed, queued);

    // Each bundle opens with Helsinki's key and holds the stored request and its message.
    let stranger = tempfile::tempdir().unwrap();
    for reference in &queued {
        let path = out.join(format!("{reference}.pgp"));
        let sealed = std::fs::read(&path).unwrap();
        let expected = &stored[reference];
        let fields = &expected["fields"];
        for value in [&fields["personal_id"], &fields["surname"], &fields["phone"]] {
            let value = value.as_str().unwrap();
            assert!(
                !sealed.windows(value.len()).any(|w| w == value.as_bytes()),
                "{reference}: a personal value is readable in the bundle"
            );
        }
        let refused = decrypt(stranger.path(), &path);
        assert!(
            !refused.status.success(),
            "{reference}: opened without the key"
        );
        let opened = decrypt(key.home.path(), &path);
        assert!(
            opened.status.success(),
            "{reference}: {}",
            String::from_utf8_lossy(&opened.stderr)
        );
        let mime = mail_parser::MessageParser::default()
            .parse(&opened.stdout)
            .unwrap();
        assert_eq!(mime.subject(), Some(reference.as_str()));
        let json_part = mime
            .attachments()
            .find(|a| a.attachment_name() == Some(&format!("{reference}.json")))
            .unwrap_or_else(|| panic!("{reference}: no JSON part"));
        let bundled: serde_json::Value = serde_json::from_slice(json_part.contents()).unwrap();
        assert_eq!(bundled["reference"], reference.as_str());
        assert_eq!(bundled["organisation"], "helsinki");
        assert_eq!(bundled["status"], "complete");
        assert_eq!(bundled["fields"], *fields, "{reference}: the stored fields");
        assert!(bundled["missing"].as_array().unwrap().is_empty());
        assert!(bundled["review_reasons"].as_array().unwrap().is_empty());
        let history: Vec<&str> = bundled["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert!(
            history.contains(&"received") && history.contains(&"picked_up"),
            "{history:?}"
        );
        let messages: Vec<_> = mime.attachments().filter(|a| a.is_message()).collect();
        assert_eq!(
            messages.len(),
            bundled["messages"].as_u64().unwrap() as usize
        );
        let original = messages[0].message().unwrap();
        assert_eq!(
            original.message_id(),
            expected["message_id"]
                .as_str()
                .map(|m| m.trim_matches(|c| c == '<' || c == '>')),
            "{reference}: the original message"
        );
    }

    // Disclosed: all or none.
    let some: Vec<&str> = queued.iter().take(3).map(String::as_str).collect();
    let incomplete = in_state(&before, "incomplete").into_iter().next().unwrap();
    let mut mixed = some.clone();
    mixed.push(&incomplete);
    let mut ack = vec!["disclosure", "ack"];
    ack.extend(&mixed);
    assert!(!datareq(work.path(), None, "helsinki-staff", &ack)
        .status
        .success());
    assert!(in_state(&states(work.path(), None), "disclosed").is_empty());
    let mut ack = vec!["disclosure", "ack"];
    ack.extend(&some);
    ok(datareq(work.path(), None, "helsinki-staff", &ack));
    let disclosed = in_state(&states(work.path(), None), "disclosed");
    assert_eq!(disclosed.len(), 3);

    // The audit trail names who picked up and who acknowledged.
    let shown: serde_json::Value = serde_json::from_str(&ok(datareq(
        work.path(),
        None,
        "tester",
        &["requests", "show", some[0], "--json"],
    )))
    .unwrap();
    let actions: Vec<(String, String)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().to_string(),
                h["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("picked_up".into(), "os:helsinki-staff".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("disclosed".into(), "os:helsinki-staff".into())),
        "{actions:?}"
    );
}

#[test]
fn pickup_refuses_an_organisation_without_certificates_or_unknown() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("config/datareq.example.toml"),
        work.path().join("datareq.toml"),
    )
    .unwrap();
    let out = work.path().join("out");
    let no_certs = pickup(work.path(), None, "tester", "helsinki", &out, None);
    assert!(!no_certs.status.success());
    assert!(String::from_utf8_lossy(&no_certs.stderr).contains("certificates"));
    let unknown = pickup(work.path(), None, "tester", "espoo", &out, None);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("espoo"));
}

#[test]
fn two_pickups_racing_on_postgres_share_nothing_and_miss_nothing() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let url = db.url();
    let key = city_key();
    let work = workdir(&key.cert);
    let files = corpus();
    let mut args = vec!["ingest", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    ok(datareq(work.path(), Some(&url), "tester", &args));
    let queued = in_state(&states(work.path(), Some(&url)), "queued");
    assert!(queued.len() >= 50);

    // Two staff members each pick up five at a time until nothing is left.
    let takers: Vec<_> = ["anna", "bertil"]
        .into_iter()
        .map(|who| {
            let work = work.path().to_path_buf();
            let url = url.clone();
            std::thread::spawn(move || {
                let out = work.join(format!("out-{who}"));
                let mut got = Vec::new();
                loop {
                    let printed = ok(pickup(&work, Some(&url), who, "helsinki", &out, Some(5)));
                    if printed.is_empty() {
                        break;
                    }
                    got.extend(
                        printed
                            .lines()
                            .map(|l| l.split('\t').next().unwrap().to_string()),
                    );
                }
                (got, bundles(&out))
            })
        })
        .collect();
    let results: Vec<(Vec<String>, BTreeSet<String>)> =
        takers.into_iter().map(|t| t.join().unwrap()).collect();
    let (a, b) = (&results[0], &results[1]);
    let a_set: BTreeSet<String> = a.0.iter().cloned().collect();
    let b_set: BTreeSet<String> = b.0.iter().cloned().collect();
    assert_eq!(a_set.len(), a.0.len(), "no request twice to one person");
    assert_eq!(b_set.len(), b.0.len());
    assert!(a_set.is_disjoint(&b_set), "never the same request to both");
    assert_eq!(&a_set | &b_set, queued, "together, all of them");
    assert_eq!(a.1, a_set, "each has the bundles of what they picked up");
    assert_eq!(b.1, b_set);
    assert!(in_state(&states(work.path(), Some(&url)), "queued").is_empty());
}

#[test]
fn with_delivery_by_email_the_daemon_sends_each_complete_request_once_as_pgp_mime() {
    let key = city_key();
    let work = workdir(&key.cert);
    let config = std::fs::read_to_string(work.path().join("datareq.toml"))
        .unwrap()
        .replacen(
            "delivery = \"pickup\"\n# email = \"kirjaamo@hel.example\"",
            "delivery = \"email\"\nemail = \"kirjaamo@hel.example\"",
            1,
        );
    assert!(config.contains("delivery = \"email\""));
    std::fs::write(work.path().join("datareq.toml"), config).unwrap();
    let inbox = work.path().join("var/inbox/new");
    std::fs::create_dir_all(&inbox).unwrap();
    for file in corpus().iter().take(60) {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(file, inbox.join(name)).unwrap();
    }
    ok(datareq(work.path(), None, "tester", &["run", "--once"]));
    let states = states(work.path(), None);
    let picked = in_state(&states, "picked_up");
    assert!(picked.len() >= 10, "{states:?}");
    assert!(
        in_state(&states, "queued").is_empty(),
        "every complete request went out"
    );

    let outbox = work.path().join("var/outbox");
    let decrypted_dir = tempfile::tempdir().unwrap();
    let mut delivered = Vec::new();
    for entry in std::fs::read_dir(&outbox).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = mail
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        if to != "kirjaamo@hel.example" {
            continue;
        }
        let content_type = mail.content_type().unwrap();
        assert_eq!(
            (content_type.ctype(), content_type.subtype()),
            ("multipart", Some("encrypted"))
        );
        assert_eq!(
            content_type.attribute("protocol"),
            Some("application/pgp-encrypted")
        );
        let subject = mail.subject().unwrap().to_string();
        for word in ["vastaamo", "terap", "psyk"] {
            assert!(!subject.to_lowercase().contains(word), "{subject}");
        }
        let armored = mail
            .attachments()
            .find(|a| a.attachment_name() == Some("encrypted.asc"))
            .expect("the encrypted part")
            .contents()
            .to_vec();
        let path = decrypted_dir
            .path()
            .join(format!("{}.asc", delivered.len()));
        std::fs::write(&path, &armored).unwrap();
        let opened = decrypt(key.home.path(), &path);
        assert!(
            opened.status.success(),
            "{}",
            String::from_utf8_lossy(&opened.stderr)
        );
        let bundle = mail_parser::MessageParser::default()
            .parse(&opened.stdout)
            .unwrap();
        let reference = bundle.subject().unwrap().to_string();
        assert!(subject.contains(&reference), "{subject} names {reference}");
        delivered.push(reference);
    }
    let unique: BTreeSet<String> = delivered.iter().cloned().collect();
    assert_eq!(unique.len(), delivered.len(), "each request sent once");
    assert_eq!(unique, picked, "every picked-up request, and only those");

    // Nothing more to send the next time.
    let before = std::fs::read_dir(&outbox).unwrap().count();
    ok(datareq(work.path(), None, "tester", &["run", "--once"]));
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), before);
}

/// Runs SQL on a working directory's SQLite store, as a migration or an operator might.
fn sql(work: &Path, statement: &'static str) {
    let url = format!("sqlite://{}", work.join("var/datareq.sqlite").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    });
}

#[test]
fn queued_requests_without_an_organisation_are_routed_or_sent_to_a_clerk() {
    let key = city_key();
    let work = workdir(&key.cert);
    let files = corpus();
    let mut args = vec!["ingest", "--quiet"];
    args.extend(files.iter().take(80).map(String::as_str));
    ok(datareq(work.path(), None, "tester", &args));
    let queued = in_state(&states(work.path(), None), "queued");
    assert!(queued.len() > 20);
    // As requests stored before they recorded their organisation.
    sql(work.path(), "UPDATE requests SET organisation = NULL");
    let out = work.path().join("out");
    let first = ok(pickup(
        work.path(),
        None,
        "tester",
        "helsinki",
        &out,
        Some(10),
    ));
    assert_eq!(first.lines().count(), 10, "found by their provider");

    // The rest, when their provider no longer has an organisation: back to a clerk.
    sql(work.path(), "UPDATE requests SET organisation = NULL");
    let config = std::fs::read_to_string(work.path().join("datareq.toml"))
        .unwrap()
        .replacen(
            "name = \"Psykoterapiakeskus Vastaamo\"",
            "name = \"Vastaamo archive\"",
            1,
        );
    std::fs::write(work.path().join("datareq.toml"), config).unwrap();
    let second = ok(pickup(work.path(), None, "tester", "helsinki", &out, None));
    assert_eq!(second, "");
    let after = states(work.path(), None);
    assert!(
        in_state(&after, "queued").is_empty(),
        "nothing left where no pick-up finds it"
    );
    let review: Vec<serde_json::Value> = ok(datareq(
        work.path(),
        None,
        "tester",
        &["review", "list", "--json"],
    ))
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let sent_back: BTreeSet<String> = review
        .iter()
        .filter(|r| {
            r["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "unknown_service_provider")
        })
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent_back.len(), queued.len() - 10, "{sent_back:?}");
}
