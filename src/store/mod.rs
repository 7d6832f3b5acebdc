//! The request store: one API over SQLite (the embedded default) and PostgreSQL (several
//! daemons on one database), through sqlx's `Any` driver. Personal data enters only sealed
//! (see [`crate::crypto`]); every state change and every read of personal data is an audit
//! event in the same transaction as the change.

mod audit;
mod disclosure;
mod follow_up;
mod ingest;
mod lock;
mod new_requests;
mod outbox;
mod records;
mod requests;
mod retention;
mod review;
mod sent_journal;
mod status;
mod transitions;
mod users;

use std::path::{Path, PathBuf};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::crypto::{CryptoError, KeyedHasher, Sealer};
use crate::request::lifecycle::IllegalTransition;

pub use audit::{Actor, AuditEvent, AuditHead, AuditProblem};
pub use disclosure::{Disclosure, Selection, DISCLOSURE};
pub use follow_up::ClerkReason;
pub use ingest::{Incoming, IngestOutcome, MailboxPosition, PreparedMessage};
pub use lock::DaemonLock;
pub use outbox::{Claimed, ClaimedReply, OutboxState, UnsentReply, UNOPENABLE};
pub use records::{HistoryEntry, ReplyContent, RequestContent, RequestSummary, StoredRequest};
pub use review::{Resolution, ReviewCounts, ReviewItem, ReviewQuery};
pub use status::{DayCount, StoreStatus, QUEUES};
pub use transitions::Extension;
pub use users::{is_valid_user_name, Role, Session, SessionLimits, UnknownRole, User};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL. Anything but `sqlite://PATH` and `postgres://…` is an
    /// error: a typo must not become a new empty database somewhere.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path.contains(":memory:") {
                return Err(StoreError::Url(
                    "sqlite:// needs a file path (an in-memory database keeps nothing)".into(),
                ));
            }
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Url(
                "unknown database URL scheme; expected sqlite://PATH or postgres://…".into(),
            ))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL: {0}")]
    Url(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Transition(#[from] IllegalTransition),
    #[error("no request {0}")]
    NotFound(String),
    #[error("the database holds a value datareq cannot read: {0}")]
    Corrupt(String),
    #[error("{0}: its personal data has been purged")]
    Purged(String),
    /// The database is in use by another daemon.
    #[error("{0}")]
    Busy(String),
    /// A request for something the rules do not allow (a second extension, say).
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// The kind of fault when the database cannot be used for now, and a later try may work
    /// (the server restarts, the disk fills, a lock is held): `None` for an error that
    /// another try would only repeat.
    pub fn transient_fault(&self) -> Option<&'static str> {
        let StoreError::Database(e) = self else {
            return None;
        };
        match e {
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some("unreachable"),
            sqlx::Error::PoolTimedOut => Some("busy"),
            sqlx::Error::Database(db) => database_fault(db.code().as_deref()?),
            _ => None,
        }
    }
}

/// SQLite's result codes and PostgreSQL's SQLSTATE classes that mean "not now" rather than
/// "never". A SQLSTATE has five characters, often all digits; SQLite's codes are numbers of
/// at most four digits (extended codes carry the primary one in their low byte).
fn database_fault(code: &str) -> Option<&'static str> {
    if let Some(n) = (code.len() < 5).then(|| code.parse::<i32>().ok()).flatten() {
        return match n & 0xff {
            5 | 6 => Some("busy"),
            10 | 14 => Some("input/output"),
            13 => Some("disk full"),
            _ => None,
        };
    }
    match code {
        "53100" => Some("disk full"),
        "40001" | "40P01" | "55P03" => Some("busy"),
        "57P01" | "57P02" | "57P03" => Some("unreachable"),
        _ if code.starts_with("08") => Some("unreachable"),
        _ if code.starts_with("53") => Some("out of resources"),
        _ => None,
    }
}

/// `count` numbered placeholders from `$first` on, comma-separated (`$3, $4, $5`), for an
/// `IN (…)` list: only placeholders are ever formatted into a statement, every value is bound.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Placeholders per multi-row statement. SQLite finds a numbered placeholder's index by a
/// linear scan, so binding a statement costs the square of its placeholders: a few hundred
/// spare most round trips without that cost.
const PLACEHOLDERS_PER_STATEMENT: usize = 256;

