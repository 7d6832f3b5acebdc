//! A real SMTP receiver on loopback (Python's aiosmtpd, `smtp_sink.py`), offering STARTTLS.
//! Received messages are files in its folder; a `mode` file there makes it refuse (451, 550).
//! Under `CI=true` a missing aiosmtpd fails the test; elsewhere the test is skipped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl SmtpSink {
    /// Starts a receiver offering STARTTLS with `cert`/`key`, or `None` (outside CI) when
    /// aiosmtpd is not installed.
    pub fn start(cert: &Path, key: &Path) -> Option<SmtpSink> {
        SmtpSink::start_with(cert, key, "starttls", None)
    }

    /// A receiver speaking TLS from the first byte (`tls`) or offering STARTTLS, and
    /// requiring AUTH with `credentials` (`user:password`) when given.
    pub fn start_with(
        cert: &Path,
        key: &Path,
        tls: &str,
        credentials: Option<&str>,
    ) -> Option<SmtpSink> {
        let have = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !have && super::dovecot::missing("aiosmtpd (python3 -m pip install aiosmtpd)") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = super::dovecot::free_port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .arg(cert)
            .arg(key)
            .arg(tls)
            .args(credentials)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP receiver does not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(SmtpSink { dir, port, child })
    }

    pub fn url(&self) -> String {
        format!("smtp://localhost:{}", self.port)
    }

    /// Accept ("accept"), refuse for now ("451") or for good ("550").
    pub fn set_mode(&self, mode: &str) {
        std::fs::write(self.dir.path().join("mode"), mode).unwrap();
    }

    /// The messages received, in order: (raw, envelope JSON).
    pub fn received(&self) -> Vec<(Vec<u8>, serde_json::Value)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let envelope = std::fs::read(p.with_extension("json")).unwrap();
                (
                    std::fs::read(&p).unwrap(),
                    serde_json::from_slice(&envelope).unwrap(),
                )
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived (or the timeout), returning them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<(Vec<u8>, serde_json::Value)> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
