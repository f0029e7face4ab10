//! Test harness: a real Wicket engine on 127.0.0.1, real origin servers, and a raw HTTP client.
//!
//! - [`Proxy`] starts an `Engine` on an ephemeral loopback port from a JSON config.
//! - [`Origin`] is a scripted HTTP origin: it records every request exactly as received (raw
//!   head bytes and decoded body) and answers with whatever bytes the test's handler returns.
//! - [`EchoServer`] is a raw TCP echo server, the far end of CONNECT tunnels.
//! - [`Conn`] is a client connection speaking raw bytes, with a response reader that understands
//!   Content-Length, chunked (trailers kept), close-delimited, HEAD and 1xx.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

use wicket::{Config, Engine, Event, RequestRecord};

/// Generous bound on any single wait in tests: a hang fails the test instead of blocking CI.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
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
        let mut value: serde_json::Value = serde_json::from_str(json).expect("test config is JSON");
        if value.get("listen").is_none() {
            value["listen"] = "127.0.0.1:0".into();
        }
        let config = Config::parse(&value.to_string()).expect("test config is valid");
        Proxy::from_config(&config).await
    }

    pub async fn from_config(config: &Config) -> Proxy {
        let engine = Engine::new(config);
        let events = engine.subscribe();
        let addr = engine.start().await.expect("proxy starts");
        Proxy { engine, addr, events }
    }

    /// A fresh client connection to the proxy.
    pub async fn connect(&self) -> Conn {
        Conn::open(self.addr).await
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
}

/// A request as the origin received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The head exactly as received, including the final CRLF CRLF.
    pub head: String,
    pub body: Vec<u8>,
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
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}", body.len())
                .into_bytes(),
        )
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

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The only request received; fails if there were others.
    pub fn only_request(&self) -> Received {
        let all = self.received();
        assert_eq!(all.len(), 1, "origin received {} requests: {all:#?}", all.len());
        all.into_iter().next().unwrap()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
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
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, connection: usize) -> Option<Received> {
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
    let body = if header_values(&head, "transfer-encoding")
        .iter()
        .any(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        read_chunked(stream, buf).await?.0
    } else if let Some(len) = header_values(&head, "content-length").first() {
        let len: usize = len.trim().parse().ok()?;
        while buf.len() < len {
            if !read_more(stream, buf).await {
                return None;
            }
        }
        buf.drain(..len).collect()
    } else {
        Vec::new()
    };
    Some(Received { head, body, connection })
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16384];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// Decodes a chunked body from `buf` (reading more as needed); returns (body, trailers).
async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(Vec<u8>, String)> {
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
        assert_eq!(&buf[size..size + 2], b"\r\n", "chunk data must end with CRLF");
        buf.drain(..size + 2);
    }
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
}

/// A raw client connection (to the proxy, usually).
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = within("connecting", TcpStream::connect(addr)).await.expect("connect");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Reads the next final response (collecting any 1xx before it).
    /// `for_head`: the request was HEAD, so there is no body.
    pub async fn response(&mut self, for_head: bool) -> Response {
        within("a response", self.read_response(for_head)).await
    }

    async fn read_response(&mut self, for_head: bool) -> Response {
        let mut interim = Vec::new();
        loop {
            let head_len = loop {
                if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                    break pos + 4;
                }
                assert!(
                    read_more(&mut self.stream, &mut self.buf).await,
                    "connection closed before a response head; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                );
            };
            let head = String::from_utf8_lossy(&self.buf[..head_len]).into_owned();
            self.buf.drain(..head_len);
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
            let length = header_values(&head, "content-length").first().map(|v| v.parse::<usize>().unwrap());
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
                while self.buf.len() < len {
                    assert!(
                        read_more(&mut self.stream, &mut self.buf).await,
                        "connection closed in a {len}-byte body after {} bytes",
                        self.buf.len()
                    );
                }
                self.buf.drain(..len).collect()
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

    /// Whether the proxy closed the connection (reads EOF) within a short time.
    pub async fn is_closed_by_peer(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(3), self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// A raw TCP echo server: the target of CONNECT tests.
pub struct EchoServer {
    pub addr: SocketAddr,
}

impl EchoServer {
    pub async fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = stream.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                    let _ = w.shutdown().await;
                });
            }
        });
        EchoServer { addr }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}
