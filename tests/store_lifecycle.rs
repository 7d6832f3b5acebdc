//! The stored lifecycle on SQLite and PostgreSQL: events checked against the state machine,
//! the deadline clock (pauses, extensions, overdue), expiry, and retention (purged data gone
//! from the database's bytes).

mod support;

use std::path::Path;

use datareq::config::Config;
use datareq::request::calendar::{add_months, DAY};
use datareq::request::lifecycle::{Event, RequestState};
use datareq::request::RequestParser;
use datareq::store::{
    Actor, Extension, Incoming, IngestOutcome, OutboxState, Store, StoreError, StoreSettings,
    UNOPENABLE,
};
use support::db::{load_keys, on_both_databases, test_keys, TestDb};

const T0: i64 = 1_796_169_600; // 2026-12-01

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
    )
    .unwrap()
}

async fn open(db: &TestDb, keys: &Path) -> Store {
    let k = load_keys(keys);
    Store::open(&db.url(), k.sealer, k.hasher, StoreSettings::default())
        .await
        .unwrap()
}

async fn ingest(store: &Store, raw: &[u8], now: i64) -> (String, RequestState) {
    let parser = RequestParser::new(Config::default().rules());
    let incoming = Incoming {
        raw,
        position: None,
    };
    match store.ingest(&parser, incoming, now).await.unwrap() {
        IngestOutcome::Stored {
            reference, state, ..
        } => (reference.to_string(), state),
        other => panic!("expected a new request, got {other:?}"),
    }
}

async fn state_of(store: &Store, reference: &str) -> (RequestState, i64) {
    let all = store.list_requests(None).await.unwrap();
    let r = all.iter().find(|r| r.reference == reference).unwrap();
    (r.state, r.due_at)
}

async fn lifecycle_story(db: TestDb) {
    let (keys, _) = test_keys();
    let store = open(&db, keys.path()).await;
    let clerk = Actor::OsUser("clerk".into());
    let (complete, state) = ingest(&store, &example("01-fi-complete-free-text.eml"), T0).await;
    assert_eq!(state, RequestState::Queued);
    let (incomplete, state) = ingest(&store, &example("03-en-missing-phone-address.eml"), T0).await;
    assert_eq!(state, RequestState::Incomplete);
    let (review, state) = ingest(&store, &example("05-fi-on-behalf-of-child.eml"), T0).await;
    assert_eq!(state, RequestState::NeedsReview);

    // An illegal step is an error and changes nothing.
    let err = store
        .apply_event(&complete, Event::Disclosed, &clerk, T0 + 10)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err}");
    assert_eq!(state_of(&store, &complete).await.0, RequestState::Queued);
    // The legal path to the end.
    for (event, to) in [
        (Event::PickedUp, RequestState::PickedUp),
        (Event::Disclosed, RequestState::Disclosed),
    ] {
        let got = store
            .apply_event(&complete, event, &clerk, T0 + 20)
            .await
            .unwrap();
        assert_eq!(got, to);
    }

    // The clock stands still while the citizen is asked: a clerk returns the review case to
    // the citizen at day 2; the answer completes it at day 5.
    let due = state_of(&store, &review).await.1;
    assert_eq!(due, T0 + 14 * DAY);
    store
        .apply_event(&review, Event::ReturnedToCitizen, &clerk, T0 + 2 * DAY)
        .await
        .unwrap();
    let got = store
        .apply_event(&review, Event::Completed, &clerk, T0 + 5 * DAY)
        .await
        .unwrap();
    assert_eq!(got, RequestState::Complete);
    assert_eq!(
        state_of(&store, &review).await.1,
        T0 + 17 * DAY,
        "paused 3 days"
    );
    store
        .apply_event(&review, Event::SentToReview, &clerk, T0 + 5 * DAY)
        .await
        .unwrap();

    // Overdue: the review case at day 18; the incomplete request never (its clock is paused).
    let overdue: Vec<String> = store
        .list_overdue(T0 + 18 * DAY)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.reference)
        .collect();
    assert_eq!(overdue, vec![review.clone()]);

    // Extensions: one month from receipt, then two GDPR months with a reason; no more.
    let one_month = store
        .extend_deadline(&review, Extension::OneMonth, "", &clerk, T0 + 6 * DAY)
        .await
        .unwrap();
    assert_eq!(one_month, add_months(T0, 1) + 3 * DAY);
    assert!(matches!(
        store
            .extend_deadline(&review, Extension::OneMonth, "", &clerk, T0 + 6 * DAY)
            .await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        store
            .extend_deadline(&review, Extension::Gdpr { months: 2 }, " ", &clerk, T0)
            .await,
        Err(StoreError::Refused(_))
    ));
    let gdpr = store
        .extend_deadline(
            &review,
            Extension::Gdpr { months: 2 },
            "The records span many years and must be collected from the archive.",
            &clerk,
            T0 + 7 * DAY,
        )
        .await
        .unwrap();
    assert_eq!(gdpr, add_months(one_month, 2));
    assert!(store.list_overdue(T0 + 40 * DAY).await.unwrap().is_empty());
    assert!(matches!(
        store
            .extend_deadline(&review, Extension::Gdpr { months: 1 }, "again", &clerk, T0)
            .await,
        Err(StoreError::Refused(_))
    ));
    let notices: Vec<_> = store
        .pending_replies()
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, r, _, _)| *r == review)
        .collect();
    assert_eq!(
        notices.len(),
        2,
        "the returned request and the GDPR extension"
    );
    // Returned to the citizen: a reply, as for an incomplete request.
    assert_eq!(notices[0].3.reason, None);
    assert_eq!(notices[0].3.due_at, None);
    assert!(notices[0].2.ends_with(".1"));
    assert_eq!(notices[1].3.due_at, Some(gdpr));
    assert!(notices[1].3.reason.as_deref().unwrap().contains("archive"));
    assert!(notices[1].2.ends_with(".2"), "{}", notices[1].2);

    // Expiry: the incomplete request, unanswered for 30 days.
    assert!(store
        .expire_incomplete(T0 + 29 * DAY, 30, false)
        .await
        .unwrap()
        .is_empty());
    let dry = store
        .expire_incomplete(T0 + 31 * DAY, 30, true)
        .await
        .unwrap();
    assert_eq!(dry, vec![incomplete.clone()]);
    assert_eq!(
        state_of(&store, &incomplete).await.0,
        RequestState::Incomplete
    );
    let notices_of = |replies: Vec<(i64, String, String, datareq::store::ReplyContent)>| {
        replies
            .iter()
            .filter(|(_, r, _, _)| *r == incomplete)
            .count()
    };
    let before = notices_of(store.pending_replies().await.unwrap());
    let expired = store
        .expire_incomplete(T0 + 31 * DAY, 30, false)
        .await
        .unwrap();
    assert_eq!(
        notices_of(store.pending_replies().await.unwrap()),
        before + 1,
        "the citizen is told it expired"
    );
    assert_eq!(expired, vec![incomplete.clone()]);
    assert_eq!(state_of(&store, &incomplete).await.0, RequestState::Expired);

    let events = store.audit_events(Some(&review)).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"deadline_extended") && actions.contains(&"returned_to_citizen"));
    assert!(store.verify_audit().await.unwrap().is_ok());
    store.close().await;
}

