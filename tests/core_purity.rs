//! Proves that the pure core, `src/request/`, stays pure: no file of it imports or names I/O,
//! async, the clock or the network (tokio, sqlx, std::fs, std::net, std::process, std::env,
//! std::thread, File::, TcpStream, async fn, .await, lettre, async_imap, reqwest, SystemTime,
//! Instant::now). Comments are ignored (a `//!` may say "no tokio"); code and string literals are
//! scanned. The test also proves that it scanned the core (at least 10 files) and that its scanner
//! flags synthetic bad lines, so it cannot pass vacuously.

use std::path::{Path, PathBuf};

/// Substrings that mark I/O, async or the clock. Each match must stand on identifier boundaries
/// at the ends where the pattern itself starts or ends with an identifier character.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "sqlx",
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::thread",
    "File::",
    "TcpStream",
    "async fn",
    "async move",
    ".await",
    "lettre",
    "async_imap",
    "reqwest",
    "std::time::SystemTime",
    "SystemTime",
    "Instant::now",
];

/// Modules of `std` that a grouped import (`use std::{fs, io};`) must not name either.
const FORBIDDEN_STD_MODULES: &[&str] = &["fs", "net", "process", "env", "thread"];

/// One offence: the file, the 1-based line, and the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offence {
    file: String,
    line: usize,
    pattern: String,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces every comment (line, block, nested block, doc) by spaces, keeping newlines so that
