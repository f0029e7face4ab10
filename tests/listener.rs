//! The listener: IPv4 and IPv6 addresses, the connection limit, graceful stop, start errors.

mod common;

use std::io::ErrorKind as IoErrorKind;
use std::time::Duration;

use common::{config, ipv6_loopback_available, Origin, Proxy, Reply};
use wicket::{Engine, EngineState};

#[tokio::test]
async fn proxy_listens_and_forwards_on_an_ipv6_address() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"listen": "[::1]:0"}"#).await;
    assert!(proxy.addr.is_ipv6(), "{}", proxy.addr);
    let resp = proxy.get(&origin.url("/v6")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello");
}

#[tokio::test]
async fn proxy_forwards_to_an_ipv6_origin() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let listener = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let head = common::read_head(&mut stream, &mut buf).await.unwrap();
        let body = head
            .lines()
            .find(|l| l.starts_with("Host:"))
            .unwrap()
            .to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        use tokio::io::AsyncWriteExt;
        stream.write_all(answer.as_bytes()).await.unwrap();
        common::close_gently(stream).await;
    });
    let proxy = Proxy::start("{}").await;
    let resp = proxy.get(&format!("http://[::1]:{}/", addr.port())).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), format!("Host: [::1]:{}", addr.port()));
}

#[tokio::test]
async fn clients_beyond_the_connection_limit_wait_and_are_served_when_a_slot_frees() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start(r#"{"max_connections": 1}"#).await;
    let mut first = proxy.connect().await;
    first
        .send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/first")).as_bytes())
        .await;
    assert_eq!(first.response(false).await.text(), "/first");

    // The first client keeps its connection: the second one waits, unanswered but not refused.
    let mut second = proxy.connect().await;
    second
        .send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/second")).as_bytes())
        .await;
    assert!(
        second.stays_silent(Duration::from_millis(300)).await,
        "the second client must wait for a free slot"
    );
    assert_eq!(origin.received().len(), 1);

    drop(first);
    let resp = second.response(false).await;
    assert_eq!(resp.text(), "/second", "served once the slot is free");
}

#[tokio::test]
async fn many_clients_over_the_limit_are_all_served_eventually() {
    let origin = Origin::echo_path().await;
    let proxy = Proxy::start(r#"{"max_connections": 2}"#).await;
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..12 {
        let mut conn = proxy.connect().await;
        let path = format!("/client/{i}");
        let request = format!(
            "GET {} HTTP/1.1\r\nConnection: close\r\n\r\n",
            origin.url(&path)
        );
        clients.spawn(async move {
            conn.send(request.as_bytes()).await;
            assert_eq!(conn.response(false).await.text(), path);
        });
    }
    common::within("every client to be served", async {
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
    })
    .await;
    assert_eq!(origin.received().len(), 12);
}

#[tokio::test]
async fn graceful_stop_lets_an_in_flight_request_finish_then_frees_the_port() {
    let origin = Origin::start(|_| {
        Reply::Paced(
            vec![
                b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nstart".to_vec(),
                b"end".to_vec(),
            ],
            Duration::from_millis(300),
        )
    })
    .await;
    let proxy = Proxy::start("{}").await;
    let addr = proxy.addr;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    common::eventually("the request to reach the origin", || {
        !origin.received().is_empty()
    })
    .await;

    let engine = proxy.engine.clone();
    let stopping = tokio::spawn(async move { engine.stop(Duration::from_secs(5)).await });
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.text(),
        "startend",
        "the response in flight is complete"
    );
    common::within("the stop to finish", stopping)
        .await
        .unwrap();
    assert!(
        conn.is_closed_by_peer().await,
        "no further requests on a stopped proxy"
    );

    assert_eq!(*proxy.engine.state().borrow(), EngineState::Stopped);
    assert_eq!(proxy.engine.address(), None);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing accepts on the old port"
    );
    std::net::TcpListener::bind(addr).expect("the port is free again");
}

#[tokio::test]
async fn stop_closes_idle_keep_alive_connections() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    assert_eq!(conn.response(false).await.status, 200);
    common::within("the stop", proxy.engine.stop(Duration::from_secs(5))).await;
    assert!(conn.is_closed_by_peer().await);
}

#[tokio::test]
async fn stop_ends_requests_that_outlast_the_grace_period() {
    let origin = Origin::start(|_| Reply::Hang).await;
    let proxy = Proxy::start(r#"{"timeout_secs": 60}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    common::eventually("the request to reach the origin", || {
        !origin.received().is_empty()
    })
    .await;
    common::within(
        "the stop after its grace period",
        proxy.engine.stop(Duration::from_millis(200)),
    )
    .await;
    let _ = conn.read_to_close().await;
    std::net::TcpListener::bind(proxy.addr).expect("the port is free again");
}

#[tokio::test]
async fn port_in_use_gives_a_start_error_and_the_failed_state() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let engine = Engine::new(&config(&format!(r#"{{"listen": "{addr}"}}"#)));
    let err = engine.start().await.expect_err("the port is taken");
    assert_eq!(err.address, addr);
    assert_eq!(err.source.kind(), IoErrorKind::AddrInUse);
    assert!(err.to_string().contains("already in use"), "{err}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    match &*engine.state().borrow() {
        EngineState::Failed { error } => assert!(error.to_string().contains("in use"), "{error}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(!engine.is_running());
    // Switching a failed engine off leaves it plainly stopped.
    engine.stop(Duration::from_secs(1)).await;
    assert_eq!(*engine.state().borrow(), EngineState::Stopped);
    drop(taken);
    // Once the port is free the same engine starts.
    let started = engine.start().await.expect("starts once the port is free");
    assert_eq!(started, addr);
    engine.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn start_reports_running_with_the_bound_address_and_is_idempotent() {
    let engine = Engine::new(&config("{}"));
    let mut state = engine.state();
    let addr = engine.start().await.unwrap();
    assert_ne!(addr.port(), 0, "the real port, not 0");
    assert_eq!(
        *state.borrow_and_update(),
        EngineState::Running { address: addr }
    );
    assert_eq!(engine.address(), Some(addr));
    assert_eq!(engine.start().await.unwrap(), addr, "already running");
    engine.stop(Duration::from_secs(1)).await;
    assert_eq!(*state.borrow_and_update(), EngineState::Stopped);
}
