//! Message framing: Content-Length, chunked bodies with trailers, close-delimited responses,
//! bodiless responses, interim responses, streaming of large bodies, early answers.

mod common;

use std::time::Duration;

use common::{
    close_gently, digest, pattern, read_exact, read_head, Origin, Proxy, RawServer, Reply,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

/// Sends `raw` on a fresh keep-alive connection, reads the response, then proves the connection
/// is still in step by sending a second request and reading its answer.
async fn exchange_then_follow_up(
    proxy: &Proxy,
    raw: &str,
    for_head: bool,
    follow_up_url: &str,
) -> common::Response {
    let mut conn = proxy.connect().await;
    conn.send(raw.as_bytes()).await;
    let resp = conn.response(for_head).await;
    conn.send(format!("GET {follow_up_url} HTTP/1.1\r\n\r\n").as_bytes())
        .await;
    let next = conn.response(false).await;
    assert_eq!(next.status, 200, "the follow-up request is answered");
    assert_eq!(next.text(), "follow-up", "the connection stayed in step");
    resp
}

/// An origin answering `/follow-up` with "follow-up" and everything else with `reply`.
async fn origin_with_follow_up(reply: &'static str) -> Origin {
    Origin::start(move |r| {
        if r.request_line().contains("/follow-up") {
            Reply::ok("follow-up")
        } else {
            Reply::raw(reply)
        }
    })
    .await
}

#[tokio::test]
async fn content_length_request_body_is_forwarded_with_its_length() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world",
            origin.url("/upload")
        ))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    assert_eq!(got.body, b"hello world");
    assert_eq!(got.header_values("content-length"), ["11"]);
    assert_eq!(got.header("transfer-encoding"), None);
}

#[tokio::test]
async fn content_length_response_body_is_relayed_exactly() {
    let origin =
        origin_with_follow_up("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nexactly this").await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.text(), "exactly this");
    assert_eq!(resp.header_values("content-length"), ["12"]);
}

#[tokio::test]
async fn chunked_request_body_with_trailers_is_forwarded_chunked() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
             5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Checksum: 42\r\n\r\n",
            origin.url("/chunks")
        ))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    assert_eq!(got.body, b"hello world");
    assert_eq!(got.header_values("transfer-encoding"), ["chunked"]);
    assert_eq!(got.header("content-length"), None);
    assert_eq!(got.trailers.as_deref(), Some("X-Checksum: 42\r\n\r\n"));
}

#[tokio::test]
async fn chunked_response_body_with_trailers_is_relayed_to_http11_clients() {
    let origin = origin_with_follow_up(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n\
         5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: abc\r\n\r\n",
    )
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("GET {} HTTP/1.1\r\nTE: trailers\r\n\r\n", origin.url("/")),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.text(), "hello, world");
    assert_eq!(resp.header_values("transfer-encoding"), ["chunked"]);
    assert_eq!(resp.trailers.as_deref(), Some("X-Sum: abc\r\n\r\n"));
}

