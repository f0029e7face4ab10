//! Request heads: parsing, target classification, framing checks, and the head sent upstream.

use std::mem::MaybeUninit;
use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::{
    chunked_is_last, content_length, is_hop_by_hop, push_decimal, range_in, tokens, trim, Framing,
    HeaderRange, Limits, Version, HEADER_SLOTS, VIA_NAME,
};
use crate::error::{ErrorKind, ProxyError};
use crate::i18n::Message;
use crate::messages as msg;
use crate::rules::normalize_host;

/// Where a request wants to go, from its request-target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `http://host[:port]/path?query` (absolute-form): forwarded.
    Http {
        /// Normalized host (lower case, no brackets or trailing dot), for rules and connecting.
        host: String,
        port: u16,
    },
    /// `host:port` (authority-form, CONNECT only): tunneled.
    Connect { host: String, port: u16 },
    /// `/path` or `*` (origin- or asterisk-form): a request for the proxy itself.
    Local,
}

/// A parsed request head. The bytes are kept as received; everything else indexes into them.
#[derive(Clone, Debug)]
pub struct RequestHead {
    raw: Bytes,
    method: Range<usize>,
    /// The request-target as sent.
    target_text: Range<usize>,
    /// For `Target::Http`: the authority (Host header value) and the path-and-query.
    authority: Range<usize>,
    path: Range<usize>,
    pub target: Target,
    pub version: Version,
    headers: Vec<HeaderRange>,
    /// Header names listed in `Connection`, dropped like the standard hop-by-hop ones.
    connection_tokens: Vec<Box<str>>,
    /// How the request body is delimited.
    pub framing: Framing,
    /// The Transfer-Encoding codings when they are more than plain `chunked` (kept upstream).
    transfer_codings: Option<Range<usize>>,
    /// Whether the client wants the connection kept open after this exchange.
    pub keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending the body.
    pub expect_continue: bool,
}

/// Parses a request head from the front of `buf` within the default [`Limits`]. On success the
/// head's bytes are taken out of `buf` (what follows, a body or the next request, stays).
/// `Ok(None)`: the head is incomplete.
pub fn parse(buf: &mut BytesMut) -> Result<Option<RequestHead>, ProxyError> {
    parse_with(buf, &Limits::default())
}

/// [`parse`] within the given limits: 431 for a head too large or with too many header lines,
/// 414 for a request target too long.
pub fn parse_with(buf: &mut BytesMut, limits: &Limits) -> Result<Option<RequestHead>, ProxyError> {
    // Uninitialized slots: initializing them all would cost more than parsing a typical head.
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
    let slots = &mut slots[..limits.headers.clamp(1, HEADER_SLOTS)];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            // A request line still without its end, already longer than any allowed target.
            if !buf.contains(&b'\n') && buf.len() > limits.uri_bytes + REQUEST_LINE_EXTRA {
                return Err(uri_too_long(limits));
            }
            if buf.len() > limits.head_bytes {
                return Err(too_large(limits));
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ProxyError::new(
                ErrorKind::HeadTooLarge,
                Message::new(&msg::REQUEST_TOO_MANY_LINES).with("max", limits.headers),
            ))
        }
        Err(e) => {
            return Err(ProxyError::bad_request(
                Message::new(&msg::REQUEST_MALFORMED).with("detail", e),
            ))
        }
    };
    if req.path.is_some_and(|p| p.len() > limits.uri_bytes) {
        return Err(uri_too_long(limits));
    }
    if len > limits.head_bytes {
        return Err(too_large(limits));
    }
    let whole: &[u8] = &buf[..len];
    let method = range_in(whole, req.method.unwrap_or("").as_bytes());
    let target_text = range_in(whole, req.path.unwrap_or("").as_bytes());
    let version = Version::from_minor(req.version.unwrap_or(1));
    let headers: Vec<HeaderRange> = req
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
    RequestHead::build(raw, method, target_text, version, headers).map(Some)
}

/// Room for the method, spaces and version around the target on a request line.
const REQUEST_LINE_EXTRA: usize = 32;

