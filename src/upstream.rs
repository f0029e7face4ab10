//! Connections to upstream servers: name lookup, connect with a deadline, and a small pool of
//! idle keep-alive connections per host so consecutive requests skip the TCP handshake.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::net::TcpStream;

use crate::error::{ErrorKind, ProxyError};
use crate::i18n::Message;
use crate::messages as msg;
use crate::rules::parse_ip_literal;

/// How long an idle connection is kept; below common server keep-alive timeouts (nginx: 75 s),
/// so the server rarely closes one just as it is reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The proxy's own listening address, so requests that would loop back into it are refused.
#[derive(Clone, Copy, Debug)]
pub struct SelfAddr(pub SocketAddr);

impl SelfAddr {
    /// Whether connecting to `addr` would reach this proxy's own listener.
    pub fn is_self(&self, addr: SocketAddr) -> bool {
        let listen = self.0;
        if addr.port() != listen.port() {
            return false;
        }
        let ip = crate::rules::canonical_ip(addr.ip());
        let own = crate::rules::canonical_ip(listen.ip());
        ip == own
            || ip.is_unspecified()
            || (own.is_unspecified() && (ip.is_loopback() || is_local(ip)))
            || (own.is_loopback() && ip.is_loopback() && ip.is_ipv4() == own.is_ipv4())
    }

    /// Whether `host:port` names the proxy itself without a lookup (an IP literal or localhost).
    pub fn is_self_name(&self, host: &str, port: u16) -> bool {
        if let Some(ip) = parse_ip_literal(host) {
            return self.is_self(SocketAddr::new(ip, port));
        }
        port == self.0.port() && (host == "localhost" || host.ends_with(".localhost")) && {
            let own = self.0.ip();
            own.is_loopback() || own.is_unspecified()
        }
    }
}

/// Whether `ip` is one of this computer's own addresses (a LAN address, say): only those can
/// be bound. Asked only for a proxy listening on every address, when the port is its own.
fn is_local(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind((ip, 0)).is_ok()
}

/// Resolves `host` and connects to the first address that answers, all within `timeout`.
pub async fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    own: SelfAddr,
) -> Result<TcpStream, ProxyError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let addrs: Vec<SocketAddr> = match parse_ip_literal(host) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => {
            match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
                Err(_) => {
                    return Err(ProxyError::new(
                        ErrorKind::UpstreamTimeout,
                        Message::new(&msg::LOOKUP_TIMEOUT)
                            .with("host", host)
                            .with("seconds", timeout.as_secs()),
                    ))
                }
                Ok(Err(e)) => {
                    return Err(ProxyError::new(
                        ErrorKind::DnsFailed,
                        Message::new(&msg::NAME_NOT_FOUND)
                            .with("host", host)
                            .with("detail", e),
                    ))
                }
                Ok(Ok(found)) => found.collect(),
            }
        }
    };
    if addrs.is_empty() {
        return Err(ProxyError::new(
            ErrorKind::DnsFailed,
            Message::new(&msg::NAME_NO_ADDRESS).with("host", host),
        ));
    }
    if addrs.iter().any(|a| own.is_self(*a)) {
        return Err(ProxyError::new(
            ErrorKind::NotProxied,
            Message::new(&msg::UPSTREAM_IS_SELF)
                .with("host", host)
                .with("port", port),
        ));
    }
    let mut last_error: Option<io::Error> = None;
    for (i, addr) in addrs.iter().enumerate() {
        // Give each remaining address a fair share of the time left, so one black-holed
        // address (often IPv6) does not use up the whole deadline.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let share = left / (addrs.len() - i) as u32;
        let attempt_deadline =
            tokio::time::Instant::now() + share.max(left.min(Duration::from_secs(2)));
        match tokio::time::timeout_at(attempt_deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last_error = Some(e),
            Err(_) => last_error = Some(io::ErrorKind::TimedOut.into()),
        }
    }
    match last_error {
        Some(e) if e.kind() == io::ErrorKind::TimedOut => Err(ProxyError::new(
            ErrorKind::UpstreamTimeout,
            Message::new(&msg::CONNECT_TIMEOUT)
                .with("host", host)
                .with("port", port)
                .with("seconds", timeout.as_secs()),
        )),
        e => Err(ProxyError::new(
            ErrorKind::UpstreamRefused,
            Message::new(&msg::CONNECT_FAILED)
                .with("host", host)
                .with("port", port)
                .with_message(
                    "detail",
                    e.map_or_else(|| Message::new(&msg::NO_ADDRESS), Message::detail),
                ),
        )),
    }
}

