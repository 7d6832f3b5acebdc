//! `datareq requests list|show`: what the store holds. Listing shows no personal data; showing
//! one request decrypts it and is recorded in the audit trail with the OS user as actor.

use std::process::ExitCode;

use std::io::Write;

use serde::Serialize;

use super::parse::{write_attachments, write_fields, write_outcome};
use super::store::with_store;
use crate::config::Config;
use crate::request::calendar::iso_date;
use crate::request::lifecycle::{Event, RequestState};
use crate::request::model::Field;
use crate::request::reference::Reference;
use crate::store::{Actor, Extension, RequestSummary, StoreError};

pub fn list(config: &Config, state: Option<RequestState>, json: bool) -> anyhow::Result<ExitCode> {
    let requests = with_store(config, async |store| Ok(store.list_requests(state).await?))?;
    print_summaries(&requests, json)
}

/// `datareq requests overdue`: open requests past their due date, most overdue first.
pub fn overdue(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let requests = with_store(config, async |store| {
        Ok(store.list_overdue(super::now()).await?)
    })?;
    print_summaries(&requests, json)
}

/// `datareq requests extend REF …`: a longer deadline, audited; a GDPR extension also queues
/// a notice with the reason to the citizen.
pub fn extend(
    config: &Config,
    reference: &str,
    extension: Extension,
    reason: &str,
) -> anyhow::Result<ExitCode> {
    let Some(reference) = parse_reference(reference) else {
        return Ok(ExitCode::from(2));
    };
    let actor = Actor::current_os_user();
    let result = with_store(config, async |store| {
        Ok(store
            .extend_deadline(
                &reference.to_string(),
                extension,
                reason,
                &actor,
                super::now(),
            )
            .await)
    })?;
    match result {
        Ok(due_at) => {
            println!("{reference}: due {}", iso_date(due_at));
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (StoreError::NotFound(_) | StoreError::Refused(_) | StoreError::Purged(_))) => {
            eprintln!("datareq: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// How `requests find` looks.
pub enum Find {
    Reference(String),
    /// An identity code, or `-` to read it from stdin (kept out of shell history and the
    /// process list).
    PersonalId(String),
}

/// `datareq requests find --ref REF | --personal-id CODE|-`: for a citizen on the phone.
pub fn find(config: &Config, by: Find, json: bool) -> anyhow::Result<ExitCode> {
    let actor = Actor::current_os_user();
    let now = super::now();
    let found = match by {
        Find::Reference(text) => {
            let Some(reference) = parse_reference(&text) else {
                return Ok(ExitCode::from(2));
            };
            let reference = reference.to_string();
            with_store(config, async |store| {
                Ok(store.find_by_reference(&reference, &actor, now).await?)
            })?
        }
        Find::PersonalId(code) => {
            let code = if code == "-" {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim().to_string()
            } else {
                code
            };
            if crate::request::personal_id::PersonalId::parse(&code).is_err() {
                // Not echoed: it is (nearly) an identity code.
                eprintln!("datareq: not a valid personal identity code (check the characters and the checksum)");
                return Ok(ExitCode::from(2));
            }
            with_store(config, async |store| {
                Ok(store.find_by_personal_id(&code, &actor, now).await?)
            })?
        }
    };
    if found.is_empty() {
        eprintln!("datareq: no request found");
        return Ok(ExitCode::from(1));
    }
    print_summaries(&found, json)
}

/// `datareq requests withdraw REF`: the citizen cancelled the request.
pub fn withdraw(config: &Config, reference: &str) -> anyhow::Result<ExitCode> {
    let Some(reference) = parse_reference(reference) else {
        return Ok(ExitCode::from(2));
    };
    let actor = Actor::current_os_user();
    let result = with_store(config, async |store| {
        Ok(store
            .apply_event(
                &reference.to_string(),
                Event::Withdrawn,
                &actor,
                super::now(),
            )
            .await)
    })?;
    match result {
        Ok(state) => {
            println!("{reference}: {state}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (StoreError::NotFound(_) | StoreError::Transition(_))) => {
            eprintln!("datareq: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// A reference from the command line, checked before the database is touched (a mistyped
/// reference is not an audited read); `None` after saying why.
fn parse_reference(text: &str) -> Option<Reference> {
    let parsed = text.parse::<Reference>().ok();
    if parsed.is_none() {
        eprintln!("datareq: not a request reference (expected DR-YYYY-NNNNNN)");
    }
    parsed
}

fn print_summaries(requests: &[RequestSummary], json: bool) -> anyhow::Result<ExitCode> {
    for r in requests {
        if json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            println!(
                "{}  {:<12}  received {}  due {}{}",
                r.reference,
                r.state.name(),
                iso_date(r.received_at),
                iso_date(r.due_at),
                if r.purged { "  (purged)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ShowJson<'a> {
    reference: &'a str,
    state: RequestState,
    received_at: i64,
    due_at: i64,
    messages: usize,
    #[serde(flatten)]
    content: &'a crate::store::RequestContent,
    history: &'a [crate::store::HistoryEntry],
}

pub fn show(config: &Config, reference: &str, json: bool) -> anyhow::Result<ExitCode> {
    let Some(reference) = parse_reference(reference) else {
        return Ok(ExitCode::from(2));
    };
    let reader = Actor::current_os_user();
    let shown = with_store(config, async |store| {
        Ok(store
            .show_request(&reference.to_string(), &reader, super::now())
            .await)
    })?;
    let request = match shown {
        Ok(r) => r,
        Err(e @ (StoreError::NotFound(_) | StoreError::Purged(_))) => {
            eprintln!("datareq: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let s = &request.summary;
    if json {
        println!(
            "{}",
            serde_json::to_string(&ShowJson {
                reference: &s.reference,
                state: s.state,
                received_at: s.received_at,
                due_at: s.due_at,
                messages: request.messages,
                content: &request.content,
                history: &request.history,
            })?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let c = &request.content;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let invalid: Vec<(Field, &str)> = c
        .invalid
        .iter()
        .map(|i| (i.field, i.reason.as_str()))
        .collect();
    // Only this command prints a stored request's personal values, to the person who asked
    // (the read is already in the audit trail); a closed pipe ends it quietly.
    let written = (|| -> std::io::Result<()> {
        writeln!(out, "{}: {}", s.reference, s.state)?;
        writeln!(out, "  {:<14} {}", "received", iso_date(s.received_at))?;
        writeln!(out, "  {:<14} {}", "due", iso_date(s.due_at))?;
        writeln!(out, "  {:<14} {}", "from", opt(&c.sender))?;
        writeln!(out, "  {:<14} {}", "subject", opt(&c.subject))?;
        write_fields(&mut out, &c.fields)?;
        write_outcome(&mut out, &c.missing, &invalid, &c.review_reasons)?;
        write_attachments(&mut out, &c.attachments)?;
        writeln!(out, "  {:<14} {}", "messages", request.messages)?;
        writeln!(out, "  history")?;
        for h in &request.history {
            writeln!(
                out,
                "    {}  {:<14} {:<16} {}",
                crate::request::calendar::iso_time(h.at),
                h.actor,
                h.action,
                h.detail
            )?;
        }
        out.flush()
    })();
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(ExitCode::SUCCESS)
}
