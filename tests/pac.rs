//! The PAC file the proxy serves at /proxy.pac: served, live, and correct when a JavaScript
//! engine (node, with the standard PAC helper functions) evaluates it.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::Proxy;

/// The standard PAC helpers, as browsers define them (enough of them for Wicket's file).
const PAC_HELPERS: &str = r#"
function isPlainHostName(host) { return host.indexOf(".") < 0; }
function shExpMatch(str, pattern) {
  var re = new RegExp("^" + pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
  return re.test(str);
}
function ip4(text) { return text.split(".").reduce(function (n, part) { return n * 256 + (+part); }, 0); }
function isInNet(host, pattern, mask) {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(host)) throw new Error("isInNet would resolve " + host);
  var m = ip4(mask);
  return (ip4(host) & m) >>> 0 === (ip4(pattern) & m) >>> 0;
}
"#;

/// Evaluates `FindProxyForURL` for each host with node; returns the answers.
fn evaluate(pac: &str, hosts: &[&str]) -> Vec<String> {
    let calls: Vec<String> = hosts
        .iter()
        .map(|h| format!("console.log(FindProxyForURL('http://{h}/', '{h}'));"))
        .collect();
    let script = format!("{PAC_HELPERS}\n{pac}\n{}", calls.join("\n"));
    let mut node = Command::new("node")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/setup-debian.sh test installs nodejs)");
    node.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = node.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed on the PAC file");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn pac_file_is_served_at_proxy_pac_and_the_connection_stays_usable() {
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(b"GET /proxy.pac HTTP/1.1\r\nHost: wicket\r\n\r\n")
        .await;
    let resp = conn.response(false).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/x-ns-proxy-autoconfig")
    );
    assert!(
        resp.text()
            .contains(&format!("PROXY {}; DIRECT", proxy.addr)),
        "{}",
        resp.text()
    );
    conn.send(b"HEAD /proxy.pac HTTP/1.1\r\nHost: wicket\r\n\r\n")
        .await;
    let head = conn.response(true).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), resp.header("content-length"));
    let record = {
        let mut proxy = proxy;
        proxy.next_record().await
    };
    assert_eq!((record.status, record.path.as_str()), (200, "/proxy.pac"));
}

#[tokio::test]
async fn pac_file_is_served_for_the_proxys_own_url_too() {
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(&format!(
            "GET http://{}/proxy.pac?v=1 HTTP/1.1\r\n\r\n",
            proxy.addr
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert!(resp.text().contains("FindProxyForURL"));
}

#[tokio::test]
async fn other_methods_and_paths_on_the_proxy_get_the_this_is_wicket_page() {
    let proxy = Proxy::start("{}").await;
    for request in [
        "POST /proxy.pac HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        "GET /proxy.pac.bak HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
    ] {
        let resp = proxy.request(request).await;
        assert_eq!(resp.status, 400, "{request:?}");
        assert!(resp.text().contains("This is Wicket"), "{request:?}");
    }
}

#[tokio::test]
async fn pac_file_sends_the_bypass_list_direct_and_everything_else_through_wicket() {
    let proxy = Proxy::start(
        r#"{"bypass": ["localhost", "127.0.0.0/8", "::1", "<local>", "*.lan", "10.1.0.0/16"]}"#,
    )
    .await;
    let pac = proxy
        .request("GET /proxy.pac HTTP/1.1\r\n\r\n")
        .await
        .text();
    let through = format!("PROXY {}; DIRECT", proxy.addr);
    let answers = evaluate(
        &pac,
        &[
            "localhost",
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "printer",
            "nas.lan",
            "10.1.200.3",
            "10.2.0.1",
            "example.com",
            "lan.example.com",
            "128.0.0.1",
        ],
    );
    let mut expected = vec!["DIRECT"; 7];
    expected.extend([through.as_str(); 4]);
    assert_eq!(answers, expected);
}

#[tokio::test]
async fn pac_file_follows_live_bypass_changes() {
    let proxy = Proxy::start("{}").await;
    let mut config = wicket::Config::parse(r#"{"bypass": ["intranet.example"]}"#).unwrap();
    config.listen = proxy.addr;
    proxy.engine.apply(&config);
    let pac = proxy
        .request("GET /proxy.pac HTTP/1.1\r\n\r\n")
        .await
        .text();
    let answers = evaluate(&pac, &["intranet.example", "localhost"]);
    assert_eq!(answers[0], "DIRECT");
    assert_eq!(answers[1], format!("PROXY {}; DIRECT", proxy.addr));
}
