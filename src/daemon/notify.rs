//! systemd's notification protocol (`sd_notify`): `READY=1` once the daemon works, `STATUS=`
//! with counts after each round, `WATCHDOG=1` from the main loop (so a stuck loop is
//! restarted), `STOPPING=1` on the way out. Datagrams to the socket named by `NOTIFY_SOCKET`;
//! nothing at all when systemd did not start us.

use std::os::unix::net::{SocketAddr, UnixDatagram};

pub struct Notifier {
    socket: Option<(UnixDatagram, SocketAddr)>,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` asks for (a path, or `@name` for an abstract socket).
    pub fn from_env() -> Notifier {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|name| {
            let name = name.to_str()?.to_string();
            let addr = match name.strip_prefix('@') {
                Some(abstract_name) => {
                    use std::os::linux::net::SocketAddrExt;
                    SocketAddr::from_abstract_name(abstract_name.as_bytes()).ok()?
                }
                None => SocketAddr::from_pathname(&name).ok()?,
            };
            let socket = UnixDatagram::unbound().ok()?;
            Some((socket, addr))
        });
        Notifier { socket }
    }

    /// Sends one notification; failures are ignored (systemd may be gone at shutdown).
    pub fn notify(&self, state: &str) {
        if let Some((socket, addr)) = &self.socket {
            let _ = socket.send_to_addr(state.as_bytes(), addr);
        }
    }

    pub fn ready(&self) {
        self.notify("READY=1");
    }

    pub fn watchdog(&self) {
        self.notify("WATCHDOG=1");
    }

    pub fn stopping(&self) {
        self.notify("STOPPING=1");
    }

    pub fn status(&self, text: &str) {
        self.notify(&format!("STATUS={text}"));
    }
}
