//! Wicket's languages, English and Simplified Chinese, and the two ways its texts come in them.
//!
//! - The pages Wicket shows in a browser (blocked sites, errors, the page about itself), in the
//!   language of the browser's `Accept-Language`: each language is one [`Texts`] value.
//!   Placeholders (`{host}`, `{rule}`...) are filled in and escaped by `pages`.
//! - Sentences for the person at the keyboard (why an entry was refused, why the proxy cannot
//!   listen): a [`Message`] is an [`Entry`] of a catalogue (the engine's is
//!   [`crate::messages`]) with its values. It says itself in English through `Display` (the
//!   command line, logs) and in any language through [`Message::text`]; serialized, it carries
//!   every language, so a window picks its own.
//!
//! Either way a missing translation is a compile error, not a blank.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::error::ErrorKind;

/// A language Wicket's pages are written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// Every language, in the order settings list them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag (for `<html lang>` and settings).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language for a tag such as `zh`, `zh-CN`, `zh-Hans`, `en-GB`; `None` if not supported.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The supported language the client prefers most (RFC 9110 §12.5.4 weights); English when
    /// it names none of them.
    pub fn from_accept_language(header: Option<&[u8]>) -> Lang {
        let Some(header) = header.and_then(|h| std::str::from_utf8(h).ok()) else {
            return Lang::En;
        };
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag) {
                let better = match best {
                    Some((_, w)) => weight > w,
                    None => true,
                };
                if weight > 0.0 && better {
                    best = Some((lang, weight));
                }
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// One sentence of a catalogue, in every language side by side (see [`catalogue!`]).
/// Placeholders are `{name}`; values are filled in as they are, so quote them beforehand.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name in its catalogue, for tests and logs.
    pub key: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
}

impl Entry {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// Declares catalogue entries: `NAME { en: "...", zh: "..." }`, each a `pub static` [`Entry`],
/// and `ALL`, every entry of the catalogue (for the checks on translations).
#[macro_export]
macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident { en: $en:expr, zh: $zh:expr $(,)? })*) => {
        $(
            $(#[$doc])*
            pub static $name: $crate::i18n::Entry = $crate::i18n::Entry {
                key: stringify!($name),
                en: $en,
                zh: $zh,
            };
        )*
        /// Every entry of this catalogue.
        pub static ALL: &[&$crate::i18n::Entry] = &[$(&$name),*];
    };
}

/// What is wrong with a catalogue's translations: a text left empty or untranslated,
/// placeholders that differ between languages, a key used twice. Empty when all is well; each
/// catalogue has a test that says so.
pub fn catalogue_problems(all: &[&Entry]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut keys: Vec<&str> = all.iter().map(|e| e.key).collect();
    keys.sort_unstable();
    for pair in keys.windows(2).filter(|p| p[0] == p[1]) {
        problems.push(format!("{}: the key is used twice", pair[0]));
    }
    for entry in all {
        if entry.zh.trim().is_empty() {
            problems.push(format!("{}: no Chinese", entry.key));
        }
        // A text that is nothing but placeholders (`{detail}`) reads the same in every language.
        let only_placeholders = placeholders(entry.en).concat() == entry.en;
        if entry.en == entry.zh && !only_placeholders {
            problems.push(format!("{}: not translated", entry.key));
        }
        if placeholders(entry.en) != placeholders(entry.zh) {
            problems.push(format!(
                "{}: other placeholders in {:?} and {:?}",
                entry.key, entry.en, entry.zh
            ));
        }
    }
    problems
}

/// The `{name}` placeholders of a text, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = text
        .match_indices('{')
        .filter_map(|(i, _)| text[i..].find('}').map(|end| &text[i..=i + end]))
        .collect();
    found.sort_unstable();
    found
}

/// A sentence for a person: a catalogue [`Entry`] and the values of its placeholders. A value
/// may be a message itself, said in the same language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    entry: &'static Entry,
    values: Vec<(&'static str, Value)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Text(String),
    Message(Message),
}

impl Message {
    pub fn new(entry: &'static Entry) -> Message {
        Message {
            entry,
            values: Vec::new(),
        }
    }

