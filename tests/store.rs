//! The request store's story, told twice: on a real SQLite file and on the real PostgreSQL
//! (a database of its own per test). Ingesting the dev corpus stores one request per message
//! and one reply per incomplete request, twice over changes nothing, nothing personal is
//! readable in the database's bytes, and the audit chain catches tampering.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datareq::config::Config;
use datareq::request::lifecycle::RequestState;
use datareq::request::RequestParser;
use datareq::store::{
    Actor, Incoming, IngestOutcome, MailboxPosition, Store, StoreError, StoreSettings,
};
use serde_json::Value;
use support::db::{on_both_databases, test_keys, TestDb};

const NOW: i64 = 1_796_169_600; // 2026-12-01

fn dev_corpus() -> Vec<(PathBuf, Vec<u8>, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dev");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("../shared/corpus/dev")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 300,
        "the dev corpus has at least 300 messages"
    );
    files
        .into_iter()
        .map(|eml| {
            let expected = std::fs::read(eml.with_extension("expected.json")).unwrap();
            let expected: Value = serde_json::from_slice(&expected).unwrap();
            let raw = std::fs::read(&eml).unwrap();
            (eml, raw, expected)
        })
        .collect()
}

/// Documents are read in-process here: the worker binary is not what these tests are about.
fn parser() -> RequestParser {
    RequestParser::with_reader(
        Config::default().rules(),
        Box::new(datareq::attachment::InProcessReader::default()),
    )
}

async fn open(db: &TestDb, keys_dir: &Path) -> Store {
    let keys = support::db::load_keys(keys_dir);
    Store::open(
        &db.url(),
        keys.sealer,
        keys.hasher,
        StoreSettings::default(),
    )
    .await
    .expect("store opens")
}

/// Ingests the whole corpus in batches, as `datareq ingest` does.
async fn ingest_all(
    store: &Store,
    parser: &RequestParser,
    corpus: &[(PathBuf, Vec<u8>, Value)],
) -> Vec<IngestOutcome> {
    let mut outcomes = Vec::new();
    for chunk in corpus.chunks(64) {
        let prepared: Vec<_> = chunk
            .iter()
            .map(|(_, raw, _)| {
                store
                    .prepare(
                        parser,
                        Incoming {
                            raw,
                            position: None,
                        },
                        2026,
                    )
                    .unwrap()
            })
            .collect();
        outcomes.extend(store.commit(&prepared, NOW).await.unwrap());
    }
    outcomes
}

fn expected_state(expected: &Value) -> RequestState {
    match expected["status"].as_str().unwrap() {
        // A complete request goes straight to the disclosing organisation's queue.
        "complete" => RequestState::Queued,
        "incomplete" => RequestState::Incomplete,
        "needs_review" => RequestState::NeedsReview,
        other => panic!("unknown status {other}"),
    }
}

