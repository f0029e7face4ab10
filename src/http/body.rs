//! Streaming message bodies from one side to the other, whatever their framing.
//!
//! Bodies pass through a buffer of at most [`READ_CHUNK`](super::READ_CHUNK) bytes at a time:
//! a 64 GiB download costs the same memory as a 1 KiB one. Chunked bodies are decoded (with
//! `httparse::parse_chunk_size`) and either re-chunked with the same chunk sizes and trailers,
//! or de-chunked for HTTP/1.0 clients. A close-delimited body can be chunked for an HTTP/1.1
//! client so its connection stays usable.

use std::io;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{BufReader, Framing, MAX_HEAD_BYTES};
use crate::i18n::Entry;
use crate::messages as msg;
use crate::splice::{within, SpliceError, Splicer, Waits};
use crate::stats::Meter;

/// How the body is written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The bytes as they are (Content-Length or close-delimited output).
    Identity,
    /// Chunked transfer coding.
    Chunked,
}

/// Why a relay stopped early.
#[derive(Debug)]
pub enum RelayError {
    /// Reading from the source failed, timed out, or the source ended before the body did.
    Read(io::Error),
    /// Writing to the destination failed (it went away).
    Write(io::Error),
    /// The source sent something that is not valid chunked coding: what (a `CHUNK_` entry of
    /// the engine catalogue).
    Malformed(&'static Entry),
}

impl std::fmt::Display for RelayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelayError::Read(e) => write!(f, "read failed: {e}"),
            RelayError::Write(e) => write!(f, "write failed: {e}"),
            RelayError::Malformed(what) => write!(f, "malformed chunked body: {}", what.en),
        }
    }
}

/// Copies one body framed as `framing` from `src` to `dst`, written as `encoding`. Bytes of
/// the body are counted by `meter` as they are written. `waits` bounds each wait for input and
/// for the destination: a body that stops moving is cut, however slowly it moves otherwise.
pub async fn relay<R, W>(
    src: &mut BufReader<R>,
    dst: &mut W,
    framing: Framing,
    encoding: Encoding,
    meter: &Meter<'_>,
    waits: Waits,
) -> Result<(), RelayError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    BodyRelay::new(framing, encoding)
        .finish(src, dst, meter, waits)
        .await
}

/// One body on its way from a source to a destination.
///
/// [`take_buffered`](Self::take_buffered) moves what already arrived with the head into the
/// caller's output, so a small message goes out as head and body in one write;
/// [`finish`](Self::finish) streams the rest.
pub struct BodyRelay {
    state: Remaining,
    encoding: Encoding,
}

/// What is left of the body.
enum Remaining {
    Done,
    Length(u64),
    Chunked(ChunkedDecoder),
    /// Until the source closes (a final empty chunk ends chunked output).
    UntilClose,
}

