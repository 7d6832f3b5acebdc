//! The command-line commands, one file per command. Each takes what it needs (configuration,
//! paths) as arguments; `main.rs` only parses arguments and dispatches.

pub mod audit;
pub mod check_config;
pub mod disclosure;
pub mod ingest;
pub mod keys;
pub mod outbox;
pub mod parse;
pub mod requests;
pub mod retention;
pub mod review;
pub mod status;
pub mod store;
pub mod users;

/// Now, as Unix seconds (UTC), from the system clock: the edge where time enters.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The current calendar year (UTC).
pub fn current_year() -> i32 {
    crate::request::calendar::year_of(now())
}
