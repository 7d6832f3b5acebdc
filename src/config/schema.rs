//! datareq's configuration schema: which keys exist in which section, how each value is checked,
//! and the checks that span sections (a provider's organisation must exist, no name may point to
//! two providers).
//!
//! To add a key: add a field to the section's `Raw*` struct, a row to its `*_KEYS` table, a parse
//! function if no existing one fits, and a line in `assemble` that applies the default. Then
//! document the key in `config/datareq.example.toml`, which supplies the default.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml_edit::{ImDocument, Item, TomlError};

use super::error::{ConfigErrors, ConfigProblem};
use super::size::{parse_size, SizeError};
use super::walk::{KeySpec, Loc, Walker};
use super::{
    AttachmentIsolation, Config, Delivery, LimitsConfig, LogConfig, LogFormat, MailConfig,
    Organisation, ProviderConfig, RequestConfig, StoreConfig, WebConfig,
};
use crate::request::model::Field;

/// A checked string value and where it was written, for problems found by cross-checks.
type Located = (String, Loc);

/// What the file set, before defaults are applied. `None` means "not set" (or set to something
/// invalid, which has already been reported).
#[derive(Default)]
struct RawConfig {
    request: RawRequest,
    limits: RawLimits,
    store: RawStore,
    mail: RawMail,
    log: RawLog,
    web: RawWeb,
    organisations: Option<RawOrganisations>,
    /// Each provider with its own location.
    providers: Option<Vec<(Loc, RawProvider)>>,
}

#[derive(Default)]
struct RawRequest {
    required: Option<Vec<Field>>,
    due_days: Option<u32>,
    pause_while_incomplete: Option<bool>,
    expire_after_days: Option<u32>,
}

#[derive(Default)]
struct RawMail {
    mailbox: Option<String>,
    outbox: Option<String>,
    from: Option<String>,
    message_id_domain: Option<String>,
    poll_seconds: Option<u32>,
    processed_folder: Option<String>,
    delete_processed: Option<bool>,
    imap_password_file: Option<String>,
    smtp_password_file: Option<String>,
    send_retry_seconds: Option<u32>,
    replies_per_address_per_day: Option<u32>,
    replies_per_hour: Option<u32>,
    smtp_connections: Option<u32>,
    authserv_id: Option<String>,
    decryption_key_file: Option<String>,
    receipts: Option<bool>,
    templates_dir: Option<String>,
    processed_retention_days: Option<u32>,
}

#[derive(Default)]
struct RawWeb {
    enabled: Option<bool>,
    listen: Option<std::net::SocketAddr>,
    metrics_listen: Option<std::net::SocketAddr>,
    session_idle_seconds: Option<u32>,
    session_max_seconds: Option<u32>,
    login_attempts_per_account: Option<u32>,
    login_attempts_per_address: Option<u32>,
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
    user_header: Option<String>,
}

#[derive(Default)]
struct RawLog {
    format: Option<LogFormat>,
}

#[derive(Default)]
struct RawStore {
    database: Option<String>,
    keys_dir: Option<String>,
    generate_missing_keys: Option<bool>,
    retention_days: Option<u32>,
}

#[derive(Default)]
struct RawLimits {
    max_message_bytes: Option<usize>,
    max_attachment_bytes: Option<usize>,
    attachment_seconds: Option<u64>,
    attachment_memory_bytes: Option<usize>,
    attachment_isolation: Option<AttachmentIsolation>,
}

/// `[organisations]` as written.
struct RawOrganisations {
    loc: Loc,
    /// Every id in the section, valid or not: providers are checked against these, so that one
    /// broken organisation is not reported again at every provider using it.
    declared: BTreeSet<String>,
    valid: Vec<(String, Organisation)>,
}

#[derive(Default)]
struct RawOrganisation {
    name: Option<String>,
    certificates: Option<Vec<std::path::PathBuf>>,
    delivery: Option<Located>,
    email: Option<Located>,
}

#[derive(Default)]
struct RawProvider {
    name: Option<Located>,
    aliases: Option<Vec<Located>>,
    organisation: Option<Located>,
}

const ROOT_KEYS: &[KeySpec<RawConfig>] = &[
    KeySpec {
        name: "request",
        required: false,
        parse: request_section,
    },
    KeySpec {
        name: "limits",
        required: false,
        parse: limits_section,
    },
    KeySpec {
        name: "store",
        required: false,
        parse: store_section,
    },
    KeySpec {
        name: "mail",
        required: false,
        parse: |w, loc, item, out| {
            if let Some(table) = w.table(loc, item) {
                w.walk(loc, table, MAIL_KEYS, &mut out.mail);
            }
        },
    },
    KeySpec {
        name: "log",
        required: false,
        parse: |w, loc, item, out| {
            if let Some(table) = w.table(loc, item) {
                w.walk(loc, table, LOG_KEYS, &mut out.log);
            }
        },
    },
    KeySpec {
        name: "web",
        required: false,
        parse: |w, loc, item, out| {
            if let Some(table) = w.table(loc, item) {
                w.walk(loc, table, WEB_KEYS, &mut out.web);
            }
        },
    },
    KeySpec {
        name: "organisations",
        required: false,
        parse: organisations_section,
    },
    KeySpec {
        name: "providers",
        required: false,
        parse: providers_section,
    },
];

