//! `datareq parse [--json] FILE…`: one line of the parse contract per file, in argument order,
//! or a readable summary for a clerk. A file that cannot be read is reported by name on
//! stderr — never with its content — and the exit status is non-zero after the rest are done.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::request::attachment::DocumentReader;
use crate::request::model::{AttachmentReport, Field, Fields, ParsedRequest, ReviewReason, Status};
use crate::request::{RequestParser, Rules};

/// One line of the JSON contract.
#[derive(Serialize)]
struct ContractLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    request: &'a ParsedRequest,
}

/// The contract's JSON object for one parsed file.
pub fn contract_json(file: &str, request: &ParsedRequest) -> String {
    serde_json::to_string(&ContractLine { file, request }).unwrap_or_else(|_| String::from("{}"))
}

/// Runs the command. `current_year` comes from the clock at the binary's edge.
pub fn run(
    files: &[String],
    json: bool,
    rules: &Rules,
    documents: Box<dyn DocumentReader>,
    current_year: i32,
) -> ExitCode {
    let stdout = io::stdout();
    let colour = !json && stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    let parser = RequestParser::with_reader(rules.clone(), documents);
    for file in files {
        let raw = match read_limited(Path::new(file), rules.max_message_bytes) {
            Ok(raw) => raw,
            Err(e) => {
                // Flush first so errors and results interleave in order on a terminal.
                let _ = out.flush();
                eprintln!("datareq: {file}: cannot read: {}", io_reason(&e));
                failed = true;
                continue;
            }
        };
        // A bug in the parser must cost one file, not the run (nor print its content: the
        // binary's panic hook prints only where it happened).
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parser.parse(&raw, current_year)
        }));
        let Ok(request) = parsed else {
            let _ = out.flush();
            eprintln!("datareq: {file}: internal error while parsing; the message was not parsed");
            failed = true;
            continue;
        };
        let written = if json {
            writeln!(out, "{}", contract_json(file, &request))
        } else {
            write_summary(&mut out, file, &request, colour)
        };
        if written.is_err() {
            // stdout closed (a pipe into `head`): nothing more can be reported.
            return ExitCode::from(if failed { 1 } else { 0 });
        }
    }
    let _ = out.flush();
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads a file, but no more than one byte past the limit: a 50 GB file is "too large", not a
/// memory exhaustion. The limit's extra byte is what tells the core the message is too large.
pub(crate) fn read_limited(path: &Path, max: usize) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let mut raw = Vec::new();
    // Headers of a too-large message are still read by the core from the first bytes.
    file.take(max as u64 + 1).read_to_end(&mut raw)?;
    Ok(raw)
}

pub(crate) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        kind => kind.to_string(),
    }
}

fn write_summary(
    out: &mut impl Write,
    file: &str,
    r: &ParsedRequest,
    colour: bool,
) -> io::Result<()> {
    let (status, code) = match r.status {
        Status::Complete => ("complete", "32"),
        Status::Incomplete => ("incomplete", "33"),
        Status::NeedsReview => ("needs review", "31"),
    };
    if colour {
        writeln!(out, "{file}: \x1b[1;{code}m{status}\x1b[0m")?;
    } else {
        writeln!(out, "{file}: {status}")?;
    }
    write_fields(out, &r.fields)?;
    let invalid: Vec<(Field, &str)> = r.invalid.iter().map(|i| (i.field, i.reason)).collect();
    write_outcome(out, &r.missing, &invalid, &r.review_reasons)?;
    write_attachments(out, &r.attachments)?;
    writeln!(
        out,
        "  {:<14} {:?} / {:?}{}{}",
        "language/source",
        r.language,
        r.source,
        if r.auto_submitted { " / automatic" } else { "" },
        if r.follow_up { " / follow-up" } else { "" }
    )?;
    writeln!(out)
}

/// The request's fields, one row each, for a person to read (`parse`, `requests show`).
pub(crate) fn write_fields(out: &mut impl Write, f: &Fields) -> io::Result<()> {
    use crate::request::edit::value_text;
    use crate::request::model::Field;
    let labels = [
        "surname",
        "first names",
        "former names",
        "identity code",
        "requested",
        "provider",
        "years",
        "phone",
        "sms notice",
        "address",
    ];
    let rows = labels
        .into_iter()
        .zip(Field::ALL)
        .map(|(label, field)| (label, value_text(f, field)));
    for (label, value) in rows {
        let value = if value.is_empty() {
            "—".into()
        } else {
            value
        };
        writeln!(out, "  {label:<14} {value}")?;
    }
    Ok(())
}

/// What is missing or invalid (with the reason) and why a person must look.
pub(crate) fn write_outcome(
    out: &mut impl Write,
    missing: &[Field],
    invalid: &[(Field, &str)],
    reasons: &[ReviewReason],
) -> io::Result<()> {
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let missing = list(missing.iter().map(|f| f.name().to_string()).collect());
    let invalid = list(
        invalid
            .iter()
            .map(|(field, reason)| format!("{} ({reason})", field.name()))
            .collect(),
    );
    let reasons = list(reasons.iter().map(|x| x.name().to_string()).collect());
    writeln!(out, "  {:<14} {missing}", "missing")?;
    writeln!(out, "  {:<14} {invalid}", "invalid")?;
    writeln!(out, "  {:<14} {reasons}", "review")
}

/// Which attachment held what: a request in a scan or a locked PDF is found here.
pub(crate) fn write_attachments(
    out: &mut impl Write,
    attachments: &[AttachmentReport],
) -> io::Result<()> {
    for (i, a) in attachments.iter().enumerate() {
        writeln!(
            out,
            "  {:<14} {}. {} ({}, {} bytes): {}",
            if i == 0 { "attachments" } else { "" },
            i + 1,
            a.name.as_deref().unwrap_or("(no name)"),
            a.content_type,
            a.size,
            a.outcome.describe()
        )?;
    }
    Ok(())
}
