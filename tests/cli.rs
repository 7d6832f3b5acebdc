//! Proves the `datareq` binary's command-line contract, run as a user runs it: `parse --json`
//! prints one JSON object per readable file, in argument order, with exactly the contract's keys
//! in the contract's order; unreadable files are named on stderr (without message content) and
//! make the exit status non-zero without stopping the rest; thousands of arguments work;
//! `--config` works before and after the subcommand and changes what is required; `check-config`
//! names every problem with its line; the human summary shows the file and status without ANSI
//! codes on a pipe; and nothing personal reaches stderr, even with `DATAREQ_LOG=trace`.

mod support;

use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

const TOP_KEYS: [&str; 11] = [
    "file",
    "message_id",
    "language",
    "source",
    "fields",
    "missing",
    "invalid",
    "review_reasons",
    "status",
    "auto_submitted",
    "follow_up",
];

/// The contract's `fields` keys, in order.
const FIELD_KEYS: [&str; 10] = support::fixture_set::FIELDS;

/// The personal data of dev message 0006 (a complete request in English): none of it may ever
/// appear on stderr.
const MSG_0006_PERSONAL: [&str; 8] = [
    "130987-176S",
    "130987",
    "Petrov",
    "Chiara",
    "044-2796929",
    "+358442796929",
    "2796929",
    "Rantatie",
];

/// JSON that remembers the order of object keys (serde_json's `Value` sorts them).
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("expected a JSON object, found {}", other.kind()),
        }
    }

    fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Object(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key {key:?}")),
            other => panic!("expected a JSON object, found {}", other.kind()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Ordered::String(s) => s,
            other => panic!("expected a string, found {}", other.kind()),
        }
    }

    fn string_list(&self) -> Vec<String> {
        match self {
            Ordered::Array(items) => items.iter().map(|i| i.as_str().to_string()).collect(),
            other => panic!("expected an array, found {}", other.kind()),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Ordered::Null => "null",
            Ordered::Bool(_) => "a boolean",
            Ordered::Number(_) => "a number",
            Ordered::String(_) => "a string",
            Ordered::Array(_) => "an array",
            Ordered::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_none<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
                    entries.push((k, v));
                }
                Ok(Ordered::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The dev corpus, which these tests require (in CI and locally alike).
fn dev_corpus() -> PathBuf {
    let dir = manifest_dir().join("../shared/corpus/dev");
    if !dir.is_dir() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        panic!(
            "the dev corpus is required but {} is missing{}",
            dir.display(),
            if ci {
                " (CI=true: copy ../shared next to the clone)"
            } else {
                ""
            }
        );
    }
    dir
}

/// A corpus file as a path relative to the manifest directory (the tests run the binary there),
/// so that "the path as given" is not an absolute, canonical path.
fn dev_file(name: &str) -> String {
    let path = dev_corpus().join(name);
    assert!(path.is_file(), "dev corpus file {name} is missing");
    format!("../shared/corpus/dev/{name}")
}

/// The binary, in the manifest directory, with the environment that changes its output cleared.
fn datareq() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_datareq"));
    cmd.current_dir(manifest_dir())
        .env_remove("DATAREQ_LOG")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the datareq binary runs")
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Parses JSON Lines, checking that every line is one complete object.
fn json_lines(stdout: &str) -> Vec<Ordered> {
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "stdout does not end with a newline"
    );
    stdout
        .lines()
        .enumerate()
        .map(|(n, line)| {
            assert!(
                line.starts_with('{') && line.ends_with('}'),
                "line {} is not one JSON object on one line",
                n + 1
            );
            serde_json::from_str::<Ordered>(line)
                .unwrap_or_else(|e| panic!("line {} is not JSON: {e}", n + 1))
        })
        .collect()
}

