//! CONNECT tunnels: connect upstream, answer 200, then relay bytes both ways.
//!
//! Each direction runs until its source ends, then half-closes its destination, so data still in
//! flight the other way is delivered (a client that sends its last request and shuts down its
//! side still gets the whole answer). An error in either direction ends both. A tunnel waiting
//! for data holds no buffer: one is taken only while bytes are moving.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::conn::{Client, Exchange};
use crate::error::ErrorKind;
use crate::http::MIN_READ;
use crate::i18n::Lang;
use crate::pages;
use crate::server::{Listener, Settings, Shared};
use crate::splice::{SpliceError, Splicer, Waits};
use crate::stats::{Counters, GaugeGuard, Meter, Verdict};
use crate::upstream;

/// The largest buffer a tunnel direction grows to.
const TUNNEL_CHUNK: usize = 128 * 1024;

/// Opens the tunnel and relays until both directions are done. A site that cannot be reached is
/// answered in `lang`, the CONNECT request's language.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: &mut Client,
    lang: Lang,
    host: &str,
    port: u16,
    shared: &Shared,
    settings: &Settings,
    listener: &Listener,
    ex: &mut Exchange,
) {
    let counters = &shared.hub.counters;
    let upstream = match upstream::connect(host, port, settings.timeout, listener.own).await {
        Ok(stream) => stream,
        Err(err) => {
            ex.fail(counters, err.kind);
            ex.record.status = err.kind.status();
            let page = pages::plain(err.kind.status(), &err.detail.text(lang), true);
            let _ = client.writer.write_all(&page).await;
            return;
        }
    };
    Counters::add(&counters.upstream_connects, 1);
    if client
        .writer
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        ex.fail(counters, ErrorKind::ClientAborted);
        return;
    }
    Counters::add(&counters.forwarded, 1);
    ex.record.verdict = Verdict::Tunneled;
    ex.record.status = 200;
    let _open = GaugeGuard::new(&counters.open_tunnels);
    let up = Meter {
        total: &counters.bytes_up,
        this: &ex.up,
    };
    let down = Meter {
        total: &counters.bytes_down,
        this: &ex.down,
    };

    let (up_read, mut up_write) = upstream.into_split();
    // Bytes the client sent right behind the CONNECT head (a TLS ClientHello, typically). The
    // read buffer goes with them: from here on the pumps hold a buffer only while data moves.
    let early = std::mem::take(&mut client.reader.buf);
    if !early.is_empty() {
        if up_write.write_all(&early).await.is_err() {
            ex.fail(counters, ErrorKind::UpstreamAborted);
            return;
        }
        up.add(early.len() as u64);
    }
    drop(early);
    let failure = {
        let outbound = pump(&client.reader.io, &mut up_write, up);
        let inbound = pump(&up_read, &mut client.writer, down);
        tokio::pin!(outbound, inbound);
        let (mut out_done, mut in_done) = (false, false);
        // Idle check: a tunnel that moves nothing either way for `tunnel_idle` is closed.
        let period =
            (settings.tunnel_idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        let mut check = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut moved = 0;
        let mut quiet_since = tokio::time::Instant::now();
        loop {
            if out_done && in_done {
                break None;
            }
            tokio::select! {
                _ = check.tick() => {
                    let now = ex.up.load(Ordering::Relaxed) + ex.down.load(Ordering::Relaxed);
                    if now != moved {
                        moved = now;
                        quiet_since = tokio::time::Instant::now();
                    } else if quiet_since.elapsed() >= settings.tunnel_idle {
                        break Some(ErrorKind::TunnelIdle);
                    }
                }
                result = &mut outbound, if !out_done => match result {
                    Ok(()) => out_done = true,
                    Err(side) => break Some(side.blame(ErrorKind::ClientAborted, ErrorKind::UpstreamAborted)),
                },
                result = &mut inbound, if !in_done => match result {
                    Ok(()) => in_done = true,
                    Err(side) => break Some(side.blame(ErrorKind::UpstreamAborted, ErrorKind::ClientAborted)),
                },
            }
        }
    };
    if let Some(kind) = failure {
        ex.fail(counters, kind);
    }
}

/// Which end of a pump failed.
enum Side {
    Source,
    Destination,
}

impl Side {
    fn blame(&self, source: ErrorKind, destination: ErrorKind) -> ErrorKind {
        match self {
            Side::Source => source,
            Side::Destination => destination,
        }
    }
}

/// Copies from `from` to `to` until `from` ends, then shuts down `to`'s write side.
///
/// Nothing is held while the tunnel is idle: the pipe (Linux) or the buffer (elsewhere) is
/// taken when the first bytes arrive, and so is the relay's own state (boxed: carried inline,
/// it made every connection's task about 1.7 KiB larger, tunnel or not).
async fn pump(from: &OwnedReadHalf, to: &mut OwnedWriteHalf, meter: Meter<'_>) -> Result<(), Side> {
    from.readable().await.map_err(|_| Side::Source)?;
    if let Some(mut splicer) = Splicer::new() {
        Box::pin(
            splicer.relay(from.as_ref(), to.as_ref(), None, Waits::NONE, |n| {
                meter.add(n)
            }),
        )
        .await
        .map_err(|e| match e {
            SpliceError::Source(_) => Side::Source,
            SpliceError::Destination(_) => Side::Destination,
        })?;
        return to.shutdown().await.map_err(|_| Side::Destination);
    }
    Box::pin(copy(from, to, meter)).await
}

/// The portable pump: a buffer that exists only while bytes are moving, starting small
/// (interactive traffic) and doubling while reads fill it (bulk transfers).
async fn copy(from: &OwnedReadHalf, to: &mut OwnedWriteHalf, meter: Meter<'_>) -> Result<(), Side> {
    let mut room = MIN_READ;
    loop {
        from.readable().await.map_err(|_| Side::Source)?;
        let mut buf = BytesMut::with_capacity(room);
        loop {
            match from.try_read_buf(&mut buf) {
                Ok(0) => {
                    return to.shutdown().await.map_err(|_| Side::Destination);
                }
                Ok(n) => {
                    to.write_all(&buf).await.map_err(|_| Side::Destination)?;
                    meter.add(n as u64);
                    if n == buf.capacity() && room < TUNNEL_CHUNK {
                        room *= 2;
                        buf = BytesMut::with_capacity(room);
                    } else {
                        buf.clear();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(Side::Source),
            }
        }
    }
}