on_both_databases!(lifecycle_story, lifecycle_on_sqlite, lifecycle_on_postgres);

/// After retention, a closed request's sealed blobs are gone from the database's bytes, its
/// row and audit trail stay, an open request is untouched, and the old message is still
/// recognised if it is fetched again.
async fn retention_story(db: TestDb) {
    let (keys, _) = test_keys();
    let store = open(&db, keys.path()).await;
    let clerk = Actor::OsUser("clerk".into());
    let closed_raw = example("02-sv-labelled-list.eml");
    let (closed, _) = ingest(&store, &closed_raw, T0).await;
    let (open_one, _) = ingest(&store, &example("04-fi-invalid-checksum.eml"), T0).await;
    store
        .apply_event(&closed, Event::PickedUp, &clerk, T0)
        .await
        .unwrap();
    store
        .apply_event(&closed, Event::Disclosed, &clerk, T0 + DAY)
        .await
        .unwrap();
    store.close().await;

    // The sealed values of the closed request, as stored.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url()).await.unwrap();
    let blobs: Vec<Vec<u8>> = {
        use sqlx::Row;
        let mut blobs = Vec::new();
        for query in [
            "SELECT r.sealed_request FROM requests r WHERE r.reference = $1",
            "SELECT m.sealed_message FROM messages m JOIN requests r ON r.id = m.request_id \
             WHERE r.reference = $1",
        ] {
            let row = sqlx::query(query)
                .bind(closed.clone())
                .fetch_one(&pool)
                .await
                .unwrap();
            blobs.push(row.try_get(0).unwrap());
        }
        blobs
    };
    pool.close().await;
    let present = |bytes: &[u8], blob: &[u8]| {
        // A 64-byte stretch from the middle of the ciphertext cannot occur by chance; pg_dump
        // writes it in hex.
        let mid = blob.len() / 2;
        let probe = &blob[mid..mid + 64];
        let hex = hex::encode(probe);
        bytes.windows(64).any(|w| w == probe)
            || bytes.windows(hex.len()).any(|w| w == hex.as_bytes())
    };
    let before = db.raw_bytes();
    assert!(
        blobs.iter().all(|b| present(&before, b)),
        "probes are found before"
    );

    let store = open(&db, keys.path()).await;
    let dry = store.purge(T0 + 50 * DAY, 90, true, &clerk).await.unwrap();
    assert!(dry.is_empty(), "not yet 90 days after closing");
    let listed = store.purge(T0 + 92 * DAY, 90, true, &clerk).await.unwrap();
    assert_eq!(listed, vec![closed.clone()]);
    let purged = store.purge(T0 + 92 * DAY, 90, false, &clerk).await.unwrap();
    assert_eq!(purged, vec![closed.clone()]);
    assert!(matches!(
        store.show_request(&closed, &clerk, T0 + 92 * DAY).await,
        Err(StoreError::Purged(_))
    ));
    assert!(store
        .show_request(&open_one, &clerk, T0 + 92 * DAY)
        .await
        .is_ok());
    let again = ingest_outcome(&store, &closed_raw).await;
    assert_eq!(
        again,
        IngestOutcome::Duplicate {
            reference: closed.clone()
        }
    );
    let summary = store.list_requests(None).await.unwrap();
    assert!(summary.iter().any(|r| r.reference == closed && r.purged));
    assert!(store.verify_audit().await.unwrap().is_ok());
    store.close().await;

    let after = db.raw_bytes();
    for blob in &blobs {
        assert!(
            !present(&after, blob),
            "{}: a purged blob is still in the database",
            db.name()
        );
    }
}

