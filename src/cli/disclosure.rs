//! `datareq disclosure pickup|ack`: City staff (over SSH) take their organisation's queued
//! requests as encrypted bundles, and later confirm that the records were disclosed.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};

use crate::config::Config;
use crate::crypto::recipients::Recipients;
use crate::disclosure::bundle::bundle;
use crate::disclosure::pickup::{PickupDir, INDEX};
use crate::request::calendar::iso_date;
use crate::store::{Actor, Selection};

use super::store::with_store;

/// Requests claimed per transaction: a pick-up of thousands holds the database's write lock
/// (SQLite) only for one batch at a time, so the daemon goes on storing mail meanwhile.
const PER_TRANSACTION: u32 = 50;

/// Writes up to `limit` bundles of `organisation`'s queue into `out`, in transactions of
/// [`PER_TRANSACTION`]: a failure leaves its batch queued and the batches before picked up.
pub fn pickup(
    config: &Config,
    organisation: &str,
    out: &Path,
    limit: u32,
) -> anyhow::Result<ExitCode> {
    let org = config
        .organisations
        .get(organisation)
        .ok_or_else(|| anyhow!("no organisation {organisation:?} in [organisations]"))?;
    if org.certificates.is_empty() {
        bail!(
            "organisations.{organisation}.certificates is empty: configure the organisation's \
             OpenPGP certificate files first"
        );
    }
    let recipients = Recipients::load(&org.certificates)
        .with_context(|| format!("organisations.{organisation}.certificates"))?;
    let actor = Actor::current_os_user();
    let now = super::now();
    let rules = config.rules();
    let picked = with_store(config, async |store| {
        let (_, to_review) = store.route_unrouted(&rules, now).await?;
        if to_review > 0 {
            eprintln!("{to_review} queued request(s) name a provider without an organisation now: sent to review");
        }
        let mut picked = 0u32;
        while picked < limit {
            let chunk = PER_TRANSACTION.min(limit - picked);
            // Both the writer and the finishing step add to it.
            let dir = std::cell::RefCell::new(
                PickupDir::open(out).with_context(|| format!("{}", out.display()))?,
            );
            let claimed = store
                .pick_up(
                    organisation,
                    Selection::Oldest(chunk),
                    &actor,
                    now,
                    |d| -> anyhow::Result<Option<crate::store::ReplyContent>> {
                        let reference = d.summary.reference.clone();
                        let due_date = iso_date(d.summary.due_at);
                        let sealed = recipients
                            .encrypt(&bundle(&d, &org.name, now))
                            .with_context(|| format!("{reference}: encryption"))?;
                        drop(d);
                        dir.borrow_mut()
                            .write_bundle(&reference, &due_date, &sealed)
                            .with_context(|| format!("{reference}: cannot write the bundle"))?;
                        Ok(None)
                    },
                    || dir.borrow_mut().write_index().context(INDEX),
                )
                .await
                .with_context(|| {
                    format!("{picked} request(s) were picked up before this; the rest stay queued")
                })?;
            dir.into_inner().keep();
            for summary in &claimed {
                println!("{}\t{}", summary.reference, iso_date(summary.due_at));
            }
            picked += claimed.len() as u32;
            if claimed.len() < chunk as usize {
                break;
            }
        }
        Ok(picked)
    })?;
    eprintln!(
        "{picked} request(s) picked up for {organisation} into {} (index: {INDEX})",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `datareq disclosure ack REF…`: the records were disclosed.
pub fn ack(config: &Config, references: &[String]) -> anyhow::Result<ExitCode> {
    let actor = Actor::current_os_user();
    with_store(config, async |store| {
        store
            .mark_disclosed(references, None, &actor, super::now())
            .await
            .map_err(anyhow::Error::from)
    })?;
    eprintln!("{} request(s) marked disclosed", references.len());
    Ok(ExitCode::SUCCESS)
}
