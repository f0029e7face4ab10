//! Plain HTTP forwarding: request rewriting, hop-by-hop headers, Via, HTTP/1.0 clients,
//! keep-alive and pipelining, and upstream connection reuse.

mod common;

use common::{Origin, Proxy, Reply};

#[tokio::test]
async fn absolute_form_request_reaches_origin_in_origin_form_with_identical_path_and_query() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let url = origin.url("/a%20b/c;p?x=1&y=%2F&z");
    let resp = proxy
        .request(&format!(
            "GET {url} HTTP/1.1\r\nHost: {}\r\n\r\n",
            origin.addr
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello");
    let got = origin.only_request();
    assert_eq!(got.request_line(), "GET /a%20b/c;p?x=1&y=%2F&z HTTP/1.1");
    assert_eq!(got.header("host").unwrap(), origin.addr.to_string());
}

#[tokio::test]
async fn url_without_a_path_is_sent_as_slash_and_a_bare_query_keeps_its_question_mark() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start("{}").await;
    let bare = proxy.get(&format!("http://{}", origin.authority())).await;
    assert_eq!(bare.text(), "/");
    let query = proxy
        .get(&format!("http://{}?q=%41+b", origin.authority()))
        .await;
    assert_eq!(query.text(), "/?q=%41+b");
    let lines: Vec<String> = origin
        .received()
        .iter()
        .map(|r| r.request_line().to_string())
        .collect();
    assert_eq!(lines, ["GET / HTTP/1.1", "GET /?q=%41+b HTTP/1.1"]);
}

#[tokio::test]
async fn host_from_the_uri_wins_over_a_conflicting_host_header() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\nHost: elsewhere.example:8080\r\nConnection: close\r\n\r\n",
            origin.url("/x")
        ))
        .await;
    assert_eq!(resp.status, 200, "the URI's host is the one contacted");
    let got = origin.only_request();
    assert_eq!(
        got.header_values("host"),
        [origin.authority()],
        "exactly one Host, the URI's authority"
    );
}

#[tokio::test]
async fn missing_host_header_is_supplied_from_the_uri() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!("GET {} HTTP/1.0\r\n\r\n", origin.url("/ten")))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    assert_eq!(got.header_values("host"), [origin.authority()]);
}

#[tokio::test]
async fn hop_by_hop_request_headers_and_those_named_in_connection_are_not_forwarded() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\n\
             Host: {}\r\n\
             Connection: keep-alive, X-Hop-One\r\n\
             Connection: x-hop-two\r\n\
             X-Hop-One: secret\r\n\
             X-Hop-Two: secret\r\n\
             Proxy-Connection: keep-alive\r\n\
             Keep-Alive: timeout=5\r\n\
             TE: trailers\r\n\
             Trailer: X-Checksum\r\n\
             Upgrade: websocket\r\n\
             Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\
             X-End-To-End: kept\r\n\
             Accept: */*\r\n\r\n",
            origin.url("/"),
            origin.authority()
        ))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    for name in [
        "connection",
        "x-hop-one",
        "x-hop-two",
        "proxy-connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
    ] {
        assert!(
            got.header(name).is_none(),
            "{name} must not reach the origin:\n{}",
            got.head
        );
    }
    assert_eq!(got.header("x-end-to-end").as_deref(), Some("kept"));
    assert_eq!(got.header("accept").as_deref(), Some("*/*"));
}

#[tokio::test]
async fn hop_by_hop_response_headers_and_those_named_in_connection_are_not_relayed() {
    let origin = Origin::start(|_| {
        Reply::raw(
            "HTTP/1.1 200 OK\r\n\
             Connection: X-Hop-Resp\r\n\
             X-Hop-Resp: secret\r\n\
             Keep-Alive: timeout=5, max=100\r\n\
             Proxy-Authenticate: Basic realm=\"x\"\r\n\
             Proxy-Connection: keep-alive\r\n\
             Trailer: X-Sum\r\n\
             Upgrade: h2c\r\n\
             X-End-To-End: kept\r\n\
             Content-Length: 2\r\n\r\nok",
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "ok");
    for name in [
        "x-hop-resp",
        "keep-alive",
        "proxy-authenticate",
        "proxy-connection",
        "trailer",
        "upgrade",
    ] {
        assert!(
            resp.header(name).is_none(),
            "{name} must not reach the client:\n{}",
            resp.head
        );
    }
    assert!(
        resp.header_values("connection")
            .iter()
            .all(|v| !v.to_ascii_lowercase().contains("x-hop-resp")),
        "{}",
        resp.head
    );
    assert_eq!(resp.header("x-end-to-end").as_deref(), Some("kept"));
}

#[tokio::test]
async fn repeated_request_headers_reach_the_origin_unchanged_and_in_order() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\n\
             X-Multi: first\r\n\
             Accept: text/html\r\n\
             X-Multi: second,  with  spaces\r\n\
             Cookie: a=1\r\n\
             x-multi: third\r\n\r\n",
            origin.url("/")
        ))
        .await;
    let got = origin.only_request();
    assert_eq!(
        got.header_values("x-multi"),
        ["first", "second,  with  spaces", "third"]
    );
    let names: Vec<String> = got
        .header_names()
        .into_iter()
        .filter(|n| !["host", "via"].contains(&n.to_ascii_lowercase().as_str()))
        .collect();
    assert_eq!(
        names,
        ["X-Multi", "Accept", "X-Multi", "Cookie", "x-multi"],
        "end-to-end headers keep their order and spelling"
    );
}

