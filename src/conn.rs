//! One client connection: the client check, then requests one after another (keep-alive and
//! pipelining answered in order), each through named phases:
//!
//! 1. read the head (idle timeout before it starts, head timeout once it has);
//! 2. filter: the policy's decision for the target, answered here when it refuses;
//! 3. forward (`forward`) or tunnel (`tunnel`);
//! 4. log: one `RequestRecord` per request, whatever happened.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::error::{ErrorKind, ProxyError};
use crate::http::request::{self, RequestHead, Target};
use crate::http::{BufReader, Framing, MIN_READ};
use crate::i18n::{Lang, Message};
use crate::messages as msg;
use crate::pages;
use crate::policy::Decision;
use crate::server::{Listener, Settings, Shared};
use crate::stats::{unix_millis, Counters, GaugeGuard, RequestRecord, Verdict};
use crate::{forward, tunnel};

/// The client side of a connection.
pub struct Client {
    pub reader: BufReader<OwnedReadHalf>,
    pub writer: OwnedWriteHalf,
    pub peer: SocketAddr,
    /// Reused for the heads written for this client's requests (upstream and back), so a
    /// keep-alive connection builds them without allocating.
    pub scratch: [Vec<u8>; 2],
}

/// One request in progress, and what will be logged about it.
pub struct Exchange {
    started: Instant,
    pub record: RequestRecord,
    pub up: AtomicU64,
    pub down: AtomicU64,
}

impl Exchange {
    fn new(peer: SocketAddr) -> Exchange {
        Exchange {
            started: Instant::now(),
            record: RequestRecord {
                id: 0,
                time_ms: unix_millis(),
                client: peer,
                method: "-".into(),
                host: String::new(),
                port: 0,
                path: String::new(),
                status: 0,
                bytes_up: 0,
                bytes_down: 0,
                duration_ms: 0,
                verdict: Verdict::Failed,
                rule: None,
                list: None,
                error: None,
            },
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
        }
    }

    fn for_request(peer: SocketAddr, head: &RequestHead) -> Exchange {
        let mut ex = Exchange::new(peer);
        ex.record.method = head.method().to_string();
        match &head.target {
            Target::Http { host, port } => {
                ex.record.host = host.clone();
                ex.record.port = *port;
                ex.record.path = head.path_text();
            }
            Target::Connect { host, port } => {
                ex.record.host = host.clone();
                ex.record.port = *port;
            }
            Target::Local => {
                ex.record.path = String::from_utf8_lossy(head.target_text()).into_owned()
            }
        }
        ex
    }

    /// Records a failure of this kind (counted in the stats).
    pub fn fail(&mut self, counters: &Counters, kind: ErrorKind) {
        counters.error(kind);
        self.record.error = Some(kind);
        if self.record.verdict != Verdict::Forwarded && self.record.verdict != Verdict::Tunneled {
            self.record.verdict = Verdict::Failed;
        }
    }

    fn finish(mut self, shared: &Shared) {
        self.record.duration_ms = self.started.elapsed().as_millis() as u64;
        self.record.bytes_up = self.up.into_inner();
        self.record.bytes_down = self.down.into_inner();
        shared.hub.record(self.record);
    }
}

