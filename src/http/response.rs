//! Response heads: parsing an upstream's head, its body framing, and the head sent to the client.

use std::mem::MaybeUninit;
use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::{
    chunked_is_last, content_length, is_hop_by_hop, push_decimal, range_in, tokens, trim, Framing,
    HeaderRange, Version, HEADER_SLOTS, MAX_HEAD_BYTES, VIA_NAME,
};
use crate::error::{ErrorKind, ProxyError};
use crate::i18n::Message;
use crate::messages as msg;

/// A parsed response head, kept as received plus ranges into it.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    raw: Bytes,
    pub version: Version,
    pub status: u16,
    reason: Range<usize>,
    headers: Vec<HeaderRange>,
    connection_tokens: Vec<Box<str>>,
    /// How the upstream delimits the body of this response.
    pub framing: Framing,
    /// Transfer codings other than a lone `chunked` (`gzip, chunked`), forwarded to HTTP/1.1 clients.
    transfer_codings: Option<Range<usize>>,
    /// The declared Content-Length, kept for bodiless answers (HEAD, 304) that still carry it.
    declared_length: Option<u64>,
    /// Whether the upstream connection can serve another request after this response.
    pub reusable: bool,
}

/// How the body goes to the client, given what the upstream sends and what the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// No body.
    Empty,
    /// Content-Length of this many bytes.
    Length(u64),
    /// Chunked (re-chunked from chunked, or chunked from a close-delimited upstream body).
    Chunked,
    /// Raw bytes delimited by closing the client connection (HTTP/1.0 clients).
    UntilClose,
}

impl Outbound {
    /// Whether the client connection can carry another request after this body.
    pub fn self_delimited(self) -> bool {
        self != Outbound::UntilClose
    }
}

/// Parses a response head from the front of `buf`, taking its bytes out of the buffer.
/// `for_head`: the request was HEAD, so the response has no body whatever its headers say.
pub fn parse(buf: &mut BytesMut, for_head: bool) -> Result<Option<ResponseHead>, ProxyError> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
    let mut resp = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut resp, buf, &mut slots)
    {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD_BYTES => len,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => return Ok(None),
        Ok(_) | Err(httparse::Error::TooManyHeaders) => {
            return Err(bad(&msg::RESPONSE_HEAD_TOO_LARGE))
        }
        Err(e) => return Err(bad(Message::new(&msg::RESPONSE_MALFORMED).with("detail", e))),
    };
    let whole: &[u8] = &buf[..len];
    let status = resp.code.unwrap_or(0);
    if !(100..=599).contains(&status) {
        return Err(bad(
            Message::new(&msg::RESPONSE_STATUS).with("status", format_args!("{status:03}"))
        ));
    }
    let version = Version::from_minor(resp.version.unwrap_or(1));
    let reason = reason_range(whole);
    let headers: Vec<HeaderRange> = resp
        .headers
        .iter()
        .map(|h| HeaderRange {
            name: range_in(whole, h.name.as_bytes()),
            value: range_in(whole, h.value),
        })
        .collect();
    // A copy, not a split: the head must not keep the read buffer alive (a tunnel keeps its
    // CONNECT head for its whole life), and the buffer stays reusable for the next message.
    let raw = Bytes::copy_from_slice(&buf[..len]);
    buf.advance(len);
    let mut head = ResponseHead {
        raw,
        version,
        status,
        reason,
        headers,
        connection_tokens: Vec::new(),
        framing: Framing::Empty,
        transfer_codings: None,
        declared_length: None,
        reusable: false,
    };
    head.read_headers(for_head)?;
    Ok(Some(head))
}

