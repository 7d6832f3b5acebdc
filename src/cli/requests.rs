//! `datareq requests list|show`: what the store holds. Listing shows no personal data; showing
//! one request decrypts it and is recorded in the audit trail with the OS user as actor.

use std::process::ExitCode;

use serde::Serialize;

use super::store::with_store;
use crate::config::Config;
use crate::request::calendar::iso_date;
use crate::request::lifecycle::RequestState;
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
            })?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let c = &request.content;
    let f = &c.fields;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    println!("{}: {}", s.reference, s.state);
    println!("  received       {}", iso_date(s.received_at));
    println!("  due            {}", iso_date(s.due_at));
    println!("  from           {}", opt(&c.sender));
    println!("  subject        {}", opt(&c.subject));
    println!("  surname        {}", opt(&f.surname));
    println!("  first names    {}", opt(&f.first_names));
    if !f.former_names.is_empty() {
        println!("  former names   {}", f.former_names.join(", "));
    }
    println!("  identity code  {}", opt(&f.personal_id));
    println!("  requested      {}", opt(&f.requested_information));
    println!("  provider       {}", opt(&f.service_provider));
    let years: Vec<String> = f.treatment_years.iter().map(i32::to_string).collect();
    println!("  years          {}", years.join(", "));
    println!("  phone          {}", opt(&f.phone));
    println!(
        "  address        {}",
        f.address.as_ref().map_or("—".into(), |a| format!(
            "{}, {} {}",
            a.street, a.postal_code, a.post_office
        ))
    );
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    };
    println!(
        "  missing        {}",
        names(c.missing.iter().map(|f| f.name()).collect())
    );
    println!(
        "  invalid        {}",
        names(c.invalid.iter().map(|i| i.field.name()).collect())
    );
    println!(
        "  review         {}",
        names(c.review_reasons.iter().map(|r| r.name()).collect())
    );
    println!("  messages       {}", request.messages);
    Ok(ExitCode::SUCCESS)
}