/// `items` in the groups that one multi-row statement each writes, with each group's
/// `VALUES` list of `columns` numbered placeholders per row: `($1, $2), ($3, $4)`.
fn multi_row<T>(items: &[T], columns: usize) -> impl Iterator<Item = (&[T], String)> {
    items
        .chunks((PLACEHOLDERS_PER_STATEMENT / columns).max(1))
        .map(move |chunk| (chunk, value_rows(chunk.len(), columns)))
}

fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A state read back from the database.
fn parse_state(name: &str) -> Result<crate::request::lifecycle::RequestState, StoreError> {
    name.parse()
        .map_err(|_| StoreError::Corrupt("unknown request state".into()))
}

/// Settings the store applies to requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// Days from receipt to the due date.
    pub due_days: u32,
    /// Whether the deadline clock stops while a request waits for the citizen.
    pub pause_while_incomplete: bool,
    /// Whether complete requests and requests in review get a receipt with their reference
    /// (the configuration's default is on; the library's off, so a store alone sends only
    /// what is needed).
    pub receipts: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            due_days: 14,
            pause_while_incomplete: true,
            receipts: false,
        }
    }
}

pub struct Store {
    pool: AnyPool,
    backend: Backend,
    sealer: Sealer,
    hasher: KeyedHasher,
    settings: StoreSettings,
    /// SQLite has one writer at a time. Writers of this process take turns here, and the next
    /// starts the moment the last commits; SQLite's own busy handler, which polls with growing
    /// sleeps, is left to waits on other processes.
    write_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite only: replies handed over, recorded beside the database (see [`sent_journal`]).
    sent_journal: Option<sent_journal::SentJournal>,
}

/// A write transaction, with this process's turn to write (SQLite). It is begun and committed
/// with plain statements on a pooled connection, and a transaction that was not committed
/// (an error ended the work, or the COMMIT itself failed, as on a full disk) closes its
/// connection instead of handing it back: closing rolls back, and the pool never gets a
/// connection whose transaction state is in doubt.
pub(crate) struct WriteTx {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    /// What COMMIT is sent as: with a statement after it that undoes a setting made for this
    /// transaction, when one was made.
    commit: &'static str,
    committed: bool,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// How durable a transaction's commit must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// On disk when COMMIT returns.
    Flushed,
    /// Safe from a crash of this process at once, from a power cut with the next flushed
    /// commit: for records that a loss would only repeat (a reply sent twice), never lose.
    Relaxed,
}

impl WriteTx {
    async fn begin(
        mut conn: sqlx::pool::PoolConnection<sqlx::Any>,
        backend: Backend,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
        durability: Durability,
    ) -> Result<WriteTx, sqlx::Error> {
        // SQLite takes the write lock at once, so two writers queue on the busy timeout
        // instead of failing half-way when one upgrades. A relaxed transaction's setting
        // travels with BEGIN and COMMIT, sparing round trips; no value is ever formatted in.
        let (begin, commit) = match (backend, durability) {
            (Backend::Sqlite, Durability::Flushed) => ("BEGIN IMMEDIATE", "COMMIT"),
            (Backend::Sqlite, Durability::Relaxed) => (
                "PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE",
                "COMMIT; PRAGMA synchronous = FULL",
            ),
            (Backend::Postgres, Durability::Flushed) => ("BEGIN", "COMMIT"),
            (Backend::Postgres, Durability::Relaxed) => {
                ("BEGIN; SET LOCAL synchronous_commit = off", "COMMIT")
            }
        };
        let begun = sqlx::raw_sql(begin).execute(&mut *conn).await;
        let tx = WriteTx {
            conn,
            commit,
            committed: false,
            _turn: turn,
        };
        // A failed BEGIN drops `tx`, which closes the connection: its state is in doubt too
        // (and a relaxed setting must never go back to the pool).
        begun?;
        Ok(tx)
    }

    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(self.commit).execute(&mut *self.conn).await?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and brings the schema up to date. For SQLite, the file and its directory
    /// (mode 0700) are created when missing.
    pub async fn open(
        url: &str,
        sealer: Sealer,
        hasher: KeyedHasher,
        settings: StoreSettings,
    ) -> Result<Store, StoreError> {
        let pool = connect(url).await?;
        let backend = Backend::of_url(url)?;
        let sent_journal = match backend {
            Backend::Sqlite => {
                Some(sent_journal::SentJournal::open(Path::new(sqlite_path(url))).await?)
            }
            Backend::Postgres => None,
        };
        let store = Store {
            pool,
            backend,
            sealer,
            hasher,
            settings,
            write_turn: Default::default(),
            sent_journal,
        };
        store.migrate().await?;
        // What a process that died had handed over and not yet settled.
        store.settle_sent().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn settings(&self) -> StoreSettings {
        self.settings
    }

    pub async fn close(self) {
        if let Some(journal) = &self.sent_journal {
            journal.close().await;
        }
        self.pool.close().await;
    }

    /// A write transaction, this process's turn to write taken first.
    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn().await;
        let conn = self.pool.acquire().await?;
        Ok(WriteTx::begin(conn, self.backend, turn, Durability::Flushed).await?)
    }

