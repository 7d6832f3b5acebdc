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
    /// The daemon: store every message from the mailbox, send the replies; until SIGTERM.
    Run {
        /// One round (everything waiting, then the outbox), then exit.
        #[arg(long)]
        once: bool,
    },
    /// Parse and store messages; queue automatic replies for incomplete requests. A message
    /// already stored is reported and left alone.
    Ingest {
        /// Print only a count at the end.
        #[arg(long)]
        quiet: bool,
        /// RFC 5322 message files (.eml).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// List or show stored requests.
    Requests {
        #[command(subcommand)]
        command: RequestsCommand,
    },
    /// The replies not yet sent: list them, or make the deferred ones due now.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// The clerks' exception queue: requests that wait for a person's decision.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Hand complete requests to the organisation that discloses the records.
    Disclosure {
        #[command(subcommand)]
        command: DisclosureCommand,
    },
    /// One screen for people: requests per state, the oldest waiting per queue, overdue
    /// requests, the outbox and the last successful mailbox check.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Delete the personal data of requests closed longer ago than store.retention_days.
    Purge {
        /// Only list what would be purged.
        #[arg(long)]
        dry_run: bool,
    },
    /// The daily housekeeping at once: expire, purge, and print the audit head (for cron when
    /// no daemon runs).
    Maintain,
    /// Close incomplete requests unanswered for request.expire_after_days.
    Expire {
        /// Only list what would expire.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve the web interface alone (without reading mail), until SIGTERM.
    Web,
    /// Accounts for the web interface.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Storage keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The document worker: reads PDF and DOCX documents, framed, from stdin under resource
    /// limits and writes what each holds as framed JSON (started and reused by datareq itself).
    #[command(hide = true)]
    ReadDocument,
}

#[derive(Subcommand)]
enum RequestsCommand {
    /// List requests (no personal data).
    List {
        /// Only requests in this state (incomplete, needs_review, queued, …).
        #[arg(long, value_name = "STATE")]
        status: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Open requests past their due date (not those waiting for the citizen).
    Overdue {
        #[arg(long)]
        json: bool,
    },
    /// Extend a request's deadline: to one month from receipt for a demanding case, or by one
    /// or two further months under GDPR Art. 12(3) with a reason the citizen is told.
    Extend {
        /// The request's reference, DR-YYYY-NNNNNN.
        reference: String,
        /// A demanding case: due one month from receipt.
        #[arg(
            long,
            conflicts_with = "gdpr_months",
            required_unless_present = "gdpr_months"
        )]
        one_month: bool,
        /// GDPR Art. 12(3): 1 or 2 further months.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=2), requires = "reason")]
        gdpr_months: Option<u32>,
        /// Why, in words for the citizen (sent to them).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Find requests by reference or by the client's identity code (looked up by its keyed
    /// hash). The search is recorded in the audit trail, never the code.
    Find {
        #[arg(
            long = "ref",
            value_name = "REF",
            conflicts_with = "personal_id",
            required_unless_present = "personal_id"
        )]
        reference: Option<String>,
        /// The identity code, or - to read it from stdin (out of shell history).
        #[arg(long, value_name = "CODE")]
        personal_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The citizen cancelled the request (from any open state before pick-up).
    Withdraw {
        /// The request's reference, DR-YYYY-NNNNNN.
        reference: String,
    },
    /// Show one request, decrypted. Recorded in the audit trail.
    Show {
        /// The request's reference, DR-YYYY-NNNNNN.
        reference: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Requests in review: reference, reasons, age, due date (no personal data).
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One request: fields, reasons, attachments, history and its messages as plain text.
    /// An audited read.
    Show { reference: String },
    /// Decide: to the organisation's queue (every required field present and valid), back to
    /// the citizen with a reply, or rejected with a note the citizen receives (with the right
    /// to complain to the Data Protection Ombudsman).
    #[command(group(
        clap::ArgGroup::new("decision")
            .required(true)
            .args(["queue", "reply", "reject"])
    ))]
    Resolve {
        reference: String,
        /// To the organisation's queue.
        #[arg(long)]
        queue: bool,
        /// Back to the citizen, who is asked for more (the clock waits).
        #[arg(long)]
        reply: bool,
        /// Rejected, with --note.
        #[arg(long, requires = "note")]
        reject: bool,
        /// With --reply: a clerks' template (missing_fields: what is missing or invalid).
        #[arg(long, value_name = "NAME", requires = "reply", conflicts_with = "text")]
        template: Option<String>,
        /// With --reply: your own words to the citizen.
        #[arg(long, value_name = "TEXT", requires = "reply")]
        text: Option<String>,
        /// With --reject: the reason, sent to the citizen.
        #[arg(long, value_name = "TEXT", requires = "reject")]
        note: Option<String>,
    },
    /// Correct fields (checked as strictly as extraction; an invalid identity code is
    /// refused). All or none.
    Edit {
        reference: String,
        /// field=value (e.g. address="Katu 1, 00100 Helsinki"); field=- reads the value from
        /// the next line of stdin (out of the process list and shell history).
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DisclosureCommand {
    /// Claim the oldest queued requests of an organisation and write one OpenPGP-encrypted
    /// bundle per request (REF.pgp, for the organisation's certificates) and index.csv
    /// (references and due dates only) into a directory. Two pick-ups at once never get the
    /// same request; a bundle that cannot be written leaves every request queued.
    Pickup {
        /// The organisation's id in [organisations], e.g. helsinki.
        #[arg(long, value_name = "ID")]
        org: String,
        /// The directory to write into (created, mode 0700).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// At most this many requests.
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
    },
    /// Mark picked-up requests disclosed (the records were sent). All or none.
    Ack {
        /// References, DR-YYYY-NNNNNN.
        #[arg(required = true, value_name = "REF")]
        references: Vec<String>,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Unsent replies: due, sending, deferred (with the last failure's code) or parked.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Make the deferred replies due now (after the mail server is fixed).
    Flush,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add an account. The password is the first line of stdin; on a terminal, a strong
    /// password is made and printed once instead.
    Add {
        name: String,
        /// kela_clerk, city_staff or admin.
        #[arg(long)]
        role: String,
        /// The organisation (an id in [organisations]) of City staff.
        #[arg(long)]
        org: Option<String>,
    },
    /// List the accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a new password (read as for `add`); the account's sessions end.
    Passwd { name: String },
    /// Disable an account; its sessions end.
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Write a new storage key (and the HMAC secret if missing), mode 0600. Running it again
    /// rotates: new data uses the newest key, old data stays readable.
    Generate {
        /// The key directory; the configured store.keys_dir when not given.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write a passphrase-protected backup of the key directory (ASCII-armoured OpenPGP).
    /// Keep it apart from the database backups.
    Export {
        /// The key directory; the configured store.keys_dir when not given.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The backup file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A file holding the passphrase (else DATAREQ_KEYS_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Restore a backup into an empty key directory.
    Import {
        /// The key directory; the configured store.keys_dir when not given.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The backup file.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// A file holding the passphrase (else DATAREQ_KEYS_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first bad event and exits 1 if there is one.
    Verify,
    /// Print the newest event's number and hash (keep a copy outside the database).
    Head,
}

/// Starts logging to stderr in `format`, at the level `DATAREQ_LOG` (or else `RUST_LOG`) asks
/// for (default warn). Called once the configuration is known, so its `[log] format` applies.
fn init_logging(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DATAREQ_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
        // lopdf's own log lines can quote a document's objects, and the IMAP and SMTP
        // clients' debug and trace lines are the wire itself (whole messages, addresses):
        // never logged, whatever the level asked for.
        .add_directive("lopdf=off".parse().expect("static directive"))
        .add_directive("async_imap=off".parse().expect("static directive"))
        .add_directive("imap_proto=off".parse().expect("static directive"))
        .add_directive("lettre=off".parse().expect("static directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        config::LogFormat::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        config::LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

fn main() -> ExitCode {
    // No library error's backtrace is ever shown: errors become text, and the panic hook below
    // prints only the place. Yet with RUST_BACKTRACE set, anyhow captures one for every error
    // it makes, and sequoia makes (and drops) one for every value sealed: 3 % of the daemon's
    // CPU. Set before any thread exists, and inherited by the document worker.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
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
    let config_path = args.config.as_deref();
    match args.command {
        Command::CheckConfig => {
            init_logging(config::LogFormat::Human);
            cli::check_config::run(config_path)
        }
        Command::ReadDocument => {
            init_logging(config::LogFormat::Human);
            datareq::worker::serve()
        }
        Command::Run { once } => with_config(config_path, |c| datareq::daemon::run(c, once)),
        Command::Ingest { quiet, files } => {
            with_config(config_path, |c| cli::ingest::run(c, &files, quiet))
        }
        Command::Requests {
            command: RequestsCommand::List { status, json },
        } => {
            let state = match status.as_deref().map(str::parse).transpose() {
                Ok(state) => state,
                Err(e) => {
                    eprintln!("datareq: --status: {e}");
                    return ExitCode::from(2);
                }
            };
            with_config(config_path, |c| cli::requests::list(c, state, json))
        }
        Command::Requests {
            command:
                RequestsCommand::Find {
                    reference,
                    personal_id,
                    json,
                },
        } => {
            let by = match (reference, personal_id) {
                (Some(r), _) => cli::requests::Find::Reference(r),
                (None, Some(code)) => cli::requests::Find::PersonalId(code),
                (None, None) => unreachable!("clap requires one"),
            };
            with_config(config_path, |c| cli::requests::find(c, by, json))
        }
        Command::Requests {
            command: RequestsCommand::Withdraw { reference },
        } => with_config(config_path, |c| cli::requests::withdraw(c, &reference)),
        Command::Requests {
            command: RequestsCommand::Show { reference, json },
        } => with_config(config_path, |c| cli::requests::show(c, &reference, json)),
        Command::Outbox {
            command: OutboxCommand::List { json },
        } => with_config(config_path, |c| cli::outbox::list(c, json)),
        Command::Outbox {
            command: OutboxCommand::Flush,
        } => with_config(config_path, cli::outbox::flush),
        Command::Review {
            command: ReviewCommand::List { json },
        } => with_config(config_path, |c| cli::review::list(c, json)),
        Command::Review {
            command: ReviewCommand::Show { reference },
        } => with_config(config_path, |c| cli::review::show(c, &reference)),
        Command::Review {
            command:
                ReviewCommand::Resolve {
                    reference,
                    queue,
                    reply,
                    reject: _,
                    template,
                    text,
                    note,
                },
        } => {
            let decision = if queue {
                cli::review::Decision::Queue
            } else if reply {
                cli::review::Decision::Reply { template, text }
            } else {
                cli::review::Decision::Reject {
                    note: note.unwrap_or_default(),
                }
            };
            with_config(config_path, |c| {
                cli::review::resolve(c, &reference, decision)
            })
        }
        Command::Review {
            command: ReviewCommand::Edit { reference, set },
        } => with_config(config_path, |c| cli::review::edit(c, &reference, &set)),
        Command::Disclosure {
            command: DisclosureCommand::Pickup { org, out, limit },
        } => with_config(config_path, |c| {
            cli::disclosure::pickup(c, &org, &out, limit)
        }),
        Command::Disclosure {
            command: DisclosureCommand::Ack { references },
        } => with_config(config_path, |c| cli::disclosure::ack(c, &references)),
        Command::Status { json } => with_config(config_path, |c| cli::status::run(c, json)),
        Command::Migrate => with_config(config_path, cli::store::migrate),
        Command::Purge { dry_run } => {
            with_config(config_path, |c| cli::retention::purge(c, dry_run))
        }
        Command::Maintain => with_config(config_path, cli::retention::maintain),
        Command::Expire { dry_run } => {
            with_config(config_path, |c| cli::retention::expire(c, dry_run))
        }
        Command::Requests {
            command: RequestsCommand::Overdue { json },
        } => with_config(config_path, |c| cli::requests::overdue(c, json)),
        Command::Requests {
            command:
                RequestsCommand::Extend {
                    reference,
                    one_month,
                    gdpr_months,
                    reason,
                },
        } => {
            let extension = match (one_month, gdpr_months) {
                (_, Some(months)) => datareq::store::Extension::Gdpr { months },
                _ => datareq::store::Extension::OneMonth,
            };
            let reason = reason.unwrap_or_default();
            with_config(config_path, |c| {
                cli::requests::extend(c, &reference, extension, &reason)
            })
        }
        Command::Web => with_config(config_path, datareq::web::run),
        Command::Users { command } => with_config(config_path, |c| match command {
            UsersCommand::Add { name, role, org } => {
                cli::users::add(c, &name, &role, org.as_deref())
            }
            UsersCommand::List { json } => cli::users::list(c, json),
            UsersCommand::Passwd { name } => cli::users::passwd(c, &name),
            UsersCommand::Disable { name } => cli::users::set_disabled(c, &name, true),
            UsersCommand::Enable { name } => cli::users::set_disabled(c, &name, false),
        }),
        Command::Keys {
            command: KeysCommand::Generate { dir },
        } => with_config(config_path, |c| {
            cli::keys::generate(dir.as_deref().unwrap_or(&c.store.keys_dir))
        }),
        Command::Keys {
            command:
                KeysCommand::Export {
                    dir,
                    out,
                    passphrase_file,
                },
        } => with_config(config_path, |c| {
            let dir = dir.as_deref().unwrap_or(&c.store.keys_dir);
            cli::keys::export(dir, &out, passphrase_file.as_deref())
        }),
        Command::Keys {
            command:
                KeysCommand::Import {
                    dir,
                    from,
                    passphrase_file,
                },
        } => with_config(config_path, |c| {
            let dir = dir.as_deref().unwrap_or(&c.store.keys_dir);
            cli::keys::import(dir, &from, passphrase_file.as_deref())
        }),
        Command::Audit {
            command: AuditCommand::Verify,
        } => with_config(config_path, cli::audit::verify),
        Command::Audit {
            command: AuditCommand::Head,
        } => with_config(config_path, cli::audit::head),
        Command::Parse { json, files } => {
            let config = match load_config(config_path) {
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

/// Runs a command that needs the configuration. Errors end here, printed with their causes
/// (none of which carries personal data) and exit status 1.
fn with_config(
    path: Option<&std::path::Path>,
    command: impl FnOnce(&config::Config) -> anyhow::Result<ExitCode>,
) -> ExitCode {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match command(&config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("datareq: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load_config(path: Option<&std::path::Path>) -> Result<config::Config, ExitCode> {
    let config = match path {
        None => Ok(config::Config::default()),
        Some(p) => config::load(p).map_err(|e| {
            eprintln!("datareq: {e}");
            ExitCode::from(2)
        }),
    }?;
    init_logging(config.log.format);
    Ok(config)
}