async fn corpus_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let store = open(&db, keys_dir.path()).await;
    let parser = parser();
    let corpus = dev_corpus();

    let first = ingest_all(&store, &parser, &corpus).await;
    let mut references = Vec::new();
    let mut replies_expected = BTreeMap::new();
    for ((file, raw, expected), outcome) in corpus.iter().zip(&first) {
        let IngestOutcome::Stored {
            reference,
            state,
            reply_queued,
        } = outcome
        else {
            panic!(
                "{}: first ingest must store, got {outcome:?}",
                file.display()
            );
        };
        assert_eq!(*state, expected_state(expected), "{}", file.display());
        let automatic = parser.parse(raw, 2026).auto_submitted;
        let wants_reply = *state == RequestState::Incomplete && !automatic;
        assert_eq!(*reply_queued, wants_reply, "{}", file.display());
        if wants_reply {
            replies_expected.insert(reference.to_string(), 1i64);
        }
        references.push(reference.to_string());
    }
    // References are unique and numbered from 1 in the year.
    let mut sorted = references.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), corpus.len());
    assert_eq!(references[0], "DR-2026-000001");

    // Twice over: every message is found, nothing is added.
    let second = ingest_all(&store, &parser, &corpus).await;
    for (reference, outcome) in references.iter().zip(&second) {
        assert_eq!(
            outcome,
            &IngestOutcome::Duplicate {
                reference: reference.clone()
            }
        );
    }
    let listed = store.list_requests(None).await.unwrap();
    assert_eq!(listed.len(), corpus.len(), "one request per message");
    let outbox: BTreeMap<String, i64> = store.outbox_counts().await.unwrap().into_iter().collect();
    assert_eq!(outbox, replies_expected, "one reply per incomplete request");
    assert!(!replies_expected.is_empty());
    let pending = store.pending_replies().await.unwrap();
    assert_eq!(pending.len(), replies_expected.len());
    assert!(pending.iter().all(|(_, reference, message_id, reply)| {
        message_id.starts_with("datareq.") && message_id.contains(reference) && !reply.to.is_empty()
    }));
    let queued = store
        .list_requests(Some(RequestState::Queued))
        .await
        .unwrap();
    let complete = corpus
        .iter()
        .filter(|(_, _, e)| e["status"] == "complete")
        .count();
    assert_eq!(queued.len(), complete);
    assert!(listed.iter().all(|r| r.due_at == NOW + 14 * 86_400));

    // Reading one request decrypts it and leaves an audit event naming the reader.
    let (file, _, expected) = corpus
        .iter()
        .find(|(_, _, e)| e["fields"]["personal_id"].is_string())
        .unwrap();
    let index = corpus.iter().position(|(f, _, _)| f == file).unwrap();
    let reader = Actor::OsUser("clerk-test".into());
    let shown = store
        .show_request(&references[index], &reader, NOW + 60)
        .await
        .unwrap();
    assert_eq!(
        shown.content.fields.personal_id.as_deref(),
        expected["fields"]["personal_id"].as_str()
    );
    assert_eq!(shown.messages, 1);
    let events = store.audit_events(Some(&references[index])).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("read", "os:clerk-test")
    );
    assert!(matches!(
        store.show_request("DR-2026-999999", &reader, NOW).await,
        Err(StoreError::NotFound(_))
    ));

    // The chain is intact and ends at the head.
    let intact = store.verify_audit().await.unwrap().expect("intact chain");
    assert_eq!(intact, store.audit_head().await.unwrap().seq);
    assert!(intact > corpus.len() as i64);
    store.close().await;

    // Nothing personal is readable in the database's bytes.
    let bytes = db.raw_bytes();
    let needles = personal_needles(&corpus);
    assert!(needles.len() > 500, "enough personal values to look for");
    // pg_dump writes bytea columns in hex: a value stored unencrypted in one would appear so.
    let patterns: Vec<Vec<u8>> = needles
        .iter()
        .flat_map(|n| {
            [
                n.as_bytes().to_vec(),
                hex::encode(n.as_bytes()).into_bytes(),
            ]
        })
        .collect();
    let matcher = aho_corasick::AhoCorasick::new(&patterns).unwrap();
    let found: Vec<&String> = matcher
        .find_overlapping_iter(&bytes)
        .map(|m| &needles[m.pattern().as_usize() / 2])
        .collect();
    assert!(
        found.is_empty(),
        "{}: {} personal values readable in the database (first: {:?})",
        db.name(),
        found.len(),
        found.first()
    );
}

/// Identity codes, names, phone numbers, streets, request sentences and sender addresses
/// of the corpus, each at least 6 bytes (shorter strings occur by chance in ciphertext).
fn personal_needles(corpus: &[(PathBuf, Vec<u8>, Value)]) -> Vec<String> {
    let mut needles = std::collections::BTreeSet::new();
    for (_, raw, expected) in corpus {
        let f = &expected["fields"];
        for key in [
            "surname",
            "first_names",
            "personal_id",
            "requested_information",
            "phone",
        ] {
            if let Some(s) = f[key].as_str() {
                needles.insert(s.to_string());
            }
        }
        if let Some(street) = f["address"]["street"].as_str() {
            needles.insert(street.to_string());
        }
        // The sender's address, from the raw From line.
        let text = String::from_utf8_lossy(raw);
        if let Some(line) = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("from:"))
        {
            if let Some(addr) = line.split(['<', '>']).nth(1) {
                needles.insert(addr.to_string());
            }
        }
    }
    needles.into_iter().filter(|n| n.len() >= 6).collect()
}