#[tokio::test]
async fn empty_chunked_response_body_is_relayed() {
    let origin =
        origin_with_follow_up("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "");
}

#[tokio::test]
async fn close_delimited_response_is_chunked_for_http11_client() {
    let origin = Origin::start(|_| {
        Reply::SendAndClose(b"HTTP/1.1 200 OK\r\n\r\nstreamed until close".to_vec())
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.text(), "streamed until close");
    assert_eq!(resp.header("transfer-encoding").as_deref(), Some("chunked"));
    // Chunked, so the client connection is still usable.
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/again")).as_bytes())
        .await;
    assert_eq!(conn.response(false).await.text(), "streamed until close");
}

#[tokio::test]
async fn http10_upstream_response_without_length_is_delivered_whole() {
    let origin = Origin::start(|_| {
        Reply::SendAndClose(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold server".to_vec(),
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&origin.url("/")).await;
    assert_eq!(resp.text(), "old server");
}

#[tokio::test]
async fn head_response_has_no_body_but_keeps_its_content_length() {
    let origin = origin_with_follow_up(
        "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n",
    )
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("HEAD {} HTTP/1.1\r\n\r\n", origin.url("/")),
        true,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header_values("content-length"), ["1234"]);
    assert_eq!(origin.received()[0].request_line(), "HEAD / HTTP/1.1");
}

#[tokio::test]
async fn head_response_announcing_chunked_has_no_body() {
    let origin =
        origin_with_follow_up("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("HEAD {} HTTP/1.1\r\n\r\n", origin.url("/")),
        true,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn no_content_response_has_no_body() {
    let origin = origin_with_follow_up("HTTP/1.1 204 No Content\r\nX-Done: yes\r\n\r\n").await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("DELETE {} HTTP/1.1\r\n\r\n", origin.url("/item")),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("x-done").as_deref(), Some("yes"));
    assert_eq!(resp.header("transfer-encoding"), None, "{}", resp.head);
}

#[tokio::test]
async fn not_modified_response_has_no_body() {
    let origin = origin_with_follow_up(
        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 500\r\n\r\n",
    )
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!(
            "GET {} HTTP/1.1\r\nIf-None-Match: \"v1\"\r\n\r\n",
            origin.url("/")
        ),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 304);
    assert_eq!(resp.header("etag").as_deref(), Some("\"v1\""));
}

#[tokio::test]
async fn interim_responses_are_relayed_before_the_final_one() {
    let origin = origin_with_follow_up(
        "HTTP/1.1 102 Processing\r\n\r\n\
         HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone",
    )
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = exchange_then_follow_up(
        &proxy,
        &format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")),
        false,
        &origin.url("/follow-up"),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "done");
    assert_eq!(resp.interim.len(), 2, "{:?}", resp.interim);
    assert!(
        resp.interim[0].starts_with("HTTP/1.1 102"),
        "{:?}",
        resp.interim
    );
    assert!(
        resp.interim[1].starts_with("HTTP/1.1 103"),
        "{:?}",
        resp.interim
    );
    assert!(
        resp.interim[1].contains("Link: </style.css>; rel=preload\r\n"),
        "{:?}",
        resp.interim
    );
}

#[tokio::test]
async fn interim_responses_are_not_sent_to_http10_clients() {
    let origin = Origin::start(|_| {
        Reply::raw(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone",
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.0\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let raw = String::from_utf8(conn.read_to_close().await).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(!raw.contains(" 103 "), "{raw}");
    assert!(raw.ends_with("\r\n\r\ndone"), "{raw}");
}

#[tokio::test]
async fn expect_100_continue_is_relayed_and_the_body_follows() {
    let origin = RawServer::start(|mut stream| async move {
        let mut buf = Vec::new();
        let Some(head) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        assert!(
            head.to_ascii_lowercase().contains("expect: 100-continue"),
            "{head}"
        );
        assert!(
            buf.is_empty(),
            "the client must wait for 100 before the body"
        );
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .unwrap();
        let body = read_exact(&mut stream, &mut buf, 7).await.unwrap();
        let answer = format!(
            "HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n{}",
            body.len(),
            String::from_utf8(body).unwrap()
        );
        stream.write_all(answer.as_bytes()).await.unwrap();
        close_gently(stream).await;
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "PUT {} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n",
            origin.url("/put")
        )
        .as_bytes(),
    )
    .await;
    let interim = conn.head().await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    conn.send(b"payload").await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 201);
    assert_eq!(resp.text(), "payload");
}

#[tokio::test]
async fn expect_100_continue_refused_by_the_upstream_gets_the_final_answer() {
    // A scripted origin reads the whole body before answering, so this one is raw.
    let origin = RawServer::start(|mut stream| async move {
        let mut buf = Vec::new();
        if read_head(&mut stream, &mut buf).await.is_none() {
            return;
        }
        stream
            .write_all(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope")
            .await
            .unwrap();
        close_gently(stream).await;
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "PUT {} HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
            origin.url("/put")
        )
        .as_bytes(),
    )
    .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 417);
    assert_eq!(resp.text(), "nope");
}

#[tokio::test]
async fn upstream_answering_before_reading_the_body_is_relayed_at_once() {
    let origin = RawServer::start(|mut stream| async move {
        let mut buf = Vec::new();
        if read_head(&mut stream, &mut buf).await.is_none() {
            return;
        }
        stream
            .write_all(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big!")
            .await
            .unwrap();
        close_gently(stream).await;
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    // Announce a large body and send only its first bytes: the answer must not wait for the rest.
    conn.send(
        format!(
            "POST {} HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n",
            origin.url("/upload")
        )
        .as_bytes(),
    )
    .await;
    conn.send(&[b'x'; 1000]).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 413);
    assert_eq!(resp.text(), "too big!");
    assert!(
        resp.closes(),
        "the unsent body leaves the connection unusable"
    );
}

#[tokio::test]
async fn large_request_body_is_streamed_intact() {
    const SIZE: usize = 20 << 20;
    let body = pattern(SIZE);
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "POST {} HTTP/1.1\r\nContent-Length: {SIZE}\r\n\r\n",
            origin.url("/big")
        )
        .as_bytes(),
    )
    .await;
    conn.send(&body).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 200);
    assert_eq!(digest(&origin.only_request().body), digest(&body));
}

#[tokio::test]
async fn large_chunked_request_body_is_streamed_intact() {
    const SIZE: usize = 20 << 20;
    let body = pattern(SIZE);
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            origin.url("/big")
        )
        .as_bytes(),
    )
    .await;
    // Uneven chunk sizes, so chunk and read boundaries never line up.
    let mut framed = Vec::with_capacity(SIZE + SIZE / 1000);
    for piece in body.chunks(100_003) {
        framed.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        framed.extend_from_slice(piece);
        framed.extend_from_slice(b"\r\n");
    }
    framed.extend_from_slice(b"0\r\n\r\n");
    conn.send(&framed).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 200);
    assert_eq!(digest(&origin.only_request().body), digest(&body));
}

#[tokio::test]
async fn large_response_body_is_streamed_intact() {
    const SIZE: usize = 20 << 20;
    let body = pattern(SIZE);
    let mut reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n").into_bytes();
    reply.extend_from_slice(&body);
    let origin = Origin::start(move |_| Reply::Send(reply.clone())).await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&origin.url("/big")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(digest(&resp.body), digest(&body));
}

#[tokio::test]
async fn large_chunked_response_body_is_streamed_intact() {
    const SIZE: usize = 20 << 20;
    let body = pattern(SIZE);
    let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(77_777) {
        reply.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        reply.extend_from_slice(piece);
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(b"0\r\n\r\n");
    let origin = Origin::start(move |_| Reply::Send(reply.clone())).await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&origin.url("/big")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(digest(&resp.body), digest(&body));
}

#[tokio::test]
async fn response_body_reaches_the_client_before_the_upstream_has_sent_all_of_it() {
    let (release, released) = oneshot::channel::<()>();
    let released = std::sync::Mutex::new(Some(released));
    let origin = RawServer::start(move |mut stream| {
        let released = released.lock().unwrap().take();
        async move {
            let mut buf = Vec::new();
            if read_head(&mut stream, &mut buf).await.is_none() {
                return;
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst")
                .await
                .unwrap();
            // The rest only once the client has seen the first half.
            if let Some(released) = released {
                let _ = released.await;
            }
            stream.write_all(b"-last").await.unwrap();
            close_gently(stream).await;
        }
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let head = conn.head().await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(conn.read_bytes(5).await, b"first", "streamed, not buffered");
    release.send(()).unwrap();
    assert_eq!(conn.read_bytes(5).await, b"-last");
}

#[tokio::test]
async fn request_body_reaches_the_upstream_before_the_client_has_sent_all_of_it() {
    let (got_first, first_seen) = oneshot::channel::<Vec<u8>>();
    let got_first = std::sync::Mutex::new(Some(got_first));
    let origin = RawServer::start(move |mut stream| {
        let got_first = got_first.lock().unwrap().take();
        async move {
            let mut buf = Vec::new();
            if read_head(&mut stream, &mut buf).await.is_none() {
                return;
            }
            let first = read_exact(&mut stream, &mut buf, 5).await.unwrap();
            if let Some(tx) = got_first {
                let _ = tx.send(first);
            }
            read_exact(&mut stream, &mut buf, 5).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            close_gently(stream).await;
        }
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "POST {} HTTP/1.1\r\nContent-Length: 10\r\n\r\nfirst",
            origin.url("/")
        )
        .as_bytes(),
    )
    .await;
    let first = common::within("the first half at the origin", first_seen)
        .await
        .unwrap();
    assert_eq!(first, b"first");
    conn.send(b"-last").await;
    assert_eq!(conn.response(false).await.text(), "ok");
}

#[tokio::test]
async fn slow_upload_with_pauses_is_not_cut_off() {
    // Pauses shorter than the idle timeout, longer in total than the upstream timeout.
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"timeout_secs": 1, "idle_timeout_secs": 5}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "POST {} HTTP/1.1\r\nContent-Length: 4\r\n\r\n",
            origin.url("/slow")
        )
        .as_bytes(),
    )
    .await;
    for byte in [b"a", b"b", b"c", b"d"] {
        tokio::time::sleep(Duration::from_millis(400)).await;
        conn.send(byte).await;
    }
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(origin.only_request().body, b"abcd");
}

#[tokio::test]
async fn response_with_both_length_and_chunked_is_read_as_chunked() {
    let origin = Origin::start(|_| {
        Reply::raw(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n\
             3\r\nabc\r\n0\r\n\r\n",
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for _ in 0..2 {
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        let resp = conn.response(false).await;
        assert_eq!(resp.text(), "abc");
        assert_eq!(resp.header("content-length"), None, "{}", resp.head);
    }
    assert_eq!(
        origin.connection_count(),
        2,
        "an upstream connection that sent both is not trusted again"
    );
}

#[tokio::test]
async fn post_with_an_empty_body_still_says_content_length_zero() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            origin.url("/empty")
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(origin.only_request().header_values("content-length"), ["0"]);
}

#[tokio::test]
async fn request_codings_ending_in_chunked_are_forwarded_as_sent() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nzz\x01\x02\r\n0\r\n\r\n",
            origin.url("/gz")
        ))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    assert_eq!(got.header_values("transfer-encoding"), ["gzip, chunked"]);
    assert_eq!(got.body, b"zz\x01\x02");
}
