//! Live changes: new rules and settings apply to the next request on every open connection,
//! nothing open is dropped, and stopping and starting keeps the stats and subscribers.

mod common;

use std::time::Duration;

use common::{config, EchoServer, Origin, Proxy, OTHER_LOOPBACK};
use wicket::{EngineState, Event, Verdict};

fn get(origin: &Origin, path: &str) -> Vec<u8> {
    format!("GET {} HTTP/1.1\r\n\r\n", origin.url(path)).into_bytes()
}

#[tokio::test]
async fn new_block_rule_applies_to_the_next_request_on_an_open_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(&get(&origin, "/before")).await;
    assert_eq!(conn.response(false).await.status, 200);

    proxy.engine.apply(&config(r#"{"block": ["127.0.0.1"]}"#));

    conn.send(&get(&origin, "/after")).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403, "same connection, new rules");
    assert_eq!(origin.received().len(), 1);
}

#[tokio::test]
async fn removed_block_rule_lets_the_next_request_through_on_an_open_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"block": ["127.0.0.1"]}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(&get(&origin, "/before")).await;
    assert_eq!(conn.response(false).await.status, 403);

    proxy.engine.apply(&config("{}"));

    conn.send(&get(&origin, "/after")).await;
    assert_eq!(conn.response(false).await.status, 200);
    assert_eq!(origin.only_request().request_line(), "GET /after HTTP/1.1");
}

#[tokio::test]
async fn allow_only_mode_switched_on_applies_to_an_open_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(&get(&origin, "/")).await;
    assert_eq!(conn.response(false).await.status, 200);

    proxy.engine.apply(&config(
        r#"{"allow_only": true, "allowed_sites": ["wiki.invalid"]}"#,
    ));

    conn.send(&get(&origin, "/")).await;
    assert_eq!(conn.response(false).await.status, 403);
}

#[tokio::test]
async fn client_removed_from_the_allowlist_is_refused_on_its_open_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.0/8"]}"#).await;
    let mut conn = proxy.connect_from(OTHER_LOOPBACK).await;
    conn.send(&get(&origin, "/")).await;
    assert_eq!(conn.response(false).await.status, 200);

    proxy
        .engine
        .apply(&config(r#"{"allow_clients": ["127.0.0.1"]}"#));

    conn.send(&get(&origin, "/after")).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    assert!(conn.is_closed_by_peer().await);
    assert_eq!(
        origin.received().len(),
        1,
        "nothing more is forwarded for it"
    );
    // New connections from it are refused too; the remaining client still works.
    let mut again = proxy.connect_from(OTHER_LOOPBACK).await;
    assert_eq!(again.response(false).await.status, 403);
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
}

#[tokio::test]
async fn client_added_to_the_allowlist_is_served_on_new_connections() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"]}"#).await;
    let mut denied = proxy.connect_from(OTHER_LOOPBACK).await;
    assert_eq!(denied.response(false).await.status, 403);

    proxy
        .engine
        .apply(&config(r#"{"allow_clients": ["127.0.0.1", "127.0.0.2"]}"#));

    let mut conn = proxy.connect_from(OTHER_LOOPBACK).await;
    conn.send(&get(&origin, "/")).await;
    assert_eq!(conn.response(false).await.status, 200);
}

#[tokio::test]
async fn connect_ports_change_applies_to_the_next_tunnel() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start("{}").await;
    let connect = format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr);
    assert_eq!(proxy.request(&connect).await.status, 403);

    proxy.engine.apply(&config(r#"{"connect_ports": "any"}"#));

    let mut conn = proxy.connect().await;
    conn.send(connect.as_bytes()).await;
    assert!(conn.head().await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn open_tunnel_survives_a_rule_change() {
    let echo = EchoServer::start().await;
    let proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr).as_bytes())
        .await;
    assert!(conn.head().await.starts_with("HTTP/1.1 200"));
    conn.send(b"one").await;
    assert_eq!(conn.read_bytes(3).await, b"one");

    proxy.engine.apply(&config(
        r#"{"block": ["example.com"], "connect_ports": [443]}"#,
    ));

    conn.send(b"two").await;
    assert_eq!(
        conn.read_bytes(3).await,
        b"two",
        "the tunnel is not dropped"
    );
}

#[tokio::test]
async fn timeout_change_applies_to_the_next_request() {
    let origin = Origin::start(|r| {
        if r.request_line().contains("/slow") {
            common::Reply::Paced(
                vec![
                    Vec::new(),
                    b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow".to_vec(),
                ],
                Duration::from_millis(1500),
            )
        } else {
            common::Reply::ok("fast")
        }
    })
    .await;
    let proxy = Proxy::start(r#"{"timeout_secs": 5}"#).await;
    assert_eq!(proxy.get(&origin.url("/slow")).await.status, 200);

    proxy.engine.apply(&config(r#"{"timeout_secs": 1}"#));

    assert_eq!(proxy.get(&origin.url("/slow")).await.status, 504);
}

#[tokio::test]
async fn stop_and_start_keep_the_stats_and_the_subscribers() {
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start("{}").await;
    let mut events = proxy.engine.subscribe();
    assert_eq!(proxy.get(&origin.url("/1")).await.status, 200);
    let _ = proxy.next_record().await;
    let before = proxy.engine.stats();
    assert_eq!(before.requests, 1);

    proxy.engine.stop(Duration::from_secs(1)).await;
    assert_eq!(*proxy.engine.state().borrow(), EngineState::Stopped);
    proxy.addr = proxy.engine.start().await.expect("starts again");

    assert_eq!(proxy.get(&origin.url("/2")).await.status, 200);
    let record = proxy.next_record().await;
    assert_eq!(record.path, "/2");
    let after = proxy.engine.stats();
    assert_eq!(after.requests, 2, "counted across the restart");
    assert_eq!(after.forwarded, 2);
    assert!(after.bytes_down >= before.bytes_down + 5);

    // The subscriber from before the stop saw everything, state changes included.
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(match event {
            Event::Request(r) => format!("request {}", r.path),
            Event::State(EngineState::Stopped) => "stopped".to_string(),
            Event::State(EngineState::Running { .. }) => "running".to_string(),
            Event::State(other) => format!("{other:?}"),
        });
    }
    assert_eq!(seen, ["request /1", "stopped", "running", "request /2"]);
}

#[tokio::test]
async fn rules_survive_a_restart() {
    let mut proxy = Proxy::start(r#"{"block": ["blocked.invalid"]}"#).await;
    proxy
        .engine
        .apply(&config(r#"{"block": ["other.invalid"]}"#));
    proxy.engine.stop(Duration::from_secs(1)).await;
    proxy.addr = proxy.engine.start().await.unwrap();
    let resp = proxy.get("http://www.other.invalid/").await;
    assert_eq!(resp.status, 403, "the applied rules, not the first ones");
    let record = proxy.next_record().await;
    assert_eq!(record.verdict, Verdict::Blocked);
}
