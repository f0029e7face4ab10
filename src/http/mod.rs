//! HTTP/1.x message heads and bodies, as a forwarding proxy needs them.
//!
//! - [`request`]: parse a client's request head, classify its target, decide its body framing
//!   (refusing anything that could be smuggled), and write the head sent upstream;
//! - [`response`]: the same for an upstream's response head and the head sent to the client;
//! - [`body`]: stream bodies between the two sides: Content-Length, chunked (re-chunked or
//!   de-chunked) and close-delimited, never buffering a whole body.
//!
//! Heads are kept as the bytes received plus index ranges into them, so rewriting a head copies
//! each kept header once and allocates nothing per header.

pub mod body;
pub mod request;
pub mod response;

use std::ops::Range;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};

/// A request or response head larger than this is refused (431 from a client, 502 from upstream)
/// unless the config says otherwise for requests.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Header lines per head by default; more is refused like an oversized head.
pub const MAX_HEADERS: usize = 128;
/// Header lines the parser has room for: the most a config may allow.
pub const HEADER_SLOTS: usize = 256;
/// The longest request target by default (414 beyond).
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// What a client's request head may be, from the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in the whole head (431 beyond).
    pub head_bytes: usize,
    /// Header lines (431 beyond); at most [`HEADER_SLOTS`].
    pub headers: usize,
    /// Bytes in the request target (414 beyond).
    pub uri_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_bytes: MAX_HEAD_BYTES,
            headers: MAX_HEADERS,
            uri_bytes: MAX_URI_BYTES,
        }
    }
}
/// The name Wicket gives itself in `Via` headers.
pub const VIA_NAME: &str = "wicket";

/// Protocol versions a head may carry (httparse accepts only these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    fn from_minor(minor: u8) -> Version {
        if minor == 0 {
            Version::Http10
        } else {
            Version::Http11
        }
    }

    /// The protocol part of a `Via` entry: `1.0` or `1.1`.
    pub fn via(self) -> &'static str {
        match self {
            Version::Http10 => "1.0",
            Version::Http11 => "1.1",
        }
    }
}

/// How the length of a message body is known (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding, ending with a zero-size chunk and trailers.
    Chunked,
    /// Everything until the sender closes the connection (responses only).
    UntilClose,
}

/// One header line as two ranges into the head's bytes.
#[derive(Clone, Debug)]
pub(crate) struct HeaderRange {
    pub name: Range<usize>,
    pub value: Range<usize>,
}

/// Position of `part` inside `whole` (both from the same buffer, as httparse returns them).
/// A `part` that does not lie inside `whole` gives an empty range rather than a panic.
pub(crate) fn range_in(whole: &[u8], part: &[u8]) -> Range<usize> {
    let base = whole.as_ptr() as usize;
    let start = (part.as_ptr() as usize).wrapping_sub(base);
    if start > whole.len() || part.len() > whole.len() - start {
        return 0..0;
    }
    start..start + part.len()
}

/// Appends the decimal digits of `n` (no allocation, unlike `to_string`).
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1).
/// Transfer-Encoding and Content-Length are also dropped and written anew from the framing.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
    "transfer-encoding",
    "content-length",
];

/// Whether a header must not be forwarded: hop-by-hop, framing, or named in `Connection`.
pub(crate) fn is_hop_by_hop(name: &[u8], connection_tokens: &[Box<str>]) -> bool {
    HOP_BY_HOP
        .iter()
        .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
        || connection_tokens
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(name))
}

/// The comma-separated tokens of a header value, trimmed, empty ones skipped.
pub(crate) fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(trim)
        .filter(|t| !t.is_empty())
}

pub(crate) fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if first.is_ascii_whitespace() {
            bytes = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = bytes {
        if last.is_ascii_whitespace() {
            bytes = rest;
        } else {
            break;
        }
    }
    bytes
}

/// Parses Content-Length values (possibly several lines, possibly comma lists): all must be the
/// same decimal number, or the message framing is unreliable and the message is refused.
pub(crate) fn content_length<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<Option<u64>, ()> {
    let mut found: Option<u64> = None;
    for value in values {
        let mut any = false;
        for token in value.split(|b| *b == b',').map(trim) {
            any = true;
            if token.is_empty() || token.len() > 19 || !token.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            let n = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
                .ok_or(())?;
            match found {
                Some(prev) if prev != n => return Err(()),
                _ => found = Some(n),
            }
        }
        if !any {
            return Err(());
        }
    }
    Ok(found)
}

