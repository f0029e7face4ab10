//! Request heads: parse what a client sent, rewrite it for the upstream, and check the rewrite.
//!
//! Invariants, for every head that parses with an `http://` target (the ones Wicket forwards):
//! - the upstream head parses again as exactly one complete head (nothing left over);
//! - it keeps the method, and its target is the URL's path and query (`/` when empty);
//! - it has exactly one Host header, naming the same host and port the rules were checked on;
//! - it carries no hop-by-hop header (standard ones or those named in `Connection`);
//! - it never has both Content-Length and Transfer-Encoding, at most one of each, and it
//!   frames the body exactly as the client's head did;
//! - every other header line of the client's head is there, in order, unchanged; plus `Via`.
//!
//! Parsing itself must never panic, and the same bytes parse the same way twice.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wicket::http::request::{self, Target};
use wicket::http::{Framing, MAX_HEADERS, MAX_HEAD_BYTES};

/// Never forwarded, whatever the client says (RFC 9110 §7.6.1), plus the framing headers that
/// the proxy writes itself from the framing it decided.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
];

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    let head = match request::parse(&mut buf) {
        Ok(Some(head)) => head,
        _ => return,
    };
    let consumed = data.len() - buf.len();
    assert!(consumed > 0, "a parsed head consumed no bytes");

    // Deterministic: the same bytes give the same head.
    let mut again = BytesMut::from(data);
    let twin = request::parse(&mut again)
        .expect("the same bytes parsed once")
        .expect("the same bytes parsed once");
    assert_eq!(twin.target, head.target);
    assert_eq!(twin.framing, head.framing);

    let Target::Http { .. } = &head.target else {
        return;
    };

    let mut out = Vec::new();
    head.write_upstream(&mut out);

    // The client's header lines, as httparse sees them.
    let client_headers = header_lines(&data[..consumed]).expect("the client's head parses");
    let connection_tokens: Vec<String> = client_headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"connection"))
        .flat_map(|(_, v)| {
            v.split(|b| *b == b',')
                .map(|t| String::from_utf8_lossy(t.trim_ascii()).to_ascii_lowercase())
                // `close` and `keep-alive` are options, not header names (RFC 9110 §7.6.1).
                .filter(|t| !t.is_empty() && t != "close" && t != "keep-alive")
                .collect::<Vec<_>>()
        })
        .collect();
    let dropped = |name: &[u8]| {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        HOP_BY_HOP.contains(&name.as_str())
            || name == "host"
            || name == "content-length"
            || name == "transfer-encoding"
            || connection_tokens.contains(&name)
    };
    let kept: Vec<&(Vec<u8>, Vec<u8>)> =
        client_headers.iter().filter(|(n, _)| !dropped(n)).collect();

    let mut rebuf = BytesMut::from(&out[..]);
    let upstream = match request::parse(&mut rebuf) {
        Ok(Some(h)) => h,
        other => {
            // The only excuse: the client's head was at the limits and the rewrite added lines.
            let at_limits = out.len() > MAX_HEAD_BYTES || kept.len() + 3 > MAX_HEADERS;
            assert!(
                at_limits,
                "the upstream head does not parse: {:?}\n{}",
                other.map(|o| o.map(|_| ())),
                String::from_utf8_lossy(&out)
            );
            return;
        }
    };
    assert!(
        rebuf.is_empty(),
        "the upstream head is more than one head: {:?}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(upstream.method(), head.method(), "method changed");
    let (prefix, path) = head.upstream_path();
    assert_eq!(
        upstream.target_text(),
        [prefix, path].concat().as_slice(),
        "path changed"
    );
    assert_eq!(
        upstream.target,
        Target::Local,
        "upstream target is origin-form"
    );
    assert_eq!(upstream.framing, head.framing, "body framing changed");

    let lines = header_lines(&out).expect("the upstream head parses with httparse");
    let count = |name: &str| {
        lines
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .count()
    };
    let cl = count("content-length");
    let te = count("transfer-encoding");
    assert!(
        cl <= 1 && te <= 1,
        "repeated framing headers:\n{}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        cl + te <= 1,
        "both Content-Length and Transfer-Encoding:\n{}",
        String::from_utf8_lossy(&out)
    );
    match head.framing {
        Framing::Length(_) => assert_eq!(cl, 1),
        Framing::Chunked => assert_eq!(te, 1),
        Framing::Empty | Framing::UntilClose => assert_eq!(te, 0),
    }
    for (name, _) in &lines {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        assert!(
            !HOP_BY_HOP.contains(&lower.as_str()),
            "hop-by-hop header {lower:?} forwarded:\n{}",
            String::from_utf8_lossy(&out)
        );
    }

    // Exactly one Host, and it names what the rules saw.
    assert_eq!(
        count("host"),
        1,
        "Host lines:\n{}",
        String::from_utf8_lossy(&out)
    );
    let host = upstream.header("host").expect("Host header");
    let probe = [b"GET http://".as_slice(), host, b"/ HTTP/1.1\r\n\r\n"].concat();
    let mut probe = BytesMut::from(&probe[..]);
    let seen = request::parse(&mut probe).ok().flatten().map(|h| h.target);
    assert_eq!(
        seen.as_ref(),
        Some(&head.target),
        "the Host header names another site than the URL: {:?}",
        String::from_utf8_lossy(host)
    );

    // The end-to-end headers, unchanged and in order; the proxy's own lines are Host, the
    // framing line and Via.
    let forwarded: Vec<&(Vec<u8>, Vec<u8>)> = lines
        .iter()
        .filter(|(n, _)| {
            !(n.eq_ignore_ascii_case(b"host")
                || n.eq_ignore_ascii_case(b"content-length")
                || n.eq_ignore_ascii_case(b"transfer-encoding"))
        })
        .collect();
    let (via, end_to_end) = forwarded.split_last().expect("a Via line");
    assert!(
        via.0.eq_ignore_ascii_case(b"via"),
        "the last line is not Via"
    );
    assert!(via.1.ends_with(b" wicket"), "Via names wicket");
    assert_eq!(
        end_to_end.len(),
        kept.len(),
        "end-to-end headers lost or added:\n{}\n---\n{}",
        String::from_utf8_lossy(&data[..consumed]),
        String::from_utf8_lossy(&out)
    );
    for (name, _) in end_to_end {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        assert!(
            !connection_tokens.contains(&lower),
            "header {lower:?} named in Connection forwarded:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    for (a, b) in end_to_end.iter().zip(kept) {
        assert_eq!(a, &b, "header changed");
    }
});

/// The header lines of a complete request head, as (name, value) pairs.
fn header_lines(head: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut slots = vec![httparse::EMPTY_HEADER; 1024];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => Some(
            req.headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect(),
        ),
        _ => None,
    }
}