    /// What another program said (the OS, a tool), in its own words: not translated.
    pub fn detail(text: impl fmt::Display) -> Message {
        Message::new(&crate::messages::DETAIL).with("detail", text)
    }

    /// Fills `{name}` with `value`.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Message {
        self.values.push((name, Value::Text(value.to_string())));
        self
    }

    /// Fills `{name}` with another message, said in the same language.
    pub fn with_message(mut self, name: &'static str, message: Message) -> Message {
        self.values.push((name, Value::Message(message)));
        self
    }

    /// The catalogue entry (which sentence this is).
    pub fn entry(&self) -> &'static Entry {
        self.entry
    }

    /// The sentence in `lang`. Placeholders are filled in one pass, so a value that looks like
    /// a placeholder stays as it is; one without a value is left as written.
    pub fn text(&self, lang: Lang) -> String {
        let template = self.entry.get(lang);
        let mut text = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let name = &after[..close];
                let (_, value) = self.values.iter().find(|(n, _)| *n == name)?;
                Some((close, value))
            });
            match value {
                Some((close, Value::Text(t))) => {
                    text.push_str(t);
                    rest = &after[close + 1..];
                }
                Some((close, Value::Message(m))) => {
                    text.push_str(&m.text(lang));
                    rest = &after[close + 1..];
                }
                None => {
                    text.push('{');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        text
    }
}

impl From<&'static Entry> for Message {
    fn from(entry: &'static Entry) -> Message {
        Message::new(entry)
    }
}

/// English, as the command line and the logs say it.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl std::error::Error for Message {}

/// `{"en": "...", "zh-CN": "..."}`: every language, so that a window shows its own.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Lang::ALL.len()))?;
        for lang in Lang::ALL {
            map.serialize_entry(lang.tag(), &self.text(lang))?;
        }
        map.end()
    }
}

/// Every text of the browser pages in one language.
pub struct Texts {
    pub blocked_title: &'static str,
    /// `{host}`
    pub blocked_host: &'static str,
    /// `{list}`, `{rule}`
    pub blocked_by_list: &'static str,
    /// `{rule}`
    pub blocked_by_rule: &'static str,
    pub blocked_ask: &'static str,
    pub not_allowed_title: &'static str,
    /// `{host}`
    pub not_allowed_host: &'static str,
    pub not_allowed_ask: &'static str,
    pub denied_title: &'static str,
    /// `{address}`
    pub denied_text: &'static str,
    pub about_title: &'static str,
    pub about_not_a_site: &'static str,
    /// `{address}`
    pub about_setup: &'static str,
    /// `{port}`
    pub about_any_address: &'static str,
    /// `{ip}`, `{port}`
    pub about_address: &'static str,
    /// Label before the technical detail of an error, with the space after it where the
    /// language puts one.
    pub details: &'static str,
    /// Title and explanation for each error kind, in `ErrorKind::ALL` order.
    pub errors: [(&'static str, &'static str); ErrorKind::ALL.len()],
}

impl Texts {
    pub fn error(&self, kind: ErrorKind) -> (&'static str, &'static str) {
        self.errors[kind.index()]
    }
}

