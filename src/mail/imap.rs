//! IMAP intake (async-imap over tokio, TLS by rustls). Each look at the mailbox lists what
//! waits with its size first, so a message over the size limit is never downloaded (only its
//! header block is, and it becomes a request for review); bodies are fetched with
//! `BODY.PEEK[]` so nothing is marked seen before it is stored; after the store has
//! committed, messages are moved to the processed folder (MOVE, or COPY + `\Deleted` +
//! EXPUNGE) or deleted. A crash in between fetches them again and the store's idempotency
//! absorbs it. UIDVALIDITY is tracked: when it changes, every message is simply read again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::{Client, Session};
use futures_util::TryStreamExt;

use super::location::{Security, Server};
use super::net::{start_tls, tcp_connect, Conn};
use super::MailError;

/// What the inbox does with a message once it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStore {
    MoveTo(String),
    Delete,
}

/// A message waiting in the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub uid: u32,
    pub size: u32,
}

/// A fetched message: the whole of it, or only its header block when it is over the limit.
#[derive(Debug)]
pub struct Fetched {
    pub uid: u32,
    pub raw: Vec<u8>,
    pub headers_only: bool,
}

/// What a fetch brought: the messages, and the UIDs of those the server failed to hand over
/// even alone on a fresh connection (a damaged file on its disk, say). Those stay in the
/// mailbox and are passed over for [`RETRY_UNDELIVERABLE`].
#[derive(Debug, Default)]
pub struct Fetch {
    pub messages: Vec<Fetched>,
    pub undeliverable: Vec<u32>,
}

/// How long a message the server could not hand over, or that could not be stored, is
/// passed over before it is tried again.
pub const RETRY_UNDELIVERABLE: Duration = Duration::from_secs(3600);

/// Why the wait for new mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    NewMail,
    Timeout,
    Stopped,
}

pub struct ImapInbox {
    server: Server,
    folder: String,
    after_store: AfterStore,
    tls: Arc<rustls::ClientConfig>,
    session: Option<Session<Conn>>,
    uid_validity: Option<u32>,
    capabilities: Capabilities,
    /// UIDs that could not be fetched or stored, with when to try them again, so one poison
    /// message does not hold up the others.
    skipped: HashMap<u32, Instant>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Capabilities {
    idle: bool,
    r#move: bool,
    uidplus: bool,
}

impl ImapInbox {
    pub fn new(
        server: Server,
        folder: String,
        after_store: AfterStore,
        tls: Arc<rustls::ClientConfig>,
    ) -> ImapInbox {
        ImapInbox {
            server,
            folder,
            after_store,
            tls,
            session: None,
            uid_validity: None,
            capabilities: Capabilities::default(),
            skipped: HashMap::new(),
        }
    }

    /// The mailbox name, for the store's position keys.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    pub fn uid_validity(&self) -> Option<u32> {
        self.uid_validity
    }

    /// Drops the connection (after an error); the next call connects again.
    pub fn disconnect(&mut self) {
        self.session = None;
    }

    /// Remembers that a message could not be stored, so it is passed over for a while.
    pub fn skip(&mut self, uid: u32) {
        self.skipped
            .insert(uid, Instant::now() + RETRY_UNDELIVERABLE);
    }

    /// The messages waiting, oldest UID first.
    pub async fn waiting(&mut self) -> Result<Vec<Waiting>, MailError> {
        let session = self.session().await?;
        // Each response keeps a buffer of its own: they are read one at a time, never
        // collected (40,000 of them held 300 MB).
        let mut responses = session
            .uid_fetch("1:*", "(UID RFC822.SIZE FLAGS)")
            .await
            .map_err(imap_error)?;
        let mut waiting = Vec::new();
        while let Some(f) = responses.try_next().await.map_err(imap_error)? {
            let deleted = f
                .flags()
                .any(|flag| matches!(flag, async_imap::types::Flag::Deleted));
            if let (false, Some(uid)) = (deleted, f.uid) {
                waiting.push(Waiting {
                    uid,
                    size: f.size.unwrap_or(0),
                });
            }
        }
        drop(responses);
        // "1:*" always names the last message, even one already listed (RFC 3501 6.4.8).
        waiting.sort_by_key(|w| w.uid);
        waiting.dedup_by_key(|w| w.uid);
        let now = Instant::now();
        self.skipped.retain(|_, until| *until > now);
        waiting.retain(|w| !self.skipped.contains_key(&w.uid));
        Ok(waiting)
    }