on_both_databases!(
    corpus_story,
    corpus_story_on_sqlite,
    corpus_story_on_postgres
);

async fn ingest_at(
    store: &Store,
    parser: &RequestParser,
    raw: &[u8],
    position: &MailboxPosition,
) -> IngestOutcome {
    let incoming = Incoming {
        raw,
        position: Some(position),
    };
    store.ingest(parser, incoming, NOW).await.unwrap()
}

/// The same mail fetched twice from the mailbox (same UIDVALIDITY and UID) is one message even
/// when a server rewrote a header; the same bytes under another UID are one message too.
async fn mailbox_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let store = open(&db, keys_dir.path()).await;
    let parser = parser();
    let corpus = dev_corpus();
    let raw = &corpus[5].1;
    let position = MailboxPosition {
        mailbox: "INBOX".into(),
        uid_validity: 7,
        uid: 42,
    };
    let first = ingest_at(&store, &parser, raw, &position).await;
    let IngestOutcome::Stored { reference, .. } = first else {
        panic!("stored")
    };
    let mut rewritten = b"X-Spam-Score: 0.1\r\n".to_vec();
    rewritten.extend_from_slice(raw);
    let again = ingest_at(&store, &parser, &rewritten, &position).await;
    assert_eq!(
        again,
        IngestOutcome::Duplicate {
            reference: reference.to_string()
        }
    );
    let moved = MailboxPosition {
        uid: 43,
        ..position
    };
    let copy = ingest_at(&store, &parser, raw, &moved).await;
    assert!(matches!(copy, IngestOutcome::Duplicate { .. }));
    // After a UIDVALIDITY change, UID 42 is another message.
    let other_epoch = MailboxPosition {
        uid_validity: 8,
        ..moved
    };
    let other = ingest_at(&store, &parser, &corpus[6].1, &other_epoch).await;
    assert!(matches!(other, IngestOutcome::Stored { .. }));
    assert_eq!(store.list_requests(None).await.unwrap().len(), 2);
    // What a restarted daemon moves out of the inbox without fetching it: only what was
    // stored under that very position (the copy under UID 43 was not stored again).
    let stored = |validity: u32| store.stored_uids("INBOX", validity, &[41, 42, 43]);
    assert_eq!(stored(7).await.unwrap(), [42].into());
    assert_eq!(stored(8).await.unwrap(), [43].into());
    assert!(stored(9).await.unwrap().is_empty());
    assert!(store
        .stored_uids("Archive", 7, &[42])
        .await
        .unwrap()
        .is_empty());
    store.close().await;
}

on_both_databases!(
    mailbox_story,
    mailbox_positions_on_sqlite,
    mailbox_positions_on_postgres
);

