//! Where the mail is, as URLs: the inbox (`maildir:PATH`, `imaps://USER@HOST[:PORT]/FOLDER`,
//! `imap://…`) and the outbox (`file:PATH`, `smtps://[USER@]HOST[:PORT]`, `smtp://…`).
//! A password in the URL is accepted for loopback servers only (test setups): anywhere else
//! it would sit in a config file or a process environment that others can read.

use std::net::IpAddr;
use std::path::PathBuf;

use super::MailError;

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps`, `smtps`).
    Implicit,
    /// STARTTLS, refused if the server does not offer it.
    StartTlsRequired,
    /// Loopback only: STARTTLS when offered, plaintext otherwise.
    StartTlsIfOffered,
}

/// A mail server account.
#[derive(Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    /// From the URL (loopback only); otherwise read from the configured password file.
    pub password: Option<String>,
    pub security: Security,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user.as_ref().map(|_| "…"))
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("security", &self.security)
            .finish()
    }
}

impl Server {
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.host)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxLocation {
    Maildir(PathBuf),
    Imap { server: Server, folder: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxLocation {
    Folder(PathBuf),
    Smtp(Server),
}

impl MailboxLocation {
    pub fn parse(url: &str) -> Result<MailboxLocation, MailError> {
        if let Some(path) = url.strip_prefix("maildir:") {
            return path_of(path).map(MailboxLocation::Maildir);
        }
        let (scheme, rest) = split_scheme(url)?;
        let (implicit, default_port) = match scheme {
            "imaps" => (true, 993),
            "imap" => (false, 143),
            _ => return Err(bad("expected maildir:PATH, imaps:// or imap://")),
        };
        let (authority, folder) = match rest.split_once('/') {
            Some((a, f)) if !f.is_empty() => (a, percent_decode(f)?),
            Some((a, _)) => (a, "INBOX".to_string()),
            None => (rest, "INBOX".to_string()),
        };
        let server = server(authority, implicit, default_port)?;
        if server.user.is_none() {
            return Err(bad("an IMAP URL needs a user (imaps://USER@HOST/FOLDER)"));
        }
        Ok(MailboxLocation::Imap { server, folder })
    }
}

impl OutboxLocation {
    pub fn parse(url: &str) -> Result<OutboxLocation, MailError> {
        if let Some(path) = url.strip_prefix("file:") {
            return path_of(path).map(OutboxLocation::Folder);
        }
        let (scheme, rest) = split_scheme(url)?;
        let (implicit, default_port) = match scheme {
            "smtps" => (true, 465),
            "smtp" => (false, 587),
            _ => return Err(bad("expected file:PATH, smtps:// or smtp://")),
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(bad("an SMTP URL is smtp://[USER@]HOST[:PORT]"));
        }
        Ok(OutboxLocation::Smtp(server(
            authority,
            implicit,
            default_port,
        )?))
    }
}

fn bad(why: &str) -> MailError {
    MailError::Url(why.to_string())
}

fn path_of(path: &str) -> Result<PathBuf, MailError> {
    if path.is_empty() {
        Err(bad("no path"))
    } else {
        Ok(PathBuf::from(path))
    }
}

fn split_scheme(url: &str) -> Result<(&str, &str), MailError> {
    url.split_once("://")
        .ok_or_else(|| bad("not a URL (scheme://…)"))
}

fn server(authority: &str, implicit: bool, default_port: u16) -> Result<Server, MailError> {
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = host_port(hostport, default_port)?;
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Some(percent_decode(u)?), Some(percent_decode(p)?)),
            None => (Some(percent_decode(info)?), None),
        },
        None => (None, None),
    };
    if user.as_deref() == Some("") {
        return Err(bad("empty user"));
    }
    let loopback = is_loopback(&host);
    if password.is_some() && !loopback {
        return Err(bad(
            "a password in the URL is accepted for loopback servers only; use the password file key",
        ));
    }
    let security = match (implicit, loopback) {
        (true, _) => Security::Implicit,
        (false, false) => Security::StartTlsRequired,
        (false, true) => Security::StartTlsIfOffered,
    };
    Ok(Server {
        host,
        port,
        user,
        password,
        security,
    })
}

fn host_port(hostport: &str, default_port: u16) -> Result<(String, u16), MailError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        // [IPv6]:port
        let (host, after) = rest.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad("junk after ']'")),
        };
        (host.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
        None => default_port,
    };
    Ok((host, port))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `%40` → `@` and so on; user names are often addresses.
fn percent_decode(s: &str) -> Result<String, MailError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad("a '%' not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad("not UTF-8 after percent-decoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imaps_with_folder_and_encoded_user() {
        let MailboxLocation::Imap { server, folder } =
            MailboxLocation::parse("imaps://kela%40example.fi@mail.example.fi/Pyynnot").unwrap()
        else {
            panic!("not IMAP")
        };
        assert_eq!(server.host, "mail.example.fi");
        assert_eq!(server.port, 993);
        assert_eq!(server.user.as_deref(), Some("kela@example.fi"));
        assert_eq!(server.security, Security::Implicit);
        assert_eq!(folder, "Pyynnot");
    }

    #[test]
    fn imap_defaults_to_inbox_and_requires_starttls_off_loopback() {
        let MailboxLocation::Imap { server, folder } =
            MailboxLocation::parse("imap://kela@mail.example.fi").unwrap()
        else {
            panic!("not IMAP")
        };
        assert_eq!(folder, "INBOX");
        assert_eq!(server.port, 143);
        assert_eq!(server.security, Security::StartTlsRequired);
        let MailboxLocation::Imap { server, .. } =
            MailboxLocation::parse("imap://kela:pw@127.0.0.1:1143/INBOX").unwrap()
        else {
            panic!("not IMAP")
        };
        assert_eq!(server.security, Security::StartTlsIfOffered);
        assert_eq!(server.password.as_deref(), Some("pw"));
        assert_eq!(server.port, 1143);
    }

    #[test]
    fn passwords_in_urls_only_for_loopback() {
        assert!(MailboxLocation::parse("imaps://kela:pw@mail.example.fi/INBOX").is_err());
        assert!(OutboxLocation::parse("smtp://u:pw@smtp.example.fi:587").is_err());
        assert!(OutboxLocation::parse("smtp://u:pw@[::1]:2525").is_ok());
        assert!(OutboxLocation::parse("smtp://u:pw@localhost:2525").is_ok());
    }

    #[test]
    fn error_messages_never_repeat_the_url() {
        let e = MailboxLocation::parse("imaps://kela:secret@mail.example.fi/INBOX")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret") && !e.contains("kela"), "{e}");
    }

    #[test]
    fn smtp_forms() {
        assert_eq!(
            OutboxLocation::parse("smtps://relay.example.fi").unwrap(),
            OutboxLocation::Smtp(Server {
                host: "relay.example.fi".into(),
                port: 465,
                user: None,
                password: None,
                security: Security::Implicit,
            })
        );
        assert_eq!(
            OutboxLocation::parse("file:var/outbox").unwrap(),
            OutboxLocation::Folder("var/outbox".into())
        );
        for wrong in [
            "smtp://",
            "smtp://host:0",
            "smtp://host:99999",
            "smtp://host/path",
            "http://x",
            "file:",
            "imap://nouser.example.fi/INBOX",
            "imap://u@[::1/INBOX",
            "imap://u%4@host/INBOX",
        ] {
            assert!(
                OutboxLocation::parse(wrong).is_err() && MailboxLocation::parse(wrong).is_err(),
                "{wrong}"
            );
        }
    }
}