    /// This process's turn to write, on SQLite (PostgreSQL's writers need none).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_turn.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }
}

/// Opens a pool for `url`, preparing SQLite files as the store needs them.
async fn connect(url: &str) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    let url = match backend {
        Backend::Sqlite => sqlite_url(url)?,
        Backend::Postgres => url.to_string(),
    };
    let options: AnyConnectOptions = url
        .parse()
        .map_err(|_| StoreError::Url("cannot parse the database URL".into()))?;
    let pool_options = AnyPoolOptions::new().max_connections(match backend {
        // One writer at a time anyway; a few readers beside it.
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    });
    let pool_options = if backend == Backend::Sqlite {
        pool_options.after_connect(|conn, _| {
            Box::pin(async move {
                // WAL: readers do not block the writer. synchronous=FULL: a committed request
                // survives a power cut. secure_delete: deleted personal data is overwritten,
                // not left in free pages.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; \
                     PRAGMA busy_timeout = 30000;",
                )
                .await?;
                Ok(())
            })
        })
    } else {
        pool_options
    };
    Ok(pool_options.connect_with(options).await?)
}

/// The file path of an `sqlite://PATH?QUERY` URL.
fn sqlite_path(url: &str) -> &str {
    let rest = &url["sqlite://".len()..];
    rest.split_once('?').map_or(rest, |(path, _)| path)
}

/// `sqlite://PATH` with the file created when missing (`mode=rwc`), its directory first.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let path = sqlite_path(url);
    let query = url["sqlite://".len() + path.len()..].trim_start_matches('?');
    let parent = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        crate::private_fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // SQLite gives its WAL and shared-memory files the database file's mode: creating the file
    // private first keeps all three private whatever the umask.
    if !Path::new(path).exists() {
        crate::private_fs::create_new_file(Path::new(path)).map_err(|source| StoreError::Io {
            path: PathBuf::from(path),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Backend::of_url("sqlite://var/x.sqlite").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://127.0.0.1/test").unwrap(),
            Backend::Postgres
        );
        for bad in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://",
            "mysql://x",
            "var/x.sqlite",
            "sqlite:var/x.sqlite",
        ] {
            assert!(Backend::of_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_files_are_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state/db.sqlite");
        let url = format!("sqlite://{}", path.display());
        assert_eq!(sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[test]
    fn faults_worth_another_try_are_told_from_the_rest() {
        // SQLite: SQLITE_FULL, SQLITE_BUSY, SQLITE_IOERR_WRITE (an extended code), and
        // SQLITE_CONSTRAINT_UNIQUE, which another try only repeats.
        assert_eq!(database_fault("13"), Some("disk full"));
        assert_eq!(database_fault("5"), Some("busy"));
        assert_eq!(database_fault("778"), Some("input/output"));
        assert_eq!(database_fault("2067"), None);
        // PostgreSQL: disk full, a shutdown, a lost connection, a serialization failure;
        // a unique violation and a syntax error are not.
        assert_eq!(database_fault("53100"), Some("disk full"));
        assert_eq!(database_fault("57P01"), Some("unreachable"));
        assert_eq!(database_fault("08006"), Some("unreachable"));
        assert_eq!(database_fault("40001"), Some("busy"));
        assert_eq!(database_fault("23505"), None);
        assert_eq!(database_fault("42601"), None);
        let io = StoreError::Database(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()));
        assert_eq!(io.transient_fault(), Some("unreachable"));
        assert_eq!(StoreError::NotFound("x".into()).transient_fault(), None);
    }
}