/// Tampering with the audit trail directly in the database is caught, and the first bad event
/// is named.
async fn tamper_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let corpus = dev_corpus();
    let parser = parser();
    // Each case starts from a fresh copy of the same story.
    type Tamper = (&'static str, &'static [&'static str], i64);
    let cases: [Tamper; 4] = [
        (
            "edited",
            &["UPDATE audit_events SET actor = 'os:nobody' WHERE seq = 3"],
            3,
        ),
        ("deleted", &["DELETE FROM audit_events WHERE seq = 4"], 4),
        (
            "reordered",
            &[
                "UPDATE audit_events SET seq = -5 WHERE seq = 5",
                "UPDATE audit_events SET seq = 5 WHERE seq = 6",
                "UPDATE audit_events SET seq = 6 WHERE seq = -5",
            ],
            5,
        ),
        (
            "newest cut off",
            &["DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)"],
            0,
        ),
    ];
    for (name, statements, bad_seq) in cases {
        let fresh = match &db {
            TestDb::Sqlite { .. } => TestDb::sqlite(),
            TestDb::Postgres { .. } => TestDb::postgres().expect("server seen already"),
        };
        let store = open(&fresh, keys_dir.path()).await;
        ingest_all(&store, &parser, &corpus[..8]).await;
        assert!(
            store.verify_audit().await.unwrap().is_ok(),
            "{name}: intact before"
        );
        let total = store.audit_head().await.unwrap().seq;
        store.close().await;

        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&fresh.url()).await.unwrap();
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;

        let store = open(&fresh, keys_dir.path()).await;
        let problem = store
            .verify_audit()
            .await
            .unwrap()
            .expect_err(&format!("{name}: must be caught"));
        let expected_seq = if bad_seq == 0 { total } else { bad_seq };
        assert_eq!(problem.seq, expected_seq, "{name}: {problem}");
        store.close().await;
    }
}

on_both_databases!(
    tamper_story,
    audit_tampering_on_sqlite,
    audit_tampering_on_postgres
);

/// A database URL that is not sqlite:// or postgres:// is refused without creating anything.
#[tokio::test]
async fn unknown_scheme_creates_nothing() {
    let (keys_dir, keys) = test_keys();
    let before: Vec<_> = std::fs::read_dir(".")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for url in [
        "mysql://x/y",
        "sqlite::memory:",
        "datareq.sqlite",
        "sqlite:datareq.sqlite",
    ] {
        let keys = support::db::load_keys(keys_dir.path());
        let result = Store::open(url, keys.sealer, keys.hasher, StoreSettings::default()).await;
        assert!(matches!(result, Err(StoreError::Url(_))), "{url}");
    }
    drop(keys);
    let after: Vec<_> = std::fs::read_dir(".")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before, after);
}

/// A valid identity code (born 1952) with this individual number; the check character is
/// computed, not copied.
fn identity_code(individual: u32) -> String {
    const CHECK: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let date = 131_052u32;
    let n = u64::from(date) * 1000 + u64::from(individual);
    format!(
        "{date:06}-{individual:03}{}",
        CHECK[(n % 31) as usize] as char
    )
}

/// The citizen's answer to our reply: the missing and invalid fields as labelled lines.
fn answer(to_reference: &str, message_id: &str, from: &str, fields: &[&str], n: u32) -> Vec<u8> {
    let mut body = String::from("Hei,\n\ntässä pyytämänne tiedot:\n\n");
    for field in fields {
        let line = match *field {
            "surname" => "Sukunimi: Korhonen".to_string(),
            "first_names" => "Etunimet: Aino Maria".to_string(),
            "personal_id" => format!("Henkilötunnus: {}", identity_code(100 + n)),
            "requested_information" => {
                "Pyydetyt tiedot: kaikki minua koskevat potilasasiakirjat".to_string()
            }
            "service_provider" => "Palveluntuottaja: Psykoterapiakeskus Vastaamo".to_string(),
            "treatment_years" => "Hoitovuodet: 2017–2019".to_string(),
            "phone" => "Puhelinnumero: 040 123 4567".to_string(),
            "address" => "Postiosoite: Mannerheimintie 5 A 3, 00100 Helsinki".to_string(),
            other => panic!("no answer for {other}"),
        };
        body.push_str(&line);
        body.push('\n');
    }
    body.push_str("\nYstävällisin terveisin\nAino\n");
    format!(
        "From: <{from}>\r\nTo: <kirjaamo@kela.example>\r\nSubject: Re: [{to_reference}] \
         Tietopyyntö\r\nMessage-ID: <answer-{n}@example.test>\r\nIn-Reply-To: \
         <{message_id}@kela.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0200\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{}",
        body.replace('\n', "\r\n")
    )
    .into_bytes()
}