const EN: Texts = Texts {
    blocked_title: "This page is blocked",
    blocked_host: "<strong>{host}</strong> is blocked on this computer.",
    blocked_by_list: "It is on the list <strong>{list}</strong> (rule <code>{rule}</code>).",
    blocked_by_rule: "The rule that blocks it is <code>{rule}</code>.",
    blocked_ask: "If you need it, ask a parent: they can unlock it in Wicket.",
    not_allowed_title: "This page is not on the allowed list",
    not_allowed_host: "On this computer only some sites can be visited, and <strong>{host}</strong> is not one of them.",
    not_allowed_ask: "If you need it, ask a parent: they can add it to the allowed list in Wicket.",
    denied_title: "Not allowed to use this proxy",
    denied_text: "Your address {address} is not on this Wicket proxy's client allowlist.",
    about_title: "This is Wicket, a web proxy",
    about_not_a_site: "Wicket is not a website: browsers send their requests <em>through</em> it.",
    about_setup: "To use it, set your browser's or system's HTTP and HTTPS proxy to {address}.",
    about_any_address: "this computer's address, port {port}",
    about_address: "<code>{ip}</code>, port {port}",
    details: "Details: ",
    errors: [
        ("Bad request", "Your browser sent a request Wicket cannot read."),
        ("Request too large", "The request is larger than Wicket accepts."),
        ("Address too long", "The address is longer than Wicket accepts."),
        ("Too many connections", "This computer has too many connections open through Wicket. Try again in a moment."),
        ("Request timed out", "The request did not arrive in time."),
        ("Not supported", "Wicket handles http:// addresses, and https:// through a secure tunnel."),
        ("This is Wicket", "This request was meant for Wicket itself."),
        ("Port not allowed", "Wicket does not open secure tunnels to this port."),
        ("Site not found", "The site's name could not be found. Check the address."),
        ("Site unreachable", "The site could not be reached."),
        ("Site too slow", "The site did not answer in time."),
        ("Bad answer from the site", "The site sent an answer Wicket cannot read."),
        ("Connection lost", "The connection was lost."),
        ("Connection lost", "The connection was lost."),
        ("Connection closed", "The connection was idle for too long and was closed."),
    ],
};

