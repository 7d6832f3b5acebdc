//! `datareq run [--once]`: the daemon. Reads the mailbox (a Maildir, or an IMAP folder with
//! IDLE), stores every message as a request (the intake pipeline), moves each stored message
//! out of the way only after its batch committed, and sends the outbox (a folder, or SMTP).
//! With `--once` it does one round, sends until the outbox is empty (retrying transient
//! failures for a bounded time) and exits; otherwise it waits for mail until SIGTERM or
//! SIGINT, finishing the step in progress, reconnects with capped exponential backoff after
//! mailbox errors, and does the daily housekeeping (expiry, retention, the audit head).

pub mod forward;
pub mod intake;
pub mod notify;
pub mod pipeline;
pub mod send;

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::Config;
use crate::health::{Change, Health, Part};
use crate::mail::imap::{sleep_or_stop, AfterStore, ImapInbox, Woken};
use crate::mail::location::{MailboxLocation, OutboxLocation, Server};
use crate::mail::maildir::Maildir;
use crate::mail::reply::Sender;
use crate::mail::templates::Templates;
use crate::mail::MailError;
use crate::request::calendar::DAY;
use crate::request::RequestParser;
use crate::store::{DaemonLock, Store, StoreError};
use intake::{take_in, Inbox};
use notify::Notifier;
use send::{send_due, Outbox, Retry};

/// Errors that end a round. Mailbox errors are retried by the daemon; the others end it.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("mailbox: {0}")]
    Mailbox(MailError),
    #[error("outbox: {0}")]
    Outbox(MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the daemon works with.
pub struct Services<'a> {
    pub rt: &'a tokio::runtime::Runtime,
    pub store: &'a Store,
    /// The threads that parse and seal incoming mail.
    pub preparers: &'a pipeline::Preparers,
    pub config: &'a Config,
    pub outbox: &'a Outbox,
    pub sender: &'a Sender,
    pub stop: tokio::sync::watch::Receiver<bool>,
    pub notifier: &'a Notifier,
    /// Set by SIGHUP: reload the reply templates before the next round.
    pub reload: &'a std::sync::atomic::AtomicBool,
    /// `run --once` on a terminal: a bar of the messages stored so far.
    pub progress: Option<indicatif::ProgressBar>,
    /// Organisations that receive their requests by email.
    pub deliveries: &'a [forward::EmailDelivery],
    /// How the mailbox, the sending and the store fare, for `/healthz` and `status`.
    pub health: &'a Health,
}

