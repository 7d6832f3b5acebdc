//! Generalisation check: parses the hand-written requests in `tests/fixtures/phrasing/` (other
//! phrasings, label spellings, layouts, encodings and sentence orders than the dev corpus shows;
//! see `make.py` there) and compares each contract JSON with its `NNN.expected.json`.
//!
//! Prints a per-field accuracy table and the mismatches as file and field names only. Fails when
//! fewer than 55 fixtures ran, when any request is `complete` that should not be, or when status
//! or any scored field falls below the bar.
//!
//! Run: `cargo test --release --test phrasing -- --nocapture`

mod support;

use support::fixture_set::{check_fixture_set, Bar};

#[test]
fn phrasing_fixtures_generalise() {
    check_fixture_set(
        "phrasing",
        &Bar {
            min_fixtures: 55,
            min_status_accuracy: 0.95,
            min_field_accuracy: 0.95,
        },
    );
}
