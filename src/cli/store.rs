//! Opening the store for a command: keys from the configured directory, the database from the
//! configuration or `DATAREQ_DATABASE_URL`, and a Tokio runtime to drive sqlx.

use anyhow::Context;

use crate::config::Config;
use crate::crypto::KeyDir;
use crate::store::{Store, StoreSettings};

/// A runtime for one command. Commands are short; the work that needs many cores (parsing)
/// runs on plain threads beside it.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The daemon's runtime: the intake and the sender wait on it from two threads at once, so
/// its I/O is driven by worker threads of its own rather than by whichever caller holds a
/// single-threaded runtime's core.
pub fn daemon_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Loads the keys (generating them on first use when the configuration allows) and opens the
/// database, applying pending migrations.
pub async fn open(config: &Config) -> anyhow::Result<Store> {
    let keys = KeyDir::new(&config.store.keys_dir)
        .load(config.store.generate_missing_keys, super::now())
        .context("storage keys")?;
    if keys.generated {
        tracing::warn!(
            dir = %config.store.keys_dir.display(),
            "generated new storage keys; back them up with `datareq keys export`"
        );
    }
    let url = config.store.database_url()?;
    let settings = StoreSettings {
        due_days: config.request.due_days,
        pause_while_incomplete: config.request.pause_while_incomplete,
        receipts: config.mail.receipts,
    };
    Store::open(&url, keys.sealer, keys.hasher, settings)
        .await
        .context("cannot open the request store")
}

/// Runs `work` on the opened store within a runtime of its own, then closes the store.
pub fn with_store<T>(
    config: &Config,
    work: impl AsyncFnOnce(&Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    runtime()?.block_on(async {
        let store = open(config).await?;
        let result = work(&store).await;
        store.close().await;
        result
    })
}

/// `datareq migrate`: brings the database schema up to date (opening the store applies the
/// pending migrations).
pub fn migrate(config: &Config) -> anyhow::Result<std::process::ExitCode> {
    with_store(config, async |_| Ok(()))?;
    println!("database schema is up to date");
    Ok(std::process::ExitCode::SUCCESS)
}

/// Kela's secret keys for PGP/MIME mail (`mail.decryption_key_file`), when configured.
pub fn mail_keys(config: &Config) -> anyhow::Result<Option<crate::crypto::pgp_mime::MailKeys>> {
    config
        .mail
        .decryption_key_file
        .as_deref()
        .map(crate::crypto::pgp_mime::MailKeys::load)
        .transpose()
        .context("mail.decryption_key_file")
}