fn assert_contract_shape(obj: &Ordered) {
    assert_eq!(obj.keys(), TOP_KEYS, "top-level keys or their order");
    let fields = obj.get("fields");
    assert_eq!(fields.keys(), FIELD_KEYS, "fields keys or their order");
    assert!(
        ["complete", "incomplete", "needs_review"].contains(&obj.get("status").as_str()),
        "status {:?}",
        obj.get("status")
    );
    assert!(["fi", "sv", "en"].contains(&obj.get("language").as_str()));
    assert!(["free_text", "text_form", "pdf_form"].contains(&obj.get("source").as_str()));
    assert!(matches!(obj.get("auto_submitted"), Ordered::Bool(_)));
    assert!(matches!(obj.get("follow_up"), Ordered::Bool(_)));
    for list in ["missing", "invalid", "review_reasons"] {
        assert!(matches!(obj.get(list), Ordered::Array(_)), "{list}");
    }
    for list in ["former_names", "treatment_years"] {
        assert!(matches!(fields.get(list), Ordered::Array(_)), "{list}");
    }
    for field in FIELD_KEYS {
        assert_ne!(
            fields.get(field),
            &Ordered::String(String::new()),
            "{field} is an empty string instead of null"
        );
    }
}

/// The command succeeded; otherwise the failure shows its exit status and stderr.
fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr_of(out)
    );
}

fn assert_no_personal_data(stderr: &str, what: &str) {
    for secret in MSG_0006_PERSONAL {
        assert!(
            !stderr.contains(secret),
            "{what}: stderr shows personal data of the message ({} bytes of stderr)",
            stderr.len()
        );
    }
}

#[test]
fn parse_json_prints_the_contract_keys_in_order_and_in_argument_order() {
    // Not sorted: the output must follow the arguments, not the file names.
    let files = [
        dev_file("0006.eml"),
        dev_file("0002.eml"),
        dev_file("0004.eml"),
    ];
    let out = run(datareq().args(["parse", "--json"]).args(&files));
    assert_success(&out);
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().count(), 3, "one line per file");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 3);
    for (obj, file) in lines.iter().zip(&files) {
        assert_contract_shape(obj);
        assert_eq!(obj.get("file").as_str(), file, "file is the path as given");
    }
    // Each line belongs to its own message (not one message repeated).
    let ids: Vec<&str> = lines.iter().map(|o| o.get("message_id").as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    let expected_0006: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dev_corpus().join("0006.expected.json")).expect("expected"),
    )
    .expect("expected JSON");
    assert_eq!(ids[0], expected_0006["message_id"].as_str().expect("id"));
}

#[test]
fn unreadable_files_are_named_on_stderr_and_the_rest_are_parsed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-message.eml");
    let directory = dir.path().join("a-directory.eml");
    std::fs::create_dir(&directory).expect("mkdir");
    let missing = missing.to_str().expect("UTF-8 path").to_string();
    let directory = directory.to_str().expect("UTF-8 path").to_string();
    let good = [
        dev_file("0006.eml"),
        dev_file("0001.eml"),
        dev_file("0013.eml"),
    ];
    let args = [
        good[0].clone(),
        missing.clone(),
        good[1].clone(),
        directory.clone(),
        good[2].clone(),
    ];
    let out = run(datareq().args(["parse", "--json"]).args(&args));
    assert!(!out.status.success(), "exit status must be non-zero");
    let lines = json_lines(&stdout_of(&out));
    let files: Vec<&str> = lines.iter().map(|o| o.get("file").as_str()).collect();
    assert_eq!(files, good.iter().map(String::as_str).collect::<Vec<_>>());
    for obj in &lines {
        assert_contract_shape(obj);
    }

    let stderr = stderr_of(&out);
    let err_lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        err_lines.len(),
        2,
        "one stderr line per unreadable file, got {} lines",
        err_lines.len()
    );
    assert!(err_lines[0].contains(&missing), "{:?}", err_lines[0]);
    assert!(!err_lines[0].contains(&directory));
    assert!(err_lines[1].contains(&directory), "{:?}", err_lines[1]);
    assert!(!err_lines[1].contains(&missing));
    for line in &err_lines {
        assert!(
            !good.iter().any(|g| line.contains(g.as_str())),
            "a readable file is reported as an error: {line:?}"
        );
    }
    assert_no_personal_data(&stderr, "unreadable files");
    // Nor any other content of the readable messages: subject, sender, message ids.
    for content in [
        "Data request",
        "petrov.chiara",
        "VI12PR03MB41790F5636AF65846D57C15C1028",
        "Urheilukatu",
        "Kouvola",
    ] {
        assert!(!stderr.contains(content), "stderr shows message content");
    }
}

