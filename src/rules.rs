//! Site rules: the blocklist and the allow-only list, and how a host is matched against them.
//!
//! A rule is one of
//! - `example.com`: that domain and every subdomain of it (`www.example.com`), nothing else
//!   (`notexample.com` and `example.com.evil.net` are other sites);
//! - `*.example.com`: subdomains only, not `example.com` itself;
//! - `re:<regex>`: a regular expression matched against the whole lower-case host name;
//! - an IP literal (`192.0.2.7`, `2001:db8::1` or `[2001:db8::1]`): that address written as a host.
//!
//! A [`RuleSet`] keeps domain rules in hash sets, so a lookup costs one hash probe per label of the
//! host, however long the list is; only `re:` rules are evaluated one by one (in one `RegexSet`).

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::i18n::Message;
use crate::messages as msg;

/// The longest host name DNS allows (RFC 1035), in its dotted text form.
const MAX_DOMAIN_LEN: usize = 253;
/// The longest label DNS allows.
const MAX_LABEL_LEN: usize = 63;
/// Compiled-size cap for one `re:` rule, so a pasted monster pattern is refused, not a memory hog.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One site rule, in canonical form (lower case, no trailing dot).
#[derive(Clone, Debug)]
pub enum Rule {
    /// The domain and all its subdomains.
    Domain(Box<str>),
    /// Subdomains of the domain, not the domain itself (written `*.domain`).
    Subdomains(Box<str>),
    /// A host that is this IP literal.
    Ip(IpAddr),
    /// A regular expression over the lower-case host (written `re:pattern`).
    Regex(Regex),
}

/// Why a rule could not be parsed; the reason is shown to the user as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The rule as the user wrote it.
    pub input: String,
    /// What is wrong with it, in a sentence.
    pub reason: Message,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid rule {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for RuleError {}

impl Rule {
    /// Parses a rule as a user writes it. A pasted URL (`https://www.example.com/page`) is taken
    /// as its host, since that is what anyone pasting one means.
    pub fn parse(input: &str) -> Result<Rule, RuleError> {
        let fail = |reason: Message| RuleError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail(Message::new(&msg::RULE_EMPTY)));
        }
        if let Some(pattern) = text.strip_prefix("re:") {
            if pattern.is_empty() {
                return Err(fail(Message::new(&msg::RULE_REGEX_EMPTY)));
            }
            return RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(Rule::Regex)
                .map_err(|e| {
                    fail(Message::new(&msg::RULE_REGEX_BAD).with("detail", first_line(&e)))
                });
        }
        if let Some((_scheme, rest)) = text.split_once("://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let authority = authority.rsplit('@').next().unwrap_or("");
            let host =
                strip_port(authority).ok_or_else(|| fail(Message::new(&msg::RULE_URL_NO_HOST)))?;
            return Rule::parse_host_rule(host).map_err(fail);
        }
        Rule::parse_host_rule(text).map_err(fail)
    }

    fn parse_host_rule(text: &str) -> Result<Rule, Message> {
        if let Some(ip) = parse_ip_literal(text) {
            return Ok(Rule::Ip(ip));
        }
        if text.contains(char::is_whitespace) {
            return Err(Message::new(&msg::RULE_SPACES));
        }
        if text.contains('/') {
            return Err(Message::new(&msg::RULE_PATH));
        }
        if let Some((host, port)) = text.rsplit_once(':') {
            if !host.contains(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Message::new(&msg::RULE_PORT).with("port", port));
            }
        }
        if let Some(domain) = text.strip_prefix("*.") {
            return Ok(Rule::Subdomains(normalize_domain(domain)?.into()));
        }
        if text.contains('*') {
            return Err(Message::new(&msg::RULE_STAR));
        }
        Ok(Rule::Domain(normalize_domain(text)?.into()))
    }
}

impl FromStr for Rule {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::parse(s)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Domain(d) => f.write_str(d),
            Rule::Subdomains(d) => write!(f, "*.{d}"),
            Rule::Ip(ip) => write!(f, "{ip}"),
            Rule::Regex(re) => write!(f, "re:{}", re.as_str()),
        }
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Failing inside `visit_str` lets serde_json report the position of this very string.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Rule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Rule, E> {
                Rule::parse(text).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// The rule that matched a host, borrowed from the set (a lookup allocates nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched<'a> {
    Domain(&'a str),
    Subdomains(&'a str),
    Ip(IpAddr),
    Regex(&'a str),
}

impl fmt::Display for Matched<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matched::Domain(d) => f.write_str(d),
            Matched::Subdomains(d) => write!(f, "*.{d}"),
            Matched::Ip(ip) => write!(f, "{ip}"),
            Matched::Regex(re) => write!(f, "re:{re}"),
        }
    }
}