async fn ingest_outcome(store: &Store, raw: &[u8]) -> IngestOutcome {
    let parser = RequestParser::new(Config::default().rules());
    let incoming = Incoming {
        raw,
        position: None,
    };
    store
        .ingest(&parser, incoming, T0 + 93 * DAY)
        .await
        .unwrap()
}

on_both_databases!(retention_story, retention_on_sqlite, retention_on_postgres);

/// Stores the first `count` messages of the dev corpus; returns how many replies they queued.
async fn ingest_dev_corpus(store: &Store, count: usize) -> i64 {
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dev");
    let parser = RequestParser::new(Config::default().rules());
    let mut queued = 0;
    for n in 1..=count {
        let raw = std::fs::read(corpus_dir.join(format!("{n:04}.eml"))).unwrap();
        let incoming = Incoming {
            raw: &raw,
            position: None,
        };
        if let IngestOutcome::Stored {
            reply_queued: true, ..
        } = store.ingest(&parser, incoming, T0).await.unwrap()
        {
            queued += 1;
        }
    }
    queued
}

/// Two daemons sending from one outbox never take the same reply; a reply whose sender died
/// is taken again after its lease; a sent reply is never sent again.
async fn outbox_story(db: TestDb) {
    let (keys, _) = test_keys();
    let first = open(&db, keys.path()).await;
    let second = open(&db, keys.path()).await;
    let queued = ingest_dev_corpus(&first, 120).await;
    assert!(queued >= 20, "{queued} replies queued");
    let (a, b) = tokio::join!(
        first.claim_replies(queued, 60, T0),
        second.claim_replies(queued, 60, T0)
    );
    let (a, b) = (a.unwrap().replies, b.unwrap().replies);
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|r| r.outbox_id).collect();
    let claimed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "no reply claimed twice");
    assert_eq!(claimed as i64, queued, "every reply claimed once");
    // Nothing left to claim while the leases run.
    assert_eq!(
        first.claim_replies(100, 60, T0 + 30).await.unwrap().taken(),
        0
    );
    // The first daemon sends its replies; the second dies. After the lease, the second's
    // replies are claimed again, and only those.
    for reply in &a {
        first.mark_sent(reply, T0 + 1).await.unwrap();
    }
    let again = first.claim_replies(100, 60, T0 + 61).await.unwrap().replies;
    let mut again_ids: Vec<i64> = again.iter().map(|r| r.outbox_id).collect();
    let mut b_ids: Vec<i64> = b.iter().map(|r| r.outbox_id).collect();
    again_ids.sort();
    b_ids.sort();
    assert_eq!(again_ids, b_ids);
    for reply in &again {
        assert!(!reply.content.to.is_empty());
        first.mark_sent(reply, T0 + 62).await.unwrap();
        first.mark_sent(reply, T0 + 63).await.unwrap(); // twice: recorded once
    }
    assert_eq!(
        first
            .claim_replies(100, 60, T0 + 1_000)
            .await
            .unwrap()
            .taken(),
        0
    );
    let sent_events = first
        .audit_events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "reply_sent")
        .count();
    assert_eq!(sent_events as i64, queued);
    first.close().await;
    second.close().await;
}

on_both_databases!(outbox_story, outbox_on_sqlite, outbox_on_postgres);

