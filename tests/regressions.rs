//! Inputs that once crashed the parser (found by fuzzing or by tests), kept so they never do
//! again: each must parse to contract JSON without a panic and never be `complete`.

use std::path::Path;

#[test]
fn past_crashes_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regressions");
    let parser = datareq::request::RequestParser::new(datareq::request::Rules::default());
    let mut ran = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions folder") {
        let path = entry.expect("entry").path();
        let raw = std::fs::read(&path).expect("read a regression input");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let request = std::panic::catch_unwind(|| parser.parse(&raw, 2026))
            .unwrap_or_else(|_| panic!("{name} panics again"));
        let json = datareq::cli::parse::contract_json(&name, &request);
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "{name}"
        );
        ran += 1;
    }
    assert!(ran >= 1, "no regression inputs ran");
}
