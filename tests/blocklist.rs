//! The blocklist and allow-only mode, as seen through the proxy.
//!
//! Hosts that must *pass* without resolving anywhere use the reserved `.invalid` top-level
//! domain: a request that passes the rules gets 502 (the name does not resolve), one that is
//! blocked gets 403 before any lookup. Hosts that must reach a real origin use 127.0.0.1 or
//! localhost.

mod common;

use common::{Origin, Proxy};
use wicket::{ErrorKind, Verdict};

/// The status and the event for `GET http://{host_port}/` on a proxy with these rules.
async fn verdict_for(proxy: &mut Proxy, host_port: &str) -> (u16, wicket::RequestRecord) {
    let resp = proxy.get(&format!("http://{host_port}/")).await;
    let record = proxy.next_record().await;
    assert_eq!(resp.status, record.status);
    (resp.status, record)
}

async fn assert_blocked(proxy: &mut Proxy, host_port: &str, rule: &str) {
    let (status, record) = verdict_for(proxy, host_port).await;
    assert_eq!(status, 403, "{host_port} should be blocked: {record:?}");
    assert_eq!(record.verdict, Verdict::Blocked, "{host_port}");
    assert_eq!(record.rule.as_deref(), Some(rule), "{host_port}");
}

/// A `.invalid` host that passes the rules goes on to a lookup, which fails: 502, not 403.
/// (A resolver too slow to say so within the timeout gives 504; either way, not blocked.)
async fn assert_passes_to_lookup(proxy: &mut Proxy, host_port: &str) {
    let (status, record) = verdict_for(proxy, host_port).await;
    assert!(
        [502, 504].contains(&status),
        "{host_port} should pass the rules and fail the lookup: {record:?}"
    );
    assert_eq!(record.verdict, Verdict::Failed, "{host_port}");
    assert!(
        matches!(
            record.error,
            Some(ErrorKind::DnsFailed | ErrorKind::UpstreamTimeout)
        ),
        "{host_port}: {record:?}"
    );
    assert_eq!(record.rule, None, "{host_port}");
}

