//! The client allowlist: who may use the proxy at all.
//!
//! 127.0.0.0/8 is all loopback, so a client "outside" the allowlist is made real by connecting
//! from 127.0.0.2 to a proxy that allows only 127.0.0.1, or from this machine's non-loopback
//! address to a proxy listening on 0.0.0.0.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::{ipv6_loopback_available, non_loopback_ipv4, Origin, Proxy, OTHER_LOOPBACK};
use wicket::Verdict;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Connects from `from`, sends a request for `origin` (and a pipelined second one), and checks
/// the answer is a 403 page, the connection closes, and nothing reached the origin.
async fn assert_denied(proxy: &Proxy, from: IpAddr, origin: &Origin) {
    let mut conn = proxy.connect_from(from).await;
    let request = format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/"));
    let _ = conn
        .try_send(format!("{request}{request}").as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403, "{from} must be denied: {}", resp.text());
    assert!(
        resp.text().contains(&from.to_string()),
        "the page names the client's address: {}",
        resp.text()
    );
    assert!(conn.is_closed_by_peer().await, "the connection is closed");
    origin.assert_untouched();
}

#[tokio::test]
async fn loopback_clients_are_allowed_by_default() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    for from in [LOOPBACK, OTHER_LOOPBACK] {
        let mut conn = proxy.connect_from(from).await;
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        assert_eq!(conn.response(false).await.status, 200, "{from}");
    }
}

#[tokio::test]
async fn non_loopback_client_is_denied_by_default() {
    let Some(own) = non_loopback_ipv4() else {
        eprintln!("skipped: this machine has no non-loopback IPv4 address");
        return;
    };
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(r#"{"listen": "0.0.0.0:0"}"#).await;
    let port = proxy.addr.port();
    proxy.addr = (own, port).into();
    assert_denied(&proxy, IpAddr::V4(own), &origin).await;
}

#[tokio::test]
async fn client_outside_the_allowlist_gets_403_and_nothing_is_forwarded() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"]}"#).await;
    assert_denied(&proxy, OTHER_LOOPBACK, &origin).await;
    // The listed client still works.
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
}

#[tokio::test]
async fn denied_client_cannot_open_a_tunnel() {
    let echo = common::EchoServer::start().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"], "connect_ports": "any"}"#).await;
    let mut conn = proxy.connect_from(OTHER_LOOPBACK).await;
    let _ = conn
        .try_send(format!("CONNECT {} HTTP/1.1\r\n\r\nhello", echo.addr).as_bytes())
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    assert!(conn.is_closed_by_peer().await);
    assert_eq!(echo.connection_count(), 0);
}

#[tokio::test]
async fn denied_client_is_answered_even_before_it_sends_anything() {
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"]}"#).await;
    let mut conn = proxy.connect_from(OTHER_LOOPBACK).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    assert!(conn.is_closed_by_peer().await);
}

#[tokio::test]
async fn cidr_entries_allow_their_whole_network() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.0/30"]}"#).await;
    for from in [
        LOOPBACK,
        OTHER_LOOPBACK,
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)),
    ] {
        let mut conn = proxy.connect_from(from).await;
        conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
            .await;
        assert_eq!(conn.response(false).await.status, 200, "{from}");
    }
    let outside = Origin::hello().await;
    assert_denied(&proxy, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4)), &outside).await;
}

#[tokio::test]
async fn denied_client_is_counted_and_logged_as_denied() {
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"]}"#).await;
    assert_denied(&proxy, OTHER_LOOPBACK, &origin).await;
    let record = proxy.next_record().await;
    assert_eq!(record.verdict, Verdict::Denied);
    assert_eq!(record.status, 403);
    assert_eq!(record.client.ip(), OTHER_LOOPBACK);
    assert_eq!(proxy.engine.stats().denied, 1);
    assert_eq!(proxy.engine.stats().forwarded, 0);
}

#[tokio::test]
async fn ipv6_loopback_client_is_allowed_by_default() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"listen": "[::1]:0"}"#).await;
    let resp = proxy.get(&origin.url("/")).await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn ipv6_client_outside_the_allowlist_is_denied() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"listen": "[::1]:0", "allow_clients": ["127.0.0.0/8"]}"#).await;
    assert_denied(&proxy, IpAddr::V6(Ipv6Addr::LOCALHOST), &origin).await;
}

#[tokio::test]
async fn ipv6_entry_allows_an_ipv6_client() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"listen": "[::1]:0", "allow_clients": ["::1/128"]}"#).await;
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
}

/// A proxy on the dual-stack `[::]` listener, reached over IPv4 (peers look like ::ffff:a.b.c.d).
async fn dual_stack_proxy(allow: &str) -> Option<Proxy> {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 on this machine");
        return None;
    }
    let engine_config = format!(r#"{{"listen": "[::]:0", "allow_clients": {allow}}}"#);
    let mut proxy = Proxy::start(&engine_config).await;
    let port = proxy.addr.port();
    proxy.addr = (Ipv4Addr::LOCALHOST, port).into();
    if tokio::net::TcpStream::connect(proxy.addr).await.is_err() {
        eprintln!("skipped: [::] does not accept IPv4 here (bindv6only)");
        return None;
    }
    Some(proxy)
}

#[tokio::test]
async fn ipv4_mapped_peer_on_a_dual_stack_listener_matches_ipv4_entries() {
    let Some(mut proxy) = dual_stack_proxy(r#"["127.0.0.1"]"#).await else {
        return;
    };
    let origin = Origin::hello().await;
    let resp = proxy.get(&origin.url("/")).await;
    assert_eq!(resp.status, 200, "::ffff:127.0.0.1 is 127.0.0.1");
    // And logged as the IPv4 client it is.
    let record = proxy.next_record().await;
    assert_eq!(record.client.ip(), LOOPBACK, "{record:?}");
    let outside = Origin::hello().await;
    assert_denied(&proxy, OTHER_LOOPBACK, &outside).await;
}

#[tokio::test]
async fn ipv4_mapped_peer_does_not_match_ipv6_loopback() {
    let Some(proxy) = dual_stack_proxy(r#"["::1"]"#).await else {
        return;
    };
    let origin = Origin::hello().await;
    assert_denied(&proxy, LOOPBACK, &origin).await;
}

#[tokio::test]
async fn ipv4_mapped_entry_is_the_ipv4_network() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_clients": ["::ffff:127.0.0.1"]}"#).await;
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
    let outside = Origin::hello().await;
    assert_denied(&proxy, OTHER_LOOPBACK, &outside).await;
}