const WEB_KEYS: &[KeySpec<RawWeb>] = &[
    KeySpec {
        name: "enabled",
        required: false,
        parse: |w, loc, item, out| out.enabled = boolean(w, loc, item),
    },
    KeySpec {
        name: "listen",
        required: false,
        parse: |w, loc, item, out| out.listen = socket_address(w, loc, item),
    },
    KeySpec {
        name: "metrics_listen",
        required: false,
        parse: |w, loc, item, out| out.metrics_listen = socket_address(w, loc, item),
    },
    KeySpec {
        name: "session_idle_time",
        required: false,
        parse: |w, loc, item, out| {
            out.session_idle_seconds = bounded(w, loc, item, 24 * 3600, "seconds")
        },
    },
    KeySpec {
        name: "session_max_time",
        required: false,
        parse: |w, loc, item, out| {
            out.session_max_seconds = bounded(w, loc, item, 7 * 24 * 3600, "seconds")
        },
    },
    KeySpec {
        name: "login_attempts_per_account",
        required: false,
        parse: |w, loc, item, out| {
            out.login_attempts_per_account = bounded(w, loc, item, 1000, "attempts")
        },
    },
    KeySpec {
        name: "login_attempts_per_address",
        required: false,
        parse: |w, loc, item, out| {
            out.login_attempts_per_address = bounded(w, loc, item, 100_000, "attempts")
        },
    },
    KeySpec {
        name: "trusted_proxies",
        required: false,
        parse: |w, loc, item, out| {
            out.trusted_proxies = non_empty_strings(w, loc, item).map(|list| {
                list.into_iter()
                    .filter_map(|(s, at)| match s.parse() {
                        Ok(ip) => Some(ip),
                        Err(_) => {
                            w.problem(&at, "an IP address (127.0.0.1, ::1)");
                            None
                        }
                    })
                    .collect()
            })
        },
    },
    KeySpec {
        name: "user_header",
        required: false,
        parse: |w, loc, item, out| {
            out.user_header = non_empty_string(w, loc, item).filter(|h| {
                let valid = h.parse::<axum::http::HeaderName>().is_ok();
                if !valid {
                    w.problem(loc, "an HTTP header name (X-Remote-User)");
                }
                valid
            })
        },
    },
];

/// `HOST:PORT` with an IP address (no names: what a listener binds must not depend on DNS).
fn socket_address(w: &mut Walker, loc: &Loc, item: &Item) -> Option<std::net::SocketAddr> {
    let s = non_empty_string(w, loc, item)?;
    match s.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            w.problem(loc, "an IP address and port (127.0.0.1:8080, [::1]:8080)");
            None
        }
    }
}

const REQUEST_KEYS: &[KeySpec<RawRequest>] = &[
    KeySpec {
        name: "required",
        required: false,
        parse: required_fields,
    },
    KeySpec {
        name: "due_days",
        required: false,
        parse: |w, loc, item, out| out.due_days = days(w, loc, item, MAX_DUE_DAYS),
    },
    KeySpec {
        name: "pause_while_incomplete",
        required: false,
        parse: |w, loc, item, out| out.pause_while_incomplete = boolean(w, loc, item),
    },
    KeySpec {
        name: "expire_after_days",
        required: false,
        parse: |w, loc, item, out| out.expire_after_days = days(w, loc, item, MAX_KEEP_DAYS),
    },
];

const STORE_KEYS: &[KeySpec<RawStore>] = &[
    KeySpec {
        name: "database",
        required: false,
        parse: database_url,
    },
    KeySpec {
        name: "keys_dir",
        required: false,
        parse: |w, loc, item, out| out.keys_dir = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "generate_missing_keys",
        required: false,
        parse: |w, loc, item, out| out.generate_missing_keys = boolean(w, loc, item),
    },
    KeySpec {
        name: "retention_days",
        required: false,
        parse: |w, loc, item, out| out.retention_days = days(w, loc, item, MAX_KEEP_DAYS),
    },
];

