//! Test harness: a real Wicket engine on 127.0.0.1, real origin servers, and a raw HTTP client.
//!
//! - [`Proxy`] starts an `Engine` on an ephemeral loopback port from a JSON config.
//! - [`Origin`] is a scripted HTTP origin: it records every request exactly as received (raw
//!   head bytes, decoded body, trailers) and answers with whatever bytes the test's handler
//!   returns.
//! - [`RawServer`] runs the test's own code on each accepted connection, for origins that must
//!   do something an HTTP handler cannot (answer before the body, send `100 Continue`, half-close).
//! - [`EchoServer`] is a raw TCP echo server, the far end of CONNECT tunnels.
//! - [`Conn`] is a client connection speaking raw bytes, with a response reader that understands
//!   Content-Length, chunked (trailers kept), close-delimited, HEAD and 1xx.
//!
//! Every wait is bounded by [`within`], so a hang fails the test instead of blocking the suite.
#![allow(dead_code)]

use std::future::Future;
use std::hash::Hasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::broadcast;

use wicket::{Config, Engine, Event, RequestRecord, StatsSnapshot};

/// Generous bound on any single wait in tests: a hang fails the test instead of blocking CI.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Polls `check` until it holds (bounded by [`WAIT`]): for state that settles asynchronously.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// A running proxy engine.
pub struct Proxy {
    pub engine: Engine,
    pub addr: SocketAddr,
    events: broadcast::Receiver<Event>,
}

impl Proxy {
    /// Starts a proxy from a JSON config; `listen` defaults to 127.0.0.1:0 (an ephemeral port).
    pub async fn start(json: &str) -> Proxy {
        Proxy::from_config(&config(json)).await
    }

    pub async fn from_config(config: &Config) -> Proxy {
        let engine = Engine::new(config);
        let events = engine.subscribe();
        let addr = engine.start().await.expect("proxy starts");
        Proxy {
            engine,
            addr,
            events,
        }
    }

    /// A fresh client connection to the proxy.
    pub async fn connect(&self) -> Conn {
        Conn::open(self.addr).await
    }

    /// A fresh client connection to the proxy from a chosen local address (`127.0.0.2`, say).
    pub async fn connect_from(&self, local: IpAddr) -> Conn {
        Conn::open_from(local, self.addr).await
    }

    /// The next finished-request record (state events are skipped).
    pub async fn next_record(&mut self) -> RequestRecord {
        within("a request record", async {
            loop {
                match self.events.recv().await {
                    Ok(Event::Request(r)) => return (*r).clone(),
                    Ok(_) => continue,
                    Err(e) => panic!("event stream: {e}"),
                }
            }
        })
        .await
    }

    /// One request on a new connection; returns the response.
    pub async fn request(&self, raw: &str) -> Response {
        let mut conn = self.connect().await;
        conn.send(raw.as_bytes()).await;
        conn.response(raw.starts_with("HEAD ")).await
    }

    /// `GET url` on a new connection, closed after the response.
    pub async fn get(&self, url: &str) -> Response {
        self.request(&format!("GET {url} HTTP/1.1\r\nConnection: close\r\n\r\n"))
            .await
    }

