//! Errors: every malformed or refused request gets its status and a small page, nothing that
//! could be smuggled is forwarded, upstream failures map to 502/504, slow clients get 408, and
//! no input panics the proxy.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{closed_port, Origin, Proxy, RawServer, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

/// Sends `raw` on a fresh connection; expects `status`, a small page, and the connection closed.
async fn expect_error_and_close(proxy: &Proxy, raw: &[u8], status: u16) -> common::Response {
    let mut conn = proxy.connect().await;
    conn.send(raw).await;
    let resp = conn.response(false).await;
    assert_eq!(
        resp.status,
        status,
        "for {:?}: {}",
        String::from_utf8_lossy(raw),
        resp.text()
    );
    assert!(!resp.body.is_empty(), "an error comes with a page");
    assert!(resp.header("content-type").is_some(), "{}", resp.head);
    assert!(
        conn.is_closed_by_peer().await,
        "the connection closes after {status} for {:?}",
        String::from_utf8_lossy(raw)
    );
    resp
}

#[tokio::test]
async fn malformed_request_lines_get_400() {
    let proxy = Proxy::start("{}").await;
    for raw in [
        "NOT A REQUEST\r\n\r\n",
        "GET http://127.0.0.1:1/\r\n\r\n",
        "GET http://127.0.0.1:1/ HTTP/2.0\r\n\r\n",
        "GET http://127.0.0.1:1/ FTP/1.1\r\n\r\n",
        "GET http://bad host/ HTTP/1.1\r\n\r\n",
        "GET http://127.0.0.1:99999/ HTTP/1.1\r\n\r\n",
        "GET http:/127.0.0.1/ HTTP/1.1\r\n\r\n",
        "GET http://user:pw@127.0.0.1:1/ HTTP/1.1\r\n\r\n",
        "GET http://127.0.0.1:1/#frag HTTP/1.1\r\n\r\n",
    ] {
        expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    }
}

#[tokio::test]
async fn malformed_header_lines_get_400_and_nothing_is_forwarded() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    for header in [
        "No colon here",
        "Bad Name: x",
        ": empty name",
        "X-Ctl: a\x01b",
    ] {
        let raw = format!("GET {} HTTP/1.1\r\n{header}\r\n\r\n", origin.url("/"));
        expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    }
    origin.assert_untouched();
}

#[tokio::test]
async fn two_host_headers_get_400() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let raw = format!(
        "GET {} HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
        origin.url("/")
    );
    expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    origin.assert_untouched();
}

#[tokio::test]
async fn content_length_with_transfer_encoding_gets_400_and_the_smuggled_request_never_arrives() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let smuggled = format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/smuggled"));
    let raw = format!(
        "POST {} HTTP/1.1\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        origin.url("/front"),
        5 + smuggled.len()
    );
    expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    origin.assert_untouched();
}

#[tokio::test]
async fn invalid_or_conflicting_content_length_gets_400() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    for lengths in [
        "Content-Length: abc\r\n",
        "Content-Length: -5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: \r\n",
        "Content-Length: 99999999999999999999999\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: 5, 6\r\n",
    ] {
        let raw = format!("POST {} HTTP/1.1\r\n{lengths}\r\nhello", origin.url("/"));
        expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    }
    origin.assert_untouched();
}

#[tokio::test]
async fn repeated_identical_content_length_is_accepted_and_sent_once() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            origin.url("/")
        ))
        .await;
    assert_eq!(resp.status, 200);
    let got = origin.only_request();
    assert_eq!(got.header_values("content-length"), ["5"]);
    assert_eq!(got.body, b"hello");
}

#[tokio::test]
async fn transfer_encoding_that_does_not_end_in_chunked_is_never_forwarded() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    for codings in [
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: \r\n",
        "Transfer-Encoding: \"chunked\"\r\n",
    ] {
        let raw = format!(
            "POST {} HTTP/1.1\r\n{codings}\r\n5\r\nhello\r\n0\r\n\r\n",
            origin.url("/")
        );
        expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    }
    origin.assert_untouched();
}

