//! Importing blocklists (hosts files, plain lists, `||domain^` adblock lines).
//!
//! Invariants:
//! - `import` never panics, whatever the text;
//! - nothing is dropped silently: every entry (each word of a line before `#`, but for the
//!   address that starts a hosts line; a whole `re:` line) ends up as a rule, a duplicate, a
//!   not-a-block or an invalid entry; every `#`, `!` or `[` line is a comment;
//! - the rules are distinct, each prints as text that parses back equal, and invalid lines are
//!   listed (up to the cap) with a line number that exists;
//! - importing the imported rules, one per line, gives the same rules again, all of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket::import::{import, MAX_LISTED_INVALID};
use wicket::rules::Rule;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = import(&text);

    let (mut entries, mut comments) = (0, 0);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with(['#', '!', '[']) {
            comments += 1;
        } else if line.starts_with("re:") {
            entries += 1;
        } else {
            let words: Vec<&str> = line
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let hosts_line = words.len() > 1 && words[0].parse::<std::net::IpAddr>().is_ok();
            entries += words.len() - usize::from(hosts_line);
        }
    }
    assert_eq!(found.comments, comments, "comment lines");
    assert_eq!(
        found.rules.len() + found.duplicates + found.not_blocks + found.invalid_count,
        entries,
        "entries not accounted for: {found:?}"
    );
    assert_eq!(
        found.invalid.len(),
        found.invalid_count.min(MAX_LISTED_INVALID)
    );
    let lines = text.lines().count();
    for bad in &found.invalid {
        assert!(
            (1..=lines).contains(&bad.line),
            "invalid line {} of {lines}",
            bad.line
        );
    }

    let printed: Vec<String> = found.rules.iter().map(Rule::to_string).collect();
    let mut distinct = printed.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        printed.len(),
        "duplicate rules: {printed:?}"
    );
    for (rule, text) in found.rules.iter().zip(&printed) {
        let again = Rule::parse(text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
        assert_eq!(&again, rule);
    }

    let again = import(&printed.join("\n"));
    let reprinted: Vec<String> = again.rules.iter().map(Rule::to_string).collect();
    assert_eq!(
        reprinted, printed,
        "re-importing the imported rules gives other rules: {again:?}"
    );
});
