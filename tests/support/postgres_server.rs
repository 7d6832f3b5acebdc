//! A PostgreSQL server of a test's own (initdb in a temporary directory, a free loopback port,
//! trust auth), for tests that stop and restart the server: the shared one at 127.0.0.1:5432
//! serves the other tests at the same time. As root the server runs as the `postgres` user,
//! since PostgreSQL refuses to run as root. Under `CI=true` missing PostgreSQL programs fail
//! the test.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PostgresServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PostgresServer {
    pub fn start() -> Option<PostgresServer> {
        let Some(bin) = bin_dir() else {
            super::dovecot::missing("PostgreSQL's initdb and pg_ctl");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_root = super::dovecot::id("-u") == "0";
        if as_root {
            let owned = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(owned.success(), "chown the server's directory to postgres");
        }
        let server = PostgresServer {
            dir,
            bin,
            port: super::dovecot::free_port(),
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data().display().to_string(),
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        server.up();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.dir.path().join("log").display().to_string(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server the fast way: open sessions are ended, as a restart would.
    pub fn down(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `program` from PostgreSQL's directory, as the `postgres` user when the test is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if super::dovecot::id("-u") == "0" {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.current_dir("/");
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

/// The directory with `initdb` and `pg_ctl`: on the PATH, or Debian's versioned one.
fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")));
    on_path
        .chain(debian)
        .find(|dir| is_file(&dir.join("initdb")) && is_file(&dir.join("pg_ctl")))
}

fn is_file(path: &Path) -> bool {
    path.is_file()
}
