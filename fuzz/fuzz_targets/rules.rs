//! Site rules: parsing, printing, and matching hosts against a rule set.
//!
//! Input: lines of text. A line starting with `?` is a host to look up, any other line a rule.
//! Invariants:
//! - `Rule::parse` never panics, whatever the text;
//! - a parsed rule prints (`Display`) as text that parses back to an equal rule of the same
//!   kind, which prints the same again;
//! - `RuleSet::matches` agrees with a naive matcher written here from the documented rules
//!   (a domain matches itself and its subdomains on label boundaries, `*.` only subdomains,
//!   an IP rule that address, a regex the lower-case host), and the rule it names is one that
//!   matches; domain and IP rules win over regexes, a longer domain over a shorter one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket::rules::{normalize_host, parse_ip_literal, Rule, RuleSet};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut rules = Vec::new();
    let mut hosts = Vec::new();
    for line in text.split('\n') {
        match line.strip_prefix('?') {
            Some(host) => hosts.push(host),
            None => {
                if let Ok(rule) = Rule::parse(line) {
                    rules.push(rule);
                }
            }
        }
    }

    for rule in &rules {
        let printed = rule.to_string();
        let again = Rule::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {rule:?}) does not parse back: {e}"));
        assert_eq!(&again, rule, "{printed:?} parses to another rule");
        assert_eq!(
            std::mem::discriminant(&again),
            std::mem::discriminant(rule),
            "{printed:?} parses to another kind of rule"
        );
        assert_eq!(again.to_string(), printed);
    }

    let set = RuleSet::new(rules.iter().cloned());
    for host in hosts {
        let host = normalize_host(host);
        let host: &str = &host;
        let matching: Vec<&Rule> = rules.iter().filter(|r| naive_matches(r, host)).collect();
        let found = set.matches(host);
        assert_eq!(
            found.is_some(),
            !matching.is_empty(),
            "host {host:?}: the set says {found:?}, the naive matcher {matching:?}"
        );
        let Some(found) = found else { continue };
        let name = found.to_string();
        let winner = matching
            .iter()
            .find(|r| r.to_string() == name)
            .unwrap_or_else(|| panic!("host {host:?}: {name:?} is not a matching rule"));
        let specific: Vec<usize> = matching
            .iter()
            .filter_map(|r| match r {
                Rule::Domain(d) | Rule::Subdomains(d) => Some(d.len()),
                Rule::Ip(_) => Some(usize::MAX),
                Rule::Regex(_) => None,
            })
            .collect();
        match winner {
            Rule::Regex(_) => assert!(
                specific.is_empty(),
                "host {host:?}: a regex won over {matching:?}"
            ),
            Rule::Domain(d) | Rule::Subdomains(d) => assert_eq!(
                Some(d.len()),
                specific.iter().copied().max(),
                "host {host:?}: {name:?} is not the most specific of {matching:?}"
            ),
            Rule::Ip(_) => {}
        }
    }
});

/// The rules as documented, checked one by one.
fn naive_matches(rule: &Rule, host: &str) -> bool {
    let is_ip = parse_ip_literal(host).is_some();
    match rule {
        Rule::Domain(d) => !is_ip && (host == &**d || host.ends_with(&format!(".{d}"))),
        Rule::Subdomains(d) => !is_ip && host.ends_with(&format!(".{d}")),
        Rule::Ip(ip) => parse_ip_literal(host) == Some(*ip),
        Rule::Regex(re) => re.is_match(host),
    }
}
