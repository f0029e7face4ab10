//! Bodies that stop moving: a site that stalls in the middle of a response, a site that stops
//! reading an upload, a client that stops reading a download. Each is given up after its
//! timeout (the upstream `timeout_secs`, the client's `idle_timeout_secs`), and both sockets
//! are closed: nothing stays held for a peer that went quiet (found by the soak: 256 such
//! stalls used up a client's connection limit and everything it asked for then got 503).

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use common::{read_head, within, Proxy};
use wicket::{ErrorKind, Verdict};

/// A site that accepts one connection, reads the request head, answers with `response`, and
/// then goes quiet without closing. Reports when (how long after it went quiet) the proxy
/// closed the connection.
async fn quiet_site(response: Vec<u8>) -> (String, oneshot::Receiver<Duration>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (closed, when) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        read_head(&mut stream, &mut buf)
            .await
            .expect("a request head");
        stream.write_all(&response).await.unwrap();
        let quiet = Instant::now();
        let _ = closed.send(wait_closed(&mut stream, quiet).await);
    });
    (addr, when)
}

/// Reads (and drops) whatever comes until the peer closes; how long that took.
async fn wait_closed(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut sink = [0u8; 16384];
    loop {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => return since.elapsed(),
            Ok(_) => {}
        }
    }
}

async fn stall_mid_body(response: Vec<u8>, sent: usize) {
    let (site, closed) = quiet_site(response).await;
    let mut proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET http://{site}/big HTTP/1.1\r\nHost: {site}\r\n\r\n").as_bytes())
        .await;
    // The client gets what the site sent, then the connection ends short of the body.
    let got = conn.read_to_close().await;
    let body = got.len() - common::find(&got, b"\r\n\r\n").unwrap() - 4;
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(body <= sent, "{body} bytes came, {sent} were sent");
    let after = within("the proxy to close the site's connection", closed)
        .await
        .unwrap();
    assert!(after >= Duration::from_millis(900), "cut after {after:?}");
    let record = proxy.next_record().await;
    assert_eq!(record.verdict, Verdict::Forwarded);
    assert_eq!(record.error, Some(ErrorKind::UpstreamAborted));
    common::eventually("the client connection to be closed", || {
        proxy.engine.stats().open_connections == 0
    })
    .await;
}

#[tokio::test]
async fn a_site_that_stalls_mid_body_is_given_up_after_the_timeout() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
    response.extend_from_slice(&[b'x'; 1000]);
    stall_mid_body(response, 1000).await;
}

#[tokio::test]
async fn a_large_body_moved_by_splice_is_given_up_too() {
    // Over the splice threshold: the bytes go socket to pipe to socket.
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n".to_vec();
    response.extend_from_slice(&[b'x'; 1000]);
    stall_mid_body(response, 1000).await;
}

#[tokio::test]
async fn a_chunked_body_that_stalls_is_given_up_too() {
    let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n".to_vec();
    stall_mid_body(response, 1024).await;
}

#[tokio::test]
async fn a_site_that_stops_reading_an_upload_gets_504_and_is_closed() {
    // The site reads the head, then neither reads the body nor answers, until the client has
    // its answer; only then does it look whether the proxy let go of its connection.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = listener.local_addr().unwrap();
    let (answered, client_answered) = oneshot::channel::<()>();
    let (closed, when) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        read_head(&mut stream, &mut buf)
            .await
            .expect("a request head");
        let _ = client_answered.await;
        let _ = closed.send(wait_closed(&mut stream, Instant::now()).await);
    });
    let proxy = Proxy::start(r#"{"timeout_secs": 1}"#).await;
    let conn = proxy.connect().await;
    let (mut reader, mut writer) = conn.stream.into_split();
    let len = 64 << 20;
    let upload = tokio::spawn(async move {
        let head = format!("POST http://{site}/up HTTP/1.1\r\nContent-Length: {len}\r\n\r\n");
        writer.write_all(head.as_bytes()).await.unwrap();
        let block = vec![b'u'; 65536];
        for _ in 0..len / block.len() {
            if writer.write_all(&block).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let head = within("the proxy's answer", read_head_of(&mut reader, &mut answer)).await;
    assert!(head.starts_with("HTTP/1.1 504 "), "{head}");
    answered.send(()).unwrap();
    within("the site's connection to be closed", when)
        .await
        .unwrap();
    upload.abort();
}

/// The head of what the proxy answers, from the read half of a client connection.
async fn read_head_of(reader: &mut tokio::net::tcp::OwnedReadHalf, buf: &mut Vec<u8>) -> String {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = common::find(buf, b"\r\n\r\n") {
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
        let n = reader.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the proxy closed without an answer");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_given_up_after_its_idle_timeout() {
    // The site sends as fast as it can; the client reads the head and then nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = listener.local_addr().unwrap();
    let (stopped, when) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        read_head(&mut stream, &mut buf)
            .await
            .expect("a request head");
        let len: u64 = 1 << 36;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let block = vec![b'd'; 65536];
        while stream.write_all(&block).await.is_ok() {}
        let _ = stopped.send(());
    });
    let proxy = Proxy::start(r#"{"idle_timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET http://{site}/huge HTTP/1.1\r\n\r\n").as_bytes())
        .await;
    let head = conn.head().await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    // Not reading: once the buffers between are full, nothing moves. The proxy gives up, and
    // the site's writes fail.
    within("the site's writes to fail", when).await.unwrap();
    common::eventually("the connection to be closed", || {
        proxy.engine.stats().open_connections == 0
    })
    .await;
}