fn too_large(limits: &Limits) -> ProxyError {
    ProxyError::new(
        ErrorKind::HeadTooLarge,
        Message::new(&msg::REQUEST_HEAD_TOO_LARGE).with("max", limits.head_bytes),
    )
}

fn uri_too_long(limits: &Limits) -> ProxyError {
    ProxyError::new(
        ErrorKind::UriTooLong,
        Message::new(&msg::REQUEST_URI_TOO_LONG).with("max", limits.uri_bytes),
    )
}

impl RequestHead {
    fn build(
        raw: Bytes,
        method: Range<usize>,
        target_text: Range<usize>,
        version: Version,
        headers: Vec<HeaderRange>,
    ) -> Result<RequestHead, ProxyError> {
        let mut head = RequestHead {
            raw,
            method,
            target_text,
            authority: 0..0,
            path: 0..0,
            target: Target::Local,
            version,
            headers,
            connection_tokens: Vec::new(),
            framing: Framing::Empty,
            transfer_codings: None,
            keep_alive: version == Version::Http11,
            expect_continue: false,
        };
        head.classify_target()?;
        head.read_headers()?;
        Ok(head)
    }

    fn classify_target(&mut self) -> Result<(), ProxyError> {
        let text = &self.raw[self.target_text.clone()];
        let base = self.target_text.start;
        if self.method() == "CONNECT" {
            let (host, port) = split_authority(text, None)
                .ok_or_else(|| ProxyError::bad_request(&msg::CONNECT_NEEDS_AUTHORITY))?;
            self.target = Target::Connect { host, port };
            return Ok(());
        }
        if text.first() == Some(&b'/') || text == b"*" {
            self.target = Target::Local;
            return Ok(());
        }
        let Some(sep) = find(text, b"://") else {
            return Err(ProxyError::bad_request(&msg::TARGET_NOT_A_URL));
        };
        let scheme = &text[..sep];
        if scheme.is_empty()
            || !scheme[0].is_ascii_alphabetic()
            || !scheme
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        {
            return Err(ProxyError::bad_request(&msg::TARGET_NOT_A_URL));
        }
        if !scheme.eq_ignore_ascii_case(b"http") {
            return Err(ProxyError::new(
                ErrorKind::UnsupportedScheme,
                Message::new(&msg::TARGET_SCHEME).with("scheme", String::from_utf8_lossy(scheme)),
            ));
        }
        let rest = sep + 3;
        let end = text[rest..]
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .map_or(text.len(), |p| rest + p);
        if text.contains(&b'#') {
            return Err(ProxyError::bad_request(&msg::TARGET_FRAGMENT));
        }
        let authority = &text[rest..end];
        if authority.contains(&b'@') {
            return Err(ProxyError::bad_request(&msg::TARGET_USERINFO));
        }
        let (host, port) = split_authority(authority, Some(80))
            .ok_or_else(|| ProxyError::bad_request(&msg::TARGET_HOST_OR_PORT))?;
        self.authority = base + rest..base + end;
        self.path = base + end..base + text.len();
        self.target = Target::Http { host, port };
        Ok(())
    }