/// A list of rules, indexed for lookups that cost O(labels of the host).
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// The rules in the order the user gave them, duplicates dropped: what the config saves.
    rules: Vec<Rule>,
    /// `example.com` rules, by domain.
    domains: HashSet<Box<str>>,
    /// `*.example.com` rules, by domain.
    subdomains: HashSet<Box<str>>,
    /// IP literal rules.
    ips: HashSet<IpAddr>,
    /// `re:` rules, compiled together; `patterns[i]` is the source of the i-th.
    regexes: Option<RegexSet>,
    patterns: Vec<Box<str>>,
}

impl RuleSet {
    /// Builds the index. Duplicate rules are merged, the first occurrence keeps its place.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> RuleSet {
        let mut set = RuleSet::default();
        for rule in rules {
            let fresh = match &rule {
                Rule::Domain(d) => set.domains.insert(d.clone()),
                Rule::Subdomains(d) => set.subdomains.insert(d.clone()),
                Rule::Ip(ip) => set.ips.insert(*ip),
                Rule::Regex(re) => {
                    let fresh = !set.patterns.iter().any(|p| **p == *re.as_str());
                    if fresh {
                        set.patterns.push(re.as_str().into());
                    }
                    fresh
                }
            };
            if fresh {
                set.rules.push(rule);
            }
        }
        if !set.patterns.is_empty() {
            // Each pattern compiled on its own already, so the set compiles too unless the
            // patterns together pass the size limit; then the regex rules are checked one by one.
            set.regexes = RegexSetBuilder::new(set.patterns.iter().map(|p| &**p))
                .size_limit(REGEX_SIZE_LIMIT.saturating_mul(set.patterns.len()))
                .build()
                .ok();
        }
        set
    }

    /// The rules in their saved order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule that matches `host`, if any. `host` must be normalized (see [`normalize_host`]).
    /// A longer (more specific) domain rule wins over a shorter one; regexes come last.
    pub fn matches<'a>(&'a self, host: &str) -> Option<Matched<'a>> {
        if let Some(ip) = parse_ip_literal(host) {
            if let Some(found) = self.ips.get(&ip) {
                return Some(Matched::Ip(*found));
            }
        } else {
            let mut suffix = host;
            let mut whole = true;
            loop {
                if let Some(d) = self.domains.get(suffix) {
                    return Some(Matched::Domain(d));
                }
                if !whole {
                    if let Some(d) = self.subdomains.get(suffix) {
                        return Some(Matched::Subdomains(d));
                    }
                }
                match suffix.split_once('.') {
                    Some((_, rest)) if !rest.is_empty() => suffix = rest,
                    _ => break,
                }
                whole = false;
            }
        }
        self.match_regex(host)
    }

    fn match_regex(&self, host: &str) -> Option<Matched<'_>> {
        if self.patterns.is_empty() {
            return None;
        }
        let index = match &self.regexes {
            Some(set) => set.matches(host).iter().next(),
            None => self.rules.iter().find_map(|r| match r {
                Rule::Regex(re) if re.is_match(host) => {
                    self.patterns.iter().position(|p| **p == *re.as_str())
                }
                _ => None,
            }),
        };
        index.map(|i| Matched::Regex(&self.patterns[i]))
    }
}

/// Normalizes a host for matching: lower case, no trailing dot, IPv6 brackets removed.
/// Borrows when the host is already normal (the common case).
pub fn normalize_host(host: &str) -> std::borrow::Cow<'_, str> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }
}

