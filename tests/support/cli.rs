//! Reading what a `datareq` command printed.

use std::process::Output;

/// Its stdout, after asserting it succeeded (else its stderr is the failure message).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// JSON Lines, one value per line.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs `command` with `input` on its stdin and collects its output.
pub fn output_with_input(mut command: std::process::Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The shared dev corpus's messages (`../shared/corpus/dev/*.eml`), sorted.
pub fn dev_corpus_files() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dev");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("../shared/corpus/dev (copy ../shared next to the clone)")
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".eml"))
        .collect();
    files.sort();
    files
}
