//! Proves, on generated input, the core's two promises that every caller relies on:
//! `parse_message` never panics on any bytes, and a `complete` request always has an identity
//! code and every required field. Three generators: arbitrary bytes (up to 64 KB), arbitrary
//! strings behind a minimal header block, and strings stitched from request vocabulary (labels,
//! identity codes, provider names, years, phones, addresses) so that the extraction and the
//! decision, not only the MIME parser, see generated input. Each result must also serialise
//! to JSON. 512 cases each.

use std::sync::LazyLock;

use datareq::request::{parse_message, Field, ParsedRequest, RequestParser, Rules, Status};
use proptest::prelude::*;

const YEAR: i32 = 2026;

/// `parse_message` is `RequestParser::new(rules.clone()).parse(..)`; building the parser (its
/// provider regex) costs ~60 ms per call in a debug build, so the generated cases share one
/// parser built from the same default rules. `parse_message_is_the_shared_parser` below checks
/// that both give the same answers.
static PARSER: LazyLock<RequestParser> = LazyLock::new(|| RequestParser::new(Rules::default()));

fn parse(raw: &[u8]) -> ParsedRequest {
    PARSER.parse(raw, YEAR)
}

fn with_headers(body: &str) -> Vec<u8> {
    let mut raw =
        b"From: a@example.fi\r\nTo: kirjaamo@kela.example\r\nSubject: Tietopyynt\xc3\xb6\r\n\
Message-ID: <prop@example.fi>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(body.as_bytes());
    raw
}

/// The invariants of one result (a failure names the field, never its value).
fn check(parsed: &ParsedRequest) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(parsed);
    prop_assert!(json.is_ok(), "serialisation failed: {:?}", json.err());
    if parsed.status == Status::Complete {
        prop_assert!(
            parsed.fields.personal_id.is_some(),
            "complete without an identity code"
        );
        for field in Field::DEFAULT_REQUIRED {
            prop_assert!(parsed.fields.has(field), "complete without {}", field);
        }
        prop_assert!(parsed.missing.is_empty(), "complete with missing fields");
        prop_assert!(parsed.invalid.is_empty(), "complete with invalid fields");
        prop_assert!(
            parsed.review_reasons.is_empty(),
            "complete with review reasons {:?}",
            parsed.review_reasons
        );
    }
    // `missing` is exactly the required fields without a value, in the contract's order.
    if !parsed
        .review_reasons
        .contains(&datareq::request::ReviewReason::NoRequestFound)
        && !parsed
            .review_reasons
            .contains(&datareq::request::ReviewReason::TooLarge)
    {
        for field in &parsed.missing {
            prop_assert!(
                !parsed.fields.has(*field),
                "{} listed as missing but present",
                field
            );
        }
    }
    Ok(())
}

/// Pieces of requests: labels, values, separators, and noise.
fn request_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Sukunimi: ".to_string()),
        Just("Etunimet: ".to_string()),
        Just("Henkilötunnus: ".to_string()),
        Just("Pyydetyt tiedot: ".to_string()),
        Just("Palveluntuottaja: ".to_string()),
        Just("Hoitovuodet: ".to_string()),
        Just("Puhelin: ".to_string()),
        Just("Osoite: ".to_string()),
        Just("Nimeni on Matti Virtanen. ".to_string()),
        Just("131052-308T".to_string()),
        Just("131052-308U".to_string()),
        Just("010101A123N".to_string()),
        Just("Virtanen".to_string()),
        Just("Matti Juhani".to_string()),
        Just("kaikki minua koskevat potilasasiakirjat".to_string()),
        Just("Pyydän saada kaikki minua koskevat potilasasiakirjat. ".to_string()),
        Just("Vastaamo".to_string()),
        Just("Psykoterapiakeskus Vastaamo Oy".to_string()),
        Just("Olin Vastaamon asiakkaana vuosina 2016–2018. ".to_string()),
        Just("2016".to_string()),
        Just("2015-2017".to_string()),
        Just("040 123 4567".to_string()),
        Just("+358 40 757 1241".to_string()),
        Just("Mannerheimintie 12 A 5".to_string()),
        Just("00100 Helsinki".to_string()),
        Just("[x] Kyllä [ ] Ei".to_string()),
        Just("äitini puolesta ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just(": ".to_string()),
        Just(" ".to_string()),
        Just("> ".to_string()),
        Just("--\n".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..=64 * 1024)) {
        let parsed = parse(&raw);
        check(&parsed)?;
    }

    #[test]
    fn arbitrary_strings_behind_headers_never_panic(body in "(?s).{0,2048}") {
        let parsed = parse(&with_headers(&body));
        check(&parsed)?;
    }

    #[test]
    fn stitched_requests_are_never_wrongly_complete(
        pieces in proptest::collection::vec(request_piece(), 0..60)
    ) {
        let body: String = pieces.concat();
        let parsed = parse(&with_headers(&body));
        check(&parsed)?;
    }
}

#[test]
fn parse_message_is_the_shared_parser() {
    let bodies = [
        String::new(),
        "Hei, kiitos viestistä!".to_string(),
        "Henkilötunnus: 131052-308T\nPalveluntuottaja: Vastaamo\nHoitovuodet: 2016-2017\n"
            .to_string(),
        "Nimeni on Matti Virtanen. Henkilötunnukseni on 131052-308T. Pyydän saada kaikki minua \
         koskevat potilasasiakirjat. Olin Vastaamon asiakkaana vuosina 2016–2018. \
         Puhelinnumeroni on 040 123 4567. Osoitteeni on Mannerheimintie 12 A 5, 00100 Helsinki."
            .to_string(),
    ];
    for body in &bodies {
        let raw = with_headers(body);
        let direct = parse_message(&raw, &Rules::default(), YEAR);
        assert_eq!(direct, parse(&raw));
    }
    // Not vacuous: the inputs give different answers.
    let first = parse(&with_headers(&bodies[0]));
    let last = parse(&with_headers(&bodies[3]));
    assert_ne!(first.fields, last.fields);
}

/// Found by `arbitrary_strings_behind_headers_never_panic`: a full stop after a word that
/// follows a multi-byte whitespace character. The minimal input the generator found (U+0085),
/// an em space (U+2003, as Word and Outlook write), and two no-break spaces (U+00A0, from
/// `&nbsp;`) that must keep working.
#[test]
fn regression_multibyte_whitespace_before_a_full_stop() {
    let bodies = [
        "a\u{85}.\n\u{a1}",
        "Kiitos\u{a0}paljon. Terveisin Matti",
        "Olin Vastaamon asiakkaana vuonna\u{a0}2016. Henkilötunnukseni on 131052-308T.",
        "Nimeni on Matti\u{2003}Virtanen. Kiitos.",
    ];
    let mut panicked = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        let raw = with_headers(body);
        match std::panic::catch_unwind(|| parse(&raw)) {
            Ok(parsed) => check(&parsed).expect("invariants"),
            Err(_) => panicked.push(n),
        }
    }
    assert!(panicked.is_empty(), "parse panicked on bodies {panicked:?}");
}