#[tokio::test]
async fn transfer_encoding_from_an_http10_client_gets_400() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let raw = format!(
        "POST {} HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        origin.url("/")
    );
    expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    origin.assert_untouched();
}

#[tokio::test]
async fn malformed_chunked_request_body_gets_400_and_close() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let raw = format!(
        "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        origin.url("/")
    );
    expect_error_and_close(&proxy, raw.as_bytes(), 400).await;
    assert!(
        origin.received().is_empty(),
        "no complete request reached the origin: {:#?}",
        origin.received()
    );
}

#[tokio::test]
async fn request_head_over_64_kib_gets_431() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let raw = format!(
        "GET {} HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        origin.url("/"),
        "a".repeat(70 * 1024)
    );
    expect_error_and_close(&proxy, raw.as_bytes(), 431).await;
    origin.assert_untouched();
}

#[tokio::test]
async fn request_head_growing_past_64_kib_without_an_end_gets_431() {
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(b"GET http://127.0.0.1:1/ HTTP/1.1\r\n").await;
    // Endless headers: the proxy must stop reading at the limit, not wait for the end.
    let line = format!("X-Filler: {}\r\n", "b".repeat(1000));
    let mut sent = 0;
    while sent < 80 * 1024 {
        if conn.try_send(line.as_bytes()).await.is_err() {
            break;
        }
        sent += line.len();
    }
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 431);
}

#[tokio::test]
async fn request_head_of_many_small_headers_gets_431() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let headers: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let raw = format!("GET {} HTTP/1.1\r\n{headers}\r\n", origin.url("/"));
    expect_error_and_close(&proxy, raw.as_bytes(), 431).await;
    origin.assert_untouched();
}

#[tokio::test]
async fn request_head_just_under_the_limit_is_forwarded() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            origin.url("/"),
            "a".repeat(60 * 1024)
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        origin.only_request().header("x-big").unwrap().len(),
        60 * 1024
    );
}

#[tokio::test]
async fn unsupported_scheme_gets_501() {
    let proxy = Proxy::start("{}").await;
    for target in [
        "ftp://127.0.0.1/file.txt",
        "gopher://127.0.0.1/",
        "https://127.0.0.1/",
    ] {
        let resp = expect_error_and_close(
            &proxy,
            format!("GET {target} HTTP/1.1\r\n\r\n").as_bytes(),
            501,
        )
        .await;
        let scheme = target.split(':').next().unwrap();
        assert!(resp.text().contains(scheme), "{}", resp.text());
    }
}