impl BodyRelay {
    pub fn new(framing: Framing, encoding: Encoding) -> BodyRelay {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => Remaining::Done,
            Framing::Length(n) => Remaining::Length(n),
            Framing::Chunked => Remaining::Chunked(ChunkedDecoder::new(encoding)),
            Framing::UntilClose => Remaining::UntilClose,
        };
        BodyRelay { state, encoding }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, Remaining::Done)
    }

    /// Moves the body bytes already in `src` into `out`, encoded for the destination; returns
    /// how many body bytes that was. What belongs to the next message stays in `src`.
    pub fn take_buffered(
        &mut self,
        src: &mut BytesMut,
        out: &mut Vec<u8>,
    ) -> Result<u64, RelayError> {
        match &mut self.state {
            Remaining::Done => Ok(0),
            Remaining::Length(left) => {
                let take = (*left).min(src.len() as u64) as usize;
                out.extend_from_slice(&src[..take]);
                src.advance(take);
                *left -= take as u64;
                if *left == 0 {
                    self.state = Remaining::Done;
                }
                Ok(take as u64)
            }
            Remaining::Chunked(decoder) => {
                let data = decoder.decode(src, out)?;
                if decoder.is_done() {
                    self.state = Remaining::Done;
                }
                Ok(data)
            }
            Remaining::UntilClose => {
                let n = src.len();
                if n > 0 {
                    if self.encoding == Encoding::Chunked {
                        write_chunk_header(out, n as u64);
                        out.extend_from_slice(src);
                        out.extend_from_slice(b"\r\n");
                    } else {
                        out.extend_from_slice(src);
                    }
                    src.clear();
                }
                Ok(n as u64)
            }
        }
    }

    /// Streams the rest of the body from `src` to `dst`.
    pub async fn finish<R, W>(
        &mut self,
        src: &mut BufReader<R>,
        dst: &mut W,
        meter: &Meter<'_>,
        waits: Waits,
    ) -> Result<(), RelayError>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut out = Vec::new();
        loop {
            match &mut self.state {
                Remaining::Done => return Ok(()),
                // Length-delimited bytes go straight from the read buffer, without a copy.
                Remaining::Length(left) => {
                    src.expect(*left);
                    if src.buf.is_empty() && fill_some(src, waits).await? == 0 {
                        return Err(unexpected_eof());
                    }
                    let take = (*left).min(src.buf.len() as u64) as usize;
                    write_all(dst, &src.buf[..take], waits).await?;
                    src.buf.advance(take);
                    meter.add(take as u64);
                    *left -= take as u64;
                    if *left == 0 {
                        self.state = Remaining::Done;
                    }
                    continue;
                }
                Remaining::UntilClose if self.encoding == Encoding::Identity => {
                    if src.buf.is_empty() && fill_some(src, waits).await? == 0 {
                        self.state = Remaining::Done;
                        continue;
                    }
                    let n = src.buf.len();
                    write_all(dst, &src.buf, waits).await?;
                    src.buf.clear();
                    meter.add(n as u64);
                    continue;
                }
                _ => {}
            }
            // Chunked input or chunked output: decode or encode into `out`, write it.
            out.clear();
            let data = self.take_buffered(&mut src.buf, &mut out)?;
            if !out.is_empty() {
                write_all(dst, &out, waits).await?;
                meter.add(data);
            }
            if self.is_done() {
                return Ok(());
            }
            if fill_some(src, waits).await? == 0 {
                if matches!(self.state, Remaining::UntilClose) {
                    self.state = Remaining::Done;
                    write_all(dst, b"0\r\n\r\n", waits).await?;
                    return Ok(());
                }
                return Err(unexpected_eof());
            }
        }
    }
}

impl BodyRelay {
    /// Like [`finish`](Self::finish), between two TCP sockets: a large Content-Length body
    /// moves with `splice(2)` where the platform has it, never entering this process.
    pub async fn finish_tcp<R, W>(
        &mut self,
        src: &mut BufReader<R>,
        dst: &mut W,
        meter: &Meter<'_>,
        waits: Waits,
    ) -> Result<(), RelayError>
    where
        R: AsyncRead + Unpin + AsRef<TcpStream>,
        W: AsyncWrite + Unpin + AsRef<TcpStream>,
    {
        if let Remaining::Length(left) = self.state {
            let buffered = (src.buf.len() as u64).min(left);
            if left - buffered >= SPLICE_MIN {
                if let Some(mut splicer) = Splicer::new() {
                    let take = buffered as usize;
                    write_all(dst, &src.buf[..take], waits).await?;
                    src.buf.advance(take);
                    meter.add(buffered);
                    let rest = left - buffered;
                    let moved = splicer
                        .relay(src.io.as_ref(), dst.as_ref(), Some(rest), waits, |n| {
                            meter.add(n)
                        })
                        .await
                        .map_err(|e| match e {
                            SpliceError::Source(e) => RelayError::Read(e),
                            SpliceError::Destination(e) => RelayError::Write(e),
                        })?;
                    if moved < rest {
                        self.state = Remaining::Length(rest - moved);
                        return Err(unexpected_eof());
                    }
                    self.state = Remaining::Done;
                    return Ok(());
                }
            }
        }
        self.finish(src, dst, meter, waits).await
    }
}

/// Bodies at least this long (beyond what is buffered) are spliced rather than copied: below
/// it, making a pipe costs more than the copies it saves.
const SPLICE_MIN: u64 = 256 * 1024;

/// Reads more input, waiting at most `waits.read`; returns 0 at the end of the stream.
async fn fill_some<R: AsyncRead + Unpin>(
    src: &mut BufReader<R>,
    waits: Waits,
) -> Result<usize, RelayError> {
    within(waits.read, src.fill())
        .await
        .map_err(RelayError::Read)
}