impl Services<'_> {
    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Notes how `part` fared: `Ok` when it worked, else the kind of failure. A change is
    /// logged and recorded in the store for `datareq status`; when that record fails (the
    /// store may be the part that fails), the memory still tells `/healthz`.
    pub fn note(&self, part: Part, outcome: Result<(), &str>) {
        let change = match outcome {
            Ok(()) => self.health.worked(part),
            Err(reason) => self.health.failed(part, reason, crate::cli::now()),
        };
        let Some(change) = change else {
            return;
        };
        match &change {
            Change::Failing(part, f) => {
                tracing::warn!(part = part.name(), reason = %f.reason, "failing")
            }
            Change::Recovered(part) => tracing::info!(part = part.name(), "recovered"),
        }
        if let Err(e) = self.rt.block_on(self.store.record_health(&change)) {
            tracing::warn!(error = %e, "cannot record the change of health");
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub stored: usize,
    pub not_stored: usize,
    pub sent: usize,
}

/// IDLE is renewed this often (servers end it after 30 minutes), which is also how often
/// replies waiting for a retry get their chance when no mail comes.
const IDLE_RENEW: Duration = Duration::from_secs(60);
/// While mail keeps coming the mailbox is looked at again after this pause instead of
/// waiting in IDLE: servers hold IDLE's news back to gather changes (Dovecot for half a
/// second after the first), which a burst would pay on nearly every message.
const BURST_PAUSE: Duration = Duration::from_millis(100);
/// A burst is over once this long has passed without new mail; then IDLE again.
const BURST_QUIET: Duration = Duration::from_secs(2);
/// Reconnection pauses grow from the first to the last, doubling, with jitter.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_LAST: Duration = Duration::from_secs(60);
/// `--once` gives up on an unreachable mailbox after this many tries.
const ONCE_TRIES: u32 = 4;

pub fn run(config: &Config, once: bool) -> anyhow::Result<ExitCode> {
    let url = config.store.database_url()?;
    let _lock = DaemonLock::acquire(&url)?;
    let rt = crate::cli::store::daemon_runtime()?;
    let mut inbox = open_inbox(config)?;
    let outbox = open_outbox(config)?;
    let sender = Sender {
        from: config
            .mail
            .from
            .parse()
            .map_err(|_| anyhow::anyhow!("mail.from is not an address"))?,
        message_id_domain: config.mail.message_id_domain.clone(),
        templates: std::sync::RwLock::new(load_templates(config)?),
    };
    let store = rt.block_on(crate::cli::store::open(config))?;
    // What a daemon before this one recorded is no longer true.
    rt.block_on(store.clear_health())?;
    let health = Arc::new(Health::default());
    if config.web.enabled {
        crate::web::start_beside_daemon(config, health.clone())?;
        tracing::info!(listen = %config.web.listen, "web interface ready");
    }
    let parser = RequestParser::with_reader(
        config.rules(),
        crate::worker::configured_reader(&config.limits),
    );
    let mail_keys = crate::cli::store::mail_keys(config)?;
    let deliveries = forward::email_deliveries(config)?;
    if crate::store::Backend::of_url(&url)? == crate::store::Backend::Sqlite {
        // This daemon holds the database alone: replies still claimed were being sent by one
        // that died, and go out now instead of when their claim runs out.
        let released = rt.block_on(store.release_claims())?;
        if released > 0 {
            tracing::warn!(
                released,
                "replies claimed by a stopped daemon were released"
            );
        }
    }
    let (routed, to_review) =
        rt.block_on(store.route_unrouted(&config.rules(), crate::cli::now()))?;
    if routed + to_review > 0 {
        tracing::warn!(
            routed,
            to_review,
            "queued requests without an organisation were routed"
        );
    }
    let notifier = Notifier::from_env();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let reload = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if !once {
        // Registered now, not when the task first runs: a signal in between would otherwise
        // kill the process the default way.
        let signals = {
            let _entered = rt.enter();
            Signals::register()?
        };
        let stop_tx = stop_tx.clone();
        let reload = reload.clone();
        rt.spawn(async move {
            signals.wait(&reload).await;
            let _ = stop_tx.send(true);
        });
    }
    let intake = pipeline::Intake {
        parser: &parser,
        config,
        mail_keys: mail_keys.as_ref(),
    };
    let result = pipeline::Preparers::run(&store, intake, |preparers| {
        let mut services = Services {
            rt: &rt,
            store: &store,
            preparers,
            config,
            outbox: &outbox,
            sender: &sender,
            stop,
            notifier: &notifier,
            reload: &reload,
            deliveries: &deliveries,
            health: &health,
            progress: (once && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
                indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{wide_bar} {pos}/{len} messages stored, {per_sec}, {eta} left",
                    )
                    .expect("static template"),
                )
            }),
        };
        tracing::info!(once, "datareq running");
        if once {
            run_once(&services, &mut inbox)
        } else {
            run_until_stopped(&mut services, &mut inbox)
        }
    });
    rt.block_on(store.close());
    result
}

