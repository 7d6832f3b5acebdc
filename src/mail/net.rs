//! The network under both mail protocols: a TCP connection with Nagle's algorithm off (SMTP
//! and IMAP write a command and wait for its answer; with Nagle on, the second small write of
//! a command waits for the peer's delayed acknowledgement, 40 ms on Linux, every time), and TLS
//! through rustls, either from the first byte or after STARTTLS.

use std::net::ToSocketAddrs;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::location::Server;
use super::MailError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects to `server` (`protocol` names it in errors).
pub async fn tcp_connect(server: &Server, protocol: &str) -> Result<TcpStream, MailError> {
    let addr = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|e| MailError::Connect(format!("cannot resolve the {protocol} host: {e}")))?
        .next()
        .ok_or_else(|| MailError::Connect(format!("the {protocol} host has no address")))?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| MailError::Connect(format!("connecting to the {protocol} server timed out")))?
        .map_err(|e| MailError::Connect(format!("cannot connect to the {protocol} server: {e}")))?;
    tcp.set_nodelay(true)
        .map_err(|e| MailError::Connect(format!("{protocol}: {e}")))?;
    Ok(tcp)
}

pub async fn start_tls(
    tcp: TcpStream,
    host: &str,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| MailError::Tls("the host is not a valid server name".into()))?;
    tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| MailError::Tls(e.to_string()))
}

/// The connection: plaintext (loopback only, before STARTTLS) or TLS.
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for Conn {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        match self {
            Conn::Plain(s) => s.peer_addr(),
            Conn::Tls(s) => s.get_ref().0.peer_addr(),
        }
    }
}