    fn read_headers(&mut self) -> Result<(), ProxyError> {
        let mut hosts = 0;
        let mut has_te = false;
        let mut has_cl = false;
        let mut wants_close = false;
        let mut wants_keep_alive = false;
        for h in &self.headers {
            let name = &self.raw[h.name.clone()];
            let value = &self.raw[h.value.clone()];
            if name.eq_ignore_ascii_case(b"connection")
                || name.eq_ignore_ascii_case(b"proxy-connection")
            {
                for token in tokens(value) {
                    if token.eq_ignore_ascii_case(b"close") {
                        wants_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        wants_keep_alive = true;
                    } else if name.eq_ignore_ascii_case(b"connection") {
                        self.connection_tokens
                            .push(String::from_utf8_lossy(token).into_owned().into_boxed_str());
                    }
                }
            } else if name.eq_ignore_ascii_case(b"host") {
                hosts += 1;
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                has_te = true;
            } else if name.eq_ignore_ascii_case(b"content-length") {
                has_cl = true;
            } else if name.eq_ignore_ascii_case(b"expect") {
                self.expect_continue = trim(value).eq_ignore_ascii_case(b"100-continue");
            }
        }
        if hosts > 1 {
            return Err(ProxyError::bad_request(&msg::REQUEST_HOST_TWICE));
        }
        self.keep_alive = !wants_close && (self.version == Version::Http11 || wants_keep_alive);
        if has_te {
            if has_cl {
                return Err(ProxyError::bad_request(&msg::REQUEST_LENGTH_AND_CHUNKED));
            }
            if self.version == Version::Http10 {
                return Err(ProxyError::bad_request(&msg::REQUEST_HTTP10_CHUNKED));
            }
            if chunked_is_last(self.values(b"transfer-encoding")) != Some(true) {
                return Err(ProxyError::bad_request(&msg::REQUEST_CODINGS_NOT_CHUNKED));
            }
            self.framing = Framing::Chunked;
            let mut codings = self
                .headers
                .iter()
                .filter(|h| self.raw[h.name.clone()].eq_ignore_ascii_case(b"transfer-encoding"));
            if let (Some(only), None) = (codings.next(), codings.next()) {
                if !trim(&self.raw[only.value.clone()]).eq_ignore_ascii_case(b"chunked") {
                    self.transfer_codings = Some(only.value.clone());
                }
            } else {
                return Err(ProxyError::bad_request(&msg::REQUEST_CODINGS_SPLIT));
            }
        } else if has_cl {
            match content_length(self.values(b"content-length")) {
                Ok(Some(0)) => self.framing = Framing::Empty,
                Ok(Some(n)) => self.framing = Framing::Length(n),
                _ => return Err(ProxyError::bad_request(&msg::REQUEST_LENGTH_INVALID)),
            }
        }
        Ok(())
    }