/// Thousands of arguments in one call (far below ARG_MAX, far above what a shell glob of one
/// mailbox folder gives): every file read, every line in order, no descriptor leak, exit 0.
#[test]
fn three_thousand_file_arguments_in_one_call() {
    const N: usize = 3000;
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = ["0006.eml", "0001.eml", "0004.eml", "0002.eml"].map(|n| {
        dev_corpus()
            .join(n)
            .canonicalize()
            .expect("corpus file exists")
    });
    let mut args = Vec::with_capacity(N);
    for i in 0..N {
        let link = dir.path().join(format!("m{i:04}.eml"));
        let source = &sources[i % sources.len()];
        if i % 2 == 0 {
            std::os::unix::fs::symlink(source, &link).expect("symlink");
        } else {
            std::fs::copy(source, &link).expect("copy");
        }
        args.push(link.to_str().expect("UTF-8 path").to_string());
    }
    // Under a descriptor limit far below N, so a file left open per message would fail.
    let mut limited = Command::new("sh");
    limited
        .current_dir(manifest_dir())
        .env_remove("DATAREQ_LOG")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_datareq"))
        .args(["parse", "--json"])
        .args(&args);
    let out = run(&mut limited);
    assert_success(&out);
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().count(), N);
    for (n, (line, arg)) in stdout.lines().zip(&args).enumerate() {
        let obj: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        assert_eq!(obj["file"].as_str(), Some(arg.as_str()), "line {}", n + 1);
    }
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
}

fn missing_of(out: &Output) -> Vec<String> {
    assert_success(out);
    let lines = json_lines(&stdout_of(out));
    assert_eq!(lines.len(), 1);
    assert_contract_shape(&lines[0]);
    lines[0].get("missing").string_list()
}

#[test]
fn config_before_and_after_the_subcommand_changes_what_is_required() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("datareq.toml");
    std::fs::write(&config, "[request]\nrequired = [\"personal_id\"]\n").expect("write");
    let config = config.to_str().expect("UTF-8 path").to_string();
    // 0001: a follow-up giving only a phone number and an address.
    let message = dev_file("0001.eml");

    let default = missing_of(&run(datareq().args(["parse", "--json", &message])));
    assert!(default.len() > 1, "default requires more: {default:?}");
    assert!(default.contains(&"personal_id".to_string()));
    assert!(default.contains(&"surname".to_string()));

    let before = missing_of(&run(
        datareq().args(["--config", &config, "parse", "--json", &message])
    ));
    assert_eq!(before, ["personal_id"], "--config before the subcommand");

    let after = missing_of(&run(
        datareq().args(["parse", "--json", &message, "--config", &config])
    ));
    assert_eq!(after, ["personal_id"], "--config after the subcommand");

    let between = missing_of(&run(
        datareq().args(["parse", "--config", &config, "--json", &message])
    ));
    assert_eq!(between, ["personal_id"], "--config inside the subcommand");

    // A configuration that cannot be read stops `parse` with a non-zero status.
    let absent = dir.path().join("absent.toml");
    let out = run(datareq()
        .args(["--config"])
        .arg(&absent)
        .args(["parse", "--json", &message]));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no output with a broken config");
    assert!(stderr_of(&out).contains("absent.toml"));
}

#[test]
fn check_config_names_every_problem_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "logging = true\n[request]\nrequired = [\n  \"surname\",\n  \"shoe_size\",\n]\n",
    )
    .expect("write");
    let path = config.to_str().expect("UTF-8 path").to_string();
    for args in [
        vec!["--config", path.as_str(), "check-config"],
        vec!["check-config", "--config", path.as_str()],
    ] {
        let out = run(datareq().args(&args));
        assert!(!out.status.success(), "{args:?}: a bad file must fail");
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains(&format!("{path}:1: logging")),
            "{args:?}: unknown key not named with its line:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("{path}:5: request.required[1]")),
            "{args:?}: bad required field not named with its line:\n{stderr}"
        );
        // Values from the file are never repeated (a configuration may hold secrets).
        assert!(!stderr.contains("shoe_size"), "{stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }

    let example = "config/datareq.example.toml";
    assert!(manifest_dir().join(example).is_file());
    for args in [
        vec!["--config", example, "check-config"],
        vec!["check-config", "--config", example],
    ] {
        let out = run(datareq().args(&args));
        assert!(
            out.status.success(),
            "{args:?}: exit {:?}: {}",
            out.status,
            stderr_of(&out)
        );
        let stdout = stdout_of(&out);
        assert!(
            stdout.contains(example) && stdout.contains("ok"),
            "{stdout}"
        );
        assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    }
}

