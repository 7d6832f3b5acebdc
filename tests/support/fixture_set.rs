//! Scoring a hand-written fixture set (`tests/fixtures/<set>/NNN.eml` with its
//! `NNN.expected.json`) against the parse contract: per-field accuracy (requested_information
//! compared loosely), status accuracy, and every request called `complete` that should not be.
//! Shared by `tests/phrasing.rs` and `tests/adversarial.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde_json::Value;

const CURRENT_YEAR: i32 = 2026;

/// What a fixture set must reach.
pub struct Bar {
    pub min_fixtures: usize,
    pub min_status_accuracy: f64,
    pub min_field_accuracy: f64,
}

/// The contract's `fields` keys, in contract order.
pub const FIELDS: [&str; 10] = [
    "surname",
    "first_names",
    "former_names",
    "personal_id",
    "requested_information",
    "service_provider",
    "treatment_years",
    "phone",
    "sms_consent",
    "address",
];

/// Top-level keys that are scored (besides `status`, which has its own threshold).
const TOP: [&str; 7] = [
    "message_id",
    "language",
    "missing",
    "invalid",
    "review_reasons",
    "auto_submitted",
    "follow_up",
];

/// Shown in the table but not asserted: the contract says `source` is not scored.
const INFO_ONLY: [&str; 1] = ["source"];

/// Lower case, punctuation removed, whitespace collapsed: how `requested_information` is compared.
fn loose(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a field's expected and parsed values agree under the contract's comparison rules.
pub fn field_equal(name: &str, expected: &Value, got: &Value) -> bool {
    if name == "requested_information" {
        return match (expected.as_str(), got.as_str()) {
            (Some(e), Some(g)) => loose(e) == loose(g),
            _ => expected == got,
        };
    }
    expected == got
}

/// A top-level value, with the contract's defaults for keys the expected files leave out.
fn top_value(json: &Value, key: &str) -> Value {
    match (json.get(key), key) {
        (Some(v), _) => v.clone(),
        (None, "auto_submitted" | "follow_up") => Value::Bool(false),
        (None, _) => Value::Null,
    }
}

#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        if ok {
            self.right += 1;
        }
    }

    fn accuracy(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.right as f64 / self.total as f64
        }
    }
}

/// Parses every `NNN.eml` of `tests/fixtures/<set>/`, compares it with `NNN.expected.json`,
/// prints the table and the mismatches (file and field names only) and asserts `bar`.
pub fn check_fixture_set(set: &str, bar: &Bar) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(set);
    let mut emls: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    emls.sort();

    // Attachments are read in-process here, as the library's callers do; the CLI's worker
    // process runs the same reader (tests/cli.rs covers that path).
    let parser = datareq::request::RequestParser::with_reader(
        datareq::request::Rules::default(),
        Box::new(datareq::attachment::InProcessReader::default()),
    );
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut status = Tally::default();
    let mut wrong_complete: Vec<String> = Vec::new();
    let mut mismatches: Vec<(String, Vec<String>)> = Vec::new();
    let mut ran = 0usize;

    for eml in &emls {
        let file = eml.file_name().unwrap().to_string_lossy().into_owned();
        let expected_path = eml.with_extension("expected.json");
        let expected: Value = serde_json::from_str(
            &fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", expected_path.display())),
        )
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", expected_path.display()));
        let raw = fs::read(eml).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));

        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let request = parser.parse(&raw, CURRENT_YEAR);
            datareq::cli::parse::contract_json(&file, &request)
        }));
        ran += 1;
        let got: Value = match outcome {
            Ok(line) => serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("contract_json for {file} is not JSON: {e}")),
            Err(_) => {
                // Counted as wrong everywhere; the panic message (if any) went to stderr.
                Value::Null
            }
        };

        let mut wrong: Vec<String> = Vec::new();
        let null = Value::Null;
        let expected_fields = expected.get("fields").unwrap_or(&null);
        let got_fields = got.get("fields").unwrap_or(&null);
        for name in FIELDS {
            let e = expected_fields.get(name).unwrap_or(&null);
            let g = got_fields.get(name).unwrap_or(&null);
            let ok = field_equal(name, e, g);
            tallies.entry(format!("fields.{name}")).or_default().add(ok);
            if !ok {
                wrong.push(format!("fields.{name}"));
            }
        }
        for key in TOP.iter().chain(INFO_ONLY.iter()) {
            let ok = top_value(&expected, key) == top_value(&got, key);
            tallies.entry((*key).to_string()).or_default().add(ok);
            if !ok {
                wrong.push((*key).to_string());
            }
        }
        let expected_status = top_value(&expected, "status");
        let got_status = top_value(&got, "status");
        status.add(expected_status == got_status);
        if expected_status != got_status {
            wrong.push("status".to_string());
        }
        if got_status == "complete" && expected_status != "complete" {
            wrong_complete.push(file.clone());
        }
        if !wrong.is_empty() {
            mismatches.push((file, wrong));
        }
    }

    println!("\n{set} fixtures: {ran} messages\n");
    println!("{:<30} {:>7} {:>9}", "field", "right", "accuracy");
    let mut below: Vec<String> = Vec::new();
    for (name, tally) in &tallies {
        let info = INFO_ONLY.contains(&name.as_str());
        println!(
            "{:<30} {:>3}/{:<3} {:>8.1}%{}",
            name,
            tally.right,
            tally.total,
            100.0 * tally.accuracy(),
            if info { "  (not scored)" } else { "" }
        );
        if !info && tally.accuracy() < bar.min_field_accuracy {
            below.push(name.clone());
        }
    }
    println!(
        "{:<30} {:>3}/{:<3} {:>8.1}%",
        "status",
        status.right,
        status.total,
        100.0 * status.accuracy()
    );
    // The worst mistake first: a request called complete that is not.
    println!(
        "complete when expected is not complete: {}",
        wrong_complete.len()
    );
    if !wrong_complete.is_empty() {
        println!("  files: {}", wrong_complete.join(", "));
    }
    println!("\nmismatches ({} files):", mismatches.len());
    for (file, fields) in &mismatches {
        println!("  {file}: {}", fields.join(", "));
    }

    assert!(
        ran >= bar.min_fixtures,
        "only {ran} {set} fixtures ran, want at least {}",
        bar.min_fixtures
    );
    assert!(
        wrong_complete.is_empty(),
        "complete when expected is not complete: {}",
        wrong_complete.join(", ")
    );
    assert!(
        status.accuracy() >= bar.min_status_accuracy,
        "status accuracy {:.3} < {}",
        status.accuracy(),
        bar.min_status_accuracy
    );
    assert!(
        below.is_empty(),
        "fields below {} accuracy: {}",
        bar.min_field_accuracy,
        below.join(", ")
    );
}
