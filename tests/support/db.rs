//! Real databases for store tests: a fresh SQLite file in a temporary directory, or a fresh
//! database on the PostgreSQL at 127.0.0.1:5432 (trust auth; `DATAREQ_TEST_POSTGRES` names
//! another server), dropped when the test ends. Under `CI=true` a missing PostgreSQL fails the
//! test; elsewhere the PostgreSQL half is skipped with a notice.

use std::sync::atomic::{AtomicUsize, Ordering};

use datareq::crypto::{KeyDir, KeyFiles};

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test.
pub enum TestDb {
    Sqlite { dir: tempfile::TempDir },
    Postgres { server: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A new, empty PostgreSQL database, or `None` (outside CI) when there is no server.
    pub fn postgres() -> Option<TestDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let server = std::env::var("DATAREQ_TEST_POSTGRES").unwrap_or(DEFAULT_POSTGRES.into());
        let name = format!(
            "datareq_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let created = admin(&server, &format!("CREATE DATABASE {name}"));
        match created {
            Ok(()) => Some(TestDb::Postgres { server, name }),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL at {server} is required under CI=true: {e}")
            }
            Err(e) => {
                eprintln!("skipping the PostgreSQL half: no server at {server}: {e}");
                None
            }
        }
    }

    /// Another new, empty database of the same kind.
    pub fn another(&self) -> TestDb {
        match self {
            TestDb::Sqlite { .. } => TestDb::sqlite(),
            TestDb::Postgres { .. } => TestDb::postgres().expect("the server is still there"),
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { dir } => {
                format!("sqlite://{}", dir.path().join("datareq.sqlite").display())
            }
            TestDb::Postgres { server, name } => {
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    /// Every byte the database keeps: the SQLite file and its WAL and shared memory, or a
    /// `pg_dump` of the PostgreSQL database.
    pub fn raw_bytes(&self) -> Vec<u8> {
        match self {
            TestDb::Sqlite { dir } => {
                let mut all = Vec::new();
                for entry in std::fs::read_dir(dir.path()).unwrap() {
                    let path = entry.unwrap().path();
                    if path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("datareq.sqlite"))
                    {
                        all.extend(std::fs::read(&path).unwrap());
                    }
                }
                all
            }
            TestDb::Postgres { .. } => {
                let out = std::process::Command::new("pg_dump")
                    .arg("--dbname")
                    .arg(self.url())
                    .output()
                    .expect("pg_dump runs");
                assert!(out.status.success(), "pg_dump failed");
                out.stdout
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server, name } = self {
            let _ = admin(
                server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Runs one statement on the server's maintenance database, on a thread of its own (callers
/// may be inside a runtime already).
fn admin(server: &str, statement: &str) -> Result<(), String> {
    let server = server.to_string();
    let statement = statement.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            conn.close().await.map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "admin thread panicked".to_string())?
}

/// Keys in a fresh temporary directory.
pub fn test_keys() -> (tempfile::TempDir, KeyFiles) {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyDir::new(dir.path().join("keys"))
        .load(true, 1_000)
        .unwrap();
    (dir, keys)
}

/// A new-ish key directory whose keys can be loaded again (for a reopened store).
pub fn load_keys(dir: &std::path::Path) -> KeyFiles {
    KeyDir::new(dir.join("keys")).load(false, 1_000).unwrap()
}

/// One story, two tests: on SQLite and on PostgreSQL.
#[allow(unused_macros)] // each test binary compiles all of support/
macro_rules! on_both_databases {
    ($story:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $story($crate::support::db::TestDb::sqlite()).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some(db) = $crate::support::db::TestDb::postgres() {
                $story(db).await;
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_databases;