    fn values<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |h| self.raw[h.name.clone()].eq_ignore_ascii_case(name))
            .map(|h| &self.raw[h.value.clone()])
    }

    /// The method as sent (`GET`, `CONNECT`, ...).
    pub fn method(&self) -> &str {
        std::str::from_utf8(&self.raw[self.method.clone()]).unwrap_or("")
    }

    pub fn is_head(&self) -> bool {
        self.method() == "HEAD"
    }

    /// The request-target exactly as the client sent it.
    pub fn target_text(&self) -> &[u8] {
        &self.raw[self.target_text.clone()]
    }

    /// The path and query sent upstream: byte-identical to the URL's, `/` when it has none.
    pub fn upstream_path(&self) -> (&'static [u8], &[u8]) {
        let path = &self.raw[self.path.clone()];
        match path.first() {
            Some(b'/') => (b"", path),
            _ => (b"/", path),
        }
    }

    /// The path and query for logs and events (lossy UTF-8).
    pub fn path_text(&self) -> String {
        let (prefix, path) = self.upstream_path();
        let mut text = String::from_utf8_lossy(prefix).into_owned();
        text.push_str(&String::from_utf8_lossy(path));
        text
    }

    /// The language the client prefers for pages Wicket writes itself.
    pub fn lang(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::from_accept_language(self.header("accept-language"))
    }

    /// The value of the first header with this name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| self.raw[h.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|h| &self.raw[h.value.clone()])
    }

    /// Writes the head for the upstream server: origin-form target, Host from the URL's
    /// authority, end-to-end headers unchanged and in order, framing written anew, `Via` added.
    pub fn write_upstream(&self, out: &mut Vec<u8>) {
        let (prefix, path) = self.upstream_path();
        out.extend_from_slice(&self.raw[self.method.clone()]);
        out.push(b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(path);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(&self.raw[self.authority.clone()]);
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            let name = &self.raw[h.name.clone()];
            if name.eq_ignore_ascii_case(b"host") || is_hop_by_hop(name, &self.connection_tokens) {
                continue;
            }
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&self.raw[h.value.clone()]);
            out.extend_from_slice(b"\r\n");
        }
        match self.framing {
            Framing::Length(n) => {
                out.extend_from_slice(b"Content-Length: ");
                push_decimal(out, n);
                out.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => {
                out.extend_from_slice(b"Transfer-Encoding: ");
                match &self.transfer_codings {
                    Some(r) => out.extend_from_slice(&self.raw[r.clone()]),
                    None => out.extend_from_slice(b"chunked"),
                }
                out.extend_from_slice(b"\r\n");
            }
            Framing::Empty | Framing::UntilClose => {
                // Methods whose semantics expect a body still say it is empty.
                if matches!(self.method(), "POST" | "PUT" | "PATCH")
                    && self.header("content-length").is_some()
                {
                    out.extend_from_slice(b"Content-Length: 0\r\n");
                }
            }
        }
        out.extend_from_slice(b"Via: ");
        out.extend_from_slice(self.version.via().as_bytes());
        out.extend_from_slice(b" ");
        out.extend_from_slice(VIA_NAME.as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits `host[:port]` / `[v6][:port]`, checking the host's characters. Without a default
/// port the port is required (CONNECT). Returns the normalized host.
fn split_authority(text: &[u8], default_port: Option<u16>) -> Option<(String, u16)> {
    let text = std::str::from_utf8(text).ok()?;
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &text[..end + 2];
        let after = &rest[end + 1..];
        let v6 = &rest[..end];
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let valid_host = !host.is_empty()
        && (host.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
    if !valid_host {
        return None;
    }
    let port = match port {
        Some("") => default_port?,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            }
        }
        Some(_) => return None,
        None => default_port?,
    };
    let host = normalize_host(host);
    // 2130706433, 127.1, 0x7f.0.0.1: one address, one spelling, so rules about it hold.
    let host = match crate::rules::numeric_ipv4(&host) {
        None => host.into_owned(),
        Some(Some(ip)) => ip.to_string(),
        Some(None) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Option<RequestHead>, ProxyError> {
        let mut buf = BytesMut::from(text);
        parse(&mut buf)
    }

    fn ok(text: &str) -> RequestHead {
        parse_str(text).unwrap().unwrap()
    }

    fn upstream(text: &str) -> String {
        let mut out = Vec::new();
        ok(text).write_upstream(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn kind(text: &str) -> ErrorKind {
        parse_str(text).unwrap_err().kind
    }

    #[test]
    fn absolute_form_becomes_origin_form_with_identical_path_and_query() {
        let up = upstream(
            "GET http://Example.com:8080/a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: other.net\r\n\r\n",
        );
        assert!(
            up.starts_with("GET /a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: Example.com:8080\r\n"),
            "{up}"
        );
        assert!(!up.contains("other.net"));
        let head = ok("GET http://Example.com:8080/ HTTP/1.1\r\n\r\n");
        assert_eq!(
            head.target,
            Target::Http {
                host: "example.com".into(),
                port: 8080
            }
        );
    }

    #[test]
    fn missing_path_becomes_slash_and_port_defaults_to_80() {
        let head = ok("GET http://example.com HTTP/1.1\r\n\r\n");
        assert_eq!(
            head.target,
            Target::Http {
                host: "example.com".into(),
                port: 80
            }
        );
        assert!(upstream("GET http://example.com HTTP/1.1\r\n\r\n")
            .starts_with("GET / HTTP/1.1\r\nHost: example.com\r\n"));
        assert!(upstream("GET http://example.com?q=1 HTTP/1.1\r\n\r\n")
            .starts_with("GET /?q=1 HTTP/1.1\r\n"));
        assert!(upstream("GET HTTP://example.com:/x HTTP/1.1\r\n\r\n")
            .starts_with("GET /x HTTP/1.1\r\n"));
    }

    #[test]
    fn ipv6_literal_targets_are_understood() {
        let head = ok("GET http://[::1]:8080/ HTTP/1.1\r\n\r\n");
        assert_eq!(
            head.target,
            Target::Http {
                host: "::1".into(),
                port: 8080
            }
        );
        assert!(
            upstream("GET http://[::1]:8080/ HTTP/1.1\r\n\r\n").contains("Host: [::1]:8080\r\n")
        );
        let head = ok("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n");
        assert_eq!(
            head.target,
            Target::Connect {
                host: "2001:db8::1".into(),
                port: 443
            }
        );
    }

    #[test]
    fn hop_by_hop_headers_are_removed_and_end_to_end_kept_in_order() {
        let up = upstream(
            "GET http://a.test/ HTTP/1.1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nProxy-Connection: keep-alive\r\n\
             Keep-Alive: 300\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: websocket\r\nProxy-Authorization: Basic eA==\r\n\
             Cookie: a=1\r\nAccept: text/html\r\nCookie: b=2\r\nVia: 1.1 other\r\n\r\n",
        );
        assert_eq!(
            up,
            "GET / HTTP/1.1\r\nHost: a.test\r\nCookie: a=1\r\nAccept: text/html\r\nCookie: b=2\r\nVia: 1.1 other\r\nVia: 1.1 wicket\r\n\r\n"
        );
    }

    #[test]
    fn request_framing_is_rewritten() {
        assert!(
            upstream("POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\n\r\n")
                .contains("Content-Length: 5\r\n")
        );
        assert!(
            upstream("POST http://a.test/ HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n")
                .contains("Content-Length: 5\r\nVia")
        );
        assert!(
            upstream("POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                .contains("Transfer-Encoding: chunked\r\n")
        );
        assert!(upstream(
            "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        )
        .contains("Transfer-Encoding: gzip, chunked\r\n"));
        assert!(
            upstream("POST http://a.test/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                .contains("Content-Length: 0\r\n")
        );
        assert_eq!(
            ok("POST http://a.test/ HTTP/1.1\r\nContent-Length: 7\r\n\r\n").framing,
            Framing::Length(7)
        );
        assert_eq!(
            ok("GET http://a.test/ HTTP/1.1\r\n\r\n").framing,
            Framing::Empty
        );
    }

    #[test]
    fn smuggling_shapes_are_bad_requests() {
        for text in [
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST http://a.test/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
            "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
        ] {
            assert_eq!(kind(text), ErrorKind::BadRequest, "{text:?}");
        }
    }

    #[test]
    fn malformed_lines_are_bad_requests() {
        for text in [
            "GET\r\n\r\n",
            "GET http://a.test/ HTTP/1.1 extra\r\n\r\n",
            "GET http://a.test/ HTTP/2.0\r\n\r\n",
            "GET http://a.test/ HTTP/1.1\r\nNo colon here\r\n\r\n",
            "GET http://a.test/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
            "GET http://a.test/ HTTP/1.1\r\nX\x01Y: a\r\n\r\n",
            "GET a.test/ HTTP/1.1\r\n\r\n",
            "GET http://user:pw@a.test/ HTTP/1.1\r\n\r\n",
            "GET http://a.test:99999/ HTTP/1.1\r\n\r\n",
            "GET http://a.test:0/ HTTP/1.1\r\n\r\n",
            "GET http://a.test:8x/ HTTP/1.1\r\n\r\n",
            "GET http:///path HTTP/1.1\r\n\r\n",
            "GET http://a test/ HTTP/1.1\r\n\r\n",
            "GET http://a\"b/ HTTP/1.1\r\n\r\n",
            "GET http://a.test/#frag HTTP/1.1\r\n\r\n",
            "GET http://[::1/ HTTP/1.1\r\n\r\n",
            "CONNECT a.test HTTP/1.1\r\n\r\n",
            "CONNECT a.test:https HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(kind(text), ErrorKind::BadRequest, "{text:?}");
        }
    }

    #[test]
    fn other_schemes_are_unsupported() {
        assert_eq!(
            kind("GET ftp://a.test/file HTTP/1.1\r\n\r\n"),
            ErrorKind::UnsupportedScheme
        );
        assert_eq!(
            kind("GET https://a.test/ HTTP/1.1\r\n\r\n"),
            ErrorKind::UnsupportedScheme
        );
    }

    #[test]
    fn origin_and_asterisk_forms_are_for_the_proxy_itself() {
        assert_eq!(
            ok("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n").target,
            Target::Local
        );
        assert_eq!(ok("OPTIONS * HTTP/1.1\r\n\r\n").target, Target::Local);
    }

    #[test]
    fn configured_limits_apply_with_414_for_long_targets() {
        let limits = Limits {
            head_bytes: 2048,
            headers: 4,
            uri_bytes: 100,
        };
        let parse_limited = |text: &str| parse_with(&mut BytesMut::from(text), &limits);
        let long_uri = format!("GET http://a.test/{} HTTP/1.1\r\n\r\n", "x".repeat(100));
        assert_eq!(
            parse_limited(&long_uri).unwrap_err().kind,
            ErrorKind::UriTooLong
        );
        let unfinished = format!("GET http://a.test/{}", "x".repeat(200));
        assert_eq!(
            parse_limited(&unfinished).unwrap_err().kind,
            ErrorKind::UriTooLong
        );
        let five = "GET http://a.test/ HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n";
        assert_eq!(
            parse_limited(five).unwrap_err().kind,
            ErrorKind::HeadTooLarge
        );
        let four = "GET http://a.test/ HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n";
        assert!(parse_limited(four).unwrap().is_some());
        let big = format!(
            "GET http://a.test/ HTTP/1.1\r\nA: {}\r\n\r\n",
            "v".repeat(2048)
        );
        assert_eq!(
            parse_limited(&big).unwrap_err().kind,
            ErrorKind::HeadTooLarge
        );
        // The default target limit is 16 KiB, well above what browsers send.
        let ok_uri = format!("GET http://a.test/{} HTTP/1.1\r\n\r\n", "x".repeat(16_000));
        assert!(parse_str(&ok_uri).unwrap().is_some());
    }

    #[test]
    fn oversized_heads_are_refused() {
        let big = format!(
            "GET http://a.test/ HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(super::super::MAX_HEAD_BYTES)
        );
        assert_eq!(kind(&big), ErrorKind::HeadTooLarge);
        let partial = format!(
            "GET http://a.test/ HTTP/1.1\r\nX: {}",
            "a".repeat(super::super::MAX_HEAD_BYTES)
        );
        assert_eq!(kind(&partial), ErrorKind::HeadTooLarge);
        let many: String = (0..super::super::MAX_HEADERS + 1)
            .map(|i| format!("X-{i}: y\r\n"))
            .collect();
        assert_eq!(
            kind(&format!("GET http://a.test/ HTTP/1.1\r\n{many}\r\n")),
            ErrorKind::HeadTooLarge
        );
    }

    #[test]
    fn incomplete_head_waits_and_leaves_the_rest_in_the_buffer() {
        assert!(parse_str("GET http://a.test/ HTTP/1.1\r\nAccept: x\r\n")
            .unwrap()
            .is_none());
        let mut buf = BytesMut::from(
            "GET http://a.test/ HTTP/1.1\r\n\r\nGET http://b.test/ HTTP/1.1\r\n\r\n",
        );
        let first = parse(&mut buf).unwrap().unwrap();
        assert_eq!(
            first.target,
            Target::Http {
                host: "a.test".into(),
                port: 80
            }
        );
        assert_eq!(&buf[..], b"GET http://b.test/ HTTP/1.1\r\n\r\n");
    }

    #[test]
    fn keep_alive_follows_version_and_connection_header() {
        assert!(ok("GET http://a.test/ HTTP/1.1\r\n\r\n").keep_alive);
        assert!(!ok("GET http://a.test/ HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!ok("GET http://a.test/ HTTP/1.0\r\n\r\n").keep_alive);
        assert!(ok("GET http://a.test/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(
            ok("GET http://a.test/ HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n\r\n").keep_alive
        );
    }

    #[test]
    fn http10_request_is_forwarded_as_http11_with_via_1_0() {
        let up = upstream("GET http://a.test/x HTTP/1.0\r\n\r\n");
        assert_eq!(
            up,
            "GET /x HTTP/1.1\r\nHost: a.test\r\nVia: 1.0 wicket\r\n\r\n"
        );
    }

    #[test]
    fn expect_continue_is_noticed_and_forwarded() {
        let text =
            "PUT http://a.test/ HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
        assert!(ok(text).expect_continue);
        assert!(upstream(text).contains("Expect: 100-continue\r\n"));
    }
}
