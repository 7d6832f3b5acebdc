//! Proves that the pure core, `datareq::request::parse_message`, survives hostile mail: a 50 MB
//! message, 10,000 MIME parts, 1,000-deep multipart nesting, invalid UTF-8 in headers and body,
//! 5 MB lines, 100-deep message/rfc822 nesting, 100,000 identity-code-like tokens, and an HTML
//! body with scripts and 100,000-deep `<div>` nesting. Each input must return (no panic, no hang:
//! every parse runs on its own thread under a deadline) and give a safe outcome: never
//! `complete` unless the fields really are those of the request inside. Nothing personal is
//! printed; only sizes and timings.

use std::fmt::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use datareq::request::model::Fields;
use datareq::request::{parse_message, ParsedRequest, ReviewReason, Rules, Status};

const YEAR: i32 = 2026;
/// The identity code of the valid request used throughout (a valid checksum).
const CODE: &str = "131052-308T";
/// A hang guard, not a performance bound: far above what any case needs even in debug.
const DEADLINE: Duration = Duration::from_secs(120);

/// A complete request in Finnish prose.
fn request_prose() -> String {
    [
        "Hei,",
        "",
        "Nimeni on Matti Virtanen. Henkilötunnukseni on 131052-308T.",
        "Pyydän saada kaikki minua koskevat potilasasiakirjat.",
        "Olin Vastaamon asiakkaana vuosina 2016–2018.",
        "Puhelinnumeroni on 040 123 4567.",
        "Osoitteeni on Mannerheimintie 12 A 5, 00100 Helsinki.",
        "",
        "Ystävällisin terveisin",
        "Matti Virtanen",
        "",
    ]
    .join("\n")
}

fn headers(message_id: &str, content_type: &str) -> String {
    format!(
        "From: Lähettäjä <lahettaja@example.fi>\r\n\
         To: kirjaamo@kela.example\r\n\
         Subject: Tietopyyntö\r\n\
         Date: Mon, 12 Jan 2026 10:00:00 +0200\r\n\
         Message-ID: <{message_id}@example.fi>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n"
    )
}

/// A single-part text/plain UTF-8 message with `body`.
fn plain_message(id: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = headers(id, "text/plain; charset=utf-8").into_bytes();
    raw.extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
    raw.extend_from_slice(body);
    raw
}

/// Runs `parse_message` with the default rules on its own thread: a panic or a hang fails the
/// test with the case's name (and never with the message's content).
fn parse_bounded(case: &str, raw: Vec<u8>) -> ParsedRequest {
    let (tx, rx) = mpsc::channel();
    let size = raw.len();
    let handle = thread::Builder::new()
        .name(case.to_string())
        .spawn(move || {
            let start = Instant::now();
            let parsed = parse_message(&raw, &Rules::default(), YEAR);
            let _ = tx.send((parsed, start.elapsed()));
        })
        .expect("spawn a parser thread");
    match rx.recv_timeout(DEADLINE) {
        Ok((parsed, took)) => {
            handle.join().expect("parser thread ends");
            println!("{case}: {size} bytes parsed in {took:.2?}");
            parsed
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("{case}: parse_message did not return within {DEADLINE:?} ({size} bytes)")
        }
        Err(RecvTimeoutError::Disconnected) => {
            let _ = handle.join();
            panic!("{case}: parse_message panicked ({size} bytes)")
        }
    }
}