#[tokio::test]
async fn blocked_domain_is_forbidden() {
    let mut proxy = Proxy::start(r#"{"block": ["example.invalid"]}"#).await;
    assert_blocked(&mut proxy, "example.invalid", "example.invalid").await;
}

#[tokio::test]
async fn subdomain_of_blocked_domain_is_forbidden() {
    let mut proxy = Proxy::start(r#"{"block": ["example.com"]}"#).await;
    for host in ["www.example.com", "a.b.c.example.com"] {
        assert_blocked(&mut proxy, host, "example.com").await;
    }
}

#[tokio::test]
async fn lookalike_with_the_blocked_name_inside_a_label_passes() {
    let mut proxy = Proxy::start(r#"{"block": ["example.invalid"], "timeout_secs": 2}"#).await;
    for host in [
        "notexample.invalid",
        "www.notexample.invalid",
        "example-invalid.invalid",
    ] {
        assert_passes_to_lookup(&mut proxy, host).await;
    }
}

#[tokio::test]
async fn lookalike_with_the_blocked_name_as_a_prefix_passes() {
    let mut proxy = Proxy::start(r#"{"block": ["example.invalid"], "timeout_secs": 2}"#).await;
    for host in [
        "example.invalid.evil.invalid",
        "www.example.invalid.evil.invalid",
    ] {
        assert_passes_to_lookup(&mut proxy, host).await;
    }
}

#[tokio::test]
async fn wildcard_rule_blocks_subdomains_but_not_the_domain_itself() {
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(r#"{"block": ["*.localhost"]}"#).await;
    assert_blocked(&mut proxy, "www.localhost", "*.localhost").await;
    assert_blocked(&mut proxy, "a.b.localhost", "*.localhost").await;
    let resp = proxy
        .get(&format!("http://localhost:{}/", origin.addr.port()))
        .await;
    assert_eq!(
        resp.status,
        200,
        "the domain itself passes: {}",
        resp.text()
    );
    assert_eq!(origin.received().len(), 1);
}

#[tokio::test]
async fn regex_rule_blocks_matching_hosts_only() {
    let mut proxy = Proxy::start(r#"{"block": ["re:^ads?[0-9]*\\."], "timeout_secs": 2}"#).await;
    assert_blocked(&mut proxy, "ads1.tracker.invalid", r"re:^ads?[0-9]*\.").await;
    assert_blocked(&mut proxy, "ad.example.invalid", r"re:^ads?[0-9]*\.").await;
    assert_passes_to_lookup(&mut proxy, "reads.example.invalid").await;
}

#[tokio::test]
async fn regex_rule_sees_the_lower_case_host_without_port_or_trailing_dot() {
    let mut proxy = Proxy::start(r#"{"block": ["re:^shop\\.example\\.invalid$"]}"#).await;
    assert_blocked(
        &mut proxy,
        "SHOP.Example.INVALID.:8080",
        r"re:^shop\.example\.invalid$",
    )
    .await;
}

#[tokio::test]
async fn hosts_match_regardless_of_case_trailing_dot_and_port() {
    let mut proxy = Proxy::start(r#"{"block": ["Example.COM."]}"#).await;
    for host in [
        "EXAMPLE.com",
        "www.Example.Com",
        "example.com.",
        "www.example.com.:8080",
        "example.com:80",
        "WWW.EXAMPLE.COM.:1",
    ] {
        assert_blocked(&mut proxy, host, "example.com").await;
    }
}

#[tokio::test]
async fn ip_literal_rule_blocks_that_address_only() {
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(r#"{"block": ["127.0.0.1"]}"#).await;
    let port = origin.addr.port();
    assert_blocked(&mut proxy, &format!("127.0.0.1:{port}"), "127.0.0.1").await;
    assert_blocked(
        &mut proxy,
        &format!("[::ffff:127.0.0.1]:{port}"),
        "127.0.0.1",
    )
    .await;
    origin.assert_untouched();
    // The name localhost is not the literal 127.0.0.1, and 127.0.0.2 is another address.
    let resp = proxy.get(&format!("http://localhost:{port}/")).await;
    assert_eq!(resp.status, 200);
    let _ = proxy.next_record().await;
    let other = Proxy::start(r#"{"block": ["127.0.0.2"]}"#).await;
    assert_eq!(other.get(&origin.url("/")).await.status, 200);
}

#[tokio::test]
async fn an_ip_rule_holds_however_the_address_is_spelled() {
    // The resolver (and a browser) read all of these as 127.0.0.1.
    let origin = Origin::hello().await;
    let echo = common::EchoServer::start().await;
    let mut proxy = Proxy::start(r#"{"block": ["127.0.0.1"], "connect_ports": "any"}"#).await;
    let port = origin.addr.port();
    for host in [
        "2130706433",
        "127.1",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "0x7F000001",
        "127.0.0.01",
    ] {
        assert_blocked(&mut proxy, &format!("{host}:{port}"), "127.0.0.1").await;
    }
    for host in ["2130706433", "127.1"] {
        let resp = proxy
            .request(&format!(
                "CONNECT {host}:{} HTTP/1.1\r\n\r\n",
                echo.addr.port()
            ))
            .await;
        assert_eq!(resp.status, 403, "CONNECT {host}");
    }
    origin.assert_untouched();
    assert_eq!(echo.connection_count(), 0);
    // A host that ends in a number but is no address is not looked up: 400.
    let resp = proxy.get(&format!("http://127.0.0.256:{port}/")).await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn ipv6_literal_rule_blocks_that_address() {
    let mut proxy = Proxy::start(r#"{"block": ["[2001:db8::7]"]}"#).await;
    assert_blocked(&mut proxy, "[2001:db8::7]:80", "2001:db8::7").await;
    assert_blocked(&mut proxy, "[2001:DB8:0:0::7]", "2001:db8::7").await;
}

#[tokio::test]
async fn blocked_name_is_refused_before_any_lookup() {
    let mut proxy = Proxy::start(r#"{"block": ["blocked.invalid"]}"#).await;
    // This name cannot resolve: 403 (not 502) shows no lookup decided the answer.
    assert_blocked(&mut proxy, "www.blocked.invalid", "blocked.invalid").await;
}

#[tokio::test]
async fn host_header_cannot_unblock_a_blocked_uri() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"block": ["blocked.example.com"]}"#).await;
    let resp = proxy
        .request(&format!(
            "GET http://blocked.example.com/ HTTP/1.1\r\nHost: {}\r\n\r\n",
            origin.authority()
        ))
        .await;
    assert_eq!(resp.status, 403);
    origin.assert_untouched();
}

#[tokio::test]
async fn host_header_naming_a_blocked_site_does_not_block_an_allowed_uri() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"block": ["blocked.example.com"]}"#).await;
    let resp = proxy
        .request(&format!(
            "GET {} HTTP/1.1\r\nHost: blocked.example.com\r\n\r\n",
            origin.url("/")
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        origin.only_request().header("host"),
        Some(origin.authority())
    );
}

#[tokio::test]
async fn blocked_page_names_the_host_and_the_rule() {
    let proxy = Proxy::start(r#"{"block": ["*.example.com"]}"#).await;
    let resp = proxy.get("http://Ads.Example.com/page?x=1").await;
    assert_eq!(resp.status, 403);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let page = resp.text();
    assert!(page.contains("ads.example.com"), "names the host: {page}");
    assert!(page.contains("*.example.com"), "names the rule: {page}");
}

#[tokio::test]
async fn blocked_page_escapes_what_it_shows() {
    let proxy = Proxy::start(r#"{"block": ["re:<b>|example"]}"#).await;
    let page = proxy.get("http://example.invalid/").await.text();
    assert!(page.contains("re:&lt;b&gt;|example"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
}

#[tokio::test]
async fn blocked_request_without_a_body_keeps_the_connection_usable() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"block": ["blocked.invalid"]}"#).await;
    let mut conn = proxy.connect().await;
    conn.send(b"GET http://blocked.invalid/ HTTP/1.1\r\n\r\n")
        .await;
    assert_eq!(conn.response(false).await.status, 403);
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    assert_eq!(conn.response(false).await.status, 200);
}

#[tokio::test]
async fn body_of_a_blocked_request_is_never_taken_for_a_request() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"block": ["blocked.invalid"]}"#).await;
    let inner = format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/hidden"));
    let mut conn = proxy.connect().await;
    conn.send(
        format!(
            "POST http://blocked.invalid/ HTTP/1.1\r\nContent-Length: {}\r\n\r\n{inner}",
            inner.len()
        )
        .as_bytes(),
    )
    .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 403);
    // Whether the proxy skips the body or closes, the body is never forwarded as a request.
    let rest = conn.read_to_close().await;
    assert!(rest.is_empty() || !String::from_utf8_lossy(&rest).contains("200 OK"));
    origin.assert_untouched();
}

#[tokio::test]
async fn allow_only_mode_lets_listed_sites_through_and_refuses_the_rest() {
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(r#"{"allow_only": true, "allowed_sites": ["localhost"]}"#).await;
    let port = origin.addr.port();
    let resp = proxy.get(&format!("http://localhost:{port}/")).await;
    assert_eq!(resp.status, 200);
    let _ = proxy.next_record().await;
    let resp = proxy.get(&format!("http://127.0.0.1:{port}/")).await;
    assert_eq!(resp.status, 403);
    assert!(
        resp.text().contains("127.0.0.1"),
        "names the host: {}",
        resp.text()
    );
    let record = proxy.next_record().await;
    assert_eq!(record.verdict, Verdict::Blocked);
    assert_eq!(
        origin.received().len(),
        1,
        "only the allowed request arrived"
    );
}

#[tokio::test]
async fn allow_only_mode_allows_subdomains_of_listed_sites() {
    let mut proxy = Proxy::start(
        r#"{"allow_only": true, "allowed_sites": ["wiki.invalid"], "timeout_secs": 2}"#,
    )
    .await;
    assert_passes_to_lookup(&mut proxy, "en.wiki.invalid").await;
    let (status, _) = verdict_for(&mut proxy, "notwiki.invalid").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn blocklist_wins_over_allow_only_list() {
    let mut proxy = Proxy::start(
        r#"{"allow_only": true, "allowed_sites": ["wiki.invalid"], "block": ["bad.wiki.invalid"]}"#,
    )
    .await;
    assert_blocked(&mut proxy, "bad.wiki.invalid", "bad.wiki.invalid").await;
}

#[tokio::test]
async fn allow_only_mode_applies_to_connect() {
    let echo = common::EchoServer::start().await;
    let proxy = Proxy::start(
        r#"{"allow_only": true, "allowed_sites": ["wiki.invalid"], "connect_ports": "any"}"#,
    )
    .await;
    let resp = proxy
        .request(&format!("CONNECT {} HTTP/1.1\r\n\r\n", echo.addr))
        .await;
    assert_eq!(resp.status, 403);
    assert_eq!(echo.connection_count(), 0);
}

#[tokio::test]
async fn allow_only_list_is_ignored_when_the_mode_is_off() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"allow_only": false, "allowed_sites": ["wiki.invalid"]}"#).await;
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
}

#[tokio::test]
async fn a_hundred_thousand_rules_still_block_and_pass_correctly() {
    let rules: Vec<String> = (0..100_000).map(|i| format!("site{i}.invalid")).collect();
    let config = serde_json::json!({ "block": rules }).to_string();
    let origin = Origin::hello().await;
    let mut proxy = Proxy::start(&config).await;
    assert_blocked(&mut proxy, "www.site99999.invalid", "site99999.invalid").await;
    assert_blocked(&mut proxy, "site0.invalid", "site0.invalid").await;
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
}