/// Every incomplete request of the dev corpus is completed by an answer that gives what our
/// reply asked for; the answer is attached to the request, not stored as a new one.
async fn follow_up_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let store = open(&db, keys_dir.path()).await;
    let parser = parser();
    let corpus = dev_corpus();
    ingest_all(&store, &parser, &corpus).await;
    let before = store.list_requests(None).await.unwrap().len();
    let pending = store.pending_replies().await.unwrap();
    assert!(pending.len() >= 50, "enough incomplete requests to answer");
    for (n, (_, reference, message_id, reply)) in pending.iter().enumerate() {
        let mut asked: Vec<&str> = reply.missing.iter().map(|f| f.name()).collect();
        asked.extend(reply.invalid.iter().map(|i| i.field.name()));
        let raw = answer(reference, message_id, &reply.to, &asked, n as u32);
        let outcome = store
            .ingest(
                &parser,
                Incoming {
                    raw: &raw,
                    position: None,
                },
                NOW + 3_600,
            )
            .await
            .unwrap();
        assert_eq!(
            outcome,
            IngestOutcome::FollowUp {
                reference: reference.clone(),
                state: RequestState::Queued,
                reply_queued: false
            },
            "{reference}: asked for {asked:?}"
        );
    }
    let after = store.list_requests(None).await.unwrap();
    assert_eq!(
        after.len(),
        before,
        "answers are attached, not new requests"
    );
    for (_, reference, _, _) in &pending {
        let r = after.iter().find(|r| &r.reference == reference).unwrap();
        // The clock stood still for the hour the request waited for the citizen.
        assert_eq!(r.due_at, NOW + 14 * 86_400 + 3_600, "{reference}");
    }
    assert!(store.verify_audit().await.unwrap().is_ok());
    store.close().await;
}

on_both_databases!(
    follow_up_story,
    follow_ups_on_sqlite,
    follow_ups_on_postgres
);

/// What must not complete a request: an answer from another address, one naming another
/// identity code; and what links requests: a second request for the same person.
async fn doubtful_follow_up_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let store = open(&db, keys_dir.path()).await;
    let parser = parser();
    let corpus = dev_corpus();
    ingest_all(&store, &parser, &corpus).await;
    let pending = store.pending_replies().await.unwrap();
    let with_id = |want: bool| {
        pending.iter().filter(move |(_, _, _, r)| {
            let asked_for_id = r.missing.iter().any(|f| f.name() == "personal_id")
                || r.invalid.iter().any(|i| i.field.name() == "personal_id");
            asked_for_id != want
        })
    };
    let mut has_id = with_id(true);
    let mut lacks_id = with_id(false);

    // Another sender answering with everything asked for: a clerk looks.
    let (_, reference, message_id, reply) = lacks_id.next().unwrap();
    let mut asked: Vec<&str> = reply.missing.iter().map(|f| f.name()).collect();
    asked.extend(reply.invalid.iter().map(|i| i.field.name()));
    let raw = answer(
        reference,
        message_id,
        "someone.else@example.test",
        &asked,
        900,
    );
    assert_goes_to_review(&store, &parser, &raw).await;

    // The right sender, but an identity code that contradicts the request's.
    let (_, reference, message_id, reply) = has_id.next().unwrap();
    let mut asked: Vec<&str> = reply.missing.iter().map(|f| f.name()).collect();
    asked.push("personal_id");
    let raw = answer(reference, message_id, &reply.to, &asked, 901);
    assert_goes_to_review(&store, &parser, &raw).await;
    let shown = store
        .show_request(reference, &Actor::OsUser("t".into()), NOW)
        .await
        .unwrap();
    assert!(shown
        .content
        .review_reasons
        .iter()
        .any(|r| r.name() == "conflicting_personal_ids"));

    // A queued request's person asks again in a new message from another address: a new
    // request, linked, for a clerk; no automatic reply.
    let (eml, raw, _) = corpus
        .iter()
        .find(|(_, _, e)| e["status"] == "complete")
        .unwrap();
    let text = String::from_utf8_lossy(raw).replace("Message-ID: <", "Message-ID: <again-");
    let text = replace_from(&text, "other.address@example.test");
    let outcome = store
        .ingest(
            &parser,
            Incoming {
                raw: text.as_bytes(),
                position: None,
            },
            NOW,
        )
        .await
        .unwrap();
    assert!(
        matches!(
            &outcome,
            IngestOutcome::Stored {
                state: RequestState::NeedsReview,
                reply_queued: false,
                ..
            }
        ),
        "{}: {outcome:?}",
        eml.display()
    );
    store.close().await;
}

