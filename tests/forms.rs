//! PDF and DOCX forms made by tools that are not ours (`tests/fixtures/forms/make.py`:
//! reportlab draws, pypdf fills in, qpdf flattens and encrypts, Ghostscript prints to PDF,
//! pdftoppm renders a scan, python-docx writes Word forms with both kinds of check box):
//! fields named in Finnish, Swedish and English, `Text1`… with the label only in the tooltip
//! or only printed beside or above the widget, check boxes and radio groups, body and form
//! that complement or contradict each other, flattened and printed copies, a scan, locked
//! files, a truncated DOCX and a zip bomb, a forwarded message, winmail.dat, a photo and a logo. Each fixture's contract JSON is compared with its
//! `NNN.expected.json`.
//!
//! Run: `cargo test --release --test forms -- --nocapture`

mod support;

use support::fixture_set::{check_fixture_set, Bar};

#[test]
fn form_fixtures_from_real_tools() {
    check_fixture_set(
        "forms",
        &Bar {
            min_fixtures: 34,
            min_status_accuracy: 1.0,
            min_field_accuracy: 1.0,
        },
    );
}
