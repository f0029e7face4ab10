//! Forwarding one plain-HTTP request: upstream connection (pooled or new), request head and
//! body out, interim and final response back, body streamed, connection kept or closed.
//!
//! The request body and the response travel at the same time: an upstream may answer before it
//! has read the whole body (an early 413 or 401), and a client that sent `Expect: 100-continue`
//! waits for the relayed `100` before it sends the body at all. The response-head deadline runs
//! only once the body is sent, so slow uploads are not cut off.

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::ReadHalf;

use crate::conn::{Client, Exchange};
use crate::error::{ErrorKind, ProxyError};
use crate::http::body::{BodyRelay, Encoding, RelayError};
use crate::http::request::RequestHead;
use crate::http::response::{self, Outbound, ResponseHead};
use crate::http::{BufReader, Framing, Version};
use crate::i18n::Message;
use crate::messages as msg;
use crate::pages;
use crate::server::{Listener, Settings, Shared};
use crate::splice::Waits;
use crate::stats::{Counters, Meter, Verdict};
use crate::upstream::{self, Connection};

/// Scratch space above this size is given back after use rather than kept by the connection.
const SCRATCH_KEPT: usize = 16 * 1024;

/// Attempts on pooled connections that turn out closed before a fresh one is used.
const MAX_ATTEMPTS: usize = 3;

/// Forwards the request; returns whether the client connection can carry another request.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: &mut Client,
    head: &RequestHead,
    host: &str,
    port: u16,
    shared: &Shared,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
) -> bool {
    let mut out = std::mem::take(&mut client.scratch[0]);
    out.clear();
    head.write_upstream(&mut out);
    let keep = forward(
        client, head, &out, host, port, shared, settings, listener, ex,
    )
    .await;
    client.scratch[0] = out;
    keep
}

/// `run` with the upstream request head written.
#[allow(clippy::too_many_arguments)]
async fn forward(
    client: &mut Client,
    head: &RequestHead,
    out: &[u8],
    host: &str,
    port: u16,
    shared: &Shared,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
) -> bool {
    let counters = &shared.hub.counters;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let pooled = if attempt < MAX_ATTEMPTS {
            shared.pool.take(host, port)
        } else {
            None
        };
        let (conn, reused) = match pooled {
            Some(conn) => {
                Counters::add(&counters.upstream_reused, 1);
                (conn, true)
            }
            None => match upstream::connect(host, port, settings.timeout, listener.own).await {
                Ok(stream) => {
                    Counters::add(&counters.upstream_connects, 1);
                    (Connection::new(stream), false)
                }
                Err(err) => {
                    let body_done = head.framing == Framing::Empty;
                    return answer_error(client, head, ex, counters, err, body_done).await;
                }
            },
        };
        match exchange(
            client, head, out, conn, reused, shared, settings, listener, ex,
        )
        .await
        {
            Outcome::Retry => continue,
            Outcome::Done {
                keep_client,
                upstream,
            } => {
                if let Some(conn) = upstream {
                    let (per_host, total) = (settings.pool_per_host, settings.pool_total);
                    shared.pool.put(host, port, conn, per_host, total);
                }
                return keep_client;
            }
            Outcome::Failed { err, body_done } => {
                return answer_error(client, head, ex, counters, err, body_done).await;
            }
            Outcome::Aborted(kind) => {
                ex.fail(counters, kind);
                return false;
            }
        }
    }
}

enum Outcome {
    /// A pooled connection was closed before it answered anything; nothing was lost, try again.
    Retry,
    /// The response was relayed; the upstream connection is returned when it can be reused.
    Done {
        keep_client: bool,
        upstream: Option<Connection>,
    },
    /// Nothing was sent to the client yet: answer with an error page.
    Failed { err: ProxyError, body_done: bool },
    /// Part of the exchange already reached the client, or the client is gone: just close.
    Aborted(ErrorKind),
}

/// Where the request body stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyState {
    Sending,
    Sent,
    /// The upstream stopped reading it (it may be answering early); the rest is not forwarded.
    Refused,
}