#[tokio::test]
async fn origin_form_request_gets_the_this_is_wicket_page() {
    let proxy = Proxy::start("{}").await;
    let resp = expect_error_and_close(
        &proxy,
        format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", proxy.addr).as_bytes(),
        400,
    )
    .await;
    let page = resp.text();
    assert!(page.contains("This is Wicket"), "{page}");
    assert!(page.contains("proxy"), "says how to set it up: {page}");
    assert!(
        page.contains(&proxy.addr.port().to_string()),
        "names the port to configure: {page}"
    );
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn asterisk_form_request_gets_the_this_is_wicket_page() {
    let proxy = Proxy::start("{}").await;
    let resp = expect_error_and_close(&proxy, b"OPTIONS * HTTP/1.1\r\n\r\n", 400).await;
    assert!(resp.text().contains("This is Wicket"), "{}", resp.text());
}

#[tokio::test]
async fn request_addressed_to_the_proxy_itself_gets_the_this_is_wicket_page() {
    let proxy = Proxy::start("{}").await;
    let port = proxy.addr.port();
    for url in [
        format!("http://{}/", proxy.addr),
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.2:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        let resp = expect_error_and_close(
            &proxy,
            format!("GET {url} HTTP/1.1\r\n\r\n").as_bytes(),
            400,
        )
        .await;
        assert!(
            resp.text().contains("This is Wicket"),
            "{url}: {}",
            resp.text()
        );
    }
}

#[tokio::test]
async fn a_proxy_on_every_address_knows_its_lan_address_is_itself() {
    let Some(own) = common::non_loopback_ipv4() else {
        eprintln!("skipped: this machine has no non-loopback IPv4 address");
        return;
    };
    let mut proxy = Proxy::start(r#"{"listen": "0.0.0.0:0"}"#).await;
    let port = proxy.addr.port();
    let resp = expect_error_and_close(
        &proxy,
        format!("GET http://{own}:{port}/ HTTP/1.1\r\n\r\n").as_bytes(),
        400,
    )
    .await;
    assert!(resp.text().contains("This is Wicket"), "{}", resp.text());
    // Answered here: not forwarded to itself, where it would be a second request.
    let record = proxy.next_record().await;
    assert_eq!(record.verdict, wicket::stats::Verdict::Local, "{record:?}");
    assert_eq!(proxy.engine.stats().requests, 1);
}

#[tokio::test]
async fn connection_refused_by_the_upstream_gets_502() {
    let port = closed_port().await;
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let resp = proxy
        .request(&format!("GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n"))
        .await;
    assert_eq!(resp.status, 502);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(resp.text().contains(&port.to_string()), "{}", resp.text());
}

#[tokio::test]
async fn unknown_host_name_gets_502() {
    let proxy = Proxy::start(r#"{"timeout_secs": 2}"#).await;
    let resp = proxy
        .request("GET http://no-such-host.invalid/ HTTP/1.1\r\n\r\n")
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
    assert!(
        resp.text().contains("no-such-host.invalid"),
        "{}",
        resp.text()
    );
}

#[tokio::test]
async fn error_answer_keeps_the_connection_for_the_next_request() {
    let origin = Origin::hello().await;
    let port = closed_port().await;
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n").as_bytes())
        .await;
    let failed = conn.response(false).await;
    assert_eq!(failed.status, 502);
    assert!(!failed.closes(), "{}", failed.head);
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/next")).as_bytes())
        .await;
    assert_eq!(conn.response(false).await.status, 200);
}

#[tokio::test]
async fn upstream_that_accepts_but_never_answers_gets_504() {
    let origin = Origin::start(|_| Reply::Hang).await;
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let resp = proxy.get(&origin.url("/slow")).await;
    assert_eq!(resp.status, 504, "{}", resp.text());
    assert_eq!(origin.received().len(), 1, "the request was sent");
}

#[tokio::test]
async fn upstream_that_never_accepts_the_connection_gets_504() {
    // A listener whose accept queue is full and never drained: further connection attempts
    // get no answer at all (on Linux the SYN is dropped), like a black-holed host.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    // Fill the queue until a connection attempt goes unanswered.
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
    }
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let resp = proxy
        .request(&format!("GET http://{addr}/ HTTP/1.1\r\n\r\n"))
        .await;
    assert_eq!(resp.status, 504, "{}", resp.text());
    drop(listener);
}

#[tokio::test]
async fn upstream_sending_garbage_instead_of_a_response_gets_502() {
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    for garbage in [
        &b"SSH-2.0-OpenSSH_9.0\r\n\r\n"[..],
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\n\r\n",
    ] {
        let reply = garbage.to_vec();
        let origin = Origin::start(move |_| Reply::SendAndClose(reply.clone())).await;
        let resp = proxy.get(&origin.url("/")).await;
        assert_eq!(
            resp.status,
            502,
            "for {:?}: {}",
            String::from_utf8_lossy(garbage),
            resp.text()
        );
    }
}

#[tokio::test]
async fn upstream_status_code_below_100_gets_502() {
    let proxy = Proxy::start("{}").await;
    for status_line in ["HTTP/1.1 000 Zero", "HTTP/1.1 099 Low"] {
        let reply = format!("{status_line}\r\nContent-Length: 2\r\n\r\nok");
        let origin = Origin::start(move |_| Reply::SendAndClose(reply.clone().into_bytes())).await;
        let resp = proxy.get(&origin.url("/")).await;
        assert_eq!(
            resp.status,
            502,
            "{status_line:?} is not a valid status; relayed as {:?}",
            resp.head.lines().next()
        );
    }
}

#[tokio::test]
async fn upstream_reason_phrase_with_non_ascii_bytes_is_relayed() {
    // obs-text (bytes 0x80-0xFF) is allowed in a reason phrase (RFC 9112 section 4).
    let origin = Origin::start(|_| {
        Reply::SendAndClose(
            b"HTTP/1.1 200 \xc3\x9cberall \xff\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        )
    })
    .await;
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
    let raw = conn.read_to_close().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 "), "got {text:?}");
    assert!(text.ends_with("\r\n\r\nok"), "got {text:?}");
}

#[tokio::test]
async fn upstream_response_head_over_64_kib_gets_502() {
    let big = format!(
        "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
        "z".repeat(70 * 1024)
    );
    let origin = Origin::start(move |_| Reply::raw(&big)).await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&origin.url("/")).await;
    assert_eq!(resp.status, 502);
}

#[tokio::test]
async fn upstream_closing_without_a_word_gets_502() {
    let origin = Origin::start(|_| Reply::Close).await;
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&origin.url("/")).await;
    assert_eq!(resp.status, 502);
}

#[tokio::test]
async fn upstream_cutting_a_body_short_closes_the_client_connection() {
    let origin = Origin::start(|_| {
        Reply::SendAndClose(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..".to_vec())
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    let head = conn.head().await;
    assert!(head.contains("Content-Length: 100"), "{head}");
    let rest = conn.read_to_close().await;
    assert_eq!(
        rest, b"only ten..",
        "the client sees the truncation as a close, never a made-up end"
    );
}

#[tokio::test]
async fn slowloris_client_gets_408_and_close_while_others_are_served() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"head_timeout_secs": 1}"#).await;
    let mut slow = proxy.connect().await;
    slow.send(format!("GET {} HTTP/1.1\r\nHost: ", origin.url("/")).as_bytes())
        .await;
    // Another client is served normally meanwhile.
    for _ in 0..3 {
        let resp = proxy.get(&origin.url("/other")).await;
        assert_eq!(resp.status, 200);
    }
    let resp = slow.response(false).await;
    assert_eq!(resp.status, 408);
    assert!(slow.is_closed_by_peer().await);
    assert_eq!(
        origin.received().len(),
        3,
        "only the other client's requests"
    );
}

#[tokio::test]
async fn client_trickling_its_head_forever_still_gets_408() {
    let proxy = Proxy::start(r#"{"head_timeout_secs": 1}"#).await;
    let slow = proxy.connect().await;
    let (mut reader, mut writer) = slow.stream.into_split();
    // A byte every 50 ms, never finishing: only a deadline on the whole head stops this.
    let trickle = tokio::spawn(async move {
        writer
            .write_all(b"GET http://127.0.0.1:1/ HTTP/1.1\r\nX-Slow: ")
            .await?;
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            writer.write_all(b"a").await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
    let mut answer = Vec::new();
    let _ = common::within("a 408", reader.read_to_end(&mut answer)).await;
    trickle.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_quietly() {
    let proxy = Proxy::start(r#"{"idle_timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    let sent = conn.read_to_close().await;
    assert!(
        sent.is_empty(),
        "no 408 for a client that never started a request: {:?}",
        String::from_utf8_lossy(&sent)
    );
}

/// Records panics on this test's thread (the engine runs on the test's own runtime thread).
fn watch_panics() -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let me = std::thread::current().name().map(str::to_string);
    let previous = std::panic::take_hook();
    let record = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name().map(str::to_string) == me {
            record.lock().unwrap().push(info.to_string());
        }
        previous(info);
    }));
    seen
}

#[tokio::test]
async fn no_client_or_upstream_input_panics_the_proxy() {
    let panics = watch_panics();
    let garbage_origin = RawServer::start(|mut stream| async move {
        let mut buf = Vec::new();
        if common::read_head(&mut stream, &mut buf).await.is_none() {
            return;
        }
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\n\xff\xfe")
            .await;
        common::close_gently(stream).await;
    })
    .await;
    let proxy = Proxy::start(
        r#"{"head_timeout_secs": 1, "idle_timeout_secs": 1, "timeout_secs": 1, "connect_ports": "any"}"#,
    )
    .await;
    let g = garbage_origin.addr;
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\0\0\0\0\r\n\r\n".to_vec(),
        common::pattern(5000),
        b"\r\n\r\n\r\n\r\n".to_vec(),
        b"GET http://[::1/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://[zz]:80/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://:80/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://a.invalid:/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://a.invalid:0/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://\xff\xfe.invalid/ HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://a.invalid/\xff HTTP/1.1\r\n\r\n".to_vec(),
        b"GET http://a.invalid/ HTTP/1.1\r\nX: \xff\xfe\x80\r\n\r\n".to_vec(),
        b"GET http://a.invalid/ HTTP/1.1\r\nConnection: \xff, close\r\n\r\n".to_vec(),
        b"GET http://a.invalid/ HTTP/1.1\r\nConnection: ,,,\r\n\r\n".to_vec(),
        b"GET http://a.invalid/ HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n".to_vec(),
        b"CONNECT :443 HTTP/1.1\r\n\r\n".to_vec(),
        b"CONNECT [::1]:0 HTTP/1.1\r\n\r\n".to_vec(),
        b"CONNECT [zz]:443 HTTP/1.1\r\n\r\n".to_vec(),
        b"CONNECT a.invalid:99999999 HTTP/1.1\r\n\r\n".to_vec(),
        b"CONNECT http://a.invalid/ HTTP/1.1\r\n\r\n".to_vec(),
        b" / HTTP/1.1\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"G\xc3\x89T http://a.invalid/ HTTP/1.1\r\n\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
        format!("POST http://{g}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n").into_bytes(),
        format!("POST http://{g}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;{}\r\n", "e".repeat(10_000)).into_bytes(),
        format!("POST http://{g}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad trailer\r\n\r\n").into_bytes(),
        format!("POST http://{g}/ HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\nabc").into_bytes(),
        format!("GET http://{g}/ HTTP/1.1\r\n\r\n").into_bytes(),
        format!("HEAD http://{g}/ HTTP/1.1\r\n\r\n").into_bytes(),
        format!("GET http://{g}/ HTTP/1.0\r\n\r\n").into_bytes(),
    ];
    for reply in [
        &b"HTTP/1.1 99999 Huge\r\n\r\n"[..],
        b"HTTP/1.1 000 Zero\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked, gzip\r\n\r\nabc",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No\r\n\r\n",
    ] {
        let reply = reply.to_vec();
        let origin = Origin::start(move |_| Reply::SendAndClose(reply.clone())).await;
        inputs.push(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).into_bytes());
        inputs.push(format!("GET {} HTTP/1.0\r\n\r\n", origin.url("/")).into_bytes());
    }
    let mut clients = JoinSet::new();
    for input in inputs {
        let mut conn = proxy.connect().await;
        clients.spawn(async move {
            let _ = conn.try_send(&input).await;
            let _ = conn.read_to_close().await;
        });
    }
    common::within("every client to be done", async {
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
    })
    .await;
    let origin = Origin::hello().await;
    let resp = proxy.get(&origin.url("/still-alive")).await;
    assert_eq!(resp.status, 200, "the proxy still serves");
    // Copied out first: failing the assertion panics, and the hook takes the lock too.
    let panics = panics.lock().unwrap().clone();
    assert!(panics.is_empty(), "the proxy panicked: {panics:#?}");
}