/// Serves one client connection to the end.
pub async fn serve(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>, listener: &Listener) {
    // An IPv4 client of an IPv6 listener is that IPv4 client: for the allowlist, the
    // per-client limit, the log and the stats alike.
    let peer = SocketAddr::new(crate::rules::canonical_ip(peer.ip()), peer.port());
    let counters = &shared.hub.counters;
    let _open = GaugeGuard::new(&counters.open_connections);
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    let mut client = Client {
        reader: BufReader::new(reader),
        writer,
        peer,
        scratch: Default::default(),
    };
    if !shared.policy.load().allows_client(peer.ip()) {
        // Answered before anything is read, so nothing the client sends is ever parsed.
        deny(&mut client, Exchange::new(peer), shared).await;
        close_gently(client).await;
        return;
    }
    let Some(_slot) = ClientSlot::take(shared, peer.ip()) else {
        let err = ProxyError::new(ErrorKind::TooManyConnections, &msg::TOO_MANY_CONNECTIONS);
        let mut ex = Exchange::new(peer);
        ex.fail(counters, err.kind);
        ex.record.status = err.kind.status();
        // Nothing of the request is read yet, so its language is not known.
        let _ = client
            .writer
            .write_all(&pages::error_in_every_language(&err, true))
            .await;
        ex.finish(shared);
        close_gently(client).await;
        return;
    };
    loop {
        let settings = shared.settings.load_full();
        let head = match read_head(&mut client, &settings, listener).await {
            HeadRead::Head(head) => head,
            HeadRead::Closed => break,
            HeadRead::Failed(err) => {
                let mut ex = Exchange::new(peer);
                ex.record.status = err.kind.status();
                ex.fail(counters, err.kind);
                Counters::add(&counters.requests, 1);
                // A head that could not be read gives no trustworthy Accept-Language.
                let _ = client
                    .writer
                    .write_all(&pages::error_in_every_language(&err, true))
                    .await;
                ex.finish(shared);
                break;
            }
        };
        Counters::add(&counters.requests, 1);
        let mut ex = Exchange::for_request(peer, &head);
        // The allowlist may have changed since the connection was accepted.
        if !shared.policy.load().allows_client(peer.ip()) {
            deny(&mut client, ex, shared).await;
            break;
        }
        let keep_alive = handle(&mut client, &head, shared, &settings, listener, &mut ex).await;
        ex.finish(shared);
        if !keep_alive || listener.shutdown.is_cancelled() {
            break;
        }
        // A buffer grown by a large body is given back between requests; a small one is kept.
        if client.reader.buf.is_empty() && client.reader.buf.capacity() > 2 * MIN_READ {
            client.reader.buf = BytesMut::new();
        }
    }
    close_gently(client).await;
}

/// One of a client address's connections, counted for the per-client limit while it lives.
struct ClientSlot<'a> {
    shared: &'a Shared,
    ip: IpAddr,
}

