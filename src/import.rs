//! Importing published blocklists: hosts files (`0.0.0.0 ads.example.com`, as StevenBlack's and
//! Pi-hole's lists are published), plain lists of domains, and the simple `||domain^` lines of
//! adblock lists. Nothing is dropped silently: comments, entries that are not blocks (the
//! `localhost` lines of a hosts file), duplicates and invalid lines are all counted, and invalid
//! lines are listed with their line number and the reason.

use std::collections::HashSet;

use crate::i18n::Message;
use crate::rules::Rule;

/// Invalid lines listed in full; beyond this only counted (a wrong file may have millions).
pub const MAX_LISTED_INVALID: usize = 1000;

/// What an import found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Import {
    /// The rules, each once, in the order first seen.
    pub rules: Vec<Rule>,
    /// Entries that repeated one seen earlier in the same text.
    pub duplicates: usize,
    /// Comment lines (`#`, `!`, `[Adblock ...]`).
    pub comments: usize,
    /// Entries that are not blocks: a hosts file's own names (`localhost`, `broadcasthost`...)
    /// and names mapped to a real address rather than to 0.0.0.0 or 127.0.0.1.
    pub not_blocks: usize,
    /// Lines that could not be read, with why (the first [`MAX_LISTED_INVALID`]).
    pub invalid: Vec<InvalidLine>,
    /// How many invalid lines there were in all.
    pub invalid_count: usize,
}

/// A line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLine {
    /// 1-based.
    pub line: usize,
    pub text: String,
    pub reason: Message,
}

/// Names a hosts file maps for the system itself, not to block anything.
const HOSTS_OWN_NAMES: [&str; 12] = [
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "ip6-mcastprefix",
    "ip6-allnodes",
    "ip6-allrouters",
    "ip6-allhosts",
    "0.0.0.0",
];

/// Addresses a hosts file sends blocked names to.
fn is_sink(address: &str) -> bool {
    matches!(
        address,
        "0.0.0.0" | "127.0.0.1" | "::" | "::0" | "::1" | "0:0:0:0:0:0:0:0"
    )
}

/// Reads a hosts file or a plain list (one entry per line, or several separated by spaces).
pub fn import(text: &str) -> Import {
    let mut out = Import::default();
    let mut seen: HashSet<String> = HashSet::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') || line.starts_with('!') || line.starts_with('[') {
            out.comments += 1;
            continue;
        }
        // A regular expression is the whole line, '#' included.
        let entries: Vec<&str> = if line.starts_with("re:") {
            vec![line]
        } else {
            let content = line.split('#').next().unwrap_or("").trim();
            let mut words: Vec<&str> = content.split_whitespace().collect();
            if words
                .first()
                .is_some_and(|w| w.parse::<std::net::IpAddr>().is_ok())
                && words.len() > 1
            {
                let address = words.remove(0);
                if !is_sink(address) {
                    out.not_blocks += words.len();
                    continue;
                }
            }
            words
        };
        for entry in entries {
            let entry = adblock_domain(entry).unwrap_or(entry);
            // `localhost.` is `localhost`: a trailing dot does not make it another name.
            let name = entry
                .strip_suffix('.')
                .unwrap_or(entry)
                .to_ascii_lowercase();
            if HOSTS_OWN_NAMES.contains(&name.as_str()) {
                out.not_blocks += 1;
                continue;
            }
            match Rule::parse(entry) {
                Ok(rule) => {
                    if seen.insert(rule.to_string()) {
                        out.rules.push(rule);
                    } else {
                        out.duplicates += 1;
                    }
                }
                Err(e) => {
                    out.invalid_count += 1;
                    if out.invalid.len() < MAX_LISTED_INVALID {
                        out.invalid.push(InvalidLine {
                            line: line_no,
                            text: raw.chars().take(200).collect(),
                            reason: e.reason,
                        });
                    }
                }
            }
        }
    }
    out
}

/// `||ads.example.com^` (an adblock network rule for a whole domain) is `ads.example.com`.
fn adblock_domain(entry: &str) -> Option<&str> {
    entry.strip_prefix("||")?.strip_suffix('^')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(import: &Import) -> Vec<String> {
        import.rules.iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn hosts_file_entries_become_domain_rules() {
        let list = "# Title: StevenBlack/hosts\n\
                    127.0.0.1 localhost\n\
                    127.0.0.1 localhost.localdomain\n\
                    255.255.255.255 broadcasthost\n\
                    ::1 localhost ip6-localhost ip6-loopback\n\
                    0.0.0.0 0.0.0.0\n\
                    \n\
                    # Ads\n\
                    0.0.0.0 ads.example.com\n\
                    0.0.0.0 Tracker.Example.NET # inline comment\n\
                    127.0.0.1 a.test b.test\n\
                    :: v6sink.test\n";
        let import = import(list);
        assert_eq!(
            texts(&import),
            [
                "ads.example.com",
                "tracker.example.net",
                "a.test",
                "b.test",
                "v6sink.test"
            ]
        );
        assert_eq!(import.comments, 2);
        assert_eq!(
            import.not_blocks,
            1 + 1 + 1 + 3 + 1,
            "own names and the broadcast mapping"
        );
        assert!(import.invalid.is_empty());
    }

    #[test]
    fn plain_lists_and_adblock_domain_rules_are_read() {
        let import = import("example.com\n*.ads.example\n||tracker.example^\nre:^ad[0-9]+\\.#x\nfoo.test bar.test\n");
        assert_eq!(
            texts(&import),
            [
                "example.com",
                "*.ads.example",
                "tracker.example",
                "re:^ad[0-9]+\\.#x",
                "foo.test",
                "bar.test"
            ]
        );
    }

    #[test]
    fn duplicates_are_merged_and_counted() {
        let import = import("a.test\nA.test\n0.0.0.0 a.test\nb.test\na.test.\n");
        assert_eq!(texts(&import), ["a.test", "b.test"]);
        assert_eq!(import.duplicates, 3);
    }

    #[test]
    fn invalid_lines_are_listed_with_number_and_reason() {
        let import = import("good.test\nbad..test\n0.0.0.0 also bad!\n\n!adblock comment\n");
        assert_eq!(texts(&import), ["good.test", "also"]);
        assert_eq!(import.invalid_count, 2);
        assert_eq!(import.invalid[0].line, 2);
        assert!(import.invalid[0].reason.to_string().contains("empty label"));
        assert_eq!(import.invalid[1].line, 3);
        assert_eq!(import.invalid[1].text, "0.0.0.0 also bad!");
        assert_eq!(import.comments, 1);
    }

    #[test]
    fn names_mapped_to_real_addresses_are_not_blocks() {
        let import = import("192.168.1.5 nas.lan\n10.0.0.1 router.lan gateway.lan\n");
        assert!(import.rules.is_empty());
        assert_eq!(import.not_blocks, 3);
    }

    #[test]
    fn a_hundred_thousand_entries_import() {
        let text: String = (0..100_000)
            .map(|i| format!("0.0.0.0 host{i}.ads-{}.test\n", i % 91))
            .collect();
        let import = import(&text);
        assert_eq!(import.rules.len(), 100_000);
        assert_eq!(import.invalid_count, 0);
    }

    #[test]
    fn only_the_first_invalid_lines_are_listed_but_all_are_counted() {
        let text = "bad..x\n".repeat(MAX_LISTED_INVALID + 5);
        let import = import(&text);
        assert_eq!(import.invalid.len(), MAX_LISTED_INVALID);
        assert_eq!(import.invalid_count, MAX_LISTED_INVALID + 5);
    }
}
