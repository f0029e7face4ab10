//! CONNECT tunnels: relaying both ways, early bytes, half-close, port rules, refusals.

mod common;

use common::{closed_port, digest, pattern, EchoServer, Proxy, RawServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

fn connect_request(target: &str) -> String {
    format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")
}

/// Opens a tunnel through the proxy and checks the 200.
async fn open_tunnel(proxy: &Proxy, target: &str) -> common::Conn {
    let mut conn = proxy.connect().await;
    conn.send(connect_request(target).as_bytes()).await;
    let head = conn.head().await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    conn
}

#[tokio::test]
async fn tunnel_relays_bytes_both_ways() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = open_tunnel(&proxy, &echo.addr.to_string()).await;
    for message in [
        &b"\x16\x03\x01 not really TLS"[..],
        b"second",
        &[0u8, 255, 13, 10],
    ] {
        conn.send(message).await;
        assert_eq!(conn.read_bytes(message.len()).await, message);
    }
    assert_eq!(echo.connection_count(), 1);
}

#[tokio::test]
async fn bytes_sent_right_after_the_connect_head_are_forwarded() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = proxy.connect().await;
    let mut first_flight = connect_request(&echo.addr.to_string()).into_bytes();
    first_flight.extend_from_slice(b"CLIENT-HELLO");
    conn.send(&first_flight).await;
    let head = conn.head().await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(conn.read_bytes(12).await, b"CLIENT-HELLO");
}

#[tokio::test]
async fn client_half_close_still_receives_everything() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let conn = open_tunnel(&proxy, &echo.addr.to_string()).await;
    let data = pattern(4 << 20);
    // Send everything and shut down the write side while the echo is still coming back.
    let (mut reader, mut writer) = conn.stream.into_split();
    let sent = data.clone();
    let sender = tokio::spawn(async move {
        writer.write_all(&sent).await.unwrap();
        writer.shutdown().await.unwrap();
        writer
    });
    let mut echoed = Vec::new();
    common::within("the echo to end", reader.read_to_end(&mut echoed))
        .await
        .unwrap();
    let _writer = sender.await.unwrap();
    assert_eq!(
        digest(&echoed),
        digest(&data),
        "nothing lost after the half-close"
    );
}

#[tokio::test]
async fn upstream_half_close_still_delivers_what_the_client_sends_after_it() {
    let (tx, late_data) = oneshot::channel::<Vec<u8>>();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = RawServer::start(move |mut stream| {
        let tx = tx.lock().unwrap().take();
        async move {
            stream.write_all(b"BANNER").await.unwrap();
            stream.shutdown().await.unwrap();
            let mut got = Vec::new();
            let _ = stream.read_to_end(&mut got).await;
            if let Some(tx) = tx {
                let _ = tx.send(got);
            }
        }
    })
    .await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = open_tunnel(&proxy, &server.addr.to_string()).await;
    assert_eq!(conn.read_bytes(6).await, b"BANNER");
    // The server's side is done; ours is not.
    let mut rest = Vec::new();
    common::within(
        "the upstream's end of stream",
        conn.stream.read_to_end(&mut rest),
    )
    .await
    .unwrap();
    assert!(rest.is_empty());
    conn.send(b"late words").await;
    conn.shutdown_write().await;
    let got = common::within("the server to receive the late words", late_data)
        .await
        .unwrap();
    assert_eq!(got, b"late words");
}

#[tokio::test]
async fn connect_to_a_port_outside_the_default_list_is_refused() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(connect_request(&echo.addr.to_string()).as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    assert!(
        resp.text().contains(&echo.addr.port().to_string()),
        "{}",
        resp.text()
    );
    assert!(conn.is_closed_by_peer().await);
    assert_eq!(echo.connection_count(), 0, "nothing is connected");
}

