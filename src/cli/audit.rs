//! `datareq audit verify|head`. `verify` walks the chain and names the first bad event (exit
//! status 1); `head` prints the newest event's number and hash, to be kept outside the
//! database so that cut-off events are detectable.

use std::process::ExitCode;

use super::store::with_store;
use crate::config::Config;

pub fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let result = with_store(config, async |store| Ok(store.verify_audit().await?))?;
    match result {
        Ok(n) => {
            println!("audit trail intact: {n} events");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("audit trail broken: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn head(config: &Config) -> anyhow::Result<ExitCode> {
    let head = with_store(config, async |store| Ok(store.audit_head().await?))?;
    println!("{} {}", head.seq, head.hash);
    Ok(ExitCode::SUCCESS)
}
