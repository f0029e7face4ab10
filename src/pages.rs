//! The small pages Wicket answers with itself: errors, blocked sites, and the page for people
//! who open the proxy's address in a browser. Every text a browser shows comes from here.

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use crate::error::{ErrorKind, ProxyError};
use crate::i18n::{Lang, Message};

/// The reason phrase for the status codes Wicket sends itself.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// A complete response: status line, headers and body. `close` adds `Connection: close`.
pub fn response(status: u16, content_type: &str, body: &str, close: bool) -> Vec<u8> {
    let mut out = String::with_capacity(body.len() + 160);
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        reason(status),
        body.len()
    );
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// An HTML page response.
pub fn html(lang: Lang, status: u16, title: &str, paragraphs: &[String], close: bool) -> Vec<u8> {
    response(
        status,
        "text/html; charset=utf-8",
        &page(lang, None, title, paragraphs),
        close,
    )
}

/// Fills `{name}` placeholders of a catalogue text with values (already escaped as needed).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(name, value);
    }
    text
}

/// A plain-text response (for CONNECT, whose bodies browsers never show).
pub fn plain(status: u16, text: &str, close: bool) -> Vec<u8> {
    let mut body = text.to_string();
    body.push('\n');
    response(status, "text/plain; charset=utf-8", &body, close)
}