    /// Fetches `messages`: whole when at most `max_bytes`, else the header block only.
    ///
    /// A server that cannot read one message fails the command: with a tagged NO, which
    /// async-imap's fetch stream does not report, or by ending the session (Dovecot), which
    /// ends the stream early. So what did not arrive is fetched again one message at a time
    /// on a fresh session; a message that still exists but fails alone twice is reported
    /// undeliverable and passed over. A server that cannot be reached again is a mailbox
    /// error, not a verdict on any message.
    pub async fn fetch(
        &mut self,
        messages: &[Waiting],
        max_bytes: usize,
    ) -> Result<Fetch, MailError> {
        let mut fetch = Fetch::default();
        let missing: Vec<Waiting> = match self.fetch_together(messages, max_bytes).await {
            Ok(arrived) => {
                let arrived_uids: HashSet<u32> = arrived.iter().map(|f| f.uid).collect();
                fetch.messages = arrived;
                messages
                    .iter()
                    .filter(|w| !arrived_uids.contains(&w.uid))
                    .copied()
                    .collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, "a fetch failed");
                messages.to_vec()
            }
        };
        if missing.is_empty() {
            return Ok(fetch);
        }
        tracing::warn!(
            count = missing.len(),
            "messages did not arrive; fetching them one by one"
        );
        for message in missing {
            if let Some(one) = self.fetch_alone(message, max_bytes).await? {
                fetch.messages.push(one);
            } else if self.skipped.contains_key(&message.uid) {
                fetch.undeliverable.push(message.uid);
            }
        }
        fetch.messages.sort_by_key(|f| f.uid);
        Ok(fetch)
    }

    /// One message on a fresh session: `None` when it is gone (another client moved it) or
    /// failed twice (then it is passed over).
    async fn fetch_alone(
        &mut self,
        message: Waiting,
        max_bytes: usize,
    ) -> Result<Option<Fetched>, MailError> {
        for attempt in 0..2 {
            // Whatever the failure did to the session, a fresh one is certain to be usable.
            self.session = None;
            if let Ok(mut one) = self
                .fetch_together(std::slice::from_ref(&message), max_bytes)
                .await
            {
                if let Some(fetched) = one.pop() {
                    return Ok(Some(fetched));
                }
            }
            self.session = None;
            let session = self.session().await?;
            let exists = session
                .uid_search(format!("UID {}", message.uid))
                .await
                .map_err(imap_error)?
                .contains(&message.uid);
            if !exists {
                return Ok(None);
            }
            tracing::debug!(uid = message.uid, attempt, "a message did not arrive alone");
        }
        tracing::error!(
            uid = message.uid,
            "the mail server cannot hand over a message; it stays in the mailbox and is tried again later"
        );
        self.skip(message.uid);
        Ok(None)
    }

    async fn fetch_together(
        &mut self,
        messages: &[Waiting],
        max_bytes: usize,
    ) -> Result<Vec<Fetched>, MailError> {
        let (small, large): (Vec<_>, Vec<_>) =
            messages.iter().partition(|w| w.size as usize <= max_bytes);
        let mut fetched = Vec::with_capacity(messages.len());
        let session = self.session().await?;
        for (uids, headers_only) in [(small, false), (large, true)] {
            if uids.is_empty() {
                continue;
            }
            let set = uid_set(uids.iter().map(|w: &&Waiting| w.uid));
            let query = if headers_only {
                "(UID BODY.PEEK[HEADER])"
            } else {
                "(UID BODY.PEEK[])"
            };
            let mut stream = session.uid_fetch(&set, query).await.map_err(imap_error)?;
            while let Some(f) = stream.try_next().await.map_err(imap_error)? {
                let Some(uid) = f.uid else { continue };
                let raw = if headers_only { f.header() } else { f.body() };
                if let Some(raw) = raw {
                    fetched.push(Fetched {
                        uid,
                        raw: raw.to_vec(),
                        headers_only,
                    });
                }
            }
        }
        fetched.sort_by_key(|f| f.uid);
        Ok(fetched)
    }

    /// Moves (or deletes) stored messages out of the mailbox.
    pub async fn processed(&mut self, uids: &[u32]) -> Result<(), MailError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids.iter().copied());
        let caps = self.capabilities;
        let after = self.after_store.clone();
        let session = self.session().await?;
        match after {
            AfterStore::MoveTo(target) if caps.r#move => {
                session.uid_mv(&set, &target).await.map_err(imap_error)?;
            }
            AfterStore::MoveTo(target) => {
                session.uid_copy(&set, &target).await.map_err(imap_error)?;
                delete(session, &set, caps.uidplus).await?;
            }
            AfterStore::Delete => delete(session, &set, caps.uidplus).await?,
        }
        Ok(())
    }

    /// Deletes messages older than `days` from the processed folder (the store keeps every
    /// message, encrypted; the mail server need not). Returns how many. The connection is
    /// closed afterwards, so the next use selects the inbox afresh.
    pub async fn purge_processed(&mut self, days: u32, now: i64) -> Result<usize, MailError> {
        let AfterStore::MoveTo(folder) = self.after_store.clone() else {
            return Ok(0);
        };
        let uidplus = self.capabilities.uidplus;
        let session = self.session().await?;
        session.select(&folder).await.map_err(imap_error)?;
        let before = imap_date(now - i64::from(days) * 86_400);
        let uids = session
            .uid_search(format!("BEFORE {before}"))
            .await
            .map_err(imap_error)?;
        if !uids.is_empty() {
            delete(session, &uid_set(uids.iter().copied()), uidplus).await?;
        }
        session.logout().await.ok();
        self.session = None;
        Ok(uids.len())
    }

    /// Waits for new mail: IDLE when the server has it (renewed every `renew`, well before
    /// servers end it at 30 minutes), else a plain sleep of `poll`. Returns early when `stop`
    /// turns true.
    pub async fn wait(
        &mut self,
        poll: Duration,
        renew: Duration,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<Woken, MailError> {
        if self.session.is_none() {
            // A new session announces nothing that arrived before it selected the mailbox:
            // mail delivered since the last look would wait for the next renewal. Look now.
            self.session().await?;
            return Ok(Woken::NewMail);
        }
        if !self.capabilities.idle {
            return Ok(sleep_or_stop(poll, stop).await);
        }
        let session = self.session.take().expect("connected above");
        let mut idle = session.idle();
        idle.init().await.map_err(imap_error)?;
        let (woken, result) = {
            let (wait, interrupt) = idle.wait_with_timeout(renew);
            tokio::pin!(wait);
            let mut interrupt = Some(interrupt);
            let mut stopped = false;
            let result = loop {
                tokio::select! {
                    r = &mut wait => break r,
                    _ = stop.wait_for(|s| *s), if interrupt.is_some() => {
                        // Dropping the stop source ends the wait at once.
                        interrupt = None;
                        stopped = true;
                    }
                }
            };
            let woken = match &result {
                _ if stopped => Woken::Stopped,
                Ok(async_imap::extensions::idle::IdleResponse::NewData(_)) => Woken::NewMail,
                Ok(async_imap::extensions::idle::IdleResponse::Timeout) => Woken::Timeout,
                Ok(async_imap::extensions::idle::IdleResponse::ManualInterrupt) => Woken::Stopped,
                Err(_) => Woken::Timeout,
            };
            (woken, result.map(|_| ()))
        };
        result.map_err(imap_error)?;
        self.session = Some(idle.done().await.map_err(imap_error)?);
        Ok(woken)
    }

    /// Pauses for `pause`, then has the server look at the mailbox (NOOP), so that the next
    /// round sees what arrived meanwhile without waiting for IDLE's delayed news.
    pub async fn look_again_after(
        &mut self,
        pause: Duration,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<Woken, MailError> {
        if sleep_or_stop(pause, stop).await == Woken::Stopped {
            return Ok(Woken::Stopped);
        }
        if let Some(session) = self.session.as_mut() {
            session.noop().await.map_err(imap_error)?;
        }
        Ok(Woken::NewMail)
    }

    /// The selected session, connecting and selecting first when needed.
    async fn session(&mut self) -> Result<&mut Session<Conn>, MailError> {
        if self.session.is_none() {
            let (mut session, capabilities) = connect(&self.server, &self.tls).await?;
            ensure_folder(&mut session, &self.after_store).await?;
            let selected = session.select(&self.folder).await.map_err(imap_error)?;
            let validity = selected.uid_validity.unwrap_or(0);
            if self.uid_validity.is_some_and(|old| old != validity) {
                // Every UID is new: the mailbox is read again from the start, and the store's
                // content keys recognise what was already stored.
                tracing::warn!("the mailbox's UIDVALIDITY changed; reading it again");
            }
            if self.uid_validity != Some(validity) {
                // The UIDs passed over name other messages now.
                self.skipped.clear();
            }
            self.uid_validity = Some(validity);
            self.capabilities = capabilities;
            self.session = Some(session);
        }
        Ok(self.session.as_mut().expect("set above"))
    }
}

/// Sleeps for `pause`, or less when `stop` turns true first (`Woken::Stopped`).
pub async fn sleep_or_stop(
    pause: Duration,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> Woken {
    tokio::select! {
        _ = tokio::time::sleep(pause) => Woken::Timeout,
        _ = stop.wait_for(|s| *s) => Woken::Stopped,
    }
}

async fn delete(session: &mut Session<Conn>, set: &str, uidplus: bool) -> Result<(), MailError> {
    session
        .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(imap_error)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(imap_error)?;
    if uidplus {
        session
            .uid_expunge(set)
            .await
            .map_err(imap_error)?
            .try_collect::<Vec<_>>()
            .await
            .map_err(imap_error)?;
    } else {
        session
            .expunge()
            .await
            .map_err(imap_error)?
            .try_collect::<Vec<_>>()
            .await
            .map_err(imap_error)?;
    }
    Ok(())
}

/// Creates the processed folder when missing.
async fn ensure_folder(
    session: &mut Session<Conn>,
    after_store: &AfterStore,
) -> Result<(), MailError> {
    let AfterStore::MoveTo(folder) = after_store else {
        return Ok(());
    };
    let exists = !session
        .list(None, Some(folder))
        .await
        .map_err(imap_error)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(imap_error)?
        .is_empty();
    if !exists {
        session.create(folder).await.map_err(imap_error)?;
        tracing::info!("created the processed-mail folder");
    }
    Ok(())
}

async fn connect(
    server: &Server,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<(Session<Conn>, Capabilities), MailError> {
    let tcp = tcp_connect(server, "IMAP").await?;
    let client = match server.security {
        Security::Implicit => {
            let mut client = Client::new(Conn::Tls(Box::new(
                start_tls(tcp, &server.host, tls).await?,
            )));
            greeting(&mut client).await?;
            client
        }
        Security::StartTlsRequired | Security::StartTlsIfOffered => {
            let mut client = Client::new(Conn::Plain(tcp));
            greeting(&mut client).await?;
            match client.run_command_and_check_ok("STARTTLS", None).await {
                Ok(()) => {
                    let Conn::Plain(tcp) = client.into_inner() else {
                        unreachable!("plain until now")
                    };
                    Client::new(Conn::Tls(Box::new(
                        start_tls(tcp, &server.host, tls).await?,
                    )))
                }
                Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))
                    if server.security == Security::StartTlsIfOffered =>
                {
                    client
                }
                Err(_) if server.security == Security::StartTlsRequired => {
                    return Err(MailError::Tls(
                        "the IMAP server does not offer STARTTLS, and it is not on loopback".into(),
                    ))
                }
                Err(e) => return Err(imap_error(e)),
            }
        }
    };
    let user = server.user.as_deref().unwrap_or_default();
    let password = server.password.as_deref().unwrap_or_default();
    let mut session = client
        .login(user, password)
        .await
        .map_err(|(e, _)| MailError::Login(safe_text(&e)))?;
    let caps = session.capabilities().await.map_err(imap_error)?;
    let capabilities = Capabilities {
        idle: caps.has_str("IDLE"),
        r#move: caps.has_str("MOVE"),
        uidplus: caps.has_str("UIDPLUS"),
    };
    Ok((session, capabilities))
}

async fn greeting(client: &mut Client<Conn>) -> Result<(), MailError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(MailError::Connect(
            "the IMAP server closed the connection".into(),
        )),
        Err(e) => Err(MailError::Connect(format!("no IMAP greeting: {e}"))),
    }
}