const MAIL_KEYS: &[KeySpec<RawMail>] = &[
    KeySpec {
        name: "mailbox",
        required: false,
        parse: |w, loc, item, out| {
            out.mailbox = mail_url(w, loc, item, |u| {
                crate::mail::location::MailboxLocation::parse(u).map(|_| ())
            })
        },
    },
    KeySpec {
        name: "outbox",
        required: false,
        parse: |w, loc, item, out| {
            out.outbox = mail_url(w, loc, item, |u| {
                crate::mail::location::OutboxLocation::parse(u).map(|_| ())
            })
        },
    },
    KeySpec {
        name: "from",
        required: false,
        parse: |w, loc, item, out| {
            out.from = non_empty_string(w, loc, item).filter(|from| {
                let valid = from.parse::<lettre::message::Mailbox>().is_ok();
                if !valid {
                    w.problem(
                        loc,
                        "not an address (\"Name <user@example.org>\" or user@example.org)",
                    );
                }
                valid
            })
        },
    },
    KeySpec {
        name: "message_id_domain",
        required: false,
        parse: |w, loc, item, out| {
            out.message_id_domain = non_empty_string(w, loc, item).filter(|d| {
                let valid = d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                if !valid {
                    w.problem(loc, "a domain name: ASCII letters, digits, '.' and '-'");
                }
                valid
            })
        },
    },
    KeySpec {
        name: "poll_interval",
        required: false,
        parse: |w, loc, item, out| out.poll_seconds = bounded(w, loc, item, 3600, "seconds"),
    },
    KeySpec {
        name: "processed_folder",
        required: false,
        parse: |w, loc, item, out| out.processed_folder = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "delete_processed",
        required: false,
        parse: |w, loc, item, out| out.delete_processed = boolean(w, loc, item),
    },
    KeySpec {
        name: "imap_password_file",
        required: false,
        parse: |w, loc, item, out| out.imap_password_file = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "smtp_password_file",
        required: false,
        parse: |w, loc, item, out| out.smtp_password_file = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "replies_per_address_per_day",
        required: false,
        parse: |w, loc, item, out| {
            out.replies_per_address_per_day = bounded(w, loc, item, 1000, "replies")
        },
    },
    KeySpec {
        name: "replies_per_hour",
        required: false,
        parse: |w, loc, item, out| {
            out.replies_per_hour = bounded(w, loc, item, 10_000_000, "replies")
        },
    },
    KeySpec {
        name: "smtp_connections",
        required: false,
        parse: |w, loc, item, out| {
            out.smtp_connections = bounded(w, loc, item, MAX_SMTP_CONNECTIONS, "connections")
        },
    },
    KeySpec {
        name: "processed_retention_days",
        required: false,
        parse: |w, loc, item, out| out.processed_retention_days = days(w, loc, item, MAX_KEEP_DAYS),
    },
    KeySpec {
        name: "templates_dir",
        required: false,
        parse: |w, loc, item, out| out.templates_dir = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "receipts",
        required: false,
        parse: |w, loc, item, out| out.receipts = boolean(w, loc, item),
    },
    KeySpec {
        name: "decryption_key_file",
        required: false,
        parse: |w, loc, item, out| out.decryption_key_file = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "authserv_id",
        required: false,
        parse: |w, loc, item, out| {
            out.authserv_id = non_empty_string(w, loc, item).filter(|id| {
                let valid = !id.contains(|c: char| c.is_whitespace() || c == ';');
                if !valid {
                    w.problem(
                        loc,
                        "an authserv-id is one token (usually the server's host name)",
                    );
                }
                valid
            })
        },
    },
    KeySpec {
        name: "send_retry_time",
        required: false,
        parse: |w, loc, item, out| out.send_retry_seconds = bounded(w, loc, item, 3600, "seconds"),
    },
];

/// Connections to the SMTP server at once: each can leave one reply accepted but not yet
/// recorded as sent when the process is killed, so this also bounds the repeats per crash.
const MAX_SMTP_CONNECTIONS: u32 = 16;

/// A mail location URL that `check` accepts.
fn mail_url(
    w: &mut Walker,
    loc: &Loc,
    item: &Item,
    check: impl Fn(&str) -> Result<(), crate::mail::MailError>,
) -> Option<String> {
    let url = non_empty_string(w, loc, item)?;
    match check(&url) {
        Ok(()) => Some(url),
        Err(e) => {
            w.problem(loc, e.to_string());
            None
        }
    }
}

/// Ten years: longer than any retention or waiting time datareq should be set to.
const MAX_KEEP_DAYS: u32 = 3650;

/// Days to answer a request: the Act on the Openness of Government Activities allows at most
/// a month without an extension, so more than 90 is surely a typo.
const MAX_DUE_DAYS: u32 = 90;

const LIMITS_KEYS: &[KeySpec<RawLimits>] = &[
    KeySpec {
        name: "max_message_size",
        required: false,
        parse: |w, loc, item, out| out.max_message_bytes = size(w, loc, item, 1),
    },
    KeySpec {
        name: "max_attachment_size",
        required: false,
        parse: |w, loc, item, out| out.max_attachment_bytes = size(w, loc, item, 1),
    },
    KeySpec {
        name: "attachment_time_limit",
        required: false,
        parse: attachment_time_limit,
    },
    KeySpec {
        name: "attachment_memory_limit",
        required: false,
        parse: |w, loc, item, out| {
            out.attachment_memory_bytes = size(w, loc, item, MIN_ATTACHMENT_MEMORY)
        },
    },
    KeySpec {
        name: "attachment_isolation",
        required: false,
        parse: attachment_isolation,
    },
];

