//! The clerks' exception queue as a clerk uses it over SSH: every kind of review reason in the
//! dev corpus is resolved each way (queued after corrections, returned to the citizen with a
//! reply, rejected with a notice), the notices reach the outbox in the citizen's language, a
//! correction is checked as strictly as extraction, and the audit trail names the clerk.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::cli::{json_lines, ok, output_with_input};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(work: &Path, user: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
    c.current_dir(work)
        .env_remove("DATAREQ_DATABASE_URL")
        .env("USER", user)
        .arg("--config")
        .arg(root().join("config/datareq.example.toml"))
        .args(args);
    c
}

fn datareq(work: &Path, user: &str, args: &[&str]) -> Output {
    command(work, user, args).output().unwrap()
}

fn state_of(work: &Path, reference: &str) -> String {
    let found = ok(datareq(
        work,
        "tester",
        &["requests", "find", "--ref", reference, "--json"],
    ));
    json_lines(&found)[0]["state"].as_str().unwrap().to_string()
}

fn show(work: &Path, reference: &str) -> serde_json::Value {
    serde_json::from_str(&ok(datareq(
        work,
        "tester",
        &["requests", "show", reference, "--json"],
    )))
    .unwrap()
}

/// A valid value for each field a clerk may have to supply.
fn supplied(field: &str) -> &'static str {
    match field {
        "surname" => "surname=Testinen",
        "first_names" => "first_names=Testi Tapio",
        "personal_id" => "personal_id=131052-308T",
        "requested_information" => "requested_information=kaikki tiedot",
        "service_provider" => "service_provider=Vastaamo",
        "treatment_years" => "treatment_years=2016-2017",
        "phone" => "phone=040 123 4567",
        "address" => "address=Testikatu 1 A 2, 00100 Helsinki",
        other => panic!("no test value for {other}"),
    }
}

