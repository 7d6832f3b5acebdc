//! Hostile PDFs: each is attached to a mail whose body is a whole, valid request, so the only
//! thing that can send it to review is what the reader made of the PDF. Every case must end as
//! `needs_review` with `unreadable_attachment` (or `too_large`), never a hang, a panic or
//! unbounded memory. The in-process reader is checked for the outcome (a wall-clock guard of
//! 2 s catches a hang, it measures nothing); the CLI, which reads PDFs in its worker process,
//! is checked for peak memory (under 200 MB, worker included) on the bombs and the huge file.

use std::time::{Duration, Instant};

mod support;

use datareq::attachment::InProcessReader;
use datareq::request::{RequestParser, Rules};
use support::pdf::{flate, request_with_pdf, zero_bomb, PdfBuilder};

const GIB: usize = 1 << 30;

fn parser() -> RequestParser {
    RequestParser::with_reader(Rules::default(), Box::new(InProcessReader::default()))
}

/// A one-page document around `page_extra` (page dictionary entries) and `more` objects.
fn one_page(builder: &mut PdfBuilder, page_extra: &str) {
    builder
        .object(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .object(
            3,
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {page_extra} >>"),
        );
}

fn content_bomb() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    one_page(&mut b, "/Contents 4 0 R");
    b.stream(4, "/Filter [/FlateDecode /FlateDecode]", &zero_bomb(GIB));
    b.build()
}

/// The bomb is an object stream, which lopdf decodes while loading (through a
/// cross-reference stream that places object 5 inside it).
fn object_stream_bomb() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let mut push = |out: &mut Vec<u8>, n: u32, body: &[u8]| {
        offsets.push((n, out.len()));
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    push(
        &mut out,
        1,
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
    );
    push(&mut out, 2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    push(
        &mut out,
        3,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    );
    let bomb = zero_bomb(GIB);
    let mut objstm = format!(
        "<< /Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode] /Length {} >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    objstm.extend_from_slice(&bomb);
    objstm.extend_from_slice(b"\nendstream");
    push(&mut out, 4, &objstm);
    // The cross-reference stream: type, field 2 (offset or container), field 3 (generation or
    // index), widths 1, 4, 2.
    let xref_offset = out.len();
    let mut rows = vec![0u8, 0, 0, 0, 0, 255, 255];
    for n in 1..=4u32 {
        let off = offsets.iter().find(|(m, _)| *m == n).expect("offset").1 as u32;
        rows.push(1);
        rows.extend_from_slice(&off.to_be_bytes());
        rows.extend_from_slice(&[0, 0]);
    }
    rows.extend_from_slice(&[2, 0, 0, 0, 4, 0, 0]);
    rows.push(1);
    rows.extend_from_slice(&(xref_offset as u32).to_be_bytes());
    rows.extend_from_slice(&[0, 0]);
    out.extend_from_slice(
        format!(
            "6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {} >>\nstream\n",
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(
        format!("\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes(),
    );
    out
}

fn page_tree_cycle() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    b.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
        .object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
        .object(3, "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>");
    b.build()
}

fn field_tree_cycle() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    b.object(
        1,
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
    )
    .object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    .object(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    .object(4, "<< /T (a) /Kids [5 0 R] >>")
    .object(5, "<< /T (b) /Kids [4 0 R] >>");
    b.build()
}

fn xobject_drawing_itself() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    one_page(
        &mut b,
        "/Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >>",
    );
    b.stream(4, "", b"/X Do");
    b.stream(
        5,
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 5 0 R >> >>",
        b"/X Do",
    );
    b.build()
}

fn ten_thousand_pages() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    let kids: Vec<String> = (0..10_000).map(|i| format!("{} 0 R", i + 3)).collect();
    b.object(1, "<< /Type /Catalog /Pages 2 0 R >>").object(
        2,
        format!("<< /Type /Pages /Kids [{}] /Count 10000 >>", kids.join(" ")),
    );
    for i in 0..10_000 {
        b.object(
            i + 3,
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        );
    }
    b.build()
}

fn deep_nesting() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    one_page(&mut b, "");
    b.object(4, format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)));
    let mut bytes = b.build();
    // Point the catalog's /Pages at the nested array: the document cannot be walked.
    let at = bytes
        .windows(9)
        .position(|w| w == b"/Pages 2 ")
        .expect("catalog");
    bytes[at + 7] = b'4';
    bytes
}