#[tokio::test]
async fn repeated_response_headers_reach_the_client_unchanged_and_in_order() {
    let origin = Origin::start(|_| {
        Reply::raw(
            "HTTP/1.1 200 OK\r\n\
             Set-Cookie: a=1; Path=/\r\n\
             Cache-Control: no-cache\r\n\
             Set-Cookie: b=2; HttpOnly\r\n\
             Set-Cookie: c=3\r\n\
             Content-Length: 0\r\n\r\n",
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")))
        .await;
    assert_eq!(
        resp.header_values("set-cookie"),
        ["a=1; Path=/", "b=2; HttpOnly", "c=3"]
    );
    let names: Vec<String> = common::header_names(&resp.head)
        .into_iter()
        .filter(|n| n.eq_ignore_ascii_case("set-cookie") || n.eq_ignore_ascii_case("cache-control"))
        .collect();
    assert_eq!(
        names,
        ["Set-Cookie", "Cache-Control", "Set-Cookie", "Set-Cookie"]
    );
}

#[tokio::test]
async fn via_is_added_to_the_request_after_any_existing_via() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\nVia: 1.1 upstream-cache\r\n\r\n",
            origin.url("/")
        ))
        .await;
    let via = origin.only_request().header_values("via");
    assert_eq!(via.len(), 2, "{via:?}");
    assert_eq!(via[0], "1.1 upstream-cache");
    assert!(via[1].contains("wicket"), "{via:?}");
}

#[tokio::test]
async fn via_is_added_to_the_response() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")))
        .await;
    let via = resp.header_values("via");
    assert!(
        via.iter()
            .any(|v| v.starts_with("1.1 ") && v.contains("wicket")),
        "{}",
        resp.head
    );
}

#[tokio::test]
async fn http10_client_gets_a_chunked_response_as_plain_bytes_ended_by_close() {
    let origin = Origin::start(|_| {
        Reply::raw(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 1\r\n\r\n",
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.0\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let raw = String::from_utf8(conn.read_to_close().await).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("chunked"),
        "an HTTP/1.0 client cannot decode chunked:\n{head}"
    );
    assert_eq!(
        body, "hello, world",
        "plain body, no chunk framing or trailers"
    );
}

#[tokio::test]
async fn http10_client_gets_a_close_delimited_response_unchanged() {
    let origin = Origin::start(|_| {
        Reply::SendAndClose(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close".to_vec(),
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.0\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let raw = String::from_utf8(conn.read_to_close().await).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    assert_eq!(body, "until close");
}

#[tokio::test]
async fn http10_client_asking_for_keep_alive_can_send_a_second_request() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for path in ["/one", "/two"] {
        conn.send(
            format!(
                "GET {} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                origin.url(path)
            )
            .as_bytes(),
        )
        .await;
        let resp = conn.response(false).await;
        assert_eq!(resp.text(), path);
        assert!(
            resp.header_values("connection")
                .iter()
                .any(|v| v.eq_ignore_ascii_case("keep-alive")),
            "an HTTP/1.0 client is told the connection stays:\n{}",
            resp.head
        );
    }
}

#[tokio::test]
async fn client_connection_close_is_honoured_after_the_response() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "GET {} HTTP/1.1\r\nConnection: close\r\n\r\n",
            origin.url("/")
        )
        .as_bytes(),
    )
    .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.text(), "hello");
    assert!(resp.closes(), "{}", resp.head);
    assert!(conn.is_closed_by_peer().await);
}

