//! Fuzz target: any bytes as a message. `parse_message` must never panic, and its result must
//! always serialise to the parse contract's JSON.

#![no_main]

use datareq::request::{parse_message, Rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let request = parse_message(data, &Rules::default(), 2026);
    let json = serde_json::to_string(&request).expect("a parsed request serialises to JSON");
    assert!(json.starts_with('{'));
});