#[tokio::test]
async fn default_connect_ports_allow_443() {
    // Nothing listens on 127.0.0.1:443 here: the port check passes, the connection fails (502).
    let mut proxy = Proxy::start("{}").await;
    let resp = proxy.request(&connect_request("127.0.0.1:443")).await;
    let record = proxy.next_record().await;
    assert_ne!(
        record.error,
        Some(wicket::ErrorKind::PortNotAllowed),
        "{record:?}"
    );
    assert_ne!(resp.status, 403, "{}", resp.text());
}

#[tokio::test]
async fn connect_ports_list_allows_the_listed_ports_only() {
    let echo = EchoServer::start().await;
    let other = EchoServer::start().await;
    let config = format!(r#"{{"connect_ports": [443, {}]}}"#, echo.addr.port());
    let proxy = Proxy::start(&config).await;
    let mut conn = open_tunnel(&proxy, &echo.addr.to_string()).await;
    conn.send(b"ping").await;
    assert_eq!(conn.read_bytes(4).await, b"ping");
    let refused = proxy
        .request(&connect_request(&other.addr.to_string()))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(other.connection_count(), 0);
}

#[tokio::test]
async fn connect_ports_any_allows_every_port() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = open_tunnel(&proxy, &echo.addr.to_string()).await;
    conn.send(b"any port").await;
    assert_eq!(conn.read_bytes(8).await, b"any port");
}

#[tokio::test]
async fn blocked_connect_gets_a_plain_403_and_nothing_is_connected() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any", "block": ["127.0.0.1"]}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(connect_request(&echo.addr.to_string()).as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/plain"),
        "{}",
        resp.head
    );
    assert!(resp.text().contains("127.0.0.1"), "{}", resp.text());
    assert!(conn.is_closed_by_peer().await);
    assert_eq!(echo.connection_count(), 0);
}

#[tokio::test]
async fn blocked_connect_by_name_is_refused_before_any_lookup() {
    let proxy = Proxy::start(r#"{"block": ["tracker.invalid"]}"#).await;
    let resp = proxy
        .request(&connect_request("www.tracker.invalid:443"))
        .await;
    assert_eq!(
        resp.status,
        403,
        "blocked, not a failed lookup: {}",
        resp.text()
    );
    assert!(
        resp.text().contains("www.tracker.invalid"),
        "{}",
        resp.text()
    );
    assert!(resp.text().contains("tracker.invalid"), "{}", resp.text());
}

#[tokio::test]
async fn connect_to_a_closed_port_gets_502() {
    let port = closed_port().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any", "timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(connect_request(&format!("127.0.0.1:{port}")).as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 502);
    assert!(conn.is_closed_by_peer().await);
}

#[tokio::test]
async fn connect_to_an_unknown_name_gets_502() {
    let proxy = Proxy::start(r#"{"timeout_secs": 2}"#).await;
    let resp = proxy
        .request(&connect_request("no-such-host.invalid:443"))
        .await;
    assert_eq!(resp.status, 502, "{}", resp.text());
}

#[tokio::test]
async fn connect_to_the_proxy_itself_is_refused() {
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let resp = proxy
        .request(&connect_request(&proxy.addr.to_string()))
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text());
}

#[tokio::test]
async fn connect_without_a_port_is_a_bad_request() {
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let resp = proxy.request(&connect_request("127.0.0.1")).await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn tunnel_carries_large_data_both_ways_intact() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let conn = open_tunnel(&proxy, &echo.addr.to_string()).await;
    let data = pattern(8 << 20);
    let (mut reader, mut writer) = conn.stream.into_split();
    let sent = data.clone();
    let sender = tokio::spawn(async move { writer.write_all(&sent).await.map(|_| writer) });
    let mut buf = Vec::new();
    let echoed = common::within("the echoed data", async {
        while buf.len() < data.len() {
            buf.reserve(64 * 1024);
            let n = reader.read_buf(&mut buf).await.unwrap();
            assert!(n > 0, "tunnel closed early after {} bytes", buf.len());
        }
        buf
    })
    .await;
    sender.await.unwrap().unwrap();
    assert_eq!(digest(&echoed), digest(&data));
}
