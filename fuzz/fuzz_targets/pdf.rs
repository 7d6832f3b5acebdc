//! Fuzz target: any bytes as a PDF attachment. The reader must never panic (the in-process
//! reader's catch_unwind is bypassed here, so a panic is a crash), must stay within its limits,
//! and what it reads must go through the core's form mapping without a panic either.

#![no_main]

use datareq::attachment::{pdf, Limits};
use datareq::request::extract::pdf_form::{lines_of, reading_order_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(content) = pdf::read(data, &limits) {
        let _ = lines_of(&content.runs);
        let text = reading_order_text(&content.runs);
        assert!(text.len() <= 64 * 1024 * 1024);
        let json = serde_json::to_string(&content).expect("content serialises");
        assert!(json.starts_with('{'));
    }
});