/// Writes all of `data`; each wait for the destination to take more is bounded by
/// `waits.write` (a slow reader is waited for, one that stops reading is not).
async fn write_all<W: AsyncWrite + Unpin>(
    dst: &mut W,
    mut data: &[u8],
    waits: Waits,
) -> Result<(), RelayError> {
    while !data.is_empty() {
        let n = within(waits.write, dst.write(data))
            .await
            .map_err(RelayError::Write)?;
        if n == 0 {
            return Err(RelayError::Write(io::ErrorKind::WriteZero.into()));
        }
        data = &data[n..];
    }
    Ok(())
}

fn unexpected_eof() -> RelayError {
    RelayError::Read(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection closed before the body was complete",
    ))
}

fn write_chunk_header(out: &mut Vec<u8>, size: u64) {
    use std::io::Write;
    let _ = write!(out, "{size:x}\r\n");
}

/// The longest chunk-size line accepted (size, extensions, CRLF): long extensions are an attack.
const MAX_CHUNK_LINE: usize = 4096;

/// Where the decoder is in a chunked body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(u64),
    /// Expecting the CRLF that ends chunk data.
    DataEnd,
    /// After the last chunk: trailer fields up to the empty line.
    Trailers,
    Done,
}

/// Incremental chunked decoder: consumes input from a buffer, appends output to another.
pub struct ChunkedDecoder {
    state: State,
    encoding: Encoding,
}