const ZH: Texts = Texts {
    blocked_title: "此网页已被屏蔽",
    blocked_host: "<strong>{host}</strong> 在这台电脑上已被屏蔽。",
    blocked_by_list: "它在“<strong>{list}</strong>”列表中（规则 <code>{rule}</code>）。",
    blocked_by_rule: "屏蔽它的规则是 <code>{rule}</code>。",
    blocked_ask: "如果你需要访问它，请找家长：他们可以在 Wicket 中解除屏蔽。",
    not_allowed_title: "此网页不在允许列表中",
    not_allowed_host: "这台电脑上只能访问部分网站，<strong>{host}</strong> 不在其中。",
    not_allowed_ask: "如果你需要访问它，请找家长：他们可以在 Wicket 中把它加入允许列表。",
    denied_title: "无权使用此代理",
    denied_text: "你的地址 {address} 不在此 Wicket 代理的客户端允许列表中。",
    about_title: "这是 Wicket，一个网络代理",
    about_not_a_site: "Wicket 不是网站：浏览器<em>通过</em>它发送请求。",
    about_setup: "要使用它，请将浏览器或系统的 HTTP 和 HTTPS 代理设置为 {address}。",
    about_any_address: "本机地址，端口 {port}",
    about_address: "<code>{ip}</code>，端口 {port}",
    details: "详情：",
    errors: [
        ("请求有误", "浏览器发送的请求无法被 Wicket 读取。"),
        ("请求过大", "请求超过了 Wicket 接受的大小。"),
        ("网址过长", "网址超过了 Wicket 接受的长度。"),
        (
            "连接过多",
            "这台电脑通过 Wicket 打开的连接过多，请稍后再试。",
        ),
        ("请求超时", "请求没有按时到达。"),
        (
            "不支持",
            "Wicket 支持 http:// 网址，以及通过安全隧道访问的 https:// 网址。",
        ),
        ("这是 Wicket", "此请求是发给 Wicket 本身的。"),
        ("端口不允许", "Wicket 不会打开通往此端口的安全隧道。"),
        ("找不到网站", "找不到该网站的名称，请检查网址。"),
        ("无法连接网站", "无法连接到该网站。"),
        ("网站响应太慢", "该网站没有及时响应。"),
        ("网站响应无效", "该网站返回的响应无法被 Wicket 读取。"),
        ("连接已断开", "连接已断开。"),
        ("连接已断开", "连接已断开。"),
        ("连接已关闭", "连接空闲时间过长，已被关闭。"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn all_texts(t: &Texts) -> Vec<&'static str> {
        let mut all = vec![
            t.blocked_title,
            t.blocked_host,
            t.blocked_by_list,
            t.blocked_by_rule,
            t.blocked_ask,
            t.not_allowed_title,
            t.not_allowed_host,
            t.not_allowed_ask,
            t.denied_title,
            t.denied_text,
            t.about_title,
            t.about_not_a_site,
            t.about_setup,
            t.about_any_address,
            t.about_address,
            t.details,
        ];
        for (title, text) in t.errors {
            all.push(title);
            all.push(text);
        }
        all
    }

    #[test]
    fn every_text_is_translated_with_the_same_placeholders_and_markup() {
        for (en, zh) in all_texts(&EN).into_iter().zip(all_texts(&ZH)) {
            assert!(!zh.trim().is_empty(), "untranslated: {en}");
            assert_ne!(en, zh, "not translated: {en}");
            assert_eq!(placeholders(en), placeholders(zh), "{en} / {zh}");
            for tag in ["<strong>", "<code>", "<em>"] {
                assert_eq!(
                    en.matches(tag).count(),
                    zh.matches(tag).count(),
                    "{tag} in {en} / {zh}"
                );
            }
        }
    }

    crate::catalogue! {
        GREETING { en: "{who} blocked {site}", zh: "{who}屏蔽了 {site}" }
        BECAUSE { en: "not saved: {why}", zh: "未保存：{why}" }
    }

    #[test]
    fn a_message_fills_its_values_in_each_language() {
        let m = Message::new(&GREETING)
            .with("who", "Mum")
            .with("site", "tiktok.com");
        assert_eq!(m.text(Lang::En), "Mum blocked tiktok.com");
        assert_eq!(m.text(Lang::Zh), "Mum屏蔽了 tiktok.com");
        assert_eq!(m.to_string(), "Mum blocked tiktok.com");
        assert_eq!(ALL.len(), 2);
        assert!(catalogue_problems(ALL).is_empty());
    }

    #[test]
    fn catalogue_problems_are_found() {
        static SAME: Entry = Entry {
            key: "SAME",
            en: "Quit",
            zh: "Quit",
        };
        static OTHER: Entry = Entry {
            key: "OTHER",
            en: "{a} and {b}",
            zh: "{a}",
        };
        static EMPTY: Entry = Entry {
            key: "SAME",
            en: "x",
            zh: " ",
        };
        static DETAIL: Entry = Entry {
            key: "DETAIL",
            en: "{detail}",
            zh: "{detail}",
        };
        let problems = catalogue_problems(&[&SAME, &OTHER, &EMPTY, &DETAIL]);
        assert_eq!(
            problems,
            [
                "SAME: the key is used twice",
                "SAME: not translated",
                "OTHER: other placeholders in \"{a} and {b}\" and \"{a}\"",
                "SAME: no Chinese",
            ]
        );
    }

    #[test]
    fn a_nested_message_is_said_in_the_same_language() {
        let inner = Message::new(&GREETING).with("who", "A").with("site", "b");
        let m = Message::new(&BECAUSE).with_message("why", inner);
        assert_eq!(m.text(Lang::Zh), "未保存：A屏蔽了 b");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"en": "not saved: A blocked b", "zh-CN": "未保存：A屏蔽了 b"})
        );
    }

    #[test]
    fn values_that_look_like_placeholders_stay_as_they_are() {
        let m = Message::new(&GREETING)
            .with("who", "{site}")
            .with("site", "{x");
        assert_eq!(m.text(Lang::En), "{site} blocked {x");
        let missing = Message::new(&GREETING).with("who", "A");
        assert_eq!(missing.text(Lang::En), "A blocked {site}");
    }

    #[test]
    fn engine_errors_come_in_chinese_too() {
        let err = crate::Rule::parse("bad..example").unwrap_err();
        assert!(err.reason.text(Lang::En).contains("empty label"));
        assert!(err.reason.text(Lang::Zh).contains("空的部分"));
        let err = crate::ClientNet::parse("10.0.0.0/40").unwrap_err();
        assert_eq!(err.reason.text(Lang::Zh), "前缀长度必须在 0 到 32 之间");
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        let pick = |h: &str| Lang::from_accept_language(Some(h.as_bytes()));
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(pick("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En);
        assert_eq!(pick("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4"), Lang::Zh);
        assert_eq!(pick("zh-Hans-CN"), Lang::Zh);
        assert_eq!(pick("de,fr"), Lang::En);
        assert_eq!(pick("zh;q=0, en"), Lang::En);
        assert_eq!(pick("en;q=0.1, zh;q=0.2"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(pick("garbage;;;q=x,,"), Lang::En);
    }
}