/// An upstream connection with its read buffer, which travels with it through the pool so a
/// reused connection costs no allocation.
pub struct Connection {
    pub stream: TcpStream,
    pub buf: BytesMut,
}

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            buf: BytesMut::new(),
        }
    }
}

struct Idle {
    conn: Connection,
    since: Instant,
}

/// Idle connections by port, then host (two levels, so a lookup by `&str` allocates nothing).
type IdleMap = HashMap<u16, HashMap<Box<str>, Vec<Idle>>>;

/// The pool's contents and how many connections they hold.
#[derive(Default)]
struct Held {
    by_port: IdleMap,
    count: usize,
}

/// Idle upstream connections by host and port, most recently used last.
#[derive(Default)]
pub struct Pool {
    held: Mutex<Held>,
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection to `host:port` that still looks open, if there is one.
    pub fn take(&self, host: &str, port: u16) -> Option<Connection> {
        let mut held = self.lock();
        let Held { by_port, count } = &mut *held;
        let list = by_port.get_mut(&port)?.get_mut(host)?;
        // An emptied list stays (the sweep removes it) so the next `put` allocates no key.
        while let Some(idle) = list.pop() {
            *count -= 1;
            if idle.since.elapsed() < IDLE_TIMEOUT && still_open(&idle.conn.stream) {
                return Some(idle.conn);
            }
        }
        None
    }

    /// Keeps a connection for reuse, unless that would pass `per_host` for its host or `total`
    /// in all.
    pub fn put(&self, host: &str, port: u16, conn: Connection, per_host: usize, total: usize) {
        let mut held = self.lock();
        if held.count >= total {
            return;
        }
        let hosts = held.by_port.entry(port).or_default();
        let list = match hosts.get_mut(host) {
            Some(list) => list,
            None => hosts.entry(host.into()).or_default(),
        };
        if list.len() < per_host {
            list.push(Idle {
                conn,
                since: Instant::now(),
            });
            held.count += 1;
        }
    }

    /// Closes connections idle for too long or closed by their server.
    pub fn sweep(&self) {
        let mut held = self.lock();
        held.by_port.retain(|_, hosts| {
            hosts.retain(|_, list| {
                list.retain(|i| i.since.elapsed() < IDLE_TIMEOUT && still_open(&i.conn.stream));
                !list.is_empty()
            });
            !hosts.is_empty()
        });
        held.count = held
            .by_port
            .values()
            .flat_map(HashMap::values)
            .map(Vec::len)
            .sum();
    }

    /// Closes every idle connection (when the proxy stops).
    pub fn clear(&self) {
        *self.lock() = Held::default();
    }

    /// Idle connections held now.
    pub fn idle_count(&self) -> usize {
        self.lock().count
    }
}

/// An idle connection must have nothing to read: end of stream means the server closed it, and
/// stray bytes mean it is out of step. Either way it cannot carry a new request.
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_detection_covers_loopback_and_wildcard_listeners() {
        let lo = SelfAddr("127.0.0.1:12345".parse().unwrap());
        assert!(lo.is_self("127.0.0.1:12345".parse().unwrap()));
        assert!(lo.is_self("127.0.0.2:12345".parse().unwrap()));
        assert!(lo.is_self("0.0.0.0:12345".parse().unwrap()));
        assert!(!lo.is_self("127.0.0.1:80".parse().unwrap()));
        assert!(lo.is_self_name("localhost", 12345));
        assert!(lo.is_self_name("[::ffff:127.0.0.1]", 12345));
        assert!(!lo.is_self_name("example.com", 12345));
        let any = SelfAddr("[::]:8080".parse().unwrap());
        assert!(any.is_self("[::1]:8080".parse().unwrap()));
        assert!(any.is_self("127.0.0.1:8080".parse().unwrap()));
        assert!(!any.is_self("127.0.0.1:8081".parse().unwrap()));
        // An address of another computer is not this one, on any port.
        assert!(!any.is_self("198.51.100.7:8080".parse().unwrap()));
        assert!(!any.is_self("[2001:db8::dead]:8080".parse().unwrap()));
    }

    #[tokio::test]
    async fn pool_returns_live_connections_and_drops_closed_ones() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pool = Pool::default();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        pool.put("a.test", 80, Connection::new(client), 4, 4);
        assert_eq!(pool.idle_count(), 1);
        assert!(pool.take("a.test", 81).is_none());
        let again = pool.take("a.test", 80).expect("live connection comes back");
        assert_eq!(pool.idle_count(), 0);
        pool.put("a.test", 80, again, 4, 4);
        drop(server_side);
        // Let the reactor see the FIN.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(pool.take("a.test", 80).is_none());
        assert_eq!(pool.idle_count(), 0);
    }
}