#[test]
fn every_review_reason_is_resolved_each_way_and_audited() {
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let files = support::cli::dev_corpus_files();
    let mut args = vec!["ingest", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    ok(datareq(work, "tester", &args));

    let queue = json_lines(&ok(datareq(
        work,
        "clerk-anna",
        &["review", "list", "--json"],
    )));
    assert!(
        queue.len() >= 40,
        "the corpus sends requests to review: {}",
        queue.len()
    );
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in &queue {
        assert_eq!(item["state"], "needs_review");
        assert!(item["age_days"].is_i64() && item["due_at"].is_i64());
        for reason in item["reasons"].as_array().unwrap() {
            by_reason
                .entry(reason.as_str().unwrap().to_string())
                .or_default()
                .push(item["reference"].as_str().unwrap().to_string());
        }
    }
    for reason in [
        "on_behalf_of_another_person",
        "no_request_found",
        "conflicting_personal_ids",
        "deceased_person",
    ] {
        assert!(by_reason.contains_key(reason), "{reason} in {by_reason:?}");
    }

    let mut used = BTreeSet::new();
    for (reason, references) in &by_reason {
        let mut fresh = references.iter().filter(|r| !used.contains(*r));
        let (Some(to_queue), Some(to_reply), Some(to_reject)) = (
            fresh.next().cloned(),
            fresh.next().cloned(),
            fresh.next().cloned(),
        ) else {
            // Fewer than three requests with this reason alone (a clerk reason such as a
            // possible duplicate): those were resolved under other reasons.
            continue;
        };
        used.extend([to_queue.clone(), to_reply.clone(), to_reject.clone()]);

        // Queued: refused while something is missing or invalid, then corrected and queued.
        let shown = show(work, &to_queue);
        let mut lacking: Vec<String> = shown["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        lacking.extend(
            shown["invalid"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["field"].as_str().unwrap().to_string()),
        );
        if !lacking.is_empty() {
            let refused = datareq(
                work,
                "clerk-anna",
                &["review", "resolve", &to_queue, "--queue"],
            );
            assert_eq!(
                refused.status.code(),
                Some(1),
                "{reason}: queued while lacking {lacking:?}"
            );
            assert_eq!(state_of(work, &to_queue), "needs_review");
            let bad = datareq(
                work,
                "clerk-anna",
                &[
                    "review",
                    "edit",
                    &to_queue,
                    "--set",
                    "personal_id=131052-308U",
                ],
            );
            assert_eq!(
                bad.status.code(),
                Some(1),
                "an invalid identity code is refused"
            );
            assert!(!String::from_utf8_lossy(&bad.stderr).contains("131052"));
            // The identity code from stdin (out of the process list), the rest as arguments.
            let mut edit = vec!["review", "edit", to_queue.as_str()];
            let mut input = String::new();
            for field in &lacking {
                if field == "personal_id" {
                    edit.extend(["--set", "personal_id=-"]);
                    input.push_str("131052-308T\n");
                } else {
                    edit.extend(["--set", supplied(field)]);
                }
            }
            let edited = ok(output_with_input(
                command(work, "clerk-anna", &edit),
                &input,
            ));
            assert!(edited.contains("nothing missing"), "{reason}: {edited}");
        }
        ok(datareq(
            work,
            "clerk-anna",
            &["review", "resolve", &to_queue, "--queue"],
        ));
        assert_eq!(state_of(work, &to_queue), "queued", "{reason}");

        // Back to the citizen: the list of what is missing when something is, else the
        // clerk's words.
        let missing_something = !show(work, &to_reply)["missing"]
            .as_array()
            .unwrap()
            .is_empty();
        let reply: Vec<&str> = if missing_something {
            vec![
                "review",
                "resolve",
                &to_reply,
                "--reply",
                "--template",
                "missing_fields",
            ]
        } else {
            vec![
                "review",
                "resolve",
                &to_reply,
                "--reply",
                "--text",
                "Please confirm by return mail that you make this request yourself.",
            ]
        };
        ok(datareq(work, "clerk-bertil", &reply));
        assert_eq!(state_of(work, &to_reply), "incomplete", "{reason}");

        // Rejected, with the reason to the citizen.
        ok(datareq(
            work,
            "clerk-bertil",
            &[
                "review",
                "resolve",
                &to_reject,
                "--reject",
                "--note",
                "Only the client may ask for these records.",
            ],
        ));
        assert_eq!(state_of(work, &to_reject), "rejected", "{reason}");
        let again = datareq(
            work,
            "clerk-bertil",
            &["review", "resolve", &to_reject, "--queue"],
        );
        assert_eq!(
            again.status.code(),
            Some(1),
            "a closed request stays closed"
        );

        // Who did what.
        for (reference, clerk, resolution) in [
            (&to_queue, "os:clerk-anna", "resolution=queue"),
            (&to_reject, "os:clerk-bertil", "resolution=reject"),
        ] {
            let history = show(work, reference)["history"].clone();
            let resolved = history
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["action"] == "review_resolved")
                .unwrap_or_else(|| panic!("{reference}: {history}"));
            assert_eq!(resolved["actor"], clerk);
            assert_eq!(resolved["detail"], resolution);
        }
    }
    assert!(used.len() >= 12, "four reasons, three ways: {}", used.len());

    // A clerk's words that would reveal the care are refused; nothing changes.
    let left = json_lines(&ok(datareq(
        work,
        "clerk-anna",
        &["review", "list", "--json"],
    )));
    let some = left[0]["reference"].as_str().unwrap();
    let revealing = datareq(
        work,
        "clerk-anna",
        &[
            "review",
            "resolve",
            some,
            "--reply",
            "--text",
            "About your psychotherapy records",
        ],
    );
    assert_eq!(revealing.status.code(), Some(1));
    assert_eq!(state_of(work, some), "needs_review");

    // The clerk's view: the message as inert plain text, and the read is audited.
    let view = ok(datareq(work, "clerk-anna", &["review", "show", some]));
    assert!(view.contains("--- message 1 of"), "{view}");
    assert!(
        !view.contains('\u{1b}'),
        "no terminal escapes reach the clerk's screen"
    );
    let history = show(work, some)["history"].to_string();
    assert!(
        history.contains("\"actor\":\"os:clerk-anna\"") && history.contains("messages"),
        "{history}"
    );

    // The notices go out in the citizen's language through the outbox.
    let outbox = json_lines(&ok(datareq(work, "tester", &["outbox", "list", "--json"])));
    let kinds: BTreeSet<&str> = outbox.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for kind in ["rejection", "clerk_reply", "missing_fields"] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    std::fs::create_dir_all(work.join("var/inbox/new")).unwrap();
    ok(datareq(work, "tester", &["run", "--once"]));
    let mut rejections = 0;
    for entry in std::fs::read_dir(work.join("var/outbox")).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&raw).to_lowercase();
        if text.contains("only the client may ask") {
            rejections += 1;
            assert!(
                text.contains("tietosuoja.fi"),
                "the right to complain: {text}"
            );
        }
        for word in ["vastaamo", "terap", "therap", "psyk"] {
            assert!(!text.contains(word), "{word} in a notice: {text}");
        }
    }
    // A notice to a mail system (a bounce that went to review) is parked, never sent.
    let queued_rejections = outbox.iter().filter(|r| r["kind"] == "rejection").count();
    let parked = json_lines(&ok(datareq(work, "tester", &["outbox", "list", "--json"])))
        .iter()
        .filter(|r| r["kind"] == "rejection")
        .inspect(|r| assert_eq!(r["state"]["state"], "parked", "{r}"))
        .count();
    assert!(queued_rejections >= 4);
    assert_eq!(
        rejections + parked,
        queued_rejections,
        "every rejection notice was sent or parked"
    );
    ok(datareq(work, "tester", &["audit", "verify"]));

    // One screen for people: the counts agree with the list, the oldest in review is the
    // first received of those in review, and the daemon's run was recorded.
    let before_run = serde_json::from_str::<serde_json::Value>(&ok(datareq(
        work,
        "tester",
        &["status", "--json"],
    )))
    .unwrap();
    let listed = json_lines(&ok(datareq(
        work,
        "tester",
        &["requests", "list", "--json"],
    )));
    for state in ["needs_review", "queued", "incomplete", "rejected"] {
        let n = listed.iter().filter(|r| r["state"] == state).count() as u64;
        assert_eq!(
            before_run["states"][state].as_u64().unwrap_or(0),
            n,
            "{state}"
        );
    }
    let first_in_review = listed
        .iter()
        .filter(|r| r["state"] == "needs_review")
        .min_by_key(|r| {
            (
                r["received_at"].as_i64(),
                r["reference"].as_str().map(str::to_string),
            )
        })
        .unwrap();
    assert_eq!(
        before_run["oldest"]["needs_review"]["reference"],
        first_in_review["reference"]
    );
    assert!(before_run["mailbox_checked_at"].is_i64(), "{before_run}");
    assert!(before_run["outbox"]["parked"].as_u64().unwrap() >= 1);
    let screen = ok(datareq(work, "tester", &["status"]));
    assert!(
        screen.contains("Oldest waiting") && screen.contains("last read"),
        "{screen}"
    );
}
