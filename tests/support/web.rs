//! The web interface as its users reach it: `datareq web` started on free loopback ports in a
//! working directory of its own (the example configuration, with the ports and any changes a
//! test makes), and a small HTTP/1.1 client over a plain TCP stream that keeps cookies like a
//! browser (Secure cookies included: the server is on loopback).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A working directory with `datareq.toml`: the example configuration with the web listeners
/// on free ports, then each (from, to) replacement, then `extra` appended.
pub struct WebWork {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub metrics: SocketAddr,
    pub database_url: Option<String>,
}

impl WebWork {
    pub fn new(replacements: &[(&str, &str)], extra: &str) -> WebWork {
        let dir = tempfile::tempdir().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut config = std::fs::read_to_string(root().join("config/datareq.example.toml"))
            .unwrap()
            .replacen(
                "listen = \"127.0.0.1:8080\"",
                &format!("listen = \"{addr}\""),
                1,
            )
            .replacen(
                "metrics_listen = \"127.0.0.1:9180\"",
                &format!("metrics_listen = \"{metrics}\""),
                1,
            );
        for (from, to) in replacements {
            assert!(
                config.contains(from),
                "the example configuration has {from:?}"
            );
            config = config.replacen(from, to, 1);
        }
        config.push_str(extra);
        std::fs::write(dir.path().join("datareq.toml"), config).unwrap();
        WebWork {
            dir,
            addr,
            metrics,
            database_url: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `datareq ARGS` in this directory as OS user `user`, with `input` on stdin.
    pub fn datareq_with_input(&self, user: &str, args: &[&str], input: &str) -> Output {
        let mut c = self.command(user);
        c.args(args);
        super::cli::output_with_input(c, input)
    }

    pub fn datareq(&self, user: &str, args: &[&str]) -> Output {
        self.datareq_with_input(user, args, "")
    }

    fn command(&self, user: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_datareq"));
        c.current_dir(self.path()).env("USER", user);
        match &self.database_url {
            Some(url) => c.env("DATAREQ_DATABASE_URL", url),
            None => c.env_remove("DATAREQ_DATABASE_URL"),
        };
        c.arg("--config").arg(self.path().join("datareq.toml"));
        c
    }

    /// The stored requests by reference: state.
    pub fn states(&self) -> std::collections::BTreeMap<String, String> {
        super::cli::json_lines(&super::cli::ok(
            self.datareq("tester", &["requests", "list", "--json"]),
        ))
        .into_iter()
        .map(|v| {
            (
                v["reference"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
    }

    /// Adds an account with `password`.
    pub fn add_user(&self, name: &str, role: &str, org: Option<&str>, password: &str) {
        let mut args = vec!["users", "add", name, "--role", role];
        if let Some(org) = org {
            args.extend(["--org", org]);
        }
        super::cli::ok(self.datareq_with_input("admin-os", &args, &format!("{password}\n")));
    }

    /// Starts `datareq web` and waits until it answers.
    pub fn start(&self) -> WebServer {
        self.start_with(&["web"])
    }

    /// Starts `datareq ARGS` (`web`, or `run` with the interface enabled) and waits until
    /// both listeners answer.
    pub fn start_with(&self, args: &[&str]) -> WebServer {
        let log = std::fs::File::create(self.path().join("web.log")).unwrap();
        let child = self
            .command("web-os")
            .args(args)
            .env("DATAREQ_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = WebServer {
            child,
            addr: self.addr,
            metrics: self.metrics,
            log: self.path().join("web.log"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(self.addr).is_err() || TcpStream::connect(self.metrics).is_err() {
            assert!(
                Instant::now() < deadline,
                "datareq {args:?} did not start: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

/// A running `datareq web`, stopped when dropped.
pub struct WebServer {
    child: Child,
    pub addr: SocketAddr,
    pub metrics: SocketAddr,
    log: PathBuf,
}

impl WebServer {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// Stops it with SIGTERM and waits; returns its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first form's CSRF token on the page.
    pub fn csrf(&self) -> String {
        let text = self.text();
        let at = text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF token on the page: {text}"));
        text[at + 19..at + 19 + 64].to_string()
    }
}

/// A client that keeps cookies.
pub struct Client {
    addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    /// Posts a form (fields URL-encoded, in order).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.request("POST", path, Some(body.into_bytes()))
    }

    /// Signs in through the form; returns the response to the form's post.
    pub fn sign_in(&mut self, name: &str, password: &str) -> Response {
        let form = self.get("/login");
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<Vec<u8>>) -> Response {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (n, v) in &self.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(body) = &body {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        if let Some(body) = &body {
            stream.write_all(body).unwrap();
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let response = parse(&raw);
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap();
                let (n, v) = pair.split_once('=').unwrap();
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(n);
                } else {
                    self.cookies.insert(n.to_string(), v.to_string());
                }
            }
        }
        response
    }
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}
