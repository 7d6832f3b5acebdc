//! The `datareq` binary: parses arguments, loads the configuration, dispatches a command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use datareq::cli;
use datareq::config;

#[derive(Parser)]
#[command(
    name = "datareq",
    version,
    about = "Turns citizens' secure emails into complete, validated data requests"
)]
struct Args {
    /// Configuration file (TOML); the built-in example configuration when not given.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse messages and print the request found in each.
    Parse {
        /// Print the JSON Lines of the parse contract instead of a summary.
        #[arg(long)]
        json: bool,
        /// RFC 5322 message files (.eml).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Check a configuration file and report every problem at once.
    CheckConfig,
    /// The document worker: reads one PDF or DOCX from stdin under resource limits and prints
    /// what it holds as JSON (started by datareq itself, one process per attachment).
    #[command(hide = true)]
    ReadDocument {
        #[arg(value_parser = ["pdf", "docx"])]
        kind: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DATAREQ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
                // lopdf's own log lines can quote a document's objects: never logged.
                .add_directive("lopdf=off".parse().expect("static directive")),
        )
        .with_writer(std::io::stderr)
        .init();
    // The default hook prints the panic message, which can quote the text being parsed:
    // report only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map_or_else(
            || "unknown place".to_string(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        eprintln!("datareq: internal error at {place}");
    }));
    let args = Args::parse();
    match args.command {
        Command::CheckConfig => cli::check_config::run(args.config.as_deref()),
        Command::ReadDocument { kind } => datareq::worker::serve(&kind),
        Command::Parse { json, files } => {
            let config = match load_config(args.config.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            // Attachments are opened as the configuration says: by default in worker processes
            // with resource limits (datareq::worker).
            let documents = datareq::worker::configured_reader(&config.limits);
            cli::parse::run(
                &files,
                json,
                &config.rules(),
                documents,
                cli::current_year(),
            )
        }
    }
}

fn load_config(path: Option<&std::path::Path>) -> Result<config::Config, ExitCode> {
    match path {
        None => Ok(config::Config::default()),
        Some(p) => config::load(p).map_err(|e| {
            eprintln!("datareq: {e}");
            ExitCode::from(2)
        }),
    }
}
