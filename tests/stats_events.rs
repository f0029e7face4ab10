//! Statistics and events: exact counters, gauges, top hosts, the per-second series, one event
//! per finished request, and subscribers that cannot slow the proxy down.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{closed_port, EchoServer, Origin, Proxy, Reply, OTHER_LOOPBACK};
use tokio::sync::broadcast::error::TryRecvError;
use wicket::{ErrorKind, Event, Verdict};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn counters_count_requests_forwarded_blocked_and_errors_by_kind() {
    let origin = Origin::hello().await;
    let refused = closed_port().await;
    let mut proxy = Proxy::start(r#"{"block": ["blocked.invalid"], "timeout_secs": 2}"#).await;
    proxy.get(&origin.url("/a")).await;
    proxy.get(&origin.url("/b")).await;
    proxy.get("http://blocked.invalid/").await;
    proxy.get(&format!("http://127.0.0.1:{refused}/")).await;
    proxy.get("http://nowhere.invalid/").await;
    proxy.request("GARBAGE\r\n\r\n").await;
    proxy.request("GET ftp://127.0.0.1/ HTTP/1.1\r\n\r\n").await;
    for _ in 0..7 {
        proxy.next_record().await;
    }
    let stats = proxy.engine.stats();
    assert_eq!(stats.requests, 7);
    assert_eq!(stats.forwarded, 2);
    assert_eq!(stats.blocked, 1);
    assert_eq!(stats.denied, 0);
    assert_eq!(stats.error_count(ErrorKind::UpstreamRefused), 1);
    assert_eq!(stats.error_count(ErrorKind::DnsFailed), 1);
    assert_eq!(stats.error_count(ErrorKind::BadRequest), 1);
    assert_eq!(stats.error_count(ErrorKind::UnsupportedScheme), 1);
    assert_eq!(stats.errors, 4);
}

#[tokio::test]
async fn timeouts_and_oversized_heads_are_counted_by_kind() {
    let hang = Origin::start(|_| Reply::Hang).await;
    let mut proxy = Proxy::start(r#"{"timeout_secs": 1, "head_timeout_secs": 1}"#).await;
    proxy.get(&hang.url("/")).await;
    proxy
        .request(&format!(
            "GET http://127.0.0.1:1/ HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(70_000)
        ))
        .await;
    let mut slow = proxy.connect().await;
    slow.send(b"GET http://127.0.0.1:1/ HT").await;
    assert_eq!(slow.response(false).await.status, 408);
    for _ in 0..3 {
        proxy.next_record().await;
    }
    let stats = proxy.engine.stats();
    assert_eq!(stats.error_count(ErrorKind::UpstreamTimeout), 1);
    assert_eq!(stats.error_count(ErrorKind::HeadTooLarge), 1);
    assert_eq!(stats.error_count(ErrorKind::ClientTimeout), 1);
}

#[tokio::test]
async fn denied_clients_are_counted() {
    let mut proxy = Proxy::start(r#"{"allow_clients": ["127.0.0.1"]}"#).await;
    for _ in 0..2 {
        let mut conn = proxy.connect_from(OTHER_LOOPBACK).await;
        assert_eq!(conn.response(false).await.status, 403);
        proxy.next_record().await;
    }
    let stats = proxy.engine.stats();
    assert_eq!(stats.denied, 2);
    assert_eq!(stats.forwarded, 0);
}

#[tokio::test]
async fn body_bytes_are_counted_up_and_down() {
    let origin = Origin::start(|_| Reply::ok("0123456789")).await;
    let mut proxy = Proxy::start("{}").await;
    proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcdef",
            origin.url("/")
        ))
        .await;
    proxy
        .request(&format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n",
            origin.url("/")
        ))
        .await;
    let first = proxy.next_record().await;
    let second = proxy.next_record().await;
    assert_eq!((first.bytes_up, first.bytes_down), (6, 10));
    assert_eq!(
        (second.bytes_up, second.bytes_down),
        (4, 10),
        "body data, not framing"
    );
    let stats = proxy.engine.stats();
    assert_eq!(stats.bytes_up, 10);
    assert_eq!(stats.bytes_down, 20);
}

#[tokio::test]
async fn open_connections_gauge_follows_clients() {
    let proxy = Proxy::start("{}").await;
    let a = proxy.connect().await;
    let b = proxy.connect().await;
    proxy
        .stats_when("two open connections", |s| s.open_connections == 2)
        .await;
    drop(a);
    proxy
        .stats_when("one open connection", |s| s.open_connections == 1)
        .await;
    drop(b);
    proxy
        .stats_when("no open connection", |s| s.open_connections == 0)
        .await;
}