    /// Waits until the stats satisfy `check`; returns that snapshot. Counters are exact, but top
    /// hosts and the series are computed by a background task, so they settle a moment later.
    pub async fn stats_when(
        &self,
        what: &str,
        check: impl Fn(&StatsSnapshot) -> bool,
    ) -> StatsSnapshot {
        within(what, async {
            loop {
                let stats = self.engine.stats();
                if check(&stats) {
                    return stats;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
    }
}

/// A config from test JSON; `listen` defaults to 127.0.0.1:0 (an ephemeral port).
pub fn config(json: &str) -> Config {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("test config is JSON");
    if value.get("listen").is_none() {
        value["listen"] = "127.0.0.1:0".into();
    }
    Config::parse(&value.to_string()).expect("test config is valid")
}

/// A request as the origin received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The head exactly as received, including the final CRLF CRLF.
    pub head: String,
    /// The body, decoded from its framing.
    pub body: Vec<u8>,
    /// The trailer section of a chunked body ("\r\n" when empty); `None` if not chunked.
    pub trailers: Option<String>,
    /// Which origin connection carried it (0, 1, ...), to tell reuse from new connections.
    pub connection: usize,
}

impl Received {
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }

    /// Values of a header, in order (case-insensitive name).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        header_values(&self.head, name)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.header_values(name).into_iter().next()
    }

    /// Header names in the order received.
    pub fn header_names(&self) -> Vec<String> {
        header_names(&self.head)
    }
}

/// What the origin does for one request.
pub enum Reply {
    /// Write these bytes, keep the connection open for the next request.
    Send(Vec<u8>),
    /// Write these bytes, then close the connection.
    SendAndClose(Vec<u8>),
    /// Write the parts with a pause between them, then keep the connection.
    Paced(Vec<Vec<u8>>, Duration),
    /// Say nothing and keep the connection open (for timeouts).
    Hang,
    /// Close the connection without a word.
    Close,
}

impl Reply {
    /// A 200 response with a Content-Length body.
    pub fn ok(body: &str) -> Reply {
        Reply::Send(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// These exact bytes (a response written out by hand), connection kept.
    pub fn raw(text: &str) -> Reply {
        Reply::Send(text.as_bytes().to_vec())
    }
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync;

/// A scripted HTTP origin on 127.0.0.1.
pub struct Origin {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Origin {
    /// Starts an origin that answers every request with `handler`.
    pub async fn start(handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (rec, conns) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let id = conns.fetch_add(1, Ordering::SeqCst);
                let (rec, handler) = (rec.clone(), handler.clone());
                tokio::spawn(serve_origin_connection(stream, id, rec, handler));
            }
        });
        Origin {
            addr,
            received,
            connections,
        }
    }

    /// An origin that answers "hello" to everything.
    pub async fn hello() -> Origin {
        Origin::start(|_| Reply::ok("hello")).await
    }

    /// An origin that answers with the request line's target, so responses name their request.
    pub async fn echo_path() -> Origin {
        Origin::start(|r| {
            let target = r.request_line().split(' ').nth(1).unwrap_or("").to_string();
            Reply::ok(&target)
        })
        .await
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `host:port` of this origin, as a Host header or CONNECT target carries it.
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The only request received; fails if there were others.
    pub fn only_request(&self) -> Received {
        let all = self.received();
        assert_eq!(
            all.len(),
            1,
            "origin received {} requests: {all:#?}",
            all.len()
        );
        all.into_iter().next().unwrap()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Fails if anything at all reached this origin (not even a TCP connection).
    pub fn assert_untouched(&self) {
        assert_eq!(
            self.connection_count(),
            0,
            "nothing may reach the origin, but it got {:#?}",
            self.received()
        );
    }
}

async fn serve_origin_connection(
    mut stream: TcpStream,
    id: usize,
    received: Arc<Mutex<Vec<Received>>>,
    handler: Arc<Handler>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buf, id).await else {
            return;
        };
        received.lock().unwrap().push(request.clone());
        match handler(&request) {
            Reply::Send(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::SendAndClose(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Paced(parts, pause) => {
                for part in parts {
                    if stream.write_all(&part).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(pause).await;
                }
            }
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Close => return,
        }
    }
}

/// Reads one request (head and body per its framing) from a test origin connection.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    connection: usize,
) -> Option<Received> {
    let head = read_head(stream, buf).await?;
    let mut trailers = None;
    let body = if header_values(&head, "transfer-encoding")
        .iter()
        .any(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        let (body, t) = read_chunked(stream, buf).await?;
        trailers = Some(t);
        body
    } else if let Some(len) = header_values(&head, "content-length").first() {
        let len: usize = len.trim().parse().ok()?;
        read_exact(stream, buf, len).await?
    } else {
        Vec::new()
    };
    Some(Received {
        head,
        body,
        trailers,
        connection,
    })
}

/// Reads up to and including the next CRLF CRLF; `None` if the peer closes first.
pub async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let head_len = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            break pos + 4;
        }
        if !read_more(stream, buf).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    buf.drain(..head_len);
    Some(head)
}

/// Takes exactly `len` bytes, reading more as needed; `None` if the peer closes first.
pub async fn read_exact(stream: &mut TcpStream, buf: &mut Vec<u8>, len: usize) -> Option<Vec<u8>> {
    while buf.len() < len {
        if !read_more(stream, buf).await {
            return None;
        }
    }
    Some(buf.drain(..len).collect())
}

/// Appends what the next read brings; false at the end of the stream (or on an error).
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    // Reading straight into the heap buffer keeps large arrays out of every future's state.
    buf.reserve(64 * 1024);
    matches!(stream.read_buf(buf).await, Ok(n) if n > 0)
}

