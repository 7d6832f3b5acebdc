//! `datareq run [--once]`: the daemon. Reads the mailbox, stores every message as a request
//! (the intake pipeline), moves each stored message out of the way only after its batch
//! committed, and sends the outbox. With `--once` it does one round and exits; otherwise it
//! polls until SIGTERM or SIGINT, finishing the round in progress, and does the daily
//! housekeeping (expiry, retention, the audit head in the log).

pub mod pipeline;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::Transport;

use crate::config::Config;
use crate::mail::maildir::Maildir;
use crate::mail::reply::{render, Sender};
use crate::request::calendar::DAY;
use crate::request::RequestParser;
use crate::store::{Actor, DaemonLock, Store};

/// Replies claimed per round, and how long a claim holds.
const REPLIES_PER_ROUND: i64 = 256;
const REPLY_LEASE_SECONDS: i64 = 300;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub stored: usize,
    pub not_stored: usize,
    pub sent: usize,
}

pub fn run(config: &Config, once: bool) -> anyhow::Result<ExitCode> {
    let url = config.store.database_url()?;
    let _lock = DaemonLock::acquire(&url)?;
    let mailbox = Maildir::open(location(&config.mail.mailbox_url(), "maildir:")?)?;
    let outbox_dir = location(&config.mail.outbox_url(), "file:")?;
    create_private_dir(&outbox_dir)?;
    let outbox = lettre::FileTransport::new(&outbox_dir);
    let sender = Sender {
        from: config
            .mail
            .from
            .parse()
            .map_err(|_| anyhow::anyhow!("mail.from is not an address"))?,
        message_id_domain: config.mail.message_id_domain.clone(),
    };
    let rt = crate::cli::store::runtime()?;
    let store = rt.block_on(crate::cli::store::open(config))?;
    let parser = RequestParser::with_reader(
        config.rules(),
        crate::worker::configured_reader(&config.limits),
    );
    let stop = Arc::new(AtomicBool::new(false));
    if !once {
        let stop = stop.clone();
        rt.spawn(async move {
            wait_for_signal().await;
            stop.store(true, Ordering::SeqCst);
        });
    }
    tracing::info!(once, "datareq running");
    let mut last_housekeeping = 0;
    loop {
        let round = round(&rt, &store, &parser, config, &mailbox, &outbox, &sender)?;
        if round != Round::default() {
            tracing::info!(
                stored = round.stored,
                not_stored = round.not_stored,
                sent = round.sent,
                "round"
            );
        }
        if once {
            eprintln!(
                "stored {}, not stored {}, replies sent {}",
                round.stored, round.not_stored, round.sent
            );
            break;
        }
        let now = crate::cli::now();
        if now - last_housekeeping >= DAY {
            rt.block_on(housekeeping(&store, config, now))?;
            last_housekeeping = now;
        }
        let poll = Duration::from_secs(u64::from(config.mail.poll_seconds));
        let stopped = rt.block_on(async {
            let deadline = tokio::time::Instant::now() + poll;
            while tokio::time::Instant::now() < deadline {
                if stop.load(Ordering::SeqCst) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            stop.load(Ordering::SeqCst)
        });
        if stopped {
            tracing::info!("stopping");
            break;
        }
    }
    rt.block_on(store.close());
    Ok(ExitCode::SUCCESS)
}

/// One round: everything waiting in the mailbox, then the outbox.
pub fn round(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    parser: &RequestParser,
    config: &Config,
    mailbox: &Maildir,
    outbox: &lettre::FileTransport,
    sender: &Sender,
) -> anyhow::Result<Round> {
    let mut done = Round::default();
    let waiting: Vec<String> = mailbox
        .waiting()?
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    pipeline::store_files(rt, store, parser, config, &waiting, |file, outcome| {
        match outcome {
            // Stored (or stored before): only now may it leave new/.
            Ok(_) => match mailbox.processed(std::path::Path::new(file)) {
                Ok(()) => done.stored += 1,
                Err(e) => tracing::error!(error = %e, "cannot move a stored message to cur/"),
            },
            // Left in new/ for the next round; the reason names no content.
            Err(reason) => {
                done.not_stored += 1;
                tracing::warn!(%reason, "a message was not stored");
            }
        }
    })?;
    loop {
        let claimed = rt.block_on(store.claim_replies(
            REPLIES_PER_ROUND,
            REPLY_LEASE_SECONDS,
            crate::cli::now(),
        ))?;
        if claimed.is_empty() {
            break;
        }
        for reply in &claimed {
            let message = match render(reply, sender, std::time::SystemTime::now()) {
                Ok(m) => m,
                Err(e) => {
                    // Parked: it stays claimed until its lease ends, then is tried again.
                    tracing::error!(reference = %reply.reference, error = %e, "reply not sent");
                    continue;
                }
            };
            outbox
                .send(&message)
                .map_err(|e| anyhow::anyhow!("outbox: {e}"))?;
            rt.block_on(store.mark_sent(reply, crate::cli::now()))?;
            tracing::info!(reference = %reply.reference, kind = %reply.kind, "reply sent");
            done.sent += 1;
        }
        if claimed.len() < REPLIES_PER_ROUND as usize {
            break;
        }
    }
    Ok(done)
}

/// The daily housekeeping: expiry, retention, and the audit chain's head into the log.
async fn housekeeping(store: &Store, config: &Config, now: i64) -> anyhow::Result<()> {
    let expired = store
        .expire_incomplete(now, config.request.expire_after_days, false)
        .await?;
    let purged = store
        .purge(now, config.store.retention_days, false, &Actor::Daemon)
        .await?;
    let head = store.audit_head().await?;
    tracing::info!(
        expired = expired.len(),
        purged = purged.len(),
        audit_seq = head.seq,
        audit_hash = %head.hash,
        "daily housekeeping"
    );
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The path of a `scheme:PATH` location.
fn location(url: &str, scheme: &str) -> anyhow::Result<PathBuf> {
    url.strip_prefix(scheme)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .with_context(|| format!("expected a {scheme}PATH location"))
}

fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    crate::private_fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create", dir.display()))
}
