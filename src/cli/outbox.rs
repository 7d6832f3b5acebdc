//! `datareq outbox list | flush`: the replies not yet sent (due, being sent, deferred after a
//! transient failure, parked after a permanent one), and an operator's "try the deferred ones
//! now" after fixing the mail server, as Postfix's `postqueue -p` and `-f`.

use std::process::ExitCode;

use super::store::with_store;
use crate::config::Config;
use crate::request::calendar::iso_date;

pub fn list(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let unsent = with_store(config, async |store| Ok(store.unsent_replies(now).await?))?;
    for reply in &unsent {
        if json {
            println!("{}", serde_json::to_string(reply)?);
        } else {
            println!(
                "{}  {:<16}  {:<8}  queued {}  attempts {}{}",
                reply.reference,
                reply.kind,
                reply.state.name(),
                iso_date(reply.created_at),
                reply.attempts,
                reply
                    .failure
                    .as_deref()
                    .map(|f| format!("  last failure: {f}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn flush(config: &Config) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let n = with_store(config, async |store| Ok(store.flush_deferred(now).await?))?;
    println!("{n} deferred replies are due now");
    Ok(ExitCode::SUCCESS)
}