async fn assert_goes_to_review(store: &Store, parser: &RequestParser, raw: &[u8]) {
    let incoming = Incoming {
        raw,
        position: None,
    };
    let outcome = store.ingest(parser, incoming, NOW).await.unwrap();
    let to_review = matches!(
        &outcome,
        IngestOutcome::FollowUp {
            state: RequestState::NeedsReview,
            ..
        }
    );
    assert!(to_review, "{outcome:?}");
}

fn replace_from(message: &str, address: &str) -> String {
    replace_header(message, "From", &format!("<{address}>"))
}

/// `message` with its header `name` (one line) set to `value`.
fn replace_header(message: &str, name: &str, value: &str) -> String {
    let mut out = String::new();
    let mut in_headers = true;
    let prefix = format!("{}:", name.to_ascii_lowercase());
    for line in message.split_inclusive('\n') {
        if in_headers && line.trim().is_empty() {
            in_headers = false;
        }
        if in_headers && line.to_ascii_lowercase().starts_with(&prefix) {
            out.push_str(&format!("{name}: {value}\r\n"));
        } else {
            out.push_str(line);
        }
    }
    out
}

on_both_databases!(
    doubtful_follow_up_story,
    doubtful_follow_ups_on_sqlite,
    doubtful_follow_ups_on_postgres
);

/// Two daemons fetching the same mail at the same time (one database): each message is
/// stored once, each reference handed out once, and the audit chain stays one line.
async fn concurrent_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let first = open(&db, keys_dir.path()).await;
    let second = open(&db, keys_dir.path()).await;
    let parser = parser();
    let corpus = dev_corpus();
    let slice = &corpus[..120];
    let (a, b) = tokio::join!(
        ingest_all(&first, &parser, slice),
        ingest_all(&second, &parser, slice)
    );
    let stored = |outcomes: &[IngestOutcome]| {
        outcomes
            .iter()
            .filter(|o| matches!(o, IngestOutcome::Stored { .. }))
            .count()
    };
    assert_eq!(
        stored(&a) + stored(&b),
        slice.len(),
        "each message stored once"
    );
    for (x, y) in a.iter().zip(&b) {
        let reference = |o: &IngestOutcome| match o {
            IngestOutcome::Stored { reference, .. } => reference.to_string(),
            IngestOutcome::Duplicate { reference } => reference.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(reference(x), reference(y), "both name the one request");
    }
    assert_eq!(first.list_requests(None).await.unwrap().len(), slice.len());
    assert!(first.verify_audit().await.unwrap().is_ok());
    first.close().await;
    second.close().await;
}

on_both_databases!(
    concurrent_story,
    concurrent_ingest_on_sqlite,
    concurrent_ingest_on_postgres
);

/// A message with another Message-ID: the same request sent again, not a copy of the message.
fn with_message_id(raw: &[u8], id: &str) -> Vec<u8> {
    replace_header(
        &String::from_utf8_lossy(raw),
        "Message-ID",
        &format!("<{id}>"),
    )
    .into_bytes()
}

/// What a store holds, in comparable form: its requests, its unsent replies and its audit
/// trail (names and references).
async fn written(s: &Store) -> (String, Vec<(String, String)>, Vec<String>) {
    let requests = format!("{:?}", s.list_requests(None).await.unwrap());
    let replies = s
        .pending_replies()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, reference, message_id, _)| (reference, message_id))
        .collect();
    let audit = s
        .audit_events(None)
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{} {:?} {}", e.action, e.reference, e.detail))
        .collect();
    (requests, replies, audit)
}