/// line numbers stay right. String, raw string and char literals are kept as they are.
fn strip_comments(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            continue;
        }
        let prev_ident = i > 0 && is_ident(chars[i - 1]);
        // Raw strings: r"…", r#"…"#, br#"…"# (the `b` has been copied already).
        if c == 'r'
            && (!prev_ident || (i > 0 && chars[i - 1] == 'b' && !(i > 1 && is_ident(chars[i - 2]))))
        {
            let mut j = i + 1;
            while j < chars.len() && chars[j] == '#' {
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                let hashes = j - i - 1;
                out.extend(&chars[i..=j]);
                i = j + 1;
                while i < chars.len() {
                    if chars[i] == '"'
                        && chars[i + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&h| h == '#')
                            .count()
                            == hashes
                    {
                        out.extend(&chars[i..i + 1 + hashes]);
                        i += 1 + hashes;
                        break;
                    }
                    out.push(chars[i]);
                    i += 1;
                }
                continue;
            }
        }
        if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                out.push(d);
                i += 1;
                if d == '\\' {
                    if let Some(&e) = chars.get(i) {
                        out.push(e);
                        i += 1;
                    }
                } else if d == '"' {
                    break;
                }
            }
            continue;
        }
        if c == '\'' {
            // A char literal ('x', '\n', '\u{..}', '"') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                out.extend(&chars[i..=j.min(chars.len() - 1)]);
                i = j + 1;
                continue;
            }
            if chars.get(i + 2) == Some(&'\'') {
                out.extend(&chars[i..i + 3]);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether `pattern` occurs in `line` on identifier boundaries.
fn matches_pattern(line: &str, pattern: &str) -> bool {
    let first_ident = pattern.chars().next().is_some_and(is_ident);
    let last_ident = pattern.chars().last().is_some_and(is_ident);
    let mut from = 0;
    while let Some(pos) = line[from..].find(pattern) {
        let start = from + pos;
        let end = start + pattern.len();
        let before_ok = !first_ident || !line[..start].chars().next_back().is_some_and(is_ident);
        let after_ok = !last_ident || !line[end..].chars().next().is_some_and(is_ident);
        if before_ok && after_ok {
            return true;
        }
        from = start + pattern.len().max(1);
        while !line.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// Every offence in one file's source text.
fn scan_source(file: &str, src: &str) -> Vec<Offence> {
    let code = strip_comments(src);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        // Collapse runs of whitespace so that `async   fn` or `std :: fs` cannot slip through.
        let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let tight = squeezed.replace(" ::", "::").replace(":: ", "::");
        let tight = tight.replace(". await", ".await");
        for pattern in FORBIDDEN {
            if matches_pattern(&tight, pattern) {
                found.push(Offence {
                    file: file.to_string(),
                    line: n + 1,
                    pattern: (*pattern).to_string(),
                });
            }
        }
    }
    // Grouped imports: `use std::{fs, io::Read};` across any number of lines.
    let flat: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    let mut offset = 0;
    while let Some(pos) = flat[offset..].find("std::{") {
        let open = offset + pos + "std::{".len();
        let mut depth = 1;
        let mut close = open;
        for (k, ch) in flat[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let group = &flat[open..close.max(open)];
        for item in group.split([',', '{', '}']) {
            let head = item.split("::").next().unwrap_or("");
            let head = head.split(" as ").next().unwrap_or(head);
            if FORBIDDEN_STD_MODULES.contains(&head) {
                found.push(Offence {
                    file: file.to_string(),
                    line: line_of_group(&code, head),
                    pattern: format!("std::{{{head}}}"),
                });
            }
        }
        offset = close.max(open);
    }
    found
}

/// The first line (1-based) of the code on which a grouped import names `module`.
fn line_of_group(code: &str, module: &str) -> usize {
    code.lines()
        .position(|l| matches_pattern(l, module))
        .map_or(0, |n| n + 1)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn request_core_names_no_io_or_async() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("request");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= 10,
        "scanned only {} .rs files under {}: the walk is broken",
        files.len(),
        root.display()
    );
    assert!(
        files.iter().any(|f| f.ends_with("request/parse.rs")),
        "the walk missed src/request/parse.rs"
    );
    assert!(
        files.iter().any(|f| f.ends_with("extract/mod.rs")),
        "the walk missed the nested src/request/extract/"
    );
    let mut offences = Vec::new();
    let mut lines_scanned = 0usize;
    for path in &files {
        let src = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        lines_scanned += src.lines().count();
        let shown = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path)
            .display()
            .to_string();
        offences.extend(scan_source(&shown, &src));
    }
    assert!(lines_scanned > 1000, "only {lines_scanned} lines scanned");
    let report: Vec<String> = offences
        .iter()
        .map(|o| format!("{}:{}: names `{}`", o.file, o.line, o.pattern))
        .collect();
    assert!(
        offences.is_empty(),
        "the pure core names I/O or async:\n{}",
        report.join("\n")
    );
}

#[test]
fn scanner_flags_synthetic_bad_lines() {
    let bad = [
        ("use tokio::fs;", "tokio"),
        ("use sqlx::Pool;", "sqlx"),
        ("let t = std::fs::read(p);", "std::fs"),
        ("use std::net::TcpStream;", "std::net"),
        ("std::process::exit(1);", "std::process"),
        ("let v = std::env::var(\"X\");", "std::env"),
        ("std::thread::spawn(f);", "std::thread"),
        ("let f = File::open(p)?;", "File::"),
        ("let s: TcpStream = todo!();", "TcpStream"),
        ("pub async fn fetch() {}", "async fn"),
        ("let x = fut.await;", ".await"),
        ("use lettre::Message;", "lettre"),
        ("use async_imap::Client;", "async_imap"),
        ("let c = reqwest::Client::new();", "reqwest"),
        (
            "let now = std::time::SystemTime::now();",
            "std::time::SystemTime",
        ),
        ("let t = Instant::now();", "Instant::now"),
        ("let x = fut . await;", ".await"),
        ("pub   async    fn  spaced() {}", "async fn"),
    ];
    for (line, pattern) in bad {
        let src = format!("//! A module.\n\nfn f() {{\n    {line}\n}}\n");
        let found = scan_source("synthetic.rs", &src);
        assert!(
            found
                .iter()
                .any(|o| o.pattern == pattern && o.line == 4 && o.file == "synthetic.rs"),
            "{line:?} not flagged as {pattern:?} on line 4: {found:?}"
        );
    }
    // A grouped import over several lines.
    let grouped = "use std::{\n    collections::HashMap,\n    fs,\n};\n";
    let found = scan_source("grouped.rs", grouped);
    assert!(
        found
            .iter()
            .any(|o| o.pattern == "std::{fs}" && o.line == 3),
        "{found:?}"
    );
    let grouped = "use std::{io::{self, Read}, thread::sleep};\n";
    let found = scan_source("grouped.rs", grouped);
    assert!(
        found.iter().any(|o| o.pattern == "std::{thread}"),
        "{found:?}"
    );
}

#[test]
fn scanner_ignores_comments_and_lookalikes() {
    let clean = r##"//! No tokio, no sqlx, no std::fs: bytes in, values out.
/// Never calls File::open or Instant::now.
fn f() -> usize {
    // .await would be wrong here; so would async fn.
    /* std::net /* nested std::thread */ still a comment: TcpStream */
    let profile_file = ProfileFile::default(); // `File::` only as an identifier's tail
    let asynchronous = 1;
    let c = '"'; let s = "a // not a comment";
    let r = r#"raw " string"#;
    let tokiolike = 2;
    profile_file.len() + asynchronous + tokiolike + s.len() + r.len() + c.len_utf8()
}
"##;
    let found = scan_source("clean.rs", clean);
    assert!(found.is_empty(), "false positives: {found:?}");
    // Code after a char literal holding a quote is still scanned.
    let tricky = "fn f() { let c = '\"'; let t = std::env::args(); }\n";
    let found = scan_source("tricky.rs", tricky);
    assert!(
        found.iter().any(|o| o.pattern == "std::env" && o.line == 1),
        "{found:?}"
    );
    // Code after a block comment on the same line is scanned too.
    let after = "/* ok */ use tokio::net;\n";
    assert_eq!(scan_source("after.rs", after).len(), 1);
}
