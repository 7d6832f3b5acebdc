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
    for (name, token, sep) in [
        ("tokens", "Vastaamo 2016 040 123 4567", " "),
        ("tokens-nl", "Vastaamo 2016 040 123 4567", "\n"),
        ("text", "lorem ipsum dolor sit amet", " "),
        ("phone", "040 123 4567", " "),
        ("year", "2016", " "),
        ("vastaamo", "Vastaamo", " "),
    ] {
        for kb in [25usize, 50, 100, 200] {
            let n = kb * 1024 / (token.len() + 1);
            let body = vec![token; n].join(sep);
            let s = Instant::now();
            let _ = parse_message(&msg(&body), &rules, 2026);
            println!("{name} {kb} KB: {:?}", s.elapsed());
        }
    }
}
