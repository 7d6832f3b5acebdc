//! `datareq status [--json]`: one screen for people — requests per state, the oldest waiting
//! item per queue, overdue requests, the outbox, and the last successful mailbox check.

use std::io::Write;
use std::process::ExitCode;

use super::store::with_store;
use crate::config::Config;
use crate::request::calendar::{iso_date, iso_time, DAY};

/// The most overdue requests `status` names.
const MOST_OVERDUE: usize = 5;

pub fn run(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let status = with_store(config, async |store| Ok(store.status(now).await?))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json {
        let states: serde_json::Map<String, serde_json::Value> = status
            .states
            .iter()
            .map(|(s, n)| (s.name().to_string(), (*n).into()))
            .collect();
        let oldest: serde_json::Map<String, serde_json::Value> = status
            .oldest
            .iter()
            .map(|r| {
                (
                    r.state.name().to_string(),
                    serde_json::json!({
                        "reference": r.reference,
                        "received_at": r.received_at,
                        "due_at": r.due_at,
                    }),
                )
            })
            .collect();
        let value = serde_json::json!({
            "states": states,
            "oldest": oldest,
            "overdue": status.overdue.len(),
            "most_overdue": status
                .overdue
                .iter()
                .take(MOST_OVERDUE)
                .map(|r| serde_json::json!({"reference": r.reference, "state": r.state.name(), "due_at": r.due_at}))
                .collect::<Vec<_>>(),
            "outbox": {
                "waiting": status.outbox_waiting,
                "deferred": status.outbox_deferred,
                "parked": status.outbox_parked,
            },
            "mailbox_checked_at": status.mailbox_checked_at,
            "failing": status
                .failing
                .iter()
                .map(|(part, f)| serde_json::json!({"part": part.name(), "since": f.since, "reason": f.reason}))
                .collect::<Vec<_>>(),
        });
        writeln!(out, "{value}")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "Requests")?;
    if status.states.is_empty() {
        writeln!(out, "  none")?;
    }
    for (state, n) in &status.states {
        writeln!(out, "  {:<14}{n:>8}", state.name())?;
    }
    writeln!(out, "\nOldest waiting")?;
    if status.oldest.is_empty() {
        writeln!(out, "  nothing waits")?;
    }
    for r in &status.oldest {
        writeln!(
            out,
            "  {:<14}{}  received {} ({} d ago), due {}",
            r.state.name(),
            r.reference,
            iso_date(r.received_at),
            (now - r.received_at).max(0) / DAY,
            iso_date(r.due_at)
        )?;
    }
    writeln!(out, "\nOverdue        {:>8}", status.overdue.len())?;
    for r in status.overdue.iter().take(MOST_OVERDUE) {
        writeln!(
            out,
            "  {}  {:<12}  due {} ({} d ago)",
            r.reference,
            r.state.name(),
            iso_date(r.due_at),
            (now - r.due_at).max(0) / DAY
        )?;
    }
    if status.overdue.len() > MOST_OVERDUE {
        writeln!(out, "  … `datareq requests overdue` lists them all")?;
    }
    writeln!(
        out,
        "Outbox         {:>8} waiting, {} deferred, {} parked",
        status.outbox_waiting, status.outbox_deferred, status.outbox_parked
    )?;
    match status.mailbox_checked_at {
        Some(at) => writeln!(
            out,
            "Mailbox        last read {} ({} min ago)",
            iso_time(at),
            (now - at).max(0) / 60
        )?,
        None => writeln!(out, "Mailbox        never read by the daemon")?,
    }
    // As the daemon last recorded it: a store that cannot be written keeps its last word.
    for (part, f) in &status.failing {
        writeln!(
            out,
            "Failing        {} since {} ({} s): {}",
            part.name(),
            iso_time(f.since),
            (now - f.since).max(0),
            f.reason
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
