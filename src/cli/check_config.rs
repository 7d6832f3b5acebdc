//! `datareq [--config FILE] check-config`: validates a configuration without starting anything,
//! so that an edit can be checked before the daemon is restarted with it.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, Config, ConfigError};

/// What the summary calls the configuration when no `--config` was given.
pub const BUILTIN_NAME: &str = "built-in default";

/// Checks the file at `path`, or the compiled-in default when `None`. On success, the one-line
/// summary `FILE: ok (N providers, M required fields)`; on failure, the error, whose Display is
/// every problem, one per line, as `FILE:LINE: KEY: message`.
pub fn check(path: Option<&Path>) -> Result<String, ConfigError> {
    let (name, config) = match path {
        Some(path) => (path.display().to_string(), config::load(path)?),
        None => (BUILTIN_NAME.to_string(), Config::default()),
    };
    Ok(summary(&name, &config))
}

/// Runs the command: the summary to stdout and exit status 0, or every problem to stderr and
/// exit status 1.
pub fn run(path: Option<&Path>) -> ExitCode {
    match check(path) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn summary(name: &str, config: &Config) -> String {
    let providers = config.providers.len();
    let required = config.request.required.len();
    format!(
        "{name}: ok ({providers} provider{}, {required} required field{})",
        plural(providers),
        plural(required)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_default() {
        assert_eq!(
            check(None).expect("valid"),
            "built-in default: ok (1 provider, 8 required fields)"
        );
    }

    #[test]
    fn file_ok_and_file_with_problems() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("datareq.toml");
        std::fs::write(&path, "[request]\nrequired = [\"surname\", \"phone\"]\n").expect("write");
        assert_eq!(
            check(Some(&path)).expect("valid"),
            format!("{}: ok (1 provider, 2 required fields)", path.display())
        );

        std::fs::write(&path, "oops = 1\n[limits]\nmax_message_size = 0\n").expect("write");
        let shown = check(Some(&path)).expect_err("invalid").to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 2, "{shown}");
        assert!(lines[0].starts_with(&format!("{}:1: oops: ", path.display())));
        assert!(lines[1].starts_with(&format!("{}:3: limits.max_message_size: ", path.display())));
        assert_eq!(run(Some(&path)), ExitCode::FAILURE);
    }
}
