//! The store commands as an operator uses them: self-contained under ./var/ with the example
//! configuration, idempotent, audited reads, refusals that say what to do.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_config() -> PathBuf {
    root().join("config/datareq.example.toml")
}

fn datareq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datareq"))
        .current_dir(dir)
        .env_remove("DATAREQ_DATABASE_URL")
        .env_remove("DATAREQ_KEYS_PASSPHRASE")
        .env("USER", "tester")
        // Documents are read in worker processes of this same binary.
        .args(args)
        .output()
        .expect("datareq runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".eml"))
        .collect();
    files.sort();
    files
}

/// `--config CONFIG ingest FILE…`
fn ingest_args<'a>(config: &'a str, files: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["--config", config, "ingest"];
    args.extend(files.iter().map(String::as_str));
    args
}

fn entries(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        all.push(
            path.strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
        if path.is_dir() {
            for inner in entries(&path) {
                all.push(format!(
                    "{}/{inner}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn the_example_configuration_keeps_everything_under_var() {
    let work = tempfile::tempdir().unwrap();
    let config = example_config();
    let config = config.to_str().unwrap();
    let files = examples();
    let args = ingest_args(config, &files);
    let first = datareq(work.path(), &args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stdout(&first).lines().count(), files.len());
    assert!(stderr(&first).contains("generated new storage keys"));
    // Only var/ appeared: the database and the keys, all private.
    let created = entries(work.path());
    assert!(created.iter().all(|p| p.starts_with("var")), "{created:?}");
    assert!(created.contains(&"var/datareq.sqlite".to_string()));
    assert!(created.contains(&"var/keys/hmac.key".to_string()));
    for path in ["var", "var/keys", "var/keys/hmac.key", "var/datareq.sqlite"] {
        let mode = std::fs::metadata(work.path().join(path))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{path} is private");
    }

    // Again: nothing new.
    let again = datareq(work.path(), &args);
    assert!(again.status.success());
    assert_eq!(
        stdout(&again).matches("already stored").count(),
        files.len(),
        "{}",
        stdout(&again)
    );

    let list = datareq(
        work.path(),
        &["--config", config, "requests", "list", "--json"],
    );
    let lines: Vec<serde_json::Value> = stdout(&list)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len());
    assert!(
        lines.iter().all(|l| l.get("fields").is_none()),
        "lists show nothing personal"
    );

    let first_reference = lines[0]["reference"].as_str().unwrap().to_string();
    let show = datareq(
        work.path(),
        &[
            "--config",
            config,
            "requests",
            "show",
            &first_reference,
            "--json",
        ],
    );
    assert!(show.status.success(), "{}", stderr(&show));
    let shown: serde_json::Value = serde_json::from_str(stdout(&show).trim()).unwrap();
    assert!(shown["fields"]["personal_id"].is_string());
    let verify = datareq(work.path(), &["--config", config, "audit", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    let last = last_audit_event(&work.path().join("var/datareq.sqlite"));
    assert_eq!(last, ("os:tester".to_string(), "read".to_string()));

    let bad = datareq(
        work.path(),
        &["--config", config, "requests", "show", "DR-26-1"],
    );
    assert_eq!(bad.status.code(), Some(2));
    let absent = first_reference.replace("000001", "000999");
    let missing = datareq(
        work.path(),
        &["--config", config, "requests", "show", &absent],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains(&format!("no request {absent}")));
    let dry = datareq(work.path(), &["--config", config, "purge", "--dry-run"]);
    assert!(dry.status.success() && stderr(&dry).contains("0 would be purged"));
    let head = datareq(work.path(), &["--config", config, "audit", "head"]);
    let maintain = datareq(work.path(), &["--config", config, "maintain"]);
    assert!(maintain.status.success(), "{}", stderr(&maintain));
    assert!(stdout(&maintain).contains("expired 0, purged 0"));
    assert!(
        stdout(&maintain).contains(&format!("audit head {}", stdout(&head).trim())),
        "{}",
        stdout(&maintain)
    );
}

fn last_audit_event(db: &Path) -> (String, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let row = sqlx::query("SELECT actor, action FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (row.get(0), row.get(1))
    })
}

#[test]
fn production_settings_refuse_missing_or_exposed_keys() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("prod.toml");
    std::fs::write(
        &config,
        "[store]\ndatabase = \"sqlite://state/db.sqlite\"\nkeys_dir = \"keys\"\n\
         generate_missing_keys = false\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let example = examples()[0].clone();
    let refused = datareq(work.path(), &["--config", config, "ingest", &example]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("keys generate"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !work.path().join("state").exists(),
        "no database without keys"
    );

    let generated = datareq(work.path(), &["--config", config, "keys", "generate"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let stored = datareq(work.path(), &["--config", config, "ingest", &example]);
    assert!(stored.status.success(), "{}", stderr(&stored));
    assert!(work.path().join("state/db.sqlite").exists());

    let hmac = work.path().join("keys/hmac.key");
    std::fs::set_permissions(&hmac, std::fs::Permissions::from_mode(0o644)).unwrap();
    let exposed = datareq(work.path(), &["--config", config, "requests", "list"]);
    assert_eq!(exposed.status.code(), Some(1));
    assert!(stderr(&exposed).contains("readable by group or others"));
}

#[test]
fn the_environment_chooses_the_database_and_a_bad_url_creates_nothing() {
    let work = tempfile::tempdir().unwrap();
    let config = example_config();
    let config = config.to_str().unwrap();
    let example = examples()[0].clone();
    let elsewhere = work.path().join("elsewhere/db.sqlite");
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_datareq"))
            .current_dir(work.path())
            .env("DATAREQ_DATABASE_URL", url)
            .args(["--config", config, "ingest", &example])
            .output()
            .unwrap()
    };
    let ok = run(&format!("sqlite://{}", elsewhere.display()));
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(elsewhere.exists());
    assert!(!work.path().join("var/datareq.sqlite").exists());
    for bad in ["mysql://db/x", "sqlite::memory:", "db.sqlite"] {
        let refused = run(bad);
        assert_eq!(refused.status.code(), Some(1), "{bad}");
        assert!(
            stderr(&refused).contains("DATAREQ_DATABASE_URL"),
            "{}",
            stderr(&refused)
        );
    }
    let mut seen = entries(work.path());
    seen.retain(|p| !p.starts_with("var") && !p.starts_with("elsewhere"));
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn a_key_backup_restores_access() {
    let work = tempfile::tempdir().unwrap();
    let config = example_config();
    let config = config.to_str().unwrap();
    let example = examples()[0].clone();
    assert!(
        datareq(work.path(), &["--config", config, "ingest", &example])
            .status
            .success()
    );
    let pass = work.path().join("pass");
    std::fs::write(&pass, "a long and private passphrase\n").unwrap();
    let pass = pass.to_str().unwrap();
    let export = datareq(
        work.path(),
        &[
            "--config",
            config,
            "keys",
            "export",
            "--out",
            "backup.asc",
            "--passphrase-file",
            pass,
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let mode = std::fs::metadata(work.path().join("backup.asc"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // The keys are lost; the backup brings them back.
    std::fs::remove_dir_all(work.path().join("var/keys")).unwrap();
    let import = datareq(
        work.path(),
        &[
            "--config",
            config,
            "keys",
            "import",
            "--from",
            "backup.asc",
            "--passphrase-file",
            pass,
        ],
    );
    assert!(import.status.success(), "{}", stderr(&import));
    let list = datareq(work.path(), &["--config", config, "requests", "list"]);
    let reference = stdout(&list).split_whitespace().next().unwrap().to_string();
    let show = datareq(
        work.path(),
        &["--config", config, "requests", "show", &reference],
    );
    assert!(show.status.success(), "{}", stderr(&show));
}

/// Runs `datareq` with the example configuration and `stdin` as its input.
fn datareq_with_input(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_datareq"));
    command
        .current_dir(dir)
        .env_remove("DATAREQ_DATABASE_URL")
        .env("USER", "clerk-on-the-phone")
        .arg("--config")
        .arg(example_config())
        .args(args);
    support::cli::output_with_input(command, stdin)
}

#[test]
fn a_citizen_on_the_phone_is_found_by_identity_code_and_can_withdraw() {
    let work = tempfile::tempdir().unwrap();
    let config = example_config();
    let config = config.to_str().unwrap();
    let files = examples();
    let args = ingest_args(config, &files);
    assert!(datareq(work.path(), &args).status.success());
    let listed: Vec<serde_json::Value> = stdout(&datareq(
        work.path(),
        &["--config", config, "requests", "list", "--json"],
    ))
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    // A request with a valid identity code, and its code.
    let (reference, code) = listed
        .iter()
        .find_map(|r| {
            let reference = r["reference"].as_str().unwrap();
            let shown: serde_json::Value = serde_json::from_str(&stdout(&datareq(
                work.path(),
                &["--config", config, "requests", "show", reference, "--json"],
            )))
            .unwrap();
            let code = shown["fields"]["personal_id"].as_str()?.to_string();
            let invalid = shown["invalid"].as_array().unwrap();
            invalid.is_empty().then(|| (reference.to_string(), code))
        })
        .expect("an example with a valid identity code");

    let by_code = datareq_with_input(
        work.path(),
        &["requests", "find", "--personal-id", "-"],
        &format!("{}\n", code.to_lowercase()),
    );
    assert!(by_code.status.success(), "{}", stderr(&by_code));
    assert!(
        stdout(&by_code).contains(&reference),
        "{}",
        stdout(&by_code)
    );
    let by_ref = datareq(
        work.path(),
        &["--config", config, "requests", "find", "--ref", &reference],
    );
    assert!(stdout(&by_ref).starts_with(&reference));
    // A code that fails its checksum is refused without being repeated.
    let mut wrong = code.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    let refused = datareq_with_input(
        work.path(),
        &["requests", "find", "--personal-id", "-"],
        &wrong,
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(!stderr(&refused).contains(&wrong));
    // The searches are audited; the code itself is nowhere in the database.
    let mut db = Vec::new();
    for entry in std::fs::read_dir(work.path().join("var")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            db.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(!db.windows(code.len()).any(|w| w == code.as_bytes()));
    let verify = datareq(work.path(), &["--config", config, "audit", "verify"]);
    assert!(verify.status.success());
    let shown = stdout(&datareq(
        work.path(),
        &["--config", config, "requests", "show", &reference, "--json"],
    ));
    assert!(
        shown.contains("\"action\":\"search\"") && shown.contains("by=reference"),
        "the search by reference is in the request's history: {shown}"
    );

    // Withdrawn, once; a closed request cannot be withdrawn again.
    let withdrawn = datareq(
        work.path(),
        &["--config", config, "requests", "withdraw", &reference],
    );
    assert!(withdrawn.status.success(), "{}", stderr(&withdrawn));
    assert!(stdout(&withdrawn).contains("withdrawn"));
    let again = datareq(
        work.path(),
        &["--config", config, "requests", "withdraw", &reference],
    );
    assert_eq!(again.status.code(), Some(1));
    let state = stdout(&datareq(
        work.path(),
        &[
            "--config", config, "requests", "find", "--ref", &reference, "--json",
        ],
    ));
    assert!(state.contains("\"state\":\"withdrawn\""), "{state}");
}