/// Decodes a chunked body from `buf` (reading more as needed); returns (body, trailers).
pub async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(Vec<u8>, String)> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(pos) = find(buf, b"\r\n") {
                break pos;
            }
            if !read_more(stream, buf).await {
                return None;
            }
        };
        let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        buf.drain(..line_end + 2);
        if size == 0 {
            // Trailers up to the empty line.
            let end = loop {
                if buf.starts_with(b"\r\n") {
                    break 2;
                }
                if let Some(pos) = find(buf, b"\r\n\r\n") {
                    break pos + 4;
                }
                if !read_more(stream, buf).await {
                    return None;
                }
            };
            let trailers = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end);
            return Some((body, trailers));
        }
        while buf.len() < size + 2 {
            if !read_more(stream, buf).await {
                return None;
            }
        }
        body.extend_from_slice(&buf[..size]);
        assert_eq!(
            &buf[size..size + 2],
            b"\r\n",
            "chunk data must end with CRLF"
        );
        buf.drain(..size + 2);
    }
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many times `needle` occurs in `haystack`.
pub fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Values of a header in a raw head, in order.
pub fn header_values(head: &str, name: &str) -> Vec<String> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

/// Header names of a raw head, in order, as written.
pub fn header_names(head: &str) -> Vec<String> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// A short fingerprint of a large body, so a mismatch does not print 20 MB.
pub fn digest(bytes: &[u8]) -> (usize, u64) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    (bytes.len(), h.finish())
}