#[test]
fn summary_shows_file_and_status_without_ansi_codes_on_a_pipe() {
    let files = [
        dev_file("0006.eml"),
        dev_file("0001.eml"),
        dev_file("0004.eml"),
    ];
    let json = run(datareq().args(["parse", "--json"]).args(&files));
    assert!(json.status.success());
    let statuses: Vec<String> = json_lines(&stdout_of(&json))
        .iter()
        .map(|o| o.get("status").as_str().to_string())
        .collect();
    assert_eq!(statuses.len(), 3);

    let out = run(datareq().arg("parse").args(&files));
    assert_success(&out);
    let stdout = stdout_of(&out);
    assert!(!stdout.contains('\x1b'), "ANSI escape codes on a pipe");
    assert!(!stdout.trim_start().starts_with('{'), "summary is not JSON");
    for (file, status) in files.iter().zip(&statuses) {
        let word = match status.as_str() {
            "complete" => "complete",
            "incomplete" => "incomplete",
            "needs_review" => "needs review",
            other => panic!("unknown status {other}"),
        };
        let heading = stdout
            .lines()
            .find(|l| l.contains(file.as_str()))
            .unwrap_or_else(|| panic!("the summary does not name {file}"));
        // "incomplete" contains "complete": compare the word after the file name exactly.
        let after = heading[heading.find(file.as_str()).expect("found") + file.len()..]
            .trim_start_matches(':')
            .trim();
        assert_eq!(after, word, "status of {file} in {heading:?}");
    }
    // A different status for at least two of the three, so the check above is not trivial.
    assert!(
        statuses[0] != statuses[1] || statuses[1] != statuses[2],
        "{statuses:?}"
    );
}

#[test]
fn parse_json_writes_nothing_personal_to_stderr() {
    let message = dev_file("0006.eml");
    let text = std::fs::read_to_string(manifest_dir().join(&message)).expect("read");
    // The test is only meaningful when the message holds the data we look for.
    for secret in ["130987-176S", "Petrov", "Chiara", "044-2796929", "Rantatie"] {
        assert!(text.contains(secret), "fixture changed");
    }

    let out = run(datareq().args(["parse", "--json", &message]));
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "stderr is not empty at the default log level ({} bytes)",
        out.stderr.len()
    );
    // The data is on stdout, where it belongs (so the parse did find it).
    let stdout = stdout_of(&out);
    assert!(stdout.contains("130987-176S"));

    for level in ["trace", "datareq=trace", "debug"] {
        let out = run(datareq()
            .env("DATAREQ_LOG", level)
            .args(["parse", "--json", &message]));
        assert!(out.status.success(), "DATAREQ_LOG={level}");
        assert_eq!(
            stdout_of(&out),
            stdout,
            "DATAREQ_LOG={level} changes stdout"
        );
        assert_no_personal_data(&stderr_of(&out), level);
        // Nor the subject or the sender's address.
        let stderr = stderr_of(&out);
        assert!(!stderr.contains("petrov.chiara"), "DATAREQ_LOG={level}");
    }

    // The summary is for a clerk's terminal: personal data on stdout, still none on stderr.
    let out = run(datareq()
        .env("DATAREQ_LOG", "trace")
        .args(["parse", &message]));
    assert!(out.status.success());
    assert_no_personal_data(&stderr_of(&out), "summary at trace");
}

#[test]
fn paths_are_reported_as_given_not_canonicalised() {
    // The same file three ways: relative with `..`, with `./`, and absolute.
    let relative = dev_file("0004.eml");
    let dotted = format!("./{relative}");
    let absolute = manifest_dir()
        .join(&relative)
        .to_str()
        .expect("UTF-8 path")
        .to_string();
    let out = run(datareq().args(["parse", "--json", &dotted, &absolute, &relative]));
    assert!(out.status.success());
    let files: Vec<String> = json_lines(&stdout_of(&out))
        .iter()
        .map(|o| o.get("file").as_str().to_string())
        .collect();
    assert_eq!(files, [dotted, absolute, relative]);
}

