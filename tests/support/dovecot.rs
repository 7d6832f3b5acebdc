//! A real Dovecot IMAP server for one test: its own config, users file, self-signed
//! certificate and Maildirs in a temporary directory, on free loopback ports (plain IMAP with
//! STARTTLS, and IMAPS). Stopped when dropped. Under `CI=true` a missing Dovecot fails the
//! test; elsewhere the test is skipped with a notice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;

pub const USER: &str = "kela";
pub const PASSWORD: &str = "secret-for-tests";

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    pub imap_port: u16,
    pub imaps_port: u16,
    conf: PathBuf,
}

/// Whether a server a test needs is missing: fails under CI, else tells and skips.
pub fn missing(what: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI=true but is not installed");
    }
    eprintln!("SKIPPED: {what} is not installed (CI=true makes this a failure)");
    true
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A self-signed certificate for localhost and 127.0.0.1 (not a CA: rustls refuses those as
/// end-entity certificates): (cert.pem, key.pem).
pub fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl could not make a certificate");
    (cert, key)
}

pub fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn id_of(flag: &str, user: &str) -> String {
    let out = Command::new("id").args([flag, user]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl Dovecot {
    /// Starts a Dovecot, or returns `None` (outside CI) when it is not installed.
    pub fn start() -> Option<Dovecot> {
        Dovecot::start_with("")
    }

    /// Starts a Dovecot with `imap_settings` added to its `protocol imap` section (e.g. an
    /// `imap_capability` that hides MOVE and IDLE).
    pub fn start_with(imap_settings: &str) -> Option<Dovecot> {
        if !Path::new("/usr/sbin/dovecot").exists() && missing("dovecot (dovecot-imapd)") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (cert, key) = self_signed_certificate(root);
        std::fs::write(root.join("users"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        // As root, Dovecot runs its login processes as its own users, and refuses to give
        // mail to uid 0: the mail belongs to the `dovecot` system user. As anyone else, every
        // process runs as that user.
        let root_user = id("-u") == "0";
        let (uid, gid, internal) = if root_user {
            let mail = root.join("mail");
            std::fs::create_dir(&mail).unwrap();
            let owned = Command::new("chown")
                .arg("dovecot:dovecot")
                .arg(&mail)
                .status()
                .unwrap();
            assert!(owned.success(), "the dovecot user is missing");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
            (
                id_of("-u", "dovecot"),
                id_of("-g", "dovecot"),
                String::new(),
            )
        } else {
            let (user, group) = (id("-un"), id("-gn"));
            (
                id("-u"),
                id("-g"),
                format!(
                    "default_login_user = {user}\ndefault_internal_user = {user}\n\
                     default_internal_group = {group}\n"
                ),
            )
        };
        let imap_port = free_port();
        let imaps_port = free_port();
        let r = root.display();
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                r#"instance_name = datareq-test-{imap_port}
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
shutdown_clients = yes
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
mail_location = maildir:~/Maildir
first_valid_uid = 1
{internal}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
  {imap_settings}
}}
"#,
                cert = cert.display(),
                key = key.display(),
            ),
        )
        .unwrap();
        let dovecot = Dovecot {
            dir,
            imap_port,
            imaps_port,
            conf,
        };
        dovecot.run();
        Some(dovecot)
    }

    /// Starts the server (again, after `stop`), waiting until it accepts connections.
    pub fn run(&self) {
        // The daemon keeps its inherited descriptors: pipes would never reach end of file.
        let errors = self.dir.path().join("start.err");
        let status = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&self.conf)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&errors).unwrap())
            .status()
            .expect("dovecot");
        assert!(
            status.success(),
            "dovecot did not start: {}\n{}",
            std::fs::read_to_string(&errors).unwrap_or_default(),
            std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_err() {
            assert!(Instant::now() < deadline, "dovecot does not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server and every one of its processes, as a crash would: open connections
    /// are cut (a clean stop lets running sessions finish).
    pub fn kill(&self) {
        let master = std::fs::read_to_string(self.dir.path().join("run/master.pid")).unwrap();
        let _ = Command::new("kill").args(["-KILL", master.trim()]).status();
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &format!("datareq-test-{}", self.imap_port)])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok() {
            assert!(Instant::now() < deadline, "dovecot does not die");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Where nothing reaps the killed master it lingers as a zombie, which Dovecot's own
        // check would take for a running server.
        let _ = std::fs::remove_dir_all(self.dir.path().join("run"));
    }

    /// The server's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// `imap://kela:…@127.0.0.1:PORT/INBOX` (STARTTLS when offered, as on loopback).
    pub fn imap_url(&self) -> String {
        format!(
            "imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX",
            self.imap_port
        )
    }

    /// `imaps://kela:…@localhost:PORT/INBOX`.
    pub fn imaps_url(&self) -> String {
        format!(
            "imaps://{USER}:{PASSWORD}@localhost:{}/INBOX",
            self.imaps_port
        )
    }

    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .output()
            .expect("doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A folder's status field (`messages`, `uidvalidity`); 0 when the folder is missing.
    fn status(&self, field: &str, folder: &str) -> u64 {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .args(["-f", "flow", "mailbox", "status", "-u", USER, field, folder])
            .output()
            .expect("doveadm");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .find_map(|t| t.strip_prefix(&format!("{field}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// How many messages a folder holds.
    pub fn count(&self, folder: &str) -> usize {
        self.status("messages", folder) as usize
    }

    /// The UIDVALIDITY of a folder.
    pub fn uid_validity(&self, folder: &str) -> u32 {
        self.status("uidvalidity", folder) as u32
    }

    /// A session over plain IMAP on loopback, for the test's own APPENDs.
    pub async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        client.login(USER, PASSWORD).await.map_err(|e| e.0).unwrap()
    }

    /// APPENDs a message with an internal date (`01-Jan-2020 00:00:00 +0000`).
    pub fn append_dated(&self, folder: &str, raw: &[u8], date: &str) {
        rt().block_on(async {
            let mut session = self.session().await;
            // Made when missing (an error when it exists is of no interest).
            let _ = session.create(folder).await;
            session
                .append(folder, None, Some(&format!("\"{date}\"")), raw)
                .await
                .unwrap_or_else(|e| panic!("APPEND: {e}\n{}", self.log()));
            session.logout().await.ok();
        });
    }

    /// APPENDs messages to a folder over IMAP.
    pub fn append(&self, folder: &str, messages: &[Vec<u8>]) {
        rt().block_on(async {
            let mut session = self.session().await;
            for raw in messages {
                session
                    .append(folder, None, None, raw)
                    .await
                    .unwrap_or_else(|e| {
                        std::thread::sleep(Duration::from_secs(1));
                        panic!("APPEND: {e}\n{}", self.log())
                    });
            }
            session.logout().await.ok();
        });
    }

    /// Copies message number `seq` of `from` into `to` (as if its move had never happened).
    pub fn copy(&self, from: &str, seq: u32, to: &str) {
        rt().block_on(async {
            let mut session = self.session().await;
            session.select(from).await.unwrap();
            session.copy(seq.to_string(), to).await.unwrap();
            session.logout().await.ok();
        });
    }

    /// The messages of a folder, in UID order.
    pub fn messages(&self, folder: &str) -> Vec<Vec<u8>> {
        rt().block_on(async {
            let mut session = self.session().await;
            session.examine(folder).await.unwrap();
            let fetched: Vec<_> = match session.uid_fetch("1:*", "BODY.PEEK[]").await {
                Ok(stream) => stream.try_collect().await.unwrap(),
                Err(_) => Vec::new(),
            };
            let mut out: Vec<(u32, Vec<u8>)> = fetched
                .iter()
                .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
                .collect();
            out.sort();
            out.dedup_by_key(|m| m.0);
            session.logout().await.ok();
            out.into_iter().map(|m| m.1).collect()
        })
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
    }
}