#[allow(clippy::too_many_arguments)]
async fn exchange(
    client: &mut Client,
    head: &RequestHead,
    head_bytes: &[u8],
    conn: Connection,
    reused: bool,
    shared: &Shared,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
) -> Outcome {
    let counters = &shared.hub.counters;
    let retryable = reused && head.framing == Framing::Empty;
    let Connection { mut stream, buf } = conn;
    let meter_up = Meter {
        total: &counters.bytes_up,
        this: &ex.up,
    };
    let meter_down = Meter {
        total: &counters.bytes_down,
        this: &ex.down,
    };
    let body_encoding = match head.framing {
        Framing::Chunked => Encoding::Chunked,
        _ => Encoding::Identity,
    };
    let mut request_body = BodyRelay::new(head.framing, body_encoding);
    // Body bytes that came with the head go out with it, in one write.
    let mut first = Vec::new();
    let first_write: &[u8] = if request_body.is_done() {
        head_bytes
    } else {
        first.reserve(head_bytes.len() + client.reader.buf.len());
        first.extend_from_slice(head_bytes);
        match request_body.take_buffered(&mut client.reader.buf, &mut first) {
            Ok(n) => meter_up.add(n),
            Err(_) => {
                return Outcome::Failed {
                    err: ProxyError::bad_request(&msg::REQUEST_BODY_NOT_CHUNKED),
                    body_done: false,
                }
            }
        }
        &first
    };
    if let Err(e) = stream.write_all(first_write).await {
        if retryable {
            return Outcome::Retry;
        }
        return Outcome::Failed {
            err: ProxyError::new(
                ErrorKind::UpstreamRefused,
                Message::new(&msg::SEND_FAILED).with("detail", e),
            ),
            body_done: head.framing == Framing::Empty,
        };
    }
    // Everything borrowing the upstream stream lives in this block, so the stream can be
    // returned to the pool afterwards.
    let (keep_client, reusable, buf) = {
        let (up_read, mut up_write) = stream.split();
        let mut upstream = BufReader::with_buffer(up_read, buf);
        let Client {
            reader,
            writer,
            scratch,
            ..
        } = client;

        let mut body_state = if request_body.is_done() {
            BodyState::Sent
        } else {
            BodyState::Sending
        };
        // The client may pause its upload for its idle timeout; the site must take it within
        // the upstream timeout (one that stops reading is given up, then answers or gets 504).
        let body = request_body.finish_tcp(
            reader,
            &mut up_write,
            &meter_up,
            Waits {
                read: Some(settings.idle_timeout),
                write: Some(settings.timeout),
            },
        );
        tokio::pin!(body);

        // Phase A: the request body goes out while the response head (and any 1xx) comes back.
        let final_head = {
            let heads = read_final_head(&mut upstream, writer, head.is_head(), head.version);
            tokio::pin!(heads);
            let deadline = tokio::time::sleep(settings.timeout);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    result = &mut heads => break result,
                    sent = &mut body, if body_state == BodyState::Sending => match sent {
                        Ok(()) => {
                            body_state = BodyState::Sent;
                            deadline.as_mut().reset(tokio::time::Instant::now() + settings.timeout);
                        }
                        Err(RelayError::Write(_)) => {
                            body_state = BodyState::Refused;
                            deadline.as_mut().reset(tokio::time::Instant::now() + settings.timeout);
                        }
                        Err(RelayError::Read(_)) => return Outcome::Aborted(ErrorKind::ClientAborted),
                        Err(RelayError::Malformed(what)) => {
                            return Outcome::Failed {
                                err: ProxyError::bad_request(
                                    Message::new(&msg::REQUEST_BODY_NOT_CHUNKED_BECAUSE).with_message("why", Message::new(what)),
                                ),
                                body_done: false,
                            }
                        }
                    },
                    _ = &mut deadline, if body_state != BodyState::Sending => {
                        break Err(HeadFailure::Failed(ProxyError::new(
                            ErrorKind::UpstreamTimeout,
                            Message::new(&msg::SITE_TIMEOUT).with("seconds", settings.timeout.as_secs()),
                        )))
                    }
                }
            }
        };
        let response = match final_head {
            Ok(response) => response,
            Err(HeadFailure::ClosedEarly) if retryable => return Outcome::Retry,
            Err(HeadFailure::ClosedEarly) => {
                return Outcome::Failed {
                    err: ProxyError::new(ErrorKind::BadResponse, &msg::SITE_CLOSED_EARLY),
                    body_done: body_state == BodyState::Sent,
                }
            }
            Err(HeadFailure::Failed(err)) => {
                return Outcome::Failed {
                    err,
                    body_done: body_state == BodyState::Sent,
                }
            }
            Err(HeadFailure::ClientGone) => return Outcome::Aborted(ErrorKind::ClientAborted),
        };

        // Phase B: the response head goes to the client with the body bytes that came with it,
        // then the rest of the body, while any request body still in flight keeps going.
        let outbound = response.outbound(head.version);
        let keep_client = head.keep_alive
            && outbound.self_delimited()
            && body_state == BodyState::Sent
            && !listener.shutdown.is_cancelled();
        let encoding = match outbound {
            Outbound::Chunked => Encoding::Chunked,
            _ => Encoding::Identity,
        };
        let framing = if outbound == Outbound::Empty {
            Framing::Empty
        } else {
            response.framing
        };
        let mut response_body = BodyRelay::new(framing, encoding);
        let out = &mut scratch[1];
        out.clear();
        response.write_client(out, head.version, outbound, keep_client);
        let Ok(early) = response_body.take_buffered(&mut upstream.buf, out) else {
            return Outcome::Failed {
                err: ProxyError::new(ErrorKind::BadResponse, &msg::SITE_BAD_CHUNKED),
                body_done: body_state == BodyState::Sent,
            };
        };
        if writer.write_all(out).await.is_err() {
            return Outcome::Aborted(ErrorKind::ClientAborted);
        }
        // Large bodies that came with their head leave a large buffer: not kept for later.
        if out.capacity() > SCRATCH_KEPT {
            *out = Vec::new();
        }
        meter_down.add(early);
        Counters::add(&counters.forwarded, 1);
        ex.record.verdict = Verdict::Forwarded;
        ex.record.status = response.status;
        let relayed = if response_body.is_done() {
            Ok(())
        } else {
            // A site that stops sending mid-body is given up after the upstream timeout; a
            // client that stops reading, after its idle timeout.
            let waits = Waits {
                read: Some(settings.timeout),
                write: Some(settings.idle_timeout),
            };
            let down = response_body.finish_tcp(&mut upstream, writer, &meter_down, waits);
            tokio::pin!(down);
            loop {
                tokio::select! {
                    result = &mut down => break result,
                    sent = &mut body, if body_state == BodyState::Sending => match sent {
                        Ok(()) => body_state = BodyState::Sent,
                        Err(RelayError::Write(_)) => body_state = BodyState::Refused,
                        Err(_) => return Outcome::Aborted(ErrorKind::ClientAborted),
                    }
                }
            }
        };
        match relayed {
            Ok(()) => {}
            Err(RelayError::Write(_)) => return Outcome::Aborted(ErrorKind::ClientAborted),
            Err(RelayError::Read(_)) | Err(RelayError::Malformed(_)) => {
                return Outcome::Aborted(ErrorKind::UpstreamAborted)
            }
        }
        if outbound == Outbound::Chunked || outbound == Outbound::UntilClose {
            let _ = writer.flush().await;
        }
        let reusable =
            response.reusable && body_state == BodyState::Sent && upstream.buf.is_empty();
        let buf = std::mem::take(&mut upstream.buf);
        (keep_client && body_state == BodyState::Sent, reusable, buf)
    };
    Outcome::Done {
        keep_client,
        upstream: reusable.then_some(Connection { stream, buf }),
    }
}

