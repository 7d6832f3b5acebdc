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
    let done = with_store(config, async |store| {
        Ok(housekeeping(store, config, super::now()).await?)
    })?;
    println!(
        "expired {}, purged {}, web sessions ended {}",
        done.expired, done.purged, done.sessions
    );
    println!("audit head {} {}", done.head.seq, done.head.hash);
    Ok(ExitCode::SUCCESS)
}

/// What the daily housekeeping did.
pub struct Housekeeping {
    pub expired: usize,
    pub purged: usize,
    pub sessions: u64,
    pub head: crate::store::AuditHead,
}

/// The daily housekeeping (`datareq maintain`, and the daemon once a day): expiry, retention,
/// web sessions past their limits, and the audit chain's head into the log (a copy outside the
/// database, to compare against later).
pub async fn housekeeping(
    store: &crate::store::Store,
    config: &Config,
    now: i64,
) -> Result<Housekeeping, crate::store::StoreError> {
    let expired = store
        .expire_incomplete(now, config.request.expire_after_days, false)
        .await?;
    let purged = store
        .purge(now, config.store.retention_days, false, &Actor::Daemon)
        .await?;
    let sessions = store
        .purge_sessions(config.web.session_limits(), now)
        .await?;
    let head = store.audit_head().await?;
    tracing::info!(
        expired = expired.len(),
        purged = purged.len(),
        sessions,
        audit_seq = head.seq,
        audit_hash = %head.hash,
        "daily housekeeping"
    );
    Ok(Housekeeping {
        expired: expired.len(),
        purged: purged.len(),
        sessions,
        head,
    })
}
