//! Adversarial check: parses the hand-written messages in `tests/fixtures/adversarial/` (written
//! to make a parser call a request `complete` when it is not, or take a field from the wrong
//! place: therapists', clerks' and relatives' names, case and customer numbers, someone else's
//! phone, business signatures, years that are not treatment years, odd identity codes, forwards,
//! non-requests that mention Vastaamo; see `make.py` there) and compares each contract JSON with
//! its `NNN.expected.json`, with the same rules as `tests/phrasing.rs`.
//!
//! Run: `cargo test --release --test adversarial -- --nocapture`

mod support;

use support::fixture_set::{check_fixture_set, Bar};

#[test]
fn adversarial_fixtures_hold() {
    check_fixture_set(
        "adversarial",
        &Bar {
            min_fixtures: 45,
            min_status_accuracy: 0.95,
            min_field_accuracy: 0.95,
        },
    );
}
