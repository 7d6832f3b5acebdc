//! The configuration layer: TOML text in, a validated [`Config`] out, or every problem in the
//! file at once, each with its dotted key and line.
//!
//! Two stages: `toml_edit` parses the text keeping spans, then `schema` walks the document by
//! hand against tables of known keys. Unknown keys are errors (a misspelt key silently falling
//! back to its default is worse than a refusal to start). No message ever repeats a value from
//! the file, since a configuration may hold secrets.
//!
//! The defaults are the compiled-in example `config/datareq.example.toml`, so the documented
//! defaults and the real ones cannot drift apart.

mod error;
mod schema;
mod size;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use error::{ConfigError, ConfigErrors, ConfigProblem};

use crate::request::model::Field;
use crate::request::rules::{Provider, Rules};

/// The example configuration, documenting every key. Also the defaults.
pub const EXAMPLE: &str = include_str!("../../config/datareq.example.toml");

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub request: RequestConfig,
    pub limits: LimitsConfig,
    pub store: StoreConfig,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub web: WebConfig,
    /// Organisations by id.
    pub organisations: BTreeMap<String, Organisation>,
    /// Every name leads to one provider, and every provider's organisation is defined.
    pub providers: Vec<ProviderConfig>,
}

/// `[web]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// `enabled`: whether `datareq run` serves the web interface (`datareq web` always does).
    pub enabled: bool,
    /// `listen`: the interface's address (loopback by default, behind a reverse proxy).
    pub listen: std::net::SocketAddr,
    /// `metrics_listen`: `/metrics` and `/healthz`, on an address of their own.
    pub metrics_listen: std::net::SocketAddr,
    /// `session_idle_time`: seconds without a page view after which a session ends.
    pub session_idle_seconds: u32,
    /// `session_max_time`: seconds after signing in after which a session ends anyway.
    pub session_max_seconds: u32,
    /// `login_attempts_per_account` / `login_attempts_per_address`: failed sign-ins allowed
    /// in 15 minutes.
    pub login_attempts_per_account: u32,
    pub login_attempts_per_address: u32,
    /// `trusted_proxies`: reverse proxies whose X-Forwarded-For (and user header) count.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `user_header`: a header naming the signed-in account, set by a trusted proxy (SSO).
    pub user_header: Option<String>,
}