/// A batch is written as if message by message: copies within the batch, a request sent
/// again by the same person, and one for the same identity code from another address get
/// the same outcomes, rows, replies and audit trail in one commit as in one commit each.
async fn batch_story(db: TestDb) {
    let (keys_dir, _) = test_keys();
    let corpus = dev_corpus();
    let parser = parser();
    let mut raws: Vec<Vec<u8>> = corpus[..80].iter().map(|(_, raw, _)| raw.clone()).collect();
    // Incomplete and complete requests that carry an identity code, to be sent again.
    let with_id = |status: &str| {
        corpus[..80]
            .iter()
            .filter(|(_, _, e)| {
                let id_valid = !e["invalid"]
                    .as_array()
                    .is_some_and(|i| i.iter().any(|i| i["field"] == "personal_id"));
                e["status"] == status && e["fields"]["personal_id"].is_string() && id_valid
            })
            .map(|(_, raw, _)| raw.clone())
            .take(3)
            .collect::<Vec<_>>()
    };
    let (incomplete, complete) = (with_id("incomplete"), with_id("complete"));
    assert!(
        incomplete.len() == 3 && complete.len() == 3,
        "the corpus has both kinds"
    );
    raws.push(raws[3].clone());
    raws.push(raws[10].clone());
    for (n, raw) in incomplete.iter().chain(&complete).enumerate() {
        raws.push(with_message_id(raw, &format!("again-{n}@example.test")));
        let other = replace_from(
            &String::from_utf8_lossy(raw),
            &format!("other{n}@example.test"),
        );
        raws.push(with_message_id(
            other.as_bytes(),
            &format!("other-{n}@example.test"),
        ));
    }
    raws.push(raws[3].clone());

    let prepare = |store: &Store, raw: &[u8]| {
        store
            .prepare(
                &parser,
                Incoming {
                    raw,
                    position: None,
                },
                2026,
            )
            .unwrap()
    };
    let at_once = open(&db, keys_dir.path()).await;
    let prepared: Vec<_> = raws.iter().map(|raw| prepare(&at_once, raw)).collect();
    let batched = at_once.commit(&prepared, NOW).await.unwrap();

    let single_db = db.another();
    let one_by_one = open(&single_db, keys_dir.path()).await;
    let mut singly = Vec::new();
    for raw in &raws {
        let prepared = prepare(&one_by_one, raw);
        singly.extend(one_by_one.commit(&[prepared], NOW).await.unwrap());
    }

    assert_eq!(batched, singly, "the same outcomes");
    let kinds = |o: &[IngestOutcome]| {
        let mut kinds = BTreeMap::new();
        for outcome in o {
            let kind = match outcome {
                IngestOutcome::Stored { state, .. } => format!("stored {state}"),
                IngestOutcome::FollowUp { .. } => "follow-up".to_string(),
                IngestOutcome::Duplicate { .. } => "duplicate".to_string(),
            };
            *kinds.entry(kind).or_insert(0) += 1;
        }
        kinds
    };
    let kinds = kinds(&batched);
    assert_eq!(kinds["duplicate"], 3, "{kinds:?}");
    assert_eq!(kinds["follow-up"], 3, "{kinds:?}");
    assert!(kinds["stored needs_review"] >= 6, "{kinds:?}");

    let (a, b) = (written(&at_once).await, written(&one_by_one).await);
    assert_eq!(a.0, b.0, "the same requests");
    assert_eq!(a.1, b.1, "the same replies");
    assert_eq!(a.2, b.2, "the same audit trail");
    assert!(a.2.iter().any(|e| e.contains("clerk=possible_duplicate")));
    assert!(at_once.verify_audit().await.unwrap().is_ok());
    at_once.close().await;
    one_by_one.close().await;
}

on_both_databases!(
    batch_story,
    a_batch_is_written_as_if_message_by_message_on_sqlite,
    a_batch_is_written_as_if_message_by_message_on_postgres
);