/// The reason phrase of the status line `HTTP/1.1 200 Reason`, whatever bytes it holds
/// (httparse gives only UTF-8 reasons, but obs-text is allowed there).
fn reason_range(head: &[u8]) -> Range<usize> {
    // httparse skips empty lines before the status line.
    let start = head
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(0);
    let line_end = head[start..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(head.len(), |p| start + p);
    let line_end = if head[..line_end].ends_with(b"\r") {
        line_end - 1
    } else {
        line_end
    };
    // "HTTP/1.1" SP 3DIGIT SP reason
    let reason_at = start + "HTTP/1.1 200 ".len();
    if line_end > reason_at {
        reason_at..line_end
    } else {
        0..0
    }
}

fn bad(detail: impl Into<Message>) -> ProxyError {
    ProxyError::new(ErrorKind::BadResponse, detail)
}

impl ResponseHead {
    fn read_headers(&mut self, for_head: bool) -> Result<(), ProxyError> {
        let mut close = self.version == Version::Http10;
        let mut te_lines = Vec::new();
        let mut has_cl = false;
        for h in &self.headers {
            let name = &self.raw[h.name.clone()];
            if name.eq_ignore_ascii_case(b"connection") {
                for token in tokens(&self.raw[h.value.clone()]) {
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if !token.eq_ignore_ascii_case(b"keep-alive") {
                        self.connection_tokens
                            .push(String::from_utf8_lossy(token).into_owned().into_boxed_str());
                    }
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                te_lines.push(h.value.clone());
            } else if name.eq_ignore_ascii_case(b"content-length") {
                has_cl = true;
            }
        }
        if has_cl {
            let values = self
                .headers
                .iter()
                .filter(|h| self.raw[h.name.clone()].eq_ignore_ascii_case(b"content-length"))
                .map(|h| &self.raw[h.value.clone()]);
            match content_length(values) {
                Ok(n) => self.declared_length = n,
                // With Transfer-Encoding the length is ignored anyway (RFC 9112 §6.3).
                Err(()) if !te_lines.is_empty() => {}
                Err(()) => return Err(bad(&msg::RESPONSE_LENGTH)),
            }
        }
        let bodiless = for_head
            || (100..200).contains(&self.status)
            || self.status == 204
            || self.status == 304;
        if !te_lines.is_empty() {
            let chunked = chunked_is_last(te_lines.iter().map(|r| &self.raw[r.clone()]));
            if te_lines.len() == 1
                && !trim(&self.raw[te_lines[0].clone()]).eq_ignore_ascii_case(b"chunked")
            {
                self.transfer_codings = Some(te_lines[0].clone());
            }
            self.framing = match chunked {
                Some(true) => Framing::Chunked,
                _ => Framing::UntilClose,
            };
            // A message with both is a smuggling shape: use it once, then drop the connection.
            if has_cl {
                close = true;
            }
        } else if let Some(n) = self.declared_length {
            self.framing = if n == 0 {
                Framing::Empty
            } else {
                Framing::Length(n)
            };
        } else {
            self.framing = Framing::UntilClose;
        }
        if bodiless {
            self.framing = Framing::Empty;
        }
        self.reusable = !close && self.framing != Framing::UntilClose;
        Ok(())
    }

    /// A 1xx response: relayed (to HTTP/1.1 clients) and followed by the real one.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status)
    }

    /// How the body will be sent to a client speaking `client`.
    pub fn outbound(&self, client: Version) -> Outbound {
        match self.framing {
            Framing::Empty => Outbound::Empty,
            Framing::Length(n) => Outbound::Length(n),
            Framing::Chunked if client == Version::Http11 => Outbound::Chunked,
            Framing::UntilClose if client == Version::Http11 && self.transfer_codings.is_none() => {
                Outbound::Chunked
            }
            Framing::Chunked | Framing::UntilClose => Outbound::UntilClose,
        }
    }

    /// Writes the head for the client: our status line, end-to-end headers unchanged and in
    /// order, framing for `outbound`, `Via`, and `Connection` as decided by `keep_alive`.
    pub fn write_client(
        &self,
        out: &mut Vec<u8>,
        client: Version,
        outbound: Outbound,
        keep_alive: bool,
    ) {
        out.extend_from_slice(b"HTTP/1.1 ");
        push_decimal(out, u64::from(self.status));
        out.push(b' ');
        out.extend_from_slice(&self.raw[self.reason.clone()]);
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            let name = &self.raw[h.name.clone()];
            if is_hop_by_hop(name, &self.connection_tokens) {
                continue;
            }
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&self.raw[h.value.clone()]);
            out.extend_from_slice(b"\r\n");
        }
        let codings = self.transfer_codings.as_ref().map(|r| &self.raw[r.clone()]);
        match outbound {
            Outbound::Length(n) => content_length_header(out, n),
            Outbound::Chunked if self.framing == Framing::Chunked => {
                header(out, b"Transfer-Encoding", codings.unwrap_or(b"chunked"))
            }
            Outbound::Chunked => header(out, b"Transfer-Encoding", b"chunked"),
            Outbound::UntilClose => {
                if let (Some(c), Version::Http11, Framing::UntilClose) =
                    (codings, client, self.framing)
                {
                    header(out, b"Transfer-Encoding", c);
                }
            }
            Outbound::Empty => {
                // HEAD and 304 answers describe the body they would have had.
                if !self.is_interim() && self.status != 204 {
                    let had_te = self.headers.iter().any(|h| {
                        self.raw[h.name.clone()].eq_ignore_ascii_case(b"transfer-encoding")
                    });
                    if had_te {
                        if client == Version::Http11 {
                            header(out, b"Transfer-Encoding", codings.unwrap_or(b"chunked"));
                        }
                    } else if let Some(n) = self.declared_length {
                        content_length_header(out, n);
                    }
                }
            }
        }
        out.extend_from_slice(b"Via: ");
        out.extend_from_slice(self.version.via().as_bytes());
        out.push(b' ');
        out.extend_from_slice(VIA_NAME.as_bytes());
        out.extend_from_slice(b"\r\n");
        if !self.is_interim() {
            if !keep_alive {
                out.extend_from_slice(b"Connection: close\r\n");
            } else if client == Version::Http10 {
                out.extend_from_slice(b"Connection: keep-alive\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn content_length_header(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"Content-Length: ");
    push_decimal(out, n);
    out.extend_from_slice(b"\r\n");
}

fn header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str, for_head: bool) -> Result<Option<ResponseHead>, ProxyError> {
        parse(&mut BytesMut::from(text), for_head)
    }

    fn ok(text: &str) -> ResponseHead {
        parse_str(text, false).unwrap().unwrap()
    }

    fn client_head(text: &str, client: Version, keep_alive: bool) -> String {
        let head = ok(text);
        let mut out = Vec::new();
        head.write_client(&mut out, client, head.outbound(client), keep_alive);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn framing_follows_rfc_9112() {
        assert_eq!(
            ok("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n").framing,
            Framing::Length(10)
        );
        assert_eq!(
            ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing,
            Framing::Chunked
        );
        assert_eq!(ok("HTTP/1.1 200 OK\r\n\r\n").framing, Framing::UntilClose);
        assert_eq!(
            ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").framing,
            Framing::UntilClose
        );
        assert_eq!(
            ok("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n").framing,
            Framing::Empty
        );
        assert_eq!(
            ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").framing,
            Framing::Empty
        );
        assert_eq!(ok("HTTP/1.1 100 Continue\r\n\r\n").framing, Framing::Empty);
        let head = parse_str("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(head.framing, Framing::Empty);
    }

    #[test]
    fn transfer_encoding_wins_over_content_length_and_the_connection_is_not_reused() {
        let head =
            ok("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.reusable);
        let out = client_head(
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
            Version::Http11,
            true,
        );
        assert!(!out.contains("Content-Length"), "{out}");
    }

    #[test]
    fn invalid_content_length_is_a_bad_response() {
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad header\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
        ] {
            assert_eq!(
                parse_str(text, false).unwrap_err().kind,
                ErrorKind::BadResponse,
                "{text}"
            );
        }
    }

    #[test]
    fn reason_phrase_may_hold_any_bytes_and_status_must_be_100_to_599() {
        let head = parse(
            &mut BytesMut::from(
                &b"HTTP/1.1 200 \xc3\x9cberall \xff\r\nContent-Length: 0\r\n\r\n"[..],
            ),
            false,
        )
        .unwrap()
        .unwrap();
        let mut out = Vec::new();
        head.write_client(&mut out, Version::Http11, Outbound::Empty, true);
        assert!(out.starts_with(b"HTTP/1.1 200 \xc3\x9cberall \xff\r\n"));
        let head = ok("\r\nHTTP/1.1 404 Not Found\r\n\r\n");
        let mut out = Vec::new();
        head.write_client(&mut out, Version::Http11, Outbound::Empty, true);
        assert!(
            out.starts_with(b"HTTP/1.1 404 Not Found\r\n"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        let head = ok("HTTP/1.1 204\r\n\r\n");
        let mut out = Vec::new();
        head.write_client(&mut out, Version::Http11, Outbound::Empty, true);
        assert!(out.starts_with(b"HTTP/1.1 204 \r\n"));
        for text in [
            "HTTP/1.1 000 Zero\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 600 High\r\n\r\n",
        ] {
            assert_eq!(
                parse_str(text, false).unwrap_err().kind,
                ErrorKind::BadResponse,
                "{text}"
            );
        }
    }

    #[test]
    fn reuse_needs_http11_without_close_and_a_delimited_body() {
        assert!(ok("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n").reusable);
        assert!(ok("HTTP/1.1 204 No Content\r\n\r\n").reusable);
        assert!(!ok("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n").reusable);
        assert!(!ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").reusable);
        assert!(!ok("HTTP/1.1 200 OK\r\n\r\n").reusable);
    }

    #[test]
    fn client_head_strips_hop_by_hop_and_adds_via() {
        let out = client_head(
            "HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\n\
             Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\n\r\n",
            Version::Http11,
            true,
        );
        assert_eq!(out, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\nVia: 1.1 wicket\r\n\r\n");
    }

    #[test]
    fn http10_client_never_gets_chunked() {
        let head = ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(head.outbound(Version::Http10), Outbound::UntilClose);
        let out = client_head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Version::Http10,
            false,
        );
        assert!(!out.to_ascii_lowercase().contains("chunked"), "{out}");
        assert!(out.contains("Connection: close\r\n"));
    }

    #[test]
    fn close_delimited_body_is_chunked_for_http11_clients() {
        let head = ok("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
        assert_eq!(head.outbound(Version::Http11), Outbound::Chunked);
        assert_eq!(head.outbound(Version::Http10), Outbound::UntilClose);
        let out = client_head("HTTP/1.0 200 OK\r\n\r\n", Version::Http11, true);
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nVia: 1.0 wicket\r\n\r\n"
        );
    }

    #[test]
    fn bodiless_answers_keep_their_declared_length() {
        let head = parse_str("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true)
            .unwrap()
            .unwrap();
        let mut out = Vec::new();
        head.write_client(
            &mut out,
            Version::Http11,
            head.outbound(Version::Http11),
            true,
        );
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("Content-Length: 1234\r\n"));
    }

    #[test]
    fn keep_alive_for_http10_client_is_announced() {
        let out = client_head(
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Version::Http10,
            true,
        );
        assert!(out.contains("Connection: keep-alive\r\n"), "{out}");
    }
}