/// Below this a worker cannot even start (the binary and its libraries are mapped into it).
const MIN_ATTACHMENT_MEMORY: usize = 64 * 1024 * 1024;
/// Seconds one attachment may take; more would let one message hold up the mailbox.
const MAX_ATTACHMENT_SECONDS: u64 = 60;

const ORGANISATION_KEYS: &[KeySpec<RawOrganisation>] = &[
    KeySpec {
        name: "name",
        required: true,
        parse: |w, loc, item, out| out.name = non_empty_string(w, loc, item),
    },
    KeySpec {
        name: "certificates",
        required: false,
        parse: organisation_certificates,
    },
    KeySpec {
        name: "delivery",
        required: false,
        parse: |w, loc, item, out| out.delivery = located_string(w, loc, item),
    },
    KeySpec {
        name: "email",
        required: false,
        parse: |w, loc, item, out| out.email = located_string(w, loc, item),
    },
];

const PROVIDER_KEYS: &[KeySpec<RawProvider>] = &[
    KeySpec {
        name: "name",
        required: true,
        parse: |w, loc, item, out| out.name = located_string(w, loc, item),
    },
    KeySpec {
        name: "aliases",
        required: false,
        parse: provider_aliases,
    },
    KeySpec {
        name: "organisation",
        required: true,
        parse: |w, loc, item, out| out.organisation = located_string(w, loc, item),
    },
];

/// Parses and checks `text`. Keys the file leaves out are taken from `defaults`; with no
/// defaults (when the built-in example itself is being read) every key must be set.
pub(super) fn parse(text: &str, defaults: Option<&Config>) -> Result<Config, ConfigErrors> {
    let doc = ImDocument::parse(text).map_err(|e| syntax_error(text, &e))?;
    let mut w = Walker::new(text);
    let mut raw = RawConfig::default();
    w.walk(&Loc::root(), doc.as_table(), ROOT_KEYS, &mut raw);
    let config = assemble(&mut w, raw, defaults);
    match config {
        Some(config) if !w.has_problems() => Ok(config),
        _ => Err(ConfigErrors::new(w.into_problems())),
    }
}

/// A syntax error is a single problem: after one, the parser cannot tell what the rest means.
fn syntax_error(text: &str, error: &TomlError) -> ConfigErrors {
    let line = Walker::new(text).line_of(error.span(), 1);
    // Only the parser's message: its Display quotes the offending source line, which could be a
    // secret.
    let detail: Vec<&str> = error
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    ConfigErrors::new(vec![ConfigProblem {
        key: String::new(),
        line,
        message: format!("TOML syntax error: {}", detail.join("; ")),
    }])
}

fn request_section(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawConfig) {
    if let Some(table) = w.table(loc, item) {
        w.walk(loc, table, REQUEST_KEYS, &mut out.request);
    }
}

fn limits_section(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawConfig) {
    if let Some(table) = w.table(loc, item) {
        w.walk(loc, table, LIMITS_KEYS, &mut out.limits);
    }
}

fn store_section(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawConfig) {
    if let Some(table) = w.table(loc, item) {
        w.walk(loc, table, STORE_KEYS, &mut out.store);
    }
}

/// A whole number of days from 1 to `max`.
fn days(w: &mut Walker, loc: &Loc, item: &Item, max: u32) -> Option<u32> {
    bounded(w, loc, item, max, "days")
}

/// A whole number of `unit` from 1 to `max`.
fn bounded(w: &mut Walker, loc: &Loc, item: &Item, max: u32, unit: &str) -> Option<u32> {
    let Some(n) = item.as_integer() else {
        w.type_problem(loc, &format!("an integer ({unit})"), item.type_name());
        return None;
    };
    match u32::try_from(n) {
        Ok(v) if (1..=max).contains(&v) => Some(v),
        _ => {
            w.problem(
                loc,
                format!("must be a whole number of {unit} from 1 to {max}"),
            );
            None
        }
    }
}

fn boolean(w: &mut Walker, loc: &Loc, item: &Item) -> Option<bool> {
    let b = item.as_bool();
    if b.is_none() {
        w.type_problem(loc, "true or false", item.type_name());
    }
    b
}

/// The database URL's scheme is checked here, so a typo is reported with its line instead of
/// at start-up. The URL itself is never repeated: it may hold a password.
fn database_url(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawStore) {
    let Some(url) = non_empty_string(w, loc, item) else {
        return;
    };
    match crate::store::Backend::of_url(&url) {
        Ok(_) => out.database = Some(url),
        Err(e) => w.problem(loc, e.to_string()),
    }
}

