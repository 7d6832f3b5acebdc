//! Generalisation check: parses the hand-written requests in `tests/fixtures/layouts/` (the
//! layouts Finnish, Swedish and English writers and their mail programs produce: numbered and
//! lettered items, values on the next line, aligned columns, `key = value`, question labels,
//! ASCII boxes, sectioned forms with check boxes, Word forms pasted with tabs, HTML tables,
//! lists and Outlook signatures, text attachments; see `make.py` there) and compares each
//! contract JSON with its `NNN.expected.json`.
//!
//! Prints a per-field accuracy table and the mismatches as file and field names only. Fails when
//! fewer than 40 fixtures ran, when any request is `complete` that should not be, or when status
//! or any scored field falls below the bar.
//!
//! Run: `cargo test --release --test layouts -- --nocapture`

mod support;

use support::fixture_set::{check_fixture_set, Bar};

#[test]
fn layouts_fixtures_generalise() {
    check_fixture_set(
        "layouts",
        &Bar {
            min_fixtures: 40,
            min_status_accuracy: 0.95,
            min_field_accuracy: 0.95,
        },
    );
}
