//! Configurable limits: each one, when reached, gives its status code or a clean close, is
//! counted in the stats, and leaves the proxy serving everyone else.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{within, EchoServer, Origin, Proxy};
use wicket::ErrorKind;

#[tokio::test]
async fn request_target_over_the_limit_gets_414_and_is_counted() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"max_uri_bytes": 300}"#).await;
    let long = origin.url(&format!("/{}", "a".repeat(300)));
    let resp = proxy.request(&format!("GET {long} HTTP/1.1\r\n\r\n")).await;
    assert_eq!(resp.status, 414);
    assert!(origin.received().is_empty(), "nothing was forwarded");
    let short = origin.url(&format!("/{}", "a".repeat(200)));
    let resp = proxy
        .request(&format!("GET {short} HTTP/1.1\r\n\r\n"))
        .await;
    assert_eq!(resp.status, 200, "a target under the limit passes");
    assert_eq!(proxy.engine.stats().error_count(ErrorKind::UriTooLong), 1);
}

#[tokio::test]
async fn request_line_that_never_ends_gets_414_before_the_head_limit() {
    let proxy = Proxy::start(r#"{"max_uri_bytes": 300, "head_timeout_secs": 5}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET http://a.test/{}", "b".repeat(2000)).as_bytes())
        .await;
    let answer = String::from_utf8_lossy(&conn.read_to_close().await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 414 "), "{answer}");
}

#[tokio::test]
async fn header_count_and_head_size_limits_give_431() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"max_headers": 10, "max_head_bytes": 2048}"#).await;
    let headers = |n: usize| -> String { (0..n).map(|i| format!("X-{i}: v\r\n")).collect() };
    let url = origin.url("/");
    assert_eq!(
        proxy
            .request(&format!("GET {url} HTTP/1.1\r\n{}\r\n", headers(10)))
            .await
            .status,
        200
    );
    assert_eq!(
        proxy
            .request(&format!("GET {url} HTTP/1.1\r\n{}\r\n", headers(11)))
            .await
            .status,
        431
    );
    let big = format!("GET {url} HTTP/1.1\r\nX-Big: {}\r\n\r\n", "v".repeat(2048));
    assert_eq!(proxy.request(&big).await.status, 431);
    assert_eq!(proxy.engine.stats().error_count(ErrorKind::HeadTooLarge), 2);
}

#[tokio::test]
async fn a_client_over_its_connection_limit_gets_503_and_others_are_served() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"max_connections_per_client": 2}"#).await;
    let request = format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/"));
    // Two open keep-alive connections from 127.0.0.1, both served.
    let mut first = proxy.connect().await;
    let mut second = proxy.connect().await;
    for conn in [&mut first, &mut second] {
        conn.send(request.as_bytes()).await;
        assert_eq!(conn.response(false).await.status, 200);
    }
    // A third from the same address is refused at once and closed.
    let mut third = proxy.connect().await;
    let answer = String::from_utf8_lossy(&third.read_to_close().await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert_eq!(
        proxy
            .engine
            .stats()
            .error_count(ErrorKind::TooManyConnections),
        1
    );
    // Another address is not affected by this one's count.
    let mut other = common::Conn::open_from("127.0.0.2".parse().unwrap(), proxy.addr).await;
    other.send(request.as_bytes()).await;
    assert_eq!(other.response(false).await.status, 200);
    // When one of the two closes, the client may open another.
    drop(first);
    within("the closed connection's slot to be released", async {
        while proxy.request(&request).await.status != 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_idle_tunnel_is_closed_after_the_tunnel_idle_timeout() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any", "tunnel_idle_timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr).as_bytes())
        .await;
    assert_eq!(conn.response(true).await.status, 200);
    conn.send(b"ping").await;
    let mut echoed = [0u8; 4];
    within("the echo", conn.stream.read_exact(&mut echoed))
        .await
        .unwrap();
    assert_eq!(&echoed, b"ping");
    // Then silence: the proxy closes the tunnel on its own.
    let rest = conn.read_to_close().await;
    assert!(rest.is_empty(), "nothing more came: {rest:?}");
    common::eventually("the tunnel_idle count", || {
        proxy.engine.stats().error_count(ErrorKind::TunnelIdle) == 1
    })
    .await;
}

#[tokio::test]
async fn a_busy_tunnel_outlives_the_tunnel_idle_timeout() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any", "tunnel_idle_timeout_secs": 1}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr).as_bytes())
        .await;
    assert_eq!(conn.response(true).await.status, 200);
    // Three seconds of traffic every 300 ms: never idle for a whole second.
    for i in 0..10u8 {
        conn.stream.write_all(&[i]).await.unwrap();
        let mut back = [0u8; 1];
        within("the echo", conn.stream.read_exact(&mut back))
            .await
            .unwrap();
        assert_eq!(back[0], i);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(proxy.engine.stats().error_count(ErrorKind::TunnelIdle), 0);
}

#[tokio::test]
async fn upstream_pool_size_zero_means_a_new_connection_per_request() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"max_idle_per_host": 0}"#).await;
    let mut conn = proxy.connect().await;
    for _ in 0..3 {
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        assert_eq!(conn.response(false).await.status, 200);
    }
    assert_eq!(origin.connection_count(), 3);
    assert_eq!(proxy.engine.stats().upstream_reused, 0);
}

#[tokio::test]
async fn upstream_pool_total_caps_idle_connections_across_hosts() {
    let origins = [
        Origin::hello().await,
        Origin::hello().await,
        Origin::hello().await,
    ];
    let proxy = Proxy::start(r#"{"max_idle_total": 2}"#).await;
    for origin in &origins {
        assert_eq!(
            proxy
                .request(&format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")))
                .await
                .status,
            200
        );
    }
    // Only two idle connections were kept: the third origin's is closed by the proxy.
    for origin in &origins {
        assert_eq!(
            proxy
                .request(&format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")))
                .await
                .status,
            200
        );
    }
    let connects: usize = origins.iter().map(|o| o.connection_count()).sum();
    assert_eq!(
        connects, 4,
        "two reused, one new for the origin whose connection was not kept"
    );
}