fn organisations_section(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawConfig) {
    let Some(table) = w.table(loc, item) else {
        return;
    };
    let mut organisations = RawOrganisations {
        loc: loc.clone(),
        declared: BTreeSet::new(),
        valid: Vec::new(),
    };
    for (org_loc, id, item) in w.entries(loc, table) {
        organisations.declared.insert(id.to_string());
        if !is_valid_id(id) {
            w.problem(
                &org_loc,
                "invalid organisation id; use only lowercase ASCII letters, digits, '-' and '_'",
            );
        }
        let Some(org_table) = w.table(&org_loc, item) else {
            continue;
        };
        let mut raw = RawOrganisation::default();
        w.walk(&org_loc, org_table, ORGANISATION_KEYS, &mut raw);
        let delivery = organisation_delivery(w, &org_loc, raw.delivery, raw.email);
        if let (Some(name), Some(delivery)) = (raw.name, delivery) {
            organisations.valid.push((
                id.to_string(),
                Organisation {
                    name,
                    certificates: raw.certificates.unwrap_or_default(),
                    delivery,
                },
            ));
        }
    }
    out.organisations = Some(organisations);
}

fn providers_section(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawConfig) {
    let Some(tables) = w.tables(loc, item) else {
        return;
    };
    if tables.is_empty() {
        // No provider would make every request's service provider unrecognisable.
        w.problem(loc, "at least one provider is required");
    }
    let mut providers = Vec::with_capacity(tables.len());
    for (provider_loc, table) in tables {
        let mut raw = RawProvider::default();
        w.walk(&provider_loc, table, PROVIDER_KEYS, &mut raw);
        providers.push((provider_loc, raw));
    }
    out.providers = Some(providers);
}

fn required_fields(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawRequest) {
    let Some(names) = w.strings(loc, item) else {
        return;
    };
    let mut fields = Vec::with_capacity(names.len());
    for (name, element) in names {
        match Field::from_name(&name) {
            None => {
                let known: Vec<&str> = Field::ALL
                    .iter()
                    .filter(|f| !f.is_optional_only())
                    .map(|f| f.name())
                    .collect();
                w.problem(
                    &element,
                    format!("unknown field name; expected one of: {}", known.join(", ")),
                );
            }
            Some(field) if field.is_optional_only() => w.problem(
                &element,
                "this field is recorded when given but can never be required",
            ),
            Some(field) if fields.contains(&field) => w.problem(&element, "field listed twice"),
            Some(field) => fields.push(field),
        }
    }
    // The core expects the contract's order, whatever order the file lists them in.
    fields.sort();
    out.required = Some(fields);
}

/// A byte size (an integer, or a string such as "25 MB") of at least `min` bytes.
fn size(w: &mut Walker, loc: &Loc, item: &Item, min: usize) -> Option<usize> {
    let bytes = if let Some(n) = item.as_integer() {
        match u64::try_from(n) {
            Ok(0) | Err(_) => Err(SizeError::Zero),
            Ok(n) => Ok(n),
        }
    } else if let Some(s) = item.as_str() {
        parse_size(s)
    } else {
        w.type_problem(
            loc,
            "an integer (bytes) or a string such as \"25 MB\"",
            item.type_name(),
        );
        return None;
    };
    match bytes.and_then(|b| usize::try_from(b).map_err(|_| SizeError::TooLarge)) {
        Ok(bytes) if bytes < min => {
            w.problem(loc, format!("must be at least {} MB", min >> 20));
            None
        }
        Ok(bytes) => Some(bytes),
        Err(e) => {
            w.problem(loc, e.to_string());
            None
        }
    }
}

fn attachment_time_limit(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawLimits) {
    let Some(n) = item.as_integer() else {
        w.type_problem(loc, "an integer (seconds)", item.type_name());
        return;
    };
    match u64::try_from(n) {
        Ok(seconds @ 1..=MAX_ATTACHMENT_SECONDS) => out.attachment_seconds = Some(seconds),
        _ => w.problem(
            loc,
            format!("must be a whole number of seconds from 1 to {MAX_ATTACHMENT_SECONDS}"),
        ),
    }
}

const LOG_KEYS: &[KeySpec<RawLog>] = &[KeySpec {
    name: "format",
    required: false,
    parse: |w, loc, item, out| {
        let Some(s) = w.string(loc, item) else {
            return;
        };
        match s.as_str() {
            "human" => out.format = Some(LogFormat::Human),
            "json" => out.format = Some(LogFormat::Json),
            _ => w.problem(loc, "expected \"human\" or \"json\""),
        }
    },
}];

fn attachment_isolation(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawLimits) {
    let Some(s) = w.string(loc, item) else {
        return;
    };
    match s.as_str() {
        "worker" => out.attachment_isolation = Some(AttachmentIsolation::Worker),
        "in_process" => out.attachment_isolation = Some(AttachmentIsolation::InProcess),
        _ => w.problem(loc, "expected \"worker\" or \"in_process\""),
    }
}

