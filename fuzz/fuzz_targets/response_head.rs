//! Response heads: parse what an upstream sent, rewrite it for an HTTP/1.0 and an HTTP/1.1
//! client, and check the rewrite.
//!
//! The first input byte chooses whether the request was HEAD and whether the client wants to
//! keep its connection; the rest is the upstream's bytes. Invariants, for every head that parses:
//! - the client's head parses again (as the same kind of answer: same status, for the same
//!   request) as exactly one complete head;
//! - an HTTP/1.0 client never gets chunked: no `Outbound::Chunked`, no Transfer-Encoding line;
//! - the client's head frames the body the way the proxy will send it (`outbound`), so the
//!   client reads exactly that body; a close-delimited body never comes with keep-alive;
//! - no hop-by-hop header is passed on, at most one framing header, never both;
//! - `Connection: close` is there whenever the proxy will close the connection.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wicket::http::response::{self, Outbound};
use wicket::http::{Framing, Version, MAX_HEADERS};

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
    let Some((&flags, upstream)) = data.split_first() else {
        return;
    };
    let for_head = flags & 1 != 0;
    let client_keeps = flags & 2 != 0;
    let mut buf = BytesMut::from(upstream);
    let head = match response::parse(&mut buf, for_head) {
        Ok(Some(head)) => head,
        _ => return,
    };
    assert!((100..=599).contains(&head.status));
    if head.framing == Framing::UntilClose {
        assert!(
            !head.reusable,
            "a close-delimited upstream connection is reused"
        );
    }
    let consumed = upstream.len() - buf.len();
    let upstream_lines = header_lines(&upstream[..consumed]).expect("the upstream head parses");
    let connection_tokens: Vec<String> = upstream_lines
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"connection"))
        .flat_map(|(_, v)| {
            v.split(|b| *b == b',')
                .map(|t| String::from_utf8_lossy(t.trim_ascii()).to_ascii_lowercase())
                .filter(|t| !t.is_empty() && t != "close" && t != "keep-alive")
                .collect::<Vec<_>>()
        })
        .collect();

    for client in [Version::Http10, Version::Http11] {
        // As forward.rs does it: interim answers go out bodiless and keep the connection.
        let (outbound, keep) = if head.is_interim() {
            (Outbound::Empty, true)
        } else {
            let outbound = head.outbound(client);
            (outbound, client_keeps && outbound.self_delimited())
        };
        if client == Version::Http10 {
            assert_ne!(
                outbound,
                Outbound::Chunked,
                "chunked for an HTTP/1.0 client"
            );
        }
        let mut out = Vec::new();
        head.write_client(&mut out, client, outbound, keep);
        let show = || {
            format!(
                "client {client:?}, outbound {outbound:?}, keep {keep}\n{}\n---\n{}",
                String::from_utf8_lossy(&upstream[..consumed]),
                String::from_utf8_lossy(&out)
            )
        };

        let mut rebuf = BytesMut::from(&out[..]);
        let seen = match response::parse(&mut rebuf, for_head) {
            Ok(Some(h)) => h,
            other => {
                // Near the header-count limits the proxy's two added lines may tip it over.
                let too_many = upstream_lines.len() + 3 > MAX_HEADERS;
                assert!(
                    too_many,
                    "the client's head does not parse: {:?}\n{}",
                    other.map(|o| o.map(|_| ())),
                    show()
                );
                continue;
            }
        };
        assert!(rebuf.is_empty(), "more than one head: {}", show());
        assert_eq!(seen.status, head.status, "status changed: {}", show());

        let lines = header_lines(&out).expect("the client's head parses with httparse");
        let count = |name: &str| {
            lines
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                .count()
        };
        let cl = count("content-length");
        let te = count("transfer-encoding");
        assert!(
            cl <= 1 && te <= 1 && cl + te <= 1,
            "framing headers: {}",
            show()
        );
        if client == Version::Http10 {
            assert_eq!(
                te,
                0,
                "Transfer-Encoding sent to an HTTP/1.0 client: {}",
                show()
            );
        }
        for (name, _) in &lines {
            let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
            // The proxy's own lines (framing, Via, Connection) may share a name with a
            // header the upstream named in Connection; they are counted below instead.
            if ["connection", "content-length", "transfer-encoding", "via"]
                .contains(&lower.as_str())
            {
                continue;
            }
            assert!(
                !HOP_BY_HOP.contains(&lower.as_str()) && !connection_tokens.contains(&lower),
                "hop-by-hop header {lower:?} passed on: {}",
                show()
            );
        }
        assert!(count("connection") <= 1, "{}", show());
        if connection_tokens.iter().any(|t| t == "via") {
            assert_eq!(
                count("via"),
                1,
                "a Via named in Connection passed on: {}",
                show()
            );
        }
        if !head.is_interim() && !keep {
            assert!(
                !seen.reusable,
                "no Connection: close although closing: {}",
                show()
            );
        }

        // The client reads the body the proxy sends.
        let bodiless = for_head || head.is_interim() || head.status == 204 || head.status == 304;
        let expected = if bodiless {
            Framing::Empty
        } else {
            match outbound {
                Outbound::Empty => Framing::Empty,
                Outbound::Length(n) => Framing::Length(n),
                Outbound::Chunked => Framing::Chunked,
                Outbound::UntilClose => Framing::UntilClose,
            }
        };
        if client == Version::Http11 || expected != Framing::Chunked {
            assert_eq!(
                seen.framing,
                expected,
                "the client reads another body: {}",
                show()
            );
        }
        if outbound == Outbound::UntilClose {
            assert!(!keep, "keep-alive with a close-delimited body: {}", show());
        }
    }
});

/// The header lines of a complete response head, as (name, value) pairs.
fn header_lines(head: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut slots = vec![httparse::EMPTY_HEADER; 1024];
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(_)) => Some(
            resp.headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect(),
        ),
        _ => None,
    }
}