#[tokio::test]
async fn keep_alive_client_reuses_the_upstream_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for _ in 0..3 {
        conn.send(format!("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        let resp = conn.response(false).await;
        assert_eq!(resp.status, 200);
    }
    assert_eq!(origin.received().len(), 3);
    assert_eq!(
        origin.connection_count(),
        1,
        "one upstream connection serves all three"
    );
}

#[tokio::test]
async fn separate_client_connections_share_pooled_upstream_connections() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    for _ in 0..3 {
        let resp = proxy.get(&origin.url("/")).await;
        assert_eq!(resp.status, 200);
    }
    assert_eq!(origin.received().len(), 3);
    assert_eq!(
        origin.connection_count(),
        1,
        "the idle connection is pooled"
    );
    assert!(
        origin.received().iter().all(|r| r.connection == 0),
        "all three came on the first upstream connection"
    );
}

#[tokio::test]
async fn sequential_requests_on_one_connection_are_answered_in_order() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for i in 0..5 {
        let path = format!("/seq/{i}");
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url(&path)).as_bytes())
            .await;
        assert_eq!(conn.response(false).await.text(), path);
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    let mut batch = String::new();
    for i in 0..5 {
        batch.push_str(&format!(
            "GET {} HTTP/1.1\r\n\r\n",
            origin.url(&format!("/pipe/{i}"))
        ));
    }
    // A POST with a body in the middle: its body must not be taken for the next request.
    batch.push_str(&format!(
        "POST {} HTTP/1.1\r\nContent-Length: 9\r\n\r\nbody-here",
        origin.url("/pipe/post")
    ));
    batch.push_str(&format!(
        "GET {} HTTP/1.1\r\n\r\n",
        origin.url("/pipe/last")
    ));
    conn.send(batch.as_bytes()).await;
    let mut got = Vec::new();
    for _ in 0..7 {
        got.push(conn.response(false).await.text());
    }
    assert_eq!(
        got,
        [
            "/pipe/0",
            "/pipe/1",
            "/pipe/2",
            "/pipe/3",
            "/pipe/4",
            "/pipe/post",
            "/pipe/last"
        ]
    );
    let post = origin
        .received()
        .into_iter()
        .find(|r| r.request_line().starts_with("POST"))
        .unwrap();
    assert_eq!(post.body, b"body-here");
}

#[tokio::test]
async fn pooled_connection_closed_by_the_upstream_is_replaced_transparently() {
    // The origin answers as if it kept the connection, then closes it: the pooled connection is
    // dead when the next request comes.
    let origin = Origin::start(|_| {
        Reply::SendAndClose(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst".to_vec())
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/1")).as_bytes())
        .await;
    assert_eq!(conn.response(false).await.text(), "first");
    // Give the origin's FIN time to arrive; the proxy must cope whether it noticed or not.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/2")).as_bytes())
        .await;
    let second = conn.response(false).await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(second.text(), "first");
    let received = origin.received();
    assert_eq!(received.len(), 2, "{received:#?}");
    assert_eq!(received[1].request_line(), "GET /2 HTTP/1.1");
    assert_eq!(origin.connection_count(), 2);
}

#[tokio::test]
async fn pooled_connection_closed_while_the_request_is_written_is_retried_on_a_new_one() {
    // No pause: the second request races the origin's close. Whatever the timing, a request
    // without a body that got no answer on a reused connection is safe to send again.
    let origin =
        Origin::start(|_| Reply::SendAndClose(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec())).await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for i in 0..5 {
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url(&format!("/{i}"))).as_bytes())
            .await;
        let resp = conn.response(false).await;
        assert_eq!(resp.status, 204, "request {i}: {}", resp.text());
    }
    assert_eq!(origin.received().len(), 5);
}

#[tokio::test]
async fn upstream_connection_close_is_not_reused() {
    let origin = Origin::start(|_| {
        Reply::Send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok".to_vec())
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for _ in 0..2 {
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        let resp = conn.response(false).await;
        assert_eq!(resp.text(), "ok");
        assert!(
            !resp.closes(),
            "the client connection is not the upstream's"
        );
    }
    assert_eq!(
        origin.connection_count(),
        2,
        "an upstream that said close gets a new connection"
    );
}

#[tokio::test]
async fn different_origins_do_not_share_pooled_connections() {
    let a = Origin::start(|_| Reply::ok("a")).await;
    let b = Origin::start(|_| Reply::ok("b")).await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for (origin, want) in [(&a, "a"), (&b, "b"), (&a, "a"), (&b, "b")] {
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        assert_eq!(conn.response(false).await.text(), want);
    }
    assert_eq!(a.received().len(), 2);
    assert_eq!(b.received().len(), 2);
}