impl WebConfig {
    /// The session limits, in seconds.
    pub fn session_limits(&self) -> crate::store::SessionLimits {
        crate::store::SessionLimits {
            idle: i64::from(self.session_idle_seconds),
            max: i64::from(self.session_max_seconds),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `format`: lines for people, or one JSON object per event for a log collector.
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// `[request]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestConfig {
    /// In the contract's order, without duplicates, never an optional-only field.
    pub required: Vec<Field>,
    /// `due_days`: days from receipt to a request's due date, 1 to 90.
    pub due_days: u32,
    /// `pause_while_incomplete`: the deadline clock stops while the citizen is asked.
    pub pause_while_incomplete: bool,
    /// `expire_after_days`: an incomplete request unanswered this long expires.
    pub expire_after_days: u32,
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `database`: `sqlite://PATH` or `postgres://…`; relative paths are relative to the
    /// working directory.
    pub database: String,
    /// `keys_dir`: the storage keys and the HMAC secret.
    pub keys_dir: std::path::PathBuf,
    /// `generate_missing_keys`: whether a missing key directory is created on first start.
    pub generate_missing_keys: bool,
    /// `retention_days`: personal data of closed requests is purged this long after closing.
    pub retention_days: u32,
}

/// `[mail]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `mailbox`: where requests arrive, `maildir:PATH` or `imaps://USER@HOST[:PORT]/FOLDER`.
    pub mailbox: String,
    /// `outbox`: where replies go, `file:PATH` (a folder of .eml files) or `smtps://…`.
    pub outbox: String,
    /// `from`: the address replies come from.
    pub from: String,
    /// `message_id_domain`: the domain of our Message-IDs.
    pub message_id_domain: String,
    /// `poll_interval`: seconds between looks at the mailbox.
    pub poll_seconds: u32,
    /// `processed_folder`: the IMAP folder stored messages move to.
    pub processed_folder: String,
    /// `delete_processed`: delete stored messages instead of moving them.
    pub delete_processed: bool,
    /// `imap_password_file`, `smtp_password_file`: the servers' passwords.
    pub imap_password_file: Option<PathBuf>,
    pub smtp_password_file: Option<PathBuf>,
    /// `send_retry_time`: how long `run --once` keeps trying a reply that failed transiently.
    pub send_retry_seconds: u32,
    /// `replies_per_address_per_day`: automatic replies one address gets in 24 hours at most.
    pub replies_per_address_per_day: u32,
    /// `replies_per_hour`: automatic replies sent in an hour at most, to everyone together.
    pub replies_per_hour: u32,
    /// `smtp_connections`: replies handed to the SMTP server at once, each on its own
    /// connection. A crash can repeat at most this many replies.
    pub smtp_connections: u32,
    /// `authserv_id`: our mail server's name in its `Authentication-Results` headers.
    pub authserv_id: Option<String>,
    /// `templates_dir`: the clerks' reply templates (`LANG/KIND.txt`), in place of the built-in.
    pub templates_dir: Option<PathBuf>,
    /// `processed_retention_days`: days stored mail stays in the processed folder.
    pub processed_retention_days: u32,
    /// `receipts`: complete requests and requests in review get a receipt.
    pub receipts: bool,
    /// `decryption_key_file`: Kela's OpenPGP secret key for PGP/MIME mail.
    pub decryption_key_file: Option<PathBuf>,
}

/// Override `mail.mailbox` and `mail.outbox`.
pub const MAILBOX_URL_ENV: &str = "DATAREQ_MAILBOX_URL";
pub const OUTBOX_URL_ENV: &str = "DATAREQ_OUTBOX_URL";

impl MailConfig {
    /// The mailbox location: `DATAREQ_MAILBOX_URL` when set, else the configured one.
    pub fn mailbox_url(&self) -> String {
        env_or(MAILBOX_URL_ENV, &self.mailbox)
    }

    /// The outbox location: `DATAREQ_OUTBOX_URL` when set, else the configured one.
    pub fn outbox_url(&self) -> String {
        env_or(OUTBOX_URL_ENV, &self.outbox)
    }
}

fn env_or(name: &str, configured: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| configured.to_string())
}

/// Overrides `store.database` (for containers and tests).
pub const DATABASE_URL_ENV: &str = "DATAREQ_DATABASE_URL";

impl StoreConfig {
    /// The database URL: `DATAREQ_DATABASE_URL` when set, else the configured one. The
    /// variable's value is checked like the key's.
    pub fn database_url(&self) -> Result<String, crate::store::StoreError> {
        match std::env::var(DATABASE_URL_ENV) {
            Ok(url) if !url.is_empty() => {
                crate::store::Backend::of_url(&url).map_err(|e| {
                    crate::store::StoreError::Url(format!("{DATABASE_URL_ENV}: {e}"))
                })?;
                Ok(url)
            }
            _ => Ok(self.database.clone()),
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    /// `max_message_size`, in bytes; greater than 0.
    pub max_message_bytes: usize,
    /// `max_attachment_size`, in bytes: larger documents are not opened (`too_large`).
    pub max_attachment_bytes: usize,
    /// `attachment_time_limit`: seconds of reading one document, 1 to 60.
    pub attachment_seconds: u64,
    /// `attachment_memory_limit`, in bytes: the document worker's address space.
    pub attachment_memory_bytes: usize,
    /// `attachment_isolation`
    pub attachment_isolation: AttachmentIsolation,
}

/// Where attachments are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentIsolation {
    /// In a worker process with resource limits, one per document (the default).
    Worker,
    /// In the parsing process itself, under the parser's own checks only.
    InProcess,
}

/// `[organisations.ID]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    /// OpenPGP certificate files; bundles are encrypted to every one of them.
    pub certificates: Vec<PathBuf>,
    pub delivery: Delivery,
}