/// A host that ends in a number is an IPv4 address, however it is spelled: `2130706433`,
/// `127.1`, `0x7f.0.0.1` and `0177.0.0.1` all reach 127.0.0.1, both in browsers (the WHATWG URL
/// standard's IPv4 parser) and through the system's resolver (`inet_aton`). Returns the address
/// in its one dotted form, so rules about it cannot be walked around; `Some(None)` for a host
/// that ends in a number but is no address (`1.2.3.256`, `example.1`); `None` for a name.
pub fn numeric_ipv4(host: &str) -> Option<Option<std::net::Ipv4Addr>> {
    if host.contains(':') {
        return None; // IPv6
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if last.is_empty() || !(hex || last.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 4 {
        return Some(None);
    }
    let mut numbers = Vec::with_capacity(4);
    for part in &parts {
        let (digits, radix) = if let Some(h) = part.strip_prefix("0x").or(part.strip_prefix("0X")) {
            (h, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (*part, 10)
        };
        if part.is_empty() {
            return Some(None);
        }
        let value = if digits.is_empty() {
            0
        } else {
            match u64::from_str_radix(digits, radix) {
                Ok(v) if v <= u64::from(u32::MAX) => v,
                _ => return Some(None),
            }
        };
        numbers.push(value);
    }
    let (last, first) = numbers.split_last()?;
    if first.iter().any(|n| *n > 255) || *last >= 1u64 << (8 * (5 - numbers.len())) {
        return Some(None);
    }
    let mut address = *last;
    for (i, n) in first.iter().enumerate() {
        address += n << (8 * (3 - i));
    }
    Some(Some(std::net::Ipv4Addr::from(address as u32)))
}

/// Parses `192.0.2.1`, `2001:db8::1` or `[2001:db8::1]`; IPv4-mapped IPv6 becomes IPv4.
pub fn parse_ip_literal(text: &str) -> Option<IpAddr> {
    // Host names are the common case: an IP literal ends in a digit, a hex digit or ']'.
    if !text.ends_with(|c: char| c.is_ascii_hexdigit() || c == ']' || c == ':') {
        return None;
    }
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let ip: IpAddr = inner.parse().ok()?;
    Some(canonical_ip(ip))
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are the IPv4 address they carry.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn strip_port(authority: &str) -> Option<&str> {
    let host = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority,
        }
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then_some(host)
}

/// Checks a domain name and returns it lower case without its trailing dot.
fn normalize_domain(text: &str) -> Result<String, Message> {
    let domain = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
    if domain.is_empty() {
        return Err(Message::new(&msg::DOMAIN_EMPTY));
    }
    if !domain.is_ascii() {
        return Err(Message::new(&msg::DOMAIN_NOT_ASCII));
    }
    if domain.len() > MAX_DOMAIN_LEN {
        return Err(Message::new(&msg::DOMAIN_TOO_LONG).with("max", MAX_DOMAIN_LEN));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(Message::new(&msg::DOMAIN_EMPTY_LABEL));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(Message::new(&msg::DOMAIN_LABEL_TOO_LONG).with("max", MAX_LABEL_LEN));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(Message::new(&msg::DOMAIN_BAD_CHAR).with("char", format!("{bad:?}")));
        }
    }
    let last = domain.rsplit('.').next().unwrap_or("");
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Message::new(&msg::DOMAIN_NUMERIC));
    }
    Ok(domain)
}