/// Whether a Transfer-Encoding list ends in `chunked` with no earlier `chunked`.
/// Returns `None` when the list is empty or malformed.
pub(crate) fn chunked_is_last<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<bool> {
    let mut codings = 0;
    let mut chunked_at = None;
    let mut chunked_count = 0;
    for value in values {
        for token in value.split(|b| *b == b',').map(trim) {
            if token.is_empty() {
                continue;
            }
            // A coding is a token, optionally with parameters; anything else is malformed.
            let name = token.split(|b| *b == b';').next().map(trim).unwrap_or(b"");
            if name.is_empty() || !name.iter().all(|b| is_tchar(*b)) {
                return None;
            }
            if name.eq_ignore_ascii_case(b"chunked") {
                chunked_count += 1;
                chunked_at = Some(codings);
            }
            codings += 1;
        }
    }
    if codings == 0 {
        return None;
    }
    Some(chunked_count == 1 && chunked_at == Some(codings - 1))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A connection's read side with the bytes read but not yet used (pipelined requests, the
/// start of a body that arrived with its head).
///
/// The buffer starts small, which suits heads and small bodies and keeps allocations cheap,
/// and doubles up to [`READ_CHUNK`] while reads keep filling it, which suits bulk transfers.
pub struct BufReader<R> {
    pub io: R,
    pub buf: BytesMut,
    /// Room made for the next read.
    room: usize,
}

/// The smallest read room, enough for nearly every request head.
pub const MIN_READ: usize = 8 * 1024;
/// The largest read room, for bulk transfers.
pub const READ_CHUNK: usize = 64 * 1024;

impl<R: AsyncRead + Unpin> BufReader<R> {
    pub fn new(io: R) -> Self {
        BufReader::with_buffer(io, BytesMut::new())
    }

    /// A reader that goes on with a buffer it was given (an upstream connection's, kept with it
    /// in the pool).
    pub fn with_buffer(io: R, buf: BytesMut) -> Self {
        BufReader {
            io,
            buf,
            room: MIN_READ,
        }
    }

    /// Makes the next reads take up to `expected` bytes at once (a body of known length), within
    /// the usual bounds, instead of growing the room step by step.
    pub fn expect(&mut self, expected: u64) {
        let expected = expected.min(READ_CHUNK as u64) as usize;
        self.room = self.room.max(expected.next_power_of_two().min(READ_CHUNK));
    }

    /// Reads more bytes into the buffer; returns how many (0 at end of stream).
    pub async fn fill(&mut self) -> std::io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < self.room / 2 {
            self.buf.reserve(self.room);
        }
        let free = self.buf.capacity() - self.buf.len();
        let n = self.io.read_buf(&mut self.buf).await?;
        if n == free && self.room < READ_CHUNK {
            self.room *= 2;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cl(values: &[&str]) -> Result<Option<u64>, ()> {
        content_length(values.iter().map(|v| v.as_bytes()))
    }

    fn te(values: &[&str]) -> Option<bool> {
        chunked_is_last(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn content_length_must_be_one_decimal_number() {
        assert_eq!(cl(&[]), Ok(None));
        assert_eq!(cl(&["42"]), Ok(Some(42)));
        assert_eq!(cl(&["42", "42"]), Ok(Some(42)));
        assert_eq!(cl(&["42, 42"]), Ok(Some(42)));
        assert_eq!(cl(&["42", "43"]), Err(()));
        assert_eq!(cl(&["42, 43"]), Err(()));
        assert_eq!(cl(&["+42"]), Err(()));
        assert_eq!(cl(&["-1"]), Err(()));
        assert_eq!(cl(&["0x10"]), Err(()));
        assert_eq!(cl(&["4 2"]), Err(()));
        assert_eq!(cl(&[""]), Err(()));
        assert_eq!(cl(&["99999999999999999999"]), Err(()));
    }

    #[test]
    fn transfer_encoding_must_end_in_a_single_chunked() {
        assert_eq!(te(&["chunked"]), Some(true));
        assert_eq!(te(&["Chunked"]), Some(true));
        assert_eq!(te(&["gzip, chunked"]), Some(true));
        assert_eq!(te(&["gzip", "chunked"]), Some(true));
        assert_eq!(te(&["chunked, gzip"]), Some(false));
        assert_eq!(te(&["chunked", "chunked"]), Some(false));
        assert_eq!(te(&["identity"]), Some(false));
        assert_eq!(te(&[""]), None);
        assert_eq!(te(&["chun ked"]), None);
        assert_eq!(te(&["\"chunked\""]), None);
    }

    #[test]
    fn decimals_are_written_without_allocation() {
        for n in [0, 7, 10, 404, 1234567890, u64::MAX] {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }

    #[test]
    fn hop_by_hop_includes_connection_tokens() {
        let tokens: Vec<Box<str>> = vec!["x-secret".into()];
        assert!(is_hop_by_hop(b"Keep-Alive", &tokens));
        assert!(is_hop_by_hop(b"X-Secret", &tokens));
        assert!(is_hop_by_hop(b"proxy-authorization", &tokens));
        assert!(!is_hop_by_hop(b"Cookie", &tokens));
    }
}