/// `delivery = "pickup"` (the default) or `"email"`, which needs `email`.
fn organisation_delivery(
    w: &mut Walker,
    org_loc: &Loc,
    delivery: Option<Located>,
    email: Option<Located>,
) -> Option<Delivery> {
    let kind = delivery.as_ref().map(|(d, _)| d.as_str());
    match (kind, email) {
        (None | Some("pickup"), None) => Some(Delivery::Pickup),
        (None | Some("pickup"), Some((_, loc))) => {
            w.problem(&loc, "email is used only with delivery = \"email\"");
            None
        }
        (Some("email"), None) => {
            let loc = delivery.map_or_else(|| org_loc.clone(), |(_, l)| l);
            w.problem(
                &loc,
                "delivery = \"email\" needs the organisation's address (email = \"...\")",
            );
            None
        }
        (Some("email"), Some((address, loc))) => {
            let plausible = !address.contains(char::is_whitespace)
                && address
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
            if plausible {
                Some(Delivery::Email(address))
            } else {
                w.problem(&loc, "not an email address");
                None
            }
        }
        (Some(_), _) => {
            let loc = delivery.map_or_else(|| org_loc.clone(), |(_, l)| l);
            w.problem(&loc, "expected \"pickup\" or \"email\"");
            None
        }
    }
}

/// Certificate files; whether each holds a usable certificate is checked where it is used
/// (pick-up), since a file may be provisioned after the configuration.
fn organisation_certificates(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawOrganisation) {
    out.certificates = non_empty_strings(w, loc, item)
        .map(|files| files.into_iter().map(|(f, _)| f.into()).collect());
}

fn provider_aliases(w: &mut Walker, loc: &Loc, item: &Item, out: &mut RawProvider) {
    out.aliases = non_empty_strings(w, loc, item);
}

/// A list of strings, each trimmed and not blank, with its location.
fn non_empty_strings(w: &mut Walker, loc: &Loc, item: &Item) -> Option<Vec<Located>> {
    let strings = w.strings(loc, item)?;
    let mut checked = Vec::with_capacity(strings.len());
    for (s, element) in strings {
        if s.trim().is_empty() {
            w.problem(&element, "must not be empty");
        } else {
            checked.push((s.trim().to_string(), element));
        }
    }
    Some(checked)
}

/// A string that is not blank, trimmed: stray spaces would end up in requests.
fn non_empty_string(w: &mut Walker, loc: &Loc, item: &Item) -> Option<String> {
    let s = w.string(loc, item)?;
    if s.trim().is_empty() {
        w.problem(loc, "must not be empty");
        return None;
    }
    Some(s.trim().to_string())
}

