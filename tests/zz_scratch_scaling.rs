//! Temporary scaling probe (deleted after use).
use datareq::request::{parse_message, Rules};
use std::time::Instant;

fn msg(body: &str) -> Vec<u8> {
    let mut raw = b"From: a@example.fi\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".to_vec();
    raw.extend_from_slice(body.as_bytes());
    raw
}

#[test]
fn probe() {
    let rules = Rules::default();
    let _ = parse_message(&msg("warm up"), &rules, 2026);
    for kb in [100usize, 200, 400, 800] {
        let body = "Vastaamo 2016 040 123 4567 ".repeat(kb * 1024 / 27);
        let s = Instant::now();
        let _ = parse_message(&msg(&body), &rules, 2026);
        println!("tokens {kb} KB: {:?}", s.elapsed());
    }
    for kb in [100usize, 200, 400, 800] {
        let body = "040 123 4567 Vastaamo ".repeat(kb * 1024 / 22);
        let s = Instant::now();
        let _ = parse_message(&msg(&body), &rules, 2026);
        println!("phone+provider {kb} KB: {:?}", s.elapsed());
    }
}