fn huge_predictor_row() -> Vec<u8> {
    let mut b = PdfBuilder::default();
    one_page(&mut b, "/Contents 4 0 R");
    b.stream(
        4,
        "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 2000000000 >>",
        &flate(&[0u8; 64]),
    );
    b.build()
}

fn locked() -> Vec<u8> {
    // An /Encrypt dictionary whose password we do not have (the standard handler, revision 4).
    let mut b = PdfBuilder::default();
    one_page(&mut b, "");
    b.object(
        9,
        "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 \
         /O <0000000000000000000000000000000000000000000000000000000000000000> \
         /U <1111111111111111111111111111111111111111111111111111111111111111> >>",
    );
    let mut bytes = b.build();
    let trailer = bytes
        .windows(7)
        .rposition(|w| w == b"/Root 1")
        .expect("trailer");
    let rest = bytes.split_off(trailer);
    bytes.extend_from_slice(b"/Encrypt 9 0 R /ID [<01> <01>] ");
    bytes.extend_from_slice(&rest);
    bytes
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("content stream bomb (1 GiB)", content_bomb()),
        ("object stream bomb (1 GiB)", object_stream_bomb()),
        ("page tree cycle", page_tree_cycle()),
        ("field tree cycle", field_tree_cycle()),
        ("form XObject drawing itself", xobject_drawing_itself()),
        ("10,000 pages", ten_thousand_pages()),
        ("50,000-deep nesting", deep_nesting()),
        ("2,000,000,000-column predictor", huge_predictor_row()),
        ("locked with a password", locked()),
    ]
}

#[test]
fn hostile_pdfs_go_to_review_with_a_reason() {
    let parser = parser();
    // The control: the same mail without an attachment is complete.
    let control = parser.parse(&request_with_pdf(b"")[..], 2026);
    let mut failures = Vec::new();
    for (name, pdf) in cases() {
        let mail = request_with_pdf(&pdf);
        let started = Instant::now();
        let parsed = parser.parse(&mail, 2026);
        let took = started.elapsed();
        println!(
            "{name}: {} bytes, {:?}, {:?} in {took:?}",
            pdf.len(),
            parsed.status,
            parsed.review_reasons
        );
        let flagged = parsed.review_reasons.iter().any(|r| {
            matches!(
                r,
                datareq::request::ReviewReason::UnreadableAttachment
                    | datareq::request::ReviewReason::TooLarge
            )
        });
        if parsed.status != datareq::request::Status::NeedsReview || !flagged {
            failures.push(format!(
                "{name}: {:?} {:?}",
                parsed.status, parsed.review_reasons
            ));
        }
        assert!(
            took < Duration::from_secs(2),
            "{name} took {took:?}: a hang guard, not a measurement"
        );
    }
    assert_eq!(
        control.status,
        datareq::request::Status::NeedsReview,
        "an empty PDF is unreadable too"
    );
    assert!(failures.is_empty(), "not flagged: {failures:#?}");
}

#[test]
fn the_request_beside_the_hostile_files_is_complete_on_its_own() {
    // Proves the mail is a whole request, so the review above comes from the PDF alone.
    let mail = String::from_utf8(request_with_pdf(b"")).expect("ASCII mail");
    let body_only = mail
        .split("--B\r\nContent-Type: application/pdf")
        .next()
        .expect("body")
        .to_string()
        + "--B--\r\n";
    let parsed = parser().parse(body_only.as_bytes(), 2026);
    assert_eq!(parsed.status, datareq::request::Status::Complete);
}

#[test]
fn the_cli_worker_keeps_memory_bounded_on_bombs_and_huge_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, pdf) in [
        ("content stream bomb", content_bomb()),
        ("object stream bomb", object_stream_bomb()),
        ("10,000 pages", ten_thousand_pages()),
    ] {
        let file = dir.path().join("hostile.eml");
        std::fs::write(&file, request_with_pdf(&pdf)).expect("write");
        let (kib, stdout, method) = support::rss::measure(&file);
        println!("{name}: peak RSS {kib} KiB ({method})");
        let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON line");
        assert_eq!(line["status"], "needs_review", "{name}");
        assert!(
            line["review_reasons"]
                .as_array()
                .expect("array")
                .iter()
                .any(|r| r == "unreadable_attachment"),
            "{name}: {}",
            line["review_reasons"]
        );
        assert!(kib < 200 * 1024, "{name}: peak RSS {kib} KiB ({method})");
    }
}