/// A page: an optional large sign (an emoji) above the title, then paragraphs of HTML.
fn page(lang: Lang, sign: Option<&str>, title: &str, paragraphs: &[String]) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36em;\
         margin:4em auto;padding:0 1em;color:#222}}h1{{font-size:1.4em}}code{{background:#eee;\
         padding:0 .2em}}footer{{margin-top:3em;color:#777;font-size:.85em}}\
         .sign{{font-size:4em;line-height:1}}</style></head><body>",
        t = escape(title),
        lang = lang.tag()
    );
    if let Some(sign) = sign {
        let _ = write!(
            body,
            "<div class=\"sign\" aria-hidden=\"true\">{sign}</div>"
        );
    }
    let _ = writeln!(body, "<h1>{}</h1>", escape(title));
    for p in paragraphs {
        let _ = writeln!(body, "<p>{p}</p>");
    }
    body.push_str("<footer>Wicket</footer></body></html>\n");
    body
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page for a failed request: what happened in the reader's language, and the technical
/// detail.
pub fn error(lang: Lang, err: &ProxyError, close: bool) -> Vec<u8> {
    let (title, explanation) = lang.texts().error(err.kind);
    html(
        lang,
        err.kind.status(),
        title,
        &[explanation.to_string(), error_detail(lang, err)],
        close,
    )
}

/// [`error`] in every language, for a failure before the request's head (and so its
/// `Accept-Language`) is known: too many connections, a head that cannot be read.
pub fn error_in_every_language(err: &ProxyError, close: bool) -> Vec<u8> {
    let title: Vec<&str> = Lang::ALL
        .iter()
        .map(|l| l.texts().error(err.kind).0)
        .collect();
    let mut paragraphs = Vec::with_capacity(2 * Lang::ALL.len());
    for lang in Lang::ALL {
        paragraphs.push(lang.texts().error(err.kind).1.to_string());
        paragraphs.push(error_detail(lang, err));
    }
    html(
        Lang::En,
        err.kind.status(),
        &title.join(" · "),
        &paragraphs,
        close,
    )
}

/// "Details: ..." under an error page's explanation.
fn error_detail(lang: Lang, err: &ProxyError) -> String {
    format!(
        "<small>{}{}</small>",
        lang.texts().details,
        escape(&err.detail.text(lang))
    )
}

/// 403 for a blocked site, written for whoever is at the browser, a child included: what is
/// blocked, by which rule (and list), and that a parent can unlock it. Nothing on it says how
/// the blocking works or how to get around it.
pub fn blocked(lang: Lang, host: &str, rule: &str, list: Option<&str>, close: bool) -> Vec<u8> {
    let t = lang.texts();
    let (host, rule) = (escape(host), escape(rule));
    let why = match list {
        Some(list) => fill(
            t.blocked_by_list,
            &[("{list}", &escape(list)), ("{rule}", &rule)],
        ),
        None => fill(t.blocked_by_rule, &[("{rule}", &rule)]),
    };
    friendly(
        lang,
        t.blocked_title,
        &[
            fill(t.blocked_host, &[("{host}", &host)]),
            why,
            t.blocked_ask.into(),
        ],
        close,
    )
}

/// 403 in allow-only mode for a site that is not on the list.
pub fn not_allowed(lang: Lang, host: &str, close: bool) -> Vec<u8> {
    let t = lang.texts();
    friendly(
        lang,
        t.not_allowed_title,
        &[
            fill(t.not_allowed_host, &[("{host}", &escape(host))]),
            t.not_allowed_ask.into(),
        ],
        close,
    )
}

/// A gentle 403 page with a large sign, for blocked sites.
fn friendly(lang: Lang, title: &str, paragraphs: &[String], close: bool) -> Vec<u8> {
    let page = page(lang, Some("&#x1F6A7;"), title, paragraphs);
    response(403, "text/html; charset=utf-8", &page, close)
}

/// 403 for a client whose address is not on the allowlist. Sent before the client's request is
/// read, so before its language is known: in every language.
pub fn denied(client: IpAddr) -> Vec<u8> {
    let address = escape(&client.to_string());
    let title: Vec<&str> = Lang::ALL.iter().map(|l| l.texts().denied_title).collect();
    let paragraphs: Vec<String> = Lang::ALL
        .iter()
        .map(|l| fill(l.texts().denied_text, &[("{address}", &address)]))
        .collect();
    html(Lang::En, 403, &title.join(" · "), &paragraphs, true)
}

/// 400 for a request made to the proxy itself, with how to set a browser up instead. `detail`
/// says how the request reached the proxy.
pub fn about(lang: Lang, listen: SocketAddr, detail: &Message) -> Vec<u8> {
    let t = lang.texts();
    let port = listen.port().to_string();
    let address = match listen.ip() {
        ip if ip.is_unspecified() => fill(t.about_any_address, &[("{port}", &port)]),
        IpAddr::V6(ip) => fill(
            t.about_address,
            &[("{ip}", &format!("[{ip}]")), ("{port}", &port)],
        ),
        IpAddr::V4(ip) => fill(
            t.about_address,
            &[("{ip}", &ip.to_string()), ("{port}", &port)],
        ),
    };
    html(
        lang,
        ErrorKind::NotProxied.status(),
        t.about_title,
        &[
            escape(&detail.text(lang)),
            t.about_not_a_site.into(),
            fill(t.about_setup, &[("{address}", &address)]),
        ],
        true,
    )
}

/// The PAC file (`/proxy.pac`) for browsers and devices that take a proxy auto-config URL:
/// everything through `proxy`, except the `bypass` entries (see `Config::bypass`). Only IP
/// literals are tested against networks, so the file never makes the browser look names up.
pub fn pac(proxy: SocketAddr, bypass: &[String]) -> String {
    let list: Vec<String> = bypass
        .iter()
        .map(|b| serde_json::to_string(b).unwrap_or_default())
        .collect();
    let proxy = match proxy.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", proxy.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", proxy.port()),
    };
    format!(
        r#"// Wicket proxy auto-config. Everything goes through Wicket, except the bypass list.
var bypass = [{list}];

function maskOf(bits) {{
  var mask = [];
  for (var i = 0; i < 4; i++) {{
    var b = Math.max(0, Math.min(8, bits - 8 * i));
    mask.push(256 - Math.pow(2, 8 - b));
  }}
  return mask.join(".");
}}

function FindProxyForURL(url, host) {{
  var ipv4 = /^\d+\.\d+\.\d+\.\d+$/.test(host);
  for (var i = 0; i < bypass.length; i++) {{
    var entry = bypass[i];
    if (entry == "<local>") {{
      if (isPlainHostName(host)) return "DIRECT";
    }} else if (entry.indexOf("/") > 0) {{
      var parts = entry.split("/");
      if (ipv4 && isInNet(host, parts[0], maskOf(parseInt(parts[1], 10)))) return "DIRECT";
    }} else if (shExpMatch(host, entry) || shExpMatch(host, "[" + entry + "]")) {{
      return "DIRECT";
    }}
  }}
  return "PROXY {proxy}; DIRECT";
}}
"#,
        list = list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn responses_are_well_framed() {
        let r = text(plain(403, "no", true));
        assert!(r.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(r.contains("Content-Length: 3\r\n"));
        assert!(r.contains("Connection: close\r\n"));
        assert!(r.ends_with("\r\n\r\nno\n"));
    }

    #[test]
    fn blocked_page_names_host_and_rule_escaped() {
        let r = text(blocked(Lang::En, "a<b>.test", "re:^a<", None, false));
        assert!(r.contains("a&lt;b&gt;.test"));
        assert!(r.contains("re:^a&lt;"));
        assert!(!r.contains("Connection: close"));
        let body = r.split("\r\n\r\n").nth(1).unwrap();
        let declared: usize = r
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), declared);
    }

    #[test]
    fn pac_file_names_the_proxy_and_quotes_the_bypass_list() {
        let pac = pac(
            "127.0.0.1:12345".parse().unwrap(),
            &["localhost".into(), "10.0.0.0/8".into(), "<local>".into()],
        );
        assert!(
            pac.contains(r#"var bypass = ["localhost", "10.0.0.0/8", "<local>"];"#),
            "{pac}"
        );
        assert!(
            pac.contains(r#"return "PROXY 127.0.0.1:12345; DIRECT";"#),
            "{pac}"
        );
        let v6 = super::pac("[::1]:8080".parse().unwrap(), &[]);
        assert!(v6.contains("PROXY [::1]:8080;"), "{v6}");
    }

    #[test]
    fn blocked_page_names_the_list_and_says_who_can_unlock_it_without_any_way_around() {
        let r = text(blocked(
            Lang::En,
            "www.youtube.com",
            "youtube.com",
            Some("Social <media>"),
            false,
        ));
        assert!(r.contains("This page is blocked"));
        assert!(r.contains("<strong>Social &lt;media&gt;</strong>"));
        assert!(r.contains("ask a parent"));
        for detail in ["proxy", "127.0.0.1", "12345", "settings", "config"] {
            assert!(
                !r.to_ascii_lowercase().contains(detail),
                "says {detail:?}: {r}"
            );
        }
    }

    #[test]
    fn pages_come_in_the_chosen_language() {
        let zh = text(blocked(
            Lang::Zh,
            "youtube.com",
            "youtube.com",
            Some("社交媒体"),
            false,
        ));
        assert!(zh.contains("<html lang=\"zh-CN\">"));
        assert!(zh.contains("此网页已被屏蔽"));
        assert!(zh.contains("“<strong>社交媒体</strong>”"));
        let err = ProxyError::new(
            ErrorKind::DnsFailed,
            Message::new(&crate::messages::NAME_NO_ADDRESS).with("host", "x.invalid"),
        );
        let zh = text(error(Lang::Zh, &err, true));
        assert!(zh.starts_with("HTTP/1.1 502 "));
        assert!(zh.contains("找不到网站") && zh.contains("名称 x.invalid 没有地址"));
        assert!(!zh.contains("has no address"), "{zh}");
        let en = text(error(Lang::En, &err, true));
        assert!(
            en.contains("Details: the name x.invalid has no address"),
            "{en}"
        );
        let both = text(denied("192.0.2.1".parse().unwrap()));
        assert!(both.contains("Not allowed to use this proxy") && both.contains("无权使用此代理"));
    }

    #[test]
    fn an_error_before_the_head_is_read_comes_in_every_language() {
        let err = ProxyError::new(
            ErrorKind::TooManyConnections,
            &crate::messages::TOO_MANY_CONNECTIONS,
        );
        let r = text(error_in_every_language(&err, true));
        assert!(r.starts_with("HTTP/1.1 503 "));
        assert!(
            r.contains("<title>Too many connections · 连接过多</title>"),
            "{r}"
        );
        assert!(
            r.contains("Details: this computer has too many connections"),
            "{r}"
        );
        assert!(r.contains("详情：这台电脑向代理打开的连接过多"), "{r}");
    }

    #[test]
    fn about_page_says_how_to_configure_a_browser() {
        let detail = Message::new(&crate::messages::ABOUT_SENT_TO_PROXY);
        let r = text(about(Lang::En, "127.0.0.1:12345".parse().unwrap(), &detail));
        assert!(r.starts_with("HTTP/1.1 400 "));
        assert!(r.contains("This is Wicket"));
        assert!(r.contains("sent to the proxy itself"));
        assert!(r.contains("127.0.0.1</code>, port 12345"));
        let zh = text(about(Lang::Zh, "127.0.0.1:12345".parse().unwrap(), &detail));
        assert!(zh.contains("此请求是发给代理本身的"), "{zh}");
    }
}