#[test]
fn pdf_forms_are_read_by_the_worker_and_their_data_never_reaches_stderr() {
    // Fixture 001: a fillable PDF (reportlab, filled in with pypdf); 024: a locked PDF beside a
    // whole request; 019: a scan.
    let files = [
        "tests/fixtures/forms/001.eml",
        "tests/fixtures/forms/024.eml",
        "tests/fixtures/forms/019.eml",
    ];
    let out = run(datareq()
        .env("DATAREQ_LOG", "trace")
        .args(["parse", "--json"])
        .args(files));
    assert_success(&out);
    let lines = json_lines(&stdout_of(&out));
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].get("source").as_str(), "pdf_form");
    assert_eq!(lines[0].get("status").as_str(), "complete");
    assert_eq!(
        lines[0].get("fields").get("personal_id").as_str(),
        "140386-242E"
    );
    assert_eq!(lines[1].get("status").as_str(), "needs_review");
    // The form's values are on stdout only, never in the log, at any level.
    let stderr = stderr_of(&out);
    for secret in ["140386-242E", "Nieminen", "Rantakatu", "123 4567"] {
        assert!(
            !stderr.contains(secret),
            "stderr shows personal data from the PDF"
        );
    }

    // The summary tells the clerk which attachment held what.
    let out = run(datareq().arg("parse").args(&files[1..]));
    assert_success(&out);
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains("lomake.pdf (application/pdf") && stdout.contains("unreadable (encrypted)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skannaus.pdf") && stdout.contains("picture or scan"),
        "{stdout}"
    );
}

#[test]
fn attachment_limits_and_isolation_come_from_the_configuration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write config");
        path.to_str().expect("UTF-8 path").to_string()
    };
    // Fixture 001's whole request is in its fillable PDF (about 5 KB).
    let form = "tests/fixtures/forms/001.eml";
    let parse = |config: Option<&str>| {
        let mut cmd = datareq();
        if let Some(config) = config {
            cmd.args(["--config", config]);
        }
        let out = run(cmd.args(["parse", "--json", form]));
        assert_success(&out);
        json_lines(&stdout_of(&out)).remove(0)
    };
    let by_default = parse(None);
    assert_eq!(by_default.get("status").as_str(), "complete");

    // A limit below the PDF's size: not opened, and the clerk is told why.
    let small = write("small.toml", "[limits]\nmax_attachment_size = \"1 KB\"\n");
    let refused = parse(Some(&small));
    assert_eq!(refused.get("status").as_str(), "needs_review");
    assert!(
        refused
            .get("review_reasons")
            .string_list()
            .contains(&"too_large".to_string()),
        "{:?}",
        refused.get("review_reasons").string_list()
    );

    // Read in this process instead of a worker: the same request, field for field.
    let in_process = write(
        "in_process.toml",
        "[limits]\nattachment_isolation = \"in_process\"\n",
    );
    let read_here = parse(Some(&in_process));
    assert_eq!(read_here.get("fields"), by_default.get("fields"));
    assert_eq!(read_here.get("status").as_str(), "complete");

    // The smallest limits allowed are accepted.
    let cramped = write(
        "cramped.toml",
        "[limits]\nattachment_memory_limit = \"64 MB\"\nattachment_time_limit = 1\n",
    );
    let out = run(datareq().args(["--config", &cramped, "check-config"]));
    assert_success(&out);

    // Out-of-range values are refused at start, each with its key.
    let bad = write(
        "bad.toml",
        "[limits]\nattachment_time_limit = 0\nattachment_memory_limit = \"1 MB\"\n\
         attachment_isolation = \"sandbox\"\n",
    );
    let out = run(datareq().args(["--config", &bad, "parse", "--json", form]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    for key in [
        "limits.attachment_time_limit",
        "limits.attachment_memory_limit",
        "limits.attachment_isolation",
    ] {
        assert!(stderr.contains(key), "{key} not reported: {stderr}");
    }
    assert!(stdout_of(&out).is_empty());
}