impl ChunkedDecoder {
    pub fn new(encoding: Encoding) -> Self {
        ChunkedDecoder {
            state: State::Size,
            encoding,
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as possible, appending the output (re-chunked or plain) to
    /// `out`. Consumed input is removed; a partial element stays for the next call. Returns the
    /// number of body data bytes produced.
    pub fn decode(&mut self, input: &mut BytesMut, out: &mut Vec<u8>) -> Result<u64, RelayError> {
        let mut data = 0;
        loop {
            match self.state {
                State::Size => match httparse::parse_chunk_size(input) {
                    // The same limit whether the line came in one read or in pieces.
                    Ok(httparse::Status::Complete((used, _))) if used > MAX_CHUNK_LINE => {
                        return Err(RelayError::Malformed(&msg::CHUNK_SIZE_LINE_TOO_LONG));
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        input.advance(used);
                        if size == 0 {
                            self.state = State::Trailers;
                        } else {
                            if self.encoding == Encoding::Chunked {
                                write_chunk_header(out, size);
                            }
                            self.state = State::Data(size);
                        }
                    }
                    Ok(httparse::Status::Partial) => {
                        if input.len() > MAX_CHUNK_LINE {
                            return Err(RelayError::Malformed(&msg::CHUNK_SIZE_LINE_TOO_LONG));
                        }
                        return Ok(data);
                    }
                    Err(_) => return Err(RelayError::Malformed(&msg::CHUNK_SIZE_INVALID)),
                },
                State::Data(left) => {
                    if input.is_empty() {
                        return Ok(data);
                    }
                    let take = left.min(input.len() as u64) as usize;
                    out.extend_from_slice(&input[..take]);
                    input.advance(take);
                    data += take as u64;
                    self.state = if left == take as u64 {
                        State::DataEnd
                    } else {
                        State::Data(left - take as u64)
                    };
                }
                State::DataEnd => {
                    if input.len() < 2 {
                        return Ok(data);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(RelayError::Malformed(&msg::CHUNK_NO_CRLF));
                    }
                    input.advance(2);
                    if self.encoding == Encoding::Chunked {
                        out.extend_from_slice(b"\r\n");
                    }
                    self.state = State::Size;
                }
                State::Trailers => {
                    let mut slots = [httparse::EMPTY_HEADER; 64];
                    match httparse::parse_headers(input, &mut slots) {
                        Ok(httparse::Status::Complete((used, _))) if used > MAX_HEAD_BYTES => {
                            return Err(RelayError::Malformed(&msg::CHUNK_TRAILERS_TOO_LARGE));
                        }
                        Ok(httparse::Status::Complete((used, _))) => {
                            if self.encoding == Encoding::Chunked {
                                out.extend_from_slice(b"0\r\n");
                                out.extend_from_slice(&input[..used]);
                            }
                            input.advance(used);
                            self.state = State::Done;
                        }
                        Ok(httparse::Status::Partial) => {
                            if input.len() > MAX_HEAD_BYTES {
                                return Err(RelayError::Malformed(&msg::CHUNK_TRAILERS_TOO_LARGE));
                            }
                            return Ok(data);
                        }
                        Err(_) => return Err(RelayError::Malformed(&msg::CHUNK_TRAILER_INVALID)),
                    }
                }
                State::Done => return Ok(data),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn meter_of(n: &AtomicU64) -> Meter<'_> {
        Meter { total: n, this: n }
    }

    /// Feeds `input` in pieces of `step` bytes; returns the output and the leftover input.
    fn decode_in_steps(
        input: &[u8],
        step: usize,
        encoding: Encoding,
    ) -> Result<(Vec<u8>, Vec<u8>), String> {
        let mut decoder = ChunkedDecoder::new(encoding);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        for piece in input.chunks(step) {
            buf.extend_from_slice(piece);
            fed += piece.len();
            decoder
                .decode(&mut buf, &mut out)
                .map_err(|e| e.to_string())?;
            if decoder.is_done() {
                // What the decoder left, and what was not fed yet, belong to the next message.
                return Ok((out, [&buf[..], &input[fed..]].concat()));
            }
        }
        Err("incomplete".into())
    }

    const BODY: &[u8] = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: abc\r\n\r\nNEXT";

    #[test]
    fn rechunking_keeps_sizes_and_trailers_and_drops_extensions() {
        for step in [1, 2, 3, 7, BODY.len()] {
            let (out, rest) = decode_in_steps(BODY, step, Encoding::Chunked).unwrap();
            assert_eq!(
                out, b"5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: abc\r\n\r\n",
                "step {step}"
            );
            assert_eq!(rest, b"NEXT", "step {step}");
        }
    }

    #[test]
    fn dechunking_gives_the_plain_body() {
        for step in [1, 4, BODY.len()] {
            let (out, rest) = decode_in_steps(BODY, step, Encoding::Identity).unwrap();
            assert_eq!(out, b"hello, world");
            assert_eq!(rest, b"NEXT");
        }
    }

    #[test]
    fn empty_chunked_body() {
        let (out, _) = decode_in_steps(b"0\r\n\r\n", 1, Encoding::Chunked).unwrap();
        assert_eq!(out, b"0\r\n\r\n");
    }

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        for input in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"5\r\nhelloXX0\r\n\r\n",
            b"-5\r\nhello\r\n0\r\n\r\n",
            b"0\r\nBad trailer\r\n\r\n",
            b"ffffffffffffffffffff\r\n",
        ] {
            assert!(
                decode_in_steps(input, 1, Encoding::Chunked).is_err(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        let long_ext = format!("5;{}\r\n", "a".repeat(MAX_CHUNK_LINE));
        assert!(decode_in_steps(long_ext.as_bytes(), 64, Encoding::Chunked).is_err());
    }

    #[tokio::test]
    async fn length_relay_stops_at_the_length_and_keeps_the_rest() {
        let input: &[u8] = b"abcdefNEXT";
        let mut src = BufReader::new(input);
        let mut dst = Vec::new();
        let counter = AtomicU64::new(0);
        relay(
            &mut src,
            &mut dst,
            Framing::Length(6),
            Encoding::Identity,
            &meter_of(&counter),
            Waits::NONE,
        )
        .await
        .unwrap();
        assert_eq!(dst, b"abcdef");
        assert_eq!(
            counter.load(Ordering::Relaxed),
            12,
            "counted in both totals"
        );
        assert_eq!(&src.buf[..], b"NEXT");
    }

    #[tokio::test]
    async fn truncated_length_body_is_a_read_error() {
        let input: &[u8] = b"abc";
        let mut src = BufReader::new(input);
        let mut dst = Vec::new();
        let err = relay(
            &mut src,
            &mut dst,
            Framing::Length(6),
            Encoding::Identity,
            &meter_of(&AtomicU64::new(0)),
            Waits::NONE,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RelayError::Read(_)));
    }

    #[tokio::test]
    async fn close_delimited_body_can_be_chunked() {
        let input: &[u8] = b"hello";
        let mut src = BufReader::new(input);
        let mut dst = Vec::new();
        relay(
            &mut src,
            &mut dst,
            Framing::UntilClose,
            Encoding::Chunked,
            &meter_of(&AtomicU64::new(0)),
            Waits::NONE,
        )
        .await
        .unwrap();
        assert_eq!(dst, b"5\r\nhello\r\n0\r\n\r\n");
    }
}