enum HeadFailure {
    /// The upstream closed before sending a single byte.
    ClosedEarly,
    /// The client went away while an interim response was relayed.
    ClientGone,
    Failed(ProxyError),
}

/// Reads response heads until the final one, relaying 1xx interim responses to HTTP/1.1 clients.
async fn read_final_head(
    upstream: &mut BufReader<ReadHalf<'_>>,
    client: &mut tokio::net::tcp::OwnedWriteHalf,
    for_head: bool,
    client_version: Version,
) -> Result<ResponseHead, HeadFailure> {
    let mut received = false;
    loop {
        let head = loop {
            match response::parse(&mut upstream.buf, for_head) {
                Ok(Some(head)) => break head,
                Ok(None) => {}
                Err(err) => return Err(HeadFailure::Failed(err)),
            }
            match upstream.fill().await {
                Ok(0) if !received && upstream.buf.is_empty() => {
                    return Err(HeadFailure::ClosedEarly)
                }
                Ok(0) => {
                    return Err(HeadFailure::Failed(ProxyError::new(
                        ErrorKind::BadResponse,
                        &msg::SITE_CLOSED_MIDWAY,
                    )))
                }
                Err(e) if !received && upstream.buf.is_empty() && is_reset(&e) => {
                    return Err(HeadFailure::ClosedEarly)
                }
                Err(e) => {
                    return Err(HeadFailure::Failed(ProxyError::new(
                        ErrorKind::UpstreamRefused,
                        Message::new(&msg::SITE_CONNECTION_FAILED).with("detail", e),
                    )))
                }
                Ok(_) => received = true,
            }
        };
        if !head.is_interim() {
            return Ok(head);
        }
        if head.status == 101 {
            return Err(HeadFailure::Failed(ProxyError::new(
                ErrorKind::BadResponse,
                &msg::SITE_SWITCHED_PROTOCOLS,
            )));
        }
        // HTTP/1.0 clients do not understand 1xx responses (RFC 9110 §15.2).
        if client_version == Version::Http11 {
            let mut out = Vec::with_capacity(256);
            head.write_client(&mut out, client_version, Outbound::Empty, true);
            if client.write_all(&out).await.is_err() {
                return Err(HeadFailure::ClientGone);
            }
        }
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

/// Sends an error page for a request that got no response. The connection stays open only if
/// the request body was consumed and the client wants keep-alive.
async fn answer_error(
    client: &mut Client,
    head: &RequestHead,
    ex: &mut Exchange,
    counters: &Counters,
    err: ProxyError,
    body_done: bool,
) -> bool {
    ex.fail(counters, err.kind);
    ex.record.status = err.kind.status();
    let keep = head.keep_alive && body_done && err.kind != ErrorKind::BadRequest;
    let page = pages::error(head.lang(), &err, !keep);
    client.writer.write_all(&page).await.is_ok() && keep
}