fn located_string(w: &mut Walker, loc: &Loc, item: &Item) -> Option<Located> {
    non_empty_string(w, loc, item).map(|s| (s, loc.clone()))
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Applies defaults and the checks that need more than one section. `None` only if some part is
/// missing, which has then been reported.
fn assemble(w: &mut Walker, raw: RawConfig, defaults: Option<&Config>) -> Option<Config> {
    let required = or_default(w, raw.request.required, defaults, "request.required", |d| {
        d.request.required.clone()
    });
    let due_days = or_default(w, raw.request.due_days, defaults, "request.due_days", |d| {
        d.request.due_days
    });
    let pause_while_incomplete = or_default(
        w,
        raw.request.pause_while_incomplete,
        defaults,
        "request.pause_while_incomplete",
        |d| d.request.pause_while_incomplete,
    );
    let expire_after_days = or_default(
        w,
        raw.request.expire_after_days,
        defaults,
        "request.expire_after_days",
        |d| d.request.expire_after_days,
    );
    let retention_days = or_default(
        w,
        raw.store.retention_days,
        defaults,
        "store.retention_days",
        |d| d.store.retention_days,
    );
    let mailbox = or_default(w, raw.mail.mailbox, defaults, "mail.mailbox", |d| {
        d.mail.mailbox.clone()
    });
    let outbox = or_default(w, raw.mail.outbox, defaults, "mail.outbox", |d| {
        d.mail.outbox.clone()
    });
    let from = or_default(w, raw.mail.from, defaults, "mail.from", |d| {
        d.mail.from.clone()
    });
    let message_id_domain = or_default(
        w,
        raw.mail.message_id_domain,
        defaults,
        "mail.message_id_domain",
        |d| d.mail.message_id_domain.clone(),
    );
    let poll_seconds = or_default(
        w,
        raw.mail.poll_seconds,
        defaults,
        "mail.poll_interval",
        |d| d.mail.poll_seconds,
    );
    let processed_folder = or_default(
        w,
        raw.mail.processed_folder,
        defaults,
        "mail.processed_folder",
        |d| d.mail.processed_folder.clone(),
    );
    let delete_processed = or_default(
        w,
        raw.mail.delete_processed,
        defaults,
        "mail.delete_processed",
        |d| d.mail.delete_processed,
    );
    let send_retry_seconds = or_default(
        w,
        raw.mail.send_retry_seconds,
        defaults,
        "mail.send_retry_time",
        |d| d.mail.send_retry_seconds,
    );
    let replies_per_address_per_day = or_default(
        w,
        raw.mail.replies_per_address_per_day,
        defaults,
        "mail.replies_per_address_per_day",
        |d| d.mail.replies_per_address_per_day,
    );
    let processed_retention_days = or_default(
        w,
        raw.mail.processed_retention_days,
        defaults,
        "mail.processed_retention_days",
        |d| d.mail.processed_retention_days,
    );
    let receipts = or_default(w, raw.mail.receipts, defaults, "mail.receipts", |d| {
        d.mail.receipts
    });
    let replies_per_hour = or_default(
        w,
        raw.mail.replies_per_hour,
        defaults,
        "mail.replies_per_hour",
        |d| d.mail.replies_per_hour,
    );
    let smtp_connections = or_default(
        w,
        raw.mail.smtp_connections,
        defaults,
        "mail.smtp_connections",
        |d| d.mail.smtp_connections,
    );
    let log_format = or_default(w, raw.log.format, defaults, "log.format", |d| d.log.format);
    let web = raw.web;
    let web_enabled = or_default(w, web.enabled, defaults, "web.enabled", |d| d.web.enabled);
    let web_listen = or_default(w, web.listen, defaults, "web.listen", |d| d.web.listen);
    let metrics_listen = or_default(w, web.metrics_listen, defaults, "web.metrics_listen", |d| {
        d.web.metrics_listen
    });
    let session_idle_seconds = or_default(
        w,
        web.session_idle_seconds,
        defaults,
        "web.session_idle_time",
        |d| d.web.session_idle_seconds,
    );
    let session_max_seconds = or_default(
        w,
        web.session_max_seconds,
        defaults,
        "web.session_max_time",
        |d| d.web.session_max_seconds,
    );
    let login_attempts_per_account = or_default(
        w,
        web.login_attempts_per_account,
        defaults,
        "web.login_attempts_per_account",
        |d| d.web.login_attempts_per_account,
    );
    let login_attempts_per_address = or_default(
        w,
        web.login_attempts_per_address,
        defaults,
        "web.login_attempts_per_address",
        |d| d.web.login_attempts_per_address,
    );
    let database = or_default(w, raw.store.database, defaults, "store.database", |d| {
        d.store.database.clone()
    });
    let keys_dir = or_default(
        w,
        raw.store.keys_dir.map(Into::into),
        defaults,
        "store.keys_dir",
        |d| d.store.keys_dir.clone(),
    );
    let generate_missing_keys = or_default(
        w,
        raw.store.generate_missing_keys,
        defaults,
        "store.generate_missing_keys",
        |d| d.store.generate_missing_keys,
    );
    let max_message_bytes = or_default(
        w,
        raw.limits.max_message_bytes,
        defaults,
        "limits.max_message_size",
        |d| d.limits.max_message_bytes,
    );
    let max_attachment_bytes = or_default(
        w,
        raw.limits.max_attachment_bytes,
        defaults,
        "limits.max_attachment_size",
        |d| d.limits.max_attachment_bytes,
    );
    let attachment_seconds = or_default(
        w,
        raw.limits.attachment_seconds,
        defaults,
        "limits.attachment_time_limit",
        |d| d.limits.attachment_seconds,
    );
    let attachment_memory_bytes = or_default(
        w,
        raw.limits.attachment_memory_bytes,
        defaults,
        "limits.attachment_memory_limit",
        |d| d.limits.attachment_memory_bytes,
    );
    let attachment_isolation = or_default(
        w,
        raw.limits.attachment_isolation,
        defaults,
        "limits.attachment_isolation",
        |d| d.limits.attachment_isolation,
    );
    let (organisations_loc, declared, organisations) = match raw.organisations {
        Some(raw) => (
            Some(raw.loc),
            Some(raw.declared),
            Some(raw.valid.into_iter().collect::<BTreeMap<_, _>>()),
        ),
        None => {
            let organisations = or_default(w, None, defaults, "organisations", |d| {
                d.organisations.clone()
            });
            let declared = organisations.as_ref().map(|o| o.keys().cloned().collect());
            (None, declared, organisations)
        }
    };
    let providers = match raw.providers {
        Some(list) => Some(check_providers(w, list, declared.as_ref())),
        None => {
            let providers = or_default(w, None, defaults, "providers", |d| d.providers.clone());
            // The file replaced the organisations but kept the default providers: they must
            // still find theirs.
            if let (Some(providers), Some(declared), Some(loc)) =
                (&providers, &declared, &organisations_loc)
            {
                if providers
                    .iter()
                    .any(|p| !declared.contains(&p.organisation))
                {
                    w.problem(
                        loc,
                        "the default providers' organisation is not defined here; \
                         define it, or list your own [[providers]]",
                    );
                }
            }
            providers
        }
    };
    Some(Config {
        request: RequestConfig {
            required: required?,
            due_days: due_days?,
            pause_while_incomplete: pause_while_incomplete?,
            expire_after_days: expire_after_days?,
        },
        mail: MailConfig {
            mailbox: mailbox?,
            outbox: outbox?,
            from: from?,
            message_id_domain: message_id_domain?,
            poll_seconds: poll_seconds?,
            processed_folder: processed_folder?,
            delete_processed: delete_processed?,
            imap_password_file: raw.mail.imap_password_file.map(Into::into),
            smtp_password_file: raw.mail.smtp_password_file.map(Into::into),
            send_retry_seconds: send_retry_seconds?,
            replies_per_address_per_day: replies_per_address_per_day?,
            replies_per_hour: replies_per_hour?,
            smtp_connections: smtp_connections?,
            authserv_id: raw.mail.authserv_id,
            receipts: receipts?,
            processed_retention_days: processed_retention_days?,
            templates_dir: raw.mail.templates_dir.map(Into::into),
            decryption_key_file: raw.mail.decryption_key_file.map(Into::into),
        },
        log: LogConfig {
            format: log_format?,
        },
        web: WebConfig {
            enabled: web_enabled?,
            listen: web_listen?,
            metrics_listen: metrics_listen?,
            session_idle_seconds: session_idle_seconds?,
            session_max_seconds: session_max_seconds?,
            login_attempts_per_account: login_attempts_per_account?,
            login_attempts_per_address: login_attempts_per_address?,
            trusted_proxies: web.trusted_proxies.unwrap_or_default(),
            user_header: web.user_header,
        },
        store: StoreConfig {
            database: database?,
            keys_dir: keys_dir?,
            generate_missing_keys: generate_missing_keys?,
            retention_days: retention_days?,
        },
        limits: LimitsConfig {
            max_message_bytes: max_message_bytes?,
            max_attachment_bytes: max_attachment_bytes?,
            attachment_seconds: attachment_seconds?,
            attachment_memory_bytes: attachment_memory_bytes?,
            attachment_isolation: attachment_isolation?,
        },
        organisations: organisations?,
        providers: providers?,
    })
}

fn or_default<T>(
    w: &mut Walker,
    value: Option<T>,
    defaults: Option<&Config>,
    key: &str,
    default: impl FnOnce(&Config) -> T,
) -> Option<T> {
    match (value, defaults) {
        (Some(value), _) => Some(value),
        (None, Some(defaults)) => Some(default(defaults)),
        (None, None) => {
            w.problem(
                &Loc::root().key(key, 1),
                "not set (the built-in example must set every key)",
            );
            None
        }
    }
}

/// Cross-checks the providers from the file: organisations exist, and every name (canonical or
/// alias, ignoring case) leads to one provider only, since extraction could not choose otherwise.
fn check_providers(
    w: &mut Walker,
    list: Vec<(Loc, RawProvider)>,
    organisations: Option<&BTreeSet<String>>,
) -> Vec<ProviderConfig> {
    // Normalised name -> (index into `list`, whether it is that provider's canonical name).
    let mut seen: HashMap<String, (usize, bool)> = HashMap::new();
    let paths: Vec<String> = list.iter().map(|(loc, _)| loc.path.clone()).collect();
    let mut providers = Vec::with_capacity(list.len());
    for (i, (_, raw)) in list.into_iter().enumerate() {
        if let (Some((org, org_loc)), Some(orgs)) = (&raw.organisation, organisations) {
            if !orgs.contains(org) {
                w.problem(org_loc, "organisation is not defined in [organisations]");
            }
        }
        let names = raw
            .name
            .iter()
            .map(|n| (n, true))
            .chain(raw.aliases.iter().flatten().map(|a| (a, false)));
        for ((name, name_loc), canonical) in names {
            match seen.get(&normalise(name)) {
                Some(&(j, _)) if j != i => w.problem(
                    name_loc,
                    format!(
                        "the same name (ignoring case) is already used by {}",
                        paths[j]
                    ),
                ),
                // An alias repeating the provider's own canonical name is merely redundant.
                Some(&(_, earlier_canonical)) if !canonical && !earlier_canonical => w.problem(
                    name_loc,
                    "alias listed twice for this provider (ignoring case)",
                ),
                Some(_) => {}
                None => {
                    seen.insert(normalise(name), (i, canonical));
                }
            }
        }
        if let (Some((name, _)), Some((organisation, _))) = (raw.name, raw.organisation) {
            providers.push(ProviderConfig {
                name,
                aliases: raw
                    .aliases
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(alias, _)| alias)
                    .collect(),
                organisation,
            });
        }
    }
    providers
}

/// How names are compared for duplicates: case and spacing are not what tells providers apart.
fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