/// An IMAP error as text that holds no message content: parse errors carry raw response
/// bytes (which may be a message), so only their kind is kept.
fn imap_error(e: async_imap::error::Error) -> MailError {
    MailError::Imap(safe_text(&e))
}

fn safe_text(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    match e {
        Error::Io(io) => format!("i/o: {}", io.kind()),
        Error::ConnectionLost => "connection lost".into(),
        Error::Parse(_) => "unparseable server response".into(),
        Error::Validate(_) => "a name the server cannot take".into(),
        Error::Bad(text) | Error::No(text) => {
            let text: String = text.chars().take(120).collect();
            format!("server said: {text}")
        }
        _ => "IMAP error".into(),
    }
}

/// An IMAP date (`2-Dec-2026`) for SEARCH.
fn imap_date(unix_seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = crate::request::calendar::civil_date(unix_seconds);
    format!("{d}-{}-{y}", MONTHS[(m - 1) as usize])
}

/// `1:3,5,7:9`: a compact UID set.
pub fn uid_set(uids: impl IntoIterator<Item = u32>) -> String {
    let mut uids: Vec<u32> = uids.into_iter().collect();
    uids.sort_unstable();
    uids.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn imap_dates() {
        assert_eq!(super::imap_date(951_782_400), "29-Feb-2000");
    }

    #[test]
    fn uid_sets_are_compact_ranges() {
        assert_eq!(uid_set([5, 1, 2, 3, 9, 7, 8, 3]), "1:3,5,7:9");
        assert_eq!(uid_set([42]), "42");
        assert_eq!(uid_set([]), "");
    }
}
