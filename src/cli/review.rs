//! `datareq review list|show|resolve|edit`: the clerks' exception queue over SSH. Every read
//! and action is in the audit trail with the clerk's OS user.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use super::store::with_store;
use crate::config::Config;
use crate::mail::templates::names_the_care;
use crate::request::calendar::{iso_date, DAY};
use crate::request::display::visible;
use crate::request::edit::Edit;
use crate::request::message::read_message;
use crate::request::reference::Reference;
use crate::store::{Actor, Resolution, StoreError};

/// How a clerk resolves a request, as given on the command line.
pub enum Decision {
    Queue,
    Reply {
        template: Option<String>,
        text: Option<String>,
    },
    Reject {
        note: String,
    },
}

/// `review list [--json]`: reference, reasons, age, due date; the earliest due first.
pub fn list(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let actor = Actor::current_os_user();
    let items = with_store(config, async |store| {
        Ok(store.review_queue(&actor, now).await?)
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for item in &items {
        let s = &item.summary;
        let age_days = (now - s.received_at).max(0) / DAY;
        if json {
            let mut value = serde_json::to_value(item)?;
            value["age_days"] = age_days.into();
            writeln!(out, "{value}")?;
        } else {
            let reasons = if item.reasons.is_empty() {
                "-".to_string()
            } else {
                item.reasons.join(",")
            };
            writeln!(
                out,
                "{}  age {:>3} d  due {}  {reasons}",
                s.reference,
                age_days,
                iso_date(s.due_at)
            )?;
        }
    }
    out.flush()?;
    if !json {
        eprintln!("{} request(s) in review", items.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `review show REF`: the request (fields, reasons, attachments, history), then each stored
/// message as plain text, with anything a terminal would interpret removed.
pub fn show(config: &Config, reference: &str) -> anyhow::Result<ExitCode> {
    let code = super::requests::show(config, reference, false)?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    let reference = reference.parse::<Reference>()?.to_string();
    let actor = Actor::current_os_user();
    let messages = with_store(config, async |store| {
        Ok(store
            .request_messages(&reference, &actor, super::now())
            .await?)
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let max = config.limits.max_message_bytes;
    for (i, raw) in messages.iter().enumerate() {
        let view = read_message(raw, max);
        writeln!(out, "\n--- message {} of {} ---", i + 1, messages.len())?;
        if let Some(subject) = &view.subject {
            writeln!(out, "Subject: {}", visible(subject))?;
        }
        writeln!(out)?;
        writeln!(out, "{}", visible(&view.body))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `review resolve REF --queue | --reply (--template NAME | --text TEXT) | --reject --note TEXT`.
pub fn resolve(config: &Config, reference: &str, decision: Decision) -> anyhow::Result<ExitCode> {
    let reference = reference.parse::<Reference>()?.to_string();
    let words = match &decision {
        Decision::Reply { text: Some(t), .. } => Some(t.as_str()),
        Decision::Reject { note } => Some(note.as_str()),
        _ => None,
    };
    if let Some(words) = words {
        if words.trim().is_empty() {
            bail!("the text to the citizen is empty");
        }
        if let Some(word) = names_the_care(words, &config.provider_names()) {
            bail!(
                "the text names the care or a provider (\"{word}\"); a message read by someone \
                 else must not reveal it"
            );
        }
    }
    let resolution = match &decision {
        Decision::Queue => Resolution::Queue,
        Decision::Reply {
            text: Some(text), ..
        } => Resolution::ReplyText(text),
        Decision::Reply {
            template: Some(name),
            ..
        } if name == "missing_fields" => Resolution::ReplyMissing,
        Decision::Reply {
            template: Some(name),
            ..
        } => {
            bail!("no reply template {name:?} for clerks (available: missing_fields; or --text)")
        }
        Decision::Reply { .. } => bail!("--reply needs --template NAME or --text TEXT"),
        Decision::Reject { note } => Resolution::Reject(note),
    };
    let actor = Actor::current_os_user();
    let rules = config.rules();
    let result = with_store(config, async |store| {
        Ok(store
            .resolve_review(&reference, resolution, &rules, &actor, super::now())
            .await)
    })?;
    report(&reference, result.map(|state| state.to_string()))
}

/// `review edit REF --set field=value…`: all corrections or none.
pub fn edit(config: &Config, reference: &str, edits: &[String]) -> anyhow::Result<ExitCode> {
    let reference = reference.parse::<Reference>()?.to_string();
    let edits: Vec<Edit> = edits
        .iter()
        .map(|e| {
            from_stdin_when_dash(e)?
                .parse::<Edit>()
                .map_err(anyhow::Error::from)
        })
        .collect::<anyhow::Result<_>>()?;
    let actor = Actor::current_os_user();
    let rules = config.rules();
    let result = with_store(config, async |store| {
        Ok(store
            .edit_request(
                &reference,
                &edits,
                &rules,
                super::current_year(),
                &actor,
                super::now(),
            )
            .await)
    })?;
    report(
        &reference,
        result.map(|missing| {
            if missing.is_empty() {
                "nothing missing".to_string()
            } else {
                let names: Vec<&str> = missing.iter().map(|f| f.name()).collect();
                format!("still missing or invalid: {}", names.join(","))
            }
        }),
    )
}

/// `field=-`: the value is the next line of stdin, so personal data stays out of the
/// process list and shell history.
fn from_stdin_when_dash(edit: &str) -> anyhow::Result<String> {
    match edit.split_once('=') {
        Some((field, "-")) => {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line)? == 0 {
                bail!("{field}=-: no line left on stdin");
            }
            Ok(format!("{field}={}", line.trim_end_matches(['\r', '\n'])))
        }
        _ => Ok(edit.to_string()),
    }
}

fn report(reference: &str, result: Result<String, StoreError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(outcome) => {
            println!("{reference}: {outcome}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (StoreError::NotFound(_) | StoreError::Refused(_) | StoreError::Purged(_))) => {
            eprintln!("datareq: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