/// How complete requests reach an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Its staff run `datareq disclosure pickup` (the default).
    Pickup,
    /// The daemon sends each as PGP/MIME to this address, through the outbox.
    Email(String),
}

/// `[[providers]]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The canonical name.
    pub name: String,
    pub aliases: Vec<String>,
    /// An id defined in `[organisations]`.
    pub organisation: String,
}

impl Config {
    /// Every configured provider's names: no message to a citizen may contain one.
    pub fn provider_names(&self) -> Vec<String> {
        self.providers
            .iter()
            .flat_map(|p| std::iter::once(p.name.clone()).chain(p.aliases.iter().cloned()))
            .collect()
    }

    /// The rules the pure core works with.
    pub fn rules(&self) -> Rules {
        Rules {
            required: self.request.required.clone(),
            providers: self
                .providers
                .iter()
                .map(|p| Provider {
                    canonical: p.name.clone(),
                    aliases: p.aliases.clone(),
                    organisation: p.organisation.clone(),
                })
                .collect(),
            max_message_bytes: self.limits.max_message_bytes,
            trusted_authserv_id: self.mail.authserv_id.clone(),
        }
    }
}

impl Default for Config {
    /// The compiled-in example, [`EXAMPLE`].
    fn default() -> Self {
        builtin().clone()
    }
}

/// The parsed example, parsed once: every `parse_config` takes its defaults from it.
fn builtin() -> &'static Config {
    static BUILTIN: OnceLock<Config> = OnceLock::new();
    BUILTIN.get_or_init(|| match schema::parse(EXAMPLE, None) {
        Ok(config) => config,
        // The example is a compile-time constant that the tests parse: this is a build defect,
        // not bad input.
        Err(e) => panic!("the built-in example configuration is invalid:\n{e}"),
    })
}

/// Parses and validates a configuration. Keys and sections left out take the example's values.
/// Pure: reads no file.
pub fn parse_config(text: &str) -> Result<Config, ConfigErrors> {
    schema::parse(text, Some(builtin()))
}

