//! The pages a browser shows come in the language its Accept-Language asks for: Simplified
//! Chinese or English (the default), every sentence of them, details included. What Wicket
//! answers before it knows the language comes in every language.

mod common;

use common::{closed_port, Origin, Proxy};

/// The sentences of a page's paragraphs that look English: two Latin words in a row, once the
/// markup is gone (`HTTP 和 HTTPS` is not one, `sent to the proxy` is).
fn english_sentences(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for paragraph in page.split("<p>").skip(1) {
        let paragraph = paragraph.split("</p>").next().unwrap_or("");
        let mut text = String::new();
        let mut in_tag = false;
        for c in paragraph.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let latin = |w: &str| w.len() > 1 && w.chars().all(|c| c.is_ascii_alphabetic());
        if words
            .windows(2)
            .any(|pair| latin(pair[0]) && latin(pair[1]))
        {
            found.push(text);
        }
    }
    found
}

#[tokio::test]
async fn block_page_follows_accept_language() {
    let proxy = Proxy::start(r#"{"block": ["blocked.test"]}"#).await;
    let ask = |language: &str| {
        format!("GET http://www.blocked.test/ HTTP/1.1\r\nAccept-Language: {language}\r\n\r\n")
    };
    let zh = proxy.request(&ask("zh-CN,zh;q=0.9,en;q=0.8")).await;
    assert_eq!(zh.status, 403);
    assert!(zh.text().contains("<html lang=\"zh-CN\">"), "{}", zh.text());
    assert!(zh.text().contains("此网页已被屏蔽"), "{}", zh.text());
    assert!(zh.text().contains("blocked.test"));
    let en = proxy.request(&ask("en-US,en;q=0.9,zh;q=0.5")).await;
    assert!(en.text().contains("This page is blocked"), "{}", en.text());
    let none = proxy
        .request("GET http://blocked.test/ HTTP/1.1\r\n\r\n")
        .await;
    assert!(
        none.text().contains("This page is blocked"),
        "English without a preference"
    );
    let other = proxy.request(&ask("fr-FR,fr;q=0.9")).await;
    assert!(
        other.text().contains("This page is blocked"),
        "English for languages Wicket lacks"
    );
}

#[tokio::test]
async fn error_pages_follow_accept_language() {
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request("GET http://nosuchhost.invalid/ HTTP/1.1\r\nAccept-Language: zh\r\n\r\n")
        .await;
    assert_eq!(resp.status, 502);
    assert!(resp.text().contains("找不到网站"), "{}", resp.text());
    let about = proxy
        .request("GET / HTTP/1.1\r\nAccept-Language: zh-Hans\r\n\r\n")
        .await;
    assert_eq!(about.status, 400);
    assert!(about.text().contains("这是 Wicket"), "{}", about.text());
}

#[tokio::test]
async fn the_details_of_an_error_page_follow_accept_language() {
    let port = closed_port().await;
    let proxy = Proxy::start(r#"{"timeout_secs": 2}"#).await;
    let ask = |language: &str| {
        format!(
            "GET http://127.0.0.1:{port}/ HTTP/1.1\r\nAccept-Language: {language}\r\nConnection: close\r\n\r\n"
        )
    };
    let zh = proxy.request(&ask("zh-CN,zh;q=0.9")).await;
    assert_eq!(zh.status, 502, "{}", zh.text());
    let page = zh.text();
    assert!(page.contains("无法连接网站"), "{page}");
    // The OS's own words (in parentheses) stay as the OS said them.
    assert!(
        page.contains(&format!("详情：无法连接到 127.0.0.1:{port}（")),
        "{page}"
    );
    assert!(!page.contains("could not connect"), "{page}");
    let en = proxy.request(&ask("en")).await;
    assert!(
        en.text()
            .contains(&format!("Details: could not connect to 127.0.0.1:{port} (")),
        "{}",
        en.text()
    );
}

#[tokio::test]
async fn a_malformed_request_is_explained_in_chinese() {
    let proxy = Proxy::start("{}").await;
    let resp = proxy
        .request(
            "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nAccept-Language: zh-CN\r\n\r\n",
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text());
    let page = resp.text();
    assert!(page.contains("请求有误"), "{page}");
    assert!(page.contains("请求中有不止一个 Host 头"), "{page}");
}

#[tokio::test]
async fn the_page_about_wicket_has_no_english_sentence_in_chinese() {
    let proxy = Proxy::start("{}").await;
    let origin_form = proxy
        .request("GET / HTTP/1.1\r\nAccept-Language: zh-CN\r\n\r\n")
        .await;
    let absolute_form = proxy
        .request(&format!(
            "GET http://{}/ HTTP/1.1\r\nAccept-Language: zh-CN\r\n\r\n",
            proxy.addr
        ))
        .await;
    for (resp, says) in [
        (origin_form, "此请求是发给代理本身的"),
        (absolute_form, "此请求的目标地址就是代理本身"),
    ] {
        assert_eq!(resp.status, 400);
        let page = resp.text();
        assert!(page.contains(says), "{page}");
        assert_eq!(english_sentences(&page), Vec::<String>::new(), "{page}");
    }
    // The same check finds the English page English.
    let en = proxy.request("GET / HTTP/1.1\r\n\r\n").await;
    assert!(!english_sentences(&en.text()).is_empty(), "{}", en.text());
}

#[tokio::test]
async fn connect_refusals_follow_accept_language() {
    let proxy = Proxy::start(r#"{"block": ["blocked.test"]}"#).await;
    let connect = |target: &str| {
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nAccept-Language: zh-CN\r\n\r\n")
    };
    let blocked = proxy.request(&connect("www.blocked.test:443")).await;
    assert_eq!(blocked.status, 403);
    assert_eq!(
        blocked.text(),
        "已被 Wicket 屏蔽：www.blocked.test 符合规则 blocked.test\n"
    );
    let port = proxy.request(&connect("example.test:25")).await;
    assert_eq!(port.status, 403);
    assert!(
        port.text().contains("不允许 CONNECT 到端口 25"),
        "{}",
        port.text()
    );
    let english = proxy
        .request("CONNECT www.blocked.test:443 HTTP/1.1\r\nHost: www.blocked.test:443\r\n\r\n")
        .await;
    assert!(
        english
            .text()
            .starts_with("Blocked by Wicket: www.blocked.test matches the rule"),
        "{}",
        english.text()
    );
}

#[tokio::test]
async fn too_many_connections_is_said_in_every_language() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(r#"{"max_connections_per_client": 1}"#).await;
    let mut first = proxy.connect().await;
    first
        .send(format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/")).as_bytes())
        .await;
    assert_eq!(first.response(false).await.status, 200);
    let mut second = proxy.connect().await;
    let answer = String::from_utf8_lossy(&second.read_to_close().await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(
        answer.contains("Too many connections · 连接过多"),
        "{answer}"
    );
    assert!(
        answer.contains("Details: this computer has too many connections"),
        "{answer}"
    );
    assert!(
        answer.contains("详情：这台电脑向代理打开的连接过多"),
        "{answer}"
    );
}