fn first_line(e: &dyn fmt::Display) -> String {
    let text = e.to_string();
    // The regex crate's errors are multi-line with a caret diagram; the last line says what is wrong.
    text.lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| text.lines().next().unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_ipv4_address_is_that_address() {
        let ip = |t: &str| numeric_ipv4(t).map(|a| a.map(|a| a.to_string()));
        for text in [
            "127.0.0.1",
            "2130706433",
            "127.1",
            "127.0.1",
            "0x7f.0.0.1",
            "0X7F.1",
            "0177.0.0.1",
            "0x7f000001",
            "017700000001",
            "127.0.0.1.",
        ] {
            assert_eq!(ip(text), Some(Some("127.0.0.1".into())), "{text}");
        }
        assert_eq!(ip("0"), Some(Some("0.0.0.0".into())));
        assert_eq!(ip("0x"), Some(Some("0.0.0.0".into())));
        for text in [
            "1.2.3.256",
            "256.1",
            "1.2.3.4.5",
            "example.1",
            "1..1",
            "08.1",
            "4294967296",
        ] {
            assert_eq!(ip(text), Some(None), "{text}");
        }
        for text in [
            "example.com",
            "1.2.3.x",
            "0x7g",
            "localhost",
            "ads1",
            "x.0xz",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(ip(text), None, "{text}");
        }
    }

    fn set(rules: &[&str]) -> RuleSet {
        RuleSet::new(rules.iter().map(|r| Rule::parse(r).unwrap()))
    }

    fn blocked_by(set: &RuleSet, host: &str) -> Option<String> {
        set.matches(&normalize_host(host)).map(|m| m.to_string())
    }

    #[test]
    fn domain_rule_matches_domain_and_subdomains_only() {
        let s = set(&["example.com"]);
        assert_eq!(
            blocked_by(&s, "example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            blocked_by(&s, "www.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            blocked_by(&s, "a.b.c.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(blocked_by(&s, "notexample.com"), None);
        assert_eq!(blocked_by(&s, "example.com.evil.net"), None);
        assert_eq!(blocked_by(&s, "example.co"), None);
        assert_eq!(blocked_by(&s, "com"), None);
    }

    #[test]
    fn wildcard_rule_matches_subdomains_but_not_the_domain() {
        let s = set(&["*.example.com"]);
        assert_eq!(blocked_by(&s, "example.com"), None);
        assert_eq!(
            blocked_by(&s, "www.example.com").as_deref(),
            Some("*.example.com")
        );
        assert_eq!(
            blocked_by(&s, "x.y.example.com").as_deref(),
            Some("*.example.com")
        );
        assert_eq!(blocked_by(&s, "wwwexample.com"), None);
    }

    #[test]
    fn hosts_compare_case_insensitively_and_ignore_trailing_dot() {
        let s = set(&["Example.COM."]);
        assert_eq!(s.rules()[0].to_string(), "example.com");
        assert!(blocked_by(&s, "WWW.EXAMPLE.com.").is_some());
        assert!(blocked_by(&s, "example.com.").is_some());
    }

    #[test]
    fn most_specific_domain_rule_is_reported() {
        let s = set(&["example.com", "ads.example.com"]);
        assert_eq!(
            blocked_by(&s, "x.ads.example.com").as_deref(),
            Some("ads.example.com")
        );
        assert_eq!(
            blocked_by(&s, "www.example.com").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn regex_rule_matches_against_the_host() {
        let s = set(&["re:^ads?[0-9]*\\."]);
        assert_eq!(
            blocked_by(&s, "ad3.example.net").as_deref(),
            Some("re:^ads?[0-9]*\\.")
        );
        assert_eq!(
            blocked_by(&s, "ADS.example.net").as_deref(),
            Some("re:^ads?[0-9]*\\.")
        );
        assert_eq!(blocked_by(&s, "bads.example.net"), None);
    }

    #[test]
    fn ip_literal_rules_match_that_address_only() {
        let s = set(&["192.0.2.7", "[2001:db8::1]", "::ffff:198.51.100.1"]);
        assert_eq!(blocked_by(&s, "192.0.2.7").as_deref(), Some("192.0.2.7"));
        assert_eq!(blocked_by(&s, "192.0.2.70"), None);
        assert_eq!(
            blocked_by(&s, "[2001:DB8::1]").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            blocked_by(&s, "2001:db8:0::1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            blocked_by(&s, "198.51.100.1").as_deref(),
            Some("198.51.100.1")
        );
        // An IP host never matches a "domain" suffix such as "2.7".
        assert_eq!(blocked_by(&set(&["example.com"]), "10.0.0.1"), None);
    }

    #[test]
    fn pasted_url_is_taken_as_its_host() {
        assert_eq!(
            Rule::parse("https://www.Example.com:8443/a/b?c")
                .unwrap()
                .to_string(),
            "www.example.com"
        );
        assert_eq!(
            Rule::parse("http://[2001:db8::2]:80/").unwrap().to_string(),
            "2001:db8::2"
        );
    }

    #[test]
    fn invalid_rules_are_refused_with_a_reason() {
        for (input, needle) in [
            ("", "empty"),
            ("   ", "empty"),
            ("exa mple.com", "spaces"),
            ("example..com", "empty label"),
            (".example.com", "empty label"),
            ("example.com:8080", "every port"),
            ("example.com/path", "path"),
            ("a.*.example.com", "leading"),
            ("*", "leading"),
            ("*.", "empty"),
            ("ex!ample.com", "not allowed"),
            ("1.2.3", "neither"),
            ("bücher.de", "xn--"),
            ("re:", "empty"),
            ("re:(unclosed", "regular expression"),
            ("https:///nohost", "no host"),
        ] {
            let err = Rule::parse(input).expect_err(input);
            assert!(err.to_string().contains(needle), "{input:?}: {err}");
            assert_eq!(err.input, input);
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(Rule::parse(&long_label).is_err());
        let long_name = format!("{}com", "abcdefghi.".repeat(26));
        assert!(Rule::parse(&long_name).is_err());
    }

    #[test]
    fn duplicates_are_merged_keeping_first_position() {
        let s = set(&["b.com", "a.com", "B.com.", "re:x", "re:x", "*.a.com"]);
        let texts: Vec<String> = s.rules().iter().map(|r| r.to_string()).collect();
        assert_eq!(texts, ["b.com", "a.com", "re:x", "*.a.com"]);
    }

    #[test]
    fn rules_round_trip_through_json() {
        let rules: Vec<Rule> =
            serde_json::from_str(r#"["Example.com", "*.ads.net", "re:^x", "::1"]"#).unwrap();
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(json, r#"["example.com","*.ads.net","re:^x","::1"]"#);
        let err = serde_json::from_str::<Vec<Rule>>(r#"["ok.com", "bad..com"]"#).unwrap_err();
        assert!(err.to_string().contains("bad..com"), "{err}");
        assert!(err.to_string().contains("column"), "{err}");
    }

    #[test]
    fn a_hundred_thousand_rules_index_and_match() {
        let rules = (0..100_000).map(|i| Rule::Domain(format!("site{i}.example").into()));
        let s = RuleSet::new(rules);
        assert_eq!(s.len(), 100_000);
        assert!(blocked_by(&s, "www.site99999.example").is_some());
        assert!(blocked_by(&s, "site100000.example").is_none());
    }
}
