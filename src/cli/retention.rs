//! `datareq purge [--dry-run]` and `datareq expire [--dry-run]`: the daily housekeeping, by
//! hand. Purge deletes the personal data of requests closed longer than `store.retention_days`;
//! expire closes incomplete requests unanswered for `request.expire_after_days`.

use std::process::ExitCode;

use super::store::with_store;
use crate::config::Config;
use crate::store::Actor;

pub fn purge(config: &Config, dry_run: bool) -> anyhow::Result<ExitCode> {
    let days = config.store.retention_days;
    let actor = Actor::current_os_user();
    let purged = with_store(config, async |store| {
        Ok(store.purge(super::now(), days, dry_run, &actor).await?)
    })?;
    report(&purged, dry_run, "purged", "would be purged");
    Ok(ExitCode::SUCCESS)
}

pub fn expire(config: &Config, dry_run: bool) -> anyhow::Result<ExitCode> {
    let days = config.request.expire_after_days;
    let expired = with_store(config, async |store| {
        Ok(store.expire_incomplete(super::now(), days, dry_run).await?)
    })?;
    report(&expired, dry_run, "expired", "would expire");
    Ok(ExitCode::SUCCESS)
}

fn report(references: &[String], dry_run: bool, done: &str, would: &str) {
    for reference in references {
        println!("{reference}");
    }
    let verb = if dry_run { would } else { done };
    eprintln!("{} {verb}", references.len());
}

/// `datareq maintain`: the daily housekeeping in one run (what the daemon does each day):
/// expiry, retention, and the audit chain's head printed for an outside record.
pub fn maintain(config: &Config) -> anyhow::Result<ExitCode> {
    let (expire_days, retention_days) = (
        config.request.expire_after_days,
        config.store.retention_days,
    );
    let (expired, purged, head) = with_store(config, async |store| {
        let now = super::now();
        let expired = store.expire_incomplete(now, expire_days, false).await?;
        let purged = store
            .purge(now, retention_days, false, &Actor::Daemon)
            .await?;
        let head = store.audit_head().await?;
        Ok((expired.len(), purged.len(), head))
    })?;
    // The head goes to the log too: a copy outside the database, to compare against later.
    tracing::info!(seq = head.seq, hash = %head.hash, "audit head");
    println!("expired {expired}, purged {purged}");
    println!("audit head {} {}", head.seq, head.hash);
    Ok(ExitCode::SUCCESS)
}