impl<'a> ClientSlot<'a> {
    /// A slot for `ip`, if it holds fewer connections than the limit.
    fn take(shared: &'a Shared, ip: IpAddr) -> Option<ClientSlot<'a>> {
        let limit = shared.settings.load().per_client;
        let mut open = shared.per_client.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= limit {
            if *count == 0 {
                open.remove(&ip);
            }
            return None;
        }
        *count += 1;
        Some(ClientSlot { shared, ip })
    }
}

impl Drop for ClientSlot<'_> {
    fn drop(&mut self) {
        let mut open = self
            .shared
            .per_client
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Phases 2 and 3 for one request. Returns whether the connection can carry another request.
async fn handle(
    client: &mut Client,
    head: &RequestHead,
    shared: &Shared,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
) -> bool {
    let counters = &shared.hub.counters;
    // A refused request can leave the connection open only if it has no body to skip.
    let reusable = head.keep_alive && head.framing == Framing::Empty;
    match &head.target {
        Target::Local => {
            let path = String::from_utf8_lossy(head.target_text()).into_owned();
            let detail = Message::new(&msg::ABOUT_SENT_TO_PROXY);
            answer_local(
                client, head, &path, settings, listener, ex, counters, detail,
            )
            .await
        }
        Target::Connect { host, port } => {
            if !settings.connect_ports.allows(*port) {
                let err = ProxyError::new(
                    ErrorKind::PortNotAllowed,
                    Message::new(&msg::CONNECT_PORT_NOT_ALLOWED)
                        .with("port", port)
                        .with("allowed", &settings.connect_ports),
                );
                refuse_plain(client, head.lang(), ex, counters, &err).await;
                return false;
            }
            if let Some(refusal) = Refusal::check(shared, host) {
                refusal.record(ex, counters);
                let _ = client
                    .writer
                    .write_all(&pages::plain(403, &refusal.text(head.lang(), host), true))
                    .await;
                return false;
            }
            if listener.own.is_self_name(host, *port) {
                let err = ProxyError::new(
                    ErrorKind::NotProxied,
                    Message::new(&msg::CONNECT_TO_SELF)
                        .with("host", host)
                        .with("port", port),
                );
                refuse_plain(client, head.lang(), ex, counters, &err).await;
                return false;
            }
            let lang = head.lang();
            tunnel::run(client, lang, host, *port, shared, settings, listener, ex).await;
            false
        }
        Target::Http { host, port } => {
            if let Some(refusal) = Refusal::check(shared, host) {
                refusal.record(ex, counters);
                let ok = client
                    .writer
                    .write_all(&refusal.page(head.lang(), host, !reusable))
                    .await
                    .is_ok();
                return ok && reusable;
            }
            if listener.own.is_self_name(host, *port) {
                let detail = Message::new(&msg::ABOUT_ADDRESSED_TO_PROXY);
                let path = head.path_text();
                return answer_local(
                    client, head, &path, settings, listener, ex, counters, detail,
                )
                .await;
            }
            // Boxed: forwarding has the largest state of all, and a connection that is idle or
            // tunneling should not carry its size (idle tunnels by the thousand stay small).
            Box::pin(forward::run(
                client, head, host, *port, shared, settings, listener, ex,
            ))
            .await
        }
    }
}

/// A request for the proxy itself: the PAC file at `/proxy.pac`, the "this is Wicket" page
/// (400) for anything else.
#[allow(clippy::too_many_arguments)]
async fn answer_local(
    client: &mut Client,
    head: &RequestHead,
    path: &str,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
    counters: &Counters,
    detail: Message,
) -> bool {
    ex.record.verdict = Verdict::Local;
    let file = path.split('?').next().unwrap_or("");
    if file == "/proxy.pac" && matches!(head.method(), "GET" | "HEAD") {
        // The address this client reached the proxy at: right even when listening on 0.0.0.0.
        let proxy = client.writer.local_addr().unwrap_or(listener.own.0);
        let keep = head.keep_alive && head.framing == Framing::Empty;
        let mut response = pages::response(
            200,
            "application/x-ns-proxy-autoconfig",
            &pages::pac(proxy, &settings.bypass),
            !keep,
        );
        if head.is_head() {
            let end = response
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(response.len(), |p| p + 4);
            response.truncate(end);
        }
        ex.record.status = 200;
        return client.writer.write_all(&response).await.is_ok() && keep;
    }
    ex.record.status = 400;
    counters.error(ErrorKind::NotProxied);
    let page = pages::about(head.lang(), listener.own.0, &detail);
    let _ = client.writer.write_all(&page).await;
    false
}

/// Why the policy refuses a host, detached from the policy it came from.
enum Refusal {
    /// A rule matched: of the blocklist, or of a named list.
    Blocked { rule: String, list: Option<String> },
    /// Allow-only mode, and the host is not on the list.
    NotAllowed,
}

impl Refusal {
    fn check(shared: &Shared, host: &str) -> Option<Refusal> {
        match shared.policy.load().decide(host) {
            Decision::Pass => None,
            Decision::Blocked(rule, list) => Some(Refusal::Blocked {
                rule: rule.to_string(),
                list: list.map(str::to_string),
            }),
            Decision::NotAllowed => Some(Refusal::NotAllowed),
        }
    }

    fn record(&self, ex: &mut Exchange, counters: &Counters) {
        Counters::add(&counters.blocked, 1);
        ex.record.verdict = Verdict::Blocked;
        ex.record.status = 403;
        match self {
            Refusal::Blocked { rule, list } => {
                ex.record.rule = Some(rule.clone());
                ex.record.list = list.clone();
            }
            Refusal::NotAllowed => ex.record.rule = Some("allow-only".into()),
        }
    }

    /// The 403 page for a plain HTTP request, in the reader's language.
    fn page(&self, lang: Lang, host: &str, close: bool) -> Vec<u8> {
        match self {
            Refusal::Blocked { rule, list } => {
                pages::blocked(lang, host, rule, list.as_deref(), close)
            }
            Refusal::NotAllowed => pages::not_allowed(lang, host, close),
        }
    }

    /// The 403 text for CONNECT (browsers do not show it, command-line clients do).
    fn text(&self, lang: Lang, host: &str) -> String {
        let message = match self {
            Refusal::Blocked { rule, list: None } => {
                Message::new(&msg::CONNECT_BLOCKED_BY_RULE).with("rule", rule)
            }
            Refusal::Blocked {
                rule,
                list: Some(list),
            } => Message::new(&msg::CONNECT_BLOCKED_BY_LIST)
                .with("rule", rule)
                .with("list", list),
            Refusal::NotAllowed => Message::new(&msg::CONNECT_NOT_ALLOWED),
        };
        message.with("host", host).text(lang)
    }
}

/// A refused CONNECT: the error's detail as plain text in `lang`, and the connection closed.
async fn refuse_plain(
    client: &mut Client,
    lang: Lang,
    ex: &mut Exchange,
    counters: &Counters,
    err: &ProxyError,
) {
    ex.fail(counters, err.kind);
    ex.record.status = err.kind.status();
    let text = err.detail.text(lang);
    let _ = client
        .writer
        .write_all(&pages::plain(err.kind.status(), &text, true))
        .await;
}

enum HeadRead {
    Head(RequestHead),
    /// The client closed, stayed idle too long, or the proxy is stopping between requests.
    Closed,
    Failed(ProxyError),
}

/// Phase 1: waits for a request head. Before its first byte, the wait is the idle timeout (and
/// ends quietly); once it has started, the client has the head timeout to finish it (408).
async fn read_head(client: &mut Client, settings: &Settings, listener: &Listener) -> HeadRead {
    // Stray line ends between requests are allowed (RFC 9112 §2.2).
    while client
        .reader
        .buf
        .first()
        .is_some_and(|b| *b == b'\r' || *b == b'\n')
    {
        client.reader.buf.advance(1);
    }
    if client.reader.buf.is_empty() {
        let wait = async {
            // Wait for readability first so an idle connection holds no buffer.
            client.reader.io.readable().await?;
            client.reader.fill().await
        };
        tokio::select! {
            read = wait => match read {
                Ok(0) | Err(_) => return HeadRead::Closed,
                Ok(_) => {}
            },
            _ = tokio::time::sleep(settings.idle_timeout) => return HeadRead::Closed,
            _ = listener.shutdown.cancelled() => return HeadRead::Closed,
        }
    }
    let deadline = tokio::time::Instant::now() + settings.head_timeout;
    loop {
        match request::parse_with(&mut client.reader.buf, &settings.limits) {
            Ok(Some(head)) => return HeadRead::Head(head),
            Ok(None) => {}
            Err(err) => return HeadRead::Failed(err),
        }
        match tokio::time::timeout_at(deadline, client.reader.fill()).await {
            Err(_) => {
                return HeadRead::Failed(ProxyError::new(
                    ErrorKind::ClientTimeout,
                    Message::new(&msg::REQUEST_HEAD_TIMEOUT)
                        .with("seconds", settings.head_timeout.as_secs()),
                ))
            }
            Ok(Ok(0)) | Ok(Err(_)) => return HeadRead::Closed,
            Ok(Ok(_)) => {}
        }
    }
}

/// A client not on the allowlist: 403, and the connection is closed after it.
async fn deny(client: &mut Client, mut ex: Exchange, shared: &Shared) {
    Counters::add(&shared.hub.counters.denied, 1);
    ex.record.verdict = Verdict::Denied;
    ex.record.status = 403;
    let _ = client
        .writer
        .write_all(&pages::denied(client.peer.ip()))
        .await;
    ex.finish(shared);
}

/// Closes after a last response without losing it: shut down our side, then read and discard
/// what the client still sends for a moment, so the kernel does not answer it with a reset that
/// could destroy the response in flight (RFC 9112 §9.6).
async fn close_gently(mut client: Client) {
    let _ = client.writer.shutdown().await;
    let drain = async {
        let mut discarded = 0usize;
        loop {
            client.reader.buf.clear();
            match client.reader.fill().await {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
            if discarded > 1 << 20 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
}
