//! Plain HTTP forwarding: request rewriting, hop-by-hop headers, Via, keep-alive and reuse.

mod common;

use common::{Origin, Proxy, Reply};

#[tokio::test]
async fn absolute_form_request_reaches_origin_in_origin_form_with_identical_path_and_query() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let url = origin.url("/a%20b/c;p?x=1&y=%2F&z");
    let resp = proxy
        .request(&format!("GET {url} HTTP/1.1\r\nHost: {}\r\n\r\n", origin.addr))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello");
    let got = origin.only_request();
    assert_eq!(got.request_line(), "GET /a%20b/c;p?x=1&y=%2F&z HTTP/1.1");
    assert_eq!(got.header("host").unwrap(), origin.addr.to_string());
}

#[tokio::test]
async fn keep_alive_client_reuses_the_upstream_connection() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    for _ in 0..3 {
        conn.send(format!("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", origin.url("/")).as_bytes()).await;
        let resp = conn.response(false).await;
        assert_eq!(resp.status, 200);
    }
    assert_eq!(origin.received().len(), 3);
    assert_eq!(origin.connection_count(), 1, "one upstream connection serves all three");
}

#[tokio::test]
async fn close_delimited_response_is_chunked_for_http11_client() {
    let origin = Origin::start(|_| Reply::SendAndClose(b"HTTP/1.1 200 OK\r\n\r\nstreamed until close".to_vec())).await;
    let proxy = Proxy::start("{}").await;
    let mut conn = proxy.connect().await;
    conn.send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes()).await;
    let resp = conn.response(false).await;
    assert_eq!(resp.text(), "streamed until close");
    assert_eq!(resp.header("transfer-encoding").as_deref(), Some("chunked"));
}