/// `len` bytes of a pattern that does not repeat with any short period, so a dropped, doubled or
/// reordered piece changes the digest.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// A response as the client received it.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// The head exactly as received.
    pub head: String,
    pub body: Vec<u8>,
    /// Trailer section of a chunked body ("\r\n" when empty), if the body was chunked.
    pub trailers: Option<String>,
    /// 1xx responses received before this one, as raw heads.
    pub interim: Vec<String>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        header_values(&self.head, name).into_iter().next()
    }

    pub fn header_values(&self, name: &str) -> Vec<String> {
        header_values(&self.head, name)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the head announces that the connection closes after this response.
    pub fn closes(&self) -> bool {
        self.header_values("connection")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A raw client connection (to the proxy, usually).
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = within("connecting", TcpStream::connect(addr))
            .await
            .expect("connect");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Connects from a chosen local address (any free port on it).
    pub async fn open_from(local: IpAddr, addr: SocketAddr) -> Conn {
        let socket = match local {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .unwrap();
        socket
            .bind(SocketAddr::new(local, 0))
            .unwrap_or_else(|e| panic!("binding the client to {local}: {e}"));
        let stream = within("connecting", socket.connect(addr))
            .await
            .expect("connect");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// This end's address, as the proxy sees it as the client.
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().unwrap()
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Sends, reporting failure instead of panicking (the proxy may have closed on purpose).
    pub async fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Shuts down the write side: the peer reads end-of-stream, this side can still read.
    pub async fn shutdown_write(&mut self) {
        self.stream.shutdown().await.expect("shutdown");
    }

    /// Reads the next final response (collecting any 1xx before it).
    /// `for_head`: the request was HEAD, so there is no body.
    pub async fn response(&mut self, for_head: bool) -> Response {
        within("a response", self.read_response(for_head)).await
    }

    /// Reads the next response head of any status (a 1xx included), without its body.
    pub async fn head(&mut self) -> String {
        within("a response head", async {
            let head = read_head(&mut self.stream, &mut self.buf).await;
            head.unwrap_or_else(|| {
                panic!(
                    "connection closed before a response head; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                )
            })
        })
        .await
    }

    /// Reads exactly `len` raw bytes (tunnel data).
    pub async fn read_bytes(&mut self, len: usize) -> Vec<u8> {
        within("tunnel bytes", async {
            read_exact(&mut self.stream, &mut self.buf, len)
                .await
                .unwrap_or_else(|| panic!("closed after {} of {len} bytes", self.buf.len()))
        })
        .await
    }

    async fn read_response(&mut self, for_head: bool) -> Response {
        let mut interim = Vec::new();
        loop {
            let Some(head) = read_head(&mut self.stream, &mut self.buf).await else {
                panic!(
                    "connection closed before a response head; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                )
            };
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("bad status line in {head:?}"));
            if (100..200).contains(&status) {
                interim.push(head);
                continue;
            }
            let chunked = header_values(&head, "transfer-encoding")
                .iter()
                .any(|v| v.to_ascii_lowercase().contains("chunked"));
            let length = header_values(&head, "content-length")
                .first()
                .map(|v| v.parse::<usize>().unwrap());
            let mut trailers = None;
            let body = if for_head || status == 204 || status == 304 {
                Vec::new()
            } else if chunked {
                let (body, t) = read_chunked(&mut self.stream, &mut self.buf)
                    .await
                    .expect("complete chunked body");
                trailers = Some(t);
                body
            } else if let Some(len) = length {
                let have = self.buf.len();
                read_exact(&mut self.stream, &mut self.buf, len)
                    .await
                    .unwrap_or_else(|| {
                        panic!("connection closed in a {len}-byte body after {have}+ bytes")
                    })
            } else {
                while read_more(&mut self.stream, &mut self.buf).await {}
                std::mem::take(&mut self.buf)
            };
            return Response {
                status,
                head,
                body,
                trailers,
                interim,
            };
        }
    }

    /// Waits until the proxy closes the connection; returns whatever it sent before closing.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        within("the connection to close", async {
            while read_more(&mut self.stream, &mut self.buf).await {}
        })
        .await;
        std::mem::take(&mut self.buf)
    }

    /// Whether the proxy closed the connection (reads EOF) within a short time, with nothing
    /// sent before. Bytes sent instead of closing fail the test, since they would be unexpected.
    pub async fn is_closed_by_peer(&mut self) -> bool {
        if !self.buf.is_empty() {
            panic!("unread bytes: {:?}", String::from_utf8_lossy(&self.buf));
        }
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(3), self.stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(_)) => panic!("expected the connection to close, got data: {:?}", byte),
            Err(_) => false,
        }
    }

    /// Whether nothing arrives on this connection for `quiet` (no data, no close).
    pub async fn stays_silent(&mut self, quiet: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut byte = [0u8; 1];
        tokio::time::timeout(quiet, self.stream.read(&mut byte))
            .await
            .is_err()
    }
}

/// A server that runs the test's own code on every accepted connection.
pub struct RawServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start<F, Fut>(serve: F) -> RawServer
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream));
            }
        });
        RawServer { addr, connections }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Closes a server-side connection without destroying what it just wrote: shut down the write
/// side, then drain what the peer still sends, so the kernel does not answer with a reset.
pub async fn close_gently(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(WAIT, async {
        while read_more(&mut stream, &mut sink).await {
            sink.clear();
        }
    })
    .await;
}

/// A raw TCP echo server: the target of CONNECT tests.
pub struct EchoServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl EchoServer {
    pub async fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let (mut r, mut w) = stream.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                    let _ = w.shutdown().await;
                });
            }
        });
        EchoServer { addr, connections }
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Whether this machine can listen on ::1 (some containers have no IPv6 at all).
pub fn ipv6_loopback_available() -> bool {
    std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// A non-loopback address of this machine (the one its default route would use), if any.
/// Found with a UDP `connect`, which sends nothing.
pub fn non_loopback_ipv4() -> Option<Ipv4Addr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect(("203.0.113.1", 9)).ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

/// 127.0.0.2: a second loopback address, a different client than 127.0.0.1 to the proxy.
pub const OTHER_LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