/// The safety rule every hostile case shares: `complete` only with the right fields, and the
/// result must serialise.
fn assert_safe(case: &str, parsed: &ParsedRequest, holds_request: bool) {
    serde_json::to_string(parsed).unwrap_or_else(|e| panic!("{case}: not serialisable: {e}"));
    if holds_request {
        // The only code in the message: whatever is found must be it.
        assert!(
            parsed.fields.personal_id.is_none()
                || parsed.fields.personal_id.as_deref() == Some(CODE),
            "{case}: an identity code that is not in the message"
        );
    }
    if parsed.status == Status::Complete {
        assert!(
            holds_request,
            "{case}: complete although the message holds no request (fields {:?})",
            parsed.fields
        );
        assert_eq!(
            parsed.fields.personal_id.as_deref(),
            Some(CODE),
            "{case}: complete with the wrong identity code"
        );
        for field in &Rules::default().required {
            assert!(
                parsed.fields.has(*field),
                "{case}: complete without {field}"
            );
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn high_byte(&mut self) -> u8 {
        0x80 | (self.next() as u8 & 0x7F)
    }
}

#[test]
fn baseline_request_is_read_correctly() {
    // The hostile cases below embed this request; it must be read as a request on its own, or
    // "never complete unless right" would be proved only vacuously. (Whether the requested
    // information is found belongs to the phrasing tests; the fields below are what the
    // hostile cases check.)
    let parsed = parse_bounded(
        "baseline",
        plain_message("baseline", request_prose().as_bytes()),
    );
    assert_safe("baseline", &parsed, true);
    assert_ne!(
        parsed.status,
        Status::NeedsReview,
        "review {:?}",
        parsed.review_reasons
    );
    let f = &parsed.fields;
    assert_eq!(f.personal_id.as_deref(), Some(CODE));
    assert_eq!(f.surname.as_deref(), Some("Virtanen"));
    assert_eq!(f.first_names.as_deref(), Some("Matti"));
    assert_eq!(
        f.service_provider.as_deref(),
        Some("Psykoterapiakeskus Vastaamo")
    );
    assert_eq!(f.treatment_years, [2016, 2017, 2018]);
    assert_eq!(f.phone.as_deref(), Some("+358401234567"));
    let address = f.address.as_ref().expect("an address");
    assert_eq!(
        (address.postal_code.as_str(), address.post_office.as_str()),
        ("00100", "Helsinki")
    );
    assert!(parsed.invalid.is_empty(), "invalid {:?}", parsed.invalid);
    if parsed.status != Status::Complete {
        println!(
            "baseline: {:?}, missing {:?} (extraction, not hostility)",
            parsed.status, parsed.missing
        );
    }
}

#[test]
fn fifty_megabyte_message_is_too_large_and_not_read() {
    // The body is the request over and over: if the size limit were ignored, fields would appear.
    let one = request_prose();
    let mut body = String::with_capacity(50 * 1024 * 1024 + one.len());
    while body.len() < 50 * 1024 * 1024 {
        body.push_str(&one);
    }
    let raw = plain_message("fifty-mb", body.as_bytes());
    drop(body);
    assert!(raw.len() > 50 * 1024 * 1024);
    let parsed = parse_bounded("50 MB", raw);
    assert_safe("50 MB", &parsed, false);
    assert_eq!(parsed.status, Status::NeedsReview);
    assert!(
        parsed.review_reasons.contains(&ReviewReason::TooLarge),
        "{:?}",
        parsed.review_reasons
    );
    assert_eq!(
        parsed.fields,
        Fields::default(),
        "fields of an unread message"
    );
    assert!(parsed.invalid.is_empty());
    // The headers are still read (the Message-ID ties the clerk's task to the mail).
    assert_eq!(parsed.message_id.as_deref(), Some("<fifty-mb@example.fi>"));
}

#[test]
fn ten_thousand_mime_parts_with_one_request() {
    const PARTS: usize = 10_000;
    let mut raw = headers("many-parts", "multipart/mixed; boundary=\"PART\"");
    raw.push_str("\r\nThis is a multi-part message in MIME format.\r\n");
    for i in 0..PARTS {
        raw.push_str("--PART\r\nContent-Type: text/plain; charset=utf-8\r\n");
        raw.push_str("Content-Transfer-Encoding: 8bit\r\n\r\n");
        if i == PARTS / 2 {
            raw.push_str(&request_prose());
        } else {
            let _ = write!(raw, "Osa {i}: tässä ei ole mitään.\r\n");
        }
        raw.push_str("\r\n");
    }
    raw.push_str("--PART--\r\n");
    let parsed = parse_bounded("10,000 parts", raw.into_bytes());
    assert_safe("10,000 parts", &parsed, true);
    if parsed.status == Status::Complete {
        assert_eq!(parsed.fields.personal_id.as_deref(), Some(CODE));
    }
    assert_eq!(
        parsed.message_id.as_deref(),
        Some("<many-parts@example.fi>")
    );
}

/// `depth` multiparts nested inside each other, `inner` as the innermost text.
fn nested_multipart(id: &str, depth: usize, inner: &str) -> Vec<u8> {
    let mut raw = headers(id, "multipart/mixed; boundary=\"b0\"");
    raw.push_str("\r\n");
    for level in 1..depth {
        let _ = write!(
            raw,
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n",
            level - 1
        );
    }
    let _ = write!(
        raw,
        "--b{}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{inner}\r\n",
        depth - 1
    );
    for level in (0..depth).rev() {
        let _ = write!(raw, "--b{level}--\r\n");
    }
    raw.into_bytes()
}

#[test]
fn thousand_deep_nested_multipart() {
    let parsed = parse_bounded(
        "1,000-deep multipart",
        nested_multipart("deep", 1000, "Hei, kiitos viestistä. Mukavaa päivää!"),
    );
    assert_safe("1,000-deep multipart", &parsed, false);
    assert_eq!(
        parsed.fields,
        Fields::default(),
        "fields from a message without any"
    );
    assert!(
        matches!(parsed.status, Status::NeedsReview | Status::Incomplete),
        "{:?}",
        parsed.status
    );

    // The same nesting with the request at the bottom: whatever is found, never a wrong
    // complete.
    let parsed = parse_bounded(
        "1,000-deep multipart with request",
        nested_multipart("deep-request", 1000, &request_prose()),
    );
    assert_safe("1,000-deep multipart with request", &parsed, true);
}

#[test]
fn invalid_utf8_in_headers_and_body() {
    for seed in 1..=20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut raw = Vec::new();
        raw.extend_from_slice(b"From: ");
        raw.extend((0..20).map(|_| rng.high_byte()));
        raw.extend_from_slice(b" <a@example.fi>\r\nSubject: ");
        raw.extend((0..40).map(|_| rng.high_byte()));
        raw.extend_from_slice(b"\r\nMessage-ID: <");
        raw.extend((0..10).map(|_| rng.high_byte()));
        raw.extend_from_slice(b"@example.fi>\r\nX-Junk-");
        raw.extend((0..5).map(|_| rng.high_byte()));
        raw.extend_from_slice(b": ");
        raw.extend((0..30).map(|_| rng.high_byte()));
        raw.extend_from_slice(
            b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
        );
        for _ in 0..4000 {
            let b = rng.next() as u8;
            // Mostly high bytes, some ASCII and line breaks.
            raw.push(match b % 8 {
                0 => b'\n',
                1 | 2 => b'a' + b % 26,
                _ => rng.high_byte(),
            });
        }
        let case = format!("invalid UTF-8, seed {seed}");
        let parsed = parse_bounded(&case, raw);
        assert_safe(&case, &parsed, false);
        assert_eq!(
            parsed.fields.personal_id, None,
            "{case}: a code from random bytes"
        );
    }
}

#[test]
fn a_few_invalid_bytes_in_an_unrelated_line_do_not_hide_the_request() {
    let mut body = Vec::new();
    body.extend_from_slice(b"Terveisi\xe4 kaikille \xff\xfe\x80 t\xc3\x28ss\xe4.\n\n");
    body.extend_from_slice(request_prose().as_bytes());
    body.extend_from_slice(b"\nPS. \xed\xa0\x80 \xf0\x28\x8c\xbc \xc0\xaf loppu\n");
    let parsed = parse_bounded("few invalid bytes", plain_message("few-invalid", &body));
    assert_safe("few invalid bytes", &parsed, true);
    assert_eq!(
        parsed.fields.personal_id.as_deref(),
        Some(CODE),
        "the identity code is lost to unrelated invalid bytes"
    );
}

#[test]
fn five_megabyte_single_line_of_text() {
    let word = "lorem ipsum dolor sit amet ";
    let line = word.repeat(5 * 1024 * 1024 / word.len() + 1);
    let parsed = parse_bounded(
        "5 MB line of text",
        plain_message("line-text", line.as_bytes()),
    );
    assert_safe("5 MB line of text", &parsed, false);
    assert_eq!(parsed.fields, Fields::default(), "fields from lorem ipsum");
}

#[test]
fn five_megabyte_single_line_of_request_tokens() {
    let token = "Vastaamo 2016 040 123 4567 ";
    let line = token.repeat(5 * 1024 * 1024 / token.len() + 1);
    let parsed = parse_bounded(
        "5 MB line of tokens",
        plain_message("line-tokens", line.as_bytes()),
    );
    // Provider, year and phone, but no identity code, no name, no address: never complete.
    assert_safe("5 MB line of tokens", &parsed, false);
    assert_eq!(parsed.fields.personal_id, None);
    assert_ne!(parsed.status, Status::Complete);
}

/// The shortest form of the quadratic year handling: one line of bare years, no cue words.
#[test]
fn one_megabyte_line_of_bare_years() {
    let line = "2016 ".repeat(1024 * 1024 / 5);
    let parsed = parse_bounded("1 MB of years", plain_message("years", line.as_bytes()));
    assert_safe("1 MB of years", &parsed, false);
    assert_ne!(parsed.status, Status::Complete);
}

#[test]
fn hundred_deep_message_rfc822() {
    const DEPTH: usize = 100;
    let mut raw = String::new();
    for level in 0..DEPTH {
        let _ = write!(
            raw,
            "From: a{level}@example.fi\r\nSubject: Fwd {level}\r\nMessage-ID: <fwd{level}@example.fi>\r\n\
             MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
        );
    }
    raw.push_str(
        "From: b@example.fi\r\nSubject: pohja\r\nContent-Type: text/plain\r\n\r\nHei vain.\r\n",
    );
    let parsed = parse_bounded("100-deep message/rfc822", raw.into_bytes());
    assert_safe("100-deep message/rfc822", &parsed, false);

    // The same, each forward an attachment of a multipart, the request at the bottom.
    let mut raw = String::new();
    for level in 0..DEPTH {
        let _ = write!(
            raw,
            "From: a{level}@example.fi\r\nSubject: Fwd {level}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"f{level}\"\r\n\r\n\
             --f{level}\r\nContent-Type: text/plain\r\n\r\nEdelleenlähetetty.\r\n\
             --f{level}\r\nContent-Type: message/rfc822\r\n\r\n"
        );
    }
    raw.push_str("From: b@example.fi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    raw.push_str(&request_prose());
    for level in (0..DEPTH).rev() {
        let _ = write!(raw, "\r\n--f{level}--\r\n");
    }
    let parsed = parse_bounded("100-deep forwarded multipart", raw.into_bytes());
    assert_safe("100-deep forwarded multipart", &parsed, false);
}

/// A valid identity code for day/month/year and individual number `n`.
fn identity_code(day: u32, month: u32, year: u32, n: u32) -> String {
    const CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let yy = year % 100;
    let century = if year >= 2000 { 'A' } else { '-' };
    let number = u64::from(day) * 10_000_000
        + u64::from(month) * 100_000
        + u64::from(yy) * 1000
        + u64::from(n);
    let check = CHECK[(number % 31) as usize] as char;
    format!("{day:02}{month:02}{yy:02}{century}{n:03}{check}")
}

#[test]
fn identity_code_generator_matches_the_known_code() {
    assert_eq!(identity_code(13, 10, 1952, 308), CODE);
}

#[test]
fn hundred_thousand_identity_code_like_tokens() {
    let mut body = String::from("Olin Vastaamon asiakkaana vuonna 2017.\n");
    let mut count = 0;
    'outer: for year in 1930..2010u32 {
        for day in 1..=28u32 {
            for n in (2..900u32).step_by(17) {
                let month = 1 + (n % 12);
                body.push_str(&identity_code(day, month, year, n));
                body.push(if count % 8 == 7 { '\n' } else { ' ' });
                count += 1;
                if count == 100_000 {
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(count, 100_000);
    let parsed = parse_bounded(
        "100,000 identity codes",
        plain_message("codes", body.as_bytes()),
    );
    assert_safe("100,000 identity codes", &parsed, false);
    assert_ne!(parsed.status, Status::Complete);
    if parsed.fields.personal_id.is_some() {
        // A request was found: with so many different codes it must go to a person.
        assert_eq!(parsed.status, Status::NeedsReview);
        assert!(
            parsed
                .review_reasons
                .contains(&ReviewReason::ConflictingPersonalIds),
            "{:?}",
            parsed.review_reasons
        );
    }
}

/// An HTML-only message.
fn html_message(id: &str, html: &str) -> Vec<u8> {
    let mut raw = headers(id, "text/html; charset=utf-8").into_bytes();
    raw.extend_from_slice(b"Content-Transfer-Encoding: 8bit\r\n\r\n");
    raw.extend_from_slice(html.as_bytes());
    raw
}

#[test]
fn html_with_script_and_hundred_thousand_deep_divs() {
    const DEPTH: usize = 100_000;
    let mut html =
        String::from("<html><head><script>var x = '</div>'; alert(1);</script></head><body>");
    html.push_str(&"<div>".repeat(DEPTH));
    html.push_str("Hei, tämä on tavallinen viesti.");
    html.push_str(&"</div>".repeat(DEPTH));
    html.push_str("</body></html>");
    let parsed = parse_bounded("100,000-deep divs", html_message("divs", &html));
    assert_safe("100,000-deep divs", &parsed, false);

    // Unclosed: 100,000 opening tags and never a closing one.
    let mut html = String::from("<html><body>");
    html.push_str(&"<div><blockquote><p>".repeat(DEPTH / 3));
    html.push_str(&request_prose().replace('\n', "<br>"));
    let parsed = parse_bounded("100,000 unclosed tags", html_message("unclosed", &html));
    assert_safe("100,000 unclosed tags", &parsed, true);
}

#[test]
fn script_content_is_never_read_as_a_request() {
    // Everything a request needs, but only inside <script> and <style>: a reader sees none of
    // it, so no field may come from it.
    let hidden = request_prose().replace('\n', " ");
    let html = format!(
        "<html><head><style>/* {hidden} */</style>\
         <script type=\"text/javascript\">var s = \"{hidden}\"; document.write('<div>' + s);</script>\
         </head><body><p>Hei, kiitos viestistä!</p>\
         <script>/* {hidden} */</script></body></html>"
    );
    let parsed = parse_bounded("script only", html_message("script", &html));
    assert_safe("script only", &parsed, false);
    assert_eq!(parsed.fields.personal_id, None, "a code read from a script");
    assert_eq!(parsed.status, Status::NeedsReview);
    assert!(parsed
        .review_reasons
        .contains(&ReviewReason::NoRequestFound));
}