/// A stored reply that the keyring cannot open (here: damaged bytes) is parked for the clerks,
/// by reference and reason, with an audit event; the rest of its batch is claimed as usual,
/// and the parked reply is never claimed again.
async fn unopenable_reply_story(db: TestDb) {
    let (keys, _) = test_keys();
    let store = open(&db, keys.path()).await;
    let queued = ingest_dev_corpus(&store, 40).await;
    assert!(queued >= 5, "{queued} replies queued");
    // Damage the second queued reply: one byte in the middle of its ciphertext.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url()).await.unwrap();
    let (damaged_id, damaged_reference, mut sealed): (i64, String, Vec<u8>) = {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT o.id, r.reference, o.sealed_reply FROM outbox o \
             JOIN requests r ON r.id = o.request_id \
             WHERE o.sealed_reply IS NOT NULL ORDER BY o.id LIMIT 1 OFFSET 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x55;
    sqlx::query("UPDATE outbox SET sealed_reply = $1 WHERE id = $2")
        .bind(sealed)
        .bind(damaged_id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let claimed = store.claim_replies(100, 60, T0).await.unwrap();
    assert_eq!(claimed.parked, 1);
    assert_eq!(claimed.replies.len() as i64, queued - 1);
    assert_eq!(claimed.taken() as i64, queued);
    assert!(claimed.replies.iter().all(|r| r.outbox_id != damaged_id));
    // Long after every lease: the sendable ones come back, the parked one never does.
    let again = store.claim_replies(100, 60, T0 + 1_000).await.unwrap();
    assert_eq!(again.parked, 0);
    assert_eq!(again.replies.len() as i64, queued - 1);
    assert!(again.replies.iter().all(|r| r.outbox_id != damaged_id));

    let unsent = store.unsent_replies(T0 + 1_000).await.unwrap();
    let parked: Vec<_> = unsent
        .iter()
        .filter(|r| r.state == OutboxState::Parked)
        .collect();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].reference, damaged_reference);
    assert_eq!(parked[0].failure.as_deref(), Some(UNOPENABLE));
    let failed_events: Vec<_> = store
        .audit_events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "reply_failed")
        .collect();
    assert_eq!(failed_events.len(), 1);
    assert_eq!(
        failed_events[0].reference.as_deref(),
        Some(damaged_reference.as_str())
    );
    store.close().await;
}

on_both_databases!(
    unopenable_reply_story,
    unopenable_reply_on_sqlite,
    unopenable_reply_on_postgres
);

/// SQLite records replies handed over in a journal beside the database first. A record
/// outlives the process (the next open settles it into the outbox, and the reply is never
/// claimed again), and a journal entry whose Message-ID does not match its outbox row (a
/// database restored beside a newer journal) marks nothing.
#[tokio::test]
async fn sent_records_outlive_the_process_and_never_mark_another_reply() {
    let db = TestDb::sqlite();
    let (keys, _) = test_keys();
    let store = open(&db, keys.path()).await;
    let queued = ingest_dev_corpus(&store, 40).await;
    let claimed = store.claim_replies(100, 60, T0).await.unwrap().replies;
    assert_eq!(claimed.len() as i64, queued);
    let sent: Vec<&_> = claimed.iter().take(3).collect();
    store.mark_all_sent(&sent, T0 + 1).await.unwrap();
    // An entry for the fourth reply's row, under another Message-ID.
    let other = &claimed[3];
    let journal = db.url().replace("sqlite://", "") + ".sent";
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{journal}?mode=rw"))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO sent (outbox_id, message_id, reference, kind, sent_at) \
         VALUES ($1, 'another-reply', $2, $3, $4)",
    )
    .bind(other.outbox_id)
    .bind(other.reference.as_str())
    .bind(other.kind.as_str())
    .bind(T0 + 1)
    .execute(&pool)
    .await
    .unwrap();
    // The process dies: nothing is closed or settled.
    drop(store);

    let store = open(&db, keys.path()).await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sent")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the journal is settled when the store opens");
    pool.close().await;
    let again = store.claim_replies(100, 60, T0 + 1_000).await.unwrap();
    let again_ids: Vec<i64> = again.replies.iter().map(|r| r.outbox_id).collect();
    assert_eq!(again_ids.len() as i64, queued - 3);
    assert!(sent.iter().all(|r| !again_ids.contains(&r.outbox_id)));
    assert!(
        again_ids.contains(&other.outbox_id),
        "the forged entry marked nothing"
    );
    let sent_events: Vec<_> = store
        .audit_events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "reply_sent")
        .collect();
    assert_eq!(sent_events.len(), 3);
    assert!(sent_events.iter().all(|e| e.at == T0 + 1));
    store.close().await;
}