#[tokio::test]
async fn open_tunnels_gauge_and_tunnel_bytes_are_counted() {
    let echo = EchoServer::start().await;
    let mut proxy = Proxy::start(r#"{"connect_ports": "any"}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr).as_bytes())
        .await;
    assert!(conn.head().await.starts_with("HTTP/1.1 200"));
    conn.send(b"0123456789").await;
    assert_eq!(conn.read_bytes(10).await, b"0123456789");
    proxy
        .stats_when("one open tunnel", |s| s.open_tunnels == 1)
        .await;
    drop(conn);
    let record = proxy.next_record().await;
    assert_eq!(record.method, "CONNECT");
    assert_eq!(record.verdict, Verdict::Tunneled);
    assert_eq!(record.status, 200);
    assert_eq!(record.host, "127.0.0.1");
    assert_eq!(record.port, echo.addr.port());
    assert_eq!(record.path, "");
    assert_eq!((record.bytes_up, record.bytes_down), (10, 10));
    let stats = proxy
        .stats_when("no open tunnel", |s| s.open_tunnels == 0)
        .await;
    assert_eq!((stats.bytes_up, stats.bytes_down), (10, 10));
    assert_eq!(stats.forwarded, 1);
}

#[tokio::test]
async fn top_hosts_and_top_blocked_hosts_are_ranked_by_count() {
    let origin = Origin::hello().await;
    let port = origin.addr.port();
    let mut proxy = Proxy::start(r#"{"block": ["ads.invalid", "track.invalid"]}"#).await;
    for _ in 0..3 {
        proxy.get(&format!("http://127.0.0.1:{port}/")).await;
    }
    proxy.get(&format!("http://localhost:{port}/")).await;
    for _ in 0..2 {
        proxy.get("http://x.track.invalid/").await;
    }
    proxy.get("http://ads.invalid/").await;
    for _ in 0..7 {
        proxy.next_record().await;
    }
    let stats = proxy
        .stats_when("the top lists", |s| {
            s.top_hosts.iter().map(|h| h.count).sum::<u64>() == 4
                && s.top_blocked.iter().map(|h| h.count).sum::<u64>() == 3
        })
        .await;
    let top: Vec<(&str, u64)> = stats
        .top_hosts
        .iter()
        .map(|h| (h.host.as_str(), h.count))
        .collect();
    assert_eq!(top, [("127.0.0.1", 3), ("localhost", 1)]);
    let blocked: Vec<(&str, u64)> = stats
        .top_blocked
        .iter()
        .map(|h| (h.host.as_str(), h.count))
        .collect();
    assert_eq!(blocked, [("x.track.invalid", 2), ("ads.invalid", 1)]);
}

#[tokio::test]
async fn per_second_series_counts_requests() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    // The series needs two ticks of the one-second sampler; keep traffic going until then.
    let stats = proxy.stats_when("a series point with requests", |s| {
        s.series.iter().map(|p| p.requests).sum::<u64>() > 0
    });
    let traffic = async {
        loop {
            proxy.get(&origin.url("/")).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let stats = tokio::select! {
        stats = stats => stats,
        _ = traffic => unreachable!(),
    };
    let total: u64 = stats.series.iter().map(|p| p.requests).sum();
    assert!(total <= stats.requests, "{total} > {}", stats.requests);
    assert!(stats.series.iter().map(|p| p.bytes_down).sum::<u64>() > 0);
}

#[tokio::test]
async fn each_finished_request_sends_one_event_with_its_details() {
    let origin = Origin::start(|_| Reply::ok("twelve bytes")).await;
    let mut proxy = Proxy::start("{}").await;
    let before = now_ms();
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "PUT {} HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            origin.url("/path/x?q=1")
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(conn.response(false).await.status, 200);
    let record = proxy.next_record().await;
    let after = now_ms();
    assert_eq!(record.method, "PUT");
    assert_eq!(record.host, "127.0.0.1");
    assert_eq!(record.port, origin.addr.port());
    assert_eq!(record.path, "/path/x?q=1");
    assert_eq!(record.status, 200);
    assert_eq!(record.verdict, Verdict::Forwarded);
    assert_eq!(record.client, conn.local_addr());
    assert_eq!((record.bytes_up, record.bytes_down), (3, 12));
    assert!(
        (before..=after).contains(&record.time_ms),
        "{before} <= {} <= {after}",
        record.time_ms
    );
    assert!(record.duration_ms <= after - before);
    assert_eq!(record.rule, None);
    assert_eq!(record.error, None);
    assert_eq!(
        record.url(),
        format!("http://127.0.0.1:{}/path/x?q=1", origin.addr.port())
    );
}

#[tokio::test]
async fn blocked_and_failed_requests_send_events_with_rule_and_error() {
    let port = closed_port().await;
    let mut proxy = Proxy::start(r#"{"block": ["*.blocked.invalid"]}"#).await;
    proxy.get("http://WWW.Blocked.invalid/page").await;
    let blocked = proxy.next_record().await;
    assert_eq!(blocked.verdict, Verdict::Blocked);
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.host, "www.blocked.invalid", "normalized");
    assert_eq!(blocked.path, "/page");
    assert_eq!(blocked.rule.as_deref(), Some("*.blocked.invalid"));

    proxy.get(&format!("http://127.0.0.1:{port}/")).await;
    let failed = proxy.next_record().await;
    assert_eq!(failed.verdict, Verdict::Failed);
    assert_eq!(failed.status, 502);
    assert_eq!(failed.error, Some(ErrorKind::UpstreamRefused));
    assert_eq!(failed.rule, None);

    proxy.request("GET / HTTP/1.1\r\n\r\n").await;
    let local = proxy.next_record().await;
    assert_eq!(local.verdict, Verdict::Local);
    assert_eq!(local.status, 400);
}

#[tokio::test]
async fn keep_alive_connection_sends_one_event_per_request_in_order() {
    let origin = Origin::echo_path().await;
    let mut proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    let batch: String = (0..3)
        .map(|i| format!("GET {} HTTP/1.1\r\n\r\n", origin.url(&format!("/{i}"))))
        .collect();
    conn.send(batch.as_bytes()).await;
    for _ in 0..3 {
        conn.response(false).await;
    }
    let records = [
        proxy.next_record().await,
        proxy.next_record().await,
        proxy.next_record().await,
    ];
    let paths: Vec<&str> = records.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/0", "/1", "/2"]);
    let ids: Vec<u64> = records.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [1, 2, 3],
        "records are numbered in the order they finish"
    );
    assert_eq!(proxy.engine.stats().requests, 3);
}

#[tokio::test]
async fn subscriber_that_never_reads_does_not_slow_the_proxy_and_later_sees_lagged() {
    let proxy = Proxy::start(r#"{"block": ["blocked.invalid"]}"#).await;
    let mut sleepy = proxy.engine.subscribe();
    // More requests than a subscriber can buffer, answered by the proxy itself (403).
    const N: usize = wicket::stats::EVENT_CAPACITY + 500;
    let conn = proxy.connect().await;
    let request = "GET http://blocked.invalid/ HTTP/1.1\r\n\r\n";
    let mut batch = request.repeat(N - 1);
    batch.push_str("GET http://blocked.invalid/ HTTP/1.1\r\nConnection: close\r\n\r\n");
    let (mut reader, mut writer) = conn.stream.into_split();
    let sender = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        writer.write_all(batch.as_bytes()).await.unwrap();
        writer
    });
    let mut answers = Vec::new();
    common::within("all the answers", async {
        use tokio::io::AsyncReadExt;
        reader.read_to_end(&mut answers).await.unwrap();
    })
    .await;
    let _writer = sender.await.unwrap();
    let answered = common::count(&answers, b"HTTP/1.1 403 ");
    assert_eq!(answered, N, "every request was answered");
    assert_eq!(proxy.engine.stats().requests, N as u64);

    match sleepy.try_recv() {
        Err(TryRecvError::Lagged(lost)) => assert!(lost >= 500, "lost {lost}"),
        other => panic!("expected Lagged, got {other:?}"),
    }
    // After the gap, the subscriber gets the newest events again.
    let mut after_gap = 0;
    while let Ok(event) = sleepy.try_recv() {
        if let Event::Request(_) = event {
            after_gap += 1;
        }
    }
    assert!(after_gap > 0);
    // The proxy still serves, and a reading subscriber works.
    let origin = Origin::hello().await;
    let mut fresh = proxy.engine.subscribe();
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
    let event = common::within("an event for a fresh subscriber", fresh.recv())
        .await
        .unwrap();
    assert!(matches!(event, Event::Request(r) if r.verdict == Verdict::Forwarded));
}
