//! Fuzz target: any bytes as a message. Parsing must never panic, and its result must always
//! serialise to the parse contract's JSON.
//!
//! `parse_message(data, &Rules::default(), 2026)` is `RequestParser::new(rules).parse(data,
//! 2026)`; the parser is built once here because building the rules' matchers costs about 40
//! times as much as parsing a typical message, and would take most of each run.

#![no_main]

use std::sync::LazyLock;

use datareq::attachment::InProcessReader;
use datareq::request::{RequestParser, Rules};
use libfuzzer_sys::fuzz_target;

// Attachments are read in-process, so PDFs inside fuzzed mail reach the PDF reader too.
static PARSER: LazyLock<RequestParser> = LazyLock::new(|| {
    RequestParser::with_reader(Rules::default(), Box::new(InProcessReader::default()))
});

fuzz_target!(|data: &[u8]| {
    let request = PARSER.parse(data, 2026);
    let json = serde_json::to_string(&request).expect("a parsed request serialises to JSON");
    assert!(json.starts_with('{'));
});