fn run_once(services: &Services<'_>, inbox: &mut Inbox) -> anyhow::Result<ExitCode> {
    let retry = Retry::Until(
        Instant::now() + Duration::from_secs(u64::from(services.config.mail.send_retry_seconds)),
    );
    let mut tries = 0;
    let round = loop {
        let outcome = round(services, inbox, retry);
        let fault = outcome.as_ref().err().and_then(|e| note_round(services, e));
        match outcome {
            Ok(round) => break round,
            Err(e) if fault.is_some() && tries + 1 < ONCE_TRIES => {
                tries += 1;
                tracing::warn!(error = %e, "trying again");
                disconnect(inbox);
                std::thread::sleep(backoff(tries));
            }
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(bar) = &services.progress {
        bar.finish_and_clear();
    }
    eprintln!(
        "stored {}, not stored {}, replies sent {}",
        round.stored, round.not_stored, round.sent
    );
    if round.not_stored > 0 {
        // EX_TEMPFAIL: mail was left in the mailbox for another run.
        return Ok(ExitCode::from(75));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_until_stopped(services: &mut Services<'_>, inbox: &mut Inbox) -> anyhow::Result<ExitCode> {
    let mut last_housekeeping = 0;
    let mut failures = 0u32;
    let mut total = Round::default();
    let poll = Duration::from_secs(u64::from(services.config.mail.poll_seconds));
    let mut last_mail: Option<std::time::Instant> = None;
    services.notifier.ready();
    loop {
        services.notifier.watchdog();
        if services.reload.swap(false, Ordering::SeqCst) {
            reload_templates(services);
        }
        let outcome = round(services, inbox, Retry::Later).and_then(|round| {
            total.stored += round.stored;
            total.not_stored += round.not_stored;
            total.sent += round.sent;
            services.notifier.status(&format!(
                "stored {}, not stored {}, replies sent {} since start; mailbox checked {}",
                total.stored,
                total.not_stored,
                total.sent,
                crate::request::calendar::iso_time(crate::cli::now()),
            ));
            // Only stored mail: a message that cannot be stored stays in the inbox, and must
            // not keep the looks coming every pause.
            if round.stored > 0 {
                last_mail = Some(std::time::Instant::now());
            }
            if round != Round::default() {
                tracing::info!(
                    stored = round.stored,
                    not_stored = round.not_stored,
                    sent = round.sent,
                    "round"
                );
            }
            if services.stopping() {
                return Ok(Woken::Stopped);
            }
            let now = crate::cli::now();
            if now - last_housekeeping >= DAY {
                services.rt.block_on(crate::cli::retention::housekeeping(
                    services.store,
                    services.config,
                    now,
                ))?;
                if let Inbox::Imap(imap) = inbox {
                    let days = services.config.mail.processed_retention_days;
                    let purged = services
                        .rt
                        .block_on(imap.purge_processed(days, now))
                        .map_err(DaemonError::Mailbox)?;
                    tracing::info!(purged, "old mail deleted from the processed folder");
                }
                last_housekeeping = now;
            }
            if in_burst(last_mail, std::time::Instant::now()) {
                look_again_soon(services, inbox)
            } else {
                wait_for_mail(services, inbox, poll)
            }
        });
        let fault = match &outcome {
            Ok(_) => {
                services.note(Part::Mailbox, Ok(()));
                services.note(Part::Store, Ok(()));
                None
            }
            Err(e) => note_round(services, e),
        };
        match outcome {
            Ok(Woken::Stopped) => break,
            Ok(_) => failures = 0,
            Err(e) if fault.is_some() => {
                let part = fault.unwrap_or(Part::Mailbox).name();
                failures = failures.saturating_add(1);
                services
                    .notifier
                    .status(&format!("{part} error, trying again (attempt {failures})"));
                let pause = backoff(failures);
                tracing::warn!(error = %e, part, pause_ms = pause.as_millis() as u64, "trying again");
                disconnect(inbox);
                let mut stop = services.stop.clone();
                if services.rt.block_on(sleep_or_stop(pause, &mut stop)) == Woken::Stopped {
                    break;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    services.notifier.stopping();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Notes the part that `e` says is failing when another try may mend it (a mailbox error, a
/// store that cannot be reached or written for now), and returns that part; `None` for an
/// error that ends the daemon.
fn note_round(services: &Services<'_>, e: &DaemonError) -> Option<Part> {
    let (part, reason) = match e {
        DaemonError::Mailbox(e) => (Part::Mailbox, e.kind()),
        DaemonError::Store(e) => (Part::Store, e.transient_fault()?),
        DaemonError::Outbox(_) => return None,
    };
    services.note(part, Err(reason));
    Some(part)
}

/// One round: everything waiting in the mailbox, with the sender working beside the intake
/// on its own thread (it is woken after each stored step), then the rest of the outbox.
pub fn round(
    services: &Services<'_>,
    inbox: &mut Inbox,
    retry: Retry,
) -> Result<Round, DaemonError> {
    let (step_stored, steps) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let sender = scope.spawn(move || send_beside_intake(services, retry, &steps));
        let taken = take_in(services, inbox, || {
            // The sender is gone only when it failed; its error is reported below.
            let _ = step_stored.send(());
            Ok(())
        });
        let taken = taken.and_then(|taken| {
            // For `datareq status`: the mailbox was read. A failure to record it stops nothing.
            if let Err(e) = services
                .rt
                .block_on(services.store.record_mailbox_check(crate::cli::now()))
            {
                tracing::warn!(error = %e, "cannot record the mailbox check");
            }
            forward::forward_queued(services)?;
            Ok(taken)
        });
        drop(step_stored);
        // The sender's own panic is a bug worth a crash.
        let sent = sender.join().expect("the sender panicked");
        let taken = taken?;
        Ok(Round {
            stored: taken.stored,
            not_stored: taken.not_stored,
            sent: sent?,
        })
    })
}

/// Sends what is due whenever the intake stored a step, and once more, for the rest, when the
/// intake is over (its end of `steps` dropped).
fn send_beside_intake(
    services: &Services<'_>,
    retry: Retry,
    steps: &std::sync::mpsc::Receiver<()>,
) -> Result<usize, DaemonError> {
    let mut sent = 0;
    loop {
        let over = match steps.recv() {
            Ok(()) => {
                // Steps stored while the last batch was sent are all served by this pass.
                while steps.try_recv().is_ok() {}
                false
            }
            Err(_) => true,
        };
        sent += send_due(services, retry)?;
        if over {
            return Ok(sent);
        }
    }
}

/// Whether mail came recently enough that the next look should not wait for IDLE.
fn in_burst(last_mail: Option<std::time::Instant>, now: std::time::Instant) -> bool {
    last_mail.is_some_and(|at| now.saturating_duration_since(at) < BURST_QUIET)
}

fn look_again_soon(services: &Services<'_>, inbox: &mut Inbox) -> Result<Woken, DaemonError> {
    let mut stop = services.stop.clone();
    match inbox {
        Inbox::Imap(imap) => services
            .rt
            .block_on(imap.look_again_after(BURST_PAUSE, &mut stop))
            .map_err(DaemonError::Mailbox),
        Inbox::Maildir(_) => Ok(services.rt.block_on(sleep_or_stop(BURST_PAUSE, &mut stop))),
    }
}

fn wait_for_mail(
    services: &Services<'_>,
    inbox: &mut Inbox,
    poll: Duration,
) -> Result<Woken, DaemonError> {
    let mut stop = services.stop.clone();
    match inbox {
        Inbox::Imap(imap) => services
            .rt
            .block_on(imap.wait(poll, IDLE_RENEW, &mut stop))
            .map_err(DaemonError::Mailbox),
        // Slept in slices, so the watchdog hears from the loop however long the interval.
        Inbox::Maildir(_) => Ok(services.rt.block_on(async {
            let deadline = tokio::time::Instant::now() + poll;
            loop {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Woken::Timeout;
                }
                let slice = (deadline - now).min(IDLE_RENEW);
                if sleep_or_stop(slice, &mut stop).await == Woken::Stopped {
                    return Woken::Stopped;
                }
                services.notifier.watchdog();
            }
        })),
    }
}

fn disconnect(inbox: &mut Inbox) {
    if let Inbox::Imap(imap) = inbox {
        imap.disconnect();
    }
}

/// The pause before reconnection `attempt` (1-based): doubling from the first pause up to the
/// last, less up to a quarter at random, so that many daemons do not reconnect in step.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_FIRST
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_LAST);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = base.mul_f64(f64::from(nanos % 1000) / 4000.0);
    base - jitter
}

fn open_inbox(config: &Config) -> anyhow::Result<Inbox> {
    let location = MailboxLocation::parse(&config.mail.mailbox_url())
        .context(crate::config::MAILBOX_URL_ENV)?;
    Ok(match location {
        MailboxLocation::Maildir(path) => Inbox::Maildir(Maildir::open(path)?),
        MailboxLocation::Imap { server, folder } => {
            let server = with_password(server, config.mail.imap_password_file.as_deref())?;
            let after_store = if config.mail.delete_processed {
                AfterStore::Delete
            } else {
                AfterStore::MoveTo(config.mail.processed_folder.clone())
            };
            Inbox::Imap(Box::new(ImapInbox::new(
                server,
                folder,
                after_store,
                crate::mail::tls::client_config()?,
            )))
        }
    })
}

fn open_outbox(config: &Config) -> anyhow::Result<Outbox> {
    let location =
        OutboxLocation::parse(&config.mail.outbox_url()).context(crate::config::OUTBOX_URL_ENV)?;
    Ok(match location {
        OutboxLocation::Folder(dir) => {
            crate::private_fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            Outbox::Folder(lettre::FileTransport::new(&dir))
        }
        OutboxLocation::Smtp(server) => {
            let server = with_password(server, config.mail.smtp_password_file.as_deref())?;
            let senders = (0..config.mail.smtp_connections)
                .map(|_| {
                    crate::mail::smtp::SmtpSender::new(server.clone())
                        .map(tokio::sync::Mutex::new)
                        .map_err(DaemonError::Outbox)
                })
                .collect::<Result<_, _>>()?;
            Outbox::Smtp(senders)
        }
    })
}

/// The reply templates: the built-in ones, with a clerk's files from `mail.templates_dir`.
fn load_templates(config: &Config) -> anyhow::Result<Templates> {
    let templates = Templates::load(
        config.mail.templates_dir.as_deref(),
        &config.provider_names(),
    )?;
    tracing::info!(from_files = templates.from_files, "reply templates loaded");
    Ok(templates)
}

/// SIGHUP: the clerks' edited templates replace the ones in use, unless one is wrong, in which
/// case the ones in use stay and the log says which file and why.
fn reload_templates(services: &Services<'_>) {
    let config = services.config;
    match Templates::load(
        config.mail.templates_dir.as_deref(),
        &config.provider_names(),
    ) {
        Ok(templates) => {
            tracing::info!(
                from_files = templates.from_files,
                "reply templates reloaded"
            );
            *services
                .sender
                .templates
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = templates;
        }
        Err(e) => {
            tracing::error!(error = %e, "reply templates not reloaded; the previous ones stay")
        }
    }
}

/// The server with its password read from `file` (first line), unless the URL carried one.
fn with_password(mut server: Server, file: Option<&std::path::Path>) -> anyhow::Result<Server> {
    if server.password.is_none() {
        if let Some(file) = file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("{}: cannot read the password file", file.display()))?;
            server.password = Some(text.lines().next().unwrap_or_default().to_string());
        }
    }
    Ok(server)
}

/// SIGTERM and SIGINT, which stop the daemon; SIGHUP, which must not (its default action
/// would end the process).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for SIGTERM or SIGINT; each SIGHUP on the way asks for a template reload.
    async fn wait(mut self, reload: &std::sync::atomic::AtomicBool) {
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = self.hup.recv() => reload.store(true, Ordering::SeqCst),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        assert!(backoff(1) <= BACKOFF_FIRST && backoff(1) >= BACKOFF_FIRST * 3 / 4);
        assert!(backoff(3) >= Duration::from_secs(3) && backoff(3) <= Duration::from_secs(4));
        for attempt in [7, 30, u32::MAX] {
            assert!(backoff(attempt) <= BACKOFF_LAST);
            assert!(backoff(attempt) >= BACKOFF_LAST * 3 / 4);
        }
    }

    #[test]
    fn a_burst_lasts_while_mail_came_within_the_quiet_time() {
        let now = std::time::Instant::now();
        assert!(!in_burst(None, now), "no mail yet: IDLE");
        assert!(in_burst(Some(now), now));
        assert!(in_burst(Some(now), now + BURST_QUIET / 2));
        assert!(!in_burst(Some(now), now + BURST_QUIET));
        // A clock read before the mail's own instant is not a long quiet.
        assert!(in_burst(Some(now + BURST_PAUSE), now));
    }
}