/// Reads and validates the configuration file at `path`. Problems are reported with the file
/// name, `FILE:LINE: KEY: message`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_config(&text).map_err(|e| ConfigError::Invalid(e.with_file(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<ConfigProblem> {
        match parse_config(text) {
            Ok(config) => panic!("expected problems, got {config:?}"),
            Err(e) => e.problems,
        }
    }

    /// The only problem, as `(key, line)`, with its message checked to contain `needle`.
    fn only_problem(text: &str, needle: &str) -> (String, usize) {
        let problems = problems(text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        let p = &problems[0];
        assert!(p.message.contains(needle), "{p:?} lacks {needle:?}");
        (p.key.clone(), p.line)
    }

    const PROVIDER: &str = "[[providers]]\nname = \"P\"\norganisation = \"helsinki\"\n";

    #[test]
    fn example_parses_to_default() {
        let parsed = schema::parse(EXAMPLE, None).expect("example is valid without defaults");
        assert_eq!(parsed, Config::default());
        assert_eq!(parse_config(EXAMPLE), Ok(Config::default()));
    }

    #[test]
    fn example_values() {
        let config = Config::default();
        assert_eq!(config.request.required, Field::DEFAULT_REQUIRED.to_vec());
        assert_eq!(config.limits.max_message_bytes, 25 * 1024 * 1024);
        assert_eq!(config.limits.max_attachment_bytes, 10 * 1024 * 1024);
        assert_eq!(config.limits.attachment_seconds, 2);
        assert_eq!(config.limits.attachment_memory_bytes, 512 * 1024 * 1024);
        assert_eq!(
            config.limits.attachment_isolation,
            AttachmentIsolation::Worker
        );
        assert_eq!(
            config.organisations["helsinki"].name,
            "Helsingin kaupunki / City of Helsinki"
        );
        assert_eq!(config.providers.len(), 1);
        assert_eq!(config.providers[0].aliases.len(), 7);
    }

    #[test]
    fn example_rules_map_vastaamo_to_canonical_provider() {
        let rules = Config::default().rules();
        let provider = rules
            .providers
            .iter()
            .find(|p| p.aliases.iter().any(|a| a.eq_ignore_ascii_case("vastaamo")))
            .expect("an alias Vastaamo");
        assert_eq!(provider.canonical, "Psykoterapiakeskus Vastaamo");
        assert_eq!(provider.organisation, "helsinki");
        assert_eq!(rules.required, Field::DEFAULT_REQUIRED.to_vec());
        assert_eq!(rules.max_message_bytes, 25 * 1024 * 1024);
        // The core's own default (used by library callers and tests) is the example's.
        assert_eq!(rules, crate::request::Rules::default());
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(parse_config(""), Ok(Config::default()));
        assert_eq!(parse_config("# nothing\n"), Ok(Config::default()));
    }

    #[test]
    fn sections_default_independently() {
        let config = parse_config("[limits]\nmax_message_size = 1024\n").expect("valid");
        assert_eq!(config.limits.max_message_bytes, 1024);
        assert_eq!(config.providers, Config::default().providers);
        assert_eq!(config.request, Config::default().request);
    }

    #[test]
    fn organisation_delivery_and_certificates() {
        let org = |body: &str| {
            parse_config(&format!(
                "[organisations.helsinki]\nname = \"Helsinki\"\n{body}\n"
            ))
        };
        let config = org("certificates = [\"a.asc\", \"b.asc\"]\ndelivery = \"email\"\nemail = \"kirjaamo@hel.example\"")
            .expect("valid");
        let helsinki = &config.organisations["helsinki"];
        assert_eq!(
            helsinki.certificates,
            vec![PathBuf::from("a.asc"), PathBuf::from("b.asc")]
        );
        assert_eq!(
            helsinki.delivery,
            Delivery::Email("kirjaamo@hel.example".into())
        );
        assert_eq!(
            org("").unwrap().organisations["helsinki"].delivery,
            Delivery::Pickup
        );
        for (body, needle) in [
            ("delivery = \"email\"", "needs the organisation's address"),
            ("delivery = \"fax\"", "expected \"pickup\" or \"email\""),
            ("email = \"kirjaamo@hel.example\"", "only with delivery"),
            (
                "delivery = \"email\"\nemail = \"kirjaamo\"",
                "not an email address",
            ),
            ("certificates = [\"\"]", "must not be empty"),
        ] {
            let e = org(body).unwrap_err().to_string();
            assert!(e.contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn attachment_limits() {
        let config = parse_config(
            "[limits]\nmax_attachment_size = \"2 MB\"\nattachment_time_limit = 60\n\
             attachment_memory_limit = \"64 MB\"\nattachment_isolation = \"in_process\"\n",
        )
        .expect("valid");
        assert_eq!(config.limits.max_attachment_bytes, 2 << 20);
        assert_eq!(config.limits.attachment_seconds, 60);
        assert_eq!(config.limits.attachment_memory_bytes, 64 << 20);
        assert_eq!(
            config.limits.attachment_isolation,
            AttachmentIsolation::InProcess
        );
        // The other limits keep their defaults.
        assert_eq!(config.limits.max_message_bytes, 25 << 20);

        for (text, needle) in [
            ("attachment_time_limit = 0", "from 1 to 60"),
            ("attachment_time_limit = 61", "from 1 to 60"),
            ("attachment_time_limit = \"2 s\"", "integer (seconds)"),
            ("attachment_memory_limit = \"63 MB\"", "at least 64 MB"),
            ("max_attachment_size = 0", "greater than 0"),
            (
                "attachment_isolation = \"none\"",
                "\"worker\" or \"in_process\"",
            ),
        ] {
            let problems = problems(&format!("[limits]\n{text}\n"));
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            assert!(problems[0].message.contains(needle), "{text}: {problems:?}");
            assert_eq!(problems[0].line, 2);
        }
    }

    #[test]
    fn unknown_key_at_top_level() {
        let text = "[request]\nrequired = [\"surname\"]\n\nlogging = true\n";
        // A root key after [request] belongs to [request]; put it first to test the root.
        assert_eq!(
            only_problem(text, "unknown key"),
            ("request.logging".into(), 4)
        );
        let text = "\nlogging = true\n[request]\n";
        let (key, line) = only_problem(text, "unknown key");
        assert_eq!((key.as_str(), line), ("logging", 2));
    }

    #[test]
    fn unknown_key_nested() {
        let text = "# limits\n[limits]\nmax_mesage_size = 1\n";
        assert_eq!(
            only_problem(text, "unknown key; expected one of: max_message_size"),
            ("limits.max_mesage_size".into(), 3)
        );
        let text = "[[providers]]\nname = \"P\"\norganisation = \"helsinki\"\nalias = []\n";
        assert_eq!(
            only_problem(text, "unknown key"),
            ("providers[0].alias".into(), 4)
        );
        let text = "[organisations.helsinki]\nname = \"X\"\ncolour = \"red\"\n";
        assert_eq!(
            only_problem(text, "unknown key"),
            ("organisations.helsinki.colour".into(), 3)
        );
    }

    #[test]
    fn dotted_keys_are_walked_too() {
        let text = "limits.max_mesage_size = 1\n";
        assert_eq!(
            only_problem(text, "unknown key"),
            ("limits.max_mesage_size".into(), 1)
        );
    }

    #[test]
    fn three_problems_at_once() {
        let text = "\
[request]
required = [\"surname\", \"shoe_size\"]

[limits]
max_message_size = 0

[[providers]]
name = \"P\"
organisation = \"nowhere\"
";
        let found: Vec<(String, usize)> = problems(text)
            .into_iter()
            .map(|p| (p.key, p.line))
            .collect();
        assert_eq!(
            found,
            vec![
                ("request.required[1]".into(), 2),
                ("limits.max_message_size".into(), 5),
                ("providers[0].organisation".into(), 9),
            ]
        );
    }

    #[test]
    fn unknown_required_field() {
        let text = "[request]\nrequired = [\n  \"surname\",\n  \"shoe_size\",\n]\n";
        assert_eq!(
            only_problem(text, "unknown field name"),
            ("request.required[1]".into(), 4)
        );
    }

    #[test]
    fn optional_only_fields_cannot_be_required() {
        for field in ["former_names", "sms_consent"] {
            let text = format!("[request]\nrequired = [\"surname\", \"{field}\"]\n");
            assert_eq!(
                only_problem(&text, "never be required"),
                ("request.required[1]".into(), 2)
            );
        }
    }

    #[test]
    fn required_fields_follow_the_contract_order() {
        let text = "[request]\nrequired = [\"phone\", \"surname\"]\n";
        let config = parse_config(text).expect("valid");
        assert_eq!(config.request.required, vec![Field::Surname, Field::Phone]);
        let text = "[request]\nrequired = [\"phone\", \"phone\"]\n";
        assert_eq!(
            only_problem(text, "listed twice"),
            ("request.required[1]".into(), 2)
        );
    }

    #[test]
    fn alias_duplicated_across_providers() {
        let text = format!(
            "{PROVIDER}aliases = [\"Vastaamo\"]\n\n\
             [[providers]]\nname = \"Q\"\norganisation = \"helsinki\"\naliases = [\"x\", \"VASTAAMO\"]\n"
        );
        assert_eq!(
            only_problem(&text, "already used by providers[0]"),
            ("providers[1].aliases[1]".into(), 9)
        );
    }

    #[test]
    fn alias_equal_to_another_providers_canonical_name() {
        let text = format!("{PROVIDER}\n[[providers]]\nname = \"Q\"\norganisation = \"helsinki\"\naliases = [\"p\"]\n");
        assert_eq!(
            only_problem(&text, "already used by providers[0]"),
            ("providers[1].aliases[0]".into(), 8)
        );
    }

    #[test]
    fn alias_repeated_within_a_provider() {
        let text = format!("{PROVIDER}aliases = [\"A  b\", \"P\", \"a B\"]\n");
        assert_eq!(
            only_problem(&text, "listed twice"),
            ("providers[0].aliases[2]".into(), 4)
        );
    }

    #[test]
    fn provider_with_undefined_organisation() {
        let text = "[[providers]]\nname = \"P\"\norganisation = \"espoo\"\n";
        assert_eq!(
            only_problem(text, "not defined in [organisations]"),
            ("providers[0].organisation".into(), 3)
        );
        // Replacing the organisations checks the providers against the new list.
        let text = format!("[organisations.espoo]\nname = \"Espoo\"\n{PROVIDER}");
        assert_eq!(
            only_problem(&text, "not defined"),
            ("providers[0].organisation".into(), 5)
        );
        // ... including the default providers.
        let text = "[organisations.espoo]\nname = \"Espoo\"\n";
        assert_eq!(
            only_problem(text, "default providers"),
            ("organisations".into(), 1)
        );
    }

    #[test]
    fn own_organisations_and_providers() {
        let text = "\
[organisations.espoo-1]
name = \"Espoon kaupunki\"

[[providers]]
name = \"  Terveysasema  \"
aliases = [\"TA\"]
organisation = \"espoo-1\"
";
        let config = parse_config(text).expect("valid");
        assert_eq!(config.organisations.len(), 1);
        assert_eq!(
            config.providers,
            vec![ProviderConfig {
                name: "Terveysasema".into(),
                aliases: vec!["TA".into()],
                organisation: "espoo-1".into(),
            }]
        );
    }

    #[test]
    fn inline_provider_tables() {
        let text = "providers = [{ name = \"P\", organisation = \"helsinki\" }, 3]\n";
        assert_eq!(
            only_problem(text, "expected a table, found an integer"),
            ("providers[1]".into(), 1)
        );
    }

    #[test]
    fn empty_and_missing_values() {
        let text = "[[providers]]\nname = \" \"\naliases = [\"\"]\n";
        let found: Vec<(String, usize, String)> = problems(text)
            .into_iter()
            .map(|p| (p.key, p.line, p.message))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "providers[0].organisation".into(),
                    1,
                    "missing required key".into()
                ),
                ("providers[0].name".into(), 2, "must not be empty".into()),
                (
                    "providers[0].aliases[0]".into(),
                    3,
                    "must not be empty".into()
                ),
            ]
        );
        assert_eq!(
            only_problem("providers = []\n", "at least one provider"),
            ("providers".into(), 1)
        );
        // A broken organisation is reported once, not again at the providers using it.
        assert_eq!(
            only_problem("[organisations.helsinki]\n", "missing required key"),
            ("organisations.helsinki.name".into(), 1)
        );
    }

    #[test]
    fn invalid_organisation_id() {
        let text =
            "[organisations.helsinki]\nname = \"H\"\n[organisations.Helsinki]\nname = \"H\"\n";
        assert_eq!(
            only_problem(text, "invalid organisation id"),
            ("organisations.Helsinki".into(), 3)
        );
        let text =
            "[organisations.helsinki]\nname = \"H\"\n[organisations.\"a.b\"]\nname = \"H\"\n";
        assert_eq!(
            only_problem(text, "invalid organisation id"),
            ("organisations.\"a.b\"".into(), 3)
        );
    }

    #[test]
    fn wrong_types() {
        let text = "request = 5\n[limits]\nmax_message_size = 2.5\n";
        let found: Vec<(String, usize, String)> = problems(text)
            .into_iter()
            .map(|p| (p.key, p.line, p.message))
            .collect();
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].0.as_str(), found[0].1, found[0].2.as_str()),
            ("request", 1, "expected a table, found an integer")
        );
        assert_eq!(
            (found[1].0.as_str(), found[1].1),
            ("limits.max_message_size", 3)
        );
        assert!(found[1].2.ends_with("found a float"), "{found:?}");
        assert_eq!(
            only_problem(
                "[request]\nrequired = \"surname\"\n",
                "expected an array of strings"
            ),
            ("request.required".into(), 2)
        );
        assert_eq!(
            only_problem(
                "[request]\nrequired = [\"surname\", 1]\n",
                "expected a string"
            ),
            ("request.required[1]".into(), 2)
        );
    }

    #[test]
    fn syntax_error_gives_a_line() {
        let text = "[request]\nrequired = [\"surname\"\n\n[limits]\n";
        let problems = problems(text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "");
        assert!(problems[0].message.starts_with("TOML syntax error"));
        assert!((2..=4).contains(&problems[0].line), "{problems:?}");

        let text = "[limits]\nmax_message_size = 1\nmax_message_size = 2\n";
        let problems = super::tests::problems(text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
    }

    #[test]
    fn sizes() {
        let size = |value: &str| {
            parse_config(&format!("[limits]\nmax_message_size = {value}\n"))
                .map(|c| c.limits.max_message_bytes)
        };
        assert_eq!(size("\"25 MB\""), Ok(25 * 1024 * 1024));
        assert_eq!(size("1048576"), Ok(1_048_576));
        assert_eq!(size("\"10KiB\""), Ok(10 * 1024));
        for bad in [
            "0",
            "-5",
            "\"0 MB\"",
            "\"25 parsecs\"",
            "\"\"",
            "\"1.5 MB\"",
        ] {
            let errors = size(bad).expect_err(bad);
            assert_eq!(errors.problems.len(), 1, "{bad}");
            assert_eq!(errors.problems[0].key, "limits.max_message_size");
            assert_eq!(errors.problems[0].line, 2);
        }
    }

    #[test]
    fn messages_never_contain_values() {
        const SECRET: &str = "hunter2-Sup3rS3cret-token";
        let texts = [
            format!("api_token = \"{SECRET}\"\n"),
            format!("[limits]\nmax_message_size = \"{SECRET}\"\n"),
            format!("[request]\nrequired = [\"{SECRET}\"]\n"),
            format!("[[providers]]\nname = \"P\"\norganisation = \"{SECRET}\"\n"),
            format!("{PROVIDER}aliases = [\"{SECRET}\", \"{SECRET}\"]\n"),
            format!("api_token = \"{SECRET}\n"),
            format!("api_token = {SECRET}\n"),
            format!("[limits]\nmax_message_size = \"12 {SECRET}\"\n"),
        ];
        for text in &texts {
            let errors = parse_config(text).expect_err(text);
            let shown = format!(
                "{errors}\n{}\n{errors:?}",
                errors.clone().with_file(Path::new("datareq.toml"))
            );
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("datareq.toml");
        std::fs::write(&path, "[limits]\nmax_mesage_size = 1\n").expect("write");
        let shown = load(&path).expect_err("invalid").to_string();
        assert_eq!(
            shown,
            format!(
                "{}:2: limits.max_mesage_size: unknown key; expected one of: max_message_size, \
                 max_attachment_size, attachment_time_limit, attachment_memory_limit, \
                 attachment_isolation",
                path.display()
            )
        );

        std::fs::write(&path, EXAMPLE).expect("write");
        assert_eq!(load(&path).expect("valid"), Config::default());

        let missing = dir.path().join("missing.toml");
        let e = load(&missing).expect_err("missing");
        assert!(matches!(e, ConfigError::Read { .. }));
        assert!(e.to_string().contains("missing.toml"), "{e}");
    }

    #[test]
    fn read_errors_do_not_show_contents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("datareq.toml");
        let mut bytes = b"token = \"hunter2\"\n".to_vec();
        bytes.push(0xff);
        std::fs::write(&path, bytes).expect("write");
        let e = load(&path).expect_err("not UTF-8");
        assert!(matches!(e, ConfigError::Read { .. }));
        assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
    }
}
